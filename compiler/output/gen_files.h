/* gen_files.h - writing generated files so that a failure never leaves a
 * half-written one: every file goes to a temporary name first, and only
 * when all are complete are they renamed into place. */
#ifndef CONVC_GEN_FILES_H
#define CONVC_GEN_FILES_H

#include <stdio.h>

typedef struct {
    const char *name;       /* file name inside the directory */
    const char *text;       /* NULL: skip */
} gen_file;

/* Creates `dir` if needed (one level), then writes the files.  0 on
 * success; 1 with a message on diag naming the path. */
int gen_write_files(const char *dir, const gen_file *files, int n, FILE *diag);
/* One file at `path`, same guarantees. */
int gen_write_file(const char *path, const char *text, FILE *diag);
/* len bytes at `path`, same guarantees. */
int gen_write_bytes(const char *path, const void *data, size_t len, FILE *diag);

#endif
