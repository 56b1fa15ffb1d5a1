/* train.c - the training loop.
 *
 * The gradient of a batch is defined over K = --workers slices of it, each
 * with its own gradient buffer, combined by one fixed pairwise tree
 * (slices.h, grad_tree.h).  Per batch there are two parallel phases on a
 * persistent pool:
 *   compute: thread t takes the t-th contiguous range of this process's
 *            slices, gathers and normalizes their images, runs forward and
 *            backward into each slice's buffer, a few images at a time;
 *   update:  thread t takes the t-th range of the parameters, sums the
 *            slices by the tree, scales by 1 / batch size (the loss is the
 *            batch mean, as in Keras) and applies the optimizer.
 * Every floating-point sum has an order fixed by K, so the same seed and K
 * give the same bits for any number of threads and processes.  A model
 * with batch statistics (batchnorm) computes its slices as the blocks of
 * train_blocks.h.  With several processes (exchange.h) a presum phase and
 * an exchange come between the two phases. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "train/checkpoint.h"
#include "train/eval.h"
#include "train/history.h"
#include "train/init.h"
#include "train/progress.h"
#include "base/settings.h"
#include "base/threads.h"
#include "train/grad_tree.h"
#include "train/slices.h"
#include "train/train.h"
#include "train/train_blocks.h"

typedef struct {
    /* one slice's images, scratch, outputs, one image's copy for
     * augmentation */
    float *x, *work, *probs, *aug;
    uint8_t *labels;
    uint64_t *seeds;
} thread_buf;

typedef struct { size_t begin, end; } param_range;

typedef struct {
    const convc_model *m;
    const cv_images *images;
    const uint32_t *order;      /* image of each epoch position */
    size_t first;               /* epoch position of the batch's first image */
    int n;                      /* images in the batch */
    uint64_t seed;
    uint32_t epoch;
    const cv_augment *augment;
    float *params;
    cv_optimizer *opt;
    thread_buf *tb;
    cv_slices *slices;
    const param_range *frozen;  /* the non-trainable tensors, in offset order */
    int n_frozen;
} batch_job;

cv_train_config train_defaults(void)
{
    cv_train_config c = {
        .epochs = 10, .batch = 32, .threads = 0, .workers = 4, .seed = 1,
        .optim = optim_defaults(OPTIM_ADAM), .schedule = schedule_defaults(), .shuffle = 1,
        .data = dataset_default_options(), .out = stdout,
    };
    return c;
}

/* Where each setting lives in the configuration.  ORDER: none. */
#define SETTING_FIELDS(X)                                                       \
    X(EPOCHS, c->epochs, int) X(BATCH, c->batch, int) X(THREADS, c->threads, int) \
    X(WORKERS, c->workers, int)                                                 \
    X(LR, c->optim.lr, double) X(MOMENTUM, c->optim.momentum, double)           \
    X(VAL_SPLIT, c->val_split, double) X(LIMIT_TRAIN, c->limit_train, size_t)   \
    X(LIMIT_TEST, c->limit_test, size_t) X(STEPS, c->steps, long)               \
    X(SAVE_EVERY, c->save_every, long) X(OPTIMIZER, c->optim.kind, int)         \
    X(SHUFFLE, c->shuffle, int) X(SCHEDULE, c->schedule.kind, int)             \
    X(LR_FACTOR, c->schedule.factor, double) X(LR_EVERY, c->schedule.every, int) \
    X(WARMUP, c->schedule.warmup, long) X(LR_PATIENCE, c->schedule.patience, int) \
    X(MIN_LR, c->schedule.min_lr, double)                                      \
    X(WEIGHT_DECAY, c->optim.weight_decay, double) X(DECAY_ALL, c->decay_all, int) \
    X(EARLY_STOP, c->early_stop, int) X(RESTORE_BEST, c->restore_best, int)    \
    X(SHIFT, c->augment.shift, int) X(FLIP, c->augment.flip, int)               \
    X(CROP_PAD, c->augment.crop_pad, int) X(CUTOUT, c->augment.cutout, int)      \
    X(TEST_SPLIT, c->data.test_split, double) X(SKIP_BAD, c->data.skip_bad, int)

double train_setting(const cv_train_config *c, cv_setting_id s)
{
    switch (s) {
#define GET(id, field, type) case SETTING_##id: return (double)(field);
    SETTING_FIELDS(GET)
#undef GET
    default:
        return 0;
    }
}

void train_set(cv_train_config *c, cv_setting_id s, double v)
{
    switch (s) {
#define SET(id, field, type) case SETTING_##id: field = (type)v; break;
    SETTING_FIELDS(SET)
#undef SET
    default:
        break;
    }
}

/* Samples per forward/backward round within a thread's slice.  The
 * parameters do not change within a batch, so running forward and backward
 * on a few samples at a time gives the same gradients while the activations
 * of those samples (work_per_sample floats each) stay in cache between the
 * two passes, instead of a whole slice streaming through memory: at most
 * CHUNK_BYTES of them, in multiples of CONVC_SAMPLE_GROUP to keep the
 * generated dense layers' groups whole.  A model with little scratch per sample
 * runs its slice in one round. */
#define CHUNK_BYTES (4u << 20)

static size_t train_chunk(const convc_model *m)
{
    size_t c = CHUNK_BYTES / (m->work_per_sample * sizeof(float) + 1) / CONVC_SAMPLE_GROUP *
               CONVC_SAMPLE_GROUP;
    return c < CONVC_SAMPLE_GROUP ? CONVC_SAMPLE_GROUP : c;
}

/* Slice k (images [lo, hi) of the batch) into its gradient buffer. */
static void compute_slice(const batch_job *j, thread_buf *b, int k, size_t lo, size_t hi)
{
    const convc_model *m = j->m;
    double loss = 0;
    size_t correct = 0, n = hi - lo;
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    float *grads = slices_grads(j->slices)[k];
    if (n > 0) {
        dataset_gather(j->images, j->order + j->first + lo, 0, n, b->x, b->labels);
        for (size_t i = 0; i < n; i++)
            b->seeds[i] = rng_mix3(j->seed, j->epoch, j->first + lo + i);
        if (augment_enabled(j->augment))
            for (size_t i = 0; i < n; i++)
                augment_image(j->augment, augment_seed(j->seed, j->epoch, j->first + lo + i),
                              b->x + i * in_size, m->in_h, m->in_w, m->in_c, b->aug);
    }
    size_t chunk = train_chunk(m);
    for (size_t c = 0; c < n; c += chunk) {
        int r = (int)(n - c < chunk ? n - c : chunk);
        const float *x = b->x + c * in_size;
        float *probs = b->probs + c * (size_t)m->n_classes;
        m->forward(j->params, b->work, x, r, probs, b->seeds + c);
        for (int i = 0; i < r; i++)
            correct += eval_argmax(probs + (size_t)i * m->n_classes, m->n_classes) ==
                       b->labels[c + (size_t)i];
        loss += m->backward(j->params, grads, b->work, x, b->labels + c, r);
    }
    slices_set_result(j->slices, k, loss, correct);
}

/* Thread t's range of this process's slices. */
static void thread_slices(const cv_slices *s, int t, int T, int *lo, int *hi)
{
    int first, end;
    slices_own(s, &first, &end);
    size_t a, b;
    grad_part((size_t)(end - first), t, T, &a, &b);
    *lo = first + (int)a;
    *hi = first + (int)b;
}

static void compute_task(void *arg, int t, int T)
{
    batch_job *j = arg;
    int lo, hi;
    thread_slices(j->slices, t, T, &lo, &hi);
    for (int k = lo; k < hi; k++) {
        size_t a, b;
        slices_images(j->slices, k, (size_t)j->n, &a, &b);
        compute_slice(j, &j->tb[t], k, a, b);
    }
}

/* Floats per pass of the update phase: the summing, scaling and optimizer
 * passes over one chunk stay in L1. */
#define UPDATE_CHUNK 2048

/* The optimizer on [begin, end) except the non-trainable tensors (their
 * gradient is zero, but the optimizer's arithmetic must not touch them). */
static void apply_trainable(const batch_job *j, const float *g, float scale, size_t begin,
                            size_t end)
{
    for (int f = 0; f < j->n_frozen && begin < end; f++) {
        size_t fb = j->frozen[f].begin, fe = j->frozen[f].end;
        if (fe <= begin || fb >= end)
            continue;
        if (fb > begin)
            optim_apply(j->opt, j->params, g, scale, begin, fb);
        begin = fe;
    }
    if (begin < end)
        optim_apply(j->opt, j->params, g, scale, begin, end);
}

/* Several processes: the tree nodes inside this process's slices. */
static void presum_task(void *arg, int t, int T)
{
    batch_job *j = arg;
    size_t lo, hi;
    grad_part(j->m->n_params, t, T, &lo, &hi);
    for (size_t c = lo; c < hi; c += UPDATE_CHUNK)
        slices_presum(j->slices, c, hi - c < UPDATE_CHUNK ? hi : c + UPDATE_CHUNK);
}

static void update_task(void *arg, int t, int T)
{
    batch_job *j = arg;
    size_t lo, hi;
    grad_part(j->m->n_params, t, T, &lo, &hi);
    float *g = slices_grads(j->slices)[0];
    /* The mean's gradient, as the backward pass of a mean computes it. */
    const float scale = 1.0f / (float)j->n;
    for (size_t c = lo; c < hi; c += UPDATE_CHUNK) {
        size_t end = hi - c < UPDATE_CHUNK ? hi : c + UPDATE_CHUNK;
        slices_finish(j->slices, c, end);
        apply_trainable(j, g, scale, c, end);
        /* Zero the gradients for the next batch while they are in cache. */
        slices_zero(j->slices, c, end);
    }
}

static void *alloc_floats(size_t n)
{
    size_t bytes = (n ? n : 1) * sizeof(float);
    bytes = (bytes + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes);
}

static void free_buffers(thread_buf *tb, int T)
{
    if (!tb)
        return;
    for (int t = 0; t < T; t++) {
        free(tb[t].x);
        free(tb[t].work);
        free(tb[t].probs);
        free(tb[t].aug);
        free(tb[t].labels);
        free(tb[t].seeds);
    }
    free(tb);
}

/* Scratch for T threads, each computing one slice of up to `cap` images at
 * a time. */
static thread_buf *alloc_buffers(const convc_model *m, int T, size_t cap)
{
    thread_buf *tb = calloc((size_t)T, sizeof *tb);
    if (!tb)
        return NULL;
    size_t chunk = train_chunk(m);
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    for (int t = 0; t < T; t++) {
        tb[t].x = alloc_floats(cap * in_size);
        tb[t].work = alloc_floats(convc_work_floats(m, cap < chunk ? cap : chunk));
        tb[t].probs = alloc_floats(cap * (size_t)m->n_classes);
        tb[t].aug = alloc_floats(in_size);
        tb[t].labels = malloc(cap);
        tb[t].seeds = malloc(cap * sizeof *tb[t].seeds);
        if (!tb[t].x || !tb[t].work || !tb[t].probs || !tb[t].aug ||
            !tb[t].labels || !tb[t].seeds) {
            free_buffers(tb, T);
            return NULL;
        }
    }
    return tb;
}

/* Parameters and optimizer state, uninitialized; train_state_free undoes it. */
static int state_alloc(cv_train_state *st, const convc_model *m, const cv_train_config *cfg,
                       cv_error *e)
{
    memset(st, 0, sizeof *st);
    st->n_params = m->n_params;
    st->params = alloc_floats(m->n_params);
    if (!st->params)
        return cv_fail(e, "out of memory for %zu parameters", m->n_params);
    if (optim_init(&st->opt, &cfg->optim, m->n_params, e) < 0 ||
        optim_set_decay(&st->opt, m, cfg->decay_all, e) < 0) {
        train_state_free(st);
        return -1;
    }
    schedule_state_init(&st->sched, cfg->optim.lr);
    if (cfg->early_stop) {
        st->best = alloc_floats(m->n_params);
        if (!st->best) {
            train_state_free(st);
            return cv_fail(e, "out of memory for %zu best weights", m->n_params);
        }
    }
    return 0;
}

int train_state_new(cv_train_state *st, const convc_model *m, const cv_train_config *cfg,
                    cv_error *e)
{
    if (state_alloc(st, m, cfg, e) < 0)
        return -1;
    cv_rng r;
    rng_seed(&r, cfg->seed);
    init_params(m, st->params, &r);
    st->epoch_rng = r;
    if (st->best)
        memcpy(st->best, st->params, m->n_params * sizeof *st->best);
    return 0;
}

int train_state_resume(cv_train_state *st, const convc_model *m, const cv_train_config *cfg,
                       const char *path, cv_error *e)
{
    if (state_alloc(st, m, cfg, e) < 0)
        return -1;
    cv_ckpt_state cs;
    if (ckpt_load_run(path, m, &cs, st->params, st->opt.state,
                      optim_state_count(cfg->optim.kind), st->best, e) < 0) {
        train_state_free(st);
        return -1;
    }
    if ((int)cs.optimizer != cfg->optim.kind) {
        train_state_free(st);
        return cv_fail(e, "%s: optimizer: the checkpoint was trained with %s, this run asks "
                       "for %s", path, optim_kind_name((int)cs.optimizer),
                       optim_kind_name(cfg->optim.kind));
    }
    st->opt.step = cs.step;
    st->epoch = cs.epoch;
    st->batch_pos = cs.batch_pos;
    memcpy(st->epoch_rng.s, cs.rng, sizeof cs.rng);
    st->run_loss = cs.run_loss;
    st->run_correct = cs.run_correct;
    st->run_seen = cs.run_seen;
    st->resumed_n_train = cs.n_train;
    st->sched.plateau_lr = cs.plateau_lr;
    st->sched.plateau_best = cs.plateau_best;
    st->sched.plateau_wait = cs.plateau_wait;
    st->sched.best_loss = cs.best_loss;
    st->sched.best_epoch = cs.best_epoch;
    st->sched.stop_wait = cs.stop_wait;
    st->sched.stopped = cs.stopped;
    if (st->best && !cs.n_best)     /* the run did not stop early before */
        memcpy(st->best, st->params, m->n_params * sizeof *st->best);
    return 0;
}

void train_state_free(cv_train_state *st)
{
    free(st->params);
    free(st->best);
    optim_free(&st->opt);
    st->params = NULL;
    st->best = NULL;
}

int train_check_data(const convc_model *m, const cv_dataset *d, const char *dir, cv_error *e)
{
    if (d->train.h != m->in_h || d->train.w != m->in_w || d->train.c != m->in_c)
        return cv_fail(e, "%s: image size: the data set's images are %dx%dx%d but model '%s' "
                       "(%s) takes %dx%dx%d", dir, d->train.h, d->train.w, d->train.c,
                       m->name, m->spec_file, m->in_h, m->in_w, m->in_c);
    if (d->n_classes > m->n_classes)
        return cv_fail(e, "%s: labels: the data set has labels up to %d but model '%s' (%s) "
                       "has %d classes", dir, d->n_classes - 1, m->name, m->spec_file,
                       m->n_classes);
    return 0;
}

static int save(const char *path, const convc_model *m, const cv_train_config *cfg,
                const cv_train_state *st, size_t n_train, cv_error *e)
{
    if (!path)
        return 0;
    cv_ckpt_state cs = {
        .optimizer = (uint32_t)st->opt.cfg.kind, .lr = st->opt.cfg.lr,
        .beta1 = st->opt.cfg.beta1, .beta2 = st->opt.cfg.beta2,
        .epsilon = st->opt.cfg.epsilon, .momentum = st->opt.cfg.momentum,
        .step = st->opt.step, .batch = (uint32_t)cfg->batch,
        .workers = (uint32_t)cfg->workers, .epochs = (uint32_t)cfg->epochs,
        .shuffle = (uint32_t)cfg->shuffle, .seed = cfg->seed,
        .limit_train = cfg->limit_train, .n_train = n_train, .val_split = cfg->val_split,
        .limit_test = (uint32_t)cfg->limit_test,
        .epoch = st->epoch, .batch_pos = st->batch_pos, .run_loss = st->run_loss,
        .run_correct = st->run_correct, .run_seen = st->run_seen,
        .schedule = (uint32_t)cfg->schedule.kind, .lr_factor = cfg->schedule.factor,
        .lr_every = (uint32_t)cfg->schedule.every, .warmup = (uint64_t)cfg->schedule.warmup,
        .lr_patience = (uint32_t)cfg->schedule.patience, .min_lr = cfg->schedule.min_lr,
        .weight_decay = st->opt.cfg.weight_decay, .decay_all = (uint32_t)cfg->decay_all,
        .early_stop = (uint32_t)cfg->early_stop, .restore_best = (uint32_t)cfg->restore_best,
        .shift = (uint32_t)cfg->augment.shift, .flip = (uint32_t)cfg->augment.flip,
        .crop_pad = (uint32_t)cfg->augment.crop_pad, .cutout = (uint32_t)cfg->augment.cutout,
        .plateau_lr = st->sched.plateau_lr, .plateau_best = st->sched.plateau_best,
        .plateau_wait = st->sched.plateau_wait, .best_loss = st->sched.best_loss,
        .best_epoch = st->sched.best_epoch, .stop_wait = st->sched.stop_wait,
        .stopped = st->sched.stopped, .isa = cfg->isa, .data_hash = cfg->data_hash,
    };
    memcpy(cs.rng, st->epoch_rng.s, sizeof cs.rng);
    if (cfg->data_dir && strlen(cfg->data_dir) <= CKPT_MAX_STRING)
        memcpy(cs.data_dir, cfg->data_dir, strlen(cfg->data_dir) + 1);
    return ckpt_save_run(path, m, &cs, st->params, st->opt.state,
                         optim_state_count(st->opt.cfg.kind), st->best, e);
}

typedef struct {
    cv_pool *pool;
    thread_buf *tb;
    train_blocks *blocks;       /* a model with batch statistics */
    cv_slices *slices;
    param_range *frozen;
    uint32_t *order;
    FILE *history;
} run_resources;

static void release(run_resources *r, int T)
{
    pool_destroy(r->pool);
    free_buffers(r->tb, T);
    train_blocks_free(r->blocks);
    slices_free(r->slices);
    free(r->frozen);
    free(r->order);
    if (r->history)
        fclose(r->history);
}

const char *train_monitor_name(const cv_train_config *cfg)
{
    return cfg->val_split > 0 ? "val_loss" : "test_loss";
}

/* Evaluates at the end of an epoch, lets the plateau schedule and early
 * stopping see the monitored loss, prints the epoch's line and writes its
 * history row. */
static int finish_epoch(const convc_model *m, const cv_dataset *d, const cv_train_config *cfg,
                        cv_train_state *st, run_resources *r, cv_progress *prog,
                        size_t n_train, size_t n_val, size_t done, cv_error *e)
{
    cv_epoch_line l = { 0 };
    l.loss = st->run_seen ? st->run_loss / (double)st->run_seen : 0;
    l.acc = st->run_seen ? (double)st->run_correct / (double)st->run_seen : 0;
    cv_eval ev;
    double eval_start = progress_now();
    if (n_val > 0) {
        if (eval_images(m, r->pool, st->params, &d->train, n_train, n_val, &ev, e) < 0)
            return -1;
        l.has_val = 1;
        l.val_loss = ev.loss;
        l.val_acc = ev.accuracy;
        eval_free(&ev);
    }
    size_t n_test = cfg->limit_test && cfg->limit_test < d->test.n ? cfg->limit_test
                                                                   : d->test.n;
    if (eval_images(m, r->pool, st->params, &d->test, 0, n_test, &ev, e) < 0)
        return -1;
    l.has_test = 1;
    l.test_loss = ev.loss;
    l.test_acc = ev.accuracy;
    eval_free(&ev);
    double now = progress_now();
    l.seconds = now - prog->start;
    l.lr = st->opt.lr;
    l.show_lr = cfg->schedule.kind != CV_SCHEDULE_CONSTANT;
    double monitored = n_val > 0 ? l.val_loss : l.test_loss;
    uint32_t epoch = st->epoch + 1;
    l.reduced_lr = schedule_epoch_end(&cfg->schedule, &st->sched, monitored);
    l.best = early_stop_epoch_end(&st->sched, cfg->early_stop, epoch, monitored);
    if (l.best)
        memcpy(st->best, st->params, m->n_params * sizeof *st->best);
    l.stopped = st->sched.stopped;
    l.next_lr = st->sched.plateau_lr;
    progress_epoch_end(prog, done, &l);
    if (r->history) {
        cv_history_row h = { .epoch = (int)epoch, .train_loss = l.loss, .train_acc = l.acc,
                             .test_loss = l.test_loss, .test_acc = l.test_acc,
                             .seconds = l.seconds, .eval_seconds = now - eval_start,
                             .lr = l.lr, .has_val = l.has_val,
                             .val_loss = l.val_loss, .val_acc = l.val_acc,
                             .event = l.stopped ? "stopped" : l.best ? "best" : "" };
        if (history_append(r->history, cfg->history_path, &h, e) < 0)
            return -1;
    }
    return 0;
}

int train_run(const convc_model *m, const cv_dataset *d, const cv_train_config *cfg,
              cv_train_state *st, cv_error *e)
{
    if (train_check_data(m, d, "data", e) < 0)
        return -1;
    size_t n_all = cfg->limit_train && cfg->limit_train < d->train.n ? cfg->limit_train
                                                                     : d->train.n;
    /* Keras: split_at = int(n * (1 - validation_split)). */
    size_t n_train = (size_t)((double)n_all * (1.0 - cfg->val_split));
    size_t n_val = n_all - n_train;
    if (n_train == 0)
        return cv_fail(e, "no training images left (%zu images, validation split %g)", n_all,
                       cfg->val_split);
    if (st->resumed_n_train && st->resumed_n_train != n_train)
        return cv_fail(e, "resume: the checkpoint trained on %llu images per epoch, this run "
                       "has %zu (--limit-train or --val-split differ)",
                       (unsigned long long)st->resumed_n_train, n_train);
    int T = cfg->threads > 0 ? cfg->threads : 1;
    run_resources r = { 0 };
    r.pool = pool_create(T, e);
    if (!r.pool)
        return -1;
    batch_job job = { .m = m, .images = &d->train, .seed = cfg->seed,
                      .augment = &cfg->augment, .params = st->params, .opt = &st->opt };
    const cv_exchange *x = cfg->exchange;
    int K = cfg->workers, first, end;
    r.slices = slices_new(m->n_params, K, x, e);
    if (!r.slices) {
        release(&r, T);
        return -1;
    }
    job.slices = r.slices;
    slices_own(r.slices, &first, &end);
    if (end - first < T && !cfg->quiet)
        fprintf(cfg->out, "note: %d of the %d threads have no slice of the batch to compute "
                "(--workers %d%s); they help with the optimizer and evaluation only (a "
                "larger --workers gives them slices)\n", T - (end - first), T, K,
                x ? " over all processes" : "");
    if (m->n_train_steps > 0) {
        r.blocks = train_blocks_new(m, cfg->batch, r.slices, x, e);
        if (!r.blocks) {
            release(&r, T);
            return -1;
        }
    } else {
        size_t cap = ((size_t)cfg->batch + (size_t)K - 1) / (size_t)K;
        r.tb = alloc_buffers(m, T, cap);
        if (!r.tb) {
            release(&r, T);
            return cv_fail(e, "out of memory for %d threads' buffers (%zu images, %zu floats "
                           "of scratch per image)", T, cap, m->work_per_sample);
        }
    }
    r.frozen = malloc(((size_t)m->n_tensors + 1) * sizeof *r.frozen);
    r.order = malloc(n_train * sizeof *r.order);
    if (!r.frozen || !r.order) {
        release(&r, T);
        return cv_fail(e, "out of memory for the order of %zu training images", n_train);
    }
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].non_trainable) {
            r.frozen[job.n_frozen].begin = m->tensors[i].offset;
            r.frozen[job.n_frozen++].end = m->tensors[i].offset + m->tensors[i].count;
        }
    job.frozen = r.frozen;
    job.order = r.order;
    job.tb = r.tb;
    if (cfg->history_path) {
        r.history = history_open(cfg->history_path, (int)st->epoch, e);
        if (!r.history) {
            release(&r, T);
            return -1;
        }
    }
    cv_progress prog;
    progress_init(&prog, cfg->out, cfg->quiet);
    size_t n_batches = (n_train + (size_t)cfg->batch - 1) / (size_t)cfg->batch;
    long steps_run = 0;
    int status = TRAIN_FINISHED;
    uint64_t total_steps = (uint64_t)cfg->epochs * n_batches;

    while (st->epoch < (uint32_t)cfg->epochs && !st->sched.stopped) {
        cv_rng rng = st->epoch_rng;
        if (cfg->shuffle)
            rng_permutation(&rng, r.order, n_train);
        else
            for (size_t i = 0; i < n_train; i++)
                r.order[i] = (uint32_t)i;
        job.epoch = st->epoch;
        progress_epoch_begin(&prog, (int)st->epoch + 1, cfg->epochs, n_batches,
                             st->batch_pos);
        while (st->batch_pos < n_batches) {
            /* A signal to any process stops them all before the same batch. */
            int sig = cfg->stop_signal ? *cfg->stop_signal : 0;
            if (x && (sig = x->max_int(x, sig)) != 0 && cfg->stop_signal)
                *cfg->stop_signal = sig;
            if (sig) {
                status = TRAIN_INTERRUPTED;
                goto stop;
            }
            if (cfg->steps > 0 && steps_run >= cfg->steps) {
                status = TRAIN_STEPS_DONE;
                goto stop;
            }
            job.first = st->batch_pos * (size_t)cfg->batch;
            job.n = (int)(n_train - job.first < (size_t)cfg->batch ? n_train - job.first
                                                                   : (size_t)cfg->batch);
            if (r.blocks)
                train_blocks_run(r.blocks, r.pool, &d->train, r.order, job.first, job.n,
                                 cfg->seed, job.epoch, &cfg->augment, st->params);
            else
                pool_run(r.pool, compute_task, &job);
            if (x) {
                pool_run(r.pool, presum_task, &job);
                slices_exchange(r.slices);
            }
            size_t correct;
            double loss = slices_loss(r.slices, &correct);
            if (!isfinite(loss)) {
                release(&r, T);
                return cv_fail(e, "the loss is %s in epoch %u, batch %llu; stopped (the last "
                               "good checkpoint is kept%s%s)", isnan(loss) ? "NaN" : "infinite",
                               st->epoch + 1, (unsigned long long)st->batch_pos + 1,
                               cfg->save_path ? ": " : "",
                               cfg->save_path ? cfg->save_path : "");
            }
            st->opt.lr = schedule_lr(&cfg->schedule, &st->sched, cfg->optim.lr, st->opt.step,
                                     st->epoch, total_steps);
            optim_begin_step(&st->opt);
            pool_run(r.pool, update_task, &job);
            if (r.blocks)
                train_blocks_update_moving(r.blocks, st->params);
            st->run_loss += loss;
            st->run_correct += correct;
            st->run_seen += (uint64_t)job.n;
            st->batch_pos++;
            steps_run++;
            progress_update(&prog, st->batch_pos, st->run_loss / (double)st->run_seen,
                            (double)st->run_correct / (double)st->run_seen);
            if (cfg->save_every > 0 && st->opt.step % (uint64_t)cfg->save_every == 0 &&
                st->batch_pos < n_batches &&
                save(cfg->save_path, m, cfg, st, n_train, e) < 0) {
                release(&r, T);
                return -1;
            }
        }
        if (finish_epoch(m, d, cfg, st, &r, &prog, n_train, n_val, n_batches, e) < 0) {
            release(&r, T);
            return -1;
        }
        st->epoch++;
        st->batch_pos = 0;
        st->epoch_rng = rng;
        st->run_loss = 0;
        st->run_correct = 0;
        st->run_seen = 0;
        if (st->sched.stopped && cfg->restore_best && st->sched.best_epoch > 0)
            memcpy(st->params, st->best, m->n_params * sizeof *st->params);
        if (save(cfg->save_path, m, cfg, st, n_train, e) < 0) {
            release(&r, T);
            return -1;
        }
    }
    release(&r, T);
    return st->sched.stopped ? TRAIN_STOPPED_EARLY : TRAIN_FINISHED;

stop:
    if (!cfg->quiet && prog.tty)
        fputc('\n', cfg->out);
    release(&r, T);
    if (save(cfg->save_path, m, cfg, st, n_train, e) < 0)
        return -1;
    return status;
}
