/* gen_export.h - the standalone inference file of `convc export`: one C99
 * file in the style of single-file libraries, with the trained weights. */
#ifndef CONVC_GEN_EXPORT_H
#define CONVC_GEN_EXPORT_H

#include <stdio.h>
#include "ir.h"

/* The file's text (caller frees), or NULL after a message on diag.
 * `weights` names the checkpoint in the file's comments. */
char *gen_export_source(const ir_model *m, const char *weights, FILE *diag);

#endif
