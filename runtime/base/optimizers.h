/* optimizers.h - the optimizers' names, shared by the trainer (runtime/train/
 * optim.c) and the experiment checker, which must accept the same words. */
#ifndef CONVC_OPTIMIZERS_H
#define CONVC_OPTIMIZERS_H

#include <stddef.h>

/* ORDER: the index is the optimizer's number in checkpoints
 * (docs/checkpoint-format.md) and enum cv_optim_kind. */
#define CV_OPTIMIZER_LIST(X) X(SGD, "sgd") X(MOMENTUM, "momentum") \
                             X(NESTEROV, "nesterov") X(ADAM, "adam") \
                             X(ADAMW, "adamw")
#define CV_OPTIMIZER_COUNT_ONE(id, name) +1
enum { CV_N_OPTIMIZERS = 0 CV_OPTIMIZER_LIST(CV_OPTIMIZER_COUNT_ONE) };

extern const char *const cv_optimizer_names[CV_N_OPTIMIZERS];

/* The index of `name` in cv_optimizer_names, or -1. */
int cv_optimizer_of(const char *name);
/* "sgd, momentum, nesterov, adam or adamw", for messages; truncated to `size`. */
void cv_optimizer_list(char *buf, size_t size);

#endif
