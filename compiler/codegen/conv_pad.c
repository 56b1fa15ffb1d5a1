/* conv_pad.c - copies into and out of a convolution's zero border, once per
 * sample, so that no inner loop tests bounds. */
#include "codegen/conv_pad.h"

void gen_conv_emit_pad(gen_ctx *c, const ir_layer *l, int wp, long long count)
{
    emitter *e = c->e;
    int cin = l->in.c;
    emit_line(e, "int y;");
    emit_line(e, "memset(src, 0, sizeof(float) * %lld);", count);
    emit_open(e, "for (y = 0; y < %d; y++)", l->in.h);
    emit_line(e, "memcpy(src + (y + %d) * %d + %d, in + y * %d, sizeof(float) * %d);",
              l->pad_top, wp * cin, l->pad_left * cin, l->in.w * cin, l->in.w * cin);
    emit_close(e, "");
}

void gen_conv_emit_unpad(gen_ctx *c, const ir_layer *l, int wp, const char *row)
{
    emitter *e = c->e;
    int cin = l->in.c;
    emit_open(e, "for (%s = 0; %s < %d; %s++)", row, row, l->in.h, row);
    emit_line(e, "memcpy(din + %s * %d, dsrc + (%s + %d) * %d + %d, sizeof(float) * %d);", row,
              l->in.w * cin, row, l->pad_top, wp * cin, l->pad_left * cin, l->in.w * cin);
    emit_close(e, "");
}
