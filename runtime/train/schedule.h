/* schedule.h - learning-rate schedules and early stopping: what the
 * trainer decides from the step, the epoch and the monitored loss.
 *   constant  lr
 *   step      lr * factor^floor(epoch / every)
 *   cosine    linear warm-up over `warmup` steps from lr / warmup to lr, then
 *             min_lr + (lr - min_lr) * (1 + cos(pi * t / T)) / 2 over the
 *             remaining T steps of the run (Keras' CosineDecay with warm-up)
 *   plateau   as Keras' ReduceLROnPlateau: when the monitored loss has not
 *             improved by 1e-4 for `patience` epochs, lr = max(lr * factor,
 *             min_lr), and the wait starts again
 * Early stopping, as Keras' EarlyStopping (min_delta 0): the run stops after
 * `patience` epochs without a new lowest monitored loss. */
#ifndef CONVC_SCHEDULE_H
#define CONVC_SCHEDULE_H

#include <stdint.h>

typedef struct {
    int kind;                   /* CV_SCHEDULE_* (base/settings.h) */
    double factor;              /* step, plateau */
    int every;                  /* step: epochs per decay */
    long warmup;                /* cosine: warm-up steps */
    int patience;               /* plateau: epochs */
    double min_lr;              /* cosine, plateau: the floor */
} cv_schedule_config;

/* What the schedule and early stopping remember between epochs; a
 * checkpoint holds it. */
typedef struct {
    double plateau_lr;          /* plateau: the current rate */
    double plateau_best;        /* plateau: lowest monitored loss (HUGE_VAL: none) */
    uint32_t plateau_wait;      /* plateau: epochs since it improved */
    double best_loss;           /* early stopping: lowest monitored loss (HUGE_VAL: none) */
    uint32_t best_epoch;        /* its epoch, 1-based (0: none yet) */
    uint32_t stop_wait;         /* epochs since it improved */
    uint32_t stopped;           /* 1: the run stopped early after epoch best_epoch + wait */
} cv_schedule_state;

cv_schedule_config schedule_defaults(void);
/* A fresh run's state; lr is the base rate (--lr). */
void schedule_state_init(cv_schedule_state *s, double lr);
/* The learning rate of optimizer step `step` (0-based, counted over the
 * whole run) in epoch `epoch` (0-based) of a run of total_steps steps, for
 * the base rate lr. */
double schedule_lr(const cv_schedule_config *c, const cv_schedule_state *s, double lr,
                   uint64_t step, uint32_t epoch, uint64_t total_steps);
/* Plateau: takes the monitored loss of a finished epoch; 1 if it lowered
 * the rate (then s->plateau_lr is the new rate), else 0. */
int schedule_epoch_end(const cv_schedule_config *c, cv_schedule_state *s, double loss);
/* Early stopping with `patience` (0: none) after epoch `epoch` (1-based):
 * returns 1 if loss is a new best (the caller keeps the weights), and
 * sets s->stopped when the patience is exhausted. */
int early_stop_epoch_end(cv_schedule_state *s, int patience, uint32_t epoch, double loss);

#endif
