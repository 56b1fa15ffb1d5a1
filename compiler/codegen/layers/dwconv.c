/* dwconv.c - the depthwise convolution's emitter (Keras DepthwiseConv2D):
 * output channel co = ci*M + m is input channel ci convolved with its own
 * KH x KW filter, kernel (KH, KW, Cin, M).  The input is copied into a zero
 * border once per sample (conv_pad.c), so no inner loop tests bounds.  HWC
 * puts the channels innermost: a tap of the kernel and a pixel of the input
 * are contiguous over co, so the vector kernels run over 8 output channels
 * of DW_TILE neighbouring output pixels, the kernel's vector loaded once per
 * tap for all of them. */
#include "codegen/conv_pad.h"
#include "codegen/layer_emitter.h"

#include <stdio.h>

#define DW_TILE 4       /* output pixels of a row per vector tile */

static int out_channels(const ir_layer *l)
{
    return l->in.c * l->multiplier;
}

/* ---- plan --------------------------------------------------------------- */

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
    /* A vector of 8 output channels reads 8 input channels (M = 1) or one
     * (M a multiple of 8); other multipliers keep the plain loops. */
    p->vec = cout % 8 == 0 && (mult == 1 || mult % 8 == 0);
    p->pad_h = l->in.h + l->pad_top + l->pad_bottom;
    p->pad_w = l->in.w + l->pad_left + l->pad_right;
    if (l->pad_top || l->pad_left || l->pad_bottom || l->pad_right) {
        ir_shape ps = { p->pad_h, p->pad_w, l->in.c };
        p->pad = gen_layout_shaped(L, p->name, "pad", ps);
        if (p->din >= 0)
            p->dpad = gen_layout_shaped(L, p->name, "dpad", ps);
    }
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (L->training)        /* the weight gradient reads the input, unless padded */
        gen_plan_common_args(L, i, 1, p->pad < 0, GEN_BOTH);
}

/* ---- shared pieces -------------------------------------------------------- */

static void open_block(gen_ctx *c)
{
    emit_line(c->e, "{");
    c->e->depth++;
}

static void close_block(gen_ctx *c)
{
    c->e->depth--;
    emit_line(c->e, "}");
}

/* `name = base + offset of output pixel (oy, ox)` over Cout channels. */
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
    long long cin = l->in.c;
    char x[128];
    gen_open_for(c, "ky", 0, l->kh, 1);
    gen_open_for(c, "kx", 0, l->kw, 1);
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", cq, c->restrict_kw, name, base,
              GEN_SUM(x, 0, { "oy", l->sh * wp * cin }, { "ky", wp * cin },
                      { "ox", l->sw * cin }, { "kx", cin }));
}

/* `name = base + tap (ky, kx)` of a (KH, KW, Cout) kernel or its gradient. */
static void emit_tap_ptr(gen_ctx *c, const ir_layer *l, const char *cq, const char *name,
                         const char *base)
{
    int cout = out_channels(l);
    char x[96];
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", cq, c->restrict_kw, name, base,
              GEN_SUM(x, 0, { "ky", (long long)l->kw * cout }, { "kx", cout }));
}

/* Channel co = ci*M + m: "ci * M + m", or "co" when M = 1. */
static const char *channel(char *buf, size_t size, const ir_layer *l)
{
    if (l->multiplier == 1)
        snprintf(buf, size, "co");
    else
        snprintf(buf, size, "ci * %d + m", l->multiplier);
    return buf;
}

/* Opens the loops over the output channels: co, or ci and m. */
static void open_channels(gen_ctx *c, const ir_layer *l, const char *per_ci)
{
    if (l->multiplier == 1) {
        gen_open_for(c, "co", 0, l->in.c, 1);
        return;
    }
    gen_open_for(c, "ci", 0, l->in.c, 1);
    if (per_ci)
        emit_line(c->e, "%s", per_ci);
    gen_open_for(c, "m", 0, l->multiplier, 1);
}

static void close_channels(gen_ctx *c, const ir_layer *l, const char *after_ci)
{
    emit_close(c->e, "");
    if (l->multiplier == 1)
        return;
    if (after_ci)
        emit_line(c->e, "%s", after_ci);
    emit_close(c->e, "");
}

/* The loop variables of the channels: co, or ci and m. */
static const char *channel_vars(const ir_layer *l)
{
    return l->multiplier == 1 ? "co" : "ci, m";
}

/* ---- forward ------------------------------------------------------------ */

static void emit_forward_plain(gen_ctx *c, const ir_layer *l, int wp)
{
    emitter *e = c->e;
    int cout = out_channels(l);
    char ch[32];
    emit_line(e, "int ox, oy, ky, kx, co%s;", l->multiplier == 1 ? "" : ", ci, m");
    gen_open_for(c, "oy", 0, l->out.h, 1);
    gen_open_for(c, "ox", 0, l->out.w, 1);
    emit_pixel_ptr(c, l, "", "o", "out");
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "o[co] = bias[co];");
    emit_close(e, "");
    open_taps(c, l, wp, "const ", "xp", "src");
    emit_tap_ptr(c, l, "const ", "kp", "kern");
    channel(ch, sizeof ch, l);
    open_channels(c, l, l->multiplier == 1 ? NULL : "const float v = xp[ci];");
    if (l->multiplier == 1)
        emit_line(e, "o[co] += xp[co] * kp[co];");
    else
        emit_line(e, "o[%s] += v * kp[%s];", ch, ch);
    close_channels(c, l, NULL);
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

/* Input lanes of output channels co..co+7 at pixel t of a tile: 8
 * channels (M = 1), or channel co / M in every lane. */
static const char *input_lanes(char *buf, size_t size, const ir_layer *l, int t)
{
    char at[64];
    long long step = (long long)t * l->sw * l->in.c;
    if (l->multiplier == 1) {
        const gen_term tt[] = { { "xp", 1 }, { "co", 1 } };
        snprintf(buf, size, "vload(%s)", gen_sum_text(at, sizeof at, step, tt, 2));
    } else {
        char ci[32];
        snprintf(ci, sizeof ci, "co / %d", l->multiplier);
        const gen_term tt[] = { { ci, 1 } };
        snprintf(buf, size, "vsplat(xp[%s])", gen_sum_text(at, sizeof at, step, tt, 1));
    }
    return buf;
}

/* "a0 = init, a1 = init, ..." for the accumulators of a tile. */
static void emit_vector_list(gen_ctx *c, const char *name, int tile, const char *init)
{
    emitter *e = c->e;
    int t;
    emit_raw(e, "%*svf8 ", e->depth * 4, "");
    for (t = 0; t < tile; t++)
        emit_raw(e, "%s%d = %s%s", name, t, init, t + 1 < tile ? ", " : ";\n");
}

/* One tile of `tile` output pixels from (oy, ox), all channels. */
static void emit_forward_tile(gen_ctx *c, const ir_layer *l, int wp, int tile)
{
    emitter *e = c->e;
    int cout = out_channels(l), t;
    char x[96];
    emit_pixel_ptr(c, l, "", "o", "out");
    gen_open_for(c, "co", 0, cout, 8);
    emit_vector_list(c, "a", tile, "vload(bias + co)");
    open_taps(c, l, wp, "const ", "xp", "src");
    emit_line(e, "const vf8 kv = vload(%s);",
              GEN_SUM(x, 0, { "kern", 1 }, { "ky", (long long)l->kw * cout }, { "kx", cout },
                      { "co", 1 }));
    for (t = 0; t < tile; t++)
        emit_line(e, "a%d += %s * kv;", t, input_lanes(x, sizeof x, l, t));
    emit_close(e, "");
    emit_close(e, "");
    for (t = 0; t < tile; t++)
        emit_line(e, "vstore(%s, a%d);", GEN_SUM(x, (long long)t * cout, { "o", 1 }, { "co", 1 }),
                  t);
    emit_close(e, "");
}

/* The loops over the rows and over tiles of each row: whole tiles, then
 * single pixels for the rest; `tile_body` emits one tile. */
static void emit_tiled_rows(gen_ctx *c, const ir_layer *l, int wp,
                            void (*tile_body)(gen_ctx *, const ir_layer *, int, int))
{
    emitter *e = c->e;
    int tile = l->out.w < DW_TILE ? l->out.w : DW_TILE;
    int full = l->out.w / tile * tile;
    gen_open_for(c, "oy", 0, l->out.h, 1);
    if (full > tile) {
        emit_open(e, "for (ox = 0; ox < %d; ox += %d)", full, tile);
    } else {
        emit_line(e, "ox = 0;");
        open_block(c);
    }
    tile_body(c, l, wp, tile);
    emit_close(e, "");
    if (full < l->out.w) {
        emit_open(e, "for (ox = %d; ox < %d; ox++)", full, l->out.w);
        tile_body(c, l, wp, 1);
        emit_close(e, "");
    }
    emit_close(e, "");
}

static void emit_forward_vector(gen_ctx *c, const ir_layer *l, int wp)
{
    emitter *e = c->e;
    emit_line(e, "int ox, oy, ky, kx, co;");
    emit_tiled_rows(c, l, wp, emit_forward_tile);
    if (l->act != IR_LINEAR) {
        emit_line(e, "long i;");
        emit_open(e, "for (i = 0; i < %lld; i++)",
                  (long long)l->out.h * l->out.w * out_channels(l));
        gen_apply_act(c, l->act, "out[i]", "out[i]");
        emit_close(e, "");
    }
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
        gen_conv_emit_pad(c, l, p->pad_w, (long long)c->L->buffers[p->pad].count);
    } else {
        emit_line(e, "const float *%s src = in;", R);
    }
    if (p->vec) {
        gen_pp_vector(c, 1);
        open_block(c);
        emit_forward_vector(c, l, p->pad_w);
        close_block(c);
        gen_pp(c, "#else");
    }
    open_block(c);
    emit_forward_plain(c, l, p->pad_w);
    close_block(c);
    if (p->vec)
        gen_pp(c, "#endif");
    emit_close(e, "");
}

/* ---- backward ----------------------------------------------------------- */

/* Kernel and input gradients in one pass over pixels and taps: gk += x * d,
 * dx += sum over m of k * d. */
static void emit_backward_plain(gen_ctx *c, const ir_layer *l, int wp, int has_dx)
{
    emitter *e = c->e;
    char ch[32];
    channel(ch, sizeof ch, l);
    emit_line(e, "int ox, oy, ky, kx, %s;", channel_vars(l));
    gen_open_for(c, "oy", 0, l->out.h, 1);
    gen_open_for(c, "ox", 0, l->out.w, 1);
    emit_pixel_ptr(c, l, "const ", "d", "dz");
    open_taps(c, l, wp, "const ", "xp", "src");
    emit_tap_ptr(c, l, "", "gk", "gkern");
    if (has_dx) {
        emit_line(e, "float *%s dx = dsrc + (xp - src);", c->restrict_kw);
        emit_tap_ptr(c, l, "const ", "kp", "kern");
    }
    if (l->multiplier == 1) {
        open_channels(c, l, NULL);
        emit_line(e, "gk[co] += xp[co] * d[co];");
        if (has_dx)
            emit_line(e, "dx[co] += kp[co] * d[co];");
        close_channels(c, l, NULL);
    } else {
        open_channels(c, l, has_dx ? "float sum = 0.0f;" : NULL);
        emit_line(e, "gk[%s] += xp[ci] * d[%s];", ch, ch);
        if (has_dx)
            emit_line(e, "sum += kp[%s] * d[%s];", ch, ch);
        close_channels(c, l, has_dx ? "dx[ci] += sum;" : NULL);
    }
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

/* "((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]))" */
static const char *lane_sum(char *buf, size_t size, const char *v)
{
    snprintf(buf, size, "((%s[0] + %s[1]) + (%s[2] + %s[3])) + ((%s[4] + %s[5]) + (%s[6] + %s[7]))",
             v, v, v, v, v, v, v, v);
    return buf;
}

/* One tile of the backward pass: the output gradient of `tile` pixels from
 * (oy, ox), 8 channels at a time, through every tap. */
static void emit_backward_tile_dx(gen_ctx *c, const ir_layer *l, int wp, int tile, int has_dx)
{
    emitter *e = c->e;
    int cout = out_channels(l), t;
    long long cin = l->in.c;
    char x[128], y[96], sum[160];
    emit_pixel_ptr(c, l, "const ", "d", "dz");
    gen_open_for(c, "co", 0, cout, 8);
    for (t = 0; t < tile; t++)
        emit_line(e, "const vf8 d%d = vload(%s);", t,
                  GEN_SUM(x, (long long)t * cout, { "d", 1 }, { "co", 1 }));
    open_taps(c, l, wp, "const ", "xp", "src");
    emit_line(e, "float *%s gk = %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "gkern", 1 }, { "ky", (long long)l->kw * cout }, { "kx", cout },
                      { "co", 1 }));
    emit_line(e, "vf8 g = vload(gk);");
    for (t = 0; t < tile; t++)
        emit_line(e, "g += %s * d%d;", input_lanes(x, sizeof x, l, t), t);
    emit_line(e, "vstore(gk, g);");
    if (has_dx) {
        emit_line(e, "const vf8 kv = vload(%s);",
                  GEN_SUM(x, 0, { "kern", 1 }, { "ky", (long long)l->kw * cout },
                          { "kx", cout }, { "co", 1 }));
        emit_line(e, "float *%s dx = dsrc + (xp - src);", c->restrict_kw);
        for (t = 0; t < tile; t++) {
            if (l->multiplier == 1) {
                GEN_SUM(y, (long long)t * l->sw * cin, { "dx", 1 }, { "co", 1 });
                emit_line(e, "vstore(%s, vload(%s) + kv * d%d);", y, y, t);
            } else {
                char ci[32];
                snprintf(ci, sizeof ci, "co / %d", l->multiplier);
                open_block(c);
                emit_line(e, "const vf8 p = kv * d%d;", t);
                emit_line(e, "dx[%s] += %s;", GEN_SUM(y, (long long)t * l->sw * cin, { ci, 1 }),
                          lane_sum(sum, sizeof sum, "p"));
                close_block(c);
            }
        }
    }
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

static void emit_backward_tile(gen_ctx *c, const ir_layer *l, int wp, int tile)
{
    emit_backward_tile_dx(c, l, wp, tile, 1);
}

static void emit_backward_tile_no_dx(gen_ctx *c, const ir_layer *l, int wp, int tile)
{
    emit_backward_tile_dx(c, l, wp, tile, 0);
}

static void dwconv_backward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int cout = out_channels(l), has_dx = p->din >= 0;
    long long npix = (long long)l->out.h * l->out.w;
    char fname[128], x[64];
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    gen_open_layer_fn(c, i, 1, fname);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "float *%s gbias = grads + %s%s;", R, M, gen_ten(c, p->bias));
    if (l->act != IR_LINEAR)
        emit_line(e, "const float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    emit_line(e, "float *%s dz = w + %s%s;", R, M, gen_buf(c, p->dout));
    if (p->pad >= 0)
        emit_line(e, "const float *%s src = w + %s%s;", R, M, gen_buf(c, p->pad));
    else
        gen_in_ptr(c, i, "src", NULL);
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
    open_block(c);
    emit_line(e, "long i;");
    emit_line(e, "int co;");
    gen_act_grad_loop(c, l->act, "dz", "out", npix * cout);
    gen_open_for(c, "i", 0, npix, 1);
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "gbias[co] += dz[%s];", GEN_SUM(x, 0, { "i", cout }, { "co", 1 }));
    emit_close(e, "");
    emit_close(e, "");
    close_block(c);
    if (p->vec) {
        gen_pp_vector(c, 1);
        open_block(c);
        emit_line(e, "int ox, oy, ky, kx, co;");
        emit_tiled_rows(c, l, p->pad_w, has_dx ? emit_backward_tile : emit_backward_tile_no_dx);
        close_block(c);
        gen_pp(c, "#else");
    }
    open_block(c);
    emit_backward_plain(c, l, p->pad_w, has_dx);
    close_block(c);
    if (p->vec)
        gen_pp(c, "#endif");
    if (p->dpad >= 0) {
        open_block(c);
        emit_line(e, "int y;");
        gen_conv_emit_unpad(c, l, p->pad_w, "y");
        close_block(c);
    }
    emit_close(e, "");
}

const gen_layer_emitter gen_dwconv_emitter = {
    .plan = dwconv_plan,
    .forward = dwconv_forward,
    .backward = dwconv_backward,
};
