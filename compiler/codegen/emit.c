/* emit.c - indented C text into a growable buffer. */
#include "codegen/emit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void emit_init(emitter *e)
{
    memset(e, 0, sizeof *e);
}

void emit_free(emitter *e)
{
    free(e->text);
    memset(e, 0, sizeof *e);
}

static void append_v(emitter *e, const char *fmt, va_list ap) EMIT_PRINTF(2, 0);
static void append_v(emitter *e, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    if (e->failed)
        return;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        e->failed = 1;
        return;
    }
    if (e->len + (size_t)n + 1 > e->cap) {
        size_t cap = e->cap ? e->cap : 4096;
        char *t;
        while (cap < e->len + (size_t)n + 1)
            cap *= 2;
        t = realloc(e->text, cap);
        if (!t) {
            e->failed = 1;
            return;
        }
        e->text = t;
        e->cap = cap;
    }
    vsnprintf(e->text + e->len, (size_t)n + 1, fmt, ap);
    e->len += (size_t)n;
}

static void append(emitter *e, const char *fmt, ...) EMIT_PRINTF(2, 3);
static void append(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_v(e, fmt, ap);
    va_end(ap);
}

static void indent_line(emitter *e, const char *fmt, va_list ap, const char *tail)
    EMIT_PRINTF(2, 0);
static void indent_line(emitter *e, const char *fmt, va_list ap, const char *tail)
{
    append(e, "%*s", e->depth * 4, "");
    append_v(e, fmt, ap);
    append(e, "%s\n", tail);
}

void emit_line(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    indent_line(e, fmt, ap, "");
    va_end(ap);
}

void emit_open(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    indent_line(e, fmt, ap, " {");
    va_end(ap);
    e->depth++;
}

void emit_open_fn(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    indent_line(e, fmt, ap, "");
    va_end(ap);
    append(e, "%*s{\n", e->depth * 4, "");
    e->depth++;
}

void emit_close(emitter *e, const char *tail)
{
    if (e->depth > 0)
        e->depth--;
    append(e, "%*s}%s\n", e->depth * 4, "", tail);
}

void emit_blank(emitter *e)
{
    append(e, "\n");
}

void emit_raw(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_v(e, fmt, ap);
    va_end(ap);
}

void emit_banner(emitter *e, const char *title)
{
    emit_blank(e);
    emit_line(e, "/* ==== %s %.*s */", title,
              (int)(70 - (strlen(title) < 60 ? strlen(title) : 60)),
              "==========================================================================");
}

void emit_format_float(char *buf, size_t size, float v)
{
    /* %a of the exactly converted double is exact; "f" keeps it a float.
     * Non-finite weights cannot be written as literals: checked by callers. */
    if (v == 0.0f)
        snprintf(buf, size, "%s0.0f", signbit(v) ? "-" : "");
    else
        snprintf(buf, size, "%af", (double)v);
}
