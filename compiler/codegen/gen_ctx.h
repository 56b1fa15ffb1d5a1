/* gen_ctx.h - the generation context and the small helpers every layer
 * emitter shares (gen_common.c): names of buffers, tensors and functions,
 * activations, and the layer functions' parameter lists rendered from the
 * plan. */
#ifndef CONVC_GEN_CTX_H
#define CONVC_GEN_CTX_H

#include <stddef.h>

#include "codegen/emit.h"
#include "codegen/gen_layout.h"

/* Where the text goes and how the names of one output file are spelled:
 * model.c (no prefixes) or an exported file (every private name prefixed). */
typedef struct {
    emitter *e;
    const gen_layout *L;
    const char *prefix;     /* private functions: "" (model.c) or "name__" */
    const char *mprefix;    /* private macros: "" or "NAME__" */
    const char *restrict_kw;/* "restrict", or a macro for C++ */
    int narrow_tiles;       /* register tiles for 16 vector registers */
} gen_ctx;

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
void gen_pp(gen_ctx *c, const char *line);          /* a preprocessor line */
/* "<prefix><layer>_<what>", with the group size appended when > 0. */
void gen_fn_name(const gen_ctx *c, char *buf, size_t size, int i, const char *what,
                 int group);

#endif
