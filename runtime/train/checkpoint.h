/* checkpoint.h - saving and restoring a training run; the byte layout is
 * specified in docs/checkpoint-format.md. */
#ifndef CONVC_CHECKPOINT_H
#define CONVC_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "convc_model.h"
#include "base/error.h"

#define CKPT_MAGIC   "CONVCKPT"
#define CKPT_VERSION 1

/* Everything besides the float arrays: the training settings a resumed
 * run must reuse and the exact position in the run. */
typedef struct {
    /* optimizer (enum cv_optim_kind) and its hyperparameters */
    uint32_t optimizer;
    double lr, beta1, beta2, epsilon, momentum;
    uint64_t step;              /* optimizer updates done */
    /* run settings */
    uint32_t batch, threads, epochs, shuffle;
    uint64_t seed;
    uint64_t limit_train;       /* 0: all */
    uint64_t n_train;           /* training images used (after limit and split) */
    double val_split;
    /* position */
    uint32_t epoch;             /* epochs completed */
    uint64_t batch_pos;         /* batches completed in the current epoch */
    uint64_t rng[4];            /* shuffle generator at the start of epoch `epoch` */
    double run_loss;            /* current epoch so far: summed loss, */
    uint64_t run_correct;       /*   correct predictions, */
    uint64_t run_seen;          /*   images seen */
} cv_ckpt_state;

/* Writes path atomically: PATH.tmp in the same directory, fsync, rename,
 * fsync of the directory.  Refuses (and leaves an existing file alone) if
 * any parameter is NaN or infinite.  `state` holds optimizer_state_count
 * arrays of m->n_params floats (Adam: m then v). */
int ckpt_save(const char *path, const convc_model *m, const cv_ckpt_state *st,
              const float *params, float *const state[2], int n_state, cv_error *e);

/* Reads and verifies path (magic, version, length, CRC, model name, spec
 * hash, every tensor's name and shape) into st and params; state arrays
 * are copied only when `state` is not NULL and then must number
 * n_state (the caller allocates them).  Errors name the file and both the
 * checkpoint's and this model's side. */
int ckpt_load(const char *path, const convc_model *m, cv_ckpt_state *st, float *params,
              float *const state[2], int n_state, cv_error *e);

/* Verifies path completely like ckpt_load but copies only the settings
 * and position (to decide how to resume before allocating anything). */
int ckpt_peek(const char *path, const convc_model *m, cv_ckpt_state *st, cv_error *e);

#endif
