/* gen_checkpoint.h - the compiler's own reader of trained parameters from a
 * checkpoint (docs/checkpoint-format.md), for `convc export`.  Everything is
 * bounds-checked; the CRC, spec hash and every tensor are verified against
 * the model before a single float is used. */
#ifndef CONVC_GEN_CHECKPOINT_H
#define CONVC_GEN_CHECKPOINT_H

#include <stdio.h>
#include "codegen/gen_layout.h"

/* Reads `path` and returns its parameter block (L->n_params floats, caller
 * frees), or NULL after printing "path: error: ..." on diag. */
float *gen_checkpoint_params(const char *path, const gen_layout *L, FILE *diag);

#endif
