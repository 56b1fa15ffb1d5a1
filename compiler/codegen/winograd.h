/* winograd.h - minimal filtering algorithms F(m, r) (Winograd, Lavin & Gray
 * 2016): m outputs of an r-tap correlation from alpha = m + r - 1 inputs
 * with alpha multiplications instead of m * r,
 *
 *     y = AT [ (G g) . (BT d) ]        y[i] = sum_k d[i + k] g[k]
 *
 * The matrices are built by Toom-Cook from interpolation points in exact
 * rational arithmetic, so the generated code does not depend on the host's
 * floating point.  A 2-D algorithm nests two 1-D ones (rows, then columns). */
#ifndef CONVC_WINOGRAD_H
#define CONVC_WINOGRAD_H

#define WINO_MAX_ALPHA 8

typedef struct {
    long long num, den;         /* den > 0, lowest terms */
} wino_rational;

typedef struct {
    int m, r, alpha;
    wino_rational at[WINO_MAX_ALPHA][WINO_MAX_ALPHA];   /* m x alpha */
    wino_rational g[WINO_MAX_ALPHA][WINO_MAX_ALPHA];    /* alpha x r */
    wino_rational bt[WINO_MAX_ALPHA][WINO_MAX_ALPHA];   /* alpha x alpha */
} wino_alg;

/* Builds F(m, r); 0 on success, -1 if m < 1, r < 1 or m + r - 1 exceeds
 * WINO_MAX_ALPHA. */
int wino_build(wino_alg *a, int m, int r);

/* The output tile size convc uses for an r-tap kernel along a dimension of
 * `out` outputs, or 0 where a direct convolution is the better choice
 * (r = 1, r too large, out < 2).  Always m + r - 1 <= WINO_MAX_ALPHA. */
int wino_choose_m(int r, int out);

double wino_value(wino_rational q);

#endif
