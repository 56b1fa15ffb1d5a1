/* train_blocks.c - a training batch of a model with batch statistics, in
 * blocks (the batch's gradient slices) run through the model's steps
 * (train_blocks.h). */
#include <stdlib.h>
#include <string.h>
#include "base/rng.h"
#include "train/eval.h"
#include "train/grad_tree.h"
#include "train/train_blocks.h"

typedef struct {
    float *x, *work, *probs, *aug;     /* aug: one image, augmentation's scratch */
    uint8_t *labels;
    uint64_t *seeds;
    double loss;
} block_buf;

struct train_blocks {
    const convc_model *m;
    cv_slices *slices;          /* block k is slice k */
    const cv_exchange *x;       /* NULL: one process */
    int first, end;             /* this process's blocks */
    block_buf *b;               /* b[k - first] for block k */
    float *stats;               /* convc_stats_floats(m, batch) */
    /* Several processes, a batch step of a process without slice 0: the
     * batch's sums go here and are dropped (slice 0's owner keeps them). */
    float *dropped;
    int *row_count, *row_displ; /* per process: its samples' statistics rows */
    /* the batch being run */
    const cv_images *images;
    const uint32_t *order;
    size_t first_image;
    int n, step;
    uint64_t seed;
    uint32_t epoch;
    const cv_augment *augment;
    const float *params;
};

static void *alloc_floats(size_t n)
{
    size_t bytes = (n ? n : 1) * sizeof(float);
    bytes = (bytes + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes);
}

void train_blocks_free(train_blocks *tb)
{
    if (!tb)
        return;
    for (int k = 0; tb->b && k < tb->end - tb->first; k++) {
        free(tb->b[k].x);
        free(tb->b[k].aug);
        free(tb->b[k].work);
        free(tb->b[k].probs);
        free(tb->b[k].labels);
        free(tb->b[k].seeds);
    }
    free(tb->b);
    free(tb->stats);
    free(tb->dropped);
    free(tb->row_count);
    free(tb->row_displ);
    free(tb);
}

train_blocks *train_blocks_new(const convc_model *m, int batch, cv_slices *slices,
                               const cv_exchange *x, cv_error *e)
{
    train_blocks *tb = calloc(1, sizeof *tb);
    if (!tb) {
        cv_fail(e, "out of memory for the training blocks");
        return NULL;
    }
    tb->m = m;
    tb->slices = slices;
    tb->x = x;
    slices_own(slices, &tb->first, &tb->end);
    int K = slices_count(slices), P = x ? x->size : 1;
    tb->b = calloc((size_t)(tb->end - tb->first), sizeof *tb->b);
    tb->stats = alloc_floats(convc_stats_floats(m, (size_t)batch));
    tb->row_count = calloc((size_t)P, sizeof(int));
    tb->row_displ = calloc((size_t)P, sizeof(int));
    int ok = tb->b && tb->stats && tb->row_count && tb->row_displ;
    if (ok && x && tb->first > 0)
        ok = (tb->dropped = alloc_floats(m->n_params)) != NULL;
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    size_t B = ((size_t)batch + (size_t)K - 1) / (size_t)K;    /* the largest block */
    for (int k = 0; ok && k < tb->end - tb->first; k++) {
        block_buf *b = &tb->b[k];
        b->x = alloc_floats(B * in_size);
        b->aug = alloc_floats(in_size);
        b->work = alloc_floats(convc_work_floats(m, B));
        b->probs = alloc_floats(B * (size_t)m->n_classes);
        b->labels = malloc(B);
        b->seeds = malloc(B * sizeof *b->seeds);
        ok = b->x && b->aug && b->work && b->probs && b->labels && b->seeds;
    }
    if (!ok) {
        train_blocks_free(tb);
        cv_fail(e, "out of memory for the training blocks (batch %d, %zu floats of scratch "
                "per image)", batch, m->work_per_sample);
        return NULL;
    }
    if (tb->dropped)
        memset(tb->dropped, 0, m->n_params * sizeof *tb->dropped);
    return tb;
}

/* Block k's samples: [*lo, *hi) of the batch being run. */
static void block_samples(const train_blocks *tb, int k, size_t *lo, size_t *hi)
{
    slices_images(tb->slices, k, (size_t)tb->n, lo, hi);
}

static convc_block block_args(const train_blocks *tb, int k)
{
    block_buf *b = &tb->b[k - tb->first];
    size_t lo, hi;
    block_samples(tb, k, &lo, &hi);
    convc_block a = {
        .params = tb->params, .grads = slices_grads(tb->slices)[k], .work = b->work,
        .x = b->x, .labels = b->labels, .dropout_seeds = b->seeds, .probs = b->probs,
        .stats = tb->stats, .n = (int)(hi - lo), .first = (int)lo,
    };
    return a;
}

/* Thread t's blocks: a contiguous range of this process's. */
static void my_blocks(const train_blocks *tb, int t, int T, int *lo, int *hi)
{
    size_t a, b;
    grad_part((size_t)(tb->end - tb->first), t, T, &a, &b);
    *lo = tb->first + (int)a;
    *hi = tb->first + (int)b;
}

static void gather_task(void *arg, int t, int T)
{
    train_blocks *tb = arg;
    int lo, hi;
    my_blocks(tb, t, T, &lo, &hi);
    for (int k = lo; k < hi; k++) {
        block_buf *b = &tb->b[k - tb->first];
        size_t s0, s1;
        block_samples(tb, k, &s0, &s1);
        size_t at = tb->first_image + s0, n = s1 - s0;
        dataset_gather(tb->images, tb->order + at, 0, n, b->x, b->labels);
        for (size_t i = 0; i < n; i++)
            b->seeds[i] = rng_mix3(tb->seed, tb->epoch, at + i);
        /* The same per-position augmentation as the plain path (train.c). */
        const convc_model *m = tb->m;
        size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
        if (augment_enabled(tb->augment))
            for (size_t i = 0; i < n; i++)
                augment_image(tb->augment, augment_seed(tb->seed, tb->epoch, at + i),
                              b->x + i * in_size, m->in_h, m->in_w, m->in_c, b->aug);
        b->loss = 0;
    }
}

static void step_task(void *arg, int t, int T)
{
    train_blocks *tb = arg;
    int lo, hi;
    my_blocks(tb, t, T, &lo, &hi);
    for (int k = lo; k < hi; k++) {
        convc_block a = block_args(tb, k);
        if (a.n > 0)
            tb->b[k - tb->first].loss += tb->m->train_step(tb->step, &a);
    }
}

/* Several processes: every process gets every sample's statistics rows
 * before a batch step reduces them. */
static void exchange_rows(train_blocks *tb)
{
    const cv_exchange *x = tb->x;
    int K = slices_count(tb->slices);
    size_t per = tb->m->stats_per_sample;
    for (int p = 0; p < x->size; p++) {
        size_t a, b, lo, hi, unused;
        grad_part((size_t)K, p, x->size, &a, &b);
        block_samples(tb, (int)a, &lo, &unused);
        block_samples(tb, (int)b - 1, &unused, &hi);
        tb->row_count[p] = (int)((hi - lo) * per);
        tb->row_displ[p] = (int)(lo * per);
    }
    x->gather_floats(x, tb->stats + tb->m->stats_shared, tb->row_count, tb->row_displ);
}

void train_blocks_run(train_blocks *tb, cv_pool *pool, const cv_images *images,
                      const uint32_t *order, size_t first, int n, uint64_t seed,
                      uint32_t epoch, const cv_augment *augment, const float *params)
{
    const convc_model *m = tb->m;
    tb->augment = augment;
    tb->images = images;
    tb->order = order;
    tb->first_image = first;
    tb->n = n;
    tb->seed = seed;
    tb->epoch = epoch;
    tb->params = params;
    pool_run(pool, gather_task, tb);
    for (tb->step = 0; tb->step < m->n_train_steps; tb->step++) {
        if (!m->train_step_batch[tb->step]) {
            pool_run(pool, step_task, tb);
            continue;
        }
        if (tb->x)
            exchange_rows(tb);
        /* The batch's sums (gamma's and beta's gradients) belong to slice 0. */
        convc_block a = block_args(tb, tb->first);
        a.grads = tb->first == 0 ? slices_grads(tb->slices)[0] : tb->dropped;
        a.n = n;
        a.first = 0;
        m->train_step(tb->step, &a);
    }
    for (int k = tb->first; k < tb->end; k++) {
        const block_buf *b = &tb->b[k - tb->first];
        size_t lo, hi, correct = 0;
        block_samples(tb, k, &lo, &hi);
        for (size_t i = 0; i < hi - lo; i++)
            correct += eval_argmax(b->probs + i * m->n_classes, m->n_classes) == b->labels[i];
        slices_set_result(tb->slices, k, b->loss, correct);
    }
}

void train_blocks_update_moving(const train_blocks *tb, float *params)
{
    tb->m->update_moving(params, tb->stats, tb->n);
}
