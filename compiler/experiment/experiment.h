/* experiment.h - experiment specs (YAML): what to train, how, and which one
 * thing varies.  docs/experiments.md is the reference for the schema.
 *
 *   experiment_parse.c     YAML -> experiment (schema, types, did-you-mean)
 *   experiment_template.c  ${var} expansion and variant names
 *   experiment_check.c     every variant through the front end, before training
 *   experiment_run.c       build, train, evaluate and visualize every variant
 *   experiment_manifest.c  results/<name>/experiment.json for bin/convc-report
 *   experiment_sys.c       processes, locks and files for the runner
 *   experiment_slurm.c     the runs as Slurm jobs: submission and waiting
 *   experiment_job.c       one such job: a build, a run, or the collection
 *   yaml_doc.c, yaml_limits.c  the YAML file, its bounds and its locations
 *
 * Messages go to a FILE in the compiler's format (front/diag: file:line:col:
 * error: ..., the quoted line and a caret); functions return 0 or -1 (or a
 * count of errors) and never exit. */
#ifndef CONVC_EXPERIMENT_H
#define CONVC_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXP_MAX_SEEDS    64
#define EXP_MAX_VARIANTS 256

/* One layer of a checked variant, for the report (shapes, weight sharing,
 * receptive fields). */
typedef struct {
    char kind[16];          /* "conv", "pool", "flatten", "dense", "dropout" */
    char *source;           /* the statement as written */
    int in_h, in_w, in_c, out_h, out_w, out_c;
    int kh, kw, sh, sw;
    int64_t params, flops;
} exp_layer;

/* A trainer setting from the YAML: its cv_setting_id and value (a switch's
 * 0 or 1, a word's index, or the number). */
typedef struct {
    int id;
    double value;
} exp_setting;
#define EXP_MAX_SETTINGS 32

/* The settings a YAML key may set besides the ones experiment fields hold:
 * train: keys, then (EXP_DATA_SETTING) data: keys, which evaluation uses too. */
#define EXP_TRAIN_SETTINGS(X) X(MOMENTUM) X(SCHEDULE) X(LR_FACTOR) X(LR_EVERY) X(WARMUP) \
    X(LR_PATIENCE) X(MIN_LR) X(WEIGHT_DECAY) X(DECAY_ALL) X(EARLY_STOP) X(RESTORE_BEST)  \
    X(SHIFT) X(FLIP) X(CROP_PAD) X(CUTOUT) X(WORKERS)
#define EXP_DATA_SETTINGS(X) X(TEST_SPLIT) X(SKIP_BAD)
/* 1 if setting id is a data: key. */
int exp_is_data_setting(int id);
/* The value of setting s as its trainer flag takes it ("cosine", "0.5"). */
void exp_setting_text(const exp_setting *s, char *out, size_t size);

/* One template variable and its value, as written in the YAML. */
typedef struct {
    char *name;
    char *value;
} exp_binding;

typedef struct {
    char *name;             /* variant name, a C identifier: "cnn_k3" */
    char *label;            /* display name: "CNN" (default: the name) */
    char *spec_path;        /* the spec or template file, as written */
    char *display_path;     /* "specs/templates/cnn.spec.in[k=7]" or spec_path */
    char *factor;           /* the varied value for the table, or NULL */
    int n_vars;
    exp_binding *vars;      /* set: then vary:, in YAML order */
    char *text;             /* the expanded spec text */
    size_t text_len;
    int yaml_line, yaml_col;    /* where the model entry starts */
    int n_settings;             /* the entry's train: settings, after the experiment's */
    exp_setting settings[EXP_MAX_SETTINGS];
    /* Filled by experiment_check from the front end's IR: */
    int checked;
    int64_t params, flops;
    int n_conv;             /* conv layers: 0 marks a baseline */
    uint64_t arch_hash;     /* ir_hash: the architecture */
    uint64_t text_hash;     /* FNV-1a of text: what the trainer is built from */
    int n_layers;
    exp_layer *layers;
    /* Filled by experiment_run: */
    int build_failed;
    char build_error[512];
    char *trainer;          /* path of the built trainer */
    long code_lines;        /* lines of the generated model.c, -1 if unknown */
} exp_variant;

/* One training run: a model with one seed. */
enum { EXP_RUN_PENDING, EXP_RUN_DONE, EXP_RUN_REUSED, EXP_RUN_FAILED, EXP_RUN_SKIPPED };

typedef struct {
    int variant;            /* index into variants */
    int seed;
    int status;             /* EXP_RUN_* */
    char dir[256];          /* relative to the output directory: runs/<model>-s<seed> */
    char error[512];
} exp_run;

/* A test accuracy published elsewhere for one of the models (published:),
 * which the report sets beside the runs' spread. */
typedef struct {
    char *model;            /* a variant's name */
    double accuracy;        /* 0..1 (the YAML gives percent) */
} exp_published;

typedef struct {
    char *path;             /* the YAML file */
    char *name;             /* results/<name>/; a C identifier */
    char *title;            /* the report's heading (default: the name) */
    char *description;      /* a paragraph for the report, or NULL */
    char *data;             /* data set name ("fashion-mnist") */
    char *data_dir;         /* IDX directory; NULL: the trainer's default */
    long limit_train, limit_test;   /* 0: all */
    char *optimizer;
    double lr;
    int batch, epochs, threads;
    double val_split;       /* < 0: the trainer's default */
    /* Other trainer settings given in train: or data: (base/settings.h),
     * passed to the trainer as their flags. */
    int n_settings;
    exp_setting settings[EXP_MAX_SETTINGS];
    int n_seeds;
    int seeds[EXP_MAX_SEEDS];
    char *factor_title;     /* column heading for the varied value */
    char *factor_value;     /* template for it, e.g. "${k}x${k}" */
    int n_variants;
    exp_variant *variants;
    char *published_source; /* where the published numbers come from, or NULL */
    char *published_note;   /* a paragraph for the report, or NULL */
    int n_published;
    exp_published *published;
    int n_runs;             /* filled by experiment_run */
    exp_run *runs;
} experiment;

/* How `convc run` runs an experiment (experiment_run.c). */
typedef struct {
    const char *out_dir;    /* results/<name> */
    const char *root;       /* the project: Makefile, bin/, build/ */
    const char *bin_dir;    /* where convc, convc-report, convc-eda live */
    int jobs;               /* runs at once */
    int dry_run;            /* print the plan, build and train nothing */
    int show_progress;      /* let the trainer draw its progress (jobs == 1) */
    const char *launcher;   /* words put before make and every trainer command
                             * ("srun -n1 -c2"), or NULL; at most
                             * EXP_MAX_LAUNCHER_WORDS */
} exp_run_options;

#define EXP_MAX_LAUNCHER_WORDS 32

/* ---- Slurm (experiment_slurm.c, experiment_job.c) ------------------------- */

typedef struct {
    const char *sbatch_args;    /* more options for every sbatch, split at blanks */
    int jobs;                   /* runs at once (the array's %N); 0: no limit */
    int argc;                   /* the `convc run` command, which every job repeats */
    char **argv;
} exp_slurm_options;

/* The ids of the submitted jobs. */
typedef struct {
    char builds[1024];          /* "12 13" */
    char runs[32], report[32];  /* runs is empty when every run had finished */
} exp_slurm_jobs;

/* Writes the manifest and the files the jobs read (<out>/slurm/), then
 * submits one build job per trainer, the runs as one job array and the
 * report job after them.  Prints the job ids.  0, or -1 with a message. */
int experiment_submit_slurm(experiment *x, const exp_run_options *o,
                            const exp_slurm_options *s, exp_slurm_jobs *jobs, FILE *out);
/* Waits until the submitted jobs have left the queue, then prints every
 * run's status.  Returns the number of failed runs and builds, or -1. */
int experiment_wait_slurm(experiment *x, const exp_run_options *o,
                          const exp_slurm_jobs *jobs, FILE *out);

/* One job of a submitted experiment. */
enum { EXP_JOB_RUN, EXP_JOB_BUILD, EXP_JOB_REPORT };
typedef struct exp_job_s {
    int kind;                   /* EXP_JOB_* */
    int index;                  /* EXP_JOB_RUN: the run */
    const char *model;          /* EXP_JOB_BUILD: the variant */
} exp_job;

/* The `convc run` command saved at submission: the directory it ran in, its
 * arguments (argv[0] is "run") and every run's stamp.  Loading returns 0 or -1 with a message; free with
 * experiment_free_command. */
int experiment_save_command(const experiment *x, const char *out_dir, int argc, char **argv,
                            FILE *diag);
int experiment_load_command(const char *out_dir, char **cwd, int *argc, char ***argv,
                            FILE *diag);
void experiment_free_command(char *cwd, char **argv);
/* Runs one job.  Returns its exit status: 0, 1 (the run or build failed,
 * a run failed before the report, or the experiment changed since
 * submission); -1: the report job could not write the manifest. */
int experiment_job(experiment *x, const exp_run_options *o, const exp_job *job, FILE *out);

/* Reads and validates `path`; reads every spec/template it names and expands
 * the variants.  Reports every problem found to diag; returns the number of
 * errors (0: x is complete).  Free x with experiment_free either way. */
int experiment_parse_file(const char *path, experiment *x, FILE *diag);
/* The same on YAML text; `path` names it in messages and resolves nothing. */
int experiment_parse_text(const char *path, const char *text, size_t len,
                          experiment *x, FILE *diag);
void experiment_free(experiment *x);

/* Runs every variant through the front end (display path = the variant's),
 * fills params/flops/hashes; returns the number of variants that failed. */
int experiment_check(experiment *x, FILE *diag);

/* Writes the expanded specs, builds one trainer per variant, trains,
 * evaluates and visualizes every (model, seed), reusing finished runs and
 * resuming interrupted ones; writes the manifest.  Progress goes to out.
 * Returns the number of failed runs and builds, or -1 if the output
 * directory cannot be written. */
int experiment_run(experiment *x, const exp_run_options *o, FILE *out);
/* The pieces experiment_run is made of, for runs in separate jobs
 * (experiment_slurm.c, experiment_job.c).  The output directories, the list
 * of runs and the expanded specs; builds nothing.  -1 if the output
 * directory cannot be written. */
int experiment_prepare(experiment *x, const exp_run_options *o, FILE *out);
/* Builds the trainer of variant v (after experiment_prepare). */
void experiment_build(experiment *x, int v, const exp_run_options *o, FILE *out);
/* Where every variant's trainer is; one that is not there is a failed build
 * (its runs are skipped, unless they finished before).  Returns the number
 * missing, or -1 (out of memory). */
int experiment_find_trainers(experiment *x, const exp_run_options *o);
/* Run i alone (after experiment_find_trainers): reused if finished,
 * resumed if interrupted, else trained; the trainer's output goes to the
 * run's train.log.  0, or -1 with the run's error set. */
int experiment_run_index(experiment *x, int i, const exp_run_options *o, FILE *out);
/* "[i/n] model seed s: done" (or reused, FAILED: error, skipped). */
void experiment_announce(const experiment *x, const exp_run *r, int i, FILE *out);
/* Writes a failed run's error to <run>/error.txt, where the process that
 * collects the runs reads it. */
int experiment_save_run_error(const exp_run_options *o, const exp_run *r);
/* The status of every run from its directory after the runs ran elsewhere;
 * prints one line per run.  Returns the number of failed runs and missing
 * trainers, or -1. */
int experiment_collect(experiment *x, const exp_run_options *o, FILE *out);
/* experiment_collect, the EDA and the manifest: what convc-report needs. */
int experiment_finish(experiment *x, const exp_run_options *o, FILE *out);
/* results/<name>/experiment.json: the experiment, every model's static
 * numbers (parameters, FLOPs, code lines) and every run's status, for
 * bin/convc-report (experiment_manifest.c). */
int experiment_write_manifest(const experiment *x, const char *path, FILE *diag);
/* The stamp that identifies a run's settings: a finished run is reused only
 * when its stamp is the same.  Caller frees. */
char *experiment_run_stamp(const experiment *x, const exp_variant *v, int seed);

/* ---- templates (experiment_template.c) ---------------------------------- */

/* Expands ${var} in text[0..len).  "$$" is a literal "$".  On an unknown
 * placeholder or a malformed one, prints "<display>:line:col: error: ...",
 * the template line and a caret (display names the template) and returns
 * NULL.  *out_len gets the length.  used (n entries, may be NULL) gets 1 for
 * every binding that was used.  out may be NULL: then nothing is printed. */
char *template_expand(const char *display, const char *text, size_t len,
                      const exp_binding *vars, int n, size_t *out_len,
                      int *used, FILE *out);
/* The variant name for a file name and bindings: base name without
 * ".spec.in", ".in" or ".spec", then "_<var><value>" for each varied binding
 * (values reduced to [A-Za-z0-9_]).  Caller frees. */
char *variant_default_name(const char *spec_path, const exp_binding *varied, int n);
/* "path[k=7,p=same]" (just path when n == 0).  Caller frees. */
char *variant_display_path(const char *spec_path, const exp_binding *vars, int n);
/* 1 if s is a C identifier of at most 63 characters. */
int is_identifier(const char *s);

/* ---- did-you-mean (experiment_parse.c) ---------------------------------- */

/* The candidate closest to `word` by edit distance if it is close enough to
 * be a likely typo, else NULL. */
const char *closest_word(const char *word, const char *const *candidates, int n);

#endif
