/* diag.h - compiler messages in the GCC format: "path:line:col: error: ...",
 * the source line, and a caret line underlining the offending text.
 * Messages are collected and printed in line order by diag_flush(), so the
 * errors of the lexer, the parser and the semantic pass read top to bottom. */
#ifndef CONVC_DIAG_H
#define CONVC_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A span of the spec text.  line == 0 means "the whole file" (no quote). */
typedef struct {
    int line;               /* 1-based */
    int col;                /* 1-based, in bytes */
    size_t offset, end;     /* [offset, end) in the text */
} src_loc;

/* At most this many errors are printed; the rest are only counted. */
#define DIAG_MAX_ERRORS 20
/* Longer source lines are not quoted. */
#define DIAG_MAX_QUOTE  1024

typedef struct diag_entry diag_entry;

typedef struct {
    FILE *out;
    const char *path;
    const char *text;
    size_t len;
    int n_errors;
    int n_warnings;         /* warnings do not fail a spec */
    diag_entry *entries;    /* kept errors, with their notes */
    int n_entries;
    src_loc last_loc;       /* where the last error was (notes there are not quoted again) */
    bool last_kept;         /* whether the last error was kept (its notes follow it) */
} diag;

void diag_init(diag *d, FILE *out, const char *path, const char *text, size_t len);

#if defined(__GNUC__)
#define DIAG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DIAG_PRINTF(f, a)
#endif

/* An error at `loc`; always counted. */
void diag_error(diag *d, src_loc loc, const char *fmt, ...) DIAG_PRINTF(3, 4);
/* A warning at `loc`: printed like an error, but the spec still compiles. */
void diag_warning(diag *d, src_loc loc, const char *fmt, ...) DIAG_PRINTF(3, 4);
/* A note that belongs to the error just reported. */
void diag_note(diag *d, src_loc loc, const char *fmt, ...) DIAG_PRINTF(3, 4);
/* Prints the collected messages in line order and forgets them. */
void diag_flush(diag *d);

/* A location that names the file but no line. */
src_loc diag_no_loc(void);

/* Length (1-4) of the valid UTF-8 sequence at s[0..n), or 0 if the bytes
 * are not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF
 * are invalid). */
size_t utf8_sequence_length(const unsigned char *s, size_t n);

#endif
