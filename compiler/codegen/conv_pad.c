/* conv_pad.c - copies into and out of a convolution's zero border, once per
 * sample, so that no inner loop tests bounds. */
#include "codegen/conv_pad.h"

#include <stdio.h>

/* `sizeof(float) * n`, or `sizeof(float)` for one. */
static const char *bytes_of(char *buf, size_t size, long long n)
{
    if (n == 1)
        snprintf(buf, size, "sizeof(float)");
    else
        snprintf(buf, size, "sizeof(float) * %lld", n);
    return buf;
}

/* Each float of the buffer is written once: the border zeroed, the
 * interior copied (not the whole buffer zeroed first). */
void gen_conv_emit_pad(gen_ctx *c, const ir_layer *l, int wp, long long count)
{
    emitter *e = c->e;
    long long cin = l->in.c, row = (long long)l->in.w * cin, line = wp * cin;
    long long left = l->pad_left * cin, right = line - left - row;
    long long above = l->pad_top * line, below = count - (l->pad_top + l->in.h) * line;
    char at[64], to[64], n[48];
    emit_line(e, "int y;");
    if (above > 0)
        emit_line(e, "memset(src, 0, %s);", bytes_of(n, sizeof n, above));
    gen_open_for(c, "y", 0, l->in.h, 1);
    emit_line(e, "float *r = src + %s;", GEN_SUM(at, above, { "y", line }));
    if (left > 0)
        emit_line(e, "memset(r, 0, %s);", bytes_of(n, sizeof n, left));
    char from[80];
    GEN_SUM(to, left, { "r", 1 });
    snprintf(from, sizeof from, "in + %s", GEN_SUM(at, 0, { "y", row }));
    gen_emit_copy(c, to, from, row);
    if (right > 0)
        emit_line(e, "memset(%s, 0, %s);", GEN_SUM(to, left + row, { "r", 1 }),
                  bytes_of(n, sizeof n, right));
    emit_close(e, "");
    if (below > 0)
        emit_line(e, "memset(src + %lld, 0, %s);", count - below, bytes_of(n, sizeof n, below));
}

void gen_conv_emit_unpad(gen_ctx *c, const ir_layer *l, int wp, const char *row)
{
    emitter *e = c->e;
    long long cin = l->in.c, width = (long long)l->in.w * cin;
    char to[64], from[64], dst[80], src[80];
    gen_open_for(c, row, 0, l->in.h, 1);
    snprintf(dst, sizeof dst, "din + %s", GEN_SUM(to, 0, { row, width }));
    snprintf(src, sizeof src, "dsrc + %s",
             GEN_SUM(from, (l->pad_top * wp + l->pad_left) * cin, { row, wp * cin }));
    gen_emit_copy(c, dst, src, width);
    emit_close(e, "");
}
