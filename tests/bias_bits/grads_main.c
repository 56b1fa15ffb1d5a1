/* grads_main.c - the gradient of one forward and backward pass of a
 * generated model (-DMODEL=name_model) on fixed irregular parameters and
 * images, written to stdout as raw floats (tests/t_bias_bits.sh compares
 * the bias-like tensors of several builds byte for byte). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "convc_model.h"

#ifndef MODEL
#error "compile with -DMODEL=<name>_model"
#endif

extern const convc_model MODEL;

int main(void)
{
    const convc_model *m = &MODEL;
    enum { N = 5 };
    size_t in = (size_t)m->in_h * m->in_w * m->in_c, i;
    float *p = calloc(m->n_params, sizeof *p), *g = calloc(m->n_params, sizeof *g);
    float *x = calloc(N * in, sizeof *x), *probs = calloc((size_t)N * m->n_classes, sizeof *probs);
    float *w = calloc(convc_work_floats(m, N), sizeof *w);
    uint8_t labels[N];
    uint64_t seeds[N];
    int t;
    if (!p || !g || !x || !probs || !w)
        return 1;
    /* values whose sums round: the orders of summation show in the bits */
    for (i = 0; i < m->n_params; i++)
        p[i] = (float)sin((double)i * 1.37) * 0.3f;
    for (t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].non_trainable)
            for (i = 0; i < m->tensors[t].count; i++)
                p[m->tensors[t].offset + i] = 1.0f;
    for (i = 0; i < N * in; i++)
        x[i] = (float)cos((double)i * 0.77);
    for (t = 0; t < N; t++) {
        labels[t] = (uint8_t)(t % m->n_classes);
        seeds[t] = (uint64_t)t + 1;
    }
    m->forward(p, w, x, N, probs, seeds);
    m->backward(p, g, w, x, labels, N);
    fwrite(g, sizeof *g, m->n_params, stdout);
    for (t = 0; t < m->n_tensors; t++)
        fprintf(stderr, "%s %zu %zu\n", m->tensors[t].name, m->tensors[t].offset,
                m->tensors[t].count);
    return 0;
}
