/* q8_types.h - the geometry the int8 kernels (q8_kernels.c) take, named
 * through Q8_FN: embedded before them in every int8 export, and included
 * by q8_kernels.h for convc. */

/* A convolution: shapes, groups (1, or in_c for a depthwise one: output
 * channel c*M+m then reads input channel c), the input's zero point, the
 * output's zero point and the clamp of its activation, in int8 units. */
typedef struct {
    int in_h, in_w, in_c, out_h, out_w, out_c, groups, kh, kw, sh, sw, pad_top, pad_left;
    int32_t in_zp, out_zp, lo, hi;
} Q8_FN(conv_geom);

/* A layer's tables per output channel: int8 weights (channel-major), int32
 * biases, the multipliers and shifts of its outputs and, for leaky_relu,
 * those of a negative accumulator (NULL otherwise). */
typedef struct {
    const int8_t *w;
    const int32_t *bias, *mult;
    const int8_t *shift;
    const int32_t *neg_mult;
    const int8_t *neg_shift;
} Q8_FN(channels);

/* A pooling window over an int8 tensor (scale and zero point unchanged). */
typedef struct {
    int in_h, in_w, c, out_h, out_w, kh, kw, sh, sw, pad_top, pad_left, avg;
} Q8_FN(pool_geom);

/* One input of add or concat: its zero point and the multiplier that
 * takes it to the common scale. */
typedef struct {
    int32_t zp, mult, shift;
} Q8_FN(input_scale);

/* add: both inputs to 2^-20 of twice the larger scale, summed, rescaled
 * (neg_*: a negative sum, for leaky_relu) and clamped. */
typedef struct {
    int n;
    Q8_FN(input_scale) a, b;
    int32_t mult, shift, neg_mult, neg_shift, out_zp, lo, hi;
} Q8_FN(add_geom);

/* concat: per pixel, a's channels then b's, each at the output's scale. */
typedef struct {
    int pixels, a_c, b_c;
    Q8_FN(input_scale) a, b;
    int32_t out_zp;
} Q8_FN(concat_geom);

/* global average pooling: per channel, the int32 sum over the pixels
 * rescaled by in_scale / (out_scale * pixels). */
typedef struct {
    int pixels, c;
    int32_t in_zp, mult, shift, out_zp;
} Q8_FN(gavg_geom);
