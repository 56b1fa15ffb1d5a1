/* diag.c - printing located messages with the quoted source line. */
#include "front/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

struct diag_entry {
    int line;
    cv_buf text;            /* the error and its notes, ready to print */
};

void diag_init(diag *d, FILE *out, const char *path, const char *text, size_t len)
{
    d->out = out;
    d->path = path;
    d->text = text;
    d->len = len;
    d->n_errors = 0;
    d->n_warnings = 0;
    d->entries = NULL;
    d->n_entries = 0;
    d->last_kept = false;
    d->last_loc = diag_no_loc();
}

src_loc diag_no_loc(void)
{
    src_loc loc = { 0, 0, 0, 0 };
    return loc;
}

size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;           /* smallest code point this length may encode */
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2; min = 0x80; cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3; min = 0x800; cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4; min = 0x10000; cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Prints the line holding `loc` and a caret line under [offset, end). */
static void quote_source(const diag *d, FILE *out, src_loc loc)
{
    if (!d->text || loc.offset > d->len)
        return;
    size_t start = loc.offset;
    while (start > 0 && d->text[start - 1] != '\n')
        start--;
    size_t stop = loc.offset;
    while (stop < d->len && d->text[stop] != '\n')
        stop++;
    if (stop > start && d->text[stop - 1] == '\r')
        stop--;
    if (stop - start > DIAG_MAX_QUOTE || loc.offset > stop)
        return;

    const unsigned char *line = (const unsigned char *)d->text + start;
    size_t n = stop - start, caret = loc.offset - start;
    fputc(' ', out);
    for (size_t i = 0; i < n;) {
        size_t k = line[i] >= 0x80 ? utf8_sequence_length(line + i, n - i) : 1;
        if (line[i] == '\t' || (line[i] >= 0x20 && line[i] < 0x7f))
            fputc(line[i], out);
        else if (k > 1)
            fwrite(line + i, 1, k, out);
        else
            fputc('?', out);     /* never copy control or invalid bytes */
        i += k ? k : 1;
    }
    fputc('\n', out);

    /* One column per character, so the caret lines up under UTF-8 text. */
    fputc(' ', out);
    for (size_t i = 0; i < caret;) {
        size_t k = line[i] >= 0x80 ? utf8_sequence_length(line + i, n - i) : 1;
        fputc(line[i] == '\t' ? '\t' : ' ', out);
        i += k ? k : 1;
    }
    fputc('^', out);
    size_t end = loc.end < start + n ? loc.end : start + n;
    for (size_t i = loc.offset + 1; i < end; i++)
        fputc('~', out);
    fputc('\n', out);
}

static void format(const diag *d, FILE *out, src_loc loc, bool quote, const char *kind,
                   const char *fmt, va_list ap) DIAG_PRINTF(6, 0);

static void format(const diag *d, FILE *out, src_loc loc, bool quote, const char *kind,
                   const char *fmt, va_list ap)
{
    if (loc.line > 0)
        fprintf(out, "%s:%d:%d: %s: ", d->path, loc.line, loc.col, kind);
    else
        fprintf(out, "%s: %s: ", d->path, kind);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    if (loc.line > 0 && quote)
        quote_source(d, out, loc);
}

/* Appends a formatted message to `e`; false when out of memory. */
static bool append(const diag *d, diag_entry *e, src_loc loc, bool quote, const char *kind,
                   const char *fmt, va_list ap) DIAG_PRINTF(6, 0);

static bool append(const diag *d, diag_entry *e, src_loc loc, bool quote, const char *kind,
                   const char *fmt, va_list ap)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return false;
    format(d, out, loc, quote, kind, fmt, ap);
    if (fclose(out) != 0) {
        free(buf);
        return false;
    }
    buf_add(&e->text, buf, len);
    free(buf);
    return !e->text.oom;
}

/* Keeps an error or a warning (with the notes that follow it). */
static void add_entry(diag *d, src_loc loc, const char *kind, const char *fmt, va_list ap)
    DIAG_PRINTF(4, 0);

static void add_entry(diag *d, src_loc loc, const char *kind, const char *fmt, va_list ap)
{
    d->last_loc = loc;
    d->last_kept = false;
    if (d->n_entries >= DIAG_MAX_ERRORS)
        return;
    diag_entry *grown = realloc(d->entries, (size_t)(d->n_entries + 1) * sizeof *grown);
    if (!grown)
        return;
    d->entries = grown;
    diag_entry *e = &d->entries[d->n_entries];
    e->line = loc.line;
    e->text = (cv_buf){ 0 };
    if (append(d, e, loc, true, kind, fmt, ap)) {
        d->n_entries++;
        d->last_kept = true;
    } else {
        buf_free(&e->text);
    }
}

void diag_error(diag *d, src_loc loc, const char *fmt, ...)
{
    d->n_errors++;
    va_list ap;
    va_start(ap, fmt);
    add_entry(d, loc, "error", fmt, ap);
    va_end(ap);
}

void diag_warning(diag *d, src_loc loc, const char *fmt, ...)
{
    d->n_warnings++;
    va_list ap;
    va_start(ap, fmt);
    add_entry(d, loc, "warning", fmt, ap);
    va_end(ap);
}

void diag_note(diag *d, src_loc loc, const char *fmt, ...)
{
    if (!d->last_kept)
        return;
    bool same_place = loc.offset == d->last_loc.offset && loc.end == d->last_loc.end
                      && loc.line == d->last_loc.line;
    va_list ap;
    va_start(ap, fmt);
    append(d, &d->entries[d->n_entries - 1], loc, !same_place, "note", fmt, ap);
    va_end(ap);
}

void diag_flush(diag *d)
{
    /* Insertion sort by line: stable, and the list is short and nearly sorted. */
    for (int i = 1; i < d->n_entries; i++) {
        diag_entry e = d->entries[i];
        int j = i;
        for (; j > 0 && d->entries[j - 1].line > e.line; j--)
            d->entries[j] = d->entries[j - 1];
        d->entries[j] = e;
    }
    for (int i = 0; i < d->n_entries; i++) {
        fwrite(d->entries[i].text.data, 1, d->entries[i].text.len, d->out);
        buf_free(&d->entries[i].text);
    }
    if (d->n_errors + d->n_warnings > d->n_entries && d->n_entries > 0)
        fprintf(d->out, "%s: note: %d more errors not shown\n", d->path,
                d->n_errors + d->n_warnings - d->n_entries);
    free(d->entries);
    d->entries = NULL;
    d->n_entries = 0;
    d->last_kept = false;
}
