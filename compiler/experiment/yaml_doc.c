/* yaml_doc.c - loading a YAML document and reading its nodes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/files.h"
#include "experiment/yaml_doc.h"

static void report_parser_error(const yaml_parser_t *p, const char *path, FILE *diag)
{
    const char *problem = p->problem ? p->problem : "malformed YAML";
    size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR) {
        fprintf(diag, "%s: error: %s (at byte %zu)\n", path, problem, p->problem_offset);
        return;
    }
    fprintf(diag, "%s:%zu:%zu: error: %s", path, line, col, problem);
    if (p->context)
        fprintf(diag, " (%s at line %zu, column %zu)", p->context,
                p->context_mark.line + 1, p->context_mark.column + 1);
    fputc('\n', diag);
}

int yaml_doc_load_text(yaml_doc *d, const char *path, const char *text, size_t len,
                       FILE *diag)
{
    memset(d, 0, sizeof *d);
    d->path = strdup(path);
    if (!d->path) {
        fprintf(diag, "%s: error: out of memory\n", path);
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fprintf(diag, "%s: error: cannot initialize the YAML parser\n", path);
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int ok = yaml_parser_load(&p, &d->doc);
    if (!ok) {
        report_parser_error(&p, path, diag);
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_parser_delete(&p);
    d->loaded = 1;
    if (!yaml_document_get_root_node(&d->doc)) {
        fprintf(diag, "%s:1:1: error: the file is empty; expected a mapping with "
                "'name' and 'models'\n", path);
        return -1;
    }
    return 0;
}

int yaml_doc_load(yaml_doc *d, const char *path, FILE *diag)
{
    memset(d, 0, sizeof *d);
    size_t len;
    char *buf = cv_read_file(path, 0, &len, NULL);
    if (!buf) {
        fprintf(diag, "%s: error: cannot read: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = yaml_doc_load_text(d, path, buf, len, diag);
    free(buf);
    return rc;
}

void yaml_doc_free(yaml_doc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    free(d->path);
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
