/* generate.h - the parts of a generated C file that `convc gen`
 * (output/gen_model.c) and `convc export` (output/gen_export.c) assemble:
 * offsets, vector support, the layer functions and the drivers, all read
 * from one gen_layout. */
#ifndef CONVC_GENERATE_H
#define CONVC_GENERATE_H

#include "codegen/gen_ctx.h"

/* Macro definitions of the tensor offsets and work buffers. */
void gen_emit_offsets(gen_ctx *c);
/* The vector type and its helpers, behind c->vector_macro, and in a file
 * with prefixed names the end of their short names (vector_prelude.c). */
void gen_emit_vector_prelude(gen_ctx *c);
void gen_emit_vector_epilogue(gen_ctx *c);
/* Static helpers the model's layer kinds need (the dropout PRNG ...). */
void gen_emit_helpers(gen_ctx *c);
/* An exported file's tables computed from the weights (transformed
 * Winograd kernels ...). */
void gen_emit_constants(gen_ctx *c, const float *params);
/* All layer functions: forward always, backward when c->L->training. */
void gen_emit_layers(gen_ctx *c);
/* `static void <prefix>forward(params, work, x, n, probs, seeds)` and, when
 * training, `static double <prefix>backward(params, grads, work, x, labels, n)`. */
void gen_emit_drivers(gen_ctx *c);

#endif
