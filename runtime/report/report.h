/* report.h - the experiment report (bin/convc-report RESULTS_DIR): reads what
 * `convc run` left in results/<name>/ (experiment.json, each run's eval.json
 * and history.csv), aggregates over seeds, computes findings, and writes
 * results.csv, results.json, report.md and the plots.
 *
 *   report_load.c     experiment.json, eval.json, history.csv -> report
 *   report_stats.c    mean, std, per-model aggregates, findings
 *   report_paired.c   paired differences over seeds: t interval and test
 *   report_seeds.c    curves and confusion matrices over seeds, confused pairs
 *   report_published.c  the published numbers against the runs' spread
 *   report_index.c    results/index.md: every study's decided finding
 *   report_tables.c   results.csv and results.json
 *   report_plots.c    curves, confusion matrices, parameters vs accuracy
 *   report_md.c       report.md
 *
 * All numbers in the report are computed here from those files. */
#ifndef CONVC_REPORT_H
#define CONVC_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "base/error.h"

#define REPORT_MAX_CLASSES 64

typedef struct {
    char kind[16];
    char *source;
    int in[3], out[3], kernel[2], stride[2];
    int64_t params, flops;
} report_layer;

/* One training run (a model with one seed). */
typedef struct {
    int model;              /* index into report.models */
    int seed;
    char *dir;              /* relative to the results directory */
    int ok;                 /* finished: eval.json read */
    char *error;            /* why not (from the runner, or reading files) */
    double accuracy, loss;  /* test, from eval.json */
    long n_test;
    /* history.csv; n_epochs 0 if missing */
    int n_epochs;
    double *epoch, *train_loss, *train_acc, *test_loss, *test_acc, *seconds;
    double seconds_per_epoch;   /* mean of `seconds`, NaN without history */
    int best_epoch;             /* early stopping's marks in the history: the last */
    int stopped_epoch;          /*   "best" epoch and the "stopped" one (0: none) */
    int n_classes;
    char **class_names;
    long *confusion;        /* [true * n_classes + predicted], NULL if absent */
    int has_filters, n_featuremaps;     /* pictures found under dir/viz */
} report_run;

typedef struct {
    char *name, *label, *spec, *factor;     /* factor: NULL for none */
    int64_t params, flops;
    int conv_layers;
    long code_lines;        /* -1: unknown */
    int build_ok;
    char *error;
    int n_layers;
    report_layer *layers;
    /* aggregates over the finished runs (report_aggregate) */
    int n_runs, n_ok;
    double acc_mean, acc_std, loss_mean, loss_std;
    double spe_mean;        /* seconds per epoch, NaN if unknown */
    double train_acc_last;  /* mean final-epoch training accuracy, NaN if unknown */
} report_model;

/* A published test accuracy (experiment.json "published"), for one model. */
typedef struct {
    int model;              /* index into report.models */
    double accuracy;        /* 0..1 */
} report_published;

typedef struct {
    char *dir;              /* the results directory */
    char *name, *title, *description, *source, *data;
    char *optimizer;
    double lr;
    int batch, epochs, threads;
    long limit_train, limit_test;
    int n_seeds;
    int seeds[64];
    char *factor_title;     /* NULL: nothing varies */
    int n_models;
    report_model *models;
    int n_runs;
    report_run *runs;
    /* Numbers published elsewhere for the same models, NULL/0 if none. */
    char *published_source, *published_note;
    int n_published;
    report_published *published;
} report;

/* ---- report_load.c ---- */
/* Reads dir/experiment.json and every run's files.  A run whose files are
 * missing or broken is kept with ok = 0 and the reason in error; only a
 * missing or unreadable experiment.json is an error (-1). */
int report_load(report *r, const char *dir, cv_error *e);
/* Parses a history CSV; fills run->n_epochs and the columns. */
int report_read_history(report_run *run, const char *path, cv_error *e);
void report_free(report *r);

/* ---- report_stats.c ---- */
/* Mean and sample standard deviation (n - 1; 0 for n < 2) of x[0..n). */
double report_mean(const double *x, int n);
double report_std(const double *x, int n);
/* Fills every model's aggregates from its finished runs. */
void report_aggregate(report *r);
/* The index of the model with the highest mean accuracy, -1 if none ran. */
int report_best_model(const report *r);
/* The first model without conv layers that finished, -1 if none. */
int report_baseline_model(const report *r);
/* The study's decided finding in one Markdown sentence: the best model and
 * the paired verdict against the runner-up ("**cnn_k3** is best ... not
 * distinguishable ..."), for the report's summary and results/index.md. */
void report_write_decided_finding(const report *r, FILE *f);
/* The findings, one markdown bullet each ("- ...\n"). */
void report_write_findings(const report *r, FILE *f);
/* The interpretation section's paragraphs, tied to the numbers. */
void report_write_interpretation(const report *r, FILE *f);
/* Receptive field (pixels per side) of the last conv layer of model m, 0 if
 * it has none. */
int report_receptive_field(const report_model *m);

/* ---- report_paired.c ---- */
/* The difference of two models' test accuracies in points (a - b), over the
 * seeds both finished: its mean, sample standard deviation, 95% confidence
 * interval (Student t, n - 1 degrees of freedom), t statistic and two-sided
 * p-value of the paired t-test.  NaN where n is too small (the mean needs
 * one pair, the rest two). */
typedef struct {
    int n;
    double mean, sd, lo, hi, t, p;
} report_paired;
/* Student's t distribution function and its inverse, df > 0. */
double report_t_cdf(double t, double df);
double report_t_quantile(double p, double df);
/* The statistics of n paired differences. */
void report_paired_stats(const double *diff, int n, report_paired *out);
/* Pairs model a's finished runs with model b's of the same seed; returns the
 * number of pairs. */
int report_paired_compare(const report *r, int a, int b, report_paired *out);
/* 1 if the interval excludes zero (p < 0.05), 0 if not, -1 if it is unknown
 * (fewer than two pairs). */
int report_paired_decided(const report_paired *p);

/* ---- report_seeds.c ---- */
/* The columns of history.csv that have curves. */
enum { REPORT_TRAIN_LOSS, REPORT_TEST_LOSS, REPORT_TRAIN_ACC, REPORT_TEST_ACC,
       REPORT_N_CURVES };
/* A model's training curves over its finished seeds: per epoch, the mean,
 * minimum and maximum of each column over the runs that have that epoch. */
typedef struct {
    int n_epochs;           /* the longest history */
    int n_seeds;            /* finished runs with a history */
    double *epoch;          /* 1..n_epochs */
    double *mean[REPORT_N_CURVES], *lo[REPORT_N_CURVES], *hi[REPORT_N_CURVES];
} report_curves;
/* Fills c for model m; 0, or -1 when out of memory (c is then empty). */
int report_model_curves(const report *r, int m, report_curves *c);
void report_curves_free(report_curves *c);

/* A model's confusion matrices summed over its finished seeds.  Runs whose
 * classes differ from the first such run's are left out and counted. */
typedef struct {
    int n_classes;          /* 0: no run has a matrix */
    const char *const *class_names;     /* borrowed from the first run */
    long *counts;           /* [true * n_classes + predicted] */
    int n_runs, n_skipped;
    long total;
} report_confusion;
int report_model_confusion(const report *r, int m, report_confusion *c);
void report_confusion_free(report_confusion *c);
/* Two classes taken for each other, a < b: how often a was predicted as b
 * and b as a. */
typedef struct {
    int a, b;
    long a_as_b, b_as_a;
} report_confused_pair;
/* The up to max most confused pairs, most first (by a_as_b + b_as_a; ties
 * by class order); pairs never confused are left out.  Returns the count. */
int report_confused_pairs(const report_confusion *c, report_confused_pair *out, int max);

/* ---- report_published.c ---- */
/* Whether a published accuracy lies inside the model's spread over seeds
 * (minimum to maximum of the finished runs): 1 inside, 0 outside, -1 if
 * the model has no finished run. */
int report_published_inside(const report *r, const report_published *p, double *lo,
                            double *hi);
/* The "Compared with the published result" section; nothing without
 * published numbers. */
void report_write_published(const report *r, FILE *f);

/* ---- report_index.c ---- */
/* RESULTS_ROOT/index.md: one row per study, with its title, models and
 * seeds, decided finding and a link to its report.  The studies are the
 * results directories under root that hold an experiment.json, and the
 * experiment files yamls[0..n) (listed as not run yet when no results
 * directory came from them); yamls first, in the order given. */
int report_write_index(const char *root, const char *const *yamls, int n_yamls,
                       cv_error *e);

/* ---- report_tables.c ---- */
int report_write_csv(const report *r, const char *path, cv_error *e);
int report_write_json(const report *r, const char *path, cv_error *e);

/* ---- report_plots.c ---- */
/* Pictures of the experiment, written under dir/plots/.  Each that fails is
 * noted in `notes` (a markdown fragment); returns the number written. */
typedef struct {
    char curves[64];                /* "plots/curves.png" or "" */
    char params_vs_accuracy[64];
    char **confusion;               /* per model, "" if not written */
    char notes[2048];
} report_pictures;
int report_plots(const report *r, report_pictures *p);
void report_pictures_free(report_pictures *p, int n_models);

/* ---- report_md.c ---- */
/* Text from the result files as inline Markdown, so that it can only ever
 * be text: control characters become spaces (a newline in a title would
 * start a heading of its own), '|' is escaped (table cells), '<' and '&'
 * become entities (no HTML). */
void report_md_text(FILE *f, const char *s);
/* The same inside a `code span`: a backquote would end it, so it becomes '. */
void report_md_code(FILE *f, const char *s);
int report_write_markdown(const report *r, const report_pictures *p, const char *path,
                          cv_error *e);

#endif
