/* q8_kernels.h - the int8 kernels (q8_kernels.c) as convc links them: the
 * same text an int8 export embeds under its own prefix, so the accuracy
 * `convc export --int8` reports is the exported file's, bit for bit. */
#ifndef CONVC_Q8_KERNELS_H
#define CONVC_Q8_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define Q8_FN(x) q8_##x
#define Q8_DEF extern
#define Q8_USE_CONV 1
#define Q8_USE_POOL 1
#define Q8_USE_DENSE 1
#define Q8_USE_ADD 1
#define Q8_USE_CONCAT 1
#define Q8_USE_GAVG 1
#define Q8_USE_LUT 1

#include "output/q8_types.h"

Q8_DEF void q8_quantize(int8_t *q, const float *x, int n, float scale, int32_t zp);
Q8_DEF void q8_dequantize(float *x, const int8_t *q, int n, float scale, int32_t zp);
Q8_DEF int32_t q8_requantize(int32_t acc, int32_t mult, int shift, int32_t zp, int32_t lo,
                             int32_t hi);
Q8_DEF void q8_conv(int8_t *out, const int8_t *in, const q8_channels *t, const q8_conv_geom *g);
Q8_DEF void q8_pool(int8_t *out, const int8_t *in, const q8_pool_geom *g);
Q8_DEF void q8_dense(int8_t *out, const int8_t *in, const q8_channels *t, int n_in, int n_out,
                     int32_t in_zp, int32_t out_zp, int32_t lo, int32_t hi);
Q8_DEF void q8_add(int8_t *out, const int8_t *a, const int8_t *b, const q8_add_geom *g);
Q8_DEF void q8_concat(int8_t *out, const int8_t *a, const int8_t *b, const q8_concat_geom *g);
Q8_DEF void q8_gavg(int8_t *out, const int8_t *in, const q8_gavg_geom *g);
Q8_DEF void q8_lut(int8_t *v, int n, const int8_t *table);
Q8_DEF int q8_argmax(const int8_t *v, int n);

#endif
