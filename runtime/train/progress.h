/* progress.h - what the trainer prints while it trains: a Keras-like bar,
 * redrawn in place, on a terminal; one plain line per epoch otherwise. */
#ifndef CONVC_PROGRESS_H
#define CONVC_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    FILE *out;
    int tty;                /* draw the bar */
    int quiet;              /* print nothing */
    int epoch, epochs;      /* 1-based for display */
    size_t total;           /* batches in the epoch */
    size_t first;           /* batch the epoch (re)started at, for the ETA */
    double start, last_draw;
} cv_progress;

/* Metrics shown at the end of an epoch; has_* say which are present. */
typedef struct {
    double loss, acc;
    int has_val;
    double val_loss, val_acc;
    int has_test;
    double test_loss, test_acc;
    double seconds;
    int show_lr;            /* print lr (a schedule is set) */
    double lr;              /* the rate of the epoch's last step */
    int reduced_lr;         /* the plateau schedule lowered it to next_lr */
    double next_lr;
    int best, stopped;      /* early stopping: a new best epoch; the last one */
} cv_epoch_line;

/* Monotonic seconds. */
double progress_now(void);
void progress_init(cv_progress *p, FILE *out, int quiet);
void progress_epoch_begin(cv_progress *p, int epoch, int epochs, size_t total, size_t done);
/* Redraws the bar (at most ten times a second) after `done` batches. */
void progress_update(cv_progress *p, size_t done, double loss, double acc);
void progress_epoch_end(cv_progress *p, size_t done, const cv_epoch_line *l);

#endif
