/* buf.c - cv_buf. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"

/* Room for n more bytes and the NUL; 0 or -1 (oom set). */
static int reserve(cv_buf *b, size_t n)
{
    if (b->oom)
        return -1;
    if (n < b->cap - b->len)
        return 0;
    if (n > (size_t)-1 / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= b->len + n)
        cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown) {
        b->oom = 1;
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

void buf_add(cv_buf *b, const void *bytes, size_t n)
{
    if (reserve(b, n) < 0)
        return;
    if (n)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_add_str(cv_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_vprintf(cv_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if (reserve(b, (size_t)n) < 0)
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(cv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *buf_take(cv_buf *b, size_t *len)
{
    if (!b->oom && reserve(b, 0) == 0)
        b->data[b->len] = '\0';
    char *out = b->oom ? NULL : b->data;
    if (len)
        *len = out ? b->len : 0;
    if (!out)
        free(b->data);
    memset(b, 0, sizeof *b);
    return out;
}

void buf_free(cv_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
