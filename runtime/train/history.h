/* history.h - the per-epoch history CSV:
 *   epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds */
#ifndef CONVC_HISTORY_H
#define CONVC_HISTORY_H

#include <stdio.h>
#include "base/error.h"

#define HISTORY_HEADER "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds"

/* Opens path for appending rows after epoch `keep_epochs`: a fresh run
 * (keep_epochs 0) starts a new file with the header; a resumed run keeps
 * the header and rows 1..keep_epochs and drops any later ones, so an epoch
 * redone after a crash is not listed twice. */
FILE *history_open(const char *path, int keep_epochs, cv_error *e);
int history_append(FILE *f, const char *path, int epoch, double train_loss,
                   double train_acc, double test_loss, double test_acc, double seconds,
                   cv_error *e);

#endif
