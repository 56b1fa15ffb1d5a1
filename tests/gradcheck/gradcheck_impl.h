/* gradcheck_impl.h - finite-difference gradient check of a generated model,
 * through nothing but its convc_model descriptor.  Included by
 * tests/gradcheck/gradcheck_main.c and tests/check_codegen.c. */
#ifndef GRADCHECK_IMPL_H
#define GRADCHECK_IMPL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convc_model.h"

typedef struct {
    const convc_model *m;
    int n;                      /* samples */
    float *params, *grads, *scratch, *work, *x, *probs;
    uint8_t *labels;
    uint64_t *seeds;
} gc_state;

static uint64_t gc_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static float gc_uniform(uint64_t *s)
{
    return (float)((double)(gc_next(s) >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

static void gc_free(gc_state *g)
{
    free(g->params);
    free(g->grads);
    free(g->scratch);
    free(g->work);
    free(g->x);
    free(g->probs);
    free(g->labels);
    free(g->seeds);
}

/* Random parameters (Glorot-like scale, biases too so no unit is dead by
 * construction), inputs in [0, 1), labels and dropout seeds. */
static int gc_init(gc_state *g, const convc_model *m, int n, uint64_t seed)
{
    size_t i;
    int t;
    memset(g, 0, sizeof *g);
    g->m = m;
    g->n = n;
    g->params = calloc(m->n_params, sizeof(float));
    g->grads = calloc(m->n_params, sizeof(float));
    g->scratch = calloc(m->n_params, sizeof(float));
    g->work = calloc(convc_work_floats(m, (size_t)n), sizeof(float));
    g->x = calloc((size_t)n * m->in_h * m->in_w * m->in_c, sizeof(float));
    g->probs = calloc((size_t)n * m->n_classes, sizeof(float));
    g->labels = calloc((size_t)n, 1);
    g->seeds = calloc((size_t)n, sizeof(uint64_t));
    if (!g->params || !g->grads || !g->scratch || !g->work || !g->x || !g->probs ||
        !g->labels || !g->seeds) {
        gc_free(g);
        return -1;
    }
    for (t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        double a = ts->init == CONVC_INIT_GLOROT_UNIFORM
                       ? sqrt(6.0 / (ts->fan_in + ts->fan_out)) : 0.1;
        for (i = 0; i < ts->count; i++)
            g->params[ts->offset + i] = (float)(a * gc_uniform(&seed));
    }
    for (i = 0; i < (size_t)n * m->in_h * m->in_w * m->in_c; i++)
        g->x[i] = 0.5f + 0.5f * gc_uniform(&seed);
    for (i = 0; i < (size_t)n; i++) {
        g->labels[i] = (uint8_t)(gc_next(&seed) % (uint64_t)m->n_classes);
        g->seeds[i] = gc_next(&seed);
    }
    return 0;
}

/* Summed loss at the current parameters. */
static double gc_loss(gc_state *g)
{
    g->m->forward(g->params, g->work, g->x, g->n, g->probs, g->seeds);
    return g->m->backward(g->params, g->scratch, g->work, g->x, g->labels, g->n);
}

/* Checks up to `per_tensor` parameters of every tensor (all if it is
 * smaller).  Returns the largest error |a - n| / max(|a|, |n|, floor) and
 * prints one line per tensor when verbose. */
static double gc_check(gc_state *g, int per_tensor, int verbose, uint64_t seed)
{
    const convc_model *m = g->m;
    double worst = 0.0, loss, at;
    int t;
    memset(g->grads, 0, m->n_params * sizeof(float));
    m->forward(g->params, g->work, g->x, g->n, g->probs, g->seeds);
    loss = m->backward(g->params, g->grads, g->work, g->x, g->labels, g->n);
    if (verbose)
        printf("  loss %.6f over %d samples\n", loss, g->n);
    at = gc_loss(g);
    for (t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        double tworst = 0.0;
        size_t k, count = ts->count < (size_t)per_tensor ? ts->count : (size_t)per_tensor;
        for (k = 0; k < count; k++) {
            size_t j = ts->offset + (count == ts->count ? k : gc_next(&seed) % ts->count);
            float saved = g->params[j];
            double ana = g->grads[j], err = HUGE_VAL;
            int e;
            /* Three step sizes, central and one-sided differences; the best
             * estimate counts.  A kink of relu or max pooling inside a step
             * spoils the central difference but rarely both sides at once,
             * float rounding spoils only the smallest step. */
            for (e = 0; e < 3 && err > 1e-3; e++) {
                const float eps = e == 0 ? 1e-2f : e == 1 ? 1e-3f : 1e-4f;
                double up, down, hu, hd, est[3];
                int q;
                g->params[j] = saved + eps;
                up = gc_loss(g);
                hu = (double)(saved + eps) - (double)saved;   /* steps after rounding */
                g->params[j] = saved - eps;
                down = gc_loss(g);
                hd = (double)saved - (double)(saved - eps);
                g->params[j] = saved;
                est[0] = (up - down) / (hu + hd);
                est[1] = (up - at) / hu;
                est[2] = (at - down) / hd;
                for (q = 0; q < 3; q++)
                    err = fmin(err, fabs(ana - est[q]) / fmax(fmax(fabs(ana), fabs(est[q])), 1e-2));
            }
            if (err > tworst)
                tworst = err;
        }
        if (verbose)
            printf("  %-16s %zu of %zu checked, max error %.2e\n", ts->name, count,
                   ts->count, tworst);
        if (tworst > worst)
            worst = tworst;
    }
    return worst;
}

/* A relu or max-pool kink within a step of the random point spoils a
 * finite difference; a wrong gradient is wrong at every point.  So a check
 * that fails is repeated at fresh random points (up to `attempts` in all);
 * the best result counts.  *used tells how many points were needed. */
static double gc_check_points(const convc_model *m, int n, int per_tensor, double tol,
                              int attempts, int verbose, uint64_t seed, int *used)
{
    double best = HUGE_VAL;
    int a;
    for (a = 0; a < attempts && best > tol; a++) {
        gc_state g;
        double worst;
        if (gc_init(&g, m, n, seed + 1000003ULL * (uint64_t)a) != 0)
            return HUGE_VAL;
        worst = gc_check(&g, per_tensor, verbose, seed + (uint64_t)a);
        gc_free(&g);
        if (worst < best)
            best = worst;
        *used = a + 1;
    }
    return best;
}

#endif
