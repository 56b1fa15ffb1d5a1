/* export_fold.h - batch normalization folded into the layer before it for
 * `convc export`: a batchnorm directly after a conv or dense layer without
 * activation becomes that layer's weights and bias (and its activation
 * moves onto it), so the exported file does no normalization arithmetic.
 * Any other batchnorm (after pooling, after an activation, first) stays a
 * per-channel scale and shift, from its emitter's inference code. */
#ifndef CONVC_EXPORT_FOLD_H
#define CONVC_EXPORT_FOLD_H

#include <stdio.h>
#include "codegen/gen_layout.h"
#include "ir.h"

typedef struct {
    ir_model model;             /* the layers without the folded batchnorms
                                   (they share the original's strings) */
    gen_layout layout;          /* its inference layout */
    float *params;              /* in that layout */
} export_folded;

/* Folds `params` (in layout L of model m); the folded layout is built with
 * gen_layout_build_with's `options` (the export target's).  0, or -1 after a
 * message on diag (out of memory).  Free with export_fold_free. */
int export_fold(const ir_model *m, const gen_layout *L, const float *params, int options,
                export_folded *out, FILE *diag);
void export_fold_free(export_folded *f);

/* Does layer i of m fold into the layer before it? */
int export_folds_into_previous(const ir_model *m, int i);

#endif
