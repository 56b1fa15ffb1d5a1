/* yaml_limits.c - one pass over YAML text, before libyaml parses it, that
 * bounds its size and nesting depth: libyaml's time grows with the square of
 * the flow depth ("[[[[" 100k deep takes minutes), and no experiment nests
 * more than a few levels.
 *
 * The scan follows just enough of YAML to count levels: flow brackets where
 * a value starts (or anywhere inside a flow collection), block levels by
 * indentation and "- " / "? " entries, and it skips comments, quoted
 * scalars and block scalars (| and >), whose text may hold brackets. */
#include <string.h>
#include "experiment/yaml_doc.h"

typedef struct {
    const char *t;
    size_t len, i;
    int line;
    size_t line_start;
    int flow;                           /* open [ and { */
    int n_block;                        /* block levels: indents[0..n_block) */
    size_t indents[YAML_MAX_DEPTH + 1];
    diag *dg;
} scan;

static src_loc here(const scan *s)
{
    src_loc loc = {s->line, (int)(s->i - s->line_start + 1), s->i, s->i + 1};
    return loc;
}

static int too_deep(scan *s)
{
    if (s->flow + s->n_block <= YAML_MAX_DEPTH)
        return 0;
    diag_error(s->dg, here(s), "nested more than %d levels deep; an experiment needs a few",
               YAML_MAX_DEPTH);
    return 1;
}

static void newline(scan *s)
{
    s->i++;
    s->line++;
    s->line_start = s->i;
}

/* One block level at column `col`: the levels at or right of it end. */
static int block_level(scan *s, size_t col)
{
    while (s->n_block > 0 && s->indents[s->n_block - 1] >= col)
        s->n_block--;
    s->indents[s->n_block++] = col;
    return too_deep(s);
}

/* Skips a quoted scalar starting at s->i (its quote); it may span lines. */
static void skip_quoted(scan *s)
{
    char q = s->t[s->i++];
    while (s->i < s->len) {
        char c = s->t[s->i];
        if (c == '\n') {
            newline(s);
        } else if (q == '"' && c == '\\' && s->i + 1 < s->len && s->t[s->i + 1] != '\n') {
            s->i += 2;
        } else if (c == q && q == '\'' && s->i + 1 < s->len && s->t[s->i + 1] == '\'') {
            s->i += 2;
        } else {
            s->i++;
            if (c == q)
                return;
        }
    }
}

/* The indentation of the line starting at s->i, or -1 for a blank or
 * comment-only line. */
static long indentation(const scan *s)
{
    size_t j = s->i;
    while (j < s->len && s->t[j] == ' ')
        j++;
    if (j >= s->len || s->t[j] == '\n' || s->t[j] == '\r' || s->t[j] == '#')
        return -1;
    return (long)(j - s->i);
}

static void skip_line(scan *s)
{
    while (s->i < s->len && s->t[s->i] != '\n')
        s->i++;
}

int yaml_check_limits(const char *text, size_t len, diag *dg)
{
    if (len > YAML_MAX_BYTES) {
        diag_error(dg, diag_no_loc(), "the text is larger than %u bytes; an experiment spec "
                   "is a few dozen lines", YAML_MAX_BYTES);
        return -1;
    }
    scan s = {.t = text, .len = len, .line = 1, .dg = dg};
    long block_scalar = -1;     /* indentation of the line that opened | or >, or -1 */
    while (s.i < s.len) {
        /* A line in block context: its indentation sets the block level. */
        if (s.flow == 0) {
            long ind = indentation(&s);
            if (ind < 0 || (block_scalar >= 0 && ind > block_scalar)) {
                skip_line(&s);
                if (s.i < s.len)
                    newline(&s);
                continue;
            }
            block_scalar = -1;
            s.i += (size_t)ind;
            if (block_level(&s, (size_t)ind))
                return -1;
            /* "- - x" and "? x" open a level each on the same line. */
            while (s.i + 1 < s.len && (s.t[s.i] == '-' || s.t[s.i] == '?') &&
                   (s.t[s.i + 1] == ' ' || s.t[s.i + 1] == '\t')) {
                s.i += 2;
                while (s.i < s.len && (s.t[s.i] == ' ' || s.t[s.i] == '\t'))
                    s.i++;
                if (block_level(&s, s.i - s.line_start))
                    return -1;
            }
        }
        /* The rest of the line (in flow context, up to its end). */
        char prev = ':';        /* the last non-blank character: a value may start after it */
        while (s.i < s.len && s.t[s.i] != '\n') {
            char c = s.t[s.i];
            int value_start = prev == ':' || prev == '-' || prev == ',' || prev == '[' ||
                              prev == '{' || prev == '?';
            if (c == '#' && (s.i == s.line_start || s.t[s.i - 1] == ' ' || s.t[s.i - 1] == '\t')) {
                skip_line(&s);
                break;
            }
            if ((c == '\'' || c == '"') && value_start) {
                skip_quoted(&s);
                prev = 'q';
                continue;
            }
            if ((c == '[' || c == '{') && (value_start || s.flow > 0)) {
                s.flow++;
                if (too_deep(&s))
                    return -1;
            } else if ((c == ']' || c == '}') && s.flow > 0) {
                s.flow--;
            } else if ((c == '|' || c == '>') && value_start && s.flow == 0) {
                size_t j = s.line_start;
                while (s.t[j] == ' ')
                    j++;
                block_scalar = (long)(j - s.line_start);
                skip_line(&s);
                break;
            }
            if (c != ' ' && c != '\t' && c != '\r')
                prev = c;
            s.i++;
        }
        if (s.i < s.len)
            newline(&s);
    }
    return 0;
}
