/* report_plots.c - the experiment's pictures through plot.h: training
 * curves of all models, parameters vs accuracy, a confusion matrix per
 * model.  Every picture takes all finished seeds together: curves are the
 * mean with a min-to-max band, matrices the sum, and the accuracy the mean
 * with the standard deviation as an error bar. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "pictures/plot.h"
#include "report/report.h"

static void note(report_pictures *p, const char *what, const cv_error *e)
{
    size_t n = strlen(p->notes);
    snprintf(p->notes + n, sizeof p->notes - n, "- %s could not be drawn: %s\n", what, e->msg);
}

/* Loss and accuracy per epoch: per model the mean over seeds, train solid
 * and test dashed, each with its min-to-max band when there are several. */
static int draw_curves(const report *r, report_pictures *p)
{
    int n = 0, seeds = 0;
    plot_series *loss = calloc((size_t)r->n_models * 2, sizeof *loss);
    plot_series *acc = calloc((size_t)r->n_models * 2, sizeof *acc);
    char (*names)[2][96] = calloc((size_t)r->n_models, sizeof *names);
    report_curves *curves = calloc((size_t)r->n_models, sizeof *curves);
    for (int m = 0; loss && acc && names && curves && m < r->n_models; m++) {
        report_curves *c = &curves[m];
        if (report_model_curves(r, m, c) < 0 || c->n_epochs == 0)
            continue;
        seeds = c->n_seeds > seeds ? c->n_seeds : seeds;
        snprintf(names[m][0], sizeof names[m][0], "%s train", r->models[m].name);
        snprintf(names[m][1], sizeof names[m][1], "%s test", r->models[m].name);
        for (int t = 0; t < 2; t++) {
            int color = n / 2, kl = t ? REPORT_TEST_LOSS : REPORT_TRAIN_LOSS;
            int ka = t ? REPORT_TEST_ACC : REPORT_TRAIN_ACC, band = c->n_seeds > 1;
            loss[n + t] = (plot_series){names[m][t], c->n_epochs, c->epoch, c->mean[kl], color,
                                        t, 1, band ? c->lo[kl] : NULL, band ? c->hi[kl] : NULL};
            acc[n + t] = (plot_series){names[m][t], c->n_epochs, c->epoch, c->mean[ka], color,
                                       t, 1, band ? c->lo[ka] : NULL, band ? c->hi[ka] : NULL};
        }
        n += 2;
    }
    int ok = 0;
    if (n > 0) {
        plot_panel panels[2] = {
            {"Loss", "epoch", "cross-entropy", n, loss, 1},
            {"Accuracy", "epoch", "accuracy", n, acc, 1},
        };
        char path[4096], title[512];
        snprintf(path, sizeof path, "%s/plots/curves.png", r->dir);
        if (seeds > 1)
            snprintf(title, sizeof title, "%s: training curves, mean over seeds, band min to "
                     "max (solid: train, dashed: test)", r->title ? r->title : r->name);
        else
            snprintf(title, sizeof title, "%s: training curves (solid: train, dashed: test)",
                     r->title ? r->title : r->name);
        cv_error e;
        if (plot_lines(path, title, 2, panels, &e) == 0) {
            snprintf(p->curves, sizeof p->curves, "plots/curves.png");
            ok = 1;
        } else {
            note(p, "The training curves", &e);
        }
    }
    for (int m = 0; curves && m < r->n_models; m++)
        report_curves_free(&curves[m]);
    free(curves);
    free(loss);
    free(acc);
    free(names);
    return ok;
}

static int draw_params_vs_accuracy(const report *r, report_pictures *p)
{
    double *x = calloc((size_t)r->n_models, sizeof *x);
    double *y = calloc((size_t)r->n_models, sizeof *y);
    double *sd = calloc((size_t)r->n_models, sizeof *sd);
    const char **labels = calloc((size_t)r->n_models, sizeof *labels);
    int n = 0, ok = 0, seeds = 0;
    double lo = INFINITY, hi = 0;
    for (int m = 0; x && y && sd && labels && m < r->n_models; m++) {
        const report_model *d = &r->models[m];
        if (d->n_ok == 0)
            continue;
        x[n] = (double)d->params;
        y[n] = 100 * d->acc_mean;
        sd[n] = d->n_ok > 1 ? 100 * d->acc_std : 0;
        seeds = d->n_ok > seeds ? d->n_ok : seeds;
        labels[n] = d->name;
        lo = fmin(lo, x[n]);
        hi = fmax(hi, x[n]);
        n++;
    }
    if (n > 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/plots/params_vs_accuracy.png", r->dir);
        cv_error e;
        int flags = hi > 10 * lo ? PLOT_LOG_X : 0;
        const char *title = seeds > 1 ? "Parameters vs test accuracy (mean ± std over seeds)"
                                      : "Parameters vs test accuracy";
        if (plot_scatter_labeled(path, title, "parameters", "test accuracy (%)", n, x, y,
                                 seeds > 1 ? sd : NULL, labels, flags, &e) == 0) {
            snprintf(p->params_vs_accuracy, sizeof p->params_vs_accuracy,
                     "plots/params_vs_accuracy.png");
            ok = 1;
        } else {
            note(p, "Parameters vs accuracy", &e);
        }
    }
    free(x);
    free(y);
    free(sd);
    free(labels);
    return ok;
}

/* Each model's confusion matrix summed over its finished seeds. */
static int draw_confusions(const report *r, report_pictures *p)
{
    int written = 0;
    p->confusion = calloc((size_t)r->n_models, sizeof *p->confusion);
    if (!p->confusion)
        return 0;
    for (int m = 0; m < r->n_models; m++) {
        p->confusion[m] = calloc(1, 128);
        report_confusion c;
        if (!p->confusion[m] || report_model_confusion(r, m, &c) < 0)
            continue;
        if (c.n_classes > 0) {
            char rel[128], path[4096], title[256];
            snprintf(rel, sizeof rel, "plots/confusion_%s.png", r->models[m].name);
            snprintf(path, sizeof path, "%s/%s", r->dir, rel);
            if (c.n_runs > 1)
                snprintf(title, sizeof title, "%s: confusion matrix (sum of %d seeds, %ld "
                         "test predictions)", r->models[m].name, c.n_runs, c.total);
            else
                snprintf(title, sizeof title, "%s: confusion matrix (%ld test images)",
                         r->models[m].name, c.total);
            cv_error e;
            if (plot_confusion(path, title, c.n_classes, c.class_names, c.counts, &e) == 0) {
                snprintf(p->confusion[m], 128, "%s", rel);
                written++;
            } else {
                note(p, title, &e);
            }
        }
        report_confusion_free(&c);
    }
    return written;
}

int report_plots(const report *r, report_pictures *p)
{
    memset(p, 0, sizeof *p);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/plots", r->dir);
    (void)mkdir(dir, 0755);     /* any failure shows up as notes on the plots */
    return draw_curves(r, p) + draw_params_vs_accuracy(r, p) + draw_confusions(r, p);
}

void report_pictures_free(report_pictures *p, int n_models)
{
    if (p->confusion)
        for (int m = 0; m < n_models; m++)
            free(p->confusion[m]);
    free(p->confusion);
    p->confusion = NULL;
}
