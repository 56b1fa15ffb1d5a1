/* conv.c - the convolution layer's emitter: its plan (direct plain loops,
 * vector kernels or Winograd; padded extents; buffers), the forward and
 * backward functions with the plain loops, and the wiring of the vector
 * kernels (conv_vec.c) and the Winograd kernels (gen_winograd.c) behind
 * `#ifdef CONVC_VECTOR`.  Padding is done once per sample by copying the
 * input into a zero border, so no inner loop tests bounds. */
#include "codegen/conv_pad.h"
#include "codegen/conv_vec.h"
#include "codegen/gen_parts.h"
#include "codegen/layer_emitter.h"
#include "codegen/winograd.h"

#include <stdio.h>
#include <string.h>

/* ---- plan --------------------------------------------------------------- */

/* Winograd tiles for conv layer l, or 0: stride 1, channels in whole
 * vectors, and a kernel size with an algorithm (winograd.c). */
static int plan_winograd(gen_layer_plan *p, const ir_layer *l)
{
    p->wm_h = wino_choose_m(l->kh, l->out.h);
    p->wm_w = wino_choose_m(l->kw, l->out.w);
    if (!p->vec || l->in.c % 8 != 0 || l->sh != 1 || l->sw != 1 || !p->wm_h || !p->wm_w) {
        p->wm_h = p->wm_w = 0;
        return 0;
    }
    p->th = (l->out.h + p->wm_h - 1) / p->wm_h;
    p->tw = (l->out.w + p->wm_w - 1) / p->wm_w;
    return 1;
}

static void add_winograd_buffers(gen_layout *L, gen_layer_plan *p, const ir_layer *l)
{
    int64_t xi = (int64_t)(p->wm_h + l->kh - 1) * (p->wm_w + l->kw - 1);
    int64_t tiles = (int64_t)p->th * p->tw;
    char t[64];
    snprintf(t, sizeof t, "(%lld, %d, %d)", (long long)xi, l->in.c, l->filters);
    if (!L->const_kernels)
        p->wu = gen_layout_buffer(L, p->name, "wu", xi * l->in.c * l->filters, t, 1);
    if (L->training) {
        p->wdu = gen_layout_buffer(L, p->name, "wdu", xi * l->in.c * l->filters, t, 1);
        snprintf(t, sizeof t, "(%lld, %d, %d)", (long long)xi, l->filters, l->in.c);
        p->wut = gen_layout_buffer(L, p->name, "wut", xi * l->in.c * l->filters, t, 1);
    }
    snprintf(t, sizeof t, "(%lld, %lld, %d)", (long long)xi, (long long)tiles, l->in.c);
    p->wv = gen_layout_buffer(L, p->name, "wv", xi * tiles * l->in.c, t, 1);
    snprintf(t, sizeof t, "(%lld, %lld, %d)", (long long)xi, (long long)tiles, l->filters);
    p->wm = gen_layout_buffer(L, p->name, "wm", xi * tiles * l->filters, t, 1);
}

static void conv_args(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    gen_plan_common_args(L, i, 0, 1);
    if (p->wino) {
        gen_plan_arg(&p->fwd_args, L->const_kernels ? GEN_ARG_CONSTANT : GEN_ARG_SHARED, "wu",
                     p->wu, 1, GEN_BOTH);
        gen_plan_arg(&p->fwd_args, GEN_ARG_SHARED, "wv", p->wv, 0, GEN_BOTH);
        gen_plan_arg(&p->fwd_args, GEN_ARG_SHARED, "wm", p->wm, 0, GEN_BOTH);
    }
    if (!L->training)
        return;
    /* backward reads the input for the weight gradient, unless padded */
    gen_plan_common_args(L, i, 1, p->pad < 0);
    if (p->wino) {
        /* wut serves the input gradient only: none for the first layer */
        if (p->din >= 0)
            gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "wut", p->wut, 1, GEN_BOTH);
        gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "wdu", p->wdu, 0, GEN_BOTH);
        gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "wv", p->wv, 0, GEN_BOTH);
        gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "wm", p->wm, 0, GEN_BOTH);
    }
    if (p->vec_dx)
        gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "kflip", p->kflip, 1, GEN_BOTH);
}

static void conv_plan(gen_layout *L, int i)
{
    const ir_layer *l = &L->m->layers[i];
    gen_layer_plan *p = &L->plan[i];
    int ks[4] = { l->kh, l->kw, l->in.c, l->filters };
    int bs[1] = { l->filters };
    p->kernel = gen_layout_tensor(L, p->name, "kernel", 4, ks, 1, l->kh * l->kw * l->in.c,
                                  l->kh * l->kw * l->filters);
    p->bias = gen_layout_tensor(L, p->name, "bias", 1, bs, 0, 0, 0);
    p->has_backward = 1;
    p->vec = l->filters % 8 == 0;
    p->wino = !L->direct && plan_winograd(p, l);
    p->vec_dx = L->training && p->din >= 0 && p->vec && !p->wino && l->in.c % 8 == 0 &&
                l->sh == 1 && l->sw == 1;
    /* Winograd tiles read whole alpha x alpha blocks: the padded input
     * grows to a whole number of tiles and always exists. */
    p->pad_h = l->in.h + l->pad_top + l->pad_bottom;
    p->pad_w = l->in.w + l->pad_left + l->pad_right;
    if (p->wino) {
        p->pad_h = p->th * p->wm_h + l->kh - 1;
        p->pad_w = p->tw * p->wm_w + l->kw - 1;
        add_winograd_buffers(L, p, l);
    }
    if (p->vec_dx) {
        ir_shape ds = { l->out.h + 2 * (l->kh - 1), l->out.w + 2 * (l->kw - 1), l->filters };
        char kt[64];
        p->dzpad_h = ds.h;
        p->dzpad_w = ds.w;
        snprintf(kt, sizeof kt, "(%d, %d, %d, %d)", l->kh, l->kw, l->filters, l->in.c);
        p->kflip = gen_layout_buffer(L, p->name, "kflip",
                                     (int64_t)l->kh * l->kw * l->in.c * l->filters, kt, 1);
        p->dzpad = gen_layout_shaped(L, p->name, "dzpad", ds);
    }
    if (p->wino || l->pad_top || l->pad_left || l->pad_bottom || l->pad_right) {
        ir_shape ps = { p->pad_h, p->pad_w, l->in.c };
        p->pad = gen_layout_shaped(L, p->name, "pad", ps);
        if (p->din >= 0)
            p->dpad = gen_layout_shaped(L, p->name, "dpad", ps);
    }
    gen_layout_output(L, i);
    conv_args(L, i);
}

/* ---- forward ------------------------------------------------------------ */

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

static void emit_conv_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int wp = p->pad_w;
    gen_sig s = gen_layer_sig(c, i, 0, GEN_BOTH);

    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, gen_ten(c, p->bias));
    gen_in_ptr(c, i, "in", NULL);
    emit_line(e, "float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    if (p->pad >= 0) {
        emit_line(e, "float *%s src = w + %s%s;", R, M, gen_buf(c, p->pad));
        gen_conv_emit_pad(c, l, wp, (long long)c->L->buffers[p->pad].count);
    } else {
        emit_line(e, "const float *%s src = in;", R);
    }
    if (p->vec) {
        long long n = (long long)l->out.h * l->out.w * l->out.c;
        gen_pp(c, "#ifdef CONVC_VECTOR");
        emit_line(e, "{");
        e->depth++;
        if (p->wino) {
            emit_line(e, "(void)kern;     /* transformed once per call into wu */");
            gen_wino_forward(c, i);
        } else
            gen_conv_vec_forward(c, i);
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
        if (p->wino) {
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

/* The once-per-call Winograd functions of conv layer i. */
static void emit_wino_functions(gen_ctx *c, int i)
{
    char fname[128];
    if (!c->L->plan[i].wino || c->L->const_kernels)  /* inference: constants */
        return;
    emit_blank(c->e);
    gen_pp(c, "#ifdef CONVC_VECTOR");
    gen_fn_name(c, fname, sizeof fname, i, "wino_filter", 0);
    gen_wino_filter_function(c, i, fname);
    if (c->L->training) {
        emit_blank(c->e);
        gen_fn_name(c, fname, sizeof fname, i, "wino_prepare", 0);
        gen_wino_prepare_function(c, i, fname);
        emit_blank(c->e);
        gen_fn_name(c, fname, sizeof fname, i, "wino_finish", 0);
        gen_wino_finish_function(c, i, fname);
    }
    gen_pp(c, "#endif");
}

static void conv_forward(gen_ctx *c, int i)
{
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    emit_conv_forward(c, i, fname);
    emit_wino_functions(c, i);
}

/* ---- backward ----------------------------------------------------------- */

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

static void conv_vec_wgrad(gen_ctx *c, const ir_layer *l, int wp)
{
    (void)wp;
    gen_conv_vec_wgrad(c, l->index);
}

static void emit_conv_backward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int wp = p->pad_w;
    int cout = l->filters;
    long long npix = (long long)l->out.h * l->out.w;
    gen_sig s = gen_layer_sig(c, i, 1, GEN_BOTH);

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
    if (p->wino) {
        emit_conv_backward_wino(c, i, wp);
        emit_close(e, "");
        return;
    }
    if (p->vec) {
        gen_pp(c, "#ifdef CONVC_VECTOR");
        emit_block(c, conv_vec_wgrad, l, wp);
        gen_pp(c, "#else");
        emit_block(c, emit_conv_wgrad_plain, l, wp);
        gen_pp(c, "#endif");
    } else {
        emit_block(c, emit_conv_wgrad_plain, l, wp);
    }
    if (p->din >= 0) {
        emit_line(e, "{");
        e->depth++;
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
        if (p->vec_dx) {
            emit_line(e, "(void)kern;");
            gen_pp(c, "#ifdef CONVC_VECTOR");
            emit_line(e, "{");
            e->depth++;
            gen_conv_vec_dx(c, i);
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

static void conv_backward(gen_ctx *c, int i)
{
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    emit_conv_backward(c, i, fname);
    if (c->L->plan[i].vec_dx) {
        emit_blank(c->e);
        gen_pp(c, "#ifdef CONVC_VECTOR");
        gen_fn_name(c, fname, sizeof fname, i, "flip_kernel", 0);
        gen_conv_flip_function(c, i, fname);
        gen_pp(c, "#endif");
    }
}

/* ---- once per call ------------------------------------------------------ */

/* `fname(args)` of layer i behind CONVC_VECTOR. */
static void emit_vector_call(gen_ctx *c, int i, const char *what, const char *args)
{
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, what, 0);
    gen_pp(c, "#ifdef CONVC_VECTOR");
    emit_line(c->e, "%s(%s);", fname, args);
    gen_pp(c, "#endif");
}

static const char *shared_arg(gen_ctx *c, char *buf, size_t size, int b)
{
    snprintf(buf, size, "shared + %s%s", c->mprefix, gen_buf(c, b));
    return buf;
}

static void conv_before_forward(gen_ctx *c, int i)
{
    const gen_layer_plan *p = &c->L->plan[i];
    char args[256], wu[128];
    if (!p->wino || c->L->const_kernels)
        return;
    snprintf(args, sizeof args, "params, %s", shared_arg(c, wu, sizeof wu, p->wu));
    emit_vector_call(c, i, "wino_filter", args);
}

static void conv_before_backward(gen_ctx *c, int i)
{
    const gen_layer_plan *p = &c->L->plan[i];
    char args[512], a[128], b[128], d[128];
    if (p->vec_dx) {
        snprintf(args, sizeof args, "params, %s", shared_arg(c, a, sizeof a, p->kflip));
        emit_vector_call(c, i, "flip_kernel", args);
    }
    if (p->wino) {
        snprintf(args, sizeof args, "%s, %s, %s", shared_arg(c, a, sizeof a, p->wu),
                 shared_arg(c, b, sizeof b, p->wut), shared_arg(c, d, sizeof d, p->wdu));
        emit_vector_call(c, i, "wino_prepare", args);
    }
}

static void conv_after_backward(gen_ctx *c, int i)
{
    const gen_layer_plan *p = &c->L->plan[i];
    char args[256], a[128];
    if (!p->wino)
        return;
    snprintf(args, sizeof args, "%s, grads", shared_arg(c, a, sizeof a, p->wdu));
    emit_vector_call(c, i, "wino_finish", args);
}

const gen_layer_emitter gen_conv_emitter = {
    .plan = conv_plan,
    .forward = conv_forward,
    .backward = conv_backward,
    .constants = gen_wino_emit_constants,
    .before_forward = conv_before_forward,
    .before_backward = conv_before_backward,
    .after_backward = conv_after_backward,
};
