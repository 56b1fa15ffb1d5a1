/* train.h - the training loop: seeded shuffling, mini-batches whose
 * gradient is the fixed tree sum of K slices computed by a thread pool (and
 * by several processes over MPI), an optimizer step per batch, evaluation
 * and checkpoints per epoch. */
#ifndef CONVC_TRAIN_H
#define CONVC_TRAIN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "convc_model.h"
#include "data/dataset.h"
#include "base/error.h"
#include "train/optim.h"
#include "base/rng.h"
#include "base/settings.h"
#include "data/augment.h"
#include "train/exchange.h"
#include "train/schedule.h"

typedef struct {
    int epochs;                 /* in total, counting resumed ones */
    int batch;
    int threads;
    int workers;                /* K: the batch's gradient is the fixed tree sum of
                                   K slices (grad_tree.h), whatever the threads */
    uint64_t seed;
    cv_optim_config optim;
    cv_schedule_config schedule;    /* the learning rate's, from optim.lr */
    int decay_all;              /* weight decay for biases and vectors too */
    int early_stop;             /* patience in epochs (0: none) */
    int restore_best;           /* early stop: end with the best epoch's weights */
    cv_augment augment;
    cv_data_options data;       /* how PNG folders are read */
    double val_split;           /* last fraction of the training set, as Keras */
    size_t limit_train;         /* first N training images (0: all) */
    size_t limit_test;          /* first N test images (0: all) */
    long steps;                 /* stop after this many batches in this run (0: no limit) */
    int shuffle;
    long save_every;            /* also checkpoint every N optimizer steps (0: epochs only) */
    const char *save_path;      /* NULL: no checkpoints */
    const char *history_path;   /* NULL: no history */
    int quiet;
    FILE *out;                  /* progress and epoch lines */
    /* Set (to the signal number) by a signal handler: the loop saves a
     * checkpoint at the next batch boundary and returns TRAIN_INTERRUPTED. */
    volatile sig_atomic_t *stop_signal;
    /* The processes of a data-parallel run (NULL: this one only): they
     * train the same model on their share of the slices; only rank 0
     * writes checkpoints and history (the caller keeps the others quiet). */
    const cv_exchange *exchange;
    uint64_t isa;               /* the model's instruction sets (base/isa.h) */
    uint64_t data_hash;         /* the training set's fingerprint (data/dataset.h) */
    const char *data_dir;       /* where it was read (NULL: unknown), for a resume */
} cv_train_config;

/* Everything that changes during a run; a checkpoint captures all of it. */
typedef struct {
    size_t n_params;
    float *params;
    cv_optimizer opt;
    uint32_t epoch;             /* epochs completed */
    uint64_t batch_pos;         /* batches completed in the current epoch */
    cv_rng epoch_rng;           /* shuffle generator at the start of the epoch */
    double run_loss;            /* current epoch: summed loss, */
    uint64_t run_correct;       /*   correct predictions, */
    uint64_t run_seen;          /*   images seen */
    uint64_t resumed_n_train;   /* from a checkpoint (0: fresh run) */
    cv_schedule_state sched;    /* the schedule's and early stopping's memory */
    float *best;                /* early stopping: the best epoch's weights (else NULL) */
} cv_train_state;

enum { TRAIN_FINISHED = 0, TRAIN_STEPS_DONE = 1, TRAIN_INTERRUPTED = 2, TRAIN_STOPPED_EARLY = 3 };

cv_train_config train_defaults(void);
/* The value of setting s (base/settings.h) in c, for every setting with an
 * option of the train command; train_set stores one. */
double train_setting(const cv_train_config *c, cv_setting_id s);
void train_set(cv_train_config *c, cv_setting_id s, double v);
/* A fresh run: Glorot-uniform weights drawn from the seed, then the
 * shuffle generator continues the same stream. */
int train_state_new(cv_train_state *st, const convc_model *m, const cv_train_config *cfg,
                    cv_error *e);
/* Continues the run in checkpoint path; cfg must carry its optimizer. */
int train_state_resume(cv_train_state *st, const convc_model *m, const cv_train_config *cfg,
                       const char *path, cv_error *e);
void train_state_free(cv_train_state *st);

/* The model can take the data set's images and labels (names dir). */
int train_check_data(const convc_model *m, const cv_dataset *d, const char *dir, cv_error *e);

/* What early stopping and the plateau schedule watch: "val_loss", or
 * "test_loss" when there is no validation split. */
const char *train_monitor_name(const cv_train_config *cfg);

/* Trains until cfg->epochs are done, cfg->steps batches were run, early
 * stopping ends the run, or a stop signal arrives.  Returns TRAIN_* or -1 (e.g. a NaN loss, naming the epoch
 * and batch; the last good checkpoint is kept). */
int train_run(const convc_model *m, const cv_dataset *d, const cv_train_config *cfg,
              cv_train_state *st, cv_error *e);

#endif
