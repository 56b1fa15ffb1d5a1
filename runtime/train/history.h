/* history.h - the per-epoch history CSV:
 *   epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,lr,
 *   val_loss,val_accuracy,event,eval_seconds
 * seconds is the epoch's wall time, its evaluations included, and
 * eval_seconds the part of it that evaluated the validation and test sets;
 * lr is the rate of the epoch's last step; val_* are empty without a
 * validation split; event is "best" (early stopping: a new lowest monitored
 * loss), "stopped" (early stopping ended the run after this epoch) or
 * empty. */
#ifndef CONVC_HISTORY_H
#define CONVC_HISTORY_H

#include <stdio.h>
#include "base/error.h"

/* Each header starts with the earlier ones: the first six columns are those
 * of every history. */
#define HISTORY_HEADER_V1 "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds"
#define HISTORY_HEADER_V2 HISTORY_HEADER_V1 ",lr,val_loss,val_accuracy,event"
#define HISTORY_HEADER HISTORY_HEADER_V2 ",eval_seconds"

typedef struct {
    int epoch;
    double train_loss, train_acc, test_loss, test_acc, seconds, lr, eval_seconds;
    int has_val;
    double val_loss, val_acc;
    const char *event;
} cv_history_row;

/* Opens path for appending rows after epoch `keep_epochs`: a fresh run
 * (keep_epochs 0) starts a new file with the header; a resumed run keeps
 * the header and rows 1..keep_epochs and drops any later ones, so an epoch
 * redone after a crash is not listed twice.  A history of an earlier
 * header gets the new one, and its rows empty new columns. */
FILE *history_open(const char *path, int keep_epochs, cv_error *e);
int history_append(FILE *f, const char *path, const cv_history_row *r, cv_error *e);

#endif
