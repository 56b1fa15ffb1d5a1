/* json.h - JSON through jansson (libjansson), for the files the report and the
 * runner exchange: experiment.json from `convc run`, eval.json from `train
 * eval --json`, results.json from the report.  Reading gives a jansson tree
 * (json_t, freed with json_decref) and messages with the file, line and
 * column; lookups are jansson's own (json_object_get, json_array_get,
 * json_string_value, json_array_size), which take NULL or a value of another
 * type and give NULL or 0, so a missing key never fails loudly.  Documents
 * are built with json_pack and written with json_dumps. */
#ifndef CONVC_JSON_H
#define CONVC_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "base/error.h"

/* Parses text[0..len) (any JSON value at the top; every number a double;
 * a key twice in one object is an error); `name` (a file name) starts the
 * message, "name:line:column: invalid JSON: ...". */
json_t *cv_json_parse(const char *name, const char *text, size_t len, cv_error *e);
/* Reads and parses a file. */
json_t *cv_json_load(const char *path, cv_error *e);

/* The number, or fallback when v is not a number. */
double cv_json_number(const json_t *v, double fallback);
/* The number truncated to an integer, or fallback when v is not a number in
 * range (int: INT_MIN..INT_MAX; int64: +-2^53, where doubles are exact).
 * A plain cast of an out-of-range double (1e300) is undefined behaviour. */
int cv_json_int(const json_t *v, int fallback);
int64_t cv_json_int64(const json_t *v, int64_t fallback);

/* v rounded to `decimals` places as a JSON number, or null when v is NaN or
 * infinite (JSON has neither); for json_pack's "o". */
json_t *cv_json_real(double v, int decimals);
/* The text of a document built with json_pack (which returns NULL on any
 * failure, reported here with jansson's reason): `flags` of json_dumps
 * (JSON_INDENT(n), JSON_COMPACT, JSON_REAL_PRECISION(n); without it 15
 * significant digits, so that rounded doubles print as such), a final
 * newline.  Takes the
 * reference to doc.  Caller frees; NULL with a message naming `path`. */
char *cv_json_text(json_t *doc, const json_error_t *pack_error, size_t flags,
                   const char *path, cv_error *e);

#endif
