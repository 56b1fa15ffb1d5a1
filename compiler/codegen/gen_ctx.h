/* gen_ctx.h - the generation context and the small helpers every layer
 * emitter shares (gen_common.c): names of buffers, tensors and functions,
 * activations, and the layer functions' parameter lists rendered from the
 * plan. */
#ifndef CONVC_GEN_CTX_H
#define CONVC_GEN_CTX_H

#include <stddef.h>

#include "codegen/emit.h"
#include "codegen/gen_layout.h"
#include "convc_model.h"

/* Where the text goes and how the names of one output file are spelled:
 * model.c (no prefixes) or an exported file (every private name prefixed). */
typedef struct {
    emitter *e;
    const gen_layout *L;
    const char *prefix;     /* private functions: "" (model.c) or "name__" */
    const char *mprefix;    /* private macros: "" or "NAME__" */
    const char *restrict_kw;/* "restrict", or a macro for C++ */
    const char *vector_macro;   /* defined where the vector kernels are
                                   compiled: "CONVC_VECTOR" or "NAME__VECTOR" */
    const char *no_vector_macro;/* the user's switch that turns them off */
    const char *wide_macro;     /* defined where the vectors of 16 floats
                                   are: "CONVC_WIDE" or "NAME__WIDE" */
    const char *wide_switch_macro;  /* the user's switch that builds them
                                       without AVX-512 */
    const char *align_macro;    /* follows each local array's declarator:
                                   "CONVC_LOCAL_ALIGN" or "NAME__LOCAL_ALIGN"
                                   (gen_emit_local_align) */
    int wide;               /* emitting for 32 registers of 16 floats */
    /* gen_pp's record of the open #if lines (bit d: the one at depth d is
     * "#ifdef CONVC_VECTOR" without an #else yet) and of where the text
     * ended after the last #endif of such a block, so that a block that
     * opens right there continues it instead. */
    int pp_depth;
    unsigned pp_vector;
    size_t pp_vector_end;
    int w_used;             /* gen_buf_base said "w" (grad_scratch.c asks) */
} gen_ctx;

/* The context of model.c: no prefixes, C's restrict, CONVC_VECTOR. */
void gen_ctx_init(gen_ctx *c, emitter *e, const gen_layout *L);
/* The definition of the context's align_macro, before the first function. */
void gen_emit_local_align(gen_ctx *c);

#define DENSE_GROUP CONVC_SAMPLE_GROUP  /* samples per pass over a dense kernel */
/* The group sizes of batched layer i, largest first, ending with 1: a
 * group, then half a group, then single samples. Returns their number. */
int gen_group_sizes(const gen_layer_plan *p, int sizes[3]);
#define LANES 8         /* partial sums of a dot product, kept apart so that
                           the loop vectorizes without reassociation */

/* C text of an ir_shape for comments: "(28, 28, 32)" or "(64)". */
void gen_shape_text(char *buf, size_t size, ir_shape s);
const ir_layer *gen_layer(const gen_ctx *c, int i);
const char *gen_buf(const gen_ctx *c, int b);       /* a work buffer's macro */
/* What a layer function addresses work buffer b from: "w" (this sample's
 * slot) or "scratch" (the shared gradient buffers, grad_scratch.c). */
const char *gen_buf_base(gen_ctx *c, int b);
/* `<cq>float *restrict name = <base> + <macro>;`: a pointer to work buffer
 * b in a layer function (cq "" or "const "). */
void gen_buf_ptr(gen_ctx *c, const char *cq, const char *name, int b);
const char *gen_ten(const gen_ctx *c, int t);       /* a tensor's macro */
/* dst = act(v); NaN propagates through relu. */
void gen_apply_act(gen_ctx *c, ir_activation a, const char *dst, const char *v);
/* pr = softmax(z) over n floats, numerically stable (pr may be z); needs
 * an int k declared before it. */
void gen_emit_softmax(emitter *e, const char *z, const char *pr, int n);
/* dst = d * act'(y), y the activation's output (expressions). */
void gen_act_grad(gen_ctx *c, ir_activation a, const char *dst, const char *d, const char *y);
/* dst = act(x), dst = d * act'(y) on vectors of `width` (8 or 16) floats,
 * through the prelude's vrelu, vrelu_grad, ... (vector_prelude.c); nothing
 * for linear.  Return 0, emitting nothing, for an activation without a
 * vector form (tanh, sigmoid), which gen_has_vector_act tells. */
int gen_has_vector_act(ir_activation a);
/* act(x) on vectors as an expression in buf ("vrelu16(x)", or x for
 * linear); NULL for an activation without a vector form. */
const char *gen_vector_act_expr(char *buf, size_t size, ir_activation a, int width,
                                const char *x);
int gen_vector_act(gen_ctx *c, ir_activation a, int width, const char *dst, const char *x);
int gen_vector_act_grad(gen_ctx *c, ir_activation a, int width, const char *dst, const char *d,
                        const char *y);
/* In place over `count` floats: d *= act'(y). */
void gen_act_grad_loop(gen_ctx *c, ir_activation a, const char *d, const char *y,
                       long long count);
/* `{` and `}` of a block of its own, so that its locals stay inside. */
void gen_open_block(gen_ctx *c);
void gen_close_block(gen_ctx *c);
/* dst[0 .. n) = src[0 .. n) for float buffers, a loop in its own block.
 * Generated code copies no buffer with memcpy: GCC 12 at -O2 for AVX-512
 * dropped calls to layer functions whose stores were such copies (a
 * concat; docs/generated-code.md). */
void gen_emit_copy(gen_ctx *c, const char *dst, const char *src, long long n);
/* The pointers a convolution's backward function starts with: gbias, out
 * (when the activation's derivative needs it), dz, and src: the padded copy
 * of the input (`pad`) or the input itself. */
void gen_emit_conv_grad_ptrs(gen_ctx *c, int i);
/* In a block of its own: dz *= act'(y) over npix pixels of ch channels,
 * then gbias[co] += dz summed over the pixels from zero (a convolution's
 * backward over a sample, a depthwise one's over a row): the call's sum
 * first, so that the batch's terms do not run in one float32 chain whose
 * partial sums outgrow the result.  dz and y name pointers to the pixels. */
void gen_emit_bias_grad(gen_ctx *c, ir_activation a, const char *dz, const char *y,
                        long long npix, int ch);
/* A layer function's parameter list and the driver's matching arguments,
 * rendered from the plan's list for one build (GEN_VECTOR_ONLY: the
 * vector kernels', GEN_PLAIN_ONLY: the plain loops'). */
typedef struct { char def[512], call[512]; } gen_sig;
gen_sig gen_layer_sig(const gen_ctx *c, int i, int backward, int build);
/* Does the list differ between the two builds? */
int gen_args_differ(const gen_arg_list *a);
/* `const float *R name = w + W_X;`, or the model input for the first layer. */
void gen_in_ptr(gen_ctx *c, int i, const char *name, const char *base);
int gen_use_wino(const gen_ctx *c, int i);          /* conv i runs Winograd kernels */
/* A preprocessor line.  "#endif" of a vector block directly followed by
 * the opening of another (gen_pp_vector) is left out: the two become one. */
void gen_pp(gen_ctx *c, const char *line);
/* "#ifdef" (if_vector) or "#ifndef" of the vector kernels' macro. */
void gen_pp_vector(gen_ctx *c, int if_vector);
/* C text of the sum  var1 * k1 + var2 * k2 + ... + k0  as careful hand-written
 * C spells it: no "* 1", no "+ 0", no term with factor 0 ("0" when nothing
 * is left).  A var may be any expression that binds tighter than "*". */
typedef struct { const char *var; long long k; } gen_term;
const char *gen_sum_text(char *buf, size_t size, long long k0, const gen_term *t, int n);
#define GEN_SUM(buf, k0, ...)                                                       \
    gen_sum_text(buf, sizeof buf, k0, (const gen_term[]){ __VA_ARGS__ },             \
                 (int)(sizeof((const gen_term[]){ __VA_ARGS__ }) / sizeof(gen_term)))
/* `for (var = from; var < to; var += step) {`, or, for a single trip,
 * `var = from;` and a block: close either with emit_close. */
void gen_open_for(gen_ctx *c, const char *var, long long from, long long to, long long step);
/* A layer function's definition up to its opening brace, with both
 * parameter lists behind the preprocessor when the builds differ; and the
 * matching call. */
void gen_open_layer_fn(gen_ctx *c, int i, int backward, const char *fname);
void gen_emit_layer_call(gen_ctx *c, int i, int backward, const char *fname);
/* Does any argument of the list have this kind, in this build (GEN_BOTH:
 * in either)? */
int gen_args_have(const gen_arg_list *a, gen_arg_kind kind, int build);
/* "<prefix><layer>_<what>", with the group size appended when > 0. */
void gen_fn_name(const gen_ctx *c, char *buf, size_t size, int i, const char *what,
                 int group);

#endif
