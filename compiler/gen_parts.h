/* gen_parts.h - the pieces of code generation shared by `convc gen`
 * (gen_model.c) and `convc export` (gen_export.c): layer emitters and the
 * driver loops, all reading the same IR and layout tables. */
#ifndef CONVC_GEN_PARTS_H
#define CONVC_GEN_PARTS_H

#include "emit.h"
#include "gen_layout.h"

typedef struct {
    emitter *e;
    const gen_layout *L;
    const char *prefix;     /* private functions: "" (model.c) or "name__" */
    const char *mprefix;    /* private macros: "" or "NAME__" */
    const char *restrict_kw;/* "restrict", or a macro for C++ */
    int vector;             /* also emit GNU-vector kernels behind a guard */
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
void gen_conv_vec_forward(gen_ctx *c, const ir_layer *l);
void gen_conv_vec_wgrad(gen_ctx *c, const ir_layer *l);
void gen_conv_vec_dx(gen_ctx *c, const ir_layer *l, const char *dzpad, const char *din);
void gen_conv_flip_function(gen_ctx *c, const ir_layer *l, const char *fname,
                            const char *kernel_macro);

/* C text of an ir_shape for comments: "(28, 28, 32)" or "(64)". */
void gen_shape_text(char *buf, size_t size, ir_shape s);

#endif
