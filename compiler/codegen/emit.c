/* emit.c - indented C text into the one growable buffer (base/buf.h). */
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
    buf_free(&e->out);
    memset(e, 0, sizeof *e);
}

char *emit_take(emitter *e)
{
    char *text = buf_take(&e->out, NULL);
    memset(e, 0, sizeof *e);
    return text;
}

static void append_v(emitter *e, const char *fmt, va_list ap) EMIT_PRINTF(2, 0);
static void append_v(emitter *e, const char *fmt, va_list ap)
{
    buf_vprintf(&e->out, fmt, ap);
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
