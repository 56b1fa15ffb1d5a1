/* conv.c - the convolution layer's emitter: its plan (direct plain loops,
 * vector kernels or Winograd; padded extents; buffers), the forward and
 * backward functions with the plain loops, and the wiring of the vector
 * kernels (conv_vec.c) and the Winograd kernels (conv_winograd.c) behind
 * `#ifdef CONVC_VECTOR`.  Padding is done once per sample by copying the
 * input into a zero border, so no inner loop tests bounds. */
#include "codegen/conv_pad.h"
#include "codegen/conv_vec.h"
#include "codegen/conv_winograd.h"
#include "codegen/layer_emitter.h"
#include "codegen/winograd.h"

#include <stdio.h>
#include <string.h>

/* ---- plan --------------------------------------------------------------- */

/* Winograd tiles for conv layer l, or 0: stride 1, channels in whole
 * vectors, a kernel size with an algorithm (winograd.c), and buffers no
 * larger than the largest activation the spec language allows (beyond that
 * the direct kernels need no extra memory at all). */
static int plan_winograd(gen_layer_plan *p, const ir_layer *l)
{
    int64_t xi, tiles, widest = l->in.c > l->filters ? l->in.c : l->filters;
    p->wm_h = wino_choose_m(l->kh, l->out.h);
    p->wm_w = wino_choose_m(l->kw, l->out.w);
    if (!p->vec || l->in.c % 8 != 0 || l->sh != 1 || l->sw != 1 || !p->wm_h || !p->wm_w) {
        p->wm_h = p->wm_w = 0;
        return 0;
    }
    p->th = (l->out.h + p->wm_h - 1) / p->wm_h;
    p->tw = (l->out.w + p->wm_w - 1) / p->wm_w;
    xi = (int64_t)(p->wm_h + l->kh - 1) * (p->wm_w + l->kw - 1);
    tiles = (int64_t)p->th * p->tw;
    if (xi * tiles * widest > IR_MAX_ACTIVATION || xi * l->in.c * l->filters > IR_MAX_ACTIVATION) {
        p->wm_h = p->wm_w = p->th = p->tw = 0;
        return 0;
    }
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

/* The vector kernels of a Winograd layer take its shared buffers; those of
 * a vec_dx layer the flipped kernel instead of the weights. */
static void conv_args(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (p->wino) {
        gen_plan_arg(&p->fwd_args, L->const_kernels ? GEN_ARG_CONSTANT : GEN_ARG_SHARED, "wu",
                     p->wu, 1, GEN_VECTOR_ONLY);
        gen_plan_arg(&p->fwd_args, GEN_ARG_SHARED, "wv", p->wv, 0, GEN_VECTOR_ONLY);
        gen_plan_arg(&p->fwd_args, GEN_ARG_SHARED, "wm", p->wm, 0, GEN_VECTOR_ONLY);
    }
    if (!L->training)
        return;
    /* backward reads the input for the weight gradient, unless padded */
    gen_plan_common_args(L, i, 1, p->pad < 0, p->wino || p->vec_dx ? GEN_PLAIN_ONLY : GEN_BOTH);
    if (p->wino) {
        /* wut serves the input gradient only: none for the first layer */
        if (p->din >= 0)
            gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "wut", p->wut, 1, GEN_VECTOR_ONLY);
        gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "wdu", p->wdu, 0, GEN_VECTOR_ONLY);
        gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "wv", p->wv, 0, GEN_VECTOR_ONLY);
        gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "wm", p->wm, 0, GEN_VECTOR_ONLY);
    }
    if (p->vec_dx)
        gen_plan_arg(&p->bwd_args, GEN_ARG_SHARED, "kflip", p->kflip, 1, GEN_VECTOR_ONLY);
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
    p->vec_dx = L->training && !L->lean && p->din >= 0 && p->vec && !p->wino && l->in.c % 8 == 0 &&
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

/* The loops over output pixels, opened. */
static void open_pixel_loops(gen_ctx *c, const ir_layer *l)
{
    gen_open_for(c, "oy", 0, l->out.h, 1);
    gen_open_for(c, "ox", 0, l->out.w, 1);
}

/* Offset of pixel (oy, ox) of an output-shaped tensor of `ch` channels. */
static const char *pixel_offset(char *buf, size_t size, const ir_layer *l, int ch)
{
    const gen_term t[] = { { "oy", (long long)l->out.w * ch }, { "ox", ch } };
    return gen_sum_text(buf, size, 0, t, 2);
}

/* The loops over the kernel window, opened, with `xname` pointing at tap
 * (ky, kx) of the padded input `xbase` (rows wp pixels wide) and `kname` at
 * the kernel's (Cin, Cout) matrix of the tap in `kbase`; the one that is
 * written (`writes`: "x" or "k") is not const. */
static void open_window_loops(gen_ctx *c, const ir_layer *l, int wp, const char *xname,
                              const char *xbase, const char *kname, const char *kbase,
                              char writes)
{
    const char *R = c->restrict_kw;
    long long cin = l->in.c, kk = (long long)l->in.c * l->filters;
    char x[128];
    gen_open_for(c, "ky", 0, l->kh, 1);
    gen_open_for(c, "kx", 0, l->kw, 1);
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", writes == 'x' ? "" : "const ", R, xname, xbase,
              GEN_SUM(x, 0, { "oy", l->sh * wp * cin }, { "ky", wp * cin },
                      { "ox", l->sw * cin }, { "kx", cin }));
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", writes == 'k' ? "" : "const ", R, kname, kbase,
              GEN_SUM(x, 0, { "ky", l->kw * kk }, { "kx", kk }));
}

/* The plain forward loops: one output pixel, all channels, at a time. */
static void emit_conv_forward_plain(gen_ctx *c, const ir_layer *l, int wp)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int cin = l->in.c, cout = l->filters;
    char x[128];
    emit_line(e, "int ox, oy, ky, kx, ci, co;");
    open_pixel_loops(c, l);
    emit_line(e, "float acc[%d] %s;", cout, c->align_macro);
    emit_line(e, "float *%s o = out + %s;", R, pixel_offset(x, sizeof x, l, cout));
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "acc[co] = bias[co];");
    emit_close(e, "");
    open_window_loops(c, l, wp, "xp", "src", "kp", "kern", 0);
    gen_open_for(c, "ci", 0, cin, 1);
    emit_line(e, "const float v = xp[ci];");
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "acc[co] += v * kp[%s];", GEN_SUM(x, 0, { "ci", cout }, { "co", 1 }));
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    gen_open_for(c, "co", 0, cout, 1);
    gen_apply_act(c, l->act, "o[co]", "acc[co]");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

static void emit_kern_ptr(gen_ctx *c, int i)
{
    emit_line(c->e, "const float *%s kern = params + %s%s;", c->restrict_kw, c->mprefix,
              gen_ten(c, c->L->plan[i].kernel));
}

static void emit_conv_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int wp = p->pad_w;

    gen_open_layer_fn(c, i, 0, fname);
    if (!p->wino)   /* Winograd reads the kernel transformed, once per call */
        emit_kern_ptr(c, i);
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, gen_ten(c, p->bias));
    gen_in_ptr(c, i, "in", NULL);
    gen_buf_ptr(c, "", "out", p->out);
    if (p->pad >= 0) {
        gen_buf_ptr(c, "", "src", p->pad);
        gen_conv_emit_pad(c, l, wp, (long long)c->L->buffers[p->pad].count);
    } else {
        emit_line(e, "const float *%s src = in;", R);
    }
    if (!p->vec) {
        gen_open_block(c);
        emit_conv_forward_plain(c, l, wp);
        gen_close_block(c);
        emit_close(e, "");
        return;
    }
    gen_pp_vector(c, 1);
    gen_open_block(c);
    if (p->wino)
        gen_wino_forward(c, i);
    else
        gen_conv_vec_forward(c, i);
    gen_close_block(c);
    if (!gen_has_vector_act(l->act)) {      /* else applied in the kernels' stores */
        gen_open_block(c);
        emit_line(e, "long i;");
        emit_open(e, "for (i = 0; i < %lld; i++)", (long long)l->out.h * l->out.w * l->out.c);
        gen_apply_act(c, l->act, "out[i]", "out[i]");
        emit_close(e, "");
        gen_close_block(c);
    }
    gen_pp(c, "#else");
    gen_open_block(c);
    if (p->wino)
        emit_kern_ptr(c, i);
    emit_conv_forward_plain(c, l, wp);
    gen_close_block(c);
    gen_pp(c, "#endif");
    emit_close(e, "");
}

/* The once-per-call Winograd functions of conv layer i. */
static void emit_wino_functions(gen_ctx *c, int i)
{
    char fname[128];
    if (!c->L->plan[i].wino || c->L->const_kernels)  /* inference: constants */
        return;
    emit_blank(c->e);
    gen_pp_vector(c, 1);
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
    char x[128];
    emit_line(e, "int ox, oy, ky, kx, ci, co;");
    open_pixel_loops(c, l);
    emit_line(e, "const float *%s d = dz + %s;", R, pixel_offset(x, sizeof x, l, cout));
    open_window_loops(c, l, wp, "xp", "src", "gk", "gkern", 'k');
    gen_open_for(c, "ci", 0, cin, 1);
    emit_line(e, "const float v = xp[ci];");
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "gk[%s] += v * d[co];", GEN_SUM(x, 0, { "ci", cout }, { "co", 1 }));
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
    const char *R = c->restrict_kw;
    int cin = l->in.c, cout = l->filters;
    int full = cout / LANES * LANES;
    char x[128];
    emit_line(e, "int ox, oy, ky, kx, ci, co;");
    if (p->dpad >= 0) {
        gen_buf_ptr(c, "", "dsrc", p->dpad);
        gen_buf_ptr(c, "", "din", p->din);
        emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);",
                  (long long)c->L->buffers[p->dpad].count);
    } else {
        gen_buf_ptr(c, "", "dsrc", p->din);
        emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);",
                  (long long)l->in.h * l->in.w * cin);
    }
    open_pixel_loops(c, l);
    emit_line(e, "const float *%s d = dz + %s;", R, pixel_offset(x, sizeof x, l, cout));
    open_window_loops(c, l, wp, "dx", "dsrc", "kp", "kern", 'x');
    gen_open_for(c, "ci", 0, cin, 1);
    emit_line(e, "float part[%d] %s = { 0 };", LANES, c->align_macro);
    emit_line(e, "int lane;");
    if (full > 0) {
        gen_open_for(c, "co", 0, full, LANES);
        emit_open(e, "for (lane = 0; lane < %d; lane++)", LANES);
        emit_line(e, "part[lane] += kp[%s] * d[co + lane];",
                  GEN_SUM(x, 0, { "ci", cout }, { "co", 1 }, { "lane", 1 }));
        emit_close(e, "");
        emit_close(e, "");
    }
    if (full < cout) {
        gen_open_for(c, "co", full, cout, 1);
        emit_line(e, "part[0] += kp[%s] * d[co];", GEN_SUM(x, 0, { "ci", cout }, { "co", 1 }));
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

/* The weight gradient in a block: the vector kernels or the plain loops. */
static void emit_wgrad(gen_ctx *c, int i, int vector)
{
    gen_open_block(c);
    emit_line(c->e, "float *%s gkern = grads + %s%s;", c->restrict_kw, c->mprefix,
              gen_ten(c, c->L->plan[i].kernel));
    if (vector)
        gen_conv_vec_wgrad(c, i);
    else
        emit_conv_wgrad_plain(c, gen_layer(c, i), c->L->plan[i].pad_w);
    gen_close_block(c);
}

/* The plain input gradient in a block. */
static void emit_dx_plain(gen_ctx *c, int i)
{
    gen_open_block(c);
    emit_kern_ptr(c, i);
    emit_conv_dx_plain(c, i, c->L->plan[i].pad_w);
    gen_close_block(c);
}

static void emit_conv_backward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    int cout = l->filters;
    long long npix = (long long)l->out.h * l->out.w;

    gen_open_layer_fn(c, i, 1, fname);
    gen_emit_conv_grad_ptrs(c, i);
    if (p->vec && gen_has_vector_act(l->act)) {
        gen_pp_vector(c, 1);
        gen_emit_bias_grad_vector(c, l->act, npix, cout);
        gen_pp(c, "#else");
        gen_emit_bias_grad(c, l->act, "dz", "out", npix, cout);
        gen_pp(c, "#endif");
    } else {
        gen_emit_bias_grad(c, l->act, "dz", "out", npix, cout);
    }
    if (p->wino) {
        /* the kernel gradient stays in the transformed domain: added to
         * gkern once per call */
        gen_pp_vector(c, 1);
        gen_open_block(c);
        if (p->din >= 0) {
            gen_buf_ptr(c, "", "dsrc", p->dpad);
            gen_buf_ptr(c, "", "din", p->din);
        }
        gen_wino_backward(c, i);
        gen_close_block(c);
        gen_pp(c, "#else");
        emit_wgrad(c, i, 0);
        if (p->din >= 0)
            emit_dx_plain(c, i);
        gen_pp(c, "#endif");
        emit_close(e, "");
        return;
    }
    if (p->vec) {
        gen_pp_vector(c, 1);
        emit_wgrad(c, i, 1);
        gen_pp(c, "#else");
        emit_wgrad(c, i, 0);
        gen_pp(c, "#endif");
    } else {
        emit_wgrad(c, i, 0);
    }
    if (p->vec_dx) {
        gen_pp_vector(c, 1);
        gen_open_block(c);
        gen_conv_vec_dx(c, i);
        gen_close_block(c);
        gen_pp(c, "#else");
        emit_dx_plain(c, i);
        gen_pp(c, "#endif");
    } else if (p->din >= 0) {
        emit_dx_plain(c, i);
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
        gen_pp_vector(c, 1);
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
    gen_pp_vector(c, 1);
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
