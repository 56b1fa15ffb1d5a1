/* pool.c - the pooling layer's emitter: max or average over a window,
 * skipping the padding (it is never read).  HWC: the innermost loops run
 * over contiguous channels. */
#include "codegen/layer_emitter.h"

#include <stdio.h>

static void pool_plan(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    p->has_backward = p->din >= 0;
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1);
    if (p->has_backward)
        gen_plan_common_args(L, i, 1, 0);
}

/* Opens the loops over output pixels and the window's valid rows/columns:
 * y0/x0 first input row/column of the window, ky0..ky1/kx0..kx1 the part
 * inside the input (padding is never read). */
static void emit_pool_window(gen_ctx *c, const ir_layer *l)
{
    emitter *e = c->e;
    emit_open(e, "for (oy = 0; oy < %d; oy++)", l->out.h);
    emit_open(e, "for (ox = 0; ox < %d; ox++)", l->out.w);
    emit_line(e, "const int y0 = oy * %d - %d, x0 = ox * %d - %d;", l->sh, l->pad_top,
              l->sw, l->pad_left);
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
    const char *R = c->restrict_kw, *M = c->mprefix;
    int ch = l->in.c;
    gen_sig s = gen_layer_sig(c, i, 0, GEN_BOTH);
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    gen_in_ptr(c, i, "in", NULL);
    emit_line(e, "float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    emit_line(e, "int ox, oy, ky, kx, ch;");
    emit_pool_window(c, l);
    emit_line(e, "float *%s o = out + (oy * %d + ox) * %d;", R, l->out.w, ch);
    if (l->pool == IR_POOL_MAX) {
        emit_open(e, "for (ch = 0; ch < %d; ch++)", ch);
        emit_line(e, "o[ch] = -HUGE_VALF;");
        emit_close(e, "");
        emit_line(e, "for (ky = ky0; ky < ky1; ky++)");
        emit_open(e, "    for (kx = kx0; kx < kx1; kx++)");
        emit_line(e, "const float *%s ip = in + ((y0 + ky) * %d + x0 + kx) * %d;", R,
                  l->in.w, ch);
        emit_open(e, "for (ch = 0; ch < %d; ch++)", ch);
        emit_line(e, "o[ch] = ip[ch] > o[ch] || ip[ch] != ip[ch] ? ip[ch] : o[ch];");
        emit_close(e, "");
        emit_close(e, "");
    } else {
        emit_line(e, "const float scale = 1.0f / (float)((ky1 - ky0) * (kx1 - kx0));");
        emit_open(e, "for (ch = 0; ch < %d; ch++)", ch);
        emit_line(e, "o[ch] = 0.0f;");
        emit_close(e, "");
        emit_line(e, "for (ky = ky0; ky < ky1; ky++)");
        emit_open(e, "    for (kx = kx0; kx < kx1; kx++)");
        emit_line(e, "const float *%s ip = in + ((y0 + ky) * %d + x0 + kx) * %d;", R,
                  l->in.w, ch);
        emit_open(e, "for (ch = 0; ch < %d; ch++)", ch);
        emit_line(e, "o[ch] += ip[ch];");
        emit_close(e, "");
        emit_close(e, "");
        emit_open(e, "for (ch = 0; ch < %d; ch++)", ch);
        emit_line(e, "o[ch] *= scale;");
        emit_close(e, "");
    }
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

static void pool_backward(gen_ctx *c, int i)
{
    char fname[128];
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int ch = l->in.c;
    gen_sig s = gen_layer_sig(c, i, 1, GEN_BOTH);
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    if (l->pool == IR_POOL_MAX) {
        gen_in_ptr(c, i, "in", NULL);
        emit_line(e, "const float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    }
    emit_line(e, "const float *%s dout = w + %s%s;", R, M, gen_buf(c, p->dout));
    emit_line(e, "float *%s din = w + %s%s;", R, M, gen_buf(c, p->din));
    emit_line(e, "int ox, oy, ky, kx, ch;");
    emit_line(e, "memset(din, 0, sizeof(float) * %lld);", (long long)l->in.h * l->in.w * ch);
    emit_pool_window(c, l);
    if (l->pool == IR_POOL_MAX)
        emit_line(e, "const float *%s o = out + (oy * %d + ox) * %d;", R, l->out.w, ch);
    emit_line(e, "const float *%s d = dout + (oy * %d + ox) * %d;", R, l->out.w, ch);
    if (l->pool == IR_POOL_MAX) {
        /* The gradient goes to the first input equal to the maximum, in
         * the forward pass's scan order; branch-free over the channels. */
        emit_line(e, "int taken[%d];", ch);
        emit_open(e, "for (ch = 0; ch < %d; ch++)", ch);
        emit_line(e, "taken[ch] = 0;");
        emit_close(e, "");
        emit_line(e, "for (ky = ky0; ky < ky1; ky++)");
        emit_open(e, "    for (kx = kx0; kx < kx1; kx++)");
        emit_line(e, "const float *%s ip = in + ((y0 + ky) * %d + x0 + kx) * %d;", R, l->in.w, ch);
        emit_line(e, "float *%s dp = din + ((y0 + ky) * %d + x0 + kx) * %d;", R, l->in.w, ch);
        emit_open(e, "for (ch = 0; ch < %d; ch++)", ch);
        emit_line(e, "const int hit = (taken[ch] == 0) & ((ip[ch] == o[ch]) | (o[ch] != o[ch]));");
        emit_line(e, "dp[ch] += hit ? d[ch] : 0.0f;");
        emit_line(e, "taken[ch] |= hit;");
        emit_close(e, "");
        emit_close(e, "");
    } else {
        emit_line(e, "const float scale = 1.0f / (float)((ky1 - ky0) * (kx1 - kx0));");
        emit_line(e, "for (ky = ky0; ky < ky1; ky++)");
        emit_open(e, "    for (kx = kx0; kx < kx1; kx++)");
        emit_line(e, "float *%s ip = din + ((y0 + ky) * %d + x0 + kx) * %d;", R, l->in.w, ch);
        emit_open(e, "for (ch = 0; ch < %d; ch++)", ch);
        emit_line(e, "ip[ch] += d[ch] * scale;");
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
