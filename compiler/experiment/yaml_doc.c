/* yaml_doc.c - loading a YAML document, locating and reading its nodes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/hash.h"
#include "experiment/experiment.h"
#include "experiment/experiment_sys.h"
#include "experiment/yaml_doc.h"

/* Where each line starts, with libyaml's line breaks (CR LF, CR, LF, NEL,
 * LS, PS) so that its marks map to bytes; a byte-order mark is not part of
 * line 1 (libyaml's columns start after it). */
static int index_lines(yaml_doc *d)
{
    const unsigned char *t = (const unsigned char *)d->text;
    size_t cap = 64;
    d->line_start = malloc(cap * sizeof *d->line_start);
    if (!d->line_start)
        return -1;
    size_t i = d->len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    d->line_start[0] = i;
    d->n_lines = 1;
    while (i < d->len) {
        size_t brk = 0;
        if (t[i] == '\r')
            brk = i + 1 < d->len && t[i + 1] == '\n' ? 2 : 1;
        else if (t[i] == '\n')
            brk = 1;
        else if (t[i] == 0xc2 && i + 1 < d->len && t[i + 1] == 0x85)
            brk = 2;
        else if (t[i] == 0xe2 && i + 2 < d->len && t[i + 1] == 0x80 &&
                 (t[i + 2] == 0xa8 || t[i + 2] == 0xa9))
            brk = 3;
        if (!brk) {
            i++;
            continue;
        }
        i += brk;
        if (d->n_lines == cap) {
            size_t *grown = realloc(d->line_start, 2 * cap * sizeof *grown);
            if (!grown)
                return -1;
            d->line_start = grown;
            cap *= 2;
        }
        d->line_start[d->n_lines++] = i;
    }
    return 0;
}

/* The byte offset of a libyaml mark: its line's start, then `column`
 * characters (libyaml counts characters, not bytes). */
static size_t mark_offset(const yaml_doc *d, yaml_mark_t m)
{
    if (!d->line_start)
        return 0;
    size_t line = m.line < d->n_lines ? m.line : d->n_lines - 1;
    size_t off = d->line_start[line];
    const unsigned char *t = (const unsigned char *)d->text;
    for (size_t c = 0; c < m.column && off < d->len && t[off] != '\n' && t[off] != '\r'; c++) {
        size_t k = t[off] >= 0x80 ? utf8_sequence_length(t + off, d->len - off) : 1;
        off += k ? k : 1;
    }
    return off;
}

/* The location of byte `offset`: its line found by bisection. */
static src_loc offset_loc(const yaml_doc *d, size_t offset)
{
    src_loc loc = diag_no_loc();
    if (!d->line_start)
        return loc;
    size_t lo = 0, hi = d->n_lines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->line_start[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    loc.line = (int)(lo + 1);
    loc.col = offset >= d->line_start[lo] ? (int)(offset - d->line_start[lo] + 1) : 1;
    loc.offset = offset;
    loc.end = offset + 1;
    return loc;
}

static src_loc span_loc(const yaml_doc *d, yaml_mark_t start, yaml_mark_t end)
{
    src_loc loc = offset_loc(d, mark_offset(d, start));
    size_t stop = mark_offset(d, end);
    loc.end = stop > loc.offset ? stop : loc.offset + 1;
    return loc;
}

src_loc yaml_node_loc(const yaml_doc *d, const yaml_node_t *n)
{
    /* A block collection ends lines later: a caret at its start says more
     * than an underline to the end of its first line. */
    if (n->end_mark.line != n->start_mark.line)
        return span_loc(d, n->start_mark, n->start_mark);
    return span_loc(d, n->start_mark, n->end_mark);
}

static void report_parser_error(yaml_doc *d, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_READER_ERROR) {
        diag_error(&d->dg, offset_loc(d, p->problem_offset), "%s (at byte %zu)", problem,
                   p->problem_offset);
        return;
    }
    src_loc loc = span_loc(d, p->problem_mark, p->problem_mark);
    if (!p->context) {
        diag_error(&d->dg, loc, "%s", problem);
        return;
    }
    diag_error(&d->dg, loc, "%s (%s at line %zu, column %zu)", problem, p->context,
               p->context_mark.line + 1, p->context_mark.column + 1);
    /* The construct that is not closed, quoted too (the error is often at the end). */
    const char *what = p->context;
    if (strncmp(what, "while parsing ", 14) == 0)
        what += 14;
    diag_note(&d->dg, span_loc(d, p->context_mark, p->context_mark), "the %s started here",
              what);
}

/* Parses d->text (already in d, with d->dg set up). */
static int parse_text(yaml_doc *d)
{
    if (index_lines(d) < 0) {
        diag_error(&d->dg, diag_no_loc(), "out of memory");
        return -1;
    }
    if (yaml_check_limits(d->text, d->len, &d->dg) < 0)
        return -1;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        diag_error(&d->dg, diag_no_loc(), "cannot initialize the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)d->text, d->len);
    int ok = yaml_parser_load(&p, &d->doc);
    if (!ok) {
        report_parser_error(d, &p);
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_parser_delete(&p);
    d->loaded = 1;
    if (!yaml_document_get_root_node(&d->doc)) {
        src_loc start = offset_loc(d, 0);
        diag_error(&d->dg, start, "the file is empty; expected a mapping with "
                   "'name' and 'models'");
        return -1;
    }
    long nodes = d->doc.nodes.top - d->doc.nodes.start;
    if (nodes > YAML_MAX_NODES) {
        diag_error(&d->dg, yaml_node_loc(d, &d->doc.nodes.start[YAML_MAX_NODES]),
                   "more than %d values in one file; an experiment needs a few dozen",
                   YAML_MAX_NODES);
        return -1;
    }
    return 0;
}

static int start(yaml_doc *d, const char *path, FILE *out)
{
    memset(d, 0, sizeof *d);
    d->path = strdup(path);
    diag_init(&d->dg, out, d->path ? d->path : path, NULL, 0);
    if (!d->path) {
        diag_error(&d->dg, diag_no_loc(), "out of memory");
        return -1;
    }
    return 0;
}

int yaml_doc_load_text(yaml_doc *d, const char *path, const char *text, size_t len,
                       FILE *out)
{
    if (start(d, path, out) < 0)
        return -1;
    d->text = malloc(len + 1);
    if (!d->text) {
        diag_error(&d->dg, diag_no_loc(), "out of memory");
        return -1;
    }
    memcpy(d->text, text, len);
    d->text[len] = '\0';
    d->len = len;
    diag_init(&d->dg, out, d->path, d->text, d->len);
    return parse_text(d);
}

int yaml_doc_load(yaml_doc *d, const char *path, FILE *out)
{
    if (start(d, path, out) < 0)
        return -1;
    const char *kind;
    d->text = sys_read_regular_file(path, YAML_MAX_BYTES, &d->len, &kind);
    if (!d->text) {
        if (kind)
            diag_error(&d->dg, diag_no_loc(), "a YAML file must be a regular file: %s is %s",
                       path, kind);
        else if (errno == EFBIG)
            diag_error(&d->dg, diag_no_loc(), "the file is larger than %u bytes; an "
                       "experiment spec is a few dozen lines", YAML_MAX_BYTES);
        else
            diag_error(&d->dg, diag_no_loc(), "cannot read: %s", strerror(errno));
        return -1;
    }
    diag_init(&d->dg, out, d->path, d->text, d->len);
    return parse_text(d);
}

void yaml_doc_free(yaml_doc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    free(d->path);
    free(d->text);
    free(d->line_start);
    memset(d, 0, sizeof *d);
}

yaml_node_t *yaml_doc_root(yaml_doc *d)
{
    return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

yaml_node_t *yaml_doc_node(yaml_doc *d, int id)
{
    return yaml_document_get_node(&d->doc, id);
}

int yaml_node_line(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }
int yaml_node_col(const yaml_node_t *n) { return (int)n->start_mark.column + 1; }

const char *yaml_scalar_text(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yaml_scalar_quoted(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE &&
           (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
            n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

const char *yaml_node_what(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:  return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: {
        const char *s = yaml_scalar_text(n);
        if (!*s)
            return "an empty value";
        char *end;
        errno = 0;
        (void)strtod(s, &end);
        if (!yaml_scalar_quoted(n) && *end == '\0')
            return "a number";
        return "a string";
    }
    default:                 return "nothing";
    }
}

long *yaml_mapping_first_keys(yaml_doc *d, const yaml_node_t *n)
{
    const yaml_node_pair_t *pairs = n->data.mapping.pairs.start;
    size_t count = (size_t)(n->data.mapping.pairs.top - pairs);
    if (count == 0)
        return NULL;
    size_t size = 16;
    while (size < 2 * count)
        size *= 2;
    long *first = malloc(count * sizeof *first);
    size_t *slot = calloc(size, sizeof *slot);     /* pair index + 1; 0: empty */
    if (!first || !slot) {
        free(first);
        free(slot);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        first[i] = -1;
        const char *key = yaml_scalar_text(yaml_doc_node(d, pairs[i].key));
        if (!key)
            continue;
        size_t h = (size_t)cv_fnv1a64(key, strlen(key)) & (size - 1);
        for (; slot[h]; h = (h + 1) & (size - 1)) {
            const char *other = yaml_scalar_text(yaml_doc_node(d, pairs[slot[h] - 1].key));
            if (strcmp(other, key) == 0) {
                first[i] = (long)(slot[h] - 1);
                break;
            }
        }
        if (!slot[h])
            slot[h] = i + 1;
    }
    free(slot);
    return first;
}
