/* buf.h - the one growable byte buffer: text or binary appended piece by
 * piece.  An allocation failure sets `oom` and turns later appends into
 * no-ops, so a caller checks once at the end. */
#ifndef CONVC_BUF_H
#define CONVC_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data;             /* NUL after the last byte once anything was added */
    size_t len, cap;
    int oom;
} cv_buf;

void buf_add(cv_buf *b, const void *bytes, size_t n);
void buf_add_str(cv_buf *b, const char *s);
void buf_printf(cv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(cv_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The contents (caller frees; "" when empty), or NULL when out of memory;
 * either way b is empty afterwards. */
char *buf_take(cv_buf *b, size_t *len);
void buf_free(cv_buf *b);

#endif
