/* checkpoint_weights.h - the trained parameters of a checkpoint for
 * `convc export`, read and verified by the runtime's checkpoint reader
 * (runtime/train/checkpoint.h) against the model's layout. */
#ifndef CONVC_CHECKPOINT_WEIGHTS_H
#define CONVC_CHECKPOINT_WEIGHTS_H

#include <stdio.h>
#include "codegen/gen_layout.h"

/* The parameter block of checkpoint `path` (L->n_params floats, caller
 * frees), or NULL after printing "path: error: ..." on diag. */
float *checkpoint_weights(const char *path, const gen_layout *L, FILE *diag);

#endif
