/* sema.h - the semantic pass: AST -> checked, shape-resolved IR.  Resolves
 * every default, infers every shape, counts parameters and FLOPs, and
 * rejects (with located messages) whatever cannot be compiled. */
#ifndef CONVC_SEMA_H
#define CONVC_SEMA_H

#include <stdbool.h>
#include "front/ast.h"
#include "front/diag.h"
#include "ir.h"

/* Builds the IR of `spec`.  `default_name` is used when the spec has no
 * `model` statement.  On any error, reports it to `d` and returns NULL. */
ir_model *sema_build(const ast_spec *spec, diag *d, const char *spec_path,
                     const char *default_name);

/* After syntax errors: reports what is wrong inside each statement that did
 * parse (unknown statements and options, bad values), but nothing that
 * depends on the statements around it (shapes, order). */
void sema_check_statements(const ast_spec *spec, diag *d);

/* Whether `name` may name a model: a C identifier of at most IR_MAX_NAME
 * bytes that starts with a letter, is not a C or C++ keyword and is clear of
 * the runtime's prefixes (front/names.h). */
bool sema_valid_model_name(const char *name);

/* Levenshtein distance between two short words, ignoring case. */
int sema_edit_distance(const char *a, const char *b);

/* The first of cands closest to `word` if it is close enough to be a typo
 * (at most len/3 + 1 edits, and at most max_distance), else NULL. */
const char *sema_closest(const char *word, const char *const *cands, int n, int max_distance);

#endif
