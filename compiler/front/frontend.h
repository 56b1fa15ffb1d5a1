/* frontend.h - spec text -> checked, shape-resolved IR (lexer, parser, sema). */
#ifndef CONVC_FRONTEND_H
#define CONVC_FRONTEND_H

#include <stddef.h>
#include <stdio.h>
#include "ir.h"

/* Parse and check a model spec.  `display_path` names the text in messages
 * ("specs/x.spec", "-" for standard input, or an experiment's variant such
 * as "specs/cnn.spec.in[k=7]").  Every problem found is printed to `diag`
 * GCC-style (path:line:col: error: ..., the source line, a caret) and NULL
 * is returned; on success the IR is returned (free with ir_free) and nothing
 * is printed.  The model name defaults to the file name without directory
 * and extension; it must be a valid C identifier. */
ir_model *frontend_load_text(const char *display_path, const char *text,
                             size_t len, FILE *diag);
/* Reads the file ("-" = standard input), then frontend_load_text. */
ir_model *frontend_load_file(const char *path, FILE *diag);

#endif
