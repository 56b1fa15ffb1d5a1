/* optim.h - optimizers, with Keras' update rules and defaults:
 *   sgd       p -= lr * g
 *   momentum  v = mu * v - lr * g;  p += v                      (mu 0.9)
 *   nesterov  v = mu * v - lr * g;  p += mu * v - lr * g        (mu 0.9)
 *   adam      m += (g - m) * (1 - b1);  v += (g*g - v) * (1 - b2);
 *             p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 *   adamw     as torch.optim.AdamW: p *= 1 - lr * wd (decoupled weight
 *             decay, default 0.01 as there), m and v as adam, then
 *             p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)
 *             (epsilon after the bias correction, unlike Keras' adam)
 * Weight decay wd of the others is L2: g += wd * p before the update (as
 * torch.optim.SGD's and Adam's weight_decay).  lr is this step's rate (the
 * schedule's, train/schedule.h).  Only parameters marked by optim_set_decay
 * decay.  Default learning rates: adam and adamw 0.001, the others 0.01. */
#ifndef CONVC_OPTIM_H
#define CONVC_OPTIM_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"
#include "base/optimizers.h"
#include "convc_model.h"

/* The values are stored in checkpoints; the names are cv_optimizer_names. */
#define OPTIM_KIND(id, name) OPTIM_##id,
enum cv_optim_kind { CV_OPTIMIZER_LIST(OPTIM_KIND) };
#undef OPTIM_KIND

typedef struct {
    int kind;               /* enum cv_optim_kind */
    double lr, beta1, beta2, epsilon, momentum;
    double weight_decay;    /* L2, or decoupled for adamw */
} cv_optim_config;

typedef struct {
    cv_optim_config cfg;
    size_t n;               /* parameters */
    uint64_t step;          /* updates done */
    float *state[2];        /* adam: m, v; momentum/nesterov: velocity; NULL if unused */
    double lr;              /* the next step's learning rate (starts at cfg.lr) */
    float alpha;            /* this step's learning rate (adam: bias corrected) */
    float v_scale;          /* adamw: 1 / sqrt(1 - b2^t), else 1 */
    uint8_t *decay;         /* 1 for each parameter that decays; NULL: all */
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
/* Marks which of m's parameters decay: kernels (tensors of rank 2 or more),
 * not biases or other per-channel vectors such as batch normalization's
 * gamma and beta, unless all is set. */
int optim_set_decay(cv_optimizer *o, const convc_model *m, int all, cv_error *e);
/* Advances the step count and computes this step's alpha from o->lr; call
 * once per update, before optim_apply on all ranges. */
void optim_begin_step(cv_optimizer *o);
/* Updates params[begin, end) with the gradients grad_scale * grads[begin,
 * end) (the trainer passes 1 / batch size: the loss is the batch mean).
 * Disjoint ranges may be updated by different threads. */
void optim_apply(const cv_optimizer *o, float *params, const float *grads, float grad_scale,
                 size_t begin, size_t end);

#endif
