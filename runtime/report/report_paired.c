/* report_paired.c - paired comparisons of two models over seeds: the mean
 * difference in test accuracy with a Student t confidence interval and a
 * paired t-test.  Seeds pair the runs: the same seed gives both models the
 * same data order (and the same initial weights where the shapes allow), so
 * the per-seed differences cancel what the seed alone contributes.
 *
 * Student's t distribution comes from the regularized incomplete beta
 * function, evaluated by its continued fraction (modified Lentz); the
 * quantile is found by bisection on the distribution function, which is
 * monotone, to double precision. */
#include <math.h>
#include "report/report.h"

/* The continued fraction of I_x(a, b), valid for x < (a + 1) / (a + b + 2). */
static double beta_fraction(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    d = 1 / (fabs(d) < tiny ? tiny : d);
    double h = d;
    for (int m = 1; m <= 500; m++) {
        for (int odd = 0; odd < 2; odd++) {
            double num = odd ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                             : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + num * d;
            d = 1 / (fabs(d) < tiny ? tiny : d);
            c = 1 + num / c;
            c = fabs(c) < tiny ? tiny : c;
            h *= d * c;
            if (odd && fabs(d * c - 1) < 1e-16)
                return h;
        }
    }
    return h;
}

/* The regularized incomplete beta function I_x(a, b), 0 <= x <= 1. */
static double incomplete_beta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2))
        return front * beta_fraction(a, b, x) / a;
    return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double report_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1 : 0;
    double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
    return t > 0 ? 1 - tail : tail;
}

double report_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0))
        return NAN;
    double lo = -1, hi = 1;
    while (report_t_cdf(lo, df) > p)
        lo *= 2;
    while (report_t_cdf(hi, df) < p)
        hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * fmax(1, fabs(lo)); i++) {
        double mid = 0.5 * (lo + hi);
        if (report_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void report_paired_stats(const double *diff, int n, report_paired *out)
{
    *out = (report_paired){ .n = n, .mean = NAN, .sd = NAN, .lo = NAN, .hi = NAN, .t = NAN,
                            .p = NAN };
    if (n < 1)
        return;
    out->mean = report_mean(diff, n);
    if (n < 2)
        return;
    out->sd = report_std(diff, n);
    double se = out->sd / sqrt(n);
    double q = report_t_quantile(0.975, n - 1);
    out->lo = out->mean - q * se;
    out->hi = out->mean + q * se;
    if (se > 0) {
        out->t = out->mean / se;
        out->p = 2 * report_t_cdf(-fabs(out->t), n - 1);
    } else {
        /* Every seed gave the same difference: none at all is no evidence;
         * the same non-zero one every time is as decided as it gets. */
        out->t = out->mean == 0 ? 0 : copysign(INFINITY, out->mean);
        out->p = out->mean == 0 ? 1 : 0;
    }
}

int report_paired_compare(const report *r, int a, int b, report_paired *out)
{
    double diff[64];
    int n = 0;
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        if (u->model != a || !u->ok)
            continue;
        for (int j = 0; j < r->n_runs && n < 64; j++) {
            const report_run *v = &r->runs[j];
            if (v->model == b && v->ok && v->seed == u->seed) {
                diff[n++] = 100 * (u->accuracy - v->accuracy);
                break;
            }
        }
    }
    report_paired_stats(diff, n, out);
    return n;
}

int report_paired_decided(const report_paired *p)
{
    if (p->n < 2 || isnan(p->lo))
        return -1;
    return p->lo > 0 || p->hi < 0;
}
