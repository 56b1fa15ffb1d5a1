/* train_blocks.h - one training batch of a model with batch statistics
 * (batchnorm, convc_model.n_train_steps > 0).  The blocks are the batch's
 * K gradient slices (slices.h): their sizes depend on the batch size and K
 * only; each block has its own work and gradient buffer, and the threads
 * take whole blocks of this process's slices.  The model's steps run in
 * order with a barrier after each: per-block steps on the pool, batch
 * steps (the reductions over the batch's samples, in sample order) on the
 * calling thread, after every process has every sample's statistics rows.
 * Every sum then has one order whatever the number of threads and
 * processes, so the batch statistics are whole-batch and bit-identical. */
#ifndef CONVC_TRAIN_BLOCKS_H
#define CONVC_TRAIN_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include "convc_model.h"
#include "base/error.h"
#include "base/threads.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "train/exchange.h"
#include "train/slices.h"

typedef struct train_blocks train_blocks;

/* Buffers for batches of up to `batch` samples, one block per slice of
 * this process; NULL (and e) when out of memory.  x NULL: one process. */
train_blocks *train_blocks_new(const convc_model *m, int batch, cv_slices *slices,
                               const cv_exchange *x, cv_error *e);
void train_blocks_free(train_blocks *tb);

/* Forward and backward of the batch at epoch positions first .. first+n-1
 * of `order`: this process's slices get their gradients (added to their
 * buffers), summed losses and correct predictions. */
void train_blocks_run(train_blocks *tb, cv_pool *pool, const cv_images *images,
                      const uint32_t *order, size_t first, int n, uint64_t seed,
                      uint32_t epoch, const cv_augment *augment, const float *params);

/* The moving statistics after the batch of the last run (after the
 * optimizer step). */
void train_blocks_update_moving(const train_blocks *tb, float *params);

#endif
