/* json.c - the project's few additions to jansson: located messages, numbers
 * with fallbacks and range checks, and document text. */
#include "base/json.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/files.h"

json_t *cv_json_parse(const char *name, const char *text, size_t len, cv_error *e)
{
    json_error_t err;
    json_t *v = json_loadb(text, len,
                           JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES,
                           &err);
    if (v)
        return v;
    if (err.line > 0)
        cv_fail(e, "%s:%d:%d: invalid JSON: %s", name, err.line, err.column, err.text);
    else
        cv_fail(e, "%s: invalid JSON: %s", name, err.text);
    return NULL;
}

json_t *cv_json_load(const char *path, cv_error *e)
{
    size_t n;
    char *buf = cv_read_file(path, 0, &n, e);
    if (!buf)
        return NULL;
    json_t *v = cv_json_parse(path, buf, n, e);
    free(buf);
    return v;
}

double cv_json_number(const json_t *v, double fallback)
{
    return json_is_number(v) ? json_number_value(v) : fallback;
}

int cv_json_int(const json_t *v, int fallback)
{
    double x = cv_json_number(v, NAN);
    return x >= INT_MIN && x <= INT_MAX ? (int)x : fallback;
}

int64_t cv_json_int64(const json_t *v, int64_t fallback)
{
    const double limit = 9007199254740992.0;    /* 2^53 */
    double x = cv_json_number(v, NAN);
    return x >= -limit && x <= limit ? (int64_t)x : fallback;
}

json_t *cv_json_real(double v, int decimals)
{
    if (!isfinite(v))
        return json_null();
    double scale = pow(10, decimals), r = round(v * scale) / scale;
    return json_real(isfinite(r) ? r : v);
}

char *cv_json_text(json_t *doc, const json_error_t *pack_error, size_t flags,
                   const char *path, cv_error *e)
{
    if (!doc) {
        cv_fail(e, "%s: cannot write: %s", path, pack_error->text);
        return NULL;
    }
    if (!(flags & JSON_REAL_PRECISION(31)))
        flags |= JSON_REAL_PRECISION(15);
    char *text = json_dumps(doc, flags);
    json_decref(doc);
    size_t len = text ? strlen(text) : 0;
    char *line = text ? realloc(text, len + 2) : NULL;
    if (!line) {
        free(text);
        cv_fail(e, "%s: cannot write: out of memory", path);
        return NULL;
    }
    memcpy(line + len, "\n", 2);
    return line;
}
