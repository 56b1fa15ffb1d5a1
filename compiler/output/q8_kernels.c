/* q8_kernels.c - the int8 kernels of `convc export --int8`, after
 * TensorFlow Lite's int8 scheme: real = scale * (q - zero_point); weights
 * symmetric per output channel (zero point 0, -127..127), activations
 * asymmetric per tensor, biases int32 at scale input_scale * weight_scale.
 * A layer accumulates sum (x - x_zp) * w + bias in int32 and rescales by
 * the real multiplier M = x_scale * w_scale / y_scale, held as a Q31
 * integer and a power of two: y = floor(acc * mult / 2^(31 - shift) + 1/2)
 * + y_zp (round half up), clamped to the activation's range.  Integer
 * arithmetic only, the same bits on every machine.
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

#if Q8_USE_CONV || Q8_USE_DENSE
/* acc * mult * 2^(shift - 31), rounded half up, plus zp, clamped to
 * lo..hi.  The quantizer keeps 31 - shift in 1..62 and |mult| < 2^31, so
 * nothing overflows int64. */
Q8_DEF int32_t Q8_FN(requantize)(int32_t acc, int32_t mult, int shift, int32_t zp, int32_t lo,
                                 int32_t hi)
{
    int total = 31 - shift;
    int64_t v = Q8_FN(floor_shift)((int64_t)acc * mult + ((int64_t)1 << (total - 1)), total) + zp;
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
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
/* Weights (Cout, KH, KW, Cin); taps in the padding are skipped, which is
 * exact: a zero input is x_zp, and (x_zp - x_zp) * w is 0. */
Q8_DEF void Q8_FN(conv)(int8_t *out, const int8_t *in, const int8_t *w, const int32_t *bias,
                        const int32_t *mult, const int8_t *shift, const Q8_FN(conv_geom) *g)
{
    int oy, ox, co, ky, kx, ci;
    for (oy = 0; oy < g->out_h; oy++)
        for (ox = 0; ox < g->out_w; ox++) {
            int y0, x0, ky0, ky1, kx0, kx1;
            int8_t *o = out + ((size_t)oy * g->out_w + ox) * g->out_c;
            Q8_FN(window)(oy, g->sh, g->pad_top, g->kh, g->in_h, &y0, &ky0, &ky1);
            Q8_FN(window)(ox, g->sw, g->pad_left, g->kw, g->in_w, &x0, &kx0, &kx1);
            for (co = 0; co < g->out_c; co++) {
                int32_t acc = bias[co];
                for (ky = ky0; ky < ky1; ky++)
                    for (kx = kx0; kx < kx1; kx++) {
                        const int8_t *ip = in + ((size_t)(y0 + ky) * g->in_w + x0 + kx) * g->in_c;
                        const int8_t *wp = w + (((size_t)co * g->kh + ky) * g->kw + kx) * g->in_c;
                        for (ci = 0; ci < g->in_c; ci++)
                            acc += ((int32_t)ip[ci] - g->in_zp) * wp[ci];
                    }
                o[co] = (int8_t)Q8_FN(requantize)(acc, mult[co], shift[co], g->out_zp, g->lo,
                                                  g->hi);
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
Q8_DEF void Q8_FN(dense)(int8_t *out, const int8_t *in, const int8_t *w, const int32_t *bias,
                         const int32_t *mult, const int8_t *shift, int n_in, int n_out,
                         int32_t in_zp, int32_t out_zp, int32_t lo, int32_t hi)
{
    int j, i;
    for (j = 0; j < n_out; j++) {
        const int8_t *wp = w + (size_t)j * n_in;
        int32_t acc = bias[j];
        for (i = 0; i < n_in; i++)
            acc += ((int32_t)in[i] - in_zp) * wp[i];
        out[j] = (int8_t)Q8_FN(requantize)(acc, mult[j], shift[j], out_zp, lo, hi);
    }
}
#endif
