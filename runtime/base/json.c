/* json.c - recursive-descent JSON reader. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/files.h"
#include "base/json.h"

#define JSON_MAX_DEPTH 64

typedef struct {
    const char *name, *p, *start, *end;
    cv_error *e;
    int failed;
} json_reader;

static int fail_at(json_reader *r, const char *what)
{
    if (r->failed)
        return -1;
    int line = 1, col = 1;
    for (const char *q = r->start; q < r->p && q < r->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    r->failed = 1;
    return cv_fail(r->e, "%s:%d:%d: invalid JSON: %s", r->name, line, col, what);
}

static void skip_space(json_reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static json_value *new_value(json_reader *r, json_type t)
{
    json_value *v = calloc(1, sizeof *v);
    if (!v)
        fail_at(r, "out of memory");
    else
        v->type = t;
    return v;
}

static int append(json_reader *r, json_value *v, char *key, json_value *item)
{
    json_value **items = realloc(v->items, sizeof *items * (size_t)(v->n + 1));
    if (!items)
        return fail_at(r, "out of memory");
    v->items = items;
    if (v->type == JSON_OBJECT) {
        char **keys = realloc(v->keys, sizeof *keys * (size_t)(v->n + 1));
        if (!keys)
            return fail_at(r, "out of memory");
        v->keys = keys;
        v->keys[v->n] = key;
    }
    v->items[v->n++] = item;
    return 0;
}

static void put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* At the opening quote; returns a new string (escapes resolved). */
static char *parse_string(json_reader *r)
{
    r->p++;
    const char *s = r->p;
    while (r->p < r->end && *r->p != '"') {
        if (*r->p == '\\')
            r->p++;
        r->p++;
    }
    if (r->p >= r->end) {
        fail_at(r, "unterminated string");
        return NULL;
    }
    size_t len = (size_t)(r->p - s), n = 0;
    char *out = malloc(len * 3 + 1);
    if (!out) {
        fail_at(r, "out of memory");
        return NULL;
    }
    for (const char *q = s; q < r->p; q++) {
        if (*q != '\\') {
            out[n++] = *q;
            continue;
        }
        q++;
        switch (*q) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'u': {
            unsigned cp = 0;
            int k = 0;
            for (; k < 4 && q + 1 < r->p; k++) {
                char c = *++q;
                cp = cp * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' :
                                          c >= 'a' && c <= 'f' ? c - 'a' + 10 :
                                          c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0);
            }
            put_utf8(out, &n, cp);
            break;
        }
        default: out[n++] = *q; break;
        }
    }
    out[n] = '\0';
    r->p++;
    return out;
}

static json_value *parse_value(json_reader *r, int depth);

static json_value *parse_container(json_reader *r, int depth, int object)
{
    json_value *v = new_value(r, object ? JSON_OBJECT : JSON_ARRAY);
    if (!v)
        return NULL;
    char close = object ? '}' : ']';
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        if (object) {
            skip_space(r);
            if (r->p >= r->end || *r->p != '"') {
                fail_at(r, "expected a string key");
                break;
            }
            key = parse_string(r);
            if (!key)
                break;
            skip_space(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                fail_at(r, "expected ':' after a key");
                break;
            }
            r->p++;
        }
        json_value *item = parse_value(r, depth + 1);
        if (!item || append(r, v, key, item) < 0) {
            free(key);
            json_free(item);
            break;
        }
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return v;
        }
        fail_at(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    json_free(v);
    return NULL;
}

static json_value *parse_value(json_reader *r, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail_at(r, "nested too deeply");
        return NULL;
    }
    skip_space(r);
    if (r->p >= r->end) {
        fail_at(r, "unexpected end of input");
        return NULL;
    }
    char c = *r->p;
    if (c == '{' || c == '[')
        return parse_container(r, depth, c == '{');
    if (c == '"') {
        char *s = parse_string(r);
        if (!s)
            return NULL;
        json_value *v = new_value(r, JSON_STRING);
        if (!v) {
            free(s);
            return NULL;
        }
        v->string = s;
        return v;
    }
    static const struct { const char *word; json_type t; double num; } words[] = {
        {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[i].word, n) == 0) {
            r->p += n;
            json_value *v = new_value(r, words[i].t);
            if (v)
                v->number = words[i].num;
            return v;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char buf[64];
        size_t n = 0;
        while (r->p + n < r->end && n < sizeof buf - 1 && strchr("+-.eE0123456789", r->p[n]))
            n++;
        memcpy(buf, r->p, n);
        buf[n] = '\0';
        char *endp;
        errno = 0;
        double d = strtod(buf, &endp);
        if (endp != buf + n || n == 0) {
            fail_at(r, "malformed number");
            return NULL;
        }
        r->p += n;
        json_value *v = new_value(r, JSON_NUMBER);
        if (v)
            v->number = d;
        return v;
    }
    fail_at(r, "unexpected character");
    return NULL;
}

json_value *json_parse(const char *name, const char *text, size_t len, cv_error *e)
{
    json_reader r = {.name = name, .p = text, .start = text, .end = text + len, .e = e};
    json_value *v = parse_value(&r, 0);
    if (!v)
        return NULL;
    skip_space(&r);
    if (r.p != r.end) {
        fail_at(&r, "unexpected text after the value");
        json_free(v);
        return NULL;
    }
    return v;
}

json_value *json_load(const char *path, cv_error *e)
{
    size_t n;
    char *buf = cv_read_file(path, 0, &n, e);
    if (!buf)
        return NULL;
    json_value *v = json_parse(path, buf, n, e);
    free(buf);
    return v;
}

void json_free(json_value *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n; i++) {
        if (v->keys)
            free(v->keys[i]);
        json_free(v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v->string);
    free(v);
}

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (int i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

const json_value *json_at(const json_value *arr, int i)
{
    if (!arr || arr->type != JSON_ARRAY || i < 0 || i >= arr->n)
        return NULL;
    return arr->items[i];
}

double json_number(const json_value *v, double fallback)
{
    return v && v->type == JSON_NUMBER ? v->number : fallback;
}

int json_int(const json_value *v, int fallback)
{
    double x = json_number(v, NAN);
    return x >= INT_MIN && x <= INT_MAX ? (int)x : fallback;
}

int64_t json_int64(const json_value *v, int64_t fallback)
{
    const double limit = 9007199254740992.0;    /* 2^53 */
    double x = json_number(v, NAN);
    return x >= -limit && x <= limit ? (int64_t)x : fallback;
}

const char *json_string(const json_value *v)
{
    return v && v->type == JSON_STRING ? v->string : NULL;
}

int json_length(const json_value *v)
{
    return v && v->type == JSON_ARRAY ? v->n : 0;
}

void json_put_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':  fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}
