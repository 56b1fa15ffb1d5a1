/* yaml_doc.h - a YAML file loaded with libyaml's document API, plus the few
 * helpers a schema reader needs: node lookup, scalar text and positions.
 * Every message about the file goes through its diag (front/diag.h), so a
 * YAML error reads like a spec error: path:line:col, the source line and a
 * caret under the offending text.
 *
 *   yaml_doc.c     reading, parsing, node helpers, duplicate keys
 *   yaml_limits.c  the size and nesting bounds checked before libyaml runs */
#ifndef CONVC_YAML_DOC_H
#define CONVC_YAML_DOC_H

#include <stddef.h>
#include <stdio.h>
#include <yaml.h>
#include "front/diag.h"

/* libyaml takes time quadratic in the flow nesting depth, and a schema
 * reader has no use for more than a few levels or a large file, so text
 * beyond these bounds is refused before libyaml sees it. */
#define YAML_MAX_BYTES (1u << 20)
#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 250000

typedef struct {
    char *path;             /* as given, for messages */
    char *text;             /* the whole file, NUL-terminated; messages quote it */
    size_t len;
    size_t *line_start;     /* byte offset of each line, as libyaml counts lines */
    size_t n_lines;
    diag dg;                /* every message about this file, printed by diag_flush */
    yaml_document_t doc;
    int loaded;
} yaml_doc;

/* Reads `path` (a regular file of at most YAML_MAX_BYTES) and loads its first
 * document.  Messages are collected in d->dg (printed to `out` by
 * diag_flush(&d->dg)); returns -1 on a read, limit or syntax error or an
 * empty file. */
int yaml_doc_load(yaml_doc *d, const char *path, FILE *out);
/* The same on a copy of text[0..len); `path` names it in messages. */
int yaml_doc_load_text(yaml_doc *d, const char *path, const char *text, size_t len,
                       FILE *out);
/* Frees everything but prints nothing: flush d->dg first. */
void yaml_doc_free(yaml_doc *d);

yaml_node_t *yaml_doc_root(yaml_doc *d);
yaml_node_t *yaml_doc_node(yaml_doc *d, int id);
/* 1-based line and column where the node starts. */
int yaml_node_line(const yaml_node_t *n);
int yaml_node_col(const yaml_node_t *n);
/* The node's span in d->text, for diag_error (column in bytes). */
src_loc yaml_node_loc(const yaml_doc *d, const yaml_node_t *n);
/* The text of a scalar node (NUL-terminated by libyaml), NULL otherwise. */
const char *yaml_scalar_text(const yaml_node_t *n);
/* 1 if a scalar was written with quotes (a string, never a number). */
int yaml_scalar_quoted(const yaml_node_t *n);
/* "a mapping", "a sequence", "a string", "a number" ... for messages. */
const char *yaml_node_what(const yaml_node_t *n);

/* For each pair of mapping n (in order), the index of the first earlier
 * pair with the same scalar key, or -1: linear time, through a hash set.
 * Caller frees; NULL when out of memory or the mapping is empty. */
long *yaml_mapping_first_keys(yaml_doc *d, const yaml_node_t *n);

/* ---- yaml_limits.c ---------------------------------------------------------- */

/* Scans text[0..len) once and reports to dg, at the place it happens, the
 * first flow or block nesting deeper than YAML_MAX_DEPTH; also refuses text
 * longer than YAML_MAX_BYTES.  0 or -1. */
int yaml_check_limits(const char *text, size_t len, diag *dg);

#endif
