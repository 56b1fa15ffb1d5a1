/* conv_pad.c - copies into and out of a convolution's zero border, once per
 * sample, so that no inner loop tests bounds. */
#include "codegen/conv_pad.h"

void gen_conv_emit_pad(gen_ctx *c, const ir_layer *l, int wp, long long count)
{
    emitter *e = c->e;
    long long cin = l->in.c, row = (long long)l->in.w * cin;
    char to[64], from[64];
    emit_line(e, "int y;");
    emit_line(e, "memset(src, 0, sizeof(float) * %lld);", count);
    gen_open_for(c, "y", 0, l->in.h, 1);
    emit_line(e, "memcpy(src + %s, in + %s, sizeof(float) * %lld);",
              GEN_SUM(to, (l->pad_top * wp + l->pad_left) * cin, { "y", wp * cin }),
              GEN_SUM(from, 0, { "y", row }), row);
    emit_close(e, "");
}

void gen_conv_emit_unpad(gen_ctx *c, const ir_layer *l, int wp, const char *row)
{
    emitter *e = c->e;
    long long cin = l->in.c, width = (long long)l->in.w * cin;
    char to[64], from[64];
    gen_open_for(c, row, 0, l->in.h, 1);
    emit_line(e, "memcpy(din + %s, dsrc + %s, sizeof(float) * %lld);",
              GEN_SUM(to, 0, { row, width }),
              GEN_SUM(from, (l->pad_top * wp + l->pad_left) * cin, { row, wp * cin }), width);
    emit_close(e, "");
}
