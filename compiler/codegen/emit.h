/* emit.h - a C text writer: lines with automatic indentation, collected in
 * memory so that a generator can finish (or fail) before anything is written. */
#ifndef CONVC_EMIT_H
#define CONVC_EMIT_H

#include <stddef.h>
#include "base/buf.h"

typedef struct {
    cv_buf out;         /* the text so far; out.oom: every later call is ignored */
    int depth;          /* current indentation level (4 spaces each) */
} emitter;

void emit_init(emitter *e);
void emit_free(emitter *e);
/* The text (caller frees), or NULL when memory ran out; e is empty after. */
char *emit_take(emitter *e);

#if defined(__GNUC__)
#define EMIT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EMIT_PRINTF(a, b)
#endif

/* One line at the current indentation. */
void emit_line(emitter *e, const char *fmt, ...) EMIT_PRINTF(2, 3);
/* A function definition's signature, "{" on the next line, then indent. */
void emit_open_fn(emitter *e, const char *fmt, ...) EMIT_PRINTF(2, 3);
/* A line ending in " {", then indent. */
void emit_open(emitter *e, const char *fmt, ...) EMIT_PRINTF(2, 3);
/* Dedent, then "}" followed by `tail` (e.g. "" or ";" or " else {"). */
void emit_close(emitter *e, const char *tail);
/* An empty line. */
void emit_blank(emitter *e);
/* Raw text, no indentation or newline added. */
void emit_raw(emitter *e, const char *fmt, ...) EMIT_PRINTF(2, 3);
/* A section banner comment. */
void emit_banner(emitter *e, const char *title);

/* Exact float literal: "0x1.8p-3f"-style hex float, valid C99. */
void emit_format_float(char *buf, size_t size, float v);

#endif
