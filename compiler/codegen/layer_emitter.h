/* layer_emitter.h - what a layer kind's emitter (codegen/layers/<kind>.c)
 * provides.  The registry (emitters.c) is built from IR_LAYER_KINDS, so a
 * new kind needs its emitter file and nothing here. */
#ifndef CONVC_LAYER_EMITTER_H
#define CONVC_LAYER_EMITTER_H

#include "codegen/gen_ctx.h"

/* The steps of a layer with batch statistics (plan.batch_stats), in the
 * order a training step runs them (codegen/gen_train_steps.c). */
typedef enum {
    GEN_STATS_SAMPLE_MOMENTS,   /* per sample: its own mean and sum of squared deviations */
    GEN_STATS_MOMENTS,          /* once: the batch mean and variance */
    GEN_STATS_FORWARD,          /* per sample: the layer's output */
    GEN_STATS_GRAD_SUMS,        /* per sample: partial sums of the output gradient */
    GEN_STATS_GRAD,             /* once: parameter gradients, sums for the input gradient */
    GEN_STATS_BACKWARD,         /* per sample: the input gradient */
    GEN_STATS_UPDATE            /* once, after the optimizer: moving statistics */
} gen_stats_step;

typedef struct {
    /* Adds layer i's tensors and buffers to L (its output among them) and
     * makes every decision about its code in L->plan[i]: which kernels, the
     * extents, the functions that exist and their arguments. */
    void (*plan)(gen_layout *L, int i);
    /* The layer's forward functions (or a comment where it needs none). */
    void (*forward)(gen_ctx *c, int i);
    /* Its backward functions, when plan[i].has_backward. */
    void (*backward)(gen_ctx *c, int i);
    /* Optional, NULL when unused: */
    /* once per model that has the kind, before the layer functions
     * (static helpers of model.c) */
    void (*prelude)(gen_ctx *c);
    /* once per model that has the kind, in an exported file: tables
     * computed from the weights */
    void (*constants)(gen_ctx *c, const float *params);
    /* once per call of the forward or backward driver, around the loops
     * over samples: kernel transforms and the like */
    void (*before_forward)(gen_ctx *c, int i);
    void (*before_backward)(gen_ctx *c, int i);
    void (*after_backward)(gen_ctx *c, int i);
    /* A layer with batch statistics: the call of one of its steps, in the
     * variables gen_train_steps.c defines (per sample: params, stats, w,
     * xs, row; once: params, grads, stats, rows, n). */
    void (*stats_call)(gen_ctx *c, int i, gen_stats_step step);
} gen_layer_emitter;

#define GEN_DECLARE_EMITTER(id, word) extern const gen_layer_emitter gen_##word##_emitter;
IR_LAYER_KINDS(GEN_DECLARE_EMITTER)
#undef GEN_DECLARE_EMITTER

const gen_layer_emitter *gen_emitter_of(ir_kind k);

#endif
