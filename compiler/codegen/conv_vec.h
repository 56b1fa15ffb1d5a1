/* conv_vec.h - register-blocked convolution kernels in GNU C vectors
 * (conv_vec.c), and the register tiles that the Winograd products share.
 * The kernel bodies use the locals of the conv functions (src, kern, bias,
 * out, dz, gkern, kflip). */
#ifndef CONVC_CONV_VEC_H
#define CONVC_CONV_VEC_H

#include "codegen/gen_ctx.h"

/* A register tile: rows x vectors of `width` columns held in accumulators.
 * With 32 registers of 16 floats (AVX-512, c->wide) up to 12 x 2 or 6 x 4
 * (24 accumulators); with 16 registers of 8 (AVX2, or SSE and NEON at two
 * registers a vector) up to 6 x 2, since a wider tile spills: cnn_k3
 * trains 33% faster with it on AVX2.  Columns that are not a multiple of
 * 16 keep vectors of 8. */
typedef struct {
    int rows, vectors, width;
    const char *type, *load, *store, *splat;    /* vf8 vload vstore vsplat, or
                                                   vf16 vload16 ... */
} gen_tile;
gen_tile gen_tile_for(const gen_ctx *c, int n_cols);    /* n_cols % 8 == 0 */
/* The names of vectors of `width` (8 or 16) floats, as a one-vector tile. */
gen_tile gen_vectors_of(int width);
/* Those of 16 floats where c->wide and n (channels, units) fills them, else
 * of 8: the vectors over n. */
gen_tile gen_vectors_for(const gen_ctx *c, int n);
/* emit(c, arg) twice, for each register file, behind the preprocessor:
 * c->wide is set in the first. */
void gen_emit_for_registers(gen_ctx *c, void (*emit)(gen_ctx *, const void *), const void *arg);
/* The same where n (channels, units) fills vectors of 16; else emit(c, arg)
 * once, for vectors of 8 (both files would be the same text). */
void gen_emit_for_width(gen_ctx *c, int n, void (*emit)(gen_ctx *, const void *),
                        const void *arg);

/* gen_emit_bias_grad in one pass on vectors of v->width floats (ch a
 * multiple of it; the activation one with a vector form): dz *= act'(y)
 * and gbias += the sum of dz over npix pixels, each lane's sum from zero in
 * the pixels' order, so the bits are the plain loops'.  dz and y name
 * pointers to the pixels. */
void gen_emit_bias_grad_tile(gen_ctx *c, const gen_tile *v, ir_activation a, const char *dz,
                             const char *y, long long npix, int ch);
/* The same for both register files, over a convolution's dz and out. */
void gen_emit_bias_grad_vector(gen_ctx *c, ir_activation a, long long npix, int ch);

/* Bodies of conv layer i's vector kernels. */
void gen_conv_vec_forward(gen_ctx *c, int i);
void gen_conv_vec_wgrad(gen_ctx *c, int i);
/* The input gradient (plan vec_dx): din from dz through dzpad and kflip. */
void gen_conv_vec_dx(gen_ctx *c, int i);
/* `static void fname(params, kflip)`: the flipped, transposed kernel. */
void gen_conv_flip_function(gen_ctx *c, int i, const char *fname);

#endif
