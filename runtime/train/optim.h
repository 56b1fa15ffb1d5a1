/* optim.h - optimizers, with Keras' update rules and defaults:
 *   sgd       p -= lr * g
 *   momentum  v = mu * v - lr * g;  p += v                      (mu 0.9)
 *   nesterov  v = mu * v - lr * g;  p += mu * v - lr * g        (mu 0.9)
 *   adam      m += (g - m) * (1 - b1);  v += (g*g - v) * (1 - b2);
 *             p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 * Default learning rates: adam 0.001, the others 0.01. */
#ifndef CONVC_OPTIM_H
#define CONVC_OPTIM_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"
#include "base/optimizers.h"

/* The values are stored in checkpoints; the names are cv_optimizer_names. */
#define OPTIM_KIND(id, name) OPTIM_##id,
enum cv_optim_kind { CV_OPTIMIZER_LIST(OPTIM_KIND) };
#undef OPTIM_KIND

typedef struct {
    int kind;               /* enum cv_optim_kind */
    double lr, beta1, beta2, epsilon, momentum;
} cv_optim_config;

typedef struct {
    cv_optim_config cfg;
    size_t n;               /* parameters */
    uint64_t step;          /* updates done */
    float *state[2];        /* adam: m, v; momentum/nesterov: velocity; NULL if unused */
    float alpha;            /* this step's learning rate (adam: bias corrected) */
} cv_optimizer;

/* Keras' defaults for `kind` (lr included). */
cv_optim_config optim_defaults(int kind);
/* "adam" -> OPTIM_ADAM; -1 if unknown. */
int optim_parse_kind(const char *name);
const char *optim_kind_name(int kind);
/* How many per-parameter state arrays `kind` keeps (0, 1 or 2). */
int optim_state_count(int kind);

int optim_init(cv_optimizer *o, const cv_optim_config *cfg, size_t n, cv_error *e);
void optim_free(cv_optimizer *o);
/* Advances the step count and computes this step's alpha; call once per
 * update, before optim_apply on all ranges. */
void optim_begin_step(cv_optimizer *o);
/* Updates params[begin, end) with the gradients grad_scale * grads[begin,
 * end) (the trainer passes 1 / batch size: the loss is the batch mean).
 * Disjoint ranges may be updated by different threads. */
void optim_apply(const cv_optimizer *o, float *params, const float *grads, float grad_scale,
                 size_t begin, size_t end);

#endif
