/* bench.c - the convc side of `make bench`, built once per generated model:
 *
 *   cc $(MODEL_CFLAGS) -Iruntime -DBENCH_MODEL=cnn_k3_model \
 *      bench/bench.c build/bench/cnn_k3/model.o build/libconvc.a $(LIBS)
 *
 * Measures what a user of the model gets: training through the runtime's own
 * loop, train_run() (its thread pool, the gradients of 4 batch slices
 * summed by a fixed tree, Adam), one-image inference latency and the throughput of batches of
 * 1,000 split over the same thread pool.  Images are synthetic (random
 * pixels and labels): the generated code has no data-dependent branches
 * worth timing, and the bench then needs no data set.
 *
 * Output, CSV on stdout (the columns torch_ref.py prints too):
 *   impl,model,metric,config,value,note
 * run.sh derives GFLOP/s and the share of the FMA peak from these lines.
 *
 *   bench [--seconds S] [--max-threads T]   measure the linked model
 *   bench ... --train-only                  only training at batch 32
 *   bench --rss COMMAND [ARG...]            run COMMAND, print its peak RSS */
#define _GNU_SOURCE
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "convc_model.h"
#include "data/dataset.h"
#include "train/init.h"
#include "base/fpmode.h"
#include "base/options.h"
#include "base/parse_num.h"
#include "base/rng.h"
#include "base/threads.h"
#include "train/train.h"

#ifndef BENCH_MODEL
#error "build with -DBENCH_MODEL=<name>_model (the generated model's descriptor)"
#endif
extern const convc_model BENCH_MODEL;

#define SYNTHETIC_IMAGES  8192   /* the training set: 256 steps of 32 per epoch */
#define THROUGHPUT_BATCH  1000
#define MAX_THREADS       64
#define MAX_LATENCY_RUNS  200000

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 64-byte aligned, so vector loads in the generated code never split lines;
 * exits on failure: a benchmark without memory has nothing to report. */
static float *alloc_floats(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        fprintf(stderr, "bench: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    memset(p, 0, bytes);
    return p;
}

static void emit(const char *metric, const char *config, double value, const char *note)
{
    printf("convc,%s,%s,%s,%.6g,%s\n", BENCH_MODEL.name, metric, config, value, note);
    fflush(stdout);
}

/* Items per second of fn(ctx), which handles `items` per call: the best of
 * up to RATE_WINDOWS windows filling about `seconds` after `warmup` calls.
 * The best window is the one least disturbed by other processes on a shared
 * machine; PyTorch's side is measured the same way.  A call longer than a
 * window makes a window of its own.  *median (when not NULL) gets the
 * windows' median, the typical rate on a shared machine, which compares
 * with one long run such as a real epoch. */
#define RATE_WINDOWS 5
static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double best_rate(void (*fn)(void *), void *ctx, int items, double seconds, int warmup,
                        double *median)
{
    for (int i = 0; i < warmup; i++)
        fn(ctx);
    double t0 = now_seconds();
    fn(ctx);
    double call = now_seconds() - t0;
    int windows = call > 0 ? (int)(seconds / call) : RATE_WINDOWS;
    windows = windows < 1 ? 1 : windows > RATE_WINDOWS ? RATE_WINDOWS : windows;
    double rates[RATE_WINDOWS], window = seconds / windows;
    double first = call > 0 ? items / call : 0, best = first;
    for (int w = 0; w < windows; w++) {
        long calls = 0;
        double elapsed;
        t0 = now_seconds();
        do {
            fn(ctx);
            calls++;
            elapsed = now_seconds() - t0;
        } while (elapsed < window);
        rates[w] = (double)calls * items / elapsed;
        if (rates[w] > best)
            best = rates[w];
    }
    if (median) {
        qsort(rates, (size_t)windows, sizeof rates[0], compare_doubles);
        *median = windows % 2 ? rates[windows / 2]
                              : (rates[windows / 2 - 1] + rates[windows / 2]) / 2;
    }
    return best;
}

/* ---- training: the runtime's own loop (runtime/train.c) ----------------- */

typedef struct {
    const convc_model *m;
    const cv_dataset *data;
    cv_train_config cfg;
    cv_train_state st;
} training;

static void training_call(void *p)
{
    training *t = p;
    cv_error e;
    if (train_run(t->m, t->data, &t->cfg, &t->st, &e) < 0) {
        fprintf(stderr, "bench: training: %s\n", e.msg);
        exit(1);
    }
}

/* Images per second of train_run() with `batch` images per step on `threads`
 * threads, Adam with Keras' defaults.  Each window is one train_run() call of
 * a number of steps that fills it; the state carries over between calls, as
 * in a resumed run, so every call continues the same training. */
static double train_images_per_second(const convc_model *m, const cv_dataset *data,
                                      int batch, int threads, double seconds, FILE *devnull,
                                      double *median)
{
    training t = { .m = m, .data = data, .cfg = train_defaults() };
    t.cfg.batch = batch;
    t.cfg.threads = threads;
    t.cfg.epochs = 1000000;       /* bounded by steps, never by epochs */
    t.cfg.quiet = 1;
    t.cfg.out = devnull;
    cv_error e;
    if (train_state_new(&t.st, m, &t.cfg, &e) < 0) {
        fprintf(stderr, "bench: %s\n", e.msg);
        exit(1);
    }
    /* Calibrate the steps per call to about one window of best_rate(). */
    t.cfg.steps = 3;
    double t0 = now_seconds();
    training_call(&t);
    double per_step = (now_seconds() - t0) / 3;
    long steps = (long)(seconds / RATE_WINDOWS / per_step);
    t.cfg.steps = steps < 2 ? 2 : steps;
    double rate = best_rate(training_call, &t, batch * (int)t.cfg.steps, seconds, 0, median);
    train_state_free(&t.st);
    return rate;
}

/* Random images and labels in the shape the model takes.  The test set is
 * one image: train_run() evaluates it when a call crosses an epoch's end. */
static void synthetic_dataset(const convc_model *m, cv_dataset *d, cv_rng *r)
{
    memset(d, 0, sizeof *d);
    size_t image_bytes = (size_t)m->in_h * (size_t)m->in_w * (size_t)m->in_c;
    cv_images *sets[2] = { &d->train, &d->test };
    size_t counts[2] = { SYNTHETIC_IMAGES, 1 };
    for (int s = 0; s < 2; s++) {
        cv_images *im = sets[s];
        im->n = counts[s];
        im->h = m->in_h;
        im->w = m->in_w;
        im->c = m->in_c;
        im->images = malloc(im->n * image_bytes);
        im->labels = malloc(im->n);
        if (!im->images || !im->labels) {
            fprintf(stderr, "bench: out of memory\n");
            exit(1);
        }
        for (size_t i = 0; i < im->n * image_bytes; i++)
            im->images[i] = (uint8_t)rng_below(r, 256);
        for (size_t i = 0; i < im->n; i++)
            im->labels[i] = (uint8_t)rng_below(r, (uint64_t)m->n_classes);
    }
    d->n_classes = m->n_classes;
}

static void synthetic_dataset_free(cv_dataset *d)
{
    free(d->train.images);
    free(d->train.labels);
    free(d->test.images);
    free(d->test.labels);
}

/* ---- inference ------------------------------------------------------------ */

/* Median wall time of forward() on one image, in microseconds. */
static double latency_us(const convc_model *m, const float *params, const float *image,
                         double seconds)
{
    float *work = alloc_floats(convc_work_floats(m, 1));
    float *probs = alloc_floats((size_t)m->n_classes);
    double *samples = malloc(MAX_LATENCY_RUNS * sizeof *samples);
    if (!samples) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < 20; i++)
        m->forward(params, work, image, 1, probs, NULL);
    int n = 0;
    double end = now_seconds() + seconds;
    while (n < MAX_LATENCY_RUNS && (n < 50 || now_seconds() < end)) {
        double t0 = now_seconds();
        m->forward(params, work, image, 1, probs, NULL);
        samples[n++] = now_seconds() - t0;
    }
    qsort(samples, (size_t)n, sizeof *samples, compare_doubles);
    double median = samples[n / 2] * 1e6;
    free(samples);
    free(work);
    free(probs);
    return median;
}

/* Thread t's share [lo, hi) of n items, in contiguous, balanced slices. */
static void slice(size_t n, int t, int threads, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)t / (size_t)threads;
    *hi = n * (size_t)(t + 1) / (size_t)threads;
}

typedef struct {
    const convc_model *m;
    const float *params, *images;
    size_t image_floats;
    float *work[MAX_THREADS], *probs[MAX_THREADS];
} inference;

static void inference_task(void *arg, int t, int threads)
{
    inference *in = arg;
    size_t lo, hi;
    slice(THROUGHPUT_BATCH, t, threads, &lo, &hi);
    if (hi > lo)
        in->m->forward(in->params, in->work[t], in->images + lo * in->image_floats,
                       (int)(hi - lo), in->probs[t], NULL);
}

typedef struct {
    inference *in;
    cv_pool *pool;
} inference_ctx;

static void inference_call(void *p)
{
    inference_ctx *c = p;
    pool_run(c->pool, inference_task, c->in);
}

/* Images per second of inference on batches of THROUGHPUT_BATCH split across
 * `threads` threads. */
static double throughput(const convc_model *m, const float *params, const float *images,
                         int threads, double seconds)
{
    cv_error e;
    cv_pool *pool = pool_create(threads, &e);
    if (!pool) {
        fprintf(stderr, "bench: %s\n", e.msg);
        exit(1);
    }
    inference in = { .m = m, .params = params, .images = images };
    in.image_floats = (size_t)m->in_h * (size_t)m->in_w * (size_t)m->in_c;
    size_t per_thread = (THROUGHPUT_BATCH + (size_t)threads - 1) / (size_t)threads;
    for (int t = 0; t < threads; t++) {
        in.work[t] = alloc_floats(convc_work_floats(m, per_thread));
        in.probs[t] = alloc_floats(per_thread * (size_t)m->n_classes);
    }
    inference_ctx ctx = { &in, pool };
    double rate = best_rate(inference_call, &ctx, THROUGHPUT_BATCH, seconds, 1, NULL);
    for (int t = 0; t < threads; t++) {
        free(in.work[t]);
        free(in.probs[t]);
    }
    pool_destroy(pool);
    return rate;
}

/* ---- peak memory of another program -------------------------------------- */

static int run_for_rss(char **argv)
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        /* The trainer's own output is not part of the CSV. */
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execvp(argv[0], argv);
        fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        fprintf(stderr, "bench: wait: %s\n", strerror(errno));
        return 1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: %s failed (status %d)\n", argv[0], status);
        return 1;
    }
    printf("%.1f\n", (double)ru.ru_maxrss / 1024.0);   /* ru_maxrss is in KiB */
    return 0;
}

/* ---- main ----------------------------------------------------------------- */

static double peak_rss_mb_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static const char bench_usage[] =
    "usage: bench [--seconds S] [--max-threads T] [--train-only]\n"
    "       bench --rss COMMAND [ARG...]\n";

static const struct option bench_options[] = {
    { "seconds", required_argument, NULL, 's' },
    { "max-threads", required_argument, NULL, 't' },
    { "train-only", no_argument, NULL, 'T' },
    { "rss", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    double seconds = 1.5;
    long max_threads = 2;
    int train_only = 0, rss = 0, c;
    cv_flush_denormals();       /* as the trainer does */
    optind = 0;
    /* '+': after --rss, COMMAND and its own options */
    while (!rss && (c = cv_getopt(argc, argv, "+h", bench_options, "bench")) != -1) {
        switch (c) {
        case 's':
            if (cv_parse_double(optarg, &seconds) != 0 || seconds <= 0)
                return cv_option_invalid("bench", "--seconds", optarg, "a number above 0");
            break;
        case 't':
            if (cv_parse_long(optarg, 1, MAX_THREADS, &max_threads) != 0) {
                char expected[32];
                snprintf(expected, sizeof expected, "an integer from 1 to %d", MAX_THREADS);
                return cv_option_invalid("bench", "--max-threads", optarg, expected);
            }
            break;
        case 'T':
            train_only = 1;
            break;
        case 'r':
            rss = 1;
            break;
        case 'h':
            fputs(bench_usage, stdout);
            return 0;
        default:
            fputs(bench_usage, stderr);
            return 2;
        }
    }
    if (rss && optind < argc)
        return run_for_rss(argv + optind);
    if (rss || optind < argc) {
        fprintf(stderr, "bench: %s\n%s", rss ? "--rss needs a COMMAND" : "unexpected argument",
                bench_usage);
        return 2;
    }
#ifdef __GLIBC__
    /* Each measurement window is one train_run() call, which allocates its
     * buffers; keep freed memory in the heap so that later calls reuse it
     * instead of page-faulting fresh memory in, as one long run would. */
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, -1);
#endif
    const convc_model *m = &BENCH_MODEL;
    if (m->abi != CONVC_MODEL_ABI) {
        fprintf(stderr, "bench: model %s has ABI %d, the runtime expects %d\n", m->name,
                m->abi, CONVC_MODEL_ABI);
        return 1;
    }

    size_t image_floats = (size_t)m->in_h * (size_t)m->in_w * (size_t)m->in_c;
    cv_rng r;
    rng_seed(&r, 42);
    float *images = alloc_floats(THROUGHPUT_BATCH * image_floats);
    for (size_t i = 0; i < THROUGHPUT_BATCH * image_floats; i++)
        images[i] = rng_float(&r);
    cv_dataset data;
    synthetic_dataset(m, &data, &r);
    FILE *devnull = fopen("/dev/null", "w");
    if (!devnull) {
        fprintf(stderr, "bench: /dev/null: %s\n", strerror(errno));
        return 1;
    }

    printf("impl,model,metric,config,value,note\n");
    emit("flops_forward", "per_image", (double)m->flops_forward, "");
    emit("params", "count", (double)m->n_params, "");

    static const int batches[] = { 32, 128 };
    char config[64];
    for (int b = 0; b < (train_only ? 1 : 2); b++) {
        for (int t = 1; t <= max_threads; t++) {
            double median;
            double ips = train_images_per_second(m, &data, batches[b], t, seconds, devnull,
                                                 &median);
            snprintf(config, sizeof config, "b%d_t%d", batches[b], t);
            emit("train_ips", config, ips, "");
            emit("train_ips_median", config, median, "the median window");
        }
    }
    if (train_only) {
        synthetic_dataset_free(&data);
        free(images);
        fclose(devnull);
        return 0;
    }
    emit("rss_mb", "bench_loop", peak_rss_mb_self(),
         "peak RSS of this benchmark's own training loops");

    float *params = alloc_floats(m->n_params);
    rng_seed(&r, 1);
    init_params(m, params, &r);
    emit("latency_us", "n1_t1", latency_us(m, params, images, seconds), "");
    for (int t = 1; t <= max_threads; t++) {
        snprintf(config, sizeof config, "b%d_t%d", THROUGHPUT_BATCH, t);
        emit("throughput_ips", config, throughput(m, params, images, t, seconds), "");
    }

    free(params);
    free(images);
    synthetic_dataset_free(&data);
    fclose(devnull);
    return 0;
}
