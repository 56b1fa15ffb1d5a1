/* q8_types.h - the geometry the int8 kernels (q8_kernels.c) take, named
 * through Q8_FN: embedded before them in every int8 export, and included
 * by q8_kernels.h for convc. */

/* A convolution: shapes, the input's zero point, the output's zero point
 * and the clamp of its activation, in int8 units. */
typedef struct {
    int in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, pad_top, pad_left;
    int32_t in_zp, out_zp, lo, hi;
} Q8_FN(conv_geom);

/* A pooling window over an int8 tensor (scale and zero point unchanged). */
typedef struct {
    int in_h, in_w, c, out_h, out_w, kh, kw, sh, sw, pad_top, pad_left, avg;
} Q8_FN(pool_geom);
