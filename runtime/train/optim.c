/* optim.c - SGD, momentum, Nesterov, Adam and AdamW, with weight decay. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "train/optim.h"

cv_optim_config optim_defaults(int kind)
{
    cv_optim_config c = { .kind = kind, .lr = 0.01, .beta1 = 0.9, .beta2 = 0.999,
                          .epsilon = 1e-7, .momentum = 0.0 };
    if (kind == OPTIM_ADAM || kind == OPTIM_ADAMW)
        c.lr = 0.001;
    if (kind == OPTIM_ADAMW)
        c.weight_decay = 0.01;
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
    return kind == OPTIM_ADAM || kind == OPTIM_ADAMW ? 2 : kind == OPTIM_SGD ? 0 : 1;
}

int optim_init(cv_optimizer *o, const cv_optim_config *cfg, size_t n, cv_error *e)
{
    memset(o, 0, sizeof *o);
    o->cfg = *cfg;
    o->n = n;
    o->lr = cfg->lr;
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
    free(o->decay);
    o->state[0] = o->state[1] = NULL;
    o->decay = NULL;
}

/* Biases and per-channel scales and shifts (batch normalization's gamma and
 * beta) are vectors; weight decay is for kernels. */
static int tensor_decays(const convc_tensor *t)
{
    return t->rank >= 2;
}

int optim_set_decay(cv_optimizer *o, const convc_model *m, int all, cv_error *e)
{
    free(o->decay);
    o->decay = NULL;
    if (all)
        return 0;
    o->decay = calloc(o->n ? o->n : 1, 1);
    if (!o->decay)
        return cv_fail(e, "optimizer: out of memory for %zu parameters", o->n);
    for (int t = 0; t < m->n_tensors; t++)
        if (tensor_decays(&m->tensors[t]))
            memset(o->decay + m->tensors[t].offset, 1, m->tensors[t].count);
    return 0;
}

void optim_begin_step(cv_optimizer *o)
{
    o->step++;
    double lr = o->lr, t = (double)o->step;
    o->v_scale = 1.0f;
    if (o->cfg.kind == OPTIM_ADAM) {
        lr *= sqrt(1.0 - pow(o->cfg.beta2, t)) / (1.0 - pow(o->cfg.beta1, t));
    } else if (o->cfg.kind == OPTIM_ADAMW) {
        /* torch: epsilon is added after v's bias correction. */
        lr /= 1.0 - pow(o->cfg.beta1, t);
        o->v_scale = (float)(1.0 / sqrt(1.0 - pow(o->cfg.beta2, t)));
    }
    o->alpha = (float)lr;
}

void optim_apply(const cv_optimizer *o, float *params, const float *grads, float grad_scale,
                 size_t begin, size_t end)
{
    const float alpha = o->alpha, lr = (float)o->lr, k = grad_scale;
    float *restrict p = params;
    const float *restrict g = grads;
    const uint8_t *restrict d = o->decay;
    const float wd = (float)o->cfg.weight_decay;
    /* L2 (coupled) decay of parameter i, 0 when it does not decay. */
#define WD(i) (d && !d[i] ? 0.0f : wd)
    switch (o->cfg.kind) {
    case OPTIM_SGD:
        for (size_t i = begin; i < end; i++)
            p[i] -= alpha * (k * g[i] + WD(i) * p[i]);
        break;
    case OPTIM_MOMENTUM: {
        float *restrict v = o->state[0];
        const float mu = (float)o->cfg.momentum;
        for (size_t i = begin; i < end; i++) {
            v[i] = mu * v[i] - alpha * (k * g[i] + WD(i) * p[i]);
            p[i] += v[i];
        }
        break;
    }
    case OPTIM_NESTEROV: {
        float *restrict v = o->state[0];
        const float mu = (float)o->cfg.momentum;
        for (size_t i = begin; i < end; i++) {
            const float gi = k * g[i] + WD(i) * p[i];
            v[i] = mu * v[i] - alpha * gi;
            p[i] += mu * v[i] - alpha * gi;
        }
        break;
    }
    case OPTIM_ADAM:
    case OPTIM_ADAMW: {
        float *restrict m = o->state[0], *restrict v = o->state[1];
        const float one_minus_b1 = (float)(1.0 - o->cfg.beta1);
        const float one_minus_b2 = (float)(1.0 - o->cfg.beta2);
        const float eps = (float)o->cfg.epsilon;
        const int decoupled = o->cfg.kind == OPTIM_ADAMW;
        const float shrink = 1.0f - lr * wd;        /* torch: p.mul_(1 - lr * wd) */
        const float v_scale = o->v_scale;
        for (size_t i = begin; i < end; i++) {
            float gi = k * g[i];
            if (decoupled) {
                if (!d || d[i])
                    p[i] *= shrink;
            } else {
                gi += WD(i) * p[i];
            }
            m[i] += (gi - m[i]) * one_minus_b1;
            v[i] += (gi * gi - v[i]) * one_minus_b2;
            p[i] -= alpha * m[i] / (sqrtf(v[i]) * v_scale + eps);
        }
        break;
    }
    }
#undef WD
}
