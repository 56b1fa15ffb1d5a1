/* fuzz_json.c - libFuzzer harness for the JSON reader (runtime/base/json.c)
 * that the report reads experiment.json and eval.json with: any bytes must
 * give either an error message or a tree that every accessor walks safely. */
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
static void walk(const json_value *v, int depth)
{
    require(depth < 10000);
    (void)json_number(v, 0);
    (void)json_int(v, 0);
    (void)json_int64(v, 0);
    const char *s = json_string(v);
    require(!s || v->type == JSON_STRING);
    int n = json_length(v);
    require(n >= 0);
    for (int i = 0; i < n; i++)
        walk(json_at(v, i), depth + 1);
    if (v->type == JSON_OBJECT)
        for (int i = 0; i < v->n; i++)
            require(json_get(v, v->keys[i]) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_error e;
    e.msg[0] = '\0';
    json_value *v = json_parse("fuzz.json", (const char *)data, size, &e);
    if (!v) {
        require(e.msg[0] != '\0' && memchr(e.msg, '\0', sizeof e.msg) != NULL);
        return 0;
    }
    walk(v, 0);
    json_free(v);
    return 0;
}
