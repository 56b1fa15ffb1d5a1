/* conv_pad.h - the zero border of a convolution's input (conv_pad.c): the
 * copy into the padded buffer, and the input gradient cut back out of its
 * padded form.  Shared by the direct and the Winograd kernels. */
#ifndef CONVC_CONV_PAD_H
#define CONVC_CONV_PAD_H

#include "codegen/gen_ctx.h"

/* src (the pad buffer, declared by the caller) = zeros with the input `in`
 * copied into its interior. */
void gen_conv_emit_pad(gen_ctx *c, const ir_layer *l, int wp, long long count);
/* din = the interior of the padded input gradient dsrc (rows wp pixels
 * wide), with `row` an int local as the loop variable. */
void gen_conv_emit_unpad(gen_ctx *c, const ir_layer *l, int wp, const char *row);

#endif
