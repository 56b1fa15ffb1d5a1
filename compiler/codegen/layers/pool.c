/* pool.c - the pooling layer's emitter: max or average over a window,
 * skipping the padding (it is never read).  HWC: the innermost loops run
 * over contiguous channels. */
#include "codegen/layer_emitter.h"

#include <stdio.h>

/* Offset of output pixel (oy, ox), and of input tap (y0 + ky, x0 + kx). */
static const char *pixel(char *buf, size_t size, int width, int ch)
{
    const gen_term t[] = { { "oy", (long long)width * ch }, { "ox", ch } };
    return gen_sum_text(buf, size, 0, t, 2);
}

static const char *tap(char *buf, size_t size, int width, int ch)
{
    const gen_term t[] = { { "(y0 + ky)", (long long)width * ch }, { "(x0 + kx)", ch } };
    return gen_sum_text(buf, size, 0, t, 2);
}

/* Does every window lie inside the input (no padding, no clipped window at
 * the bottom or right)?  Then windows of at most UNROLLED_TAPS taps are
 * written out tap by tap inside the loop over channels: constant offsets,
 * the running maximum or sum in a register, a loop that vectorizes. */
#define UNROLLED_TAPS 16
static int windows_unrolled(const ir_layer *l)
{
    return l->pad_top == 0 && l->pad_left == 0 && l->kh * l->kw <= UNROLLED_TAPS
        && (long long)(l->out.h - 1) * l->sh + l->kh <= l->in.h
        && (long long)(l->out.w - 1) * l->sw + l->kw <= l->in.w;
}

/* Opens the loops over output pixels and channels of an unrolled window:
 * `ip` its first input (and `dp` that input's gradient), `o` and `d` the
 * output pixel and its gradient, as the loop form names them. */
static void open_unrolled(gen_ctx *c, const ir_layer *l, const char *in, const char *din,
                          const char *out, const char *dout)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int ch = l->in.c;
    char x[96];
    gen_open_for(c, "oy", 0, l->out.h, 1);
    gen_open_for(c, "ox", 0, l->out.w, 1);
    GEN_SUM(x, 0, { "oy", (long long)l->sh * l->in.w * ch }, { "ox", (long long)l->sw * ch });
    if (in)
        emit_line(e, "const float *%s ip = %s + %s;", R, in, x);
    if (din)
        emit_line(e, "float *%s dp = %s + %s;", R, din, x);
    if (out)
        emit_line(e, "%sfloat *%s o = %s + %s;", dout ? "const " : "", R, out,
                  pixel(x, sizeof x, l->out.w, ch));
    if (dout)
        emit_line(e, "const float *%s d = %s + %s;", R, dout, pixel(x, sizeof x, l->out.w, ch));
    gen_open_for(c, "ch", 0, ch, 1);
}

/* "ip[OFFSET + ch]": tap k of the window, in scan order, from its first
 * input `base`. */
static const char *tap_ref(char *buf, size_t size, const char *base, const ir_layer *l, int k)
{
    long long off = ((long long)(k / l->kw) * l->in.w + k % l->kw) * l->in.c;
    if (off)
        snprintf(buf, size, "%s[%lld + ch]", base, off);
    else
        snprintf(buf, size, "%s[ch]", base);
    return buf;
}

static void pool_forward_unrolled(gen_ctx *c, const ir_layer *l)
{
    emitter *e = c->e;
    int k, taps = l->kh * l->kw;
    char x[64];
    open_unrolled(c, l, "in", NULL, "out", NULL);
    if (l->pool == IR_POOL_MAX) {
        /* as the loop form, whose start at -inf the first tap always
         * replaces (or keeps, when it is -inf itself) */
        emit_line(e, "float m = ip[ch];");
        for (k = 1; k < taps; k++) {
            emit_line(e, "%s = %s;", k == 1 ? "float v" : "v", tap_ref(x, sizeof x, "ip", l, k));
            emit_line(e, "m = v > m || v != v ? v : m;");
        }
        emit_line(e, "o[ch] = m;");
    } else {
        emit_line(e, "float sum = 0.0f;");
        for (k = 0; k < taps; k++)
            emit_line(e, "sum += %s;", tap_ref(x, sizeof x, "ip", l, k));
        emit_line(e, "o[ch] = sum * (1.0f / (float)%d);", taps);
    }
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

static void pool_backward_unrolled(gen_ctx *c, const ir_layer *l, const char *add)
{
    emitter *e = c->e;
    int k, taps = l->kh * l->kw;
    int max = l->pool == IR_POOL_MAX;
    char x[64];
    open_unrolled(c, l, max ? "in" : NULL, "din", max ? "out" : NULL, "dout");
    if (max) {
        /* The gradient goes to the first input equal to the maximum (every
         * input is a hit where the maximum is NaN): `rest` is what is still
         * to give, 0 after the first hit. */
        emit_line(e, "const float m = o[ch];");
        emit_line(e, "const int nan = m != m;");
        emit_line(e, "float rest = d[ch];");
        emit_line(e, "int hit;");
        for (k = 0; k < taps; k++) {
            emit_line(e, "hit = (%s == m) | nan;", tap_ref(x, sizeof x, "ip", l, k));
            emit_line(e, "%s %s hit ? rest : 0.0f;", tap_ref(x, sizeof x, "dp", l, k), add);
            if (k + 1 < taps)
                emit_line(e, "rest = hit ? 0.0f : rest;");
        }
    } else {
        emit_line(e, "const float g = d[ch] * (1.0f / (float)%d);", taps);
        for (k = 0; k < taps; k++)
            emit_line(e, "%s %s g;", tap_ref(x, sizeof x, "dp", l, k), add);
    }
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

static void pool_plan(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    p->has_backward = p->din >= 0;
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (p->has_backward)
        gen_plan_common_args(L, i, 1, 0, GEN_BOTH);
}

/* Opens the loops over output pixels and the window's valid rows/columns:
 * y0/x0 first input row/column of the window, ky0..ky1/kx0..kx1 the part
 * inside the input (padding is never read). */
static void emit_pool_window(gen_ctx *c, const ir_layer *l)
{
    emitter *e = c->e;
    char y0[48], x0[48];
    gen_open_for(c, "oy", 0, l->out.h, 1);
    gen_open_for(c, "ox", 0, l->out.w, 1);
    emit_line(e, "const int y0 = %s, x0 = %s;", GEN_SUM(y0, -l->pad_top, { "oy", l->sh }),
              GEN_SUM(x0, -l->pad_left, { "ox", l->sw }));
    emit_line(e, "const int ky0 = y0 < 0 ? -y0 : 0, kx0 = x0 < 0 ? -x0 : 0;");
    emit_line(e, "const int ky1 = y0 + %d > %d ? %d - y0 : %d;", l->kh, l->in.h, l->in.h, l->kh);
    emit_line(e, "const int kx1 = x0 + %d > %d ? %d - x0 : %d;", l->kw, l->in.w, l->in.w, l->kw);
}

static void pool_forward(gen_ctx *c, int i)
{
    char fname[128];
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw;
    int ch = l->in.c;
    char x[96];
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    gen_open_layer_fn(c, i, 0, fname);
    gen_in_ptr(c, i, "in", NULL);
    gen_buf_ptr(c, "", "out", p->out);
    if (windows_unrolled(l)) {
        emit_line(e, "int ox, oy, ch;");
        pool_forward_unrolled(c, l);
        emit_close(e, "");
        return;
    }
    emit_line(e, "int ox, oy, ky, kx, ch;");
    emit_pool_window(c, l);
    emit_line(e, "float *%s o = out + %s;", R, pixel(x, sizeof x, l->out.w, ch));
    if (l->pool == IR_POOL_MAX) {
        gen_open_for(c, "ch", 0, ch, 1);
        emit_line(e, "o[ch] = -HUGE_VALF;");
        emit_close(e, "");
        emit_line(e, "for (ky = ky0; ky < ky1; ky++)");
        emit_open(e, "    for (kx = kx0; kx < kx1; kx++)");
        emit_line(e, "const float *%s ip = in + %s;", R, tap(x, sizeof x, l->in.w, ch));
        gen_open_for(c, "ch", 0, ch, 1);
        emit_line(e, "o[ch] = ip[ch] > o[ch] || ip[ch] != ip[ch] ? ip[ch] : o[ch];");
        emit_close(e, "");
        emit_close(e, "");
    } else {
        emit_line(e, "const float scale = 1.0f / (float)((ky1 - ky0) * (kx1 - kx0));");
        gen_open_for(c, "ch", 0, ch, 1);
        emit_line(e, "o[ch] = 0.0f;");
        emit_close(e, "");
        emit_line(e, "for (ky = ky0; ky < ky1; ky++)");
        emit_open(e, "    for (kx = kx0; kx < kx1; kx++)");
        emit_line(e, "const float *%s ip = in + %s;", R, tap(x, sizeof x, l->in.w, ch));
        gen_open_for(c, "ch", 0, ch, 1);
        emit_line(e, "o[ch] += ip[ch];");
        emit_close(e, "");
        emit_close(e, "");
        gen_open_for(c, "ch", 0, ch, 1);
        emit_line(e, "o[ch] *= scale;");
        emit_close(e, "");
    }
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

/* Do the windows partition the input (each pixel in exactly one window:
 * global pooling, `pool 2` on an even size)?  Then the input gradient is
 * written once, without zeroing it first. */
static int windows_partition(const ir_layer *l)
{
    return l->sh == l->kh && l->sw == l->kw
        && (long long)l->out.h * l->kh - l->pad_top >= l->in.h
        && (long long)l->out.w * l->kw - l->pad_left >= l->in.w;
}

static void pool_backward(gen_ctx *c, int i)
{
    char fname[128];
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw;
    int ch = l->in.c, partition = windows_partition(l);
    const char *add = partition ? "=" : "+=";
    char x[96];
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    gen_open_layer_fn(c, i, 1, fname);
    if (l->pool == IR_POOL_MAX) {
        gen_in_ptr(c, i, "in", NULL);
        gen_buf_ptr(c, "const ", "out", p->out);
    }
    gen_buf_ptr(c, "const ", "dout", p->dout);
    gen_buf_ptr(c, "", "din", p->din);
    emit_line(e, windows_unrolled(l) ? "int ox, oy, ch;" : "int ox, oy, ky, kx, ch;");
    if (!partition)
        emit_line(e, "memset(din, 0, sizeof(float) * %lld);", (long long)l->in.h * l->in.w * ch);
    if (windows_unrolled(l)) {
        pool_backward_unrolled(c, l, add);
        emit_close(e, "");
        return;
    }
    emit_pool_window(c, l);
    if (l->pool == IR_POOL_MAX)
        emit_line(e, "const float *%s o = out + %s;", R, pixel(x, sizeof x, l->out.w, ch));
    emit_line(e, "const float *%s d = dout + %s;", R, pixel(x, sizeof x, l->out.w, ch));
    if (l->pool == IR_POOL_MAX) {
        /* The gradient goes to the first input equal to the maximum, in
         * the forward pass's scan order; branch-free over the channels. */
        emit_line(e, "int taken[%d] %s;", ch, c->align_macro);
        gen_open_for(c, "ch", 0, ch, 1);
        emit_line(e, "taken[ch] = 0;");
        emit_close(e, "");
        emit_line(e, "for (ky = ky0; ky < ky1; ky++)");
        emit_open(e, "    for (kx = kx0; kx < kx1; kx++)");
        emit_line(e, "const float *%s ip = in + %s;", R, tap(x, sizeof x, l->in.w, ch));
        emit_line(e, "float *%s dp = din + %s;", R, tap(x, sizeof x, l->in.w, ch));
        gen_open_for(c, "ch", 0, ch, 1);
        emit_line(e, "const int hit = (taken[ch] == 0) & ((ip[ch] == o[ch]) | (o[ch] != o[ch]));");
        emit_line(e, "dp[ch] %s hit ? d[ch] : 0.0f;", add);
        emit_line(e, "taken[ch] |= hit;");
        emit_close(e, "");
        emit_close(e, "");
    } else {
        emit_line(e, "const float scale = 1.0f / (float)((ky1 - ky0) * (kx1 - kx0));");
        emit_line(e, "for (ky = ky0; ky < ky1; ky++)");
        emit_open(e, "    for (kx = kx0; kx < kx1; kx++)");
        emit_line(e, "float *%s ip = din + %s;", R, tap(x, sizeof x, l->in.w, ch));
        gen_open_for(c, "ch", 0, ch, 1);
        emit_line(e, "ip[ch] %s d[ch] * scale;", add);
        emit_close(e, "");
        emit_close(e, "");
    }
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

const gen_layer_emitter gen_pool_emitter = {
    .plan = pool_plan,
    .forward = pool_forward,
    .backward = pool_backward,
};
