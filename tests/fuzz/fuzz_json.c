/* fuzz_json.c - libFuzzer harness for the JSON reader (runtime/base/json.c,
 * jansson underneath) that the report reads experiment.json and eval.json
 * with: any bytes must give either an error message or a tree that every
 * accessor the report uses walks safely. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok)
        abort();
}

/* Visits every value with the accessors the report uses. */
static void walk(const json_t *v, int depth)
{
    const char *key;
    json_t *item;
    require(depth < 10000);
    (void)cv_json_number(v, 0);
    (void)cv_json_int(v, 0);
    (void)cv_json_int64(v, 0);
    const char *s = json_string_value(v);
    require(!s || json_is_string(v));
    require(!json_is_integer(v));       /* every number is read as a double */
    int n = (int)json_array_size(v);
    require(n >= 0);
    for (int i = 0; i < n; i++)
        walk(json_array_get(v, (size_t)i), depth + 1);
    json_object_foreach((json_t *)v, key, item) {
        require(json_object_get(v, key) == item);
        walk(item, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_error e;
    e.msg[0] = '\0';
    json_t *v = cv_json_parse("fuzz.json", (const char *)data, size, &e);
    if (!v) {
        require(e.msg[0] != '\0' && memchr(e.msg, '\0', sizeof e.msg) != NULL);
        return 0;
    }
    walk(v, 0);
    json_decref(v);
    return 0;
}
