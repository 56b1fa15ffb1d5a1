/* quantize.h - post-training int8 quantization for `convc export --int8`:
 * calibration of every activation's range on training images, per-channel
 * weights, int32 biases, fixed-point multipliers (the scheme is in
 * q8_kernels.c and docs/microcontrollers.md), and the comparison of the
 * int8 model against the float one on the test images. */
#ifndef CONVC_QUANTIZE_H
#define CONVC_QUANTIZE_H

#include <stdint.h>
#include <stdio.h>
#include "codegen/emit.h"
#include "codegen/gen_layout.h"
#include "data/dataset.h"
#include "ir.h"

typedef struct {
    float scale;
    int32_t zp;
} q8_qparams;

typedef struct {
    q8_qparams in, in2, out;    /* the tensors it reads (in2: add, concat)
                                   and writes */
    q8_qparams pre;             /* what its kernel writes: out, or for tanh
                                   and sigmoid the pre-activation's */
    float min, max;             /* calibrated range of its output */
    float pre_min, pre_max;     /* and of its pre-activation (tanh, sigmoid) */
    int8_t *lut;                /* tanh, sigmoid: pre -> out, 256 entries
                                   (index q + 128); NULL otherwise */
    int bad;                    /* an output was NaN or infinite */
    /* conv, dwconv, dense and an unfolded batchnorm: */
    int n_ch, n_w;              /* output channels, int8 weights */
    int8_t *w;                  /* the layout q8_kernels.c reads */
    int32_t *bias, *mult, *neg_mult;    /* neg_mult: leaky_relu's, or NULL */
    int8_t *shift, *neg_shift;
    float *w_scale;             /* per output channel */
    int32_t lo, hi;             /* the activation's clamp, int8 units */
    /* add, concat (per input) and global average pooling: the multipliers
     * to the common scale, and add's and gavg's to the output */
    int32_t in_mult[2], out_mult, out_neg_mult;
    int8_t in_shift[2], out_shift, out_neg_shift;
    /* float against int8 on the test images, in real units: */
    double err_max, err_sum;
    int64_t err_n;
} q8_layer;

typedef struct {
    const ir_model *m;
    const gen_layout *L;        /* the float layout: parameter offsets */
    const float *params;
    q8_qparams input;
    float in_min, in_max;
    q8_layer *layers;
    int calibrated;             /* images */
    int evaluated;
    int float_right, int8_right, agree;
} q8_model;

/* One entry per layer kind that has int8 code (q8_layers.c); a kind
 * without one is refused by name.  `in2` is the second input of add and
 * concat (NULL for the others). */
typedef struct {
    const char *use_macro;      /* Q8_USE_<kind>: its kernel in the file */
    int keeps_qparams;          /* output quantized as the input (no
                                   calibration of its own) */
    int aliases;                /* no code: the output is the input */
    /* The float reference: calibration and comparison. */
    void (*forward_f32)(const q8_model *q, int i, const float *in, const float *in2,
                        float *out);
    /* int8 parameters from the float weights, layer i's in and out set:
     * 0, or -1 after a message on diag. */
    int (*quantize)(q8_model *q, int i, FILE *diag);
    void (*forward_q8)(const q8_model *q, int i, const int8_t *in, const int8_t *in2,
                       int8_t *out);
    /* static tables of layer i (optional) and its call in the forward
     * function, reading `in` (and `in2`) and writing `out` (C expressions). */
    void (*emit_tables)(emitter *e, const q8_model *q, int i, const char *pfx);
    void (*emit_call)(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                      const char *in2, const char *out);
} q8_kind;

/* The entry of layer l (global average pooling has its own), or NULL. */
const q8_kind *q8_kind_of(const ir_layer *l);
/* Every entry, k = 0, 1, ... until NULL (the kernels' Q8_USE_ macros). */
const q8_kind *q8_kind_at(int k);

typedef struct {
    const char *data_dir;       /* NULL: dataset_dir's default */
    int calibrate;              /* training images for the ranges */
    int evaluate;               /* test images compared; -1 all */
} q8_settings;

/* Refuses a model with a layer int8 cannot compute, naming it on diag
 * (diag NULL: silently; L is then not read): 0 or -1. */
int q8_check_model(const ir_model *m, const gen_layout *L, FILE *diag);
/* Loads the data set, calibrates, quantizes, and compares on the test
 * images (a model q8_check_model accepted); the report goes to `report`.
 * 0, or -1 after a message on diag. */
int q8_build(q8_model *q, const ir_model *m, const gen_layout *L, const float *params,
             const q8_settings *s, FILE *report, FILE *diag);
void q8_free(q8_model *q);

/* Layer i's output elements. */
int64_t q8_out_size(const ir_layer *l);

/* Activation a of v in float (softmax: v, the logits). */
float q8_activate(ir_activation a, float v);
/* Is a applied by a table after the kernel (tanh, sigmoid)? */
int q8_act_by_table(ir_activation a);
/* Layer i's output quantization fixed by its table activation, and its
 * table from y->pre: 0, or -1 after a message on diag. */
int q8_table_quantize(q8_model *q, int i, FILE *diag);
/* Layer i's table, and its application to `out` after the kernel's call
 * (nothing for a layer without one). */
void q8_emit_table(emitter *e, const q8_model *q, int i, const char *pfx);
void q8_emit_table_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *out);

#endif
