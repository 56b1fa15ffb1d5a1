/* winograd.c - Toom-Cook construction of F(m, r).
 *
 * Linear convolution s = g * h (g: r taps, h: m values, s: alpha values) is
 * evaluation at alpha - 1 points and infinity, a pointwise product and
 * interpolation:  s = C [ (E_r g) . (E_m h) ],  E_n[j][k] = a_j^k (the last
 * row picks the leading coefficient), C = E_alpha^-1.  Correlation is the
 * transpose of that map, so
 *     y = E_m^T [ (E_r g) . (C^T d) ]:   AT = E_m^T, G = E_r, BT = C^T.
 * Each row j of BT is then scaled to small integers and row j of G divided
 * by the same factor, which leaves the product unchanged. */
#include "codegen/winograd.h"

#include <string.h>

/* Interpolation points, in the order the common algorithms use them. */
static const wino_rational points[WINO_MAX_ALPHA - 1] = {
    { 0, 1 }, { 1, 1 }, { -1, 1 }, { 2, 1 }, { -2, 1 }, { 1, 2 }, { -1, 2 },
};

static long long gcd(long long a, long long b)
{
    if (a < 0)
        a = -a;
    if (b < 0)
        b = -b;
    while (b) {
        long long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static wino_rational q_make(long long num, long long den)
{
    wino_rational q;
    long long d;
    if (den < 0) {
        num = -num;
        den = -den;
    }
    d = gcd(num, den);
    if (d == 0)
        d = 1;
    q.num = num / d;
    q.den = den / d;
    if (q.num == 0)
        q.den = 1;
    return q;
}

static wino_rational q_int(long long v) { return q_make(v, 1); }
static wino_rational q_sub(wino_rational a, wino_rational b)
{
    return q_make(a.num * b.den - b.num * a.den, a.den * b.den);
}
static wino_rational q_mul(wino_rational a, wino_rational b)
{
    return q_make(a.num * b.num, a.den * b.den);
}
static wino_rational q_div(wino_rational a, wino_rational b)
{
    return q_make(a.num * b.den, a.den * b.num);
}

double wino_value(wino_rational q)
{
    return (double)q.num / (double)q.den;
}

/* E_n: alpha x n evaluation matrix. */
static void evaluation(wino_rational e[WINO_MAX_ALPHA][WINO_MAX_ALPHA], int alpha, int n)
{
    int j, k;
    for (j = 0; j < alpha; j++)
        for (k = 0; k < n; k++) {
            if (j == alpha - 1) {
                e[j][k] = q_int(k == n - 1);
            } else {
                wino_rational p = q_int(1);
                int i;
                for (i = 0; i < k; i++)
                    p = q_mul(p, points[j]);
                e[j][k] = p;
            }
        }
}

/* Gauss-Jordan inverse; the points are distinct, so E_alpha is regular. */
static void invert(wino_rational a[WINO_MAX_ALPHA][WINO_MAX_ALPHA],
                   wino_rational inv[WINO_MAX_ALPHA][WINO_MAX_ALPHA], int n)
{
    int i, j, k;
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            inv[i][j] = q_int(i == j);
    for (k = 0; k < n; k++) {
        int piv = k;
        wino_rational f;
        while (a[piv][k].num == 0)
            piv++;
        for (j = 0; j < n; j++) {
            wino_rational t = a[k][j];
            a[k][j] = a[piv][j];
            a[piv][j] = t;
            t = inv[k][j];
            inv[k][j] = inv[piv][j];
            inv[piv][j] = t;
        }
        f = a[k][k];
        for (j = 0; j < n; j++) {
            a[k][j] = q_div(a[k][j], f);
            inv[k][j] = q_div(inv[k][j], f);
        }
        for (i = 0; i < n; i++) {
            if (i == k || a[i][k].num == 0)
                continue;
            f = a[i][k];
            for (j = 0; j < n; j++) {
                a[i][j] = q_sub(a[i][j], q_mul(f, a[k][j]));
                inv[i][j] = q_sub(inv[i][j], q_mul(f, inv[k][j]));
            }
        }
    }
}

/* The factor that turns row j of BT into coprime integers with a positive
 * first entry. */
static wino_rational row_scale(const wino_rational *row, int n)
{
    long long l = 1, g = 0;
    int j, first = -1;
    for (j = 0; j < n; j++) {
        if (row[j].num == 0)
            continue;
        if (first < 0)
            first = j;
        l = l / gcd(l, row[j].den) * row[j].den;
    }
    for (j = 0; j < n; j++)
        if (row[j].num != 0)
            g = gcd(g, row[j].num * (l / row[j].den));
    if (first < 0 || g == 0)
        return q_int(1);
    return q_make(row[first].num < 0 ? -l : l, g);
}

int wino_build(wino_alg *a, int m, int r)
{
    wino_rational ea[WINO_MAX_ALPHA][WINO_MAX_ALPHA], c[WINO_MAX_ALPHA][WINO_MAX_ALPHA];
    wino_rational em[WINO_MAX_ALPHA][WINO_MAX_ALPHA];
    int alpha = m + r - 1, i, j;
    if (m < 1 || r < 1 || alpha > WINO_MAX_ALPHA)
        return -1;
    memset(a, 0, sizeof *a);
    a->m = m;
    a->r = r;
    a->alpha = alpha;
    evaluation(em, alpha, m);
    evaluation(a->g, alpha, r);
    evaluation(ea, alpha, alpha);
    invert(ea, c, alpha);
    for (i = 0; i < m; i++)
        for (j = 0; j < alpha; j++)
            a->at[i][j] = em[j][i];
    for (i = 0; i < alpha; i++) {
        wino_rational s;
        for (j = 0; j < alpha; j++)
            a->bt[i][j] = c[j][i];
        s = row_scale(a->bt[i], alpha);
        for (j = 0; j < alpha; j++)
            a->bt[i][j] = q_mul(a->bt[i][j], s);
        for (j = 0; j < r; j++)
            a->g[i][j] = q_div(a->g[i][j], s);
    }
    return 0;
}

/* Measured on the seed models (bench/, cnn_k3): F(3,3) trains 13% faster
 * than F(2,3) and 28% faster than F(4,3), whose 6 x 6 transforms cost more
 * than its fewer multiplications save.  So tiles of alpha = 5 inputs where
 * the kernel allows, else the smallest useful tile, m = 2. */
int wino_choose_m(int r, int out)
{
    int m;
    if (r < 2 || r + 1 > WINO_MAX_ALPHA)
        return 0;
    m = r <= 3 ? 6 - r : 2;
    if (m > out)
        m = out;
    return m >= 2 ? m : 0;
}
