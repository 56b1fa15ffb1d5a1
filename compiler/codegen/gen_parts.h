/* gen_parts.h - the pieces of code generation shared by `convc gen`
 * (gen_model.c) and `convc export` (gen_export.c): layer emitters and the
 * driver loops, all reading the same IR and layout tables. */
#ifndef CONVC_GEN_PARTS_H
#define CONVC_GEN_PARTS_H

#include "codegen/emit.h"
#include "codegen/gen_layout.h"

typedef struct {
    emitter *e;
    const gen_layout *L;
    const char *prefix;     /* private functions: "" (model.c) or "name__" */
    const char *mprefix;    /* private macros: "" or "NAME__" */
    const char *restrict_kw;/* "restrict", or a macro for C++ */
    int vector;             /* also emit GNU-vector kernels behind a guard */
    int narrow_tiles;       /* register tiles for 16 vector registers */
} gen_ctx;

/* Macro definitions of the tensor offsets and work buffers. */
void gen_emit_offsets(gen_ctx *c);
/* Shared static helpers (PRNG for dropout; vector types when enabled). */
void gen_emit_helpers(gen_ctx *c);
/* All layer functions: forward always, backward when c->L->training. */
void gen_emit_layers(gen_ctx *c);
/* `static void <prefix>forward(params, work, x, n, probs, seeds)` and, when
 * training, `static double <prefix>backward(params, grads, work, x, labels, n)`. */
void gen_emit_drivers(gen_ctx *c);

/* gen_conv_vec.c: the vector type and helpers (behind CONVC_VECTOR), and
 * the bodies of vector conv kernels, which use the locals that
 * gen_layers.c's conv functions declare (src, kern, bias, out, dz, gkern,
 * kflip). */
void gen_emit_vector_prelude(gen_ctx *c);
/* A register tile: rows x vectors of 8 columns held in accumulators.  With
 * 32 vector registers (AVX-512VL) up to 6 x 4 (24 accumulators); with 16
 * (AVX2, or SSE and NEON at two registers a vector) up to 6 x 2, since a
 * wider tile spills: cnn_k3 trains 33% faster with it on AVX2. */
typedef struct { int rows, vectors; } gen_tile;
gen_tile gen_tile_for(const gen_ctx *c, int n_cols);    /* n_cols % 8 == 0 */
/* emit(c, arg) twice, for each register file, behind the preprocessor. */
void gen_emit_for_registers(gen_ctx *c, void (*emit)(gen_ctx *, const void *), const void *arg);
void gen_conv_vec_forward(gen_ctx *c, const ir_layer *l);
void gen_conv_vec_wgrad(gen_ctx *c, const ir_layer *l);
void gen_conv_vec_dx(gen_ctx *c, const ir_layer *l, const char *dzpad, const char *din);
void gen_conv_flip_function(gen_ctx *c, const ir_layer *l, const char *fname,
                            const char *kernel_macro);

/* gen_winograd.c: bodies of the Winograd conv kernels (plan->wino), using
 * the conv functions' locals and the wu/wut/wdu/wv/wm parameters, and the
 * once-per-call functions the drivers run around the samples. */
void gen_wino_forward(gen_ctx *c, int i);
void gen_wino_backward(gen_ctx *c, int i);
void gen_wino_filter_function(gen_ctx *c, int i, const char *fname);
void gen_wino_prepare_function(gen_ctx *c, int i, const char *fname);
void gen_wino_finish_function(gen_ctx *c, int i, const char *fname);
int gen_use_wino(const gen_ctx *c, int i);          /* conv i runs Winograd kernels */
/* GEN_CONST_KERNELS: the name of conv i's transformed kernel constant, and
 * the constants of all layers computed from `params` and emitted. */
void gen_wino_const_name(const gen_ctx *c, int i, char *buf, size_t size);
void gen_wino_emit_constants(gen_ctx *c, const float *params);

/* gen_conv.c */
void gen_emit_conv_forward(gen_ctx *c, int i, const char *fname);
void gen_emit_conv_backward(gen_ctx *c, int i, const char *fname);
/* din = the interior of the padded input gradient dsrc (rows wp pixels
 * wide), with `row` an int local as the loop variable. */
void gen_conv_emit_unpad(gen_ctx *c, const ir_layer *l, int wp, const char *row);

/* ---- gen_common.c: helpers shared by the emitters ---- */

#define DENSE_GROUP 4   /* samples per pass over a dense kernel */
#define LANES 8         /* partial sums of a dot product, kept apart so that
                           the loop vectorizes without reassociation */

/* C text of an ir_shape for comments: "(28, 28, 32)" or "(64)". */
void gen_shape_text(char *buf, size_t size, ir_shape s);
const ir_layer *gen_layer(const gen_ctx *c, int i);
const char *gen_buf(const gen_ctx *c, int b);       /* a work buffer's macro */
const char *gen_ten(const gen_ctx *c, int t);       /* a tensor's macro */
/* dst = act(v); NaN propagates through relu. */
void gen_apply_act(gen_ctx *c, ir_activation a, const char *dst, const char *v);
/* In place over `count` floats: d *= act'(y), y the activation's output. */
void gen_act_grad_loop(gen_ctx *c, ir_activation a, const char *d, const char *y,
                       long long count);
/* A layer function's parameter list and the driver's matching arguments. */
typedef struct { char def[512], call[512]; } gen_sig;
gen_sig gen_layer_sig(const gen_ctx *c, int i, int backward);
/* `const float *R name = w + W_X;`, or the model input for the first layer. */
void gen_in_ptr(gen_ctx *c, int i, const char *name, const char *base);
int gen_use_vec(const gen_ctx *c, int i);           /* conv i has vector kernels */
void gen_pp(gen_ctx *c, const char *line);          /* a preprocessor line */
void gen_fn_name(const gen_ctx *c, char *buf, size_t size, int i, const char *what,
                 int group);
int gen_has_forward(const gen_ctx *c, int i);       /* flatten after layer 0: none */
int gen_has_backward(const gen_ctx *c, int i);
int gen_has_dropout(const gen_layout *L);
int gen_has_random_dropout(const gen_layout *L);    /* a rate that rounds to 0 draws nothing */
unsigned long long gen_dropout_threshold(const ir_layer *l);

#endif
