/* grad_tree.h - the gradient of a batch as K slices combined by one fixed
 * pairwise tree.
 *
 * Slice k of a batch of n samples is samples [k*n/K, (k+1)*n/K); its
 * gradient goes into its own buffer.  The tree over slices [lo, hi) adds
 * the tree of [lo, mid) and the tree of [mid, hi), mid = (lo + hi) / 2,
 * and keeps the result in buffer lo.  Every float of the batch's gradient
 * therefore comes from one sequence of additions that depends on K only:
 * threads or processes that each own a contiguous range of slices may sum
 * the tree nodes inside their range first (grad_tree_presum) and the rest
 * of the tree later (grad_tree_finish), with the same bits as one thread
 * doing everything. */
#ifndef CONVC_GRAD_TREE_H
#define CONVC_GRAD_TREE_H

#include <stddef.h>

/* The most tree nodes inside one range of slices (2*log2(K)+2 for K up
 * to 2^31). */
#define GRAD_TREE_MAX_NODES 64

/* Part p of P equal contiguous parts of n things: [*lo, *hi). */
void grad_part(size_t n, int p, int P, size_t *lo, size_t *hi);

/* The largest tree nodes of K slices that lie inside [a, b): their first
 * slices into first[] and their ends into end[] (at most
 * GRAD_TREE_MAX_NODES), in slice order; returns their number. */
int grad_tree_nodes(int K, int a, int b, int *first, int *end);

/* Sums the tree of slices [lo, hi) into g[lo], floats [begin, end) of
 * each buffer. */
void grad_tree_presum(float *const *g, int lo, int hi, size_t begin, size_t end);

/* Completes the tree of all K slices into g[0] (floats [begin, end)) when
 * every node inside one part of `owner` (owner[k]: the part that slice k
 * belongs to, a contiguous range per part) is already summed into its
 * first buffer; owner NULL: every slice is its own part. */
void grad_tree_finish(float *const *g, int K, const int *owner, size_t begin, size_t end);

#endif
