/* slices.c - the K gradient slices of a batch and their exchange between
 * processes (slices.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "train/grad_tree.h"
#include "train/slices.h"

struct cv_slices {
    const cv_exchange *x;
    int K, first, end;          /* this process's slices: [first, end) */
    size_t n_params, stride;    /* floats per buffer, padded to 64 bytes */
    float *block;               /* K buffers */
    float **grads;              /* slice k's buffer */
    int *owner;                 /* several processes: process of slice k */
    int n_own_nodes;            /* the largest tree nodes inside [first, end) */
    int node_first[GRAD_TREE_MAX_NODES], node_end[GRAD_TREE_MAX_NODES];
    int *node_count, *node_displ;   /* per process: floats of its nodes */
    double *results;            /* 2K: loss, correct of each slice */
    int *result_count, *result_displ;
};

void slices_free(cv_slices *s)
{
    if (!s)
        return;
    free(s->block);
    free(s->grads);
    free(s->owner);
    free(s->node_count);
    free(s->node_displ);
    free(s->results);
    free(s->result_count);
    free(s->result_displ);
    free(s);
}

/* Buffer order: the first slices of every process's largest nodes, process
 * after process (so each process's nodes are one run of the block), then
 * the other slices. */
static int lay_out(cv_slices *s, cv_error *e)
{
    int P = s->x ? s->x->size : 1, K = s->K, slot = 0;
    int first[GRAD_TREE_MAX_NODES], end[GRAD_TREE_MAX_NODES];
    /* MPI counts and displacements are ints. */
    if (s->x && (double)K * (double)s->stride > INT_MAX)
        return cv_fail(e, "--workers %d: %d slices of %zu floats are more than one MPI "
                       "gather can address (%d floats)", K, K, s->n_params, INT_MAX);
    char *placed = calloc((size_t)K, 1);
    if (!placed)
        return cv_fail(e, "out of memory for %d gradient slices", K);
    for (int p = 0; p < P; p++) {
        size_t a, b;
        grad_part((size_t)K, p, P, &a, &b);
        int n = grad_tree_nodes(K, (int)a, (int)b, first, end);
        for (size_t k = a; k < b; k++)
            s->owner[k] = p;
        if (p == (s->x ? s->x->rank : 0)) {
            s->first = (int)a;
            s->end = (int)b;
            s->n_own_nodes = n;
            memcpy(s->node_first, first, (size_t)n * sizeof *first);
            memcpy(s->node_end, end, (size_t)n * sizeof *end);
        }
        s->node_count[p] = (int)((size_t)n * s->stride);
        s->node_displ[p] = (int)((size_t)slot * s->stride);
        s->result_count[p] = 2 * (int)(b - a);
        s->result_displ[p] = 2 * (int)a;
        for (int i = 0; i < n; i++) {
            s->grads[first[i]] = s->block + (size_t)slot++ * s->stride;
            placed[first[i]] = 1;
        }
    }
    for (int k = 0; k < K; k++)
        if (!placed[k])
            s->grads[k] = s->block + (size_t)slot++ * s->stride;
    free(placed);
    return 0;
}

cv_slices *slices_new(size_t n_params, int K, const cv_exchange *x, cv_error *e)
{
    cv_slices *s = calloc(1, sizeof *s);
    if (!s) {
        cv_fail(e, "out of memory for %d gradient slices", K);
        return NULL;
    }
    int P = x ? x->size : 1;
    s->x = x;
    s->K = K;
    s->n_params = n_params;
    s->stride = (n_params + 15) / 16 * 16;
    s->block = aligned_alloc(64, ((size_t)K * s->stride + 16) * sizeof *s->block);
    s->grads = calloc((size_t)K, sizeof *s->grads);
    s->owner = calloc((size_t)K, sizeof *s->owner);
    s->node_count = calloc((size_t)P, sizeof(int));
    s->node_displ = calloc((size_t)P, sizeof(int));
    s->results = calloc(2 * (size_t)K, sizeof *s->results);
    s->result_count = calloc((size_t)P, sizeof(int));
    s->result_displ = calloc((size_t)P, sizeof(int));
    if (!s->block || !s->grads || !s->owner || !s->node_count || !s->node_displ ||
        !s->results || !s->result_count || !s->result_displ) {
        slices_free(s);
        cv_fail(e, "out of memory for %d gradient slices of %zu floats", K, n_params);
        return NULL;
    }
    memset(s->block, 0, (size_t)K * s->stride * sizeof *s->block);
    if (lay_out(s, e) < 0) {
        slices_free(s);
        return NULL;
    }
    return s;
}

int slices_count(const cv_slices *s)
{
    return s->K;
}

void slices_own(const cv_slices *s, int *first, int *end)
{
    *first = s->first;
    *end = s->end;
}

void slices_images(const cv_slices *s, int k, size_t n, size_t *lo, size_t *hi)
{
    grad_part(n, k, s->K, lo, hi);
}

float *const *slices_grads(const cv_slices *s)
{
    return s->grads;
}

void slices_set_result(cv_slices *s, int k, double loss, size_t correct)
{
    s->results[2 * k] = loss;
    s->results[2 * k + 1] = (double)correct;
}

void slices_presum(const cv_slices *s, size_t begin, size_t end)
{
    for (int i = 0; i < s->n_own_nodes; i++)
        grad_tree_presum(s->grads, s->node_first[i], s->node_end[i], begin, end);
}

void slices_exchange(cv_slices *s)
{
    if (!s->x)
        return;
    s->x->gather_floats(s->x, s->block, s->node_count, s->node_displ);
    s->x->gather_doubles(s->x, s->results, s->result_count, s->result_displ);
}

void slices_finish(const cv_slices *s, size_t begin, size_t end)
{
    grad_tree_finish(s->grads, s->K, s->x ? s->owner : NULL, begin, end);
}

void slices_zero(const cv_slices *s, size_t begin, size_t end)
{
    for (int k = s->first; k < s->end; k++)
        memset(s->grads[k] + begin, 0, (end - begin) * sizeof(float));
}

double slices_loss(const cv_slices *s, size_t *correct)
{
    double loss = 0;
    *correct = 0;
    for (int k = 0; k < s->K; k++) {
        loss += s->results[2 * k];
        *correct += (size_t)s->results[2 * k + 1];
    }
    return loss;
}
