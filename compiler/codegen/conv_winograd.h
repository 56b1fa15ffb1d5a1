/* conv_winograd.h - the Winograd convolution kernels (conv_winograd.c), for the
 * conv emitter, and what they use: the context, the register tiles of the
 * vector kernels and the zero border. */
#ifndef CONVC_CONV_WINOGRAD_H
#define CONVC_CONV_WINOGRAD_H

#include "codegen/conv_pad.h"
#include "codegen/conv_vec.h"
#include "codegen/gen_ctx.h"

/* Bodies of the Winograd conv kernels (plan->wino), using the conv
 * functions' locals and the wu/wut/wdu/wv/wm parameters, and the
 * once-per-call functions the drivers run around the samples. */
void gen_wino_forward(gen_ctx *c, int i);
void gen_wino_backward(gen_ctx *c, int i);
void gen_wino_filter_function(gen_ctx *c, int i, const char *fname);
void gen_wino_prepare_function(gen_ctx *c, int i, const char *fname);
void gen_wino_finish_function(gen_ctx *c, int i, const char *fname);
/* GEN_CONST_KERNELS: the name of conv i's transformed kernel constant, and
 * the constants of all layers computed from `params` and emitted. */
void gen_wino_const_name(const gen_ctx *c, int i, char *buf, size_t size);
void gen_wino_emit_constants(gen_ctx *c, const float *params);

#endif
