/* gen_layers.c - C for each layer's forward and backward pass, with every
 * shape a literal constant: pooling, flatten, dropout and dense here,
 * convolutions in gen_conv.c.  Layout: HWC activations (channels innermost),
 * dense kernels (in, out), so the innermost loops run over contiguous
 * channels or units and vectorize. */
#include "codegen/gen_parts.h"

#include <stdio.h>
#include <string.h>

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
        if (!b->shared)
            emit_line(e, "#define %s%-24s %10lld /* %s */", c->mprefix, b->macro,
                      (long long)b->offset, b->what);
    }
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "WORK_PER_SAMPLE",
              (long long)L->work_per_sample);
    if (L->work_shared > 0) {
        emit_banner(e, "work shared by the samples of a call, after their slots");
        for (i = 0; i < L->n_buffers; i++) {
            const gen_buffer *b = &L->buffers[i];
            if (b->shared)
                emit_line(e, "#define %s%-24s %10lld /* %s */", c->mprefix, b->macro,
                          (long long)b->offset, b->what);
        }
    }
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "WORK_SHARED",
              (long long)L->work_shared);
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "IN_SIZE",
              (long long)L->m->input.h * L->m->input.w * L->m->input.c);
    emit_line(e, "#define %s%-24s %10d", c->mprefix, "N_CLASSES", L->m->n_classes);
}

void gen_emit_helpers(gen_ctx *c)
{
    emitter *e = c->e;
    if (!(c->L->training && gen_has_random_dropout(c->L)))
        return;
    emit_banner(e, "dropout masks: splitmix64, a pure function of (seed, layer, element)");
    emit_open_fn(e, "static uint64_t %smix64(uint64_t z)", c->prefix);
    emit_line(e, "z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);");
    emit_line(e, "z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);");
    emit_line(e, "return z ^ (z >> 31);");
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
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int ch = l->in.c;
    gen_sig s = gen_layer_sig(c, i, 0);
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

static void emit_pool_backward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int ch = l->in.c;
    gen_sig s = gen_layer_sig(c, i, 1);
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

/* ---- flatten (first layer only: later ones alias their input) ------------- */

static void emit_copy_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    gen_sig s = gen_layer_sig(c, i, 0);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "memcpy(w + %s%s, x, sizeof(float) * %lld);", c->mprefix, gen_buf(c, p->out),
              (long long)l->out.h * l->out.w * l->out.c);
    emit_close(e, "");
}

/* ---- dropout ------------------------------------------------------------- */

static void emit_dropout_forward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    long long n = (long long)l->out.h * l->out.w * l->out.c;
    float keep_scale = (float)(1.0 / (1.0 - l->rate));
    char scale_lit[48];
    gen_sig s = gen_layer_sig(c, i, 0);
    emit_format_float(scale_lit, sizeof scale_lit, keep_scale);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    gen_in_ptr(c, i, "in", NULL);
    emit_line(e, "float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    emit_line(e, "long i;");
    if (!c->L->training) {
        emit_line(e, "for (i = 0; i < %lld; i++)", n);
        emit_line(e, "    out[i] = in[i];");
        emit_close(e, "");
        return;
    }
    emit_line(e, "float *%s mask = w + %s%s;", R, M, gen_buf(c, p->mask));
    if (gen_dropout_threshold(l) == 0) {
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
              gen_dropout_threshold(l), scale_lit);
    emit_close(e, "");
    emit_close(e, "");
    emit_line(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "    out[i] = in[i] * mask[i];");
    emit_close(e, "");
}

static void emit_dropout_backward(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    long long n = (long long)l->out.h * l->out.w * l->out.c;
    gen_sig s = gen_layer_sig(c, i, 1);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "const float *%s mask = w + %s%s;", R, M, gen_buf(c, p->mask));
    emit_line(e, "const float *%s dout = w + %s%s;", R, M, gen_buf(c, p->dout));
    emit_line(e, "float *%s din = w + %s%s;", R, M, gen_buf(c, p->din));
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
                      R, j, j, M, M, gen_buf(c, p->in));
        if (with_out)
            emit_line(c->e, "float *%s out%d = w + %d * %sWORK_PER_SAMPLE + %s%s;",
                      R, j, j, M, M, gen_buf(c, with_out == 2 ? p->logits : p->out));
    }
}

static void emit_dense_forward(gen_ctx *c, int i, const char *fname, int group)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int units = l->units, j;
    long long nin = in_count(l);
    gen_sig s = gen_layer_sig(c, i, 0);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, gen_ten(c, p->bias));
    emit_group_inputs(c, i, group, l->act == IR_SOFTMAX ? 2 : 1);
    for (j = 0; j < group; j++)
        emit_line(e, "float acc%d[%d];", j, units);
    emit_line(e, "long k;");
    emit_line(e, "int o;");
    if (c->vector && units % 8 == 0) {
        /* Register-blocked: the group's accumulators for vb vectors of
         * outputs stay in registers over all of k.  The plain loop keeps them
         * in memory, where each k waits for the previous k's store. */
        int vb = units / 8, v;
        while (vb > 1 && (group * vb > 24 || units / 8 % vb != 0))
            vb--;
        gen_pp(c, "#ifdef CONVC_VECTOR");
        emit_open(e, "for (o = 0; o < %d; o += %d)", units, 8 * vb);
        for (j = 0; j < group; j++) {
            emit_raw(e, "%*svf8 ", e->depth * 4, "");
            for (v = 0; v < vb; v++)
                emit_raw(e, "a%d_%d = vload(bias + o + %d)%s", j, v, 8 * v,
                         v + 1 < vb ? ", " : ";\n");
        }
        emit_open(e, "for (k = 0; k < %lld; k++)", nin);
        emit_line(e, "const float *%s row = kern + k * %d + o;", R, units);
        emit_raw(e, "%*sconst vf8 ", e->depth * 4, "");
        for (v = 0; v < vb; v++)
            emit_raw(e, "w%d = vload(row + %d)%s", v, 8 * v, v + 1 < vb ? ", " : ";\n");
        emit_line(e, "vf8 xv;");
        for (j = 0; j < group; j++) {
            emit_raw(e, "%*sxv = vsplat(in%d[k]);", e->depth * 4, "", j);
            for (v = 0; v < vb; v++)
                emit_raw(e, " a%d_%d += xv * w%d;", j, v, v);
            emit_raw(e, "\n");
        }
        emit_close(e, "");
        for (j = 0; j < group; j++) {
            emit_raw(e, "%*s", e->depth * 4, "");
            for (v = 0; v < vb; v++)
                emit_raw(e, "vstore(acc%d + o + %d, a%d_%d);%s", j, 8 * v, j, v,
                         v + 1 < vb ? " " : "\n");
        }
        emit_close(e, "");
        gen_pp(c, "#else");
    }
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
    if (c->vector && units % 8 == 0)
        gen_pp(c, "#endif");
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
            gen_apply_act(c, l->act, dst, v);
        }
        emit_close(e, "");
    }
    emit_close(e, "");
}

static void emit_dense_backward(gen_ctx *c, int i, const char *fname, int group)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int units = l->units, j, full = l->units / LANES * LANES;
    long long nin = in_count(l);
    gen_sig s = gen_layer_sig(c, i, 1);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "float *%s gbias = grads + %s%s;", R, M, gen_ten(c, p->bias));
    emit_group_inputs(c, i, group, 0);
    for (j = 0; j < group; j++) {
        if (l->act != IR_LINEAR && l->act != IR_SOFTMAX)
            emit_line(e, "const float *%s out%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j,
                      j, M, M, gen_buf(c, p->out));
        emit_line(e, "float *%s dz%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j, j, M, M,
                  gen_buf(c, p->dout));
    }
    emit_line(e, "long i, k;");
    emit_line(e, "int o;");
    emit_line(e, "(void)i;");
    for (j = 0; j < group; j++) {
        char d[16], y[16];
        snprintf(d, sizeof d, "dz%d", j);
        snprintf(y, sizeof y, "out%d", j);
        gen_act_grad_loop(c, l->act, d, y, units);
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
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
        for (j = 0; j < group; j++)
            emit_line(e, "float *%s din%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j, j, M,
                      M, gen_buf(c, p->din));
        if (c->vector && units % 8 == 0) {
            gen_pp(c, "#ifdef CONVC_VECTOR");
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
            gen_pp(c, "#else");
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
            gen_pp(c, "#endif");
        emit_close(e, "");
    }
    emit_close(e, "");
}

/* The once-per-call Winograd functions of conv layer i. */
static void emit_wino_functions(gen_ctx *c, int i)
{
    char fname[128];
    if (!gen_use_wino(c, i))
        return;
    if (c->L->const_kernels)    /* inference: constants, see gen_export.c */
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
        if (!gen_has_forward(c, i)) {
            emit_line(e, "/* HWC is already flat: %s reuses its input buffer. */",
                      c->L->plan[i].name);
            continue;
        }
        if (l->kind == IR_DENSE) {
            gen_fn_name(c, fname, sizeof fname, i, "forward", DENSE_GROUP);
            emit_dense_forward(c, i, fname, DENSE_GROUP);
            emit_blank(e);
            gen_fn_name(c, fname, sizeof fname, i, "forward", 1);
            emit_dense_forward(c, i, fname, 1);
        } else {
            gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
            switch (l->kind) {
            case IR_CONV:
                gen_emit_conv_forward(c, i, fname);
                emit_wino_functions(c, i);
                break;
            case IR_POOL: emit_pool_forward(c, i, fname); break;
            case IR_FLATTEN: emit_copy_forward(c, i, fname); break;
            case IR_DROPOUT: emit_dropout_forward(c, i, fname); break;
            case IR_DENSE: break;
            }
        }
        if (!c->L->training || !gen_has_backward(c, i))
            continue;
        emit_blank(e);
        if (l->kind == IR_DENSE) {
            gen_fn_name(c, fname, sizeof fname, i, "backward", DENSE_GROUP);
            emit_dense_backward(c, i, fname, DENSE_GROUP);
            emit_blank(e);
            gen_fn_name(c, fname, sizeof fname, i, "backward", 1);
            emit_dense_backward(c, i, fname, 1);
        } else {
            gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
            switch (l->kind) {
            case IR_CONV:
                gen_emit_conv_backward(c, i, fname);
                if (c->L->plan[i].din >= 0 && gen_use_vec(c, i) && c->L->plan[i].vec_dx) {
                    emit_blank(e);
                    gen_pp(c, "#ifdef CONVC_VECTOR");
                    gen_fn_name(c, fname, sizeof fname, i, "flip_kernel", 0);
                    gen_conv_flip_function(c, l, fname, gen_ten(c, c->L->plan[i].kernel));
                    gen_pp(c, "#endif");
                }
                break;
            case IR_POOL: emit_pool_backward(c, i, fname); break;
            case IR_DROPOUT: emit_dropout_backward(c, i, fname); break;
            default: break;
            }
        }
    }
}
