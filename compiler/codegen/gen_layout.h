/* gen_layout.h - where every parameter tensor and every per-sample work
 * buffer of a model lives, and how each layer is computed (its plan).
 * Computed once from the IR, each layer's part by its emitter's plan hook;
 * every offset and decision in the generated code and its descriptor is
 * read from these tables. */
#ifndef CONVC_GEN_LAYOUT_H
#define CONVC_GEN_LAYOUT_H

#include <stdint.h>
#include "ir.h"

#define GEN_NAME_MAX 48
#define GEN_ALIGN    16         /* floats: work buffers start on 64-byte lines */

typedef struct {
    char name[GEN_NAME_MAX];    /* "conv1.kernel" */
    char macro[GEN_NAME_MAX];   /* "P_CONV1_KERNEL" */
    int rank, shape[4];
    int64_t offset, count;
    int glorot;                 /* 1: Glorot uniform, 0: zeros (or ones) */
    int ones;                   /* starts at 1 (batchnorm's gamma and variance) */
    int non_trainable;          /* not updated by the optimizer */
    int fan_in, fan_out;
} gen_tensor;

typedef struct {
    char macro[GEN_NAME_MAX];   /* "W_CONV1_OUT" */
    char what[64];              /* shape comment: "(28, 28, 32)" */
    int64_t offset, count;
    int shared;                 /* in the region after the n samples' slots */
    int scratch;                /* a backward buffer moved there: one copy
                                   the samples of a call reuse in turn
                                   (grad_scratch.c); addressed from the
                                   layer functions' `scratch` argument */
    int layer;                  /* the layer whose plan hook added it */
} gen_buffer;

/* One argument of a layer function: what the driver passes and the name the
 * function knows it by. */
typedef enum {
    GEN_ARG_PARAMS,             /* const float *params */
    GEN_ARG_GRADS,              /* float *grads */
    GEN_ARG_WORK,               /* float *w: this sample's (group's) work */
    GEN_ARG_INPUT,              /* const float *x: the model input (xs) */
    GEN_ARG_SEED,               /* const uint64_t *seed: dropout */
    GEN_ARG_SHARED,             /* a buffer of the shared region */
    GEN_ARG_SCRATCH,            /* float *scratch: the shared region, where
                                   the gradient buffers marked scratch are */
    GEN_ARG_CONSTANT            /* a static table of an exported file */
} gen_arg_kind;

/* Which build of the code an argument belongs to: vector kernels behind
 * CONVC_VECTOR, the plain loops otherwise, or both. */
enum { GEN_BOTH, GEN_VECTOR_ONLY, GEN_PLAIN_ONLY };

#define GEN_MAX_ARGS 10

typedef struct {
    gen_arg_kind kind;
    const char *name;           /* the parameter's name */
    int buffer;                 /* GEN_ARG_SHARED: buffer index */
    int read_only;
    int when;                   /* GEN_BOTH, GEN_VECTOR_ONLY, GEN_PLAIN_ONLY */
} gen_arg;

typedef struct {
    int n;
    gen_arg arg[GEN_MAX_ARGS];
} gen_arg_list;

/* How one layer is computed, decided once by its emitter's plan hook
 * (codegen/layers/<kind>.c); the emitters and drivers only read it.
 * Buffers and tensors are indices, -1 where the layer has none. */
typedef struct {
    char name[GEN_NAME_MAX];    /* "conv1", "pool2", "dense1" */
    int kernel, bias;           /* tensor indices */
    int out, dout;              /* buffer indices; flatten aliases its input */
    int pad, dpad;              /* conv: zero-padded input and its gradient */
    int mask;                   /* dropout: the scaled keep mask */
    int logits;                 /* softmax layer: the pre-softmax values */
    int in, din;                /* the input: the out of the layer it reads
                                   (ir_layer.inputs[0]), -1 for the model
                                   input; and where the backward function
                                   writes that input's gradient (overwriting
                                   it), -1 when none is needed: the input
                                   layer's dout, or, for all but its first
                                   reader, a buffer of its own that the
                                   driver adds to that dout (gen_grad_sums) */
    int in2, din2;              /* the same for inputs[1] (add, concat) */
    int has_forward;            /* a forward function exists (not for a
                                   flatten that aliases its input) */
    int has_backward;           /* a backward function exists */
    int batched;                /* dense: called on groups of `group`
                                   samples, and on single ones for the rest */
    int group;
    int vec;                    /* vector kernels behind CONVC_VECTOR: conv
                                   forward and weight gradient (Cout a
                                   multiple of 8), dense forward and input
                                   gradient (units a multiple of 8) */
    int vec_dx;                 /* conv: input gradient as a stride-1 conv of
                                   the padded output gradient (Cin, Cout
                                   multiples of 8, stride 1, not Winograd) */
    int kflip, dzpad;           /* vec_dx: flipped kernel (KH, KW, Cout, Cin),
                                   shared; padded dz */
    int dzpad_h, dzpad_w;       /* vec_dx: extent of dzpad */
    int pad_h, pad_w;           /* conv: extent of the rows the kernels read:
                                   the pad/dpad buffers, or the input itself */
    /* conv: Winograd F(wm x wm', KH x KW) in the vector kernels when wino;
     * tiles th x tw.  Shared buffers: the transformed kernel wu (alpha^2,
     * Cin, Cout), its transpose wut (alpha^2, Cout, Cin) and gradient wdu,
     * and scratch that sample after sample reuses: wv (alpha^2, tiles, Cin)
     * and wm (alpha^2, tiles, Cout). */
    int wino, wm_h, wm_w, th, tw;
    int wu, wut, wdu, wv, wm;
    gen_arg_list fwd_args, bwd_args;    /* the layer functions' parameters */
    /* batchnorm: its moving statistics (tensors), and in training, where
     * its batch statistics live in the batch's stats buffer: stats_at in
     * the shared part, row_at in each sample's row (docs/generated-code.md,
     * "Batch statistics"). */
    int moving_mean, moving_var;
    int batch_stats;            /* training splits the passes at this layer */
    int64_t stats_at, row_at;
} gen_layer_plan;

typedef struct {
    const ir_model *m;
    int training;               /* backward buffers present */
    int n_tensors;
    gen_tensor *tensors;
    int64_t n_params;
    int n_buffers;
    gen_buffer *buffers;
    int64_t work_per_sample;
    int64_t work_shared;        /* floats shared by all samples of a call */
    int64_t stats_shared;       /* floats of batch statistics (training) */
    int64_t stats_row;          /* floats of partial sums per sample */
    gen_layer_plan *plan;       /* one per layer */
    int final_softmax;          /* the last layer is dense ... softmax */
    int const_kernels;          /* GEN_CONST_KERNELS: no wu buffers */
    int direct;                 /* GEN_DIRECT: no Winograd convolutions */
    int lean;                   /* GEN_LEAN: no buffers beyond the semantic
                                   pass's work bound */
    int planning;               /* the layer whose plan hook runs */
} gen_layout;

/* Floats a buffer of `count` takes, up to the next aligned start. */
static inline int64_t gen_aligned(int64_t count)
{
    return (count + GEN_ALIGN - 1) / GEN_ALIGN * GEN_ALIGN;
}

/* 0 on success; -1 out of memory (message printed to stderr). */
int gen_layout_build(gen_layout *L, const ir_model *m, int training);
/* The same with options: */
enum {
    GEN_DIRECT = 1,             /* no Winograd convolutions */
    GEN_CONST_KERNELS = 2,      /* inference with fixed weights: transformed
                                   kernels are constants, not work */
    GEN_LEAN = 4                /* only the buffers the front end's IR_MAX_WORK
                                   bound counts: chosen by itself when the
                                   faster kernels' buffers would pass it */
};
int gen_layout_build_with(gen_layout *L, const ir_model *m, int training, unsigned options);
void gen_layout_free(gen_layout *L);

/* The buffer of a layer's input: its macro, or NULL for the model input. */
const char *gen_in_macro(const gen_layout *L, int layer);
/* A layer read by several: the buffers its later readers wrote their
 * gradients to (not its dout, which its first reader writes), in a fixed
 * order, into bufs[0..n); n, 0 for a layer read once. */
int gen_grad_sums(const gen_layout *L, int layer, int *bufs, int max);
/* Is the layer's dout the sum of several readers' gradients (a grad_sum
 * function adds the others' before its backward)? */
int gen_has_grad_sum(const gen_layout *L, int layer);

/* Moves the gradient buffers that live within one sample's backward run to
 * the shared region (marked scratch), and gives the backward functions that
 * address them the scratch argument.  Training layouts only; the last step
 * of gen_layout_build. */
void gen_layout_share_scratch(gen_layout *L);
/* Where the buffers of layer i's grad_sum function are: any in the
 * sample's slot (*in_w), any scratch (*in_scratch); both 0 when it has none. */
void gen_grad_sum_bases(const gen_layout *L, int layer, int *in_w, int *in_scratch);

/* ---- for the plan hooks of the layer emitters ---- */

/* A parameter tensor of layer `layer` ("conv1") named "<layer>.<what>";
 * its index. */
int gen_layout_tensor(gen_layout *L, const char *layer, const char *what, int rank,
                      const int *shape, int glorot, int fan_in, int fan_out);
/* A work buffer, per sample or in the shared region; its index.  `shape` is
 * the comment beside its offset: "(28, 28, 32)". */
int gen_layout_buffer(gen_layout *L, const char *layer, const char *what, int64_t count,
                      const char *shape, int shared);
/* The same with the shape comment of an ir_shape. */
int gen_layout_shaped(gen_layout *L, const char *layer, const char *what, ir_shape s);
/* `count` floats of batch statistics for layer i (stats_at) and `row`
 * floats of partial sums per sample (row_at); marks it batch_stats. */
void gen_layout_stats(gen_layout *L, int i, int64_t count, int64_t row);
/* Layer i's output and, when training, its gradient; for the softmax layer
 * the logits after them. */
void gen_layout_output(gen_layout *L, int i);
/* Appends an argument to a layer function's list. */
void gen_plan_arg(gen_arg_list *a, gen_arg_kind kind, const char *name, int buffer,
                  int read_only, int when);
/* The arguments every layer function starts with: params when it reads
 * weights (in the build `params_when`), grads in backward when it has
 * weights, w, and the model input x for the first layer when it reads it
 * (`reads_input`). */
void gen_plan_common_args(gen_layout *L, int i, int backward, int reads_input, int params_when);

#endif
