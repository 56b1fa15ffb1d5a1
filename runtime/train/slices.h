/* slices.h - the K gradient slices of a training batch (--workers K): one
 * gradient buffer, loss and correct count per slice, which slices this
 * process computes, and the batch's gradient as their fixed tree sum
 * (grad_tree.h).
 *
 * With several processes (exchange.h) process p owns slices
 * [p*K/P, (p+1)*K/P).  A batch then runs: compute the own slices; presum
 * the tree nodes inside the own range; exchange (every process gets every
 * process's nodes, losses and counts); finish the tree, so that every
 * process holds the same gradient and applies the same optimizer step.
 * The buffers of the nodes' first slices lie in one block, each process's
 * in a row, so the exchange is one in-place gather. */
#ifndef CONVC_SLICES_H
#define CONVC_SLICES_H

#include <stddef.h>
#include "base/error.h"
#include "train/exchange.h"

typedef struct cv_slices cv_slices;

/* K zeroed slices of n_params floats; x NULL: one process. */
cv_slices *slices_new(size_t n_params, int K, const cv_exchange *x, cv_error *e);
void slices_free(cv_slices *s);

int slices_count(const cv_slices *s);
/* This process's slices: [*first, *end). */
void slices_own(const cv_slices *s, int *first, int *end);
/* Slice k's images of a batch of n: [*lo, *hi). */
void slices_images(const cv_slices *s, int k, size_t n, size_t *lo, size_t *hi);
/* The slices' gradient buffers (K), and their loss and correct count. */
float *const *slices_grads(const cv_slices *s);
void slices_set_result(cv_slices *s, int k, double loss, size_t correct);

/* The tree nodes inside this process's range, floats [begin, end) (only
 * needed with several processes). */
void slices_presum(const cv_slices *s, size_t begin, size_t end);
/* Several processes: shares the presummed nodes, losses and counts. */
void slices_exchange(cv_slices *s);
/* The batch's gradient into slices_grads()[0] (floats [begin, end)),
 * after the presum and the exchange. */
void slices_finish(const cv_slices *s, size_t begin, size_t end);
/* Zeroes this process's slices (floats [begin, end)) for the next batch. */
void slices_zero(const cv_slices *s, size_t begin, size_t end);
/* The batch's loss and correct count, summed in slice order. */
double slices_loss(const cv_slices *s, size_t *correct);

#endif
