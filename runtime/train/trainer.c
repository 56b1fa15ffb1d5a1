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
#include "base/isa.h"
#include "base/png.h"
#include "base/optimizers.h"
#include "base/settings.h"
#include "train/exchange.h"
#include "train/history.h"
#include "train/train.h"
#include "train/trainer.h"
#include "train/cli_args.h"
#include "pictures/viz.h"


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
           "Trains the model on a data set (IDX, CIFAR-10 binary or PNG folders; default:\n"
           "Fashion-MNIST), evaluates it on the\n"
           "test set after every epoch and checkpoints every epoch and on SIGINT/SIGTERM.\n"
           "Defaults follow the Keras protocol: Adam, batch 32, 10 epochs, Glorot uniform.\n\n"
           "  --epochs N          epochs in total (default 10; with --resume: the checkpoint's)\n"
           "  --batch N           mini-batch size (default 32); the loss is the batch mean\n"
           "  --lr X              learning rate (default: adam 0.001, others 0.01)\n"
           "  --optimizer NAME    adam (b1 0.9, b2 0.999, eps 1e-7), adamw (adam with\n"
           "                      decoupled weight decay), sgd, momentum (0.9) or\n"
           "                      nesterov (0.9)  (default adam)\n"
           "  --momentum X        momentum for momentum/nesterov (default 0.9)\n"
           "  --weight-decay X    adamw: decoupled decay (default 0.01); the others: L2\n"
           "                      (default 0); kernels only, not biases or vectors\n"
           "  --decay-all         weight decay for biases and other vectors too\n"
           "  --schedule NAME     learning rate: constant (default), step, cosine, plateau\n"
           "  --lr-factor X       step, plateau: multiply lr by X in (0, 1) (default 0.1)\n"
           "  --lr-every N        step: every N epochs (default 10)\n"
           "  --warmup N          cosine: linear warm-up over the first N steps (default 0)\n"
           "  --lr-patience N     plateau: after N epochs without a lower monitored loss\n"
           "                      (default 10)\n"
           "  --min-lr X          cosine, plateau: the lowest rate (default 0)\n"
           "  --early-stop N      stop after N epochs without a lower val_loss (test_loss\n"
           "                      without --val-split)\n"
           "  --restore-best      with --early-stop: end with the best epoch's weights\n"
           "  --shift N           augment: shift by -N..N pixels on each axis, zero fill\n"
           "  --flip              augment: mirror left-right with probability 1/2\n"
           "  --crop-pad N        augment: pad N zero pixels, crop a random window\n"
           "  --cutout N          augment: zero a random NxN square\n"
           "  --seed N            seeds weights, shuffling and dropout (default 1)\n"
           "  --threads N         worker threads (default: online cores, here %d)\n"
           "  --workers K         the batch's gradient is the fixed tree sum of K slices\n"
           "                      (default 4, at most 64): the same seed and K give\n"
           "                      bit-identical results for any threads and processes\n"
           "  --data DIR          IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz],\n"
           "                      CIFAR-10 binary batches, or PNG folders, one per class\n"
           "                      (default $%s, else %s;\n"
           "                      with --resume: the directory the run read)\n"
           "  --image-size HxW    PNG folders: resample every image to HxW\n"
           "  --test-split F      PNG folders without train/ and test/: hold out the\n"
           "                      fraction F of each class for testing (default 0.2)\n"
           "  --skip-bad          PNG folders: skip (and count) unreadable, odd-sized and\n"
           "                      non-image files instead of stopping at the first\n"
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
           "                      --threads and --lr may change, the others, --workers\n"
           "                      too, must agree), and so is its training set\n"
           "  --init-from CKPT    start from CKPT's weights with a fresh optimizer\n"
           "  --history CSV       append one line per epoch:\n"
           "                      %s\n"
           "  --quiet             print nothing but errors\n"
           "  -h, --help          this help\n\n"
           "Exit status: 0 done, 1 error (data, checkpoint, NaN loss), 2 usage error,\n"
           "130/143 interrupted by SIGINT/SIGTERM after saving the checkpoint.\n",
           prog, threads_online(), DATASET_ENV, DATASET_DEFAULT_DIR, m->name,
           HISTORY_HEADER);
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
           "  --threads N         worker threads (default: online cores)\n"
           "  --image-size HxW, --test-split F, --skip-bad\n"
           "                      PNG folders: as for training, so the test set is the same\n",
           prog, DATASET_ENV, DATASET_DEFAULT_DIR);
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
           "                      else %s)\n"
           "  --image-size HxW, --test-split F, --skip-bad\n"
           "                      PNG folders: as for training\n", prog, DATASET_ENV,
           DATASET_DEFAULT_DIR);
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

static int load_data(const convc_model *m, const char *data_flag, const cv_data_options *o,
                     cv_dataset *d)
{
    cv_error e;
    const char *dir = dataset_dir(data_flag);
    if (dataset_load_with(dir, o, d, &e) < 0) {
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
                                    const char *data, const cv_data_options *o, cv_dataset *d)
{
    float *params = load_weights(m, weights);
    if (params && load_data(m, data, o, d) < 0) {
        free(params);
        params = NULL;
    }
    return params;
}

/* ---- train -------------------------------------------------------------- */

/* The run's schedule, weight decay, early stopping and augmentation, when
 * any is set. */
static void print_run_extras(const cv_train_config *c)
{
    const cv_schedule_config *s = &c->schedule;
    if (s->kind == CV_SCHEDULE_STEP)
        printf("schedule step: lr x %g every %d epochs\n", s->factor, s->every);
    else if (s->kind == CV_SCHEDULE_COSINE)
        printf("schedule cosine: %ld warm-up steps, down to %g\n", s->warmup, s->min_lr);
    else if (s->kind == CV_SCHEDULE_PLATEAU)
        printf("schedule plateau: lr x %g after %d epochs without a lower %s, at least %g\n",
               s->factor, s->patience, train_monitor_name(c), s->min_lr);
    if (c->optim.weight_decay > 0)
        printf("weight decay %g (%s, %s)\n", c->optim.weight_decay,
               c->optim.kind == OPTIM_ADAMW ? "decoupled" : "L2",
               c->decay_all ? "all parameters" : "kernels only, not biases");
    if (c->early_stop)
        printf("early stopping: patience %d epochs on %s%s%s\n", c->early_stop,
               train_monitor_name(c), c->val_split > 0 ? "" : " (there is no validation split)",
               c->restore_best ? ", restoring the best weights" : "");
    if (augment_enabled(&c->augment))
        printf("augmentation: crop-pad %d, shift %d, flip %s, cutout %d\n", c->augment.crop_pad,
               c->augment.shift, c->augment.flip ? "yes" : "no", c->augment.cutout);
}

/* getopt codes: OPT_SETTING + a cv_setting_id for the options that set a
 * setting (base/settings.h), the others below. */
enum { OPT_SEED = 256, OPT_DATA, OPT_SAVE, OPT_NO_SAVE, OPT_RESUME, OPT_INIT_FROM,
       OPT_HISTORY, OPT_QUIET, OPT_WEIGHTS, OPT_OUT, OPT_JSON, OPT_TOP, OPT_IMAGE_SIZE,
       OPT_SETTING = 512 };

/* --image-size HxW: 0, or EXIT_USAGE after the message. */
static int parse_image_size(const cv_args *a, const char *val, cv_data_options *o)
{
    char *x = strchr(val, 'x');
    char h[32];
    long hv, wv;
    if (!x || (size_t)(x - val) >= sizeof h)
        return usage_error(a, "%s: '%s' is not valid (expected HxW, e.g. 32x32)", a->flag, val);
    memcpy(h, val, (size_t)(x - val));
    h[x - val] = 0;
    if (cv_parse_long(h, 1, CV_BITMAP_MAX_SIDE, &hv) != 0 ||
        cv_parse_long(x + 1, 1, CV_BITMAP_MAX_SIDE, &wv) != 0)
        return usage_error(a, "%s: '%s' is not valid (expected HxW, each from 1 to %d)",
                           a->flag, val, CV_BITMAP_MAX_SIDE);
    o->resize_h = (int)hv;
    o->resize_w = (int)wv;
    return 0;
}

/* The train command's options: every setting with a flag, then the rest. */
static void train_options(struct option *opts, size_t size)
{
    static const struct option rest[] = {
        { "seed", required_argument, NULL, OPT_SEED },
        { "data", required_argument, NULL, OPT_DATA },
        { "save", required_argument, NULL, OPT_SAVE },
        { "no-save", no_argument, NULL, OPT_NO_SAVE },
        { "resume", required_argument, NULL, OPT_RESUME },
        { "init-from", required_argument, NULL, OPT_INIT_FROM },
        { "history", required_argument, NULL, OPT_HISTORY },
        { "quiet", no_argument, NULL, OPT_QUIET },
        { "image-size", required_argument, NULL, OPT_IMAGE_SIZE },
        { "help", no_argument, NULL, 'h' },
    };
    size_t n = 0;
    for (int id = 0; id < SETTING_COUNT && n + 1 < size; id++) {
        const char *flag = setting_flag((cv_setting_id)id);
        if (strncmp(flag, "--", 2) == 0)
            opts[n++] = (struct option){ flag + 2,
                                         setting_is_switch((cv_setting_id)id) ? no_argument
                                                                             : required_argument,
                                         NULL, OPT_SETTING + id };
    }
    for (size_t i = 0; i < sizeof rest / sizeof *rest && n + 1 < size; i++)
        opts[n++] = rest[i];
    opts[n] = (struct option){ 0 };
}

/* The value of setting id from the command line: a switch's, a word's
 * index, or a number; 0, or EXIT_USAGE after the message. */
static int parse_setting(const cv_args *a, cv_setting_id id, const char *val, double *x)
{
    int n_words;
    char msg[160];
    if (setting_is_switch(id)) {
        *x = setting_switch_value(id);
        return 0;
    }
    if (setting_words(id, &n_words)) {
        if (setting_parse_word(id, val, x, msg, sizeof msg) < 0)
            return usage_error(a, "%s: %s", a->flag, msg);
        return 0;
    }
    return args_setting(a, val, id, x);
}

/* A setting's value for messages: its word, or the number. */
static void setting_text(cv_setting_id id, double v, char *out, size_t size)
{
    int n;
    const char *const *words = setting_words(id, &n);
    if (words && v >= 0 && v < n)
        snprintf(out, size, "%s", words[(int)v]);
    else
        snprintf(out, size, "%.15g", v);
}

/* Settings that a resumed run may change: the length of the run, the
 * threads and the base rates. */
static int may_change_on_resume(cv_setting_id id)
{
    return id == SETTING_EPOCHS || id == SETTING_THREADS || id == SETTING_LR ||
           id == SETTING_MOMENTUM;
}

/* Settings of a resumed run: the checkpoint's unless given again; the
 * others must agree. */
static int apply_resume(const cv_args *a, const char *path, const cv_ckpt_state *cs,
                        const int *given, uint64_t seed, int seed_given, cv_train_config *cfg)
{
    for (int i = 0; i < SETTING_COUNT; i++) {
        cv_setting_id id = (cv_setting_id)i;
        double theirs, mine = train_setting(cfg, id);
        if (ckpt_setting(cs, id, &theirs) < 0)
            continue;
        if (given[id] && mine != theirs && !may_change_on_resume(id)) {
            char t1[64], t2[64];
            setting_text(id, mine, t1, sizeof t1);
            setting_text(id, theirs, t2, sizeof t2);
            return usage_error(a, "%s: %s differs from the checkpoint's %s in %s; a resumed run "
                               "must keep it", setting_flag(id), t1, t2, path);
        }
        if (!given[id])
            train_set(cfg, id, theirs);
    }
    if (seed_given && seed != cs->seed)
        return usage_error(a, "--seed: %" PRIu64 " differs from the checkpoint's %" PRIu64
                           " in %s; a resumed run must keep it", seed, cs->seed, path);
    cfg->seed = cs->seed;
    cfg->optim.beta1 = cs->beta1;
    cfg->optim.beta2 = cs->beta2;
    cfg->optim.epsilon = cs->epsilon;
    return 0;
}

/* 0 if the model's instruction sets are those every process has and, on
 * resume, those the checkpoint was trained with (else the sums round
 * differently); 1 after the message. */
static int check_isa(const char *prog, uint64_t isa, const cv_exchange *run,
                     const char *resume, const cv_ckpt_state *cs)
{
    char mine[256], theirs[256];
    cv_isa_names(isa, mine, sizeof mine);
    if (run && run->size > 1) {
        int hi = run->max_int(run, (int)isa), lo = -run->max_int(run, -(int)isa);
        if (hi != lo) {
            if (run->rank == 0)
                fprintf(stderr, "%s: the processes' trainers are built for different "
                        "instruction sets (this one: %s); run one binary on every node\n",
                        prog, mine);
            return 1;
        }
    }
    if (resume && cs->version >= 4 && cs->isa != isa) {
        cv_isa_names(cs->isa, theirs, sizeof theirs);
        fprintf(stderr, "error: %s: isa: the checkpoint was trained by a trainer built for %s, "
                "this one is built for %s; its sums would round differently (resume with "
                "the trainer that wrote it)\n", resume, theirs, mine);
        return 1;
    }
    return 0;
}

static int cmd_train(const convc_model *m, cv_args *a, const cv_exchange *run, uint64_t isa)
{
    cv_train_config cfg = train_defaults();
    int given[SETTING_COUNT] = { 0 }, seed_given = 0;
    const char *data = NULL, *resume = NULL, *init_from = NULL, *save = NULL, *val;
    int no_save = 0, c;
    struct option opts[SETTING_COUNT + 16];
    train_options(opts, sizeof opts / sizeof *opts);
    while ((c = args_next(a, opts, &val)) != ARGS_END) {
        double x = 0;
        if (c >= OPT_SETTING) {
            cv_setting_id id = (cv_setting_id)(c - OPT_SETTING);
            if (parse_setting(a, id, val, &x))
                return EXIT_USAGE;
            train_set(&cfg, id, x);
            given[id] = 1;
            continue;
        }
        switch (c) {
        case ARGS_ERROR:
            return EXIT_USAGE;
        case ARGS_OPERAND:
            return usage_error(a, "unexpected argument '%s'", val);
        case 'h':
            help_train(a->prog, m);
            return 0;
        case OPT_SEED:
            if (args_u64(a, val, &cfg.seed))
                return EXIT_USAGE;
            seed_given = 1;
            break;
        case OPT_NO_SAVE: no_save = 1; break;
        case OPT_QUIET: cfg.quiet = 1; break;
        case OPT_DATA: data = val; break;
        case OPT_SAVE: save = val; break;
        case OPT_RESUME: resume = val; break;
        case OPT_INIT_FROM: init_from = val; break;
        case OPT_HISTORY: cfg.history_path = val; break;
        case OPT_IMAGE_SIZE:
            if (parse_image_size(a, val, &cfg.data))
                return EXIT_USAGE;
            break;
        default:
            return usage_error(a, "unknown option '%s'", a->flag);
        }
    }
    if (resume && init_from)
        return usage_error(a, "--resume and --init-from exclude each other");
    if (no_save && save)
        return usage_error(a, "--save and --no-save exclude each other");
    /* Optimizer defaults (lr, momentum, weight decay) follow the chosen kind
     * unless given. */
    {
        cv_optim_config d = optim_defaults(cfg.optim.kind);
        if (!given[SETTING_LR])
            train_set(&cfg, SETTING_LR, d.lr);
        if (!given[SETTING_MOMENTUM])
            cfg.optim.momentum = d.momentum;
        if (!given[SETTING_WEIGHT_DECAY])
            cfg.optim.weight_decay = d.weight_decay;
    }
    cv_error e;
    cv_ckpt_state cs;
    if (resume) {
        if (ckpt_peek(resume, m, &cs, &e) < 0) {
            fprintf(stderr, "error: %s\n", e.msg);
            return 1;
        }
        int rc = apply_resume(a, resume, &cs, given, cfg.seed, seed_given, &cfg);
        if (rc)
            return rc;
    }
    if (check_isa(a->prog, isa, run, resume, &cs))
        return 1;
    cfg.isa = isa;
    if (cfg.restore_best && !cfg.early_stop)
        return usage_error(a, "--restore-best needs --early-stop PATIENCE");
    if (cfg.threads <= 0)
        cfg.threads = threads_online();
    if (run && run->size > cfg.workers)
        return usage_error(a, "--workers: %d slices cannot be shared by %d processes (one "
                           "slice each at least); give --workers %d or more", cfg.workers,
                           run->size, run->size);
    char default_save[512];
    snprintf(default_save, sizeof default_save, "%s.ckpt", m->name);
    cfg.save_path = no_save ? NULL : save ? save : resume ? resume : default_save;
    cfg.exchange = run;
    if (run && run->rank > 0) {
        /* Rank 0 speaks and writes for the run. */
        cfg.quiet = 1;
        cfg.save_path = NULL;
        cfg.history_path = NULL;
    }

    /* A resume reads the data the run read, unless --data names other. */
    if (resume && !data && cs.version >= 5 && cs.data_dir[0])
        data = cs.data_dir;
    cv_dataset d;
    if (load_data(m, data, &cfg.data, &d) < 0)
        return 1;
    /* What the checkpoints record, and a resume checks (60 ms for
     * Fashion-MNIST's training set: not for a run that does neither). */
    char data_abs[PATH_MAX];
    if (cfg.save_path || resume) {
        cfg.data_dir = realpath(dataset_dir(data), data_abs) ? data_abs : dataset_dir(data);
        cfg.data_hash = dataset_train_fingerprint(&d);
    }
    if (resume && cs.version >= 5 && cs.data_hash != cfg.data_hash) {
        fprintf(stderr, "error: %s: data_hash: the training set in %s (%zu images of %dx%dx%d, "
                "%s) is not the one the run was trained on; resume with --data naming that "
                "run's data\n", resume, dataset_dir(data), d.train.n, d.train.h, d.train.w,
                d.train.c, d.format);
        dataset_free(&d);
        return 1;
    }
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
               "images from %s (%s%s)\n", m->name, m->n_params, n_all, cfg.val_split, n_test,
               dataset_dir(data), d.format, d.from_cache ? ", cached" : "");
        if (d.skipped)
            printf("skipped %zu files that are not readable PNG images of the data set's "
                   "kind and size (--skip-bad)\n", d.skipped);
        printf("%s lr %g, batch %d, %d epochs, %d threads", optim_kind_name(cfg.optim.kind),
               cfg.optim.lr, cfg.batch, cfg.epochs, cfg.threads);
        if (run)
            printf(" in each of %d processes", run->size);
        printf(", %d workers, seed %" PRIu64 "\n", cfg.workers, cfg.seed);
        print_run_extras(&cfg);
        if (resume)
            printf("resuming %s at epoch %u, batch %" PRIu64 "\n", resume, st.epoch + 1,
                   st.batch_pos);
        fflush(stdout);
    }
    if (st.sched.stopped) {
        if (!cfg.quiet)
            printf("nothing to do: %s stopped early after epoch %u (best epoch %u)\n", resume,
                   st.epoch, st.sched.best_epoch);
        train_state_free(&st);
        dataset_free(&d);
        return 0;
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
        if (!run || run->rank == 0)
            fprintf(stderr, "%s: stopped by %s at epoch %u, batch %" PRIu64 "%s%s%s\n", m->name,
                sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal", st.epoch + 1,
                st.batch_pos, cfg.save_path ? "; saved " : "", cfg.save_path ? cfg.save_path : "",
                cfg.save_path ? " (continue with --resume)" : "");
        status = 128 + sig;
    } else {
        if (!cfg.quiet && rc == TRAIN_STOPPED_EARLY)
            printf("early stopping: %s did not improve for %d epochs; stopped after epoch %u "
                   "(best epoch %u, %s %.4f%s)\n", train_monitor_name(&cfg), cfg.early_stop,
                   st.epoch, st.sched.best_epoch, train_monitor_name(&cfg), st.sched.best_loss,
                   cfg.restore_best ? ", its weights restored" : "");
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

/* The options of eval, predict and viz: those whose pointer is not NULL.
 * 0, -1 after printing the help, or EXIT_USAGE. */
static int parse_simple(const convc_model *m, cv_args *a, const char **weights, const char **data,
                        cv_data_options *dopt, const char **out, int *json, long *limit_test,
                        int *threads, long *top, const char ***files, int *n_files)
{
    struct option opts[16];
    size_t n = 0;
    opts[n++] = (struct option){ "weights", required_argument, NULL, OPT_WEIGHTS };
    opts[n++] = (struct option){ "data", required_argument, NULL, OPT_DATA };
    opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
    if (out)
        opts[n++] = (struct option){ "out", required_argument, NULL, OPT_OUT };
    if (json)
        opts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
    if (limit_test)
        opts[n++] = (struct option){ "limit-test", required_argument, NULL,
                                     OPT_SETTING + SETTING_LIMIT_TEST };
    if (threads)
        opts[n++] = (struct option){ "threads", required_argument, NULL,
                                     OPT_SETTING + SETTING_THREADS };
    if (top)
        opts[n++] = (struct option){ "top", required_argument, NULL, OPT_TOP };
    if (dopt) {
        opts[n++] = (struct option){ "test-split", required_argument, NULL,
                                     OPT_SETTING + SETTING_TEST_SPLIT };
        opts[n++] = (struct option){ "skip-bad", no_argument, NULL,
                                     OPT_SETTING + SETTING_SKIP_BAD };
        opts[n++] = (struct option){ "image-size", required_argument, NULL, OPT_IMAGE_SIZE };
    }
    opts[n] = (struct option){ 0 };
    const char *val;
    int c;
    double x = 0;
    while ((c = args_next(a, opts, &val)) != ARGS_END) {
        switch (c) {
        case ARGS_ERROR:
            return EXIT_USAGE;
        case ARGS_OPERAND:
            if (!files)
                return usage_error(a, "unexpected argument '%s'", val);
            (*files)[(*n_files)++] = val;
            break;
        case 'h':
            if (!strcmp(a->cmd, "eval"))
                help_eval(a->prog);
            else if (!strcmp(a->cmd, "predict"))
                help_predict(a->prog);
            else
                help_viz(a->prog);
            return -1;
        case OPT_WEIGHTS: *weights = val; break;
        case OPT_DATA: *data = val; break;
        case OPT_OUT: *out = val; break;
        case OPT_JSON: *json = 1; break;
        case OPT_SETTING + SETTING_LIMIT_TEST:
            if (args_setting(a, val, SETTING_LIMIT_TEST, &x))
                return EXIT_USAGE;
            *limit_test = (long)x;
            break;
        case OPT_SETTING + SETTING_THREADS:
            if (args_setting(a, val, SETTING_THREADS, &x))
                return EXIT_USAGE;
            *threads = (int)x;
            break;
        case OPT_SETTING + SETTING_TEST_SPLIT:
            if (args_setting(a, val, SETTING_TEST_SPLIT, &dopt->test_split))
                return EXIT_USAGE;
            break;
        case OPT_SETTING + SETTING_SKIP_BAD:
            dopt->skip_bad = 1;
            break;
        case OPT_IMAGE_SIZE:
            if (parse_image_size(a, val, dopt))
                return EXIT_USAGE;
            break;
        case OPT_TOP:
            if (cv_parse_long(val, 1, m->n_classes, top) != 0)
                return usage_error(a, "%s: '%s' is not valid (expected an integer from 1 to "
                                   "%d)", a->flag, val, m->n_classes);
            break;
        default:
            return usage_error(a, "unknown option '%s'", a->flag);
        }
    }
    if (!*weights)
        return usage_error(a, "--weights CKPT is required");
    return 0;
}

static int cmd_eval(const convc_model *m, cv_args *a)
{
    const char *weights = NULL, *data = NULL;
    int json = 0, threads = 0;
    long limit_test = 0;
    cv_data_options dopt = dataset_default_options();
    int rc = parse_simple(m, a, &weights, &data, &dopt, NULL, &json, &limit_test, &threads,
                          NULL, NULL, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    cv_dataset d;
    float *params = load_weights_and_data(m, weights, data, &dopt, &d);
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

static int cmd_predict(const convc_model *m, cv_args *a)
{
    const char *weights = NULL, *data = NULL;
    long top = 1;
    const char **files = calloc((size_t)a->argc + 1, sizeof *files);
    int n_files = 0;
    if (!files)
        return 1;
    int rc = parse_simple(m, a, &weights, &data, NULL, NULL, NULL, NULL, NULL, &top, &files,
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

static int cmd_viz(const convc_model *m, cv_args *a)
{
    const char *weights = NULL, *data = NULL, *out = NULL;
    cv_data_options dopt = dataset_default_options();
    int rc = parse_simple(m, a, &weights, &data, &dopt, &out, NULL, NULL, NULL, NULL, NULL,
                          NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!out)
        return usage_error(a, "--out DIR is required");
    cv_dataset d;
    float *params = load_weights_and_data(m, weights, data, &dopt, &d);
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

int convc_trainer_run(const convc_model *m, uint64_t isa, int argc, char **argv)
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
    /* A first argument that is not an option names the command; its
     * options follow it (argv[1] plays getopt's program name). */
    const char *cmd = "train";
    int shift = 0;
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        shift = 1;
    }
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
                     !strcmp(argv[1], "help"))) {
        help_main(prog, m);
        return 0;
    }
    cv_args a;
    args_begin(&a, prog, cmd, argc - shift, argv + shift);
    if (!strcmp(a.cmd, "train")) {
        cv_exchange *x = exchange_open(&argc, &argv);
        int status = cmd_train(m, &a, x, isa);
        exchange_close(x, status == 1 || status == EXIT_USAGE);
        return status;
    }
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
