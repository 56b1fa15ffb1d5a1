/* parse_num.h - whole-string numbers from command lines and spec files:
 * no leading blanks, no trailing text, no overflow, finite. */
#ifndef CONVC_PARSE_NUM_H
#define CONVC_PARSE_NUM_H

#include <stdint.h>

/* s (may be NULL) as a decimal integer: 0 if it is one in lo..hi, 1 if it is
 * one outside lo..hi (*out is set either way), -1 if it is not one. */
int cv_parse_long(const char *s, long lo, long hi, long *out);
/* s as a non-negative decimal integer (no sign): 0, or -1. */
int cv_parse_u64(const char *s, uint64_t *out);
/* s as a finite number in strtod's syntax: 0, or -1. */
int cv_parse_double(const char *s, double *out);

#endif
