/* train_blocks.c - a training batch of a model with batch statistics, in
 * blocks of a fixed size run through the model's steps (train_blocks.h). */
#include <stdlib.h>
#include <string.h>
#include "base/rng.h"
#include "train/eval.h"
#include "train/train_blocks.h"

/* Samples per block: a multiple of 4 (the generated dense layers' groups),
 * and at most MAX_BLOCKS blocks (one gradient buffer each) per batch. */
#define MAX_BLOCKS 16

typedef struct {
    float *x, *work, *probs, *grads, *aug;     /* aug: one image, augmentation's scratch */
    uint8_t *labels;
    uint64_t *seeds;
    double loss;
} block_buf;

struct train_blocks {
    const convc_model *m;
    int block;                  /* samples per block */
    int n_blocks;               /* blocks of a full batch */
    block_buf *b;
    float **grads;              /* b[k].grads, for train_blocks_grads */
    float *stats;               /* convc_stats_floats(m, batch) */
    /* the batch being run */
    const cv_images *images;
    const uint32_t *order;
    size_t first;
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
    for (int k = 0; tb->b && k < tb->n_blocks; k++) {
        free(tb->b[k].x);
        free(tb->b[k].aug);
        free(tb->b[k].work);
        free(tb->b[k].probs);
        free(tb->b[k].grads);
        free(tb->b[k].labels);
        free(tb->b[k].seeds);
    }
    free(tb->b);
    free(tb->grads);
    free(tb->stats);
    free(tb);
}

train_blocks *train_blocks_new(const convc_model *m, int batch, cv_error *e)
{
    train_blocks *tb = calloc(1, sizeof *tb);
    if (!tb) {
        cv_fail(e, "out of memory for the training blocks");
        return NULL;
    }
    tb->m = m;
    int per = (batch + MAX_BLOCKS - 1) / MAX_BLOCKS;
    tb->block = per < 4 ? 4 : (per + 3) / 4 * 4;
    tb->n_blocks = (batch + tb->block - 1) / tb->block;
    tb->b = calloc((size_t)tb->n_blocks, sizeof *tb->b);
    tb->grads = calloc((size_t)tb->n_blocks, sizeof *tb->grads);
    tb->stats = alloc_floats(convc_stats_floats(m, (size_t)batch));
    int ok = tb->b && tb->grads && tb->stats;
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c, B = (size_t)tb->block;
    for (int k = 0; ok && k < tb->n_blocks; k++) {
        block_buf *b = &tb->b[k];
        b->x = alloc_floats(B * in_size);
        b->aug = alloc_floats(in_size);
        b->work = alloc_floats(convc_work_floats(m, B));
        b->probs = alloc_floats(B * (size_t)m->n_classes);
        b->grads = alloc_floats(m->n_params);
        b->labels = malloc(B);
        b->seeds = malloc(B * sizeof *b->seeds);
        ok = b->x && b->aug && b->work && b->probs && b->grads && b->labels && b->seeds;
        if (b->grads)
            memset(b->grads, 0, m->n_params * sizeof *b->grads);
        tb->grads[k] = b->grads;
    }
    if (!ok) {
        train_blocks_free(tb);
        cv_fail(e, "out of memory for the training blocks (batch %d, %zu floats of scratch "
                "per image)", batch, m->work_per_sample);
        return NULL;
    }
    return tb;
}

/* Blocks of the batch being run, and block k's samples. */
static int active_blocks(const train_blocks *tb)
{
    return (tb->n + tb->block - 1) / tb->block;
}

static int block_size(const train_blocks *tb, int k)
{
    int rest = tb->n - k * tb->block;
    return rest < tb->block ? rest : tb->block;
}

static convc_block block_args(const train_blocks *tb, int k)
{
    block_buf *b = &tb->b[k];
    convc_block a = {
        .params = tb->params, .grads = b->grads, .work = b->work, .x = b->x,
        .labels = b->labels, .dropout_seeds = b->seeds, .probs = b->probs,
        .stats = tb->stats, .n = block_size(tb, k), .first = k * tb->block,
    };
    return a;
}

/* Thread t's blocks: a contiguous range. */
static void my_blocks(const train_blocks *tb, int t, int T, int *lo, int *hi)
{
    int nb = active_blocks(tb);
    *lo = (int)((long long)nb * t / T);
    *hi = (int)((long long)nb * (t + 1) / T);
}

static void gather_task(void *arg, int t, int T)
{
    train_blocks *tb = arg;
    int lo, hi;
    my_blocks(tb, t, T, &lo, &hi);
    for (int k = lo; k < hi; k++) {
        block_buf *b = &tb->b[k];
        size_t at = tb->first + (size_t)k * (size_t)tb->block;
        int n = block_size(tb, k);
        dataset_gather(tb->images, tb->order + at, 0, (size_t)n, b->x, b->labels);
        for (int i = 0; i < n; i++)
            b->seeds[i] = rng_mix3(tb->seed, tb->epoch, at + (size_t)i);
        /* The same per-position augmentation as the plain path (train.c). */
        const convc_model *m = tb->m;
        size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
        if (augment_enabled(tb->augment))
            for (int i = 0; i < n; i++)
                augment_image(tb->augment, augment_seed(tb->seed, tb->epoch, at + (size_t)i),
                              b->x + (size_t)i * in_size, m->in_h, m->in_w, m->in_c, b->aug);
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
        tb->b[k].loss += tb->m->train_step(tb->step, &a);
    }
}

void train_blocks_run(train_blocks *tb, cv_pool *pool, const cv_images *images,
                      const uint32_t *order, size_t first, int n, uint64_t seed,
                      uint32_t epoch, const cv_augment *augment, const float *params,
                      double *loss, size_t *correct)
{
    const convc_model *m = tb->m;
    tb->augment = augment;
    tb->images = images;
    tb->order = order;
    tb->first = first;
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
        convc_block a = block_args(tb, 0);
        a.n = n;
        a.first = 0;
        m->train_step(tb->step, &a);
    }
    *loss = 0;
    *correct = 0;
    for (int k = 0; k < active_blocks(tb); k++) {
        const block_buf *b = &tb->b[k];
        *loss += b->loss;
        for (int i = 0; i < block_size(tb, k); i++)
            *correct += eval_argmax(b->probs + (size_t)i * m->n_classes, m->n_classes) ==
                        b->labels[i];
    }
}

float *const *train_blocks_grads(const train_blocks *tb, int *count)
{
    *count = tb->n_blocks;
    return tb->grads;
}

void train_blocks_update_moving(const train_blocks *tb, float *params)
{
    tb->m->update_moving(params, tb->stats, tb->n);
}
