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

/* Clones for wider vectors where the processor has them.  Each update is
 * elementwise and uses only correctly rounded IEEE operations (no FMA: ISO C
 * mode does not contract), so every clone, and a vector body against its
 * scalar tail, gives the same bits: the result depends on neither the
 * machine nor where the thread ranges split the parameters. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES
#endif

/* One optimizer step on [begin, end), where every parameter decays alike:
 * coupled (L2) decay adds l2 * p to the gradient, decoupled decay (AdamW,
 * torch's p.mul_(1 - lr * wd) before the step) multiplies p by shrink; a
 * parameter that does not decay gets l2 = 0 and shrink = 1, both exact.
 * The loops have no branch on the element, so they vectorize. */
VECTOR_CLONES
static void apply_run(const cv_optimizer *o, float *restrict p, const float *restrict g,
                      float k, float l2, float shrink, size_t begin, size_t end)
{
    const float alpha = o->alpha;
    switch (o->cfg.kind) {
    case OPTIM_SGD:
        for (size_t i = begin; i < end; i++)
            p[i] -= alpha * (k * g[i] + l2 * p[i]);
        break;
    case OPTIM_MOMENTUM: {
        float *restrict v = o->state[0];
        const float mu = (float)o->cfg.momentum;
        for (size_t i = begin; i < end; i++) {
            v[i] = mu * v[i] - alpha * (k * g[i] + l2 * p[i]);
            p[i] += v[i];
        }
        break;
    }
    case OPTIM_NESTEROV: {
        float *restrict v = o->state[0];
        const float mu = (float)o->cfg.momentum;
        for (size_t i = begin; i < end; i++) {
            const float gi = k * g[i] + l2 * p[i];
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
        const float v_scale = o->v_scale;
        for (size_t i = begin; i < end; i++) {
            const float pi = p[i] * shrink;
            const float gi = k * g[i] + l2 * pi;
            const float mi = m[i] + (gi - m[i]) * one_minus_b1;
            const float vi = v[i] + (gi * gi - v[i]) * one_minus_b2;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - alpha * mi / (sqrtf(vi) * v_scale + eps);
        }
        break;
    }
    }
}

/* The decay is per tensor (optim_set_decay), so [begin, end) is a few long
 * runs of parameters that decay alike; each run is one apply_run(). */
void optim_apply(const cv_optimizer *o, float *params, const float *grads, float grad_scale,
                 size_t begin, size_t end)
{
    const uint8_t *d = o->decay;
    const float lr = (float)o->lr, wd = (float)o->cfg.weight_decay;
    const int decoupled = o->cfg.kind == OPTIM_ADAMW;
    const float l2 = decoupled ? 0.0f : wd, shrink = decoupled ? 1.0f - lr * wd : 1.0f;
    for (size_t i = begin; i < end;) {
        const int decays = !d || d[i];
        size_t j = end;
        if (d && decays) {
            const uint8_t *z = memchr(d + i, 0, end - i);
            j = z ? (size_t)(z - d) : end;
        } else if (d) {
            for (j = i + 1; j < end && !d[j]; j++)
                ;
        }
        apply_run(o, params, grads, grad_scale, decays ? l2 : 0.0f, decays ? shrink : 1.0f, i, j);
        i = j;
    }
}
