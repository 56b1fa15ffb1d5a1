/* error.h - how runtime functions report failure: they return -1 and leave a
 * message in a cv_error that names the file and what was wrong.  Library code
 * never prints and never exits; the programs decide. */
#ifndef CONVC_ERROR_H
#define CONVC_ERROR_H

typedef struct {
    char msg[1024];
} cv_error;

/* Formats the message into e (if e is not NULL) and returns -1. */
int cv_fail(cv_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message without its leading "path: ", for callers that print
 * "path: error: ..." (the compiler's style). */
const char *cv_error_detail(const cv_error *e, const char *path);

#endif
