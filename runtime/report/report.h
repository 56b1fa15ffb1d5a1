/* report.h - the experiment report (bin/convc-report RESULTS_DIR): reads what
 * `convc run` left in results/<name>/ (experiment.json, each run's eval.json
 * and history.csv), aggregates over seeds, computes findings, and writes
 * results.csv, results.json, report.md and the plots.
 *
 *   report_load.c     experiment.json, eval.json, history.csv -> report
 *   report_stats.c    mean, std, per-model aggregates, findings
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
/* 1 if models a and b differ in mean accuracy by more than twice the
 * standard error of the difference across seeds; 0 if not; -1 if either has
 * fewer than two finished seeds (the spread is unknown). */
int report_difference_is_clear(const report_model *a, const report_model *b);
/* The findings, one markdown bullet each ("- ...\n"). */
void report_write_findings(const report *r, FILE *f);
/* The interpretation section's paragraphs, tied to the numbers. */
void report_write_interpretation(const report *r, FILE *f);
/* Receptive field (pixels per side) of the last conv layer of model m, 0 if
 * it has none. */
int report_receptive_field(const report_model *m);

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
