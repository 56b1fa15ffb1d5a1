/* q8_kernels.c - the int8 kernels of `convc export --int8`, after
 * TensorFlow Lite's int8 scheme: real = scale * (q - zero_point); weights
 * symmetric per output channel (zero point 0, -127..127), activations
 * asymmetric per tensor, biases int32 at scale input_scale * weight_scale.
 * A layer accumulates sum (x - x_zp) * w + bias in int32 and rescales by
 * the real multiplier M = x_scale * w_scale / y_scale, held as a Q31
 * integer and a power of two: y = floor(acc * mult / 2^(31 - shift) + 1/2)
 * + y_zp (round half up), clamped to the activation's range (leaky_relu:
 * a negative accumulator takes a second multiplier, slope * M; tanh and
 * sigmoid: the output at the pre-activation's scale, then a 256-entry
 * table built at export time).  add,
 * concat and global average pooling rescale with the same multipliers
 * (docs/microcontrollers.md).  Integer arithmetic only, the same bits on
 * every machine.
 *
 * Embedded as text in every int8 export, with Q8_FN, Q8_DEF and
 * Q8_USE_<kind> defined before it (kernels a model does not use are left
 * out), and compiled into convc through q8_kernels.h. */
#ifndef Q8_FN
#include "output/q8_kernels.h"
#endif

/* floor(v / 2^s) whatever v's sign: >> of a negative value is
 * implementation-defined in C. */
static int64_t Q8_FN(floor_shift)(int64_t v, int s)
{
    return v >= 0 ? v >> s : ~(~v >> s);
}

Q8_DEF void Q8_FN(quantize)(int8_t *q, const float *x, int n, float scale, int32_t zp)
{
    int i;
    for (i = 0; i < n; i++) {
        float v = x[i] / scale;
        int32_t r;
        v = v > 1000.0f ? 1000.0f : v < -1000.0f ? -1000.0f : v;     /* and NaN: */
        r = v == v ? (int32_t)floorf(v + 0.5f) + zp : zp;
        q[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
    }
}

Q8_DEF void Q8_FN(dequantize)(float *x, const int8_t *q, int n, float scale, int32_t zp)
{
    int i;
    for (i = 0; i < n; i++)
        x[i] = scale * (float)((int32_t)q[i] - zp);
}

Q8_DEF int Q8_FN(argmax)(const int8_t *v, int n)
{
    int k, best = 0;
    for (k = 1; k < n; k++)
        if (v[k] > v[best])
            best = k;
    return best;
}

#if Q8_USE_CONV || Q8_USE_DENSE || Q8_USE_ADD || Q8_USE_CONCAT || \
    Q8_USE_GAVG
/* v * mult * 2^(shift - 31) rounded half up, in int64.  The quantizer
 * keeps 31 - shift in 1..62 and |mult| < 2^31, so nothing overflows. */
static int64_t Q8_FN(rescale)(int32_t v, int32_t mult, int shift)
{
    int total = 31 - shift;
    return Q8_FN(floor_shift)((int64_t)v * mult + ((int64_t)1 << (total - 1)), total);
}

/* acc rescaled, plus zp, clamped to lo..hi. */
Q8_DEF int32_t Q8_FN(requantize)(int32_t acc, int32_t mult, int shift, int32_t zp, int32_t lo,
                                 int32_t hi)
{
    int64_t v = Q8_FN(rescale)(acc, mult, shift) + zp;
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}
#endif

#if Q8_USE_CONV || Q8_USE_DENSE
/* Output channel c of accumulator acc: a negative one takes the
 * leaky_relu multiplier when the layer has one. */
static int8_t Q8_FN(channel_out)(const Q8_FN(channels) *t, int c, int32_t acc, int32_t zp,
                                 int32_t lo, int32_t hi)
{
    int neg = acc < 0 && t->neg_mult;
    return (int8_t)Q8_FN(requantize)(acc, neg ? t->neg_mult[c] : t->mult[c],
                                     neg ? t->neg_shift[c] : t->shift[c], zp, lo, hi);
}
#endif

#if Q8_USE_CONV || Q8_USE_POOL
/* Along one axis, the window of output o: its first input index (stride s,
 * padding pad) and its taps k0..k1 inside the input of n (padding is never
 * read). */
static void Q8_FN(window)(int o, int s, int pad, int k, int n, int *start, int *k0, int *k1)
{
    *start = o * s - pad;
    *k0 = *start < 0 ? -*start : 0;
    *k1 = *start + k > n ? n - *start : k;
}
#endif

#if Q8_USE_CONV
/* A grouped convolution: weights (Cout, KH, KW, Cin / groups), output
 * channel co reads the Cin / groups input channels of its group (co /
 * (Cout / groups)).  A conv has one group; a dwconv (and an unfolded
 * batchnorm, 1x1) one per input channel.  Taps in the padding are
 * skipped, which is exact: a zero input is x_zp, and (x_zp - x_zp) * w
 * is 0. */
Q8_DEF void Q8_FN(conv)(int8_t *out, const int8_t *in, const Q8_FN(channels) *t,
                        const Q8_FN(conv_geom) *g)
{
    int oy, ox, co, ky, kx, ci, gin = g->in_c / g->groups, gout = g->out_c / g->groups;
    for (oy = 0; oy < g->out_h; oy++)
        for (ox = 0; ox < g->out_w; ox++) {
            int y0, x0, ky0, ky1, kx0, kx1;
            int8_t *o = out + ((size_t)oy * g->out_w + ox) * g->out_c;
            Q8_FN(window)(oy, g->sh, g->pad_top, g->kh, g->in_h, &y0, &ky0, &ky1);
            Q8_FN(window)(ox, g->sw, g->pad_left, g->kw, g->in_w, &x0, &kx0, &kx1);
            for (co = 0; co < g->out_c; co++) {
                int32_t acc = t->bias[co];
                for (ky = ky0; ky < ky1; ky++)
                    for (kx = kx0; kx < kx1; kx++) {
                        const int8_t *ip = in + ((size_t)(y0 + ky) * g->in_w + x0 + kx) * g->in_c +
                                           co / gout * gin;
                        const int8_t *wp = t->w + (((size_t)co * g->kh + ky) * g->kw + kx) * gin;
                        for (ci = 0; ci < gin; ci++)
                            acc += ((int32_t)ip[ci] - g->in_zp) * wp[ci];
                    }
                o[co] = Q8_FN(channel_out)(t, co, acc, g->out_zp, g->lo, g->hi);
            }
        }
}
#endif

#if Q8_USE_POOL
/* Max, or the mean of the window's part inside the input rounded half
 * away from zero (C's division truncates). */
Q8_DEF void Q8_FN(pool)(int8_t *out, const int8_t *in, const Q8_FN(pool_geom) *g)
{
    int oy, ox, ky, kx, ch;
    for (oy = 0; oy < g->out_h; oy++)
        for (ox = 0; ox < g->out_w; ox++) {
            int y0, x0, ky0, ky1, kx0, kx1;
            int32_t n;
            int8_t *o = out + ((size_t)oy * g->out_w + ox) * g->c;
            Q8_FN(window)(oy, g->sh, g->pad_top, g->kh, g->in_h, &y0, &ky0, &ky1);
            Q8_FN(window)(ox, g->sw, g->pad_left, g->kw, g->in_w, &x0, &kx0, &kx1);
            n = (ky1 - ky0) * (kx1 - kx0);
            for (ch = 0; ch < g->c; ch++) {
                int32_t acc = g->avg ? 0 : -128;
                for (ky = ky0; ky < ky1; ky++)
                    for (kx = kx0; kx < kx1; kx++) {
                        int32_t v = in[((size_t)(y0 + ky) * g->in_w + x0 + kx) * g->c + ch];
                        acc = g->avg ? acc + v : v > acc ? v : acc;
                    }
                if (g->avg)
                    acc = n > 0 ? (acc >= 0 ? acc + n / 2 : acc - n / 2) / n : 0;
                o[ch] = (int8_t)acc;
            }
        }
}
#endif

#if Q8_USE_DENSE
/* Weights (units, inputs): each output reads one contiguous row. */
Q8_DEF void Q8_FN(dense)(int8_t *out, const int8_t *in, const Q8_FN(channels) *t, int n_in,
                         int n_out, int32_t in_zp, int32_t out_zp, int32_t lo, int32_t hi)
{
    int j, i;
    for (j = 0; j < n_out; j++) {
        const int8_t *wp = t->w + (size_t)j * n_in;
        int32_t acc = t->bias[j];
        for (i = 0; i < n_in; i++)
            acc += ((int32_t)in[i] - in_zp) * wp[i];
        out[j] = Q8_FN(channel_out)(t, j, acc, out_zp, lo, hi);
    }
}
#endif

#if Q8_USE_ADD || Q8_USE_CONCAT
/* An input value at the common scale: (q - zp) * mult * 2^(shift - 31). */
static int64_t Q8_FN(scaled)(int32_t q, int left_shift, const Q8_FN(input_scale) *s)
{
    return Q8_FN(rescale)((q - s->zp) * ((int32_t)1 << left_shift), s->mult, s->shift);
}
#endif

#if Q8_USE_ADD
/* TensorFlow Lite's ADD: both inputs shifted left by 20 bits and rescaled
 * to half the larger input scale, summed, then rescaled to the output. */
Q8_DEF void Q8_FN(add)(int8_t *out, const int8_t *a, const int8_t *b, const Q8_FN(add_geom) *g)
{
    int j;
    for (j = 0; j < g->n; j++) {
        /* each |term| <= 255 * 2^19: the sum fits int32 */
        int32_t sum = (int32_t)(Q8_FN(scaled)(a[j], 20, &g->a) + Q8_FN(scaled)(b[j], 20, &g->b));
        int neg = sum < 0;
        out[j] = (int8_t)Q8_FN(requantize)(sum, neg ? g->neg_mult : g->mult,
                                           neg ? g->neg_shift : g->shift, g->out_zp, g->lo, g->hi);
    }
}
#endif

#if Q8_USE_CONCAT
/* Each value requantized to the output's scale and zero point (exact when
 * the input has them already). */
Q8_DEF void Q8_FN(concat)(int8_t *out, const int8_t *a, const int8_t *b,
                          const Q8_FN(concat_geom) *g)
{
    int p, c;
    for (p = 0; p < g->pixels; p++) {
        int8_t *o = out + (size_t)p * (g->a_c + g->b_c);
        for (c = 0; c < g->a_c; c++) {
            int64_t v = Q8_FN(scaled)(a[(size_t)p * g->a_c + c], 0, &g->a) + g->out_zp;
            o[c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
        for (c = 0; c < g->b_c; c++) {
            int64_t v = Q8_FN(scaled)(b[(size_t)p * g->b_c + c], 0, &g->b) + g->out_zp;
            o[g->a_c + c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    }
}
#endif

#if Q8_USE_GAVG
/* Per channel, the int32 sum of (q - in_zp) over every pixel, rescaled by
 * the multiplier of in_scale / (out_scale * pixels). */
Q8_DEF void Q8_FN(gavg)(int8_t *out, const int8_t *in, const Q8_FN(gavg_geom) *g)
{
    int p, ch;
    for (ch = 0; ch < g->c; ch++) {
        int32_t acc = 0;
        for (p = 0; p < g->pixels; p++)
            acc += (int32_t)in[(size_t)p * g->c + ch] - g->in_zp;
        out[ch] = (int8_t)Q8_FN(requantize)(acc, g->mult, g->shift, g->out_zp, -128, 127);
    }
}
#endif

#if Q8_USE_LUT
/* TensorFlow Lite's int8 TANH and LOGISTIC: n values at the scale of the
 * layer's pre-activation, each replaced by its entry (q + 128) of the
 * layer's table of the float function at the output's fixed scale. */
Q8_DEF void Q8_FN(lut)(int8_t *v, int n, const int8_t *table)
{
    int j;
    for (j = 0; j < n; j++)
        v[j] = table[(int32_t)v[j] + 128];
}
#endif
