/* gen_layout.h - where every parameter tensor and every per-sample work
 * buffer of a model lives.  Computed once from the IR; every offset in the
 * generated code and in its descriptor is printed from these tables. */
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
    int glorot;                 /* 1: Glorot uniform, 0: zeros */
    int fan_in, fan_out;
} gen_tensor;

typedef struct {
    char macro[GEN_NAME_MAX];   /* "W_CONV1_OUT" */
    char what[64];              /* shape comment: "(28, 28, 32)" */
    int64_t offset, count;
    int shared;                 /* in the region after the n samples' slots */
} gen_buffer;

/* Buffers and tensors of one layer; -1 where it has none. */
typedef struct {
    char name[GEN_NAME_MAX];    /* "conv1", "pool2", "dense1" */
    int kernel, bias;           /* tensor indices */
    int out, dout;              /* buffer indices; flatten aliases its input */
    int pad, dpad;              /* conv: zero-padded input and its gradient */
    int mask;                   /* dropout: the scaled keep mask */
    int logits;                 /* softmax layer: the pre-softmax values */
    int in, din;                /* the previous layer's out/dout; -1 for the
                                   model input (and for din of layer 0) */
    int batched;                /* dense: processed several samples at once */
    int vec_fwd;                /* conv: vector kernels for forward and weight
                                   gradient (Cout a multiple of 8) */
    int vec_dx;                 /* conv: input gradient as a stride-1 conv of
                                   the padded output gradient (Cin, Cout
                                   multiples of 8, stride 1) */
    int kflip, dzpad;           /* vec_dx: flipped kernel (KH, KW, Cout, Cin),
                                   shared; padded dz */
    int pad_h, pad_w;           /* conv: extent of the pad/dpad buffers */
    /* conv: Winograd F(wm x wm', KH x KW) in the vector kernels when wino;
     * tiles th x tw.  Shared buffers: the transformed kernel wu (alpha^2,
     * Cin, Cout), its transpose wut (alpha^2, Cout, Cin) and gradient wdu,
     * and scratch that sample after sample reuses: wv (alpha^2, tiles, Cin)
     * and wm (alpha^2, tiles, Cout). */
    int wino, wm_h, wm_w, th, tw;
    int wu, wut, wdu, wv, wm;
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
    gen_layer_plan *plan;       /* one per layer */
    int final_softmax;          /* the last layer is dense ... softmax */
    int const_kernels;          /* GEN_CONST_KERNELS: no wu buffers */
} gen_layout;

/* 0 on success; -1 out of memory (message printed to stderr). */
int gen_layout_build(gen_layout *L, const ir_model *m, int training);
/* The same with options: */
enum {
    GEN_DIRECT = 1,             /* no Winograd convolutions */
    GEN_CONST_KERNELS = 2       /* inference with fixed weights: transformed
                                   kernels are constants, not work */
};
int gen_layout_build_with(gen_layout *L, const ir_model *m, int training, unsigned options);
void gen_layout_free(gen_layout *L);

/* The buffer of a layer's input: its macro, or NULL for the model input. */
const char *gen_in_macro(const gen_layout *L, int layer);

#endif
