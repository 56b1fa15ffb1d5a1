/* report_seeds.c - a model's runs over seeds taken together: the training
 * curves as a mean with a min-to-max band, and the confusion matrices summed,
 * with the pairs of classes most often taken for each other. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"

/* The history column of a run that curve c is drawn from. */
static const double *run_column(const report_run *u, int c)
{
    switch (c) {
    case REPORT_TRAIN_LOSS: return u->train_loss;
    case REPORT_TEST_LOSS:  return u->test_loss;
    case REPORT_TRAIN_ACC:  return u->train_acc;
    default:                return u->test_acc;
    }
}

int report_model_curves(const report *r, int m, report_curves *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        if (u->model == m && u->ok && u->n_epochs > 0) {
            c->n_seeds++;
            if (u->n_epochs > c->n_epochs)
                c->n_epochs = u->n_epochs;
        }
    }
    if (c->n_epochs == 0)
        return 0;
    size_t n = (size_t)c->n_epochs;
    int ok = (c->epoch = malloc(n * sizeof *c->epoch)) != NULL;
    for (int k = 0; k < REPORT_N_CURVES; k++) {
        ok &= (c->mean[k] = calloc(n, sizeof *c->mean[k])) != NULL;
        ok &= (c->lo[k] = malloc(n * sizeof *c->lo[k])) != NULL;
        ok &= (c->hi[k] = malloc(n * sizeof *c->hi[k])) != NULL;
    }
    int *count = calloc(n, sizeof *count);
    if (!ok || !count) {
        free(count);
        report_curves_free(c);
        return -1;
    }
    for (size_t t = 0; t < n; t++) {
        c->epoch[t] = (double)(t + 1);
        for (int k = 0; k < REPORT_N_CURVES; k++) {
            c->lo[k][t] = INFINITY;
            c->hi[k][t] = -INFINITY;
        }
    }
    /* Epoch t of every run is the run's row t: histories start at epoch 1
     * and a resumed run appends, so rows and epochs agree. */
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        if (u->model != m || !u->ok)
            continue;
        for (int t = 0; t < u->n_epochs; t++) {
            count[t]++;
            for (int k = 0; k < REPORT_N_CURVES; k++) {
                double v = run_column(u, k)[t];
                c->mean[k][t] += v;
                c->lo[k][t] = fmin(c->lo[k][t], v);
                c->hi[k][t] = fmax(c->hi[k][t], v);
            }
        }
    }
    for (size_t t = 0; t < n; t++)
        for (int k = 0; k < REPORT_N_CURVES; k++)
            c->mean[k][t] /= count[t];
    free(count);
    return 0;
}

void report_curves_free(report_curves *c)
{
    free(c->epoch);
    for (int k = 0; k < REPORT_N_CURVES; k++) {
        free(c->mean[k]);
        free(c->lo[k]);
        free(c->hi[k]);
    }
    memset(c, 0, sizeof *c);
}

static int same_classes(const report_run *a, const report_run *b)
{
    if (a->n_classes != b->n_classes)
        return 0;
    for (int k = 0; k < a->n_classes; k++)
        if (strcmp(a->class_names[k], b->class_names[k]) != 0)
            return 0;
    return 1;
}

int report_model_confusion(const report *r, int m, report_confusion *c)
{
    memset(c, 0, sizeof *c);
    const report_run *first = NULL;
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        if (u->model != m || !u->ok || !u->confusion)
            continue;
        if (!first) {
            first = u;
            c->n_classes = u->n_classes;
            c->class_names = (const char *const *)u->class_names;
            c->counts = calloc((size_t)u->n_classes * (size_t)u->n_classes, sizeof *c->counts);
            if (!c->counts) {
                memset(c, 0, sizeof *c);
                return -1;
            }
        }
        if (!same_classes(first, u)) {
            c->n_skipped++;
            continue;
        }
        c->n_runs++;
        for (int k = 0; k < c->n_classes * c->n_classes; k++) {
            c->counts[k] += u->confusion[k];
            c->total += u->confusion[k];
        }
    }
    return 0;
}

void report_confusion_free(report_confusion *c)
{
    free(c->counts);
    memset(c, 0, sizeof *c);
}

static long pair_total(const report_confused_pair *p)
{
    return p->a_as_b + p->b_as_a;
}

int report_confused_pairs(const report_confusion *c, report_confused_pair *out, int max)
{
    int n = 0, k = c->n_classes;
    for (int a = 0; a < k; a++)
        for (int b = a + 1; b < k; b++) {
            report_confused_pair p = {a, b, c->counts[a * k + b], c->counts[b * k + a]};
            if (pair_total(&p) == 0)
                continue;
            /* Insertion into the sorted top list; the class order breaks
             * ties because (a, b) arrive in that order. */
            int at = n < max ? n : max;
            while (at > 0 && pair_total(&out[at - 1]) < pair_total(&p))
                at--;
            if (at >= max)
                continue;
            int last = n < max ? n : max - 1;
            memmove(&out[at + 1], &out[at], (size_t)(last - at) * sizeof *out);
            out[at] = p;
            if (n < max)
                n++;
        }
    return n;
}
