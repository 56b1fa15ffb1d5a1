/* gen_layers.c - C for each layer's forward and backward pass, with every
 * shape a literal constant.  Layout: HWC activations (channels innermost),
 * conv kernels (KH, KW, Cin, Cout), dense kernels (in, out), so the innermost
 * loops run over contiguous output channels or units and vectorize. */
#include "gen_parts.h"

#include <stdio.h>
#include <string.h>

#define DENSE_GROUP 4   /* samples per pass over a dense kernel */
#define LANES 8         /* partial sums of a dot product, kept apart so that
                           the loop vectorizes without reassociation */

void gen_shape_text(char *buf, size_t size, ir_shape s)
{
    if (s.h == 1 && s.w == 1)
        snprintf(buf, size, "(%d)", s.c);
    else
        snprintf(buf, size, "(%d, %d, %d)", s.h, s.w, s.c);
}

static const ir_layer *layer(const gen_ctx *c, int i)
{
    return &c->L->m->layers[i];
}

static const char *bufm(const gen_ctx *c, int b)
{
    return c->L->buffers[b].macro;
}

static const char *tenm(const gen_ctx *c, int t)
{
    return c->L->tensors[t].macro;
}

/* ---- offsets ------------------------------------------------------------ */

void gen_emit_offsets(gen_ctx *c)
{
    emitter *e = c->e;
    const gen_layout *L = c->L;
    int i;
    emit_banner(e, "parameter tensors (offsets in floats; gradients alike)");
    for (i = 0; i < L->n_tensors; i++) {
        const gen_tensor *t = &L->tensors[i];
        char shape[64];
        if (t->rank == 4)
            snprintf(shape, sizeof shape, "(%d, %d, %d, %d)", t->shape[0], t->shape[1],
                     t->shape[2], t->shape[3]);
        else if (t->rank == 2)
            snprintf(shape, sizeof shape, "(%d, %d)", t->shape[0], t->shape[1]);
        else
            snprintf(shape, sizeof shape, "(%d)", t->shape[0]);
        emit_line(e, "#define %s%-24s %10lld /* %s %s */", c->mprefix, t->macro,
                  (long long)t->offset, t->name, shape);
    }
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "N_PARAMS", (long long)L->n_params);
    emit_banner(e, "work buffer of one sample (offsets in floats)");
    for (i = 0; i < L->n_buffers; i++) {
        const gen_buffer *b = &L->buffers[i];
        emit_line(e, "#define %s%-24s %10lld /* %s */", c->mprefix, b->macro,
                  (long long)b->offset, b->what);
    }
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "WORK_PER_SAMPLE",
              (long long)L->work_per_sample);
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "IN_SIZE",
              (long long)L->m->input.h * L->m->input.w * L->m->input.c);
    emit_line(e, "#define %s%-24s %10d", c->mprefix, "N_CLASSES", L->m->n_classes);
}

/* ---- helpers ------------------------------------------------------------ */

/* A value is kept when 24 random bits are >= this. */
static unsigned long long dropout_threshold(const ir_layer *l)
{
    return (unsigned long long)(l->rate * 16777216.0 + 0.5);
}

static int has_dropout(const gen_layout *L)
{
    int i;
    for (i = 0; i < L->m->n_layers; i++)
        if (L->m->layers[i].kind == IR_DROPOUT)
            return 1;
    return 0;
}

/* Does any dropout draw random numbers? (a rate that rounds to 0 does not) */
static int has_random_dropout(const gen_layout *L)
{
    int i;
    for (i = 0; i < L->m->n_layers; i++)
        if (L->m->layers[i].kind == IR_DROPOUT && dropout_threshold(&L->m->layers[i]) > 0)
            return 1;
    return 0;
}

void gen_emit_helpers(gen_ctx *c)
{
    emitter *e = c->e;
    if (!(c->L->training && has_random_dropout(c->L)))
        return;
    emit_banner(e, "dropout masks: splitmix64, a pure function of (seed, layer, element)");
    emit_open_fn(e, "static uint64_t %smix64(uint64_t z)", c->prefix);
    emit_line(e, "z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);");
    emit_line(e, "z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);");
    emit_line(e, "return z ^ (z >> 31);");
    emit_close(e, "");
}

/* ---- activations -------------------------------------------------------- */

static void emit_apply_act(gen_ctx *c, ir_activation a, const char *dst, const char *v)
{
    switch (a) {
    case IR_RELU:       /* NaN propagates */
        emit_line(c->e, "%s = %s < 0.0f ? 0.0f : %s;", dst, v, v);
        break;
    case IR_TANH:
        emit_line(c->e, "%s = tanhf(%s);", dst, v);
        break;
    case IR_SIGMOID:
        emit_line(c->e, "%s = 1.0f / (1.0f + expf(-%s));", dst, v);
        break;
    default:
        emit_line(c->e, "%s = %s;", dst, v);
        break;
    }
}

/* In place: d *= act'(y), y the activation's output. */
static void emit_act_grad_loop(gen_ctx *c, ir_activation a, const char *d,
                               const char *y, long long count)
{
    emitter *e = c->e;
    if (a == IR_LINEAR || a == IR_SOFTMAX)
        return;
    emit_open(e, "for (i = 0; i < %lld; i++)", count);
    if (a == IR_RELU)
        emit_line(e, "%s[i] = %s[i] > 0.0f ? %s[i] : 0.0f;", d, y, d);
    else if (a == IR_TANH)
        emit_line(e, "%s[i] *= 1.0f - %s[i] * %s[i];", d, y, y);
    else
        emit_line(e, "%s[i] *= %s[i] * (1.0f - %s[i]);", d, y, y);
    emit_close(e, "");
}

/* ---- signatures ---------------------------------------------------------- */

typedef struct { char def[256], call[256]; } sig;

static void sig_add(sig *s, const char *def, const char *call)
{
    size_t n = strlen(s->def);
    snprintf(s->def + n, sizeof s->def - n, "%s%s", n ? ", " : "", def);
    n = strlen(s->call);
    snprintf(s->call + n, sizeof s->call - n, "%s%s", n ? ", " : "", call);
}

/* Arguments of a layer function.  The driver has params, grads, w (this
 * sample's or group's work), xs (this sample's or group's input), seed. */
static sig layer_sig(const gen_ctx *c, int i, int backward)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const ir_layer *l = layer(c, i);
    sig s;
    char def[96], call[96];
    memset(&s, 0, sizeof s);
    if (p->kernel >= 0 && (!backward || p->din >= 0)) {
        snprintf(def, sizeof def, "const float *%s params", c->restrict_kw);
        sig_add(&s, def, "params");
    }
    if (backward && p->kernel >= 0) {
        snprintf(def, sizeof def, "float *%s grads", c->restrict_kw);
        sig_add(&s, def, "grads");
    }
    snprintf(def, sizeof def, "float *%s w", c->restrict_kw);
    sig_add(&s, def, "w");
    /* backward reads the input only for weight gradients, and a padded
     * conv reads its own copy */
    if (p->in < 0 && (!backward || l->kind == IR_DENSE || (l->kind == IR_CONV && p->pad < 0))) {
        snprintf(def, sizeof def, "const float *%s x", c->restrict_kw);
        sig_add(&s, def, "xs");
    }
    if (!backward && l->kind == IR_DROPOUT && c->L->training)
        sig_add(&s, "const uint64_t *seed", "seed");
    if (backward && l->kind == IR_CONV && p->din >= 0 && c->vector && p->vec_fwd && p->vec_dx) {
        snprintf(def, sizeof def, "const float *%s kflip", c->restrict_kw);
        snprintf(call, sizeof call, "work + %s%s", c->mprefix, c->L->buffers[p->kflip].macro);
        sig_add(&s, def, call);
    }
    return s;
}

/* `const float *R name = w + W_X;` or the model input. */
static void emit_in_ptr(gen_ctx *c, int i, const char *name, const char *base)
{
    const gen_layer_plan *p = &c->L->plan[i];
    if (p->in < 0)
        emit_line(c->e, "const float *%s %s = %s;", c->restrict_kw, name,
                  base ? base : "x");
    else
        emit_line(c->e, "const float *%s %s = %s + %s%s;", c->restrict_kw, name,
                  base ? base : "w", c->mprefix, bufm(c, p->in));
}

/* ---- conv ---------------------------------------------------------------- */

static void gen_conv_vec_wgrad_wrap(gen_ctx *c, const ir_layer *l, int wp)
{
    (void)wp;
    gen_conv_vec_wgrad(c, l);
}

static int use_vec(const gen_ctx *c, int i)
{
    return c->vector && c->L->plan[i].vec_fwd;
}

static void emit_pp(gen_ctx *c, const char *line)
{
    emit_raw(c->e, "%s\n", line);
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
    emit_apply_act(c, l->act, "o[co]", "acc[co]");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

static void emit_conv_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int wp = l->in.w + l->pad_left + l->pad_right;
    int cin = l->in.c;
    sig s = layer_sig(c, i, 0);

    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, tenm(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, tenm(c, p->bias));
    emit_in_ptr(c, i, "in", NULL);
    emit_line(e, "float *%s out = w + %s%s;", R, M, bufm(c, p->out));
    if (p->pad >= 0) {
        emit_line(e, "float *%s src = w + %s%s;", R, M, bufm(c, p->pad));
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
    if (use_vec(c, i)) {
        long long n = (long long)l->out.h * l->out.w * l->out.c;
        emit_pp(c, "#ifdef CONVC_VECTOR");
        emit_line(e, "{");
        e->depth++;
        gen_conv_vec_forward(c, l);
        e->depth--;
        emit_line(e, "}");
        if (l->act != IR_LINEAR) {
            emit_line(e, "{");
            e->depth++;
            emit_line(e, "long i;");
            emit_open(e, "for (i = 0; i < %lld; i++)", n);
            emit_apply_act(c, l->act, "out[i]", "out[i]");
            emit_close(e, "");
            e->depth--;
            emit_line(e, "}");
        }
        emit_pp(c, "#else");
        emit_line(e, "{");
        e->depth++;
        emit_conv_forward_plain(c, l, wp);
        e->depth--;
        emit_line(e, "}");
        emit_pp(c, "#endif");
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
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int cin = l->in.c, cout = l->filters;
    int full = cout / LANES * LANES;
    emit_line(e, "int ox, oy, ky, kx, ci, co;");
    if (p->dpad >= 0) {
        emit_line(e, "float *%s dsrc = w + %s%s;", R, M, bufm(c, p->dpad));
        emit_line(e, "float *%s din = w + %s%s;", R, M, bufm(c, p->din));
        emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);",
                  (long long)c->L->buffers[p->dpad].count);
    } else {
        emit_line(e, "float *%s dsrc = w + %s%s;", R, M, bufm(c, p->din));
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
    if (p->dpad >= 0) {
        emit_open(e, "for (oy = 0; oy < %d; oy++)", l->in.h);
        emit_line(e, "memcpy(din + oy * %d, dsrc + (oy + %d) * %d + %d, sizeof(float) * %d);",
                  l->in.w * cin, l->pad_top, wp * cin, l->pad_left * cin, l->in.w * cin);
        emit_close(e, "");
    }
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

static void emit_conv_backward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int wp = l->in.w + l->pad_left + l->pad_right;
    int cout = l->filters;
    long long npix = (long long)l->out.h * l->out.w;
    sig s = layer_sig(c, i, 1);

    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, tenm(c, p->kernel));
    emit_line(e, "float *%s gbias = grads + %s%s;", R, M, tenm(c, p->bias));
    if (l->act != IR_LINEAR)
        emit_line(e, "const float *%s out = w + %s%s;", R, M, bufm(c, p->out));
    emit_line(e, "float *%s dz = w + %s%s;", R, M, bufm(c, p->dout));
    if (p->pad >= 0)
        emit_line(e, "const float *%s src = w + %s%s;", R, M, bufm(c, p->pad));
    else
        emit_in_ptr(c, i, "src", NULL);
    emit_line(e, "{");
    e->depth++;
    emit_line(e, "long i;");
    emit_line(e, "int co;");
    emit_act_grad_loop(c, l->act, "dz", "out", npix * cout);
    emit_open(e, "for (i = 0; i < %lld; i++)", npix);
    emit_open(e, "for (co = 0; co < %d; co++)", cout);
    emit_line(e, "gbias[co] += dz[i * %d + co];", cout);
    emit_close(e, "");
    emit_close(e, "");
    e->depth--;
    emit_line(e, "}");
    if (use_vec(c, i)) {
        emit_pp(c, "#ifdef CONVC_VECTOR");
        emit_block(c, gen_conv_vec_wgrad_wrap, l, wp);
        emit_pp(c, "#else");
        emit_block(c, emit_conv_wgrad_plain, l, wp);
        emit_pp(c, "#endif");
    } else {
        emit_block(c, emit_conv_wgrad_plain, l, wp);
    }
    if (p->din >= 0) {
        int vdx = use_vec(c, i) && p->vec_dx;
        emit_line(e, "{");
        e->depth++;
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, tenm(c, p->kernel));
        if (vdx) {
            emit_line(e, "(void)kern;");
            emit_pp(c, "#ifdef CONVC_VECTOR");
            emit_line(e, "{");
            e->depth++;
            gen_conv_vec_dx(c, l, bufm(c, p->dzpad), bufm(c, p->din));
            e->depth--;
            emit_line(e, "}");
            emit_pp(c, "#else");
            emit_line(e, "(void)kflip;");
            emit_line(e, "{");
            e->depth++;
            emit_conv_dx_plain(c, i, wp);
            e->depth--;
            emit_line(e, "}");
            emit_pp(c, "#endif");
        } else {
            emit_conv_dx_plain(c, i, wp);
        }
        e->depth--;
        emit_line(e, "}");
    }
    emit_close(e, "");
}

/* ---- pooling ------------------------------------------------------------- */

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

static void emit_pool_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int ch = l->in.c;
    sig s = layer_sig(c, i, 0);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_in_ptr(c, i, "in", NULL);
    emit_line(e, "float *%s out = w + %s%s;", R, M, bufm(c, p->out));
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

static void emit_pool_backward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int ch = l->in.c;
    sig s = layer_sig(c, i, 1);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    if (l->pool == IR_POOL_MAX) {
        emit_in_ptr(c, i, "in", NULL);
        emit_line(e, "const float *%s out = w + %s%s;", R, M, bufm(c, p->out));
    }
    emit_line(e, "const float *%s dout = w + %s%s;", R, M, bufm(c, p->dout));
    emit_line(e, "float *%s din = w + %s%s;", R, M, bufm(c, p->din));
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

/* ---- flatten (first layer only: later ones alias their input) ------------- */

static void emit_copy_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    sig s = layer_sig(c, i, 0);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "memcpy(w + %s%s, x, sizeof(float) * %lld);", c->mprefix, bufm(c, p->out),
              (long long)l->out.h * l->out.w * l->out.c);
    emit_close(e, "");
}

/* ---- dropout ------------------------------------------------------------- */

static void emit_dropout_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    long long n = (long long)l->out.h * l->out.w * l->out.c;
    float keep_scale = (float)(1.0 / (1.0 - l->rate));
    char scale_lit[48];
    sig s = layer_sig(c, i, 0);
    emit_format_float(scale_lit, sizeof scale_lit, keep_scale);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_in_ptr(c, i, "in", NULL);
    emit_line(e, "float *%s out = w + %s%s;", R, M, bufm(c, p->out));
    emit_line(e, "long i;");
    if (!c->L->training) {
        emit_line(e, "for (i = 0; i < %lld; i++)", n);
        emit_line(e, "    out[i] = in[i];");
        emit_close(e, "");
        return;
    }
    emit_line(e, "float *%s mask = w + %s%s;", R, M, bufm(c, p->mask));
    if (dropout_threshold(l) == 0) {
        /* rate rounds to 0: nothing is ever dropped */
        emit_line(e, "(void)seed;");
        emit_line(e, "for (i = 0; i < %lld; i++)", n);
        emit_line(e, "    out[i] = in[i] * (mask[i] = %s);", scale_lit);
        emit_close(e, "");
        return;
    }
    emit_open(e, "if (!seed)");
    emit_line(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "    mask[i] = 1.0f;");
    emit_close(e, " else {");
    e->depth++;
    /* Keep with probability 1 - rate: compare 24 random bits. */
    emit_line(e, "uint64_t state = %smix64(*seed ^ UINT64_C(%llu));", c->prefix,
              (unsigned long long)(0x9e3779b97f4a7c15ULL * (unsigned long long)(l->index + 1)));
    emit_open(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "state += UINT64_C(0x9e3779b97f4a7c15);");
    emit_line(e, "mask[i] = (%smix64(state) >> 40) >= %lluu ? %s : 0.0f;", c->prefix,
              dropout_threshold(l), scale_lit);
    emit_close(e, "");
    emit_close(e, "");
    emit_line(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "    out[i] = in[i] * mask[i];");
    emit_close(e, "");
}

static void emit_dropout_backward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    long long n = (long long)l->out.h * l->out.w * l->out.c;
    sig s = layer_sig(c, i, 1);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "const float *%s mask = w + %s%s;", R, M, bufm(c, p->mask));
    emit_line(e, "const float *%s dout = w + %s%s;", R, M, bufm(c, p->dout));
    emit_line(e, "float *%s din = w + %s%s;", R, M, bufm(c, p->din));
    emit_line(e, "long i;");
    emit_line(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "    din[i] = dout[i] * mask[i];");
    emit_close(e, "");
}

/* ---- dense (several samples per pass over the kernel) --------------------- */

static long long in_count(const ir_layer *l)
{
    return (long long)l->in.h * l->in.w * l->in.c;
}

/* Pointers in<j> to the inputs of the group's samples. */
static void emit_group_inputs(gen_ctx *c, int i, int group, int with_out)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int j;
    for (j = 0; j < group; j++) {
        if (p->in < 0)
            emit_line(c->e, "const float *%s in%d = x + %d * %sIN_SIZE;", R, j, j, M);
        else
            emit_line(c->e, "const float *%s in%d = w + %d * %sWORK_PER_SAMPLE + %s%s;",
                      R, j, j, M, M, bufm(c, p->in));
        if (with_out)
            emit_line(c->e, "float *%s out%d = w + %d * %sWORK_PER_SAMPLE + %s%s;",
                      R, j, j, M, M, bufm(c, with_out == 2 ? p->logits : p->out));
    }
}

static void emit_dense_forward(gen_ctx *c, int i, const char *fname, int group)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int units = l->units, j;
    long long nin = in_count(l);
    sig s = layer_sig(c, i, 0);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, tenm(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, tenm(c, p->bias));
    emit_group_inputs(c, i, group, l->act == IR_SOFTMAX ? 2 : 1);
    for (j = 0; j < group; j++)
        emit_line(e, "float acc%d[%d];", j, units);
    emit_line(e, "long k;");
    emit_line(e, "int o;");
    emit_open(e, "for (o = 0; o < %d; o++)", units);
    for (j = 0; j < group; j++)
        emit_line(e, "acc%d[o] = bias[o];", j);
    emit_close(e, "");
    emit_open(e, "for (k = 0; k < %lld; k++)", nin);
    emit_line(e, "const float *%s row = kern + k * %d;", R, units);
    for (j = 0; j < group; j++)
        emit_line(e, "const float v%d = in%d[k];", j, j);
    emit_open(e, "for (o = 0; o < %d; o++)", units);
    for (j = 0; j < group; j++)
        emit_line(e, "acc%d[o] += v%d * row[o];", j, j);
    emit_close(e, "");
    emit_close(e, "");
    if (l->act == IR_SOFTMAX) {
        emit_open(e, "for (o = 0; o < %d; o++)", units);
        for (j = 0; j < group; j++)
            emit_line(e, "out%d[o] = acc%d[o];", j, j);
        emit_close(e, "");
        /* The softmax itself is computed by the driver (probs). */
    } else {
        emit_open(e, "for (o = 0; o < %d; o++)", units);
        for (j = 0; j < group; j++) {
            char dst[32], v[32];
            snprintf(dst, sizeof dst, "out%d[o]", j);
            snprintf(v, sizeof v, "acc%d[o]", j);
            emit_apply_act(c, l->act, dst, v);
        }
        emit_close(e, "");
    }
    emit_close(e, "");
}

static void emit_dense_backward(gen_ctx *c, int i, const char *fname, int group)
{
    emitter *e = c->e;
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int units = l->units, j, full = l->units / LANES * LANES;
    long long nin = in_count(l);
    sig s = layer_sig(c, i, 1);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, tenm(c, p->kernel));
    emit_line(e, "float *%s gbias = grads + %s%s;", R, M, tenm(c, p->bias));
    emit_group_inputs(c, i, group, 0);
    for (j = 0; j < group; j++) {
        if (l->act != IR_LINEAR && l->act != IR_SOFTMAX)
            emit_line(e, "const float *%s out%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j,
                      j, M, M, bufm(c, p->out));
        emit_line(e, "float *%s dz%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j, j, M, M,
                  bufm(c, p->dout));
    }
    emit_line(e, "long i, k;");
    emit_line(e, "int o;");
    emit_line(e, "(void)i;");
    for (j = 0; j < group; j++) {
        char d[16], y[16];
        snprintf(d, sizeof d, "dz%d", j);
        snprintf(y, sizeof y, "out%d", j);
        emit_act_grad_loop(c, l->act, d, y, units);
    }
    emit_open(e, "for (o = 0; o < %d; o++)", units);
    emit_raw(e, "%*sgbias[o] +=", e->depth * 4, "");
    for (j = 0; j < group; j++)
        emit_raw(e, "%s dz%d[o]", j ? " +" : "", j);
    emit_raw(e, ";\n");
    emit_close(e, "");
    emit_open(e, "for (k = 0; k < %lld; k++)", nin);
    emit_line(e, "float *%s grow = gkern + k * %d;", R, units);
    for (j = 0; j < group; j++)
        emit_line(e, "const float v%d = in%d[k];", j, j);
    emit_open(e, "for (o = 0; o < %d; o++)", units);
    emit_raw(e, "%*sgrow[o] +=", e->depth * 4, "");
    for (j = 0; j < group; j++)
        emit_raw(e, "%s v%d * dz%d[o]", j ? " +" : "", j, j);
    emit_raw(e, ";\n");
    emit_close(e, "");
    emit_close(e, "");
    if (p->din >= 0) {
        emit_line(e, "{");
        e->depth++;
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, tenm(c, p->kernel));
        for (j = 0; j < group; j++)
            emit_line(e, "float *%s din%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j, j, M,
                      M, bufm(c, p->din));
        if (c->vector && units % 8 == 0) {
            emit_pp(c, "#ifdef CONVC_VECTOR");
            emit_open(e, "for (k = 0; k < %lld; k++)", nin);
            emit_line(e, "const float *%s row = kern + k * %d;", R, units);
            for (j = 0; j < group; j++)
                emit_line(e, "vf8 s%d = vsplat(0.0f);", j);
            emit_open(e, "for (o = 0; o < %d; o += 8)", units);
            emit_line(e, "const vf8 wv = vload(row + o);");
            for (j = 0; j < group; j++)
                emit_line(e, "s%d += wv * vload(dz%d + o);", j, j);
            emit_close(e, "");
            for (j = 0; j < group; j++)
                emit_line(e, "din%d[k] = ((s%d[0] + s%d[1]) + (s%d[2] + s%d[3])) + "
                          "((s%d[4] + s%d[5]) + (s%d[6] + s%d[7]));", j, j, j, j, j, j, j, j, j);
            emit_close(e, "");
            emit_pp(c, "#else");
        }
        emit_open(e, "for (k = 0; k < %lld; k++)", nin);
        emit_line(e, "const float *%s row = kern + k * %d;", R, units);
        emit_line(e, "int lane;");
        for (j = 0; j < group; j++)
            emit_line(e, "float part%d[%d] = { 0 };", j, LANES);
        if (full > 0) {
            emit_open(e, "for (o = 0; o < %d; o += %d)", full, LANES);
            emit_open(e, "for (lane = 0; lane < %d; lane++)", LANES);
            for (j = 0; j < group; j++)
                emit_line(e, "part%d[lane] += row[o + lane] * dz%d[o + lane];", j, j);
            emit_close(e, "");
            emit_close(e, "");
        }
        if (full < units) {
            emit_open(e, "for (o = %d; o < %d; o++)", full, units);
            for (j = 0; j < group; j++)
                emit_line(e, "part%d[0] += row[o] * dz%d[o];", j, j);
            emit_close(e, "");
        }
        emit_open(e, "for (lane = 1; lane < %d; lane++)", LANES);
        for (j = 0; j < group; j++)
            emit_line(e, "part%d[0] += part%d[lane];", j, j);
        emit_close(e, "");
        for (j = 0; j < group; j++)
            emit_line(e, "din%d[k] = part%d[0];", j, j);
        emit_close(e, "");
        if (c->vector && units % 8 == 0)
            emit_pp(c, "#endif");
        emit_close(e, "");
    }
    emit_close(e, "");
}

/* ---- all layers ------------------------------------------------------------ */

static void fn_name(const gen_ctx *c, char *buf, size_t size, int i, const char *what,
                    int group)
{
    if (group > 0)
        snprintf(buf, size, "%s%s_%s%d", c->prefix, c->L->plan[i].name, what, group);
    else
        snprintf(buf, size, "%s%s_%s", c->prefix, c->L->plan[i].name, what);
}

/* Does layer i need code at all? (a flatten after layer 0 is a no-op) */
static int has_forward(const gen_ctx *c, int i)
{
    return !(layer(c, i)->kind == IR_FLATTEN && i > 0);
}

static int has_backward(const gen_ctx *c, int i)
{
    const ir_layer *l = layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    if (l->kind == IR_CONV || l->kind == IR_DENSE)
        return 1;
    return (l->kind == IR_POOL || l->kind == IR_DROPOUT) && p->din >= 0;
}

void gen_emit_layers(gen_ctx *c)
{
    emitter *e = c->e;
    const ir_model *m = c->L->m;
    int i;
    for (i = 0; i < m->n_layers; i++) {
        const ir_layer *l = &m->layers[i];
        char title[512], shape[64], fname[128];
        gen_shape_text(shape, sizeof shape, l->out);
        snprintf(title, sizeof title, "%s: line %d: %s -> %s", c->L->plan[i].name, l->line,
                 l->source ? l->source : "", shape);
        emit_banner(e, title);
        if (!has_forward(c, i)) {
            emit_line(e, "/* HWC is already flat: %s reuses its input buffer. */",
                      c->L->plan[i].name);
            continue;
        }
        if (l->kind == IR_DENSE) {
            fn_name(c, fname, sizeof fname, i, "forward", DENSE_GROUP);
            emit_dense_forward(c, i, fname, DENSE_GROUP);
            emit_blank(e);
            fn_name(c, fname, sizeof fname, i, "forward", 1);
            emit_dense_forward(c, i, fname, 1);
        } else {
            fn_name(c, fname, sizeof fname, i, "forward", 0);
            switch (l->kind) {
            case IR_CONV: emit_conv_forward(c, i, fname); break;
            case IR_POOL: emit_pool_forward(c, i, fname); break;
            case IR_FLATTEN: emit_copy_forward(c, i, fname); break;
            case IR_DROPOUT: emit_dropout_forward(c, i, fname); break;
            case IR_DENSE: break;
            }
        }
        if (!c->L->training || !has_backward(c, i))
            continue;
        emit_blank(e);
        if (l->kind == IR_DENSE) {
            fn_name(c, fname, sizeof fname, i, "backward", DENSE_GROUP);
            emit_dense_backward(c, i, fname, DENSE_GROUP);
            emit_blank(e);
            fn_name(c, fname, sizeof fname, i, "backward", 1);
            emit_dense_backward(c, i, fname, 1);
        } else {
            fn_name(c, fname, sizeof fname, i, "backward", 0);
            switch (l->kind) {
            case IR_CONV:
                emit_conv_backward(c, i, fname);
                if (c->L->plan[i].din >= 0 && use_vec(c, i) && c->L->plan[i].vec_dx) {
                    emit_blank(e);
                    emit_pp(c, "#ifdef CONVC_VECTOR");
                    fn_name(c, fname, sizeof fname, i, "flip_kernel", 0);
                    gen_conv_flip_function(c, l, fname, tenm(c, c->L->plan[i].kernel));
                    emit_pp(c, "#endif");
                }
                break;
            case IR_POOL: emit_pool_backward(c, i, fname); break;
            case IR_DROPOUT: emit_dropout_backward(c, i, fname); break;
            default: break;
            }
        }
    }
}

/* ---- drivers --------------------------------------------------------------- */

/* Calls of layer i's function for samples [from the driver's loop]. */
static void emit_call(gen_ctx *c, int i, int backward)
{
    emitter *e = c->e;
    char fname[128];
    sig s = layer_sig(c, i, backward);
    const char *what = backward ? "backward" : "forward";
    if (backward ? !has_backward(c, i) : !has_forward(c, i))
        return;
    if (layer(c, i)->kind == IR_DENSE) {
        const char *M = c->mprefix;
        emit_open(e, "for (s = 0; s < n; s += s + %d <= n ? %d : 1)", DENSE_GROUP, DENSE_GROUP);
        emit_line(e, "float *w = work + (size_t)s * %sWORK_PER_SAMPLE;", M);
        emit_line(e, "const float *xs = x + (size_t)s * %sIN_SIZE;", M);
        emit_line(e, "(void)xs;");
        emit_open(e, "if (s + %d <= n)", DENSE_GROUP);
        fn_name(c, fname, sizeof fname, i, what, DENSE_GROUP);
        emit_line(e, "%s(%s);", fname, s.call);
        emit_close(e, " else {");
        e->depth++;
        fn_name(c, fname, sizeof fname, i, what, 1);
        emit_line(e, "%s(%s);", fname, s.call);
        emit_close(e, "");
        emit_close(e, "");
    } else {
        fn_name(c, fname, sizeof fname, i, what, 0);
        emit_line(e, "%s(%s);", fname, s.call);
    }
}

/* Consecutive per-sample layers run sample by sample (their activations stay
 * in cache); dense layers run on groups of samples. */
static void emit_layer_range(gen_ctx *c, int backward)
{
    emitter *e = c->e;
    const ir_model *m = c->L->m;
    const char *M = c->mprefix;
    int k = 0;
    while (k < m->n_layers) {
        int i = backward ? m->n_layers - 1 - k : k;
        if (c->L->plan[i].batched) {
            emit_line(e, "/* %s */", c->L->plan[i].name);
            emit_call(c, i, backward);
            k++;
            continue;
        }
        emit_open(e, "for (s = 0; s < n; s++)");
        emit_line(e, "float *w = work + (size_t)s * %sWORK_PER_SAMPLE;", M);
        emit_line(e, "const float *xs = x + (size_t)s * %sIN_SIZE;", M);
        if (!backward && c->L->training && has_dropout(c->L))
            emit_line(e, "const uint64_t *seed = seeds ? seeds + s : NULL;");
        if (!backward && c->L->training && has_dropout(c->L))
            emit_line(e, "(void)seed;");
        emit_line(e, "(void)w;");
        emit_line(e, "(void)xs;");
        while (k < m->n_layers) {
            i = backward ? m->n_layers - 1 - k : k;
            if (c->L->plan[i].batched)
                break;
            emit_call(c, i, backward);
            k++;
        }
        emit_close(e, "");
    }
}

void gen_emit_drivers(gen_ctx *c)
{
    emitter *e = c->e;
    const gen_layout *L = c->L;
    const ir_model *m = L->m;
    const gen_layer_plan *last = &L->plan[m->n_layers - 1];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int ncls = m->n_classes, s;
    /* Where the head reads its scores: logits if the model ends in softmax. */
    const char *zbuf = L->buffers[last->logits >= 0 ? last->logits : last->out].macro;

    emit_banner(e, "forward pass of n samples");
    emit_open_fn(e, "static void %sforward(const float *params, float *work, const float *x, "
              "int n, float *probs, const uint64_t *seeds)", c->prefix);
    emit_line(e, "int s;");
    emit_line(e, "(void)seeds;");
    emit_layer_range(c, 0);
    /* Probabilities: a numerically stable softmax of the scores. */
    emit_open(e, "for (s = 0; s < n; s++)");
    emit_line(e, "const float *%s z = work + (size_t)s * %sWORK_PER_SAMPLE + %s%s;", R, M, M,
              zbuf);
    emit_line(e, "float *%s pr = probs + (size_t)s * %d;", R, ncls);
    emit_line(e, "int k;");
    if (L->final_softmax) {
        emit_line(e, "float top = z[0], sum = 0.0f;");
        emit_line(e, "for (k = 1; k < %d; k++)", ncls);
        emit_line(e, "    top = z[k] > top ? z[k] : top;");
        emit_open(e, "for (k = 0; k < %d; k++)", ncls);
        emit_line(e, "pr[k] = expf(z[k] - top);");
        emit_line(e, "sum += pr[k];");
        emit_close(e, "");
        emit_line(e, "for (k = 0; k < %d; k++)", ncls);
        emit_line(e, "    pr[k] /= sum;");
        emit_line(e, "memcpy(work + (size_t)s * %sWORK_PER_SAMPLE + %s%s, pr, sizeof(float) * %d);",
                  M, M, L->buffers[last->out].macro, ncls);
    } else {
        emit_line(e, "for (k = 0; k < %d; k++)", ncls);
        emit_line(e, "    pr[k] = z[k];");
    }
    emit_close(e, "");
    emit_close(e, "");
    if (!L->training)
        return;

    emit_banner(e, "backward pass: summed cross-entropy, gradients added to grads");
    emit_open_fn(e, "static double %sbackward(const float *params, float *grads, float *work, "
              "const float *x, const uint8_t *labels, int n)", c->prefix);
    emit_line(e, "double loss = 0.0;");
    emit_line(e, "int s;");
    emit_line(e, "(void)params;");
    emit_line(e, "/* loss = logsumexp(z) - z[label]; d loss / d z = softmax(z) - onehot */");
    emit_open(e, "for (s = 0; s < n; s++)");
    emit_line(e, "const float *%s z = work + (size_t)s * %sWORK_PER_SAMPLE + %s%s;", R, M, M,
              zbuf);
    emit_line(e, "float *%s dz = work + (size_t)s * %sWORK_PER_SAMPLE + %s%s;", R, M, M,
              L->buffers[last->dout].macro);
    emit_line(e, "double top = z[0], sum = 0.0;");
    emit_line(e, "int k;");
    emit_line(e, "for (k = 1; k < %d; k++)", ncls);
    emit_line(e, "    top = z[k] > top ? z[k] : top;");
    emit_line(e, "for (k = 0; k < %d; k++)", ncls);
    emit_line(e, "    sum += exp(z[k] - top);");
    emit_line(e, "loss += top + log(sum) - z[labels[s]];");
    emit_line(e, "for (k = 0; k < %d; k++)", ncls);
    emit_line(e, "    dz[k] = (float)(exp(z[k] - top) / sum) - (k == labels[s] ? 1.0f : 0.0f);");
    emit_close(e, "");
    for (s = 0; s < m->n_layers; s++) {
        const gen_layer_plan *p = &L->plan[s];
        char fname[128];
        if (m->layers[s].kind != IR_CONV || p->din < 0 || !use_vec(c, s) || !p->vec_dx)
            continue;
        /* once per call, in sample 0's slot */
        fn_name(c, fname, sizeof fname, s, "flip_kernel", 0);
        emit_pp(c, "#ifdef CONVC_VECTOR");
        emit_line(e, "%s(params, work + %s%s);", fname, M, L->buffers[p->kflip].macro);
        emit_pp(c, "#endif");
    }
    emit_layer_range(c, 1);
    emit_line(e, "return loss;");
    emit_close(e, "");
}
