/* report_published.c - numbers published elsewhere for the same models (the
 * experiment's `published:`), each set beside this study's mean, standard
 * deviation and range over seeds, with the verdict whether it lies inside
 * that range.  The numbers, their source and any note come from
 * experiment.json: nothing here knows a particular publication. */
#include <math.h>
#include <stdio.h>
#include "report/report.h"

/* Accuracies are read from files with six or more decimals: a published
 * 91.72% equal to a run's 0.9172 must count as inside. */
#define SAME_ACCURACY 1e-9

int report_published_inside(const report *r, const report_published *p, double *lo,
                            double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    int n = 0;
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        if (u->model != p->model || !u->ok)
            continue;
        *lo = fmin(*lo, u->accuracy);
        *hi = fmax(*hi, u->accuracy);
        n++;
    }
    if (n < 2)
        return -1;
    return p->accuracy >= *lo - SAME_ACCURACY && p->accuracy <= *hi + SAME_ACCURACY;
}

void report_write_published(const report *r, FILE *f)
{
    if (r->n_published == 0)
        return;
    fputs("## Compared with the published result\n\n", f);
    fputs("Published: ", f);
    report_md_text(f, r->published_source ? r->published_source : "source not given");
    fputs(". Each published test accuracy beside this study's mean ± standard deviation "
          "and its range (lowest to highest seed); the published number is *inside* when "
          "it lies within that range, so that seed-to-seed variation alone could explain "
          "it.\n\n", f);
    fputs("| Model | Published | This study | Range over seeds | Published − mean "
          "| Inside the spread? |\n|---|---:|---:|---:|---:|---|\n", f);
    int inside = 0, judged = 0;
    for (int i = 0; i < r->n_published; i++) {
        const report_published *p = &r->published[i];
        const report_model *m = &r->models[p->model];
        fprintf(f, "| %s | %.2f%% | ", m->name, 100 * p->accuracy);
        if (m->n_ok == 0) {
            fputs("no finished run | — | — | — |\n", f);
            continue;
        }
        double lo, hi;
        int verdict = report_published_inside(r, p, &lo, &hi);
        fprintf(f, "%.2f%% ± %.2f (%d seed%s) | ", 100 * m->acc_mean, 100 * m->acc_std,
                m->n_ok, m->n_ok == 1 ? "" : "s");
        if (verdict < 0)
            fputs("— | ", f);
        else
            fprintf(f, "%.2f%% to %.2f%% | ", 100 * lo, 100 * hi);
        fprintf(f, "%+.2f | ", 100 * (p->accuracy - m->acc_mean));
        if (verdict < 0) {
            fputs("unknown: one seed has no spread |\n", f);
            continue;
        }
        judged++;
        inside += verdict;
        if (verdict)
            fputs("yes |\n", f);
        else
            fprintf(f, "no, %s |\n", p->accuracy > hi ? "above" : "below");
    }
    if (judged > 0)
        fprintf(f, "\n%d of %d published number%s lie%s inside this study's spread over "
                "seeds.\n", inside, judged, judged == 1 ? "" : "s",
                judged == 1 ? "s" : "");
    if (r->published_note) {
        fputs("\n", f);
        report_md_text(f, r->published_note);
        fputs("\n", f);
    }
    fputs("\n", f);
}
