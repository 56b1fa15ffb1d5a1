/* trainer.c - the trainer's command line: option parsing, resuming, and
 * the train, eval, predict and viz subcommands. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "train/checkpoint.h"
#include "data/dataset.h"
#include "train/eval.h"
#include "data/image_io.h"
#include "train/optim.h"
#include "base/parse_num.h"
#include "pictures/plot.h"
#include "base/json.h"
#include "base/threads.h"
#include "base/fpmode.h"
#include "base/optimizers.h"
#include "train/settings.h"
#include "train/train.h"
#include "train/trainer.h"
#include "pictures/viz.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    if (stop_signal) {
        /* A second signal: the user insists; die the default way. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_signal = sig;
}

/* ---- option parsing ----------------------------------------------------- */

typedef struct {
    const char *prog, *cmd;
    int argc, i;
    char **argv;
    const char *flag;       /* the option being parsed, e.g. "--batch" */
} args;

static int usage_error(const args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(const args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s %s: ", a->prog, a->cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s %s --help'.\n", a->prog, a->cmd);
    return EXIT_USAGE;
}

/* The value of the current flag: "--flag=V" or "--flag V". */
static const char *flag_value(args *a, const char *inline_value)
{
    if (inline_value)
        return inline_value;
    if (a->i + 1 >= a->argc)
        return NULL;
    return a->argv[++a->i];
}

/* The value of setting `id` (train/settings.h: the rule a checkpoint's
 * value passes too); integer settings must be written as integers. */
static int parse_setting(const args *a, const char *s, cv_setting_id id, double *out)
{
    long l = 0;
    double v = 0;
    char rule[96];
    int syntax_ok = setting_is_integer(id) ? cv_parse_long(s, LONG_MIN, LONG_MAX, &l) == 0
                                           : cv_parse_double(s, &v) == 0;
    if (setting_is_integer(id))
        v = (double)l;
    if (!syntax_ok || setting_check(id, v) < 0) {
        setting_rule(id, rule, sizeof rule);
        return usage_error(a, "%s: '%s' is not valid (expected %s)", a->flag, s ? s : "",
                           rule);
    }
    *out = v;
    return 0;
}

static int parse_u64(const args *a, const char *s, uint64_t *out)
{
    if (cv_parse_u64(s, out) != 0)
        return usage_error(a, "%s: '%s' is not valid (expected a non-negative integer)",
                           a->flag, s ? s : "");
    return 0;
}

/* Splits "--flag=value"; returns the flag name in buf. */
static const char *split_flag(const char *arg, char *buf, size_t size, const char **value)
{
    const char *eq = strchr(arg, '=');
    *value = NULL;
    if (!eq || strncmp(arg, "--", 2) != 0)
        return arg;
    size_t n = (size_t)(eq - arg) < size - 1 ? (size_t)(eq - arg) : size - 1;
    memcpy(buf, arg, n);
    buf[n] = 0;
    *value = eq + 1;
    return buf;
}

/* ---- help --------------------------------------------------------------- */

static void print_model_line(const convc_model *m)
{
    printf("Model %s (%s, convc %s, spec hash %016" PRIx64 "): input %dx%dx%d, %d classes, "
           "%zu parameters.\n", m->name, m->spec_file, m->convc_version, m->spec_hash, m->in_h,
           m->in_w, m->in_c, m->n_classes, m->n_params);
}

static void help_train(const char *prog, const convc_model *m)
{
    printf("Usage: %s [train] [OPTIONS]\n"
           "Trains the model on an IDX data set (default: Fashion-MNIST), evaluates it on the\n"
           "test set after every epoch and checkpoints every epoch and on SIGINT/SIGTERM.\n"
           "Defaults follow the Keras protocol: Adam, batch 32, 10 epochs, Glorot uniform.\n\n"
           "  --epochs N          epochs in total (default 10; with --resume: the checkpoint's)\n"
           "  --batch N           mini-batch size (default 32); the loss is the batch mean\n"
           "  --lr X              learning rate (default: adam 0.001, others 0.01)\n"
           "  --optimizer NAME    adam (b1 0.9, b2 0.999, eps 1e-7), sgd, momentum (0.9)\n"
           "                      or nesterov (0.9)  (default adam)\n"
           "  --momentum X        momentum for momentum/nesterov (default 0.9)\n"
           "  --seed N            seeds weights, shuffling and dropout (default 1)\n"
           "  --threads N         worker threads (default: online cores, here %d); the same\n"
           "                      seed and thread count give bit-identical results\n"
           "  --data DIR          IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]\n"
           "                      (default $%s, else %s)\n"
           "  --val-split F       hold out the last fraction F of the training set for\n"
           "                      validation, as Keras' validation_split (default 0)\n"
           "  --limit-train N     train on the first N training images\n"
           "  --limit-test N      evaluate on the first N test images (with --resume: the\n"
           "                      checkpoint's)\n"
           "  --steps N           stop after N batches in this run (checkpoint saved)\n"
           "  --no-shuffle        keep the training set's order\n"
           "  --save CKPT         checkpoint file (default %s.ckpt; with --resume: CKPT of\n"
           "                      --resume); written atomically\n"
           "  --save-every N      also checkpoint every N batches (default: epochs only)\n"
           "  --no-save           write no checkpoint\n"
           "  --resume CKPT       continue the run saved in CKPT exactly where it stopped;\n"
           "                      its settings are used unless given again (--epochs,\n"
           "                      --threads and --lr may change, the others must agree)\n"
           "  --init-from CKPT    start from CKPT's weights with a fresh optimizer\n"
           "  --history CSV       append one line per epoch: %s\n"
           "  --quiet             print nothing but errors\n"
           "  -h, --help          this help\n\n"
           "Exit status: 0 done, 1 error (data, checkpoint, NaN loss), 2 usage error,\n"
           "130/143 interrupted by SIGINT/SIGTERM after saving the checkpoint.\n",
           prog, threads_online(), DATASET_ENV, DATASET_DEFAULT_DIR, m->name,
           "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds");
}

static void help_eval(const char *prog)
{
    printf("Usage: %s eval --weights CKPT [--json] [--data DIR] [--limit-test N] [--threads N]\n"
           "Evaluates a checkpoint on the test set: loss, accuracy, per-class accuracy and\n"
           "the confusion matrix (rows: true class, columns: predicted class).\n\n"
           "  --weights CKPT      the checkpoint to evaluate (required)\n"
           "  --json              one JSON object: model, spec_hash, n, loss, accuracy,\n"
           "                      per_class_accuracy, class_names, confusion[true][predicted]\n"
           "  --data DIR          data directory (default $%s, else %s)\n"
           "  --limit-test N      the first N test images only\n"
           "  --threads N         worker threads (default: online cores)\n", prog,
           DATASET_ENV, DATASET_DEFAULT_DIR);
}

static void help_predict(const char *prog)
{
    printf("Usage: %s predict --weights CKPT [--top K] [--data DIR] IMAGE...\n"
           "Classifies PGM (P2/P5) or PNG images, resampled to the model's input size,\n"
           "and prints each file's most likely class and its probability.\n\n"
           "  --weights CKPT      the trained checkpoint (required)\n"
           "  --top K             print the K most likely classes (default 1)\n"
           "  --data DIR          where classes.txt may name the classes (default $%s,\n"
           "                      else %s)\n", prog, DATASET_ENV, DATASET_DEFAULT_DIR);
}

static void help_viz(const char *prog)
{
    printf("Usage: %s viz --weights CKPT --out DIR [--data DIR]\n"
           "Writes DIR/filters.png (the first conv layer's filters) and\n"
           "DIR/featuremaps_conv<k>.png (feature maps of conv layer k for test images).\n\n"
           "  --weights CKPT      the trained checkpoint (required)\n"
           "  --out DIR           output directory, created if needed (required)\n"
           "  --data DIR          data directory for the test images (default $%s,\n"
           "                      else %s)\n", prog, DATASET_ENV, DATASET_DEFAULT_DIR);
}

/* `train --help`: everything, every command's options included. */
static void help_main(const char *prog, const convc_model *m)
{
    print_model_line(m);
    printf("Commands: train (the default), eval, predict, viz.\n\n");
    help_train(prog, m);
    printf("\n");
    help_eval(prog);
    printf("\n");
    help_predict(prog);
    printf("\n");
    help_viz(prog);
}

/* ---- shared pieces ------------------------------------------------------ */

static int load_data(const convc_model *m, const char *data_flag, cv_dataset *d)
{
    cv_error e;
    const char *dir = dataset_dir(data_flag);
    if (dataset_load(dir, d, &e) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return -1;
    }
    if (train_check_data(m, d, dir, &e) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        dataset_free(d);
        return -1;
    }
    return 0;
}

/* Parameters of checkpoint path (any optimizer); NULL after printing why. */
static float *load_weights(const convc_model *m, const char *path)
{
    cv_error e;
    float *params = malloc((m->n_params ? m->n_params : 1) * sizeof *params);
    if (!params) {
        fprintf(stderr, "error: out of memory\n");
        return NULL;
    }
    if (ckpt_load(path, m, NULL, params, NULL, 0, &e) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        free(params);
        return NULL;
    }
    return params;
}

/* eval and viz: the checkpoint's parameters and the data set; NULL (nothing
 * to free) after printing why. */
static float *load_weights_and_data(const convc_model *m, const char *weights,
                                    const char *data, cv_dataset *d)
{
    float *params = load_weights(m, weights);
    if (params && load_data(m, data, d) < 0) {
        free(params);
        params = NULL;
    }
    return params;
}

/* ---- train -------------------------------------------------------------- */

typedef struct {
    int epochs, batch, threads, optimizer, shuffle, lr, momentum, seed, limit_train,
        val_split, limit_test;
} given_flags;

/* Settings of a resumed run: the checkpoint's unless given again; those
 * that define the run's batches must agree. */
static int apply_resume(const args *a, const char *path, const cv_ckpt_state *cs,
                        const given_flags *g, cv_train_config *cfg)
{
#define MUST_AGREE(cond, flag, fmt, mine, theirs)                                            \
    if (cond)                                                                                \
        return usage_error(a, "%s: " fmt " differs from the checkpoint's " fmt " in %s; a "  \
                           "resumed run must keep it", flag, mine, theirs, path)
    if (!g->epochs)
        cfg->epochs = (int)cs->epochs;
    if (!g->threads)
        cfg->threads = (int)cs->threads;
    MUST_AGREE(g->batch && (uint32_t)cfg->batch != cs->batch, "--batch", "%u",
               (unsigned)cfg->batch, cs->batch);
    cfg->batch = (int)cs->batch;
    MUST_AGREE(g->seed && cfg->seed != cs->seed, "--seed", "%" PRIu64, cfg->seed, cs->seed);
    cfg->seed = cs->seed;
    MUST_AGREE(g->limit_train && cfg->limit_train != cs->limit_train, "--limit-train",
               "%" PRIu64, (uint64_t)cfg->limit_train, cs->limit_train);
    cfg->limit_train = cs->limit_train;
    MUST_AGREE(g->val_split && cfg->val_split != cs->val_split, "--val-split", "%g",
               cfg->val_split, cs->val_split);
    cfg->val_split = cs->val_split;
    /* Every epoch of a run is evaluated on the same test images (version 1
     * did not record them). */
    if (cs->version >= 2) {
        MUST_AGREE(g->limit_test && cfg->limit_test != cs->limit_test, "--limit-test", "%u",
                   (unsigned)cfg->limit_test, cs->limit_test);
        cfg->limit_test = cs->limit_test;
    }
    MUST_AGREE(g->shuffle && cfg->shuffle != (int)cs->shuffle, "--no-shuffle", "%d",
               cfg->shuffle, (int)cs->shuffle);
    cfg->shuffle = (int)cs->shuffle;
    MUST_AGREE(g->optimizer && cfg->optim.kind != (int)cs->optimizer, "--optimizer", "%s",
               optim_kind_name(cfg->optim.kind), optim_kind_name((int)cs->optimizer));
    cfg->optim.kind = (int)cs->optimizer;
    if (!g->lr)
        cfg->optim.lr = cs->lr;
    if (!g->momentum)
        cfg->optim.momentum = cs->momentum;
    cfg->optim.beta1 = cs->beta1;
    cfg->optim.beta2 = cs->beta2;
    cfg->optim.epsilon = cs->epsilon;
    return 0;
#undef MUST_AGREE
}

static int cmd_train(const convc_model *m, args *a)
{
    cv_train_config cfg = train_defaults();
    given_flags g = { 0 };
    const char *data = NULL, *resume = NULL, *init_from = NULL, *save = NULL;
    int no_save = 0;
    double x = 0;
    for (; a->i < a->argc; a->i++) {
        char buf[64];
        const char *value;
        const char *f = split_flag(a->argv[a->i], buf, sizeof buf, &value);
        a->flag = f;
        if (value && (!strcmp(f, "--no-shuffle") || !strcmp(f, "--no-save") ||
                      !strcmp(f, "--quiet")))
            return usage_error(a, "%s takes no value", f);
        if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            help_train(a->prog, m);
            return 0;
        } else if (!strcmp(f, "--no-shuffle")) {
            cfg.shuffle = 0;
            g.shuffle = 1;
        } else if (!strcmp(f, "--no-save")) {
            no_save = 1;
        } else if (!strcmp(f, "--quiet")) {
            cfg.quiet = 1;
        } else if (strncmp(f, "--", 2) != 0) {
            return usage_error(a, "unexpected argument '%s'", f);
        } else {
            const char *val = flag_value(a, value);
            if (!val)
                return usage_error(a, "%s needs a value", f);
            if (!strcmp(f, "--epochs")) {
                if (parse_setting(a, val, SETTING_EPOCHS, &x)) return EXIT_USAGE;
                cfg.epochs = (int)x;
                g.epochs = 1;
            } else if (!strcmp(f, "--batch")) {
                if (parse_setting(a, val, SETTING_BATCH, &x)) return EXIT_USAGE;
                cfg.batch = (int)x;
                g.batch = 1;
            } else if (!strcmp(f, "--threads")) {
                if (parse_setting(a, val, SETTING_THREADS, &x)) return EXIT_USAGE;
                cfg.threads = (int)x;
                g.threads = 1;
            } else if (!strcmp(f, "--lr")) {
                if (parse_setting(a, val, SETTING_LR, &x)) return EXIT_USAGE;
                cfg.optim.lr = x;
                g.lr = 1;
            } else if (!strcmp(f, "--momentum")) {
                if (parse_setting(a, val, SETTING_MOMENTUM, &x)) return EXIT_USAGE;
                cfg.optim.momentum = x;
                g.momentum = 1;
            } else if (!strcmp(f, "--optimizer")) {
                int k = optim_parse_kind(val);
                if (k < 0) {
                    char names[64];
                    cv_optimizer_list(names, sizeof names);
                    return usage_error(a, "--optimizer: '%s' is not one of %s", val, names);
                }
                cfg.optim.kind = k;
                g.optimizer = 1;
            } else if (!strcmp(f, "--seed")) {
                if (parse_u64(a, val, &cfg.seed)) return EXIT_USAGE;
                g.seed = 1;
            } else if (!strcmp(f, "--val-split")) {
                if (parse_setting(a, val, SETTING_VAL_SPLIT, &x)) return EXIT_USAGE;
                cfg.val_split = x;
                g.val_split = 1;
            } else if (!strcmp(f, "--limit-train")) {
                if (parse_setting(a, val, SETTING_LIMIT_TRAIN, &x)) return EXIT_USAGE;
                cfg.limit_train = (size_t)x;
                g.limit_train = 1;
            } else if (!strcmp(f, "--limit-test")) {
                if (parse_setting(a, val, SETTING_LIMIT_TEST, &x)) return EXIT_USAGE;
                cfg.limit_test = (size_t)x;
                g.limit_test = 1;
            } else if (!strcmp(f, "--steps")) {
                if (parse_setting(a, val, SETTING_STEPS, &x)) return EXIT_USAGE;
                cfg.steps = (long)x;
            } else if (!strcmp(f, "--save-every")) {
                if (parse_setting(a, val, SETTING_SAVE_EVERY, &x)) return EXIT_USAGE;
                cfg.save_every = (long)x;
            } else if (!strcmp(f, "--data")) {
                data = val;
            } else if (!strcmp(f, "--save")) {
                save = val;
            } else if (!strcmp(f, "--resume")) {
                resume = val;
            } else if (!strcmp(f, "--init-from")) {
                init_from = val;
            } else if (!strcmp(f, "--history")) {
                cfg.history_path = val;
            } else {
                return usage_error(a, "unknown option '%s'", f);
            }
            if (!*val)
                return usage_error(a, "%s: the value is empty", f);
        }
    }
    if (resume && init_from)
        return usage_error(a, "--resume and --init-from exclude each other");
    if (no_save && save)
        return usage_error(a, "--save and --no-save exclude each other");
    /* Optimizer defaults (lr, momentum) follow the chosen kind unless given. */
    {
        cv_optim_config d = optim_defaults(cfg.optim.kind);
        if (!g.lr)
            cfg.optim.lr = d.lr;
        if (!g.momentum)
            cfg.optim.momentum = d.momentum;
    }
    cv_error e;
    cv_ckpt_state cs;
    if (resume) {
        if (ckpt_peek(resume, m, &cs, &e) < 0) {
            fprintf(stderr, "error: %s\n", e.msg);
            return 1;
        }
        int rc = apply_resume(a, resume, &cs, &g, &cfg);
        if (rc)
            return rc;
    }
    if (cfg.threads <= 0)
        cfg.threads = threads_online();
    char default_save[512];
    snprintf(default_save, sizeof default_save, "%s.ckpt", m->name);
    cfg.save_path = no_save ? NULL : save ? save : resume ? resume : default_save;

    cv_dataset d;
    if (load_data(m, data, &d) < 0)
        return 1;
    cv_train_state st;
    int rc = resume ? train_state_resume(&st, m, &cfg, resume, &e)
                    : train_state_new(&st, m, &cfg, &e);
    if (rc == 0 && init_from && ckpt_load(init_from, m, NULL, st.params, NULL, 0, &e) < 0) {
        train_state_free(&st);
        rc = -1;
    }
    if (rc < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        dataset_free(&d);
        return 1;
    }
    if (!cfg.quiet) {
        size_t n_all = cfg.limit_train && cfg.limit_train < d.train.n ? cfg.limit_train
                                                                      : d.train.n;
        size_t n_test = cfg.limit_test && cfg.limit_test < d.test.n ? cfg.limit_test : d.test.n;
        printf("%s: %zu parameters; %zu training images (validation split %g), %zu test "
               "images from %s\n", m->name, m->n_params, n_all, cfg.val_split, n_test,
               dataset_dir(data));
        printf("%s lr %g, batch %d, %d epochs, %d threads, seed %" PRIu64 "\n",
               optim_kind_name(cfg.optim.kind), cfg.optim.lr, cfg.batch, cfg.epochs,
               cfg.threads, cfg.seed);
        if (resume)
            printf("resuming %s at epoch %u, batch %" PRIu64 "\n", resume, st.epoch + 1,
                   st.batch_pos);
        fflush(stdout);
    }
    if (st.epoch >= (uint32_t)cfg.epochs) {
        if (!cfg.quiet)
            printf("nothing to do: %s has completed %u of %d epochs (--epochs N trains "
                   "longer)\n", resume, st.epoch, cfg.epochs);
        train_state_free(&st);
        dataset_free(&d);
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;   /* a checkpoint being written is not disturbed */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cfg.stop_signal = &stop_signal;

    rc = train_run(m, &d, &cfg, &st, &e);
    int status;
    if (rc < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        status = 1;
    } else if (rc == TRAIN_INTERRUPTED) {
        int sig = stop_signal;
        fprintf(stderr, "%s: stopped by %s at epoch %u, batch %" PRIu64 "%s%s%s\n", m->name,
                sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal", st.epoch + 1,
                st.batch_pos, cfg.save_path ? "; saved " : "", cfg.save_path ? cfg.save_path : "",
                cfg.save_path ? " (continue with --resume)" : "");
        status = 128 + sig;
    } else {
        if (!cfg.quiet && cfg.save_path)
            printf("%s %s\n", rc == TRAIN_STEPS_DONE ? "stopped after --steps; saved" : "saved",
                   cfg.save_path);
        status = 0;
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    train_state_free(&st);
    dataset_free(&d);
    return status;
}

/* ---- eval --------------------------------------------------------------- */

static int print_eval_json(const convc_model *m, const cv_eval *r, char *const *names)
{
    int K = m->n_classes;
    json_t *per_class = json_array(), *class_names = json_array(), *confusion = json_array();
    json_error_t err;
    cv_error e;
    char hash[17];
    int failed = 0;     /* an allocation, or a class name that is not UTF-8 */
    for (int k = 0; k < K; k++) {
        json_t *row = json_array();
        for (int p = 0; p < K; p++)
            failed |= json_array_append_new(
                row, json_integer((json_int_t)r->confusion[(size_t)k * K + p]));
        failed |= json_array_append_new(per_class, cv_json_real(eval_class_accuracy(r, k), 6));
        failed |= json_array_append_new(class_names, json_string(names[k]));
        failed |= json_array_append_new(confusion, row);
    }
    if (failed) {
        json_decref(per_class);
        per_class = NULL;   /* json_pack reports it */
    }
    snprintf(hash, sizeof hash, "%016" PRIx64, m->spec_hash);
    char *text = cv_json_text(
        json_pack_ex(&err, 0, "{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "model", m->name,
                     "spec_hash", hash, "n", (json_int_t)r->n, "loss", cv_json_real(r->loss, 6),
                     "accuracy", cv_json_real(r->accuracy, 6), "per_class_accuracy", per_class,
                     "class_names", class_names, "confusion", confusion),
        &err, JSON_COMPACT, "eval --json", &e);
    if (!text) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    fputs(text, stdout);
    free(text);
    return 0;
}

static void print_eval_text(const convc_model *m, const cv_eval *r, char *const *names,
                            const char *weights, const char *dir)
{
    int K = m->n_classes;
    printf("%s (%s) on %zu test images from %s\n", m->name, weights, r->n, dir);
    printf("loss %.4f  accuracy %.4f\n\nper-class accuracy:\n", r->loss, r->accuracy);
    for (int k = 0; k < K; k++)
        printf("  %2d %-14s %.4f\n", k, names[k], eval_class_accuracy(r, k));
    printf("\nconfusion matrix (rows: true class, columns: predicted class):\n     ");
    for (int p = 0; p < K; p++)
        printf(" %5d", p);
    putchar('\n');
    for (int t = 0; t < K; t++) {
        printf("  %2d ", t);
        for (int p = 0; p < K; p++)
            printf(" %5" PRIu64, r->confusion[(size_t)t * K + p]);
        printf("   %s\n", names[t]);
    }
}

/* eval --json and predict print results that a runner redirects into a file
 * and then trusts: a failed write (disk full) must fail the command.  1 after
 * printing why, else 0. */
static int check_stdout(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    fprintf(stderr, "error: cannot write the results to standard output: %s\n",
            strerror(errno));
    return 1;
}

/* Class names for all of the model's classes (the data set's, then numbers). */
static char **model_class_names(const convc_model *m, const char *dir)
{
    cv_error e;
    char **names = calloc((size_t)m->n_classes, sizeof *names);
    if (names && dataset_class_names(dir, m->n_classes, names, &e) < 0) {
        for (int k = 0; k < m->n_classes; k++)
            free(names[k]);
        free(names);
        return NULL;
    }
    return names;
}

static void free_names(const convc_model *m, char **names)
{
    if (!names)
        return;
    for (int k = 0; k < m->n_classes; k++)
        free(names[k]);
    free(names);
}

static int parse_simple(const convc_model *m, args *a, const char **weights, const char **data,
                        const char **out, int *json, long *limit_test, int *threads, long *top,
                        const char ***files, int *n_files)
{
    double x = 0;
    for (; a->i < a->argc; a->i++) {
        char buf[64];
        const char *value;
        const char *f = split_flag(a->argv[a->i], buf, sizeof buf, &value);
        a->flag = f;
        if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            if (!strcmp(a->cmd, "eval"))
                help_eval(a->prog);
            else if (!strcmp(a->cmd, "predict"))
                help_predict(a->prog);
            else
                help_viz(a->prog);
            (void)m;
            return -1;
        }
        if (json && !strcmp(f, "--json")) {
            if (value)
                return usage_error(a, "--json takes no value");
            *json = 1;
            continue;
        }
        if (strncmp(f, "--", 2) != 0 || !strcmp(f, "-")) {
            if (!files)
                return usage_error(a, "unexpected argument '%s'", f);
            (*files)[(*n_files)++] = a->argv[a->i];
            continue;
        }
        const char *val = flag_value(a, value);
        if (!val)
            return usage_error(a, "%s needs a value", f);
        if (!strcmp(f, "--weights") && *val) {
            *weights = val;
        } else if (!strcmp(f, "--data") && *val) {
            *data = val;
        } else if (out && !strcmp(f, "--out") && *val) {
            *out = val;
        } else if (limit_test && !strcmp(f, "--limit-test")) {
            if (parse_setting(a, val, SETTING_LIMIT_TEST, &x)) return EXIT_USAGE;
            *limit_test = (long)x;
        } else if (threads && !strcmp(f, "--threads")) {
            if (parse_setting(a, val, SETTING_THREADS, &x)) return EXIT_USAGE;
            *threads = (int)x;
        } else if (top && !strcmp(f, "--top")) {
            if (cv_parse_long(val, 1, m->n_classes, top) != 0)
                return usage_error(a, "%s: '%s' is not valid (expected an integer from 1 to "
                                   "%d)", f, val, m->n_classes);
        } else if (!*val) {
            return usage_error(a, "%s: the value is empty", f);
        } else {
            return usage_error(a, "unknown option '%s'", f);
        }
    }
    if (!*weights)
        return usage_error(a, "--weights CKPT is required");
    return 0;
}

static int cmd_eval(const convc_model *m, args *a)
{
    const char *weights = NULL, *data = NULL;
    int json = 0, threads = 0;
    long limit_test = 0;
    int rc = parse_simple(m, a, &weights, &data, NULL, &json, &limit_test, &threads, NULL,
                          NULL, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    cv_dataset d;
    float *params = load_weights_and_data(m, weights, data, &d);
    if (!params)
        return 1;
    cv_error e;
    cv_pool *pool = pool_create(threads > 0 ? threads : threads_online(), &e);
    cv_eval r;
    size_t n = limit_test && (size_t)limit_test < d.test.n ? (size_t)limit_test : d.test.n;
    char **names = model_class_names(m, dataset_dir(data));
    rc = 1;
    if (!pool || !names)
        fprintf(stderr, "error: %s\n", pool ? "out of memory" : e.msg);
    else if (eval_images(m, pool, params, &d.test, 0, n, &r, &e) < 0)
        fprintf(stderr, "error: %s\n", e.msg);
    else {
        rc = 0;
        if (json)
            rc = print_eval_json(m, &r, names);
        else
            print_eval_text(m, &r, names, weights, dataset_dir(data));
        eval_free(&r);
        rc = rc ? rc : check_stdout();
    }
    free_names(m, names);
    pool_destroy(pool);
    dataset_free(&d);
    free(params);
    return rc;
}

/* ---- predict ------------------------------------------------------------ */

static int cmd_predict(const convc_model *m, args *a)
{
    const char *weights = NULL, *data = NULL;
    long top = 1;
    const char **files = calloc((size_t)a->argc + 1, sizeof *files);
    int n_files = 0;
    if (!files)
        return 1;
    int rc = parse_simple(m, a, &weights, &data, NULL, NULL, NULL, NULL, &top, &files,
                          &n_files);
    if (rc || !n_files) {
        free(files);
        if (rc)
            return rc < 0 ? 0 : rc;
        return usage_error(a, "no IMAGE given");
    }
    if (m->in_c != 1) {
        free(files);
        fprintf(stderr, "error: predict reads grayscale images; model '%s' takes %d channels\n",
                m->name, m->in_c);
        return 1;
    }
    float *params = load_weights(m, weights);
    char **names = model_class_names(m, dataset_dir(data));
    size_t in_size = (size_t)m->in_h * m->in_w;
    float *x = malloc(in_size * sizeof *x);
    float *work = malloc(convc_work_floats(m, 1) * sizeof *work);
    float *probs = malloc((size_t)m->n_classes * sizeof *probs);
    int *rank = malloc((size_t)m->n_classes * sizeof *rank);
    rc = params && names && x && work && probs && rank ? 0 : 1;
    if (params && rc)
        fprintf(stderr, "error: out of memory\n");
    for (int i = 0; rc != 1 && i < n_files; i++) {
        cv_error e;
        int resized = 0;
        if (image_load_input(files[i], m->in_h, m->in_w, x, &resized, &e) < 0) {
            fprintf(stderr, "error: %s\n", e.msg);
            rc = 3;     /* keep going; report failure at the end */
            continue;
        }
        m->forward(params, work, x, 1, probs, NULL);
        for (int k = 0; k < m->n_classes; k++)
            rank[k] = k;
        for (int k = 0; k < top; k++)        /* selection sort of the top K */
            for (int j = k + 1; j < m->n_classes; j++)
                if (probs[rank[j]] > probs[rank[k]]) {
                    int t = rank[k];
                    rank[k] = rank[j];
                    rank[j] = t;
                }
        printf("%s: %s (%.4f)", files[i], names[rank[0]], (double)probs[rank[0]]);
        for (int k = 1; k < top; k++)
            printf(", %s (%.4f)", names[rank[k]], (double)probs[rank[k]]);
        printf("%s\n", resized ? "  [resized]" : "");
    }
    free(files);
    free(params);
    free_names(m, names);
    free(x);
    free(work);
    free(probs);
    free(rank);
    return rc || check_stdout() ? 1 : 0;
}

/* ---- viz ---------------------------------------------------------------- */

static int cmd_viz(const convc_model *m, args *a)
{
    const char *weights = NULL, *data = NULL, *out = NULL;
    int rc = parse_simple(m, a, &weights, &data, &out, NULL, NULL, NULL, NULL, NULL, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!out)
        return usage_error(a, "--out DIR is required");
    cv_dataset d;
    float *params = load_weights_and_data(m, weights, data, &d);
    if (!params)
        return 1;
    cv_error e;
    int written = 0;
    rc = 0;
    if (viz_write_all(m, params, &d, out, &written, &e) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        rc = 1;
    } else if (written == 0) {
        printf("%s has no conv layer: no pictures written\n", m->name);
    } else {
        printf("wrote %d pictures to %s\n", written, out);
    }
    dataset_free(&d);
    free(params);
    /* The pictures' text leaves cairo and fontconfig caches behind; viz is
     * the program's last step, so they can go (leak checkers stay quiet). */
    plot_release_caches();
    return rc;
}

/* ---- entry point -------------------------------------------------------- */

int convc_trainer_main(const convc_model *m, int argc, char **argv)
{
    const char *prog = argc > 0 ? argv[0] : "train";
    cv_flush_denormals();       /* the pool's workers do the same */
    /* Past a file-size limit (ulimit -f) a write then fails with EFBIG and the
     * error path removes the .tmp file, instead of SIGXFSZ killing us. */
    signal(SIGXFSZ, SIG_IGN);
    if (m->abi != CONVC_MODEL_ABI) {
        fprintf(stderr, "%s: model '%s' was generated for model ABI %d, this runtime has %d; "
                "regenerate it\n", prog, m->name, m->abi, CONVC_MODEL_ABI);
        return 1;
    }
    args a = { .prog = prog, .cmd = "train", .argc = argc, .argv = argv, .i = 1 };
    if (argc > 1 && argv[1][0] != '-') {
        a.cmd = argv[1];
        a.i = 2;
    }
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
                     !strcmp(argv[1], "help"))) {
        help_main(prog, m);
        return 0;
    }
    if (!strcmp(a.cmd, "train"))
        return cmd_train(m, &a);
    if (!strcmp(a.cmd, "eval"))
        return cmd_eval(m, &a);
    if (!strcmp(a.cmd, "predict"))
        return cmd_predict(m, &a);
    if (!strcmp(a.cmd, "viz"))
        return cmd_viz(m, &a);
    fprintf(stderr, "%s: unknown command '%s' (train, eval, predict, viz; see --help)\n", prog,
            a.cmd);
    return EXIT_USAGE;
}
