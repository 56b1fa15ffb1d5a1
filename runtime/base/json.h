/* json.h - a small JSON reader for the files the report and the runner consume
 * (and json_put_string, the one JSON string writer of the project)
 * (experiment.json from `convc run`, eval.json from `train eval --json`).
 * The whole text becomes a tree of values; lookups never fail loudly: a
 * missing key or a value of another type gives NULL or the fallback. */
#ifndef CONVC_JSON_H
#define CONVC_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "base/error.h"

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    double number;          /* JSON_NUMBER, and JSON_BOOL as 0/1 */
    char *string;           /* JSON_STRING */
    int n;                  /* JSON_ARRAY / JSON_OBJECT: entries */
    char **keys;            /* JSON_OBJECT: n keys */
    json_value **items;     /* n values */
};

/* Parses text[0..len); `name` (a file name) appears in messages, with the
 * line and column of the problem.  Free with json_free. */
json_value *json_parse(const char *name, const char *text, size_t len, cv_error *e);
/* Reads and parses a file. */
json_value *json_load(const char *path, cv_error *e);
void json_free(json_value *v);

const json_value *json_get(const json_value *obj, const char *key);
const json_value *json_at(const json_value *arr, int i);
/* The number, or fallback when v is not a number. */
double json_number(const json_value *v, double fallback);
/* The number truncated to an integer, or fallback when v is not a number in
 * range (int: INT_MIN..INT_MAX; int64: +-2^53, where doubles are exact).
 * A plain cast of an out-of-range double (1e300) is undefined behaviour. */
int json_int(const json_value *v, int fallback);
int64_t json_int64(const json_value *v, int64_t fallback);
/* The string, or NULL when v is not a string. */
const char *json_string(const json_value *v);
int json_length(const json_value *v);      /* entries of an array, else 0 */

/* Writes s as a JSON string literal (null for NULL): '"' and '\\' escaped,
 * \n \t \r as such, other control bytes as \u00XX, UTF-8 as it is. */
void json_put_string(FILE *f, const char *s);

#endif
