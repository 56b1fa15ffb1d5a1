/* q8_layers.c - per layer kind, its float reference, its int8 parameters,
 * its int8 forward (the kernels of q8_kernels.c) and its code in an int8
 * export.  A kind is one entry of the table at the end. */
#include "output/quantize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "output/q8_kernels.h"

int64_t q8_out_size(const ir_layer *l)
{
    return (int64_t)l->out.h * l->out.w * l->out.c;
}

static const float *tensor(const q8_model *q, int t)
{
    return q->params + q->L->tensors[t].offset;
}

static float activate(ir_activation a, float v)
{
    switch (a) {
    case IR_RELU:
        return v > 0.0f ? v : 0.0f;
    case IR_TANH:
        return tanhf(v);
    case IR_SIGMOID:
        return 1.0f / (1.0f + expf(-v));
    case IR_RELU6:          /* refused by q8_check_model: no int8 kernel yet */
        return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
    case IR_LEAKY_RELU:
        return v < 0.0f ? (float)IR_LEAKY_SLOPE * v : v;
    case IR_LINEAR:
    case IR_SOFTMAX:        /* the logits: softmax follows in float */
        return v;
    }
    return v;
}

/* ---- float references ---------------------------------------------------- */

static void conv_f32(const q8_model *q, int i, const float *in, float *out)
{
    const ir_layer *l = &q->m->layers[i];
    const float *k = tensor(q, q->L->plan[i].kernel), *b = tensor(q, q->L->plan[i].bias);
    int co, ky, kx, ci, cout = l->filters, cin = l->in.c;
    for (int oy = 0; oy < l->out.h; oy++)
        for (int ox = 0; ox < l->out.w; ox++) {
            float *o = out + ((size_t)oy * l->out.w + ox) * cout;
            for (co = 0; co < cout; co++)
                o[co] = b[co];
            for (ky = 0; ky < l->kh; ky++)
                for (kx = 0; kx < l->kw; kx++) {
                    int y = oy * l->sh - l->pad_top + ky, x = ox * l->sw - l->pad_left + kx;
                    if (y < 0 || y >= l->in.h || x < 0 || x >= l->in.w)
                        continue;
                    for (ci = 0; ci < cin; ci++) {
                        float v = in[((size_t)y * l->in.w + x) * cin + ci];
                        const float *kr = k + (((size_t)ky * l->kw + kx) * cin + ci) * cout;
                        for (co = 0; co < cout; co++)
                            o[co] += v * kr[co];
                    }
                }
            for (co = 0; co < cout; co++)
                o[co] = activate(l->act, o[co]);
        }
}

static void pool_f32(const q8_model *q, int i, const float *in, float *out)
{
    const ir_layer *l = &q->m->layers[i];
    int c = l->in.c;
    for (int oy = 0; oy < l->out.h; oy++)
        for (int ox = 0; ox < l->out.w; ox++) {
            const int y0 = oy * l->sh - l->pad_top, x0 = ox * l->sw - l->pad_left;
            const int ky0 = y0 < 0 ? -y0 : 0, kx0 = x0 < 0 ? -x0 : 0;
            const int ky1 = y0 + l->kh > l->in.h ? l->in.h - y0 : l->kh;
            const int kx1 = x0 + l->kw > l->in.w ? l->in.w - x0 : l->kw;
            float *o = out + ((size_t)oy * l->out.w + ox) * c;
            for (int ch = 0; ch < c; ch++) {
                float acc = l->pool == IR_POOL_MAX ? -HUGE_VALF : 0.0f;
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++) {
                        float v = in[((size_t)(y0 + ky) * l->in.w + x0 + kx) * c + ch];
                        acc = l->pool == IR_POOL_MAX ? (v > acc ? v : acc) : acc + v;
                    }
                if (l->pool == IR_POOL_AVG)
                    acc *= 1.0f / (float)((ky1 - ky0) * (kx1 - kx0));
                o[ch] = acc;
            }
        }
}

static void dense_f32(const q8_model *q, int i, const float *in, float *out)
{
    const ir_layer *l = &q->m->layers[i];
    const float *k = tensor(q, q->L->plan[i].kernel), *b = tensor(q, q->L->plan[i].bias);
    int n_in = l->in.h * l->in.w * l->in.c, u = l->units;
    memcpy(out, b, sizeof *out * (size_t)u);
    for (int j = 0; j < n_in; j++)
        for (int c = 0; c < u; c++)
            out[c] += in[j] * k[(size_t)j * u + c];
    for (int c = 0; c < u; c++)
        out[c] = activate(l->act, out[c]);
}

static void copy_f32(const q8_model *q, int i, const float *in, float *out)
{
    memcpy(out, in, sizeof *out * (size_t)q8_out_size(&q->m->layers[i]));
}

/* ---- int8 parameters ----------------------------------------------------- */

/* The real multiplier m as mult * 2^(shift - 31), mult in [2^30, 2^31):
 * 0, or -1 when m is too large for the kernels' 31 - shift >= 1. */
static int multiplier(double m, int32_t *mult, int8_t *shift)
{
    int e;
    double f;
    long long qm;
    *mult = 0;
    *shift = 0;
    if (m < ldexp(1.0, -32))        /* moves no accumulator by 1/2: 0 */
        return 0;
    f = frexp(m, &e);
    qm = llround(ldexp(f, 31));
    if (qm == (1LL << 31)) {
        qm /= 2;
        e++;
    }
    if (e > 30)
        return -1;
    *mult = (int32_t)qm;
    *shift = (int8_t)e;
    return 0;
}

static const char *layer_name(const q8_model *q, int i)
{
    return q->L->plan[i].name;
}

/* Per-channel symmetric weights, int32 biases and multipliers of a layer
 * whose float kernel is (k, n_ch) row-major, as conv's (KH, KW, Cin, Cout)
 * and dense's (inputs, units) both are; the int8 kernel reads (n_ch, k). */
static int quantize_channels(q8_model *q, int i, int k, int n_ch, FILE *diag)
{
    q8_layer *y = &q->layers[i];
    const ir_layer *l = &q->m->layers[i];
    const float *w = tensor(q, q->L->plan[i].kernel), *b = tensor(q, q->L->plan[i].bias);
    /* |x - x_zp| <= 255 and |w| <= 127: the largest sum of k products */
    double bound = 255.0 * 127.0 * k;
    y->n_ch = n_ch;
    y->n_w = k * n_ch;
    y->w = malloc((size_t)y->n_w);
    y->bias = malloc(sizeof *y->bias * (size_t)n_ch);
    y->mult = malloc(sizeof *y->mult * (size_t)n_ch);
    y->shift = malloc((size_t)n_ch);
    y->w_scale = malloc(sizeof *y->w_scale * (size_t)n_ch);
    if (!y->w || !y->bias || !y->mult || !y->shift || !y->w_scale) {
        fprintf(diag, "convc: out of memory\n");
        return -1;
    }
    if (bound > INT32_MAX) {
        fprintf(diag, "%s:%d: error: int8: layer %s sums %d products per output, which can "
                "overflow the int32 accumulator\n", q->m->spec_path, l->line, layer_name(q, i), k);
        return -1;
    }
    y->lo = l->act == IR_RELU && y->out.zp > -128 ? y->out.zp : -128;
    y->hi = 127;
    for (int c = 0; c < n_ch; c++) {
        float amax = 0.0f;
        double bq;
        for (int j = 0; j < k; j++)
            amax = fabsf(w[(size_t)j * n_ch + c]) > amax ? fabsf(w[(size_t)j * n_ch + c]) : amax;
        y->w_scale[c] = amax > 0.0f ? amax / 127.0f : 1.0f;
        for (int j = 0; j < k; j++) {
            long v = lroundf(w[(size_t)j * n_ch + c] / y->w_scale[c]);
            y->w[(size_t)c * k + j] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
        }
        bq = round((double)b[c] / ((double)y->in.scale * y->w_scale[c]));
        if (!(fabs(bq) + bound <= INT32_MAX)) {
            fprintf(diag, "%s:%d: error: int8: the bias of channel %d of layer %s is %g, too "
                    "large for int32 at scale %g\n", q->m->spec_path, l->line, c,
                    layer_name(q, i), (double)b[c], (double)y->in.scale * y->w_scale[c]);
            return -1;
        }
        y->bias[c] = (int32_t)bq;
        if (multiplier((double)y->in.scale * y->w_scale[c] / y->out.scale, &y->mult[c],
                       &y->shift[c])) {
            fprintf(diag, "%s:%d: error: int8: layer %s rescales its outputs by more than "
                    "2^30 (output range too narrow for its inputs)\n", q->m->spec_path,
                    l->line, layer_name(q, i));
            return -1;
        }
    }
    return 0;
}

static int conv_quantize(q8_model *q, int i, FILE *diag)
{
    const ir_layer *l = &q->m->layers[i];
    return quantize_channels(q, i, l->kh * l->kw * l->in.c, l->filters, diag);
}

static int dense_quantize(q8_model *q, int i, FILE *diag)
{
    const ir_layer *l = &q->m->layers[i];
    return quantize_channels(q, i, l->in.h * l->in.w * l->in.c, l->units, diag);
}

/* ---- int8 forward -------------------------------------------------------- */

static q8_conv_geom conv_geom(const q8_model *q, int i)
{
    const ir_layer *l = &q->m->layers[i];
    const q8_layer *y = &q->layers[i];
    q8_conv_geom g = { l->in.h, l->in.w, l->in.c, l->out.h, l->out.w, l->filters, l->kh, l->kw,
                       l->sh, l->sw, l->pad_top, l->pad_left, y->in.zp, y->out.zp, y->lo, y->hi };
    return g;
}

static q8_pool_geom pool_geom(const q8_model *q, int i)
{
    const ir_layer *l = &q->m->layers[i];
    q8_pool_geom g = { l->in.h, l->in.w, l->in.c, l->out.h, l->out.w, l->kh, l->kw,
                       l->sh, l->sw, l->pad_top, l->pad_left, l->pool == IR_POOL_AVG };
    return g;
}

static void conv_q8(const q8_model *q, int i, const int8_t *in, int8_t *out)
{
    const q8_layer *y = &q->layers[i];
    q8_conv_geom g = conv_geom(q, i);
    q8_conv(out, in, y->w, y->bias, y->mult, y->shift, &g);
}

static void pool_q8(const q8_model *q, int i, const int8_t *in, int8_t *out)
{
    q8_pool_geom g = pool_geom(q, i);
    q8_pool(out, in, &g);
}

static void dense_q8(const q8_model *q, int i, const int8_t *in, int8_t *out)
{
    const ir_layer *l = &q->m->layers[i];
    const q8_layer *y = &q->layers[i];
    q8_dense(out, in, y->w, y->bias, y->mult, y->shift, l->in.h * l->in.w * l->in.c, l->units,
             y->in.zp, y->out.zp, y->lo, y->hi);
}

static void copy_q8(const q8_model *q, int i, const int8_t *in, int8_t *out)
{
    memcpy(out, in, (size_t)q8_out_size(&q->m->layers[i]));
}

/* ---- code ---------------------------------------------------------------- */

static void emit_ints(emitter *e, const char *type, const char *pfx, const char *layer,
                      const char *what, const void *v, int n, int bytes)
{
    emit_line(e, "static const %s %s%s_%s[%d] = {", type, pfx, layer, what, n);
    for (int j = 0; j < n; j++) {
        long x = bytes == 1 ? ((const int8_t *)v)[j] : (long)((const int32_t *)v)[j];
        emit_raw(e, "%s%ld,%s", j % 16 == 0 ? "    " : "", x,
                 j % 16 == 15 || j + 1 == n ? "\n" : " ");
    }
    emit_line(e, "};");
}

static void emit_channel_tables(emitter *e, const q8_model *q, int i, const char *pfx)
{
    const q8_layer *y = &q->layers[i];
    const char *n = layer_name(q, i);
    emit_ints(e, "int8_t", pfx, n, "w", y->w, y->n_w, 1);
    emit_ints(e, "int32_t", pfx, n, "bias", y->bias, y->n_ch, 4);
    emit_ints(e, "int32_t", pfx, n, "mult", y->mult, y->n_ch, 4);
    emit_ints(e, "int8_t", pfx, n, "shift", y->shift, y->n_ch, 1);
}

static void conv_tables(emitter *e, const q8_model *q, int i, const char *pfx)
{
    q8_conv_geom g = conv_geom(q, i);
    const char *n = layer_name(q, i);
    emit_channel_tables(e, q, i, pfx);
    emit_line(e, "static const %sq8_conv_geom %s%s_geom = {", pfx, pfx, n);
    emit_line(e, "    %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %ld, %ld, %ld, %ld",
              g.in_h, g.in_w, g.in_c, g.out_h, g.out_w, g.out_c, g.kh, g.kw, g.sh, g.sw,
              g.pad_top, g.pad_left, (long)g.in_zp, (long)g.out_zp, (long)g.lo, (long)g.hi);
    emit_line(e, "};");
}

static void pool_tables(emitter *e, const q8_model *q, int i, const char *pfx)
{
    q8_pool_geom g = pool_geom(q, i);
    emit_line(e, "static const %sq8_pool_geom %s%s_geom = {", pfx, pfx, layer_name(q, i));
    emit_line(e, "    %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d", g.in_h, g.in_w, g.c,
              g.out_h, g.out_w, g.kh, g.kw, g.sh, g.sw, g.pad_top, g.pad_left, g.avg);
    emit_line(e, "};");
}

static void conv_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                      const char *out)
{
    const char *n = layer_name(q, i);
    emit_line(e, "%sq8_conv(%s, %s, %s%s_w, %s%s_bias,", pfx, out, in, pfx, n, pfx, n);
    emit_line(e, "         %s%s_mult, %s%s_shift, &%s%s_geom);", pfx, n, pfx, n, pfx, n);
}

static void pool_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                      const char *out)
{
    emit_line(e, "%sq8_pool(%s, %s, &%s%s_geom);", pfx, out, in, pfx, layer_name(q, i));
}

static void dense_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                       const char *out)
{
    const ir_layer *l = &q->m->layers[i];
    const q8_layer *y = &q->layers[i];
    const char *n = layer_name(q, i);
    emit_line(e, "%sq8_dense(%s, %s, %s%s_w, %s%s_bias,", pfx, out, in, pfx, n, pfx, n);
    emit_line(e, "          %s%s_mult, %s%s_shift, %d, %d, %ld, %ld, %ld, %ld);", pfx, n, pfx, n,
              l->in.h * l->in.w * l->in.c, l->units, (long)y->in.zp, (long)y->out.zp,
              (long)y->lo, (long)y->hi);
}

static void copy_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                      const char *out)
{
    (void)pfx;
    emit_line(e, "memcpy(%s, %s, %lld);", out, in, (long long)q8_out_size(&q->m->layers[i]));
}

/* ---- the table ----------------------------------------------------------- */

static const q8_kind q8_conv_kind = {
    "Q8_USE_CONV", 0, 0, conv_f32, conv_quantize, conv_q8, conv_tables, conv_call,
};
static const q8_kind q8_pool_kind = {
    "Q8_USE_POOL", 1, 0, pool_f32, NULL, pool_q8, pool_tables, pool_call,
};
static const q8_kind q8_dense_kind = {
    "Q8_USE_DENSE", 0, 0, dense_f32, dense_quantize, dense_q8, emit_channel_tables, dense_call,
};
/* flatten: HWC is already flat; dropout: the identity in inference.  Both
 * are their input, except as the first layer, where they copy it. */
static const q8_kind q8_copy_kind = {
    NULL, 1, 1, copy_f32, NULL, copy_q8, NULL, copy_call,
};

static const q8_kind *const q8_kinds[IR_N_KINDS] = {
    [IR_CONV] = &q8_conv_kind,
    [IR_POOL] = &q8_pool_kind,
    [IR_FLATTEN] = &q8_copy_kind,
    [IR_DENSE] = &q8_dense_kind,
    [IR_DROPOUT] = &q8_copy_kind,
};

const q8_kind *q8_kind_of(ir_kind k)
{
    return (int)k >= 0 && (int)k < IR_N_KINDS ? q8_kinds[k] : NULL;
}
