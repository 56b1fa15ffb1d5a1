/* dwconv.c - the depthwise convolution's emitter (Keras DepthwiseConv2D):
 * output channel co = ci*M + m is input channel ci convolved with its own
 * KH x KW filter, kernel (KH, KW, Cin, M).  Once per sample the input is
 * copied into a zero border and, for M > 1, each channel repeated M times
 * (the `pad` buffer, (H', W', Cin*M)), so that every loop runs over the
 * output channels alone, contiguous in HWC, and none tests bounds; the
 * input gradient is taken in that form and summed back (`dpad`).  The
 * vector kernels run over 16 channels (8 when Cin*M is not a multiple of
 * 16) of DW_TILE neighbouring output pixels: each tap's kernel vectors are
 * loaded once for the tile, and its accumulators are independent chains. */
#include "codegen/conv_pad.h"
#include "codegen/layer_emitter.h"

#include <stdio.h>

#define DW_TILE 4       /* output pixels of a row per vector tile */

static int out_channels(const ir_layer *l)
{
    return l->in.c * l->multiplier;
}

/* ---- plan --------------------------------------------------------------- */

/* Output channels per vector tile: 2 vectors where they fit, so that a tile
 * has 2 * DW_TILE independent accumulators. */
static int tile_vectors(const ir_layer *l)
{
    return out_channels(l) % 16 == 0 ? 2 : 1;
}

static void dwconv_plan(gen_layout *L, int i)
{
    const ir_layer *l = &L->m->layers[i];
    gen_layer_plan *p = &L->plan[i];
    int cout = out_channels(l), mult = l->multiplier;
    int ks[4] = { l->kh, l->kw, l->in.c, mult };
    int bs[1] = { cout };
    /* Keras' fans of a (KH, KW, Cin, M) kernel */
    p->kernel = gen_layout_tensor(L, p->name, "kernel", 4, ks, 1, l->kh * l->kw * l->in.c,
                                  l->kh * l->kw * mult);
    p->bias = gen_layout_tensor(L, p->name, "bias", 1, bs, 0, 0, 0);
    p->has_backward = 1;
    p->vec = cout % 8 == 0;
    p->pad_h = l->in.h + l->pad_top + l->pad_bottom;
    p->pad_w = l->in.w + l->pad_left + l->pad_right;
    if (mult > 1 || l->pad_top || l->pad_left || l->pad_bottom || l->pad_right) {
        ir_shape ps = { p->pad_h, p->pad_w, cout };
        p->pad = gen_layout_shaped(L, p->name, "pad", ps);
        if (p->din >= 0)
            p->dpad = gen_layout_shaped(L, p->name, "dpad", ps);
    }
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (L->training)        /* the weight gradient reads the input, unless copied */
        gen_plan_common_args(L, i, 1, p->pad < 0, GEN_BOTH);
}

/* ---- shared pieces -------------------------------------------------------- */

/* `name = base + offset of output pixel (oy, ox)`. */
static void emit_pixel_ptr(gen_ctx *c, const ir_layer *l, const char *cq, const char *name,
                           const char *base)
{
    char x[96];
    int cout = out_channels(l);
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", cq, c->restrict_kw, name, base,
              GEN_SUM(x, 0, { "oy", (long long)l->out.w * cout }, { "ox", cout }));
}

/* The loops over the taps, opened, with `name` at tap (ky, kx) of output
 * pixel (oy, ox) in the padded input `base` (rows wp pixels wide). */
static void open_taps(gen_ctx *c, const ir_layer *l, int wp, const char *cq, const char *name,
                      const char *base)
{
    long long ch = out_channels(l);
    char x[128];
    gen_open_for(c, "ky", 0, l->kh, 1);
    gen_open_for(c, "kx", 0, l->kw, 1);
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", cq, c->restrict_kw, name, base,
              GEN_SUM(x, 0, { "oy", l->sh * wp * ch }, { "ky", wp * ch },
                      { "ox", l->sw * ch }, { "kx", ch }));
}

/* `name = base + tap (ky, kx) [+ co]` of a (KH, KW, Cout) kernel or its
 * gradient. */
static const char *tap_offset(char *buf, size_t size, const ir_layer *l, const char *base,
                              int plus_co)
{
    int cout = out_channels(l);
    const gen_term t[] = { { base, 1 }, { "ky", (long long)l->kw * cout }, { "kx", cout },
                           { "co", plus_co } };
    return gen_sum_text(buf, size, 0, t, 4);
}

/* The input copied into `src` (the pad buffer): a zero border and each
 * channel repeated M times. */
static void emit_expand(gen_ctx *c, const ir_layer *l, const gen_layer_plan *p)
{
    emitter *e = c->e;
    long long cin = l->in.c, cout = out_channels(l), wp = p->pad_w;
    char to[96], from[64];
    if (l->multiplier == 1) {
        gen_conv_emit_pad(c, l, p->pad_w, (long long)c->L->buffers[p->pad].count);
        return;
    }
    emit_line(e, "int iy, ix, ci, m;");
    emit_line(e, "memset(src, 0, sizeof(float) * %lld);", (long long)c->L->buffers[p->pad].count);
    gen_open_for(c, "iy", 0, l->in.h, 1);
    gen_open_for(c, "ix", 0, l->in.w, 1);
    emit_line(e, "float *%s e = src + %s;", c->restrict_kw,
              GEN_SUM(to, (l->pad_top * wp + l->pad_left) * cout, { "iy", wp * cout },
                      { "ix", cout }));
    gen_open_for(c, "ci", 0, cin, 1);
    emit_line(e, "const float v = in[%s];",
              GEN_SUM(from, 0, { "iy", (long long)l->in.w * cin }, { "ix", cin }, { "ci", 1 }));
    gen_open_for(c, "m", 0, l->multiplier, 1);
    emit_line(e, "e[%s] = v;", GEN_SUM(to, 0, { "ci", l->multiplier }, { "m", 1 }));
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

/* din = the interior of dsrc, each input channel's M copies summed. */
static void emit_reduce(gen_ctx *c, const ir_layer *l, const gen_layer_plan *p)
{
    emitter *e = c->e;
    long long cin = l->in.c, cout = out_channels(l), wp = p->pad_w;
    char at[96], to[64];
    gen_open_block(c);
    if (l->multiplier == 1) {
        emit_line(e, "int y;");
        gen_conv_emit_unpad(c, l, p->pad_w, "y");
        gen_close_block(c);
        return;
    }
    emit_line(e, "int iy, ix, ci, m;");
    gen_open_for(c, "iy", 0, l->in.h, 1);
    gen_open_for(c, "ix", 0, l->in.w, 1);
    emit_line(e, "const float *%s e = dsrc + %s;", c->restrict_kw,
              GEN_SUM(at, (l->pad_top * wp + l->pad_left) * cout, { "iy", wp * cout },
                      { "ix", cout }));
    gen_open_for(c, "ci", 0, cin, 1);
    emit_line(e, "float sum = 0.0f;");
    gen_open_for(c, "m", 0, l->multiplier, 1);
    emit_line(e, "sum += e[%s];", GEN_SUM(at, 0, { "ci", l->multiplier }, { "m", 1 }));
    emit_close(e, "");
    emit_line(e, "din[%s] = sum;",
              GEN_SUM(to, 0, { "iy", (long long)l->in.w * cin }, { "ix", cin }, { "ci", 1 }));
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    gen_close_block(c);
}

/* The loops over the rows and over tiles of each row: whole tiles, then
 * single pixels for the rest; `tile_body` emits one tile, `row_begin` and
 * `row_end` (NULL: none) what runs on a row before and after its tiles,
 * while the row is in the first-level cache. */
static void emit_tiled_rows(gen_ctx *c, const ir_layer *l, int wp, int has_dx,
                            void (*tile_body)(gen_ctx *, const ir_layer *, int, int, int),
                            void (*row_begin)(gen_ctx *, const ir_layer *),
                            void (*row_end)(gen_ctx *, const ir_layer *))
{
    emitter *e = c->e;
    int tile = l->out.w < DW_TILE ? l->out.w : DW_TILE;
    int full = l->out.w / tile * tile;
    gen_open_for(c, "oy", 0, l->out.h, 1);
    if (row_begin)
        row_begin(c, l);
    if (full > tile) {
        emit_open(e, "for (ox = 0; ox < %d; ox += %d)", full, tile);
    } else {
        emit_line(e, "ox = 0;");
        gen_open_block(c);
    }
    tile_body(c, l, wp, tile, has_dx);
    emit_close(e, "");
    if (full < l->out.w) {
        gen_open_for(c, "ox", full, l->out.w, 1);
        tile_body(c, l, wp, 1, has_dx);
        emit_close(e, "");
    }
    if (row_end)
        row_end(c, l);
    emit_close(e, "");
}

/* `float *R name = base + oy * <row>;`: output row oy of an (H, W, Cout) buffer. */
static void emit_row_ptr(gen_ctx *c, const ir_layer *l, const char *cq, const char *name,
                         const char *base)
{
    char at[64];
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", cq, c->restrict_kw, name, base,
              GEN_SUM(at, 0, { "oy", (long long)l->out.w * out_channels(l) }));
}

/* The activation over the output row just computed. */
static void emit_row_act(gen_ctx *c, const ir_layer *l)
{
    emitter *e = c->e;
    gen_open_block(c);
    emit_row_ptr(c, l, "", "orow", "out");
    emit_line(e, "int j;");
    gen_open_for(c, "j", 0, (long long)l->out.w * out_channels(l), 1);
    gen_apply_act(c, l->act, "orow[j]", "orow[j]");
    emit_close(e, "");
    gen_close_block(c);
}

/* dz *= act'(out) over row oy and the bias gradient's sums of it, before
 * the row's tiles read it: pixel by pixel, the order of
 * gen_emit_bias_grad. */
static void emit_row_bias_grad(gen_ctx *c, const ir_layer *l)
{
    emitter *e = c->e;
    int cout = out_channels(l);
    char at[64];
    gen_open_block(c);
    if (l->act != IR_LINEAR)
        emit_row_ptr(c, l, "const ", "orow", "out");
    emit_row_ptr(c, l, "", "drow", "dz");
    emit_line(e, "int px, j;");
    gen_open_for(c, "px", 0, l->out.w, 1);
    gen_open_for(c, "j", 0, cout, 1);
    GEN_SUM(at, 0, { "px", cout }, { "j", 1 });
    if (l->act != IR_LINEAR) {
        char d[96], y[96];
        snprintf(d, sizeof d, "drow[%s]", at);
        snprintf(y, sizeof y, "orow[%s]", at);
        gen_act_grad(c, l->act, d, d, y);
    }
    emit_line(e, "gbias[j] += drow[%s];", at);
    emit_close(e, "");
    emit_close(e, "");
    gen_close_block(c);
}

/* ---- forward ------------------------------------------------------------ */

static void emit_forward_plain(gen_ctx *c, const ir_layer *l, int wp)
{
    emitter *e = c->e;
    int cout = out_channels(l);
    char x[96];
    emit_line(e, "int ox, oy, ky, kx, co;");
    gen_open_for(c, "oy", 0, l->out.h, 1);
    gen_open_for(c, "ox", 0, l->out.w, 1);
    emit_pixel_ptr(c, l, "", "o", "out");
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "o[co] = bias[co];");
    emit_close(e, "");
    open_taps(c, l, wp, "const ", "xp", "src");
    emit_line(e, "const float *%s kp = %s;", c->restrict_kw, tap_offset(x, sizeof x, l, "kern", 0));
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "o[co] += xp[co] * kp[co];");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    if (l->act != IR_LINEAR) {
        gen_open_for(c, "co", 0, cout, 1);
        gen_apply_act(c, l->act, "o[co]", "o[co]");
        emit_close(e, "");
    }
    emit_close(e, "");
    emit_close(e, "");
}

/* Vector b of pixel t of a tile: `base + t * step + co + 8 * b`. */
static const char *lane_ptr(char *buf, size_t size, const char *base, long long step, int t,
                            int b)
{
    const gen_term tt[] = { { base, 1 }, { "co", 1 } };
    return gen_sum_text(buf, size, (long long)t * step + 8 * b, tt, 2);
}

/* One tile of `tile` output pixels from (oy, ox), all channels. */
static void emit_forward_tile(gen_ctx *c, const ir_layer *l, int wp, int tile, int has_dx)
{
    emitter *e = c->e;
    int cout = out_channels(l), vecs = tile_vectors(l), t, b;
    long long step = (long long)l->sw * cout;
    char x[128], y[128];
    (void)has_dx;
    emit_pixel_ptr(c, l, "", "o", "out");
    gen_open_for(c, "co", 0, cout, 8 * vecs);
    for (b = 0; b < vecs; b++) {
        emit_raw(e, "%*svf8 ", e->depth * 4, "");
        for (t = 0; t < tile; t++)
            emit_raw(e, "a%d_%d = vload(%s)%s", t, b, lane_ptr(x, sizeof x, "bias", 0, 0, b),
                     t + 1 < tile ? ", " : ";\n");
    }
    open_taps(c, l, wp, "const ", "xp", "src");
    for (b = 0; b < vecs; b++) {
        const gen_term tt[] = { { "kern", 1 }, { "ky", (long long)l->kw * cout },
                                { "kx", cout }, { "co", 1 } };
        emit_line(e, "const vf8 k%d = vload(%s);", b, gen_sum_text(y, sizeof y, 8 * b, tt, 4));
    }
    for (t = 0; t < tile; t++)
        for (b = 0; b < vecs; b++)
            emit_line(e, "a%d_%d += vload(%s) * k%d;", t, b,
                      lane_ptr(x, sizeof x, "xp", step, t, 0 + b), b);
    emit_close(e, "");
    emit_close(e, "");
    for (t = 0; t < tile; t++)
        for (b = 0; b < vecs; b++)
            emit_line(e, "vstore(%s, a%d_%d);", lane_ptr(x, sizeof x, "o", cout, t, b), t, b);
    emit_close(e, "");
}

static void emit_forward_vector(gen_ctx *c, const ir_layer *l, int wp)
{
    emitter *e = c->e;
    emit_line(e, "int ox, oy, ky, kx, co;");
    emit_tiled_rows(c, l, wp, 0, emit_forward_tile, NULL,
                    l->act != IR_LINEAR ? emit_row_act : NULL);
}

static void dwconv_forward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    gen_open_layer_fn(c, i, 0, fname);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, gen_ten(c, p->bias));
    gen_in_ptr(c, i, "in", NULL);
    emit_line(e, "float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    if (p->pad >= 0) {
        emit_line(e, "float *%s src = w + %s%s;", R, M, gen_buf(c, p->pad));
        emit_expand(c, l, p);
    } else {
        emit_line(e, "const float *%s src = in;", R);
    }
    if (p->vec) {
        gen_pp_vector(c, 1);
        gen_open_block(c);
        emit_forward_vector(c, l, p->pad_w);
        gen_close_block(c);
        gen_pp(c, "#else");
    }
    gen_open_block(c);
    emit_forward_plain(c, l, p->pad_w);
    gen_close_block(c);
    if (p->vec)
        gen_pp(c, "#endif");
    emit_close(e, "");
}

/* ---- backward ----------------------------------------------------------- */

/* Kernel and input gradients in one pass over pixels and taps: gk += x * d,
 * dx += k * d. */
static void emit_backward_plain(gen_ctx *c, const ir_layer *l, int wp, int has_dx)
{
    emitter *e = c->e;
    char x[96];
    emit_line(e, "int ox, oy, ky, kx, co;");
    gen_open_for(c, "oy", 0, l->out.h, 1);
    gen_open_for(c, "ox", 0, l->out.w, 1);
    emit_pixel_ptr(c, l, "const ", "d", "dz");
    open_taps(c, l, wp, "const ", "xp", "src");
    emit_line(e, "float *%s gk = %s;", c->restrict_kw, tap_offset(x, sizeof x, l, "gkern", 0));
    if (has_dx) {
        emit_line(e, "float *%s dx = dsrc + (xp - src);", c->restrict_kw);
        emit_line(e, "const float *%s kp = %s;", c->restrict_kw,
                  tap_offset(x, sizeof x, l, "kern", 0));
    }
    gen_open_for(c, "co", 0, out_channels(l), 1);
    emit_line(e, "gk[co] += xp[co] * d[co];");
    if (has_dx)
        emit_line(e, "dx[co] += kp[co] * d[co];");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

/* With stride 1, the input gradient of kernel row ky for the tile: input
 * pixel j of the row (0 <= j < tile + KW - 1) gets k[ky][kx] * d_t from
 * every tap with t + kx = j, summed in registers before one load and
 * store of the pixel (rather than one per tap). */
static void emit_dx_row(gen_ctx *c, const ir_layer *l, int wp, int tile)
{
    emitter *e = c->e;
    long long ch = out_channels(l);
    int vecs = tile_vectors(l), j, b, kx;
    char x[128];
    emit_line(e, "float *%s dxr = dsrc + %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "oy", l->sh * wp * ch }, { "ky", wp * ch }, { "ox", ch },
                      { "co", 1 }));
    emit_line(e, "const float *%s kr = kern + %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "ky", (long long)l->kw * ch }, { "co", 1 }));
    for (j = 0; j < tile + l->kw - 1; j++)
        for (b = 0; b < vecs; b++) {
            emit_line(e, "vf8 s%d_%d = vload(%s);", j, b,
                      GEN_SUM(x, j * ch + 8 * b, { "dxr", 1 }));
            for (kx = 0; kx < l->kw; kx++)
                if (j - kx >= 0 && j - kx < tile)
                    emit_line(e, "s%d_%d += vload(%s) * d%d_%d;", j, b,
                              GEN_SUM(x, kx * ch + 8 * b, { "kr", 1 }), j - kx, b);
            emit_line(e, "vstore(%s, s%d_%d);", GEN_SUM(x, j * ch + 8 * b, { "dxr", 1 }), j, b);
        }
}

/* One tile of the backward pass: the output gradient of `tile` pixels from
 * (oy, ox), tile_vectors() vectors of channels at a time, through every tap. */
static void emit_backward_tile(gen_ctx *c, const ir_layer *l, int wp, int tile, int has_dx)
{
    emitter *e = c->e;
    int cout = out_channels(l), vecs = tile_vectors(l), t, b;
    long long step = (long long)l->sw * cout;
    char x[128], y[128];
    emit_pixel_ptr(c, l, "const ", "d", "dz");
    gen_open_for(c, "co", 0, cout, 8 * vecs);
    for (t = 0; t < tile; t++)
        for (b = 0; b < vecs; b++)
            emit_line(e, "const vf8 d%d_%d = vload(%s);", t, b,
                      lane_ptr(x, sizeof x, "d", cout, t, b));
    open_taps(c, l, wp, "const ", "xp", "src");
    emit_line(e, "float *%s gk = %s;", c->restrict_kw, tap_offset(x, sizeof x, l, "gkern", 1));
    if (has_dx && l->sw > 1) {
        emit_line(e, "const float *%s kp = %s;", c->restrict_kw,
                  tap_offset(x, sizeof x, l, "kern", 1));
        emit_line(e, "float *%s dx = dsrc + (xp - src);", c->restrict_kw);
    }
    for (b = 0; b < vecs; b++) {
        emit_line(e, "vf8 g%d = vload(%s);", b, GEN_SUM(x, 8 * b, { "gk", 1 }));
        for (t = 0; t < tile; t++)
            emit_line(e, "g%d += vload(%s) * d%d_%d;", b, lane_ptr(x, sizeof x, "xp", step, t, b),
                      t, b);
        emit_line(e, "vstore(%s, g%d);", GEN_SUM(x, 8 * b, { "gk", 1 }), b);
    }
    if (has_dx && l->sw > 1) {
        for (b = 0; b < vecs; b++)
            emit_line(e, "const vf8 k%d = vload(%s);", b, GEN_SUM(x, 8 * b, { "kp", 1 }));
        for (t = 0; t < tile; t++)
            for (b = 0; b < vecs; b++) {
                lane_ptr(y, sizeof y, "dx", step, t, b);
                emit_line(e, "vstore(%s, vload(%s) + k%d * d%d_%d);", y, y, b, t, b);
            }
    }
    emit_close(e, "");
    if (has_dx && l->sw == 1)
        emit_dx_row(c, l, wp, tile);
    emit_close(e, "");
    emit_close(e, "");
}

static void dwconv_backward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int cout = out_channels(l), has_dx = p->din >= 0;
    long long npix = (long long)l->out.h * l->out.w;
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    gen_open_layer_fn(c, i, 1, fname);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, p->kernel));
    gen_emit_conv_grad_ptrs(c, i);
    if (has_dx) {
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
        emit_line(e, "float *%s din = w + %s%s;", R, M, gen_buf(c, p->din));
        if (p->dpad >= 0)
            emit_line(e, "float *%s dsrc = w + %s%s;", R, M, gen_buf(c, p->dpad));
        else
            emit_line(e, "float *%s dsrc = din;", R);
        emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);",
                  (long long)(p->dpad >= 0 ? c->L->buffers[p->dpad].count
                                           : (int64_t)l->in.h * l->in.w * l->in.c));
    }
    if (p->vec) {
        gen_pp_vector(c, 1);
        gen_open_block(c);
        emit_line(e, "int ox, oy, ky, kx, co;");
        emit_tiled_rows(c, l, p->pad_w, has_dx, emit_backward_tile, emit_row_bias_grad, NULL);
        gen_close_block(c);
        gen_pp(c, "#else");
    }
    gen_emit_bias_grad(c, l->act, npix, cout);
    gen_open_block(c);
    emit_backward_plain(c, l, p->pad_w, has_dx);
    gen_close_block(c);
    if (p->vec)
        gen_pp(c, "#endif");
    if (p->dpad >= 0)
        emit_reduce(c, l, p);
    emit_close(e, "");
}

const gen_layer_emitter gen_dwconv_emitter = {
    .plan = dwconv_plan,
    .forward = dwconv_forward,
    .backward = dwconv_backward,
};
