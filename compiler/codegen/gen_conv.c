/* gen_conv.c - convolution layers: the plain loops (constant trip counts over
 * contiguous channels) and the wiring of the vector kernels of
 * gen_conv_vec.c behind `#ifdef CONVC_VECTOR`.  Padding is done once per
 * sample by copying the input into a zero border, so no inner loop tests
 * bounds. */
#include "codegen/gen_parts.h"

#include <stdio.h>
#include <string.h>

static void gen_conv_vec_wgrad_wrap(gen_ctx *c, const ir_layer *l, int wp)
{
    (void)wp;
    gen_conv_vec_wgrad(c, l);
}

/* The plain forward loops: one output pixel, all channels, at a time. */
static void emit_conv_forward_plain(gen_ctx *c, const ir_layer *l, int wp)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int cin = l->in.c, cout = l->filters;
    emit_line(e, "int ox, oy, ky, kx, ci, co;");
    emit_open(e, "for (oy = 0; oy < %d; oy++)", l->out.h);
    emit_open(e, "for (ox = 0; ox < %d; ox++)", l->out.w);
    emit_line(e, "float acc[%d];", cout);
    emit_line(e, "float *%s o = out + (oy * %d + ox) * %d;", R, l->out.w, cout);
    emit_open(e, "for (co = 0; co < %d; co++)", cout);
    emit_line(e, "acc[co] = bias[co];");
    emit_close(e, "");
    emit_open(e, "for (ky = 0; ky < %d; ky++)", l->kh);
    emit_open(e, "for (kx = 0; kx < %d; kx++)", l->kw);
    emit_line(e, "const float *%s xp = src + ((oy * %d + ky) * %d + ox * %d + kx) * %d;",
              R, l->sh, wp, l->sw, cin);
    emit_line(e, "const float *%s kp = kern + (ky * %d + kx) * %d;", R, l->kw, cin * cout);
    emit_open(e, "for (ci = 0; ci < %d; ci++)", cin);
    emit_line(e, "const float v = xp[ci];");
    emit_open(e, "for (co = 0; co < %d; co++)", cout);
    emit_line(e, "acc[co] += v * kp[ci * %d + co];", cout);
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_open(e, "for (co = 0; co < %d; co++)", cout);
    gen_apply_act(c, l->act, "o[co]", "acc[co]");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

void gen_emit_conv_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int wp = p->pad >= 0 ? p->pad_w : l->in.w;
    int cin = l->in.c;
    gen_sig s = gen_layer_sig(c, i, 0);

    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, gen_ten(c, p->bias));
    gen_in_ptr(c, i, "in", NULL);
    emit_line(e, "float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    if (p->pad >= 0) {
        emit_line(e, "float *%s src = w + %s%s;", R, M, gen_buf(c, p->pad));
        emit_line(e, "int y;");
        emit_line(e, "memset(src, 0, sizeof(float) * %lld);",
                  (long long)c->L->buffers[p->pad].count);
        emit_open(e, "for (y = 0; y < %d; y++)", l->in.h);
        emit_line(e, "memcpy(src + (y + %d) * %d + %d, in + y * %d, sizeof(float) * %d);",
                  l->pad_top, wp * cin, l->pad_left * cin, l->in.w * cin, l->in.w * cin);
        emit_close(e, "");
    } else {
        emit_line(e, "const float *%s src = in;", R);
    }
    if (gen_use_vec(c, i)) {
        long long n = (long long)l->out.h * l->out.w * l->out.c;
        gen_pp(c, "#ifdef CONVC_VECTOR");
        emit_line(e, "{");
        e->depth++;
        if (gen_use_wino(c, i)) {
            emit_line(e, "(void)kern;     /* transformed once per call into wu */");
            gen_wino_forward(c, i);
        } else
            gen_conv_vec_forward(c, l);
        e->depth--;
        emit_line(e, "}");
        if (l->act != IR_LINEAR) {
            emit_line(e, "{");
            e->depth++;
            emit_line(e, "long i;");
            emit_open(e, "for (i = 0; i < %lld; i++)", n);
            gen_apply_act(c, l->act, "out[i]", "out[i]");
            emit_close(e, "");
            e->depth--;
            emit_line(e, "}");
        }
        gen_pp(c, "#else");
        if (gen_use_wino(c, i)) {
            emit_line(e, "(void)wu;");
            emit_line(e, "(void)wv;");
            emit_line(e, "(void)wm;");
        }
        emit_line(e, "{");
        e->depth++;
        emit_conv_forward_plain(c, l, wp);
        e->depth--;
        emit_line(e, "}");
        gen_pp(c, "#endif");
    } else {
        emit_line(e, "{");
        e->depth++;
        emit_conv_forward_plain(c, l, wp);
        e->depth--;
        emit_line(e, "}");
    }
    emit_close(e, "");
}

static void emit_conv_wgrad_plain(gen_ctx *c, const ir_layer *l, int wp)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int cin = l->in.c, cout = l->filters;
    emit_line(e, "int ox, oy, ky, kx, ci, co;");
    emit_open(e, "for (oy = 0; oy < %d; oy++)", l->out.h);
    emit_open(e, "for (ox = 0; ox < %d; ox++)", l->out.w);
    emit_line(e, "const float *%s d = dz + (oy * %d + ox) * %d;", R, l->out.w, cout);
    emit_open(e, "for (ky = 0; ky < %d; ky++)", l->kh);
    emit_open(e, "for (kx = 0; kx < %d; kx++)", l->kw);
    emit_line(e, "const float *%s xp = src + ((oy * %d + ky) * %d + ox * %d + kx) * %d;",
              R, l->sh, wp, l->sw, cin);
    emit_line(e, "float *%s gk = gkern + (ky * %d + kx) * %d;", R, l->kw, cin * cout);
    emit_open(e, "for (ci = 0; ci < %d; ci++)", cin);
    emit_line(e, "const float v = xp[ci];");
    emit_open(e, "for (co = 0; co < %d; co++)", cout);
    emit_line(e, "gk[ci * %d + co] += v * d[co];", cout);
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

/* Input gradient, plain: scatter each output pixel's gradient through the
 * kernel; dot products over Cout kept in LANES partial sums. */
static void emit_conv_dx_plain(gen_ctx *c, int i, int wp)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int cin = l->in.c, cout = l->filters;
    int full = cout / LANES * LANES;
    emit_line(e, "int ox, oy, ky, kx, ci, co;");
    if (p->dpad >= 0) {
        emit_line(e, "float *%s dsrc = w + %s%s;", R, M, gen_buf(c, p->dpad));
        emit_line(e, "float *%s din = w + %s%s;", R, M, gen_buf(c, p->din));
        emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);",
                  (long long)c->L->buffers[p->dpad].count);
    } else {
        emit_line(e, "float *%s dsrc = w + %s%s;", R, M, gen_buf(c, p->din));
        emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);",
                  (long long)l->in.h * l->in.w * cin);
    }
    emit_open(e, "for (oy = 0; oy < %d; oy++)", l->out.h);
    emit_open(e, "for (ox = 0; ox < %d; ox++)", l->out.w);
    emit_line(e, "const float *%s d = dz + (oy * %d + ox) * %d;", R, l->out.w, cout);
    emit_open(e, "for (ky = 0; ky < %d; ky++)", l->kh);
    emit_open(e, "for (kx = 0; kx < %d; kx++)", l->kw);
    emit_line(e, "float *%s dx = dsrc + ((oy * %d + ky) * %d + ox * %d + kx) * %d;",
              R, l->sh, wp, l->sw, cin);
    emit_line(e, "const float *%s kp = kern + (ky * %d + kx) * %d;", R, l->kw, cin * cout);
    emit_open(e, "for (ci = 0; ci < %d; ci++)", cin);
    emit_line(e, "float part[%d] = { 0 };", LANES);
    emit_line(e, "int lane;");
    if (full > 0) {
        emit_open(e, "for (co = 0; co < %d; co += %d)", full, LANES);
        emit_open(e, "for (lane = 0; lane < %d; lane++)", LANES);
        emit_line(e, "part[lane] += kp[ci * %d + co + lane] * d[co + lane];", cout);
        emit_close(e, "");
        emit_close(e, "");
    }
    if (full < cout) {
        emit_open(e, "for (co = %d; co < %d; co++)", full, cout);
        emit_line(e, "part[0] += kp[ci * %d + co] * d[co];", cout);
        emit_close(e, "");
    }
    emit_line(e, "for (lane = 1; lane < %d; lane++)", LANES);
    emit_line(e, "    part[0] += part[lane];");
    emit_line(e, "dx[ci] += part[0];");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    if (p->dpad >= 0)
        gen_conv_emit_unpad(c, l, wp, "oy");
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

static void emit_block(gen_ctx *c, void (*body)(gen_ctx *, const ir_layer *, int),
                       const ir_layer *l, int wp)
{
    emit_line(c->e, "{");
    c->e->depth++;
    body(c, l, wp);
    c->e->depth--;
    emit_line(c->e, "}");
}

/* Winograd weight and input gradients, or the plain loops without vectors. */
static void emit_conv_backward_wino(gen_ctx *c, int i, int wp)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    gen_pp(c, "#ifdef CONVC_VECTOR");
    emit_line(e, "(void)gkern;    /* added once per call, from the transformed domain */");
    emit_line(e, "{");
    e->depth++;
    if (p->din >= 0) {
        emit_line(e, "float *%s dsrc = w + %s%s;", R, M, gen_buf(c, p->dpad));
        emit_line(e, "float *%s din = w + %s%s;", R, M, gen_buf(c, p->din));
        emit_line(e, "(void)params;");
    }
    gen_wino_backward(c, i);
    e->depth--;
    emit_line(e, "}");
    gen_pp(c, "#else");
    emit_line(e, "(void)wdu;");
    emit_line(e, "(void)wv;");
    emit_line(e, "(void)wm;");
    emit_block(c, emit_conv_wgrad_plain, l, wp);
    if (p->din >= 0) {
        emit_line(e, "(void)wut;");
        emit_line(e, "{");
        e->depth++;
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
        emit_conv_dx_plain(c, i, wp);
        e->depth--;
        emit_line(e, "}");
    }
    gen_pp(c, "#endif");
}

void gen_emit_conv_backward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int wp = p->pad >= 0 ? p->pad_w : l->in.w;
    int cout = l->filters;
    long long npix = (long long)l->out.h * l->out.w;
    gen_sig s = gen_layer_sig(c, i, 1);

    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "float *%s gbias = grads + %s%s;", R, M, gen_ten(c, p->bias));
    if (l->act != IR_LINEAR)
        emit_line(e, "const float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    emit_line(e, "float *%s dz = w + %s%s;", R, M, gen_buf(c, p->dout));
    if (p->pad >= 0)
        emit_line(e, "const float *%s src = w + %s%s;", R, M, gen_buf(c, p->pad));
    else
        gen_in_ptr(c, i, "src", NULL);
    emit_line(e, "{");
    e->depth++;
    emit_line(e, "long i;");
    emit_line(e, "int co;");
    gen_act_grad_loop(c, l->act, "dz", "out", npix * cout);
    emit_open(e, "for (i = 0; i < %lld; i++)", npix);
    emit_open(e, "for (co = 0; co < %d; co++)", cout);
    emit_line(e, "gbias[co] += dz[i * %d + co];", cout);
    emit_close(e, "");
    emit_close(e, "");
    e->depth--;
    emit_line(e, "}");
    if (gen_use_wino(c, i)) {
        emit_conv_backward_wino(c, i, wp);
        emit_close(e, "");
        return;
    }
    if (gen_use_vec(c, i)) {
        gen_pp(c, "#ifdef CONVC_VECTOR");
        emit_block(c, gen_conv_vec_wgrad_wrap, l, wp);
        gen_pp(c, "#else");
        emit_block(c, emit_conv_wgrad_plain, l, wp);
        gen_pp(c, "#endif");
    } else {
        emit_block(c, emit_conv_wgrad_plain, l, wp);
    }
    if (p->din >= 0) {
        int vdx = gen_use_vec(c, i) && p->vec_dx;
        emit_line(e, "{");
        e->depth++;
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
        if (vdx) {
            emit_line(e, "(void)kern;");
            gen_pp(c, "#ifdef CONVC_VECTOR");
            emit_line(e, "{");
            e->depth++;
            gen_conv_vec_dx(c, l, gen_buf(c, p->dzpad), gen_buf(c, p->din));
            e->depth--;
            emit_line(e, "}");
            gen_pp(c, "#else");
            emit_line(e, "(void)kflip;");
            emit_line(e, "{");
            e->depth++;
            emit_conv_dx_plain(c, i, wp);
            e->depth--;
            emit_line(e, "}");
            gen_pp(c, "#endif");
        } else {
            emit_conv_dx_plain(c, i, wp);
        }
        e->depth--;
        emit_line(e, "}");
    }
    emit_close(e, "");
}
