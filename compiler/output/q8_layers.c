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

float q8_activate(ir_activation a, float v)
{
    switch (a) {
    case IR_RELU:
        return v > 0.0f ? v : 0.0f;
    case IR_TANH:
        return tanhf(v);
    case IR_SIGMOID:
        return 1.0f / (1.0f + expf(-v));
    case IR_RELU6:
        return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
    case IR_LEAKY_RELU:
        return v < 0.0f ? (float)IR_LEAKY_SLOPE * v : v;
    case IR_LINEAR:
    case IR_SOFTMAX:        /* the logits: softmax follows in float */
        return v;
    }
    return v;
}

int q8_act_by_table(ir_activation a)
{
    return a == IR_TANH || a == IR_SIGMOID;
}

/* The activation a layer's kernel applies: tanh and sigmoid follow it (the
 * float reference's caller applies them, after their range is tracked). */
static float kernel_act(const ir_layer *l, float v)
{
    return q8_act_by_table(l->act) ? v : q8_activate(l->act, v);
}

/* ---- float references ---------------------------------------------------- */

static void conv_f32(const q8_model *q, int i, const float *in, const float *in2, float *out)
{
    (void)in2;
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
                o[co] = kernel_act(l, o[co]);
        }
}

static void pool_f32(const q8_model *q, int i, const float *in, const float *in2, float *out)
{
    (void)in2;
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

static void dense_f32(const q8_model *q, int i, const float *in, const float *in2, float *out)
{
    (void)in2;
    const ir_layer *l = &q->m->layers[i];
    const float *k = tensor(q, q->L->plan[i].kernel), *b = tensor(q, q->L->plan[i].bias);
    int n_in = l->in.h * l->in.w * l->in.c, u = l->units;
    memcpy(out, b, sizeof *out * (size_t)u);
    for (int j = 0; j < n_in; j++)
        for (int c = 0; c < u; c++)
            out[c] += in[j] * k[(size_t)j * u + c];
    for (int c = 0; c < u; c++)
        out[c] = kernel_act(l, out[c]);
}

/* Kernel (KH, KW, Cin, M): output channel c*M+m reads input channel c. */
static void dwconv_f32(const q8_model *q, int i, const float *in, const float *in2, float *out)
{
    const ir_layer *l = &q->m->layers[i];
    const float *k = tensor(q, q->L->plan[i].kernel), *b = tensor(q, q->L->plan[i].bias);
    int cout = l->out.c, mult = l->multiplier;
    (void)in2;
    for (int oy = 0; oy < l->out.h; oy++)
        for (int ox = 0; ox < l->out.w; ox++) {
            float *o = out + ((size_t)oy * l->out.w + ox) * cout;
            for (int co = 0; co < cout; co++) {
                float acc = b[co];
                for (int ky = 0; ky < l->kh; ky++)
                    for (int kx = 0; kx < l->kw; kx++) {
                        int y = oy * l->sh - l->pad_top + ky, x = ox * l->sw - l->pad_left + kx;
                        if (y < 0 || y >= l->in.h || x < 0 || x >= l->in.w)
                            continue;
                        acc += in[((size_t)y * l->in.w + x) * l->in.c + co / mult] *
                               k[((size_t)ky * l->kw + kx) * cout + co];
                    }
                o[co] = kernel_act(l, acc);
            }
        }
}

/* Channel c of an unfolded batchnorm as y = scale * x + shift: scale =
 * gamma / sqrt(var + eps), shift = beta - mean * scale, in double. */
static void batchnorm_channel(const q8_model *q, int i, int c, double *scale, double *shift)
{
    const gen_layer_plan *p = &q->L->plan[i];
    double var = tensor(q, p->moving_var)[c], mean = tensor(q, p->moving_mean)[c];
    *scale = tensor(q, p->kernel)[c] / sqrt(var + q->m->layers[i].eps);
    *shift = tensor(q, p->bias)[c] - mean * *scale;
}

static void batchnorm_f32(const q8_model *q, int i, const float *in, const float *in2,
                          float *out)
{
    const ir_layer *l = &q->m->layers[i];
    int c = l->out.c;
    (void)in2;
    for (int ch = 0; ch < c; ch++) {
        double scale, shift;
        batchnorm_channel(q, i, ch, &scale, &shift);
        for (int64_t j = ch; j < q8_out_size(l); j += c)
            out[j] = kernel_act(l, (float)(in[j] * scale + shift));
    }
}

static void add_f32(const q8_model *q, int i, const float *in, const float *in2, float *out)
{
    const ir_layer *l = &q->m->layers[i];
    for (int64_t j = 0; j < q8_out_size(l); j++)
        out[j] = kernel_act(l, in[j] + in2[j]);
}

/* Per pixel, the first input's channels, then the second's. */
static void concat_f32(const q8_model *q, int i, const float *in, const float *in2, float *out)
{
    const ir_layer *l = &q->m->layers[i];
    int ca = l->in.c, cb = l->in2.c;
    for (int64_t p = 0; p < (int64_t)l->out.h * l->out.w; p++) {
        memcpy(out + p * (ca + cb), in + p * ca, sizeof *out * (size_t)ca);
        memcpy(out + p * (ca + cb) + ca, in2 + p * cb, sizeof *out * (size_t)cb);
    }
}

static void copy_f32(const q8_model *q, int i, const float *in, const float *in2, float *out)
{
    (void)in2;
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

/* multiplier() for layer i: 0, or -1 after a message. */
static int layer_multiplier(const q8_model *q, int i, double m, int32_t *mult, int8_t *shift,
                            FILE *diag)
{
    if (!multiplier(m, mult, shift))
        return 0;
    fprintf(diag, "%s:%d: error: int8: layer %s rescales its outputs by more than 2^30 (output "
            "range too narrow for its inputs)\n", q->m->spec_path, q->m->layers[i].line,
            layer_name(q, i));
    return -1;
}

/* The clamp of the activation in the output's int8 units: relu from the
 * zero point, relu6 also up to the step nearest 6. */
static void act_range(const ir_layer *l, const q8_qparams *out, int32_t *lo, int32_t *hi)
{
    *lo = l->act == IR_RELU || l->act == IR_RELU6 ? out->zp : -128;
    *hi = 127;
    if (l->act == IR_RELU6) {
        double six = out->zp + round(6.0 / out->scale);
        *hi = six < 127 ? (int32_t)six : 127;
    }
}

/* Per-channel symmetric weights, int32 biases and multipliers (and
 * leaky_relu's second ones) of a layer whose float kernel w is (k, n_ch)
 * row-major, as conv's (KH, KW, Cin, Cout), dwconv's (KH, KW, Cin * M) and
 * dense's (inputs, units) are; the int8 kernel reads (n_ch, k). */
static int quantize_channels(q8_model *q, int i, const float *w, const float *b, int k,
                             int n_ch, FILE *diag)
{
    q8_layer *y = &q->layers[i];
    const ir_layer *l = &q->m->layers[i];
    int leaky = l->act == IR_LEAKY_RELU;
    /* |x - x_zp| <= 255 and |w| <= 127: the largest sum of k products */
    double bound = 255.0 * 127.0 * k;
    y->n_ch = n_ch;
    y->n_w = k * n_ch;
    y->w = malloc((size_t)y->n_w);
    y->bias = malloc(sizeof *y->bias * (size_t)n_ch);
    y->mult = malloc(sizeof *y->mult * (size_t)n_ch);
    y->shift = malloc((size_t)n_ch);
    y->w_scale = malloc(sizeof *y->w_scale * (size_t)n_ch);
    if (leaky) {
        y->neg_mult = malloc(sizeof *y->neg_mult * (size_t)n_ch);
        y->neg_shift = malloc((size_t)n_ch);
    }
    if (!y->w || !y->bias || !y->mult || !y->shift || !y->w_scale ||
        (leaky && (!y->neg_mult || !y->neg_shift))) {
        fprintf(diag, "convc: out of memory\n");
        return -1;
    }
    if (bound > INT32_MAX) {
        fprintf(diag, "%s:%d: error: int8: layer %s sums %d products per output, which can "
                "overflow the int32 accumulator\n", q->m->spec_path, l->line, layer_name(q, i), k);
        return -1;
    }
    act_range(l, &y->pre, &y->lo, &y->hi);
    for (int c = 0; c < n_ch; c++) {
        float amax = 0.0f;
        /* the smallest weight scale at which the bias fits int32: a channel
         * of tiny weights and a large bias (a batchnorm of gamma near 0) is
         * almost constant, and keeps its bias rather than its weights */
        double fit = fabs((double)b[c]) / ((double)y->in.scale * (INT32_MAX - bound - 1.0));
        double bq, m;
        for (int j = 0; j < k; j++)
            amax = fabsf(w[(size_t)j * n_ch + c]) > amax ? fabsf(w[(size_t)j * n_ch + c]) : amax;
        y->w_scale[c] = amax > 0.0f ? amax / 127.0f : 1.0f;
        if (y->w_scale[c] < fit && isfinite((float)(fit * 1.001)))
            y->w_scale[c] = (float)(fit * 1.001);
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
        m = (double)y->in.scale * y->w_scale[c] / y->pre.scale;
        if (layer_multiplier(q, i, m, &y->mult[c], &y->shift[c], diag) ||
            (leaky && layer_multiplier(q, i, IR_LEAKY_SLOPE * m, &y->neg_mult[c],
                                       &y->neg_shift[c], diag)))
            return -1;
    }
    return 0;
}

static int conv_quantize(q8_model *q, int i, FILE *diag)
{
    const ir_layer *l = &q->m->layers[i];
    return quantize_channels(q, i, tensor(q, q->L->plan[i].kernel), tensor(q, q->L->plan[i].bias),
                             l->kh * l->kw * l->in.c, l->filters, diag);
}

static int dwconv_quantize(q8_model *q, int i, FILE *diag)
{
    const ir_layer *l = &q->m->layers[i];
    return quantize_channels(q, i, tensor(q, q->L->plan[i].kernel), tensor(q, q->L->plan[i].bias),
                             l->kh * l->kw, l->out.c, diag);
}

static int dense_quantize(q8_model *q, int i, FILE *diag)
{
    const ir_layer *l = &q->m->layers[i];
    return quantize_channels(q, i, tensor(q, q->L->plan[i].kernel), tensor(q, q->L->plan[i].bias),
                             l->in.h * l->in.w * l->in.c, l->units, diag);
}

/* A batchnorm that does not fold is a 1x1 depthwise convolution: one
 * weight (its scale) and one bias (its shift) per channel. */
static int batchnorm_quantize(q8_model *q, int i, FILE *diag)
{
    int c = q->m->layers[i].out.c, rc;
    float *affine = malloc(2 * sizeof *affine * (size_t)c);
    if (!affine) {
        fprintf(diag, "convc: out of memory\n");
        return -1;
    }
    for (int ch = 0; ch < c; ch++) {
        double scale, shift;
        batchnorm_channel(q, i, ch, &scale, &shift);
        affine[ch] = (float)scale;
        affine[c + ch] = (float)shift;
    }
    rc = quantize_channels(q, i, affine, affine + c, 1, c, diag);
    free(affine);
    return rc;
}

/* TensorFlow Lite's ADD: each input to (its scale / twice the larger one)
 * after a left shift of 20 bits, the sum to the output by twice the larger
 * scale / (2^20 * output scale); leaky_relu's slope on a negative sum. */
static int add_quantize(q8_model *q, int i, FILE *diag)
{
    q8_layer *y = &q->layers[i];
    const ir_layer *l = &q->m->layers[i];
    double twice_max = 2.0 * (y->in.scale > y->in2.scale ? y->in.scale : y->in2.scale);
    double out = twice_max / (1048576.0 * y->pre.scale);
    act_range(l, &y->pre, &y->lo, &y->hi);
    return layer_multiplier(q, i, y->in.scale / twice_max, &y->in_mult[0], &y->in_shift[0],
                            diag) ||
           layer_multiplier(q, i, y->in2.scale / twice_max, &y->in_mult[1], &y->in_shift[1],
                            diag) ||
           layer_multiplier(q, i, out, &y->out_mult, &y->out_shift, diag) ||
           layer_multiplier(q, i, l->act == IR_LEAKY_RELU ? IR_LEAKY_SLOPE * out : out,
                            &y->out_neg_mult, &y->out_neg_shift, diag) ? -1 : 0;
}

/* TensorFlow Lite's CONCATENATION: each input to the output's scale. */
static int concat_quantize(q8_model *q, int i, FILE *diag)
{
    q8_layer *y = &q->layers[i];
    return layer_multiplier(q, i, y->in.scale / y->out.scale, &y->in_mult[0], &y->in_shift[0],
                            diag) ||
           layer_multiplier(q, i, y->in2.scale / y->out.scale, &y->in_mult[1],
                            &y->in_shift[1], diag) ? -1 : 0;
}

/* The mean's 1 / pixels folded into the multiplier of the int32 sum. */
static int gavg_quantize(q8_model *q, int i, FILE *diag)
{
    q8_layer *y = &q->layers[i];
    const ir_layer *l = &q->m->layers[i];
    double pixels = (double)l->in.h * l->in.w;
    if (255.0 * pixels > INT32_MAX) {
        fprintf(diag, "%s:%d: error: int8: layer %s sums %.0f values per channel, which can "
                "overflow the int32 accumulator\n", q->m->spec_path, l->line, layer_name(q, i),
                pixels);
        return -1;
    }
    return layer_multiplier(q, i, y->in.scale / (y->out.scale * pixels), &y->out_mult,
                            &y->out_shift, diag);
}

/* TensorFlow Lite's int8 TANH (output scale 1/128, zero point 0) and
 * LOGISTIC (1/256, -128): the table of the float function of every
 * pre-activation value q, rounded half away from zero and clamped. */
int q8_table_quantize(q8_model *q, int i, FILE *diag)
{
    q8_layer *y = &q->layers[i];
    int tanh_act = q->m->layers[i].act == IR_TANH;
    y->out.scale = tanh_act ? 1.0f / 128.0f : 1.0f / 256.0f;
    y->out.zp = tanh_act ? 0 : -128;
    y->lut = malloc(256);
    if (!y->lut) {
        fprintf(diag, "convc: out of memory\n");
        return -1;
    }
    for (int v = -128; v < 128; v++) {
        double x = (double)y->pre.scale * (v - y->pre.zp);
        double f = tanh_act ? tanh(x) : 1.0 / (1.0 + exp(-x));
        double r = round(f / y->out.scale) + y->out.zp;
        y->lut[v + 128] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
    }
    return 0;
}

/* ---- int8 forward -------------------------------------------------------- */

static q8_conv_geom conv_geom(const q8_model *q, int i)
{
    const ir_layer *l = &q->m->layers[i];
    const q8_layer *y = &q->layers[i];
    q8_conv_geom g = { l->in.h, l->in.w, l->in.c, l->out.h, l->out.w, l->out.c,
                       l->kind == IR_CONV ? 1 : l->in.c, l->kh, l->kw, l->sh, l->sw,
                       l->pad_top, l->pad_left, y->in.zp, y->pre.zp, y->lo, y->hi };
    if (l->kind == IR_BATCHNORM)            /* a 1x1 depthwise convolution */
        g.kh = g.kw = g.sh = g.sw = 1, g.pad_top = g.pad_left = 0;
    return g;
}

static q8_channels channels(const q8_layer *y)
{
    q8_channels t = { y->w, y->bias, y->mult, y->shift, y->neg_mult, y->neg_shift };
    return t;
}

static q8_pool_geom pool_geom(const q8_model *q, int i)
{
    const ir_layer *l = &q->m->layers[i];
    q8_pool_geom g = { l->in.h, l->in.w, l->in.c, l->out.h, l->out.w, l->kh, l->kw,
                       l->sh, l->sw, l->pad_top, l->pad_left, l->pool == IR_POOL_AVG };
    return g;
}

static q8_input_scale input_scale(const q8_qparams *in, int32_t mult, int shift)
{
    q8_input_scale s = { in->zp, mult, shift };
    return s;
}

static q8_add_geom add_geom(const q8_model *q, int i)
{
    const q8_layer *y = &q->layers[i];
    q8_add_geom g = { (int)q8_out_size(&q->m->layers[i]),
                      input_scale(&y->in, y->in_mult[0], y->in_shift[0]),
                      input_scale(&y->in2, y->in_mult[1], y->in_shift[1]),
                      y->out_mult, y->out_shift, y->out_neg_mult, y->out_neg_shift,
                      y->pre.zp, y->lo, y->hi };
    return g;
}

static q8_concat_geom concat_geom(const q8_model *q, int i)
{
    const ir_layer *l = &q->m->layers[i];
    const q8_layer *y = &q->layers[i];
    q8_concat_geom g = { l->out.h * l->out.w, l->in.c, l->in2.c,
                         input_scale(&y->in, y->in_mult[0], y->in_shift[0]),
                         input_scale(&y->in2, y->in_mult[1], y->in_shift[1]), y->out.zp };
    return g;
}

static q8_gavg_geom gavg_geom(const q8_model *q, int i)
{
    const ir_layer *l = &q->m->layers[i];
    const q8_layer *y = &q->layers[i];
    q8_gavg_geom g = { l->in.h * l->in.w, l->in.c, y->in.zp, y->out_mult, y->out_shift,
                       y->out.zp };
    return g;
}

static void conv_q8(const q8_model *q, int i, const int8_t *in, const int8_t *in2, int8_t *out)
{
    q8_conv_geom g = conv_geom(q, i);
    q8_channels t = channels(&q->layers[i]);
    (void)in2;
    q8_conv(out, in, &t, &g);
}

static void pool_q8(const q8_model *q, int i, const int8_t *in, const int8_t *in2, int8_t *out)
{
    q8_pool_geom g = pool_geom(q, i);
    (void)in2;
    q8_pool(out, in, &g);
}

static void dense_q8(const q8_model *q, int i, const int8_t *in, const int8_t *in2, int8_t *out)
{
    const ir_layer *l = &q->m->layers[i];
    const q8_layer *y = &q->layers[i];
    q8_channels t = channels(y);
    (void)in2;
    q8_dense(out, in, &t, l->in.h * l->in.w * l->in.c, l->units, y->in.zp, y->pre.zp, y->lo,
             y->hi);
}

static void add_q8(const q8_model *q, int i, const int8_t *in, const int8_t *in2, int8_t *out)
{
    q8_add_geom g = add_geom(q, i);
    q8_add(out, in, in2, &g);
}

static void concat_q8(const q8_model *q, int i, const int8_t *in, const int8_t *in2,
                      int8_t *out)
{
    q8_concat_geom g = concat_geom(q, i);
    q8_concat(out, in, in2, &g);
}

static void gavg_q8(const q8_model *q, int i, const int8_t *in, const int8_t *in2, int8_t *out)
{
    q8_gavg_geom g = gavg_geom(q, i);
    (void)in2;
    q8_gavg(out, in, &g);
}

static void copy_q8(const q8_model *q, int i, const int8_t *in, const int8_t *in2, int8_t *out)
{
    (void)in2;
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

/* The tables of a layer with per-channel weights, and the q8_channels
 * that points at them (`<layer>_t`). */
static void emit_channel_tables(emitter *e, const q8_model *q, int i, const char *pfx)
{
    const q8_layer *y = &q->layers[i];
    const char *n = layer_name(q, i);
    emit_ints(e, "int8_t", pfx, n, "w", y->w, y->n_w, 1);
    emit_ints(e, "int32_t", pfx, n, "bias", y->bias, y->n_ch, 4);
    emit_ints(e, "int32_t", pfx, n, "mult", y->mult, y->n_ch, 4);
    emit_ints(e, "int8_t", pfx, n, "shift", y->shift, y->n_ch, 1);
    if (y->neg_mult) {
        emit_line(e, "/* leaky_relu: the multipliers of a negative accumulator */");
        emit_ints(e, "int32_t", pfx, n, "neg_mult", y->neg_mult, y->n_ch, 4);
        emit_ints(e, "int8_t", pfx, n, "neg_shift", y->neg_shift, y->n_ch, 1);
    }
    emit_line(e, "static const %sq8_channels %s%s_t = {", pfx, pfx, n);
    if (y->neg_mult)
        emit_line(e, "    %s%s_w, %s%s_bias, %s%s_mult, %s%s_shift, %s%s_neg_mult, %s%s_neg_shift",
                  pfx, n, pfx, n, pfx, n, pfx, n, pfx, n, pfx, n);
    else
        emit_line(e, "    %s%s_w, %s%s_bias, %s%s_mult, %s%s_shift, NULL, NULL", pfx, n, pfx, n,
                  pfx, n, pfx, n);
    emit_line(e, "};");
}

static void conv_tables(emitter *e, const q8_model *q, int i, const char *pfx)
{
    q8_conv_geom g = conv_geom(q, i);
    const char *n = layer_name(q, i);
    emit_channel_tables(e, q, i, pfx);
    emit_line(e, "static const %sq8_conv_geom %s%s_geom = {", pfx, pfx, n);
    emit_line(e, "    %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %ld, %ld, %ld, %ld",
              g.in_h, g.in_w, g.in_c, g.out_h, g.out_w, g.out_c, g.groups, g.kh, g.kw, g.sh,
              g.sw, g.pad_top, g.pad_left, (long)g.in_zp, (long)g.out_zp, (long)g.lo,
              (long)g.hi);
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

static void add_tables(emitter *e, const q8_model *q, int i, const char *pfx)
{
    q8_add_geom g = add_geom(q, i);
    emit_line(e, "static const %sq8_add_geom %s%s_geom = {", pfx, pfx, layer_name(q, i));
    emit_line(e, "    %d, { %ld, %ld, %ld }, { %ld, %ld, %ld },", g.n, (long)g.a.zp,
              (long)g.a.mult, (long)g.a.shift, (long)g.b.zp, (long)g.b.mult, (long)g.b.shift);
    emit_line(e, "    %ld, %ld, %ld, %ld, %ld, %ld, %ld", (long)g.mult, (long)g.shift,
              (long)g.neg_mult, (long)g.neg_shift, (long)g.out_zp, (long)g.lo, (long)g.hi);
    emit_line(e, "};");
}

static void concat_tables(emitter *e, const q8_model *q, int i, const char *pfx)
{
    q8_concat_geom g = concat_geom(q, i);
    emit_line(e, "static const %sq8_concat_geom %s%s_geom = {", pfx, pfx, layer_name(q, i));
    emit_line(e, "    %d, %d, %d, { %ld, %ld, %ld }, { %ld, %ld, %ld }, %ld", g.pixels, g.a_c,
              g.b_c, (long)g.a.zp, (long)g.a.mult, (long)g.a.shift, (long)g.b.zp,
              (long)g.b.mult, (long)g.b.shift, (long)g.out_zp);
    emit_line(e, "};");
}

static void gavg_tables(emitter *e, const q8_model *q, int i, const char *pfx)
{
    q8_gavg_geom g = gavg_geom(q, i);
    emit_line(e, "static const %sq8_gavg_geom %s%s_geom = {", pfx, pfx, layer_name(q, i));
    emit_line(e, "    %d, %d, %ld, %ld, %ld, %ld", g.pixels, g.c, (long)g.in_zp, (long)g.mult,
              (long)g.shift, (long)g.out_zp);
    emit_line(e, "};");
}

void q8_emit_table(emitter *e, const q8_model *q, int i, const char *pfx)
{
    if (!q->layers[i].lut)
        return;
    emit_line(e, "/* %s: its int8 pre-activation (index q + 128) -> its output */",
              ir_activation_name(q->m->layers[i].act));
    emit_ints(e, "int8_t", pfx, layer_name(q, i), "lut", q->layers[i].lut, 256, 1);
}

void q8_emit_table_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *out)
{
    if (q->layers[i].lut)
        emit_line(e, "%sq8_lut(%s, %lld, %s%s_lut);", pfx, out,
                  (long long)q8_out_size(&q->m->layers[i]), pfx, layer_name(q, i));
}

/* `<kernel>(out, in[, in2], &<layer>_<table>)`: the call of a kernel that
 * takes one table. */
static void emit_table_call(emitter *e, const q8_model *q, int i, const char *pfx,
                            const char *kernel, const char *in, const char *in2, const char *out,
                            const char *table)
{
    emit_line(e, "%sq8_%s(%s, %s%s%s, &%s%s_%s);", pfx, kernel, out, in, in2 ? ", " : "",
              in2 ? in2 : "", pfx, layer_name(q, i), table);
}

static void conv_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                      const char *in2, const char *out)
{
    const char *n = layer_name(q, i);
    (void)in2;
    emit_line(e, "%sq8_conv(%s, %s, &%s%s_t, &%s%s_geom);", pfx, out, in, pfx, n, pfx, n);
}

static void pool_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                      const char *in2, const char *out)
{
    (void)in2;
    emit_table_call(e, q, i, pfx, "pool", in, NULL, out, "geom");
}

static void dense_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                       const char *in2, const char *out)
{
    const ir_layer *l = &q->m->layers[i];
    const q8_layer *y = &q->layers[i];
    (void)in2;
    emit_line(e, "%sq8_dense(%s, %s, &%s%s_t, %d, %d, %ld, %ld, %ld, %ld);", pfx, out, in, pfx,
              layer_name(q, i), l->in.h * l->in.w * l->in.c, l->units, (long)y->in.zp,
              (long)y->pre.zp, (long)y->lo, (long)y->hi);
}

static void add_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                     const char *in2, const char *out)
{
    emit_table_call(e, q, i, pfx, "add", in, in2, out, "geom");
}

static void concat_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                        const char *in2, const char *out)
{
    emit_table_call(e, q, i, pfx, "concat", in, in2, out, "geom");
}

static void gavg_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                      const char *in2, const char *out)
{
    (void)in2;
    emit_table_call(e, q, i, pfx, "gavg", in, NULL, out, "geom");
}

static void copy_call(emitter *e, const q8_model *q, int i, const char *pfx, const char *in,
                      const char *in2, const char *out)
{
    (void)pfx;
    (void)in2;
    emit_line(e, "memcpy(%s, %s, %lld);", out, in, (long long)q8_out_size(&q->m->layers[i]));
}

/* ---- the table ----------------------------------------------------------- */

static const q8_kind q8_conv_kind = {
    "Q8_USE_CONV", 0, 0, conv_f32, conv_quantize, conv_q8, conv_tables, conv_call,
};
/* the convolution kernel, one group per input channel */
static const q8_kind q8_dwconv_kind = {
    "Q8_USE_CONV", 0, 0, dwconv_f32, dwconv_quantize, conv_q8, conv_tables, conv_call,
};
/* max pooling, global too, is exact in its input's quantization; the mean
 * of a window rounds in it */
static const q8_kind q8_pool_kind = {
    "Q8_USE_POOL", 1, 0, pool_f32, NULL, pool_q8, pool_tables, pool_call,
};
/* global average pooling: an output range of its own (TensorFlow Lite's
 * MEAN) */
static const q8_kind q8_gavg_kind = {
    "Q8_USE_GAVG", 0, 0, pool_f32, gavg_quantize, gavg_q8, gavg_tables, gavg_call,
};
static const q8_kind q8_dense_kind = {
    "Q8_USE_DENSE", 0, 0, dense_f32, dense_quantize, dense_q8, emit_channel_tables, dense_call,
};
/* a batchnorm that does not fold: a depthwise convolution, 1x1 */
static const q8_kind q8_batchnorm_kind = {
    "Q8_USE_CONV", 0, 0, batchnorm_f32, batchnorm_quantize, conv_q8, conv_tables, conv_call,
};
static const q8_kind q8_add_kind = {
    "Q8_USE_ADD", 0, 0, add_f32, add_quantize, add_q8, add_tables, add_call,
};
static const q8_kind q8_concat_kind = {
    "Q8_USE_CONCAT", 0, 0, concat_f32, concat_quantize, concat_q8, concat_tables, concat_call,
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
    [IR_BATCHNORM] = &q8_batchnorm_kind,
    [IR_DWCONV] = &q8_dwconv_kind,
    [IR_ADD] = &q8_add_kind,
    [IR_CONCAT] = &q8_concat_kind,
};

const q8_kind *q8_kind_of(const ir_layer *l)
{
    if (l->kind == IR_POOL && l->global && l->pool == IR_POOL_AVG)
        return &q8_gavg_kind;
    return (int)l->kind >= 0 && (int)l->kind < IR_N_KINDS ? q8_kinds[l->kind] : NULL;
}

const q8_kind *q8_kind_at(int k)
{
    static const q8_kind *const all[] = {
        &q8_conv_kind, &q8_dwconv_kind, &q8_pool_kind, &q8_gavg_kind, &q8_dense_kind,
        &q8_batchnorm_kind, &q8_add_kind, &q8_concat_kind, &q8_copy_kind,
    };
    return k >= 0 && k < (int)(sizeof all / sizeof *all) ? all[k] : NULL;
}
