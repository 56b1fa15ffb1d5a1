/* train_blocks.h - one training batch of a model with batch statistics
 * (batchnorm, convc_model.n_train_steps > 0).  The batch is cut into blocks
 * whose size depends on the batch size only, never on the thread count;
 * each block has its own work and gradient buffer, and the threads take
 * whole blocks.  The model's steps run in order with a barrier after each:
 * per-block steps on the pool, batch steps (the reductions over the
 * batch's samples, in sample order) on the calling thread.  Every sum then
 * has one order whatever the number of threads, so the results are
 * bit-identical for any --threads. */
#ifndef CONVC_TRAIN_BLOCKS_H
#define CONVC_TRAIN_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include "convc_model.h"
#include "base/error.h"
#include "base/threads.h"
#include "data/augment.h"
#include "data/dataset.h"

typedef struct train_blocks train_blocks;

/* Buffers for batches of up to `batch` samples; NULL (and e) when out of
 * memory. */
train_blocks *train_blocks_new(const convc_model *m, int batch, cv_error *e);
void train_blocks_free(train_blocks *tb);

/* Forward and backward of the batch at epoch positions first .. first+n-1
 * of `order`: the blocks' gradient buffers get the summed gradient, *loss
 * the summed loss and *correct the correct predictions. */
void train_blocks_run(train_blocks *tb, cv_pool *pool, const cv_images *images,
                      const uint32_t *order, size_t first, int n, uint64_t seed,
                      uint32_t epoch, const cv_augment *augment, const float *params,
                      double *loss, size_t *correct);

/* The gradient buffers, in block order, for summing (all blocks of a full
 * batch; zero between batches). */
float *const *train_blocks_grads(const train_blocks *tb, int *count);

/* The moving statistics after the batch of the last run (after the
 * optimizer step). */
void train_blocks_update_moving(const train_blocks *tb, float *params);

#endif
