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
/* The call of layer i's grad_sum function in a sample loop (w, and shared
 * where it takes the scratch gradient buffers). */
void gen_emit_grad_sum_call(gen_ctx *c, int i);
/* `static void <prefix>forward(params, work, x, n, probs, seeds)` and, when
 * training, `static double <prefix>backward(params, grads, work, x, labels, n)`. */
void gen_emit_drivers(gen_ctx *c);

/* Pieces of the drivers, shared with the training steps of a model with
 * batch statistics (gen_train_steps.c), over layers [lo, hi): */
/* the loops over samples (or groups) calling each layer's function */
void gen_emit_layer_span(gen_ctx *c, int backward, int lo, int hi);
/* A per-sample call that runs next to the span, emitted into the span's
 * first (`first`) or last sample loop when that loop is per sample, so
 * that the sample's activations are still in cache: emit() writes the
 * call in the loop's variables (s, w, and xs when xs_declared). */
typedef struct gen_sample_hook {
    void (*emit)(gen_ctx *c, const struct gen_sample_hook *h, int xs_declared);
    int layer, step;            /* what emit() calls */
} gen_sample_hook;
/* The same with hooks (NULL: none), each in a sample loop of its own where
 * that loop is batched. */
void gen_emit_layer_span_hooked(gen_ctx *c, int backward, int lo, int hi,
                               const gen_sample_hook *first, const gen_sample_hook *last);
/* `shared`, the region after the n slots, where those functions use it */
void gen_emit_shared_ptr(gen_ctx *c, int backward, int lo, int hi);
/* the layers' once-per-call steps */
typedef enum { GEN_BEFORE_FORWARD, GEN_BEFORE_BACKWARD, GEN_AFTER_BACKWARD } gen_per_call;
void gen_emit_per_call(gen_ctx *c, gen_per_call when, int lo, int hi);
/* probs from the scores of each sample; the loss and the scores' gradient */
void gen_emit_probs(gen_ctx *c);
void gen_emit_loss(gen_ctx *c);
/* A model with batch statistics (batchnorm): train_step(), its step table
 * and update_moving() (nothing for a model without). */
void gen_emit_train_steps(gen_ctx *c);
/* Its number of training steps (0: none). */
int gen_train_step_count(const gen_layout *L);

#endif
