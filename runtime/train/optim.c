/* optim.c - SGD, momentum, Nesterov and Adam. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "train/optim.h"

cv_optim_config optim_defaults(int kind)
{
    cv_optim_config c = { .kind = kind, .lr = 0.01, .beta1 = 0.9, .beta2 = 0.999,
                          .epsilon = 1e-7, .momentum = 0.0 };
    if (kind == OPTIM_ADAM)
        c.lr = 0.001;
    if (kind == OPTIM_MOMENTUM || kind == OPTIM_NESTEROV)
        c.momentum = 0.9;
    return c;
}

int optim_parse_kind(const char *name)
{
    return cv_optimizer_of(name);
}

const char *optim_kind_name(int kind)
{
    return kind >= 0 && kind < CV_N_OPTIMIZERS ? cv_optimizer_names[kind] : "unknown";
}

int optim_state_count(int kind)
{
    return kind == OPTIM_ADAM ? 2 : kind == OPTIM_SGD ? 0 : 1;
}

int optim_init(cv_optimizer *o, const cv_optim_config *cfg, size_t n, cv_error *e)
{
    memset(o, 0, sizeof *o);
    o->cfg = *cfg;
    o->n = n;
    for (int i = 0; i < optim_state_count(cfg->kind); i++) {
        o->state[i] = calloc(n ? n : 1, sizeof(float));
        if (!o->state[i]) {
            optim_free(o);
            return cv_fail(e, "optimizer: out of memory for %zu parameters", n);
        }
    }
    return 0;
}

void optim_free(cv_optimizer *o)
{
    free(o->state[0]);
    free(o->state[1]);
    o->state[0] = o->state[1] = NULL;
}

void optim_begin_step(cv_optimizer *o)
{
    o->step++;
    double lr = o->cfg.lr;
    if (o->cfg.kind == OPTIM_ADAM) {
        double t = (double)o->step;
        lr *= sqrt(1.0 - pow(o->cfg.beta2, t)) / (1.0 - pow(o->cfg.beta1, t));
    }
    o->alpha = (float)lr;
}

void optim_apply(const cv_optimizer *o, float *params, const float *grads, float grad_scale,
                 size_t begin, size_t end)
{
    const float alpha = o->alpha, lr = (float)o->cfg.lr, k = grad_scale;
    float *restrict p = params;
    const float *restrict g = grads;
    switch (o->cfg.kind) {
    case OPTIM_SGD:
        for (size_t i = begin; i < end; i++)
            p[i] -= lr * (k * g[i]);
        break;
    case OPTIM_MOMENTUM: {
        float *restrict v = o->state[0];
        const float mu = (float)o->cfg.momentum;
        for (size_t i = begin; i < end; i++) {
            v[i] = mu * v[i] - lr * (k * g[i]);
            p[i] += v[i];
        }
        break;
    }
    case OPTIM_NESTEROV: {
        float *restrict v = o->state[0];
        const float mu = (float)o->cfg.momentum;
        for (size_t i = begin; i < end; i++) {
            const float gi = k * g[i];
            v[i] = mu * v[i] - lr * gi;
            p[i] += mu * v[i] - lr * gi;
        }
        break;
    }
    case OPTIM_ADAM: {
        float *restrict m = o->state[0], *restrict v = o->state[1];
        const float one_minus_b1 = (float)(1.0 - o->cfg.beta1);
        const float one_minus_b2 = (float)(1.0 - o->cfg.beta2);
        const float eps = (float)o->cfg.epsilon;
        for (size_t i = begin; i < end; i++) {
            const float gi = k * g[i];
            m[i] += (gi - m[i]) * one_minus_b1;
            v[i] += (gi * gi - v[i]) * one_minus_b2;
            p[i] -= alpha * m[i] / (sqrtf(v[i]) + eps);
        }
        break;
    }
    }
}
