/* error.c - cv_fail. */
#include <stdarg.h>
#include <stdio.h>
#include "base/error.h"

int cv_fail(cv_error *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}
