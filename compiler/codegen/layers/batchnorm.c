/* batchnorm.c - the batch normalization layer's emitter, per channel of an
 * image (HWC: channels are the contiguous, vectorized axis) or per unit of
 * a vector: y = act(gamma * (x - mean) / sqrt(var + eps) + beta).
 *
 * Inference (the forward/backward entry points, evaluation, the export)
 * uses the moving statistics, so a sample is computed on its own.  Training
 * uses the statistics of the whole batch: the drivers (gen_train_steps.c)
 * split the passes at this layer and call the steps below, in this order:
 *   forward:  moments (per sample, right after its producer: the
 *             sample's own mean and sum of squared deviations)
 *             -> reduce_moments (once: mean, biased variance, 1/std)
 *             train_forward (per sample)
 *   backward: grad_sums (per sample: act' applied, sums of dy and
 *             dy * (x - mean))
 *             -> grad (once: gamma's and beta's gradients, the two means)
 *             train_backward (per sample: the input gradient)
 *   after the optimizer step: update (moving statistics, as PyTorch).
 * Per-sample sums go to the sample's row of the batch's stats buffer and
 * are reduced in sample order, so the result does not depend on how the
 * batch is split into blocks or threads. */
#include "codegen/layer_emitter.h"

#include <stdio.h>

/* Batch statistics of one layer, C floats each, from plan.stats_at. */
enum { ST_MEAN, ST_VAR, ST_INVSTD, ST_DY_MEAN, ST_DYX_MEAN, ST_COUNT };

static void batchnorm_plan(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    const ir_layer *l = &L->m->layers[i];
    int c = l->out.c;
    p->kernel = gen_layout_tensor(L, p->name, "gamma", 1, &c, 0, 0, 0);
    L->tensors[p->kernel].ones = 1;
    p->bias = gen_layout_tensor(L, p->name, "beta", 1, &c, 0, 0, 0);
    p->moving_mean = gen_layout_tensor(L, p->name, "moving_mean", 1, &c, 0, 0, 0);
    p->moving_var = gen_layout_tensor(L, p->name, "moving_variance", 1, &c, 0, 0, 0);
    L->tensors[p->moving_mean].non_trainable = 1;
    L->tensors[p->moving_var].non_trainable = 1;
    L->tensors[p->moving_var].ones = 1;
    p->has_backward = 1;                    /* gamma and beta have gradients */
    if (L->training && p->din >= 0) {
        /* The input gradient overwrites the output gradient in place (value
         * for value): one buffer less, and the backward pass writes lines
         * it has just read instead of fetching the input gradient's. */
        p->out = gen_layout_shaped(L, p->name, "out", l->out);
        p->dout = p->din;
    } else {
        gen_layout_output(L, i);
    }
    if (L->training)
        gen_layout_stats(L, i, (int64_t)ST_COUNT * c, 2 * (int64_t)c);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    /* The inference backward reads gamma and the moving statistics even as
     * the first layer (no input gradient), and its input. */
    gen_plan_arg(&p->bwd_args, GEN_ARG_PARAMS, "params", -1, 1, GEN_BOTH);
    gen_plan_arg(&p->bwd_args, GEN_ARG_GRADS, "grads", -1, 0, GEN_BOTH);
    gen_plan_arg(&p->bwd_args, GEN_ARG_WORK, "w", -1, 0, GEN_BOTH);
    if (p->in < 0)
        gen_plan_arg(&p->bwd_args, GEN_ARG_INPUT, "x", -1, 1, GEN_BOTH);
}

/* ---- helpers -------------------------------------------------------------- */

static long long pixels(const ir_layer *l)
{
    return (long long)l->out.h * l->out.w;
}

/* The loop over pixels (none for a vector) and the index of (pixel, ch). */
static const char *open_pixels(gen_ctx *c, const ir_layer *l, char *idx, size_t size)
{
    if (pixels(l) > 1) {
        emit_open(c->e, "for (p = 0; p < %lld; p++)", pixels(l));
        snprintf(idx, size, "p * %d + ch", l->out.c);
    } else {
        snprintf(idx, size, "ch");
    }
    emit_open(c->e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    return idx;
}

static void close_pixels(gen_ctx *c, const ir_layer *l)
{
    emit_close(c->e, "");
    if (pixels(l) > 1)
        emit_close(c->e, "");
}

/* `const T count = (T)n * pixels;`: values per channel in a batch of n. */
static void emit_count(gen_ctx *c, const ir_layer *l, const char *type)
{
    if (pixels(l) > 1)
        emit_line(c->e, "const %s count = (%s)n * %lld;", type, type, pixels(l));
    else
        emit_line(c->e, "const %s count = (%s)n;", type, type);
}

static void declare_loop_vars(gen_ctx *c, const ir_layer *l)
{
    emit_line(c->e, pixels(l) > 1 ? "int p, ch;" : "int ch;");
}

/* `const float *R name = base + P_<LAYER>_<WHAT>;` */
static void tensor_ptr(gen_ctx *c, const char *name, const char *base, int t, int writable)
{
    emit_line(c->e, "%sfloat *%s %s = %s + %s%s;", writable ? "" : "const ", c->restrict_kw,
              name, base, c->mprefix, gen_ten(c, t));
}

/* `const float *R name = stats + <layer's stats_at> + k * C;` */
static void stats_ptr(gen_ctx *c, int i, const char *name, int k, int writable)
{
    const gen_layer_plan *p = &c->L->plan[i];
    char at[64];
    GEN_SUM(at, p->stats_at + (long long)k * gen_layer(c, i)->out.c, { "stats", 1 });
    emit_line(c->e, "%sfloat *%s %s = %s;", writable ? "" : "const ", c->restrict_kw, name, at);
}

/* The parameter giving the input: w, or x for the first layer. */
static const char *in_param(gen_ctx *c, int i, char *buf, size_t size)
{
    if (c->L->plan[i].in < 0)
        snprintf(buf, size, "const float *%s x", c->restrict_kw);
    else
        snprintf(buf, size, "const float *%s w", c->restrict_kw);
    return buf;
}

/* "restrict x": the model input as the last parameter of a first layer. */
static const char *x_param(const gen_ctx *c)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "%s x", c->restrict_kw);
    return buf;
}

static void eps_literal(const ir_layer *l, char *buf, size_t size)
{
    emit_format_float(buf, size, (float)l->eps);
}

/* `const float d = dout * act'(out)` at idx, in the pass over the pixels
 * that uses it (not in a pass of its own). */
static void emit_act_grad(gen_ctx *c, const ir_layer *l, const char *idx)
{
    char d[96], y[96];
    snprintf(d, sizeof d, "dout[%s]", idx);
    snprintf(y, sizeof y, "out[%s]", idx);
    gen_act_grad(c, l->act, "const float d", d, y);
}

/* Where the input gradient goes: `din`, or `dout` itself when the plan
 * put them in one buffer (then only dout is declared: two restrict
 * pointers to one buffer would be undefined). */
static const char *din_name(const gen_layer_plan *p)
{
    return p->din == p->dout ? "dout" : "din";
}

static void emit_din_ptr(gen_ctx *c, const gen_layer_plan *p)
{
    if (p->din >= 0 && p->din == p->dout)
        emit_line(c->e, "/* the input gradient overwrites dout: one buffer */");
    else if (p->din >= 0)
        gen_buf_ptr(c, "", "din", p->din);
}

/* ---- inference ------------------------------------------------------------ */

/* Pointers to the moving statistics and, with `scale`, to gamma (and with
 * `with_array` room for the scale gamma / sqrt(var + eps)). */
static void emit_moving_stats(gen_ctx *c, int i, int scale, int with_array)
{
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    if (scale)
        tensor_ptr(c, "gamma", "params", p->kernel, 0);
    tensor_ptr(c, "mean", "params", p->moving_mean, 0);
    tensor_ptr(c, "var", "params", p->moving_var, 0);
    if (scale && with_array)
        emit_line(c->e, "float scale[%d] %s;", l->out.c, c->align_macro);
}

/* out = act(in * scale + shift), scale[ch] = `scale` (an expression of
 * ch), shift = beta - mean * scale: the declarations of gamma, beta, mean
 * and what `scale` reads come before. */
static void emit_normalize(gen_ctx *c, int i, const char *scale)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    char idx[64], dst[96];
    emit_line(e, "float scale[%d] %s, shift[%d] %s;", l->out.c, c->align_macro, l->out.c,
              c->align_macro);
    declare_loop_vars(c, l);
    emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "scale[ch] = %s;", scale);
    emit_line(e, "shift[ch] = beta[ch] - mean[ch] * scale[ch];");
    emit_close(e, "");
    open_pixels(c, l, idx, sizeof idx);
    emit_line(e, "const float v = in[%s] * scale[ch] + shift[ch];", idx);
    snprintf(dst, sizeof dst, "out[%s]", idx);
    gen_apply_act(c, l->act, dst, "v");
    close_pixels(c, l);
    emit_close(e, "");
}

static void batchnorm_forward_fn(gen_ctx *c, int i)
{
    const gen_layer_plan *p = &c->L->plan[i];
    char fname[128], eps[48], scale[96];
    eps_literal(gen_layer(c, i), eps, sizeof eps);
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    gen_open_layer_fn(c, i, 0, fname);
    gen_in_ptr(c, i, "in", NULL);
    gen_buf_ptr(c, "", "out", p->out);
    emit_moving_stats(c, i, 1, 0);
    tensor_ptr(c, "beta", "params", p->bias, 0);
    snprintf(scale, sizeof scale, "gamma[ch] / sqrtf(var[ch] + %s)", eps);
    emit_normalize(c, i, scale);
}

/* The backward pass of inference mode (the statistics are constants):
 * what backward() computes for a model with batchnorm. */
static void batchnorm_backward_fn(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    char fname[128], idx[64], eps[48];
    eps_literal(l, eps, sizeof eps);
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    gen_open_layer_fn(c, i, 1, fname);
    gen_in_ptr(c, i, "in", NULL);
    if (l->act != IR_LINEAR)
        gen_buf_ptr(c, "const ", "out", p->out);
    gen_buf_ptr(c, "", "dout", p->dout);
    emit_din_ptr(c, p);
    tensor_ptr(c, "dgamma", "grads", p->kernel, 1);
    tensor_ptr(c, "dbeta", "grads", p->bias, 1);
    emit_moving_stats(c, i, p->din >= 0, 1);
    emit_line(e, "float invstd[%d] %s;", l->out.c, c->align_macro);
    /* the sample's sums in double from zero, then added, as the training
     * steps' sums are double: the batch's terms do not run in one float32
     * chain whose partial sums outgrow the result */
    emit_line(e, "double sb[%d] %s, sg[%d] %s;", l->out.c, c->align_macro, l->out.c,
              c->align_macro);
    declare_loop_vars(c, l);
    emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "invstd[ch] = 1.0f / sqrtf(var[ch] + %s);", eps);
    if (p->din >= 0)
        emit_line(e, "scale[ch] = gamma[ch] * invstd[ch];");
    emit_line(e, "sb[ch] = 0.0;");
    emit_line(e, "sg[ch] = 0.0;");
    emit_close(e, "");
    open_pixels(c, l, idx, sizeof idx);
    emit_act_grad(c, l, idx);
    emit_line(e, "sb[ch] += d;");
    emit_line(e, "sg[ch] += d * ((in[%s] - mean[ch]) * invstd[ch]);", idx);
    if (p->din >= 0)
        emit_line(e, "%s[%s] = d * scale[ch];", din_name(p), idx);
    close_pixels(c, l);
    emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "dbeta[ch] += (float)sb[ch];");
    emit_line(e, "dgamma[ch] += (float)sg[ch];");
    emit_close(e, "");
    emit_close(e, "");
}

/* ---- training: per-sample steps ------------------------------------------- */

/* row = (the sample's mean, the sum of (in - that mean)^2) per channel:
 * two passes over the sample while its producer has just left it in cache
 * (no cancellation, both vectorize); the batch step combines the rows. */
static void emit_moments_fn(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    char fname[128], idx[64], in[96];
    int C = l->out.c;
    gen_fn_name(c, fname, sizeof fname, i, "moments", 0);
    in_param(c, i, in, sizeof in);
    emit_open_fn(e, "static void %s(%s, float *%s row)", fname, in, c->restrict_kw);
    gen_in_ptr(c, i, "in", NULL);
    declare_loop_vars(c, l);
    if (pixels(l) == 1) {                   /* one value a unit: itself, no spread */
        emit_open(e, "for (ch = 0; ch < %d; ch++)", C);
        emit_line(e, "row[ch] = in[ch];");
        emit_line(e, "row[%d + ch] = 0.0f;", C);
        emit_close(e, "");
        emit_close(e, "");
        return;
    }
    emit_line(e, "/* the sample's mean, then the squares about it: no cancellation */");
    emit_line(e, "for (ch = 0; ch < %d; ch++)", 2 * C);
    emit_line(e, "    row[ch] = 0.0f;");
    open_pixels(c, l, idx, sizeof idx);
    emit_line(e, "row[ch] += in[%s];", idx);
    close_pixels(c, l);
    emit_line(e, "for (ch = 0; ch < %d; ch++)", C);
    emit_line(e, "    row[ch] /= %lld.0f;", pixels(l));
    open_pixels(c, l, idx, sizeof idx);
    emit_line(e, "const float d = in[%s] - row[ch];", idx);
    emit_line(e, "row[%d + ch] += d * d;", C);
    close_pixels(c, l);
    emit_close(e, "");
}

static void emit_train_forward_fn(gen_ctx *c, int i)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw;
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "train_forward", 0);
    emit_open_fn(c->e, "static void %s(const float *%s params, const float *%s stats, "
                 "float *%s w%s%s)", fname, R, R, R, p->in < 0 ? ", const float *" : "",
                 p->in < 0 ? x_param(c) : "");
    gen_in_ptr(c, i, "in", NULL);
    gen_buf_ptr(c, "", "out", p->out);
    tensor_ptr(c, "gamma", "params", p->kernel, 0);
    tensor_ptr(c, "beta", "params", p->bias, 0);
    stats_ptr(c, i, "mean", ST_MEAN, 0);
    stats_ptr(c, i, "invstd", ST_INVSTD, 0);
    emit_normalize(c, i, "gamma[ch] * invstd[ch]");
}

/* dy = dout * act'(out) in place; row = (sum dy, sum dy * (in - mean)):
 * the batch step scales the second by 1/std once instead of every value. */
static void emit_grad_sums_fn(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw;
    char fname[128], idx[64];
    gen_fn_name(c, fname, sizeof fname, i, "grad_sums", 0);
    emit_open_fn(e, "static void %s(const float *%s stats, float *%s w%s%s, float *%s row)",
                 fname, R, R, p->in < 0 ? ", const float *" : "", p->in < 0 ? x_param(c) : "",
                 R);
    gen_in_ptr(c, i, "in", NULL);
    if (l->act != IR_LINEAR)
        gen_buf_ptr(c, "const ", "out", p->out);
    gen_buf_ptr(c, "", "dout", p->dout);
    stats_ptr(c, i, "mean", ST_MEAN, 0);
    declare_loop_vars(c, l);
    emit_line(e, "for (ch = 0; ch < %d; ch++)", 2 * l->out.c);
    emit_line(e, "    row[ch] = 0.0f;");
    open_pixels(c, l, idx, sizeof idx);
    emit_act_grad(c, l, idx);
    if (l->act != IR_LINEAR)            /* dy, for train_backward */
        emit_line(e, "dout[%s] = d;", idx);
    emit_line(e, "row[ch] += d;");
    emit_line(e, "row[%d + ch] += d * (in[%s] - mean[ch]);", l->out.c, idx);
    close_pixels(c, l);
    emit_close(e, "");
}

/* din = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), as
 * dy * k + ((in - mean) * b + a) with k, b and a per channel: two FMAs a
 * value (in - mean first: no cancellation in in * b + a for a large mean). */
static void emit_train_backward_fn(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw;
    char fname[128], idx[64];
    gen_fn_name(c, fname, sizeof fname, i, "train_backward", 0);
    emit_open_fn(e, "static void %s(const float *%s params, const float *%s stats, "
                 "float *%s w)", fname, R, R, R);
    gen_in_ptr(c, i, "in", NULL);
    gen_buf_ptr(c, p->din == p->dout ? "" : "const ", "dout", p->dout);
    emit_din_ptr(c, p);
    tensor_ptr(c, "gamma", "params", p->kernel, 0);
    stats_ptr(c, i, "mean", ST_MEAN, 0);
    stats_ptr(c, i, "invstd", ST_INVSTD, 0);
    stats_ptr(c, i, "dy_mean", ST_DY_MEAN, 0);
    stats_ptr(c, i, "dyx_mean", ST_DYX_MEAN, 0);
    emit_line(e, "float k[%d] %s, b[%d] %s, a[%d] %s;", l->out.c, c->align_macro, l->out.c,
              c->align_macro, l->out.c, c->align_macro);
    declare_loop_vars(c, l);
    emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "k[ch] = gamma[ch] * invstd[ch];");
    emit_line(e, "b[ch] = -k[ch] * dyx_mean[ch] * invstd[ch];");
    emit_line(e, "a[ch] = -k[ch] * dy_mean[ch];");
    emit_close(e, "");
    open_pixels(c, l, idx, sizeof idx);
    emit_line(e, "%s[%s] = dout[%s] * k[ch] + ((in[%s] - mean[ch]) * b[ch] + a[ch]);",
              din_name(p), idx, idx, idx);
    close_pixels(c, l);
    emit_close(e, "");
}

/* ---- training: once per batch --------------------------------------------- */

/* acc[ch] = sum over the batch's samples, in sample order, of row k. */
static void emit_row_sums(gen_ctx *c, int i, int k)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    emit_line(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "    acc[ch] = 0.0;");
    emit_open(e, "for (s = 0; s < n; s++)");
    char at[64];
    GEN_SUM(at, c->L->plan[i].row_at + (long long)k * l->out.c, { "rows", 1 });
    emit_line(e, "const float *%s row = %s + (size_t)s * %sSTATS_PER_SAMPLE;", c->restrict_kw,
              at, c->mprefix);
    emit_line(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "    acc[ch] += row[ch];");
    emit_close(e, "");
}

/* The batch mean, the biased variance and 1 / sqrt(var + eps) from the
 * samples' (mean, M2) rows: Chan et al.'s combination of groups, here of n
 * groups of P values each, mean = the mean of the samples' means and
 * M2 = sum of their M2 + P * sum of (sample mean - mean)^2, in double and
 * in sample order. */
static void emit_reduce_moments_fn(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    char fname[128], eps[48], at[64];
    eps_literal(l, eps, sizeof eps);
    gen_fn_name(c, fname, sizeof fname, i, "reduce_moments", 0);
    emit_open_fn(e, "static void %s(float *%s stats, const float *%s rows, int n)", fname,
                 c->restrict_kw, c->restrict_kw);
    stats_ptr(c, i, "mean", ST_MEAN, 1);
    stats_ptr(c, i, "var", ST_VAR, 1);
    stats_ptr(c, i, "invstd", ST_INVSTD, 1);
    emit_count(c, l, "double");
    emit_line(e, "double acc[%d] %s, m2[%d] %s;", l->out.c, c->align_macro, l->out.c,
              c->align_macro);
    emit_line(e, "int s, ch;");
    emit_row_sums(c, i, 0);
    emit_line(e, "/* acc: the batch mean; m2: Chan's combination of the samples' rows */");
    emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "acc[ch] /= n;");
    emit_line(e, "m2[ch] = 0.0;");
    emit_close(e, "");
    emit_open(e, "for (s = 0; s < n; s++)");
    GEN_SUM(at, c->L->plan[i].row_at, { "rows", 1 });
    emit_line(e, "const float *%s row = %s + (size_t)s * %sSTATS_PER_SAMPLE;", c->restrict_kw,
              at, c->mprefix);
    emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "const double d = row[ch] - acc[ch];");
    if (pixels(l) > 1)
        emit_line(e, "m2[ch] += row[%d + ch] + %lld.0 * d * d;", l->out.c, pixels(l));
    else
        emit_line(e, "m2[ch] += d * d;");
    emit_close(e, "");
    emit_close(e, "");
    emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "mean[ch] = (float)acc[ch];");
    emit_line(e, "var[ch] = (float)(m2[ch] / count);");
    emit_line(e, "invstd[ch] = 1.0f / sqrtf(var[ch] + %s);", eps);
    emit_close(e, "");
    emit_close(e, "");
}

/* gamma's and beta's gradients added to grads; the means of dy and of
 * dy * xhat for train_backward. */
static void emit_reduce_grad_fn(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "reduce_grad", 0);
    emit_open_fn(e, "static void %s(float *%s stats, const float *%s rows, int n, "
                 "float *%s grads)", fname, c->restrict_kw, c->restrict_kw, c->restrict_kw);
    stats_ptr(c, i, "invstd", ST_INVSTD, 0);
    stats_ptr(c, i, "dy_mean", ST_DY_MEAN, 1);
    stats_ptr(c, i, "dyx_mean", ST_DYX_MEAN, 1);
    tensor_ptr(c, "dgamma", "grads", p->kernel, 1);
    tensor_ptr(c, "dbeta", "grads", p->bias, 1);
    emit_count(c, l, "double");
    emit_line(e, "double acc[%d] %s;", l->out.c, c->align_macro);
    emit_line(e, "int s, ch;");
    /* row k = 0: sums of dy (beta's gradient), 1: of dy * (x - mean), which
     * times 1/std is the sum of dy * xhat (gamma's) */
    for (int k = 0; k < 2; k++) {
        emit_row_sums(c, i, k);
        emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
        if (k)
            emit_line(e, "acc[ch] *= invstd[ch];");
        emit_line(e, "%s[ch] += (float)acc[ch];", k ? "dgamma" : "dbeta");
        emit_line(e, "%s[ch] = (float)(acc[ch] / count);", k ? "dyx_mean" : "dy_mean");
        emit_close(e, "");
    }
    emit_close(e, "");
}

/* PyTorch's update with momentum 1 - m: the variance is unbiased by
 * count / (count - 1) (not for a single value, where it is undefined). */
static void emit_update_fn(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    char fname[128], m[48], one_minus_m[48];
    emit_format_float(m, sizeof m, (float)l->momentum);
    emit_format_float(one_minus_m, sizeof one_minus_m, (float)(1.0 - l->momentum));
    gen_fn_name(c, fname, sizeof fname, i, "update", 0);
    emit_open_fn(e, "static void %s(float *%s params, const float *%s stats, int n)", fname,
                 c->restrict_kw, c->restrict_kw);
    tensor_ptr(c, "moving_mean", "params", p->moving_mean, 1);
    tensor_ptr(c, "moving_var", "params", p->moving_var, 1);
    stats_ptr(c, i, "mean", ST_MEAN, 0);
    stats_ptr(c, i, "var", ST_VAR, 0);
    emit_count(c, l, "long long");
    emit_line(e, "const float unbias = count > 1 ? (float)((double)count / (double)(count - 1)) "
              ": 1.0f;");
    emit_line(e, "int ch;");
    emit_open(e, "for (ch = 0; ch < %d; ch++)", l->out.c);
    emit_line(e, "moving_mean[ch] = %s * moving_mean[ch] + %s * mean[ch];", m, one_minus_m);
    emit_line(e, "moving_var[ch] = %s * moving_var[ch] + %s * (var[ch] * unbias);", m,
              one_minus_m);
    emit_close(e, "");
    emit_close(e, "");
}

static void batchnorm_forward(gen_ctx *c, int i)
{
    batchnorm_forward_fn(c, i);
    if (!c->L->training)
        return;
    emit_blank(c->e);
    emit_moments_fn(c, i);
    emit_blank(c->e);
    emit_reduce_moments_fn(c, i);
    emit_blank(c->e);
    emit_train_forward_fn(c, i);
    emit_blank(c->e);
    emit_update_fn(c, i);
}

static void batchnorm_backward(gen_ctx *c, int i)
{
    batchnorm_backward_fn(c, i);
    emit_blank(c->e);
    emit_grad_sums_fn(c, i);
    emit_blank(c->e);
    emit_reduce_grad_fn(c, i);
    if (c->L->plan[i].din < 0)
        return;
    emit_blank(c->e);
    emit_train_backward_fn(c, i);
}

/* The calls of the steps, in the variables of a training step
 * (gen_train_steps.c): per sample w, xs and row (this sample's row of
 * partial sums), once per batch rows and n; params, grads, stats in both. */
static void batchnorm_stats_call(gen_ctx *c, int i, gen_stats_step step)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const char *xw = p->in < 0 ? "xs" : "w";
    char fname[128], row[96];
    static const char *const names[] = {
        [GEN_STATS_SAMPLE_MOMENTS] = "moments", [GEN_STATS_MOMENTS] = "reduce_moments",
        [GEN_STATS_FORWARD] = "train_forward", [GEN_STATS_GRAD_SUMS] = "grad_sums",
        [GEN_STATS_GRAD] = "reduce_grad", [GEN_STATS_BACKWARD] = "train_backward",
        [GEN_STATS_UPDATE] = "update",
    };
    gen_fn_name(c, fname, sizeof fname, i, names[step], 0);
    GEN_SUM(row, p->row_at, { "row", 1 });
    switch (step) {
    case GEN_STATS_SAMPLE_MOMENTS:
        emit_line(c->e, "%s(%s, %s);", fname, xw, row);
        break;
    case GEN_STATS_MOMENTS:
        emit_line(c->e, "%s(stats, rows, n);", fname);
        break;
    case GEN_STATS_FORWARD:
        emit_line(c->e, "%s(params, stats, w%s);", fname, p->in < 0 ? ", xs" : "");
        break;
    case GEN_STATS_GRAD_SUMS:
        emit_line(c->e, "%s(stats, w%s, %s);", fname, p->in < 0 ? ", xs" : "", row);
        break;
    case GEN_STATS_GRAD:
        emit_line(c->e, "%s(stats, rows, n, grads);", fname);
        break;
    case GEN_STATS_BACKWARD:
        if (p->din >= 0)
            emit_line(c->e, "%s(params, stats, w);", fname);
        break;
    case GEN_STATS_UPDATE:
        emit_line(c->e, "%s(params, stats, n);", fname);
        break;
    }
}

const gen_layer_emitter gen_batchnorm_emitter = {
    .plan = batchnorm_plan,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
    .stats_call = batchnorm_stats_call,
};
