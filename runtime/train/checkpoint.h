/* checkpoint.h - saving and restoring a training run; the byte layout is
 * specified in docs/checkpoint-format.md.  The runtime and `convc export`
 * read checkpoints only through this reader. */
#ifndef CONVC_CHECKPOINT_H
#define CONVC_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "convc_model.h"
#include "base/error.h"

#define CKPT_MAGIC   "CONVCKPT"
#define CKPT_MAX_STRING 4096    /* bytes of a string field, at most */
#define CKPT_VERSION 5          /* versions 1 (no limit_test), 2 (no schedule,
                                   augmentation or early stopping), 3 (threads
                                   where 4 has workers) and 4 (no data_hash) are
                                   still read */

/* Everything besides the float arrays: the training settings a resumed
 * run must reuse and the exact position in the run.  Every setting read
 * from a checkpoint passes the check of the option that sets it
 * (base/settings.h); ckpt_save refuses what the reader would refuse. */
typedef struct {
    uint32_t version;           /* format version read (ckpt_save writes CKPT_VERSION) */
    /* optimizer (enum cv_optim_kind) and its hyperparameters */
    uint32_t optimizer;
    uint32_t n_state;           /* state arrays: set by ckpt_save from its n_state */
    double lr, beta1, beta2, epsilon, momentum;
    uint64_t step;              /* optimizer updates done */
    /* run settings */
    uint32_t batch;
    uint32_t threads;           /* versions 1 to 3 (the sums depended on it) */
    uint32_t workers;           /* version 4, in threads' place: --workers */
    uint32_t epochs, shuffle;
    uint64_t seed;
    uint64_t limit_train;       /* 0: all */
    uint64_t n_train;           /* training images used (after limit and split) */
    double val_split;
    uint32_t limit_test;        /* test images evaluated each epoch (0: all);
                                   version 1 does not record it */
    /* position */
    uint32_t epoch;             /* epochs completed */
    uint64_t batch_pos;         /* batches completed in the current epoch */
    uint64_t rng[4];            /* shuffle generator at the start of epoch `epoch` */
    double run_loss;            /* current epoch so far: summed loss, */
    uint64_t run_correct;       /*   correct predictions, */
    uint64_t run_seen;          /*   images seen */
    /* version 3: schedule, weight decay, early stopping, augmentation
     * (settings), then the schedule's and early stopping's state */
    uint32_t schedule;          /* CV_SCHEDULE_* */
    double lr_factor;
    uint32_t lr_every;
    uint64_t warmup;
    uint32_t lr_patience;
    double min_lr, weight_decay;
    uint32_t decay_all, early_stop, restore_best;
    uint32_t shift, flip, crop_pad, cutout;
    double plateau_lr, plateau_best;
    uint32_t plateau_wait;
    double best_loss;
    uint32_t best_epoch, stop_wait, stopped;
    uint32_t n_best;            /* 1 if the best weights follow the optimizer state
                                   (set by the writer: early_stop given) */
    uint64_t isa;               /* version 4: the instruction sets the model was
                                   compiled for (base/isa.h) */
    uint64_t data_hash;         /* version 5: the training set's fingerprint
                                   (dataset_train_fingerprint) */
    char data_dir[CKPT_MAX_STRING + 1]; /* version 5: the data directory the run
                                   read, absolute where it resolved ("": unknown) */
} cv_ckpt_state;

/* Writes path atomically: PATH.tmp in the same directory, fsync, rename,
 * fsync of the directory.  Refuses (and leaves an existing file alone) if
 * any parameter is NaN or infinite or a setting is out of range.  `state`
 * holds n_state arrays of m->n_params floats (Adam: m then v). */
int ckpt_save(const char *path, const convc_model *m, const cv_ckpt_state *st,
              const float *params, float *const state[2], int n_state, cv_error *e);
/* ckpt_save that also writes the best weights `best` (m->n_params floats;
 * NULL: params) when st->early_stop is set. */
int ckpt_save_run(const char *path, const convc_model *m, const cv_ckpt_state *st,
                  const float *params, float *const state[2], int n_state, const float *best,
                  cv_error *e);

/* Parses and verifies the checkpoint in data[0..len) (name is for
 * messages): magic, version, length, CRC, model name, spec hash, every
 * tensor's name and shape, every setting's range, the position within the
 * epoch, finite parameters.  Copies the settings into st, the parameters
 * into params and the optimizer state into state, each only when not NULL;
 * state arrays must then number n_state (the caller allocates them).
 * Errors name the file, the field and both the checkpoint's and this
 * model's side. */
int ckpt_parse(const char *name, const void *data, size_t len, const convc_model *m,
               cv_ckpt_state *st, float *params, float *const state[2], int n_state,
               cv_error *e);

/* ckpt_parse on the file at path. */
int ckpt_load(const char *path, const convc_model *m, cv_ckpt_state *st, float *params,
              float *const state[2], int n_state, cv_error *e);

/* ckpt_load that also copies the best weights into best (when not NULL and
 * the checkpoint has them). */
int ckpt_load_run(const char *path, const convc_model *m, cv_ckpt_state *st, float *params,
                  float *const state[2], int n_state, float *best, cv_error *e);

/* The value of setting s in st: 0 and *v, or -1 if the checkpoint (of
 * st->version) does not record s. */
int ckpt_setting(const cv_ckpt_state *st, int s, double *v);

/* Verifies path completely like ckpt_load but copies only the settings
 * and position (to decide how to resume before allocating anything). */
int ckpt_peek(const char *path, const convc_model *m, cv_ckpt_state *st, cv_error *e);

#endif
