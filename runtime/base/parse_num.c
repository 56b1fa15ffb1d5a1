/* parse_num.c - cv_parse_long, cv_parse_u64, cv_parse_double. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "base/parse_num.h"

/* strto* skip leading blanks and read " -1" as a huge unsigned value;
 * a number here starts with a sign or a digit. */
static int starts_number(const char *s)
{
    return s && (isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.');
}

int cv_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!starts_number(s))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return v < lo || v > hi ? 1 : 0;
}

int cv_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int cv_parse_double(const char *s, double *out)
{
    if (!starts_number(s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}
