/* schedule.c - learning-rate schedules and early stopping. */
#include <math.h>
#include "base/settings.h"
#include "train/schedule.h"

/* Keras' ReduceLROnPlateau: an improvement is a loss below best - 1e-4. */
#define PLATEAU_MIN_DELTA 1e-4

cv_schedule_config schedule_defaults(void)
{
    cv_schedule_config c = { .kind = CV_SCHEDULE_CONSTANT, .factor = 0.1,
                             .every = 10, .warmup = 0, .patience = 10, .min_lr = 0 };
    return c;
}

void schedule_state_init(cv_schedule_state *s, double lr)
{
    *s = (cv_schedule_state){ .plateau_lr = lr, .plateau_best = HUGE_VAL,
                              .best_loss = HUGE_VAL };
}

double schedule_lr(const cv_schedule_config *c, const cv_schedule_state *s, double lr,
                   uint64_t step, uint32_t epoch, uint64_t total_steps)
{
    switch (c->kind) {
    case CV_SCHEDULE_STEP:
        return lr * pow(c->factor, (double)(epoch / (uint32_t)c->every));
    case CV_SCHEDULE_COSINE: {
        uint64_t warm = (uint64_t)c->warmup;
        if (step < warm)
            return lr * (double)(step + 1) / (double)warm;
        if (total_steps <= warm)
            return lr;
        double t = (double)(step - warm) / (double)(total_steps - warm);
        if (t > 1)
            t = 1;
        return c->min_lr + (lr - c->min_lr) * 0.5 * (1 + cos(M_PI * t));
    }
    case CV_SCHEDULE_PLATEAU:
        return s->plateau_lr;
    default:
        return lr;
    }
}

int schedule_epoch_end(const cv_schedule_config *c, cv_schedule_state *s, double loss)
{
    if (c->kind != CV_SCHEDULE_PLATEAU)
        return 0;
    if (loss < s->plateau_best - PLATEAU_MIN_DELTA) {
        s->plateau_best = loss;
        s->plateau_wait = 0;
        return 0;
    }
    if (++s->plateau_wait < (uint32_t)c->patience)
        return 0;
    s->plateau_wait = 0;
    double lr = s->plateau_lr * c->factor;
    lr = lr > c->min_lr ? lr : c->min_lr;
    if (lr <= 0 || lr >= s->plateau_lr)
        return 0;       /* at the floor already; a rate is never 0 */
    s->plateau_lr = lr;
    return 1;
}

int early_stop_epoch_end(cv_schedule_state *s, int patience, uint32_t epoch, double loss)
{
    if (patience <= 0)
        return 0;
    if (loss < s->best_loss) {
        s->best_loss = loss;
        s->best_epoch = epoch;
        s->stop_wait = 0;
        return 1;
    }
    if (++s->stop_wait >= (uint32_t)patience)
        s->stopped = 1;
    return 0;
}
