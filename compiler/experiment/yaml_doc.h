/* yaml_doc.h - a YAML file loaded with libyaml's document API, plus the few
 * helpers a schema reader needs: node lookup, scalar text and positions.
 * Positions are 1-based (libyaml's marks are 0-based). */
#ifndef CONVC_YAML_DOC_H
#define CONVC_YAML_DOC_H

#include <stddef.h>
#include <stdio.h>
#include <yaml.h>

typedef struct {
    char *path;             /* as given, for messages */
    yaml_document_t doc;
    int loaded;
} yaml_doc;

/* Loads the first document of `path`.  On a read or syntax error prints
 * "path:line:col: error: <problem>" (and libyaml's context) to diag and
 * returns -1; an empty file is an error too. */
int yaml_doc_load(yaml_doc *d, const char *path, FILE *diag);
/* The same on text in memory; `path` names it in messages. */
int yaml_doc_load_text(yaml_doc *d, const char *path, const char *text, size_t len,
                       FILE *diag);
void yaml_doc_free(yaml_doc *d);

yaml_node_t *yaml_doc_root(yaml_doc *d);
yaml_node_t *yaml_doc_node(yaml_doc *d, int id);
/* 1-based line and column where the node starts. */
int yaml_node_line(const yaml_node_t *n);
int yaml_node_col(const yaml_node_t *n);
/* The text of a scalar node (NUL-terminated by libyaml), NULL otherwise. */
const char *yaml_scalar_text(const yaml_node_t *n);
/* 1 if a scalar was written with quotes (a string, never a number). */
int yaml_scalar_quoted(const yaml_node_t *n);
/* "a mapping", "a sequence", "a string", "a number" ... for messages. */
const char *yaml_node_what(const yaml_node_t *n);

#endif
