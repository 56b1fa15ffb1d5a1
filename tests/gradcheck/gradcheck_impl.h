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

/* Samples per block in training mode: the batch is cut into blocks as the
 * trainer does, so the check covers statistics across blocks. */
#define GC_BLOCK 2

typedef struct {
    const convc_model *m;
    int n;                      /* samples */
    int train;                  /* the training steps (batch statistics)
                                   rather than forward() and backward() */
    float *params, *grads, *scratch, *work, *x, *probs, *stats;
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
    free(g->stats);
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
    g->work = calloc(convc_work_floats(m, (size_t)n) +
                     (size_t)(n / GC_BLOCK + 1) * convc_work_floats(m, GC_BLOCK), sizeof(float));
    g->stats = calloc(convc_stats_floats(m, (size_t)n), sizeof(float));
    g->x = calloc((size_t)n * m->in_h * m->in_w * m->in_c, sizeof(float));
    g->probs = calloc((size_t)n * m->n_classes, sizeof(float));
    g->labels = calloc((size_t)n, 1);
    g->seeds = calloc((size_t)n, sizeof(uint64_t));
    if (!g->params || !g->grads || !g->scratch || !g->work || !g->x || !g->probs ||
        !g->stats || !g->labels || !g->seeds) {
        gc_free(g);
        return -1;
    }
    for (t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        double a = ts->init == CONVC_INIT_GLOROT_UNIFORM
                       ? sqrt(6.0 / (ts->fan_in + ts->fan_out)) : 0.1;
        /* ones (batchnorm's gamma and moving variance) stay positive */
        double base = ts->init == CONVC_INIT_ONES ? 1.0 : 0.0;
        for (i = 0; i < ts->count; i++)
            g->params[ts->offset + i] = (float)(base + a * gc_uniform(&seed));
    }
    for (i = 0; i < (size_t)n * m->in_h * m->in_w * m->in_c; i++)
        g->x[i] = 0.5f + 0.5f * gc_uniform(&seed);
    for (i = 0; i < (size_t)n; i++) {
        g->labels[i] = (uint8_t)(gc_next(&seed) % (uint64_t)m->n_classes);
        g->seeds[i] = gc_next(&seed);
    }
    return 0;
}

/* One training pass of the whole batch through the model's steps, in
 * blocks of GC_BLOCK samples (each with its own work); gradients added to
 * grads.  Returns the summed loss. */
static double gc_train_pass(gc_state *g, float *grads)
{
    const convc_model *m = g->m;
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    size_t per_block = convc_work_floats(m, GC_BLOCK);
    double loss = 0.0;
    int step, first;
    for (step = 0; step < m->n_train_steps; step++) {
        convc_block b;
        memset(&b, 0, sizeof b);
        b.params = g->params;
        b.grads = grads;
        b.stats = g->stats;
        if (m->train_step_batch[step]) {
            b.n = g->n;
            m->train_step(step, &b);
            continue;
        }
        for (first = 0; first < g->n; first += GC_BLOCK) {
            b.n = g->n - first < GC_BLOCK ? g->n - first : GC_BLOCK;
            b.first = first;
            b.work = g->work + (size_t)(first / GC_BLOCK) * per_block;
            b.x = g->x + (size_t)first * in_size;
            b.labels = g->labels + first;
            b.dropout_seeds = g->seeds + first;
            b.probs = g->probs + (size_t)first * m->n_classes;
            loss += m->train_step(step, &b);
        }
    }
    return loss;
}

/* Summed loss at the current parameters; gradients added to grads. */
static double gc_pass(gc_state *g, float *grads)
{
    if (g->train)
        return gc_train_pass(g, grads);
    g->m->forward(g->params, g->work, g->x, g->n, g->probs, g->seeds);
    return g->m->backward(g->params, grads, g->work, g->x, g->labels, g->n);
}

static double gc_loss(gc_state *g)
{
    return gc_pass(g, g->scratch);
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
    loss = gc_pass(g, g->grads);
    if (verbose)
        printf("  %s: loss %.6f over %d samples\n",
               g->train ? "training (batch statistics)" : "forward/backward", loss, g->n);
    at = gc_loss(g);
    for (t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        double tworst = 0.0;
        size_t k, count = ts->count < (size_t)per_tensor ? ts->count : (size_t)per_tensor;
        /* Inference has no gradient for the moving statistics (they are not
         * trained); in training the loss must not depend on them. */
        if (ts->non_trainable && !g->train)
            continue;
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
 * the best result counts.  *used tells how many points were needed.
 * train: check the training steps (a model with batch statistics). */
static double gc_check_mode(const convc_model *m, int train, int n, int per_tensor,
                            double tol, int attempts, int verbose, uint64_t seed, int *used)
{
    double best = HUGE_VAL;
    int a;
    for (a = 0; a < attempts && best > tol; a++) {
        gc_state g;
        double worst;
        if (gc_init(&g, m, n, seed + 1000003ULL * (uint64_t)a) != 0)
            return HUGE_VAL;
        g.train = train;
        worst = gc_check(&g, per_tensor, verbose, seed + (uint64_t)a);
        gc_free(&g);
        if (worst < best)
            best = worst;
        *used = a + 1;
    }
    return best;
}

/* Both modes of a model with batch statistics, forward/backward otherwise;
 * the worse result, *used from the training mode's check. */
static double gc_check_points(const convc_model *m, int n, int per_tensor, double tol,
                              int attempts, int verbose, uint64_t seed, int *used)
{
    int used_inference = 0;
    double worst = gc_check_mode(m, 0, n, per_tensor, tol, attempts, verbose, seed,
                                 &used_inference);
    *used = used_inference;
    if (m->n_train_steps > 0) {
        double train = gc_check_mode(m, 1, n, per_tensor, tol, attempts, verbose, seed, used);
        if (train > worst)
            worst = train;
        if (used_inference > *used)
            *used = used_inference;
    }
    return worst;
}

#endif
