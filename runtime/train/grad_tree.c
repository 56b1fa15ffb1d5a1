/* grad_tree.c - the fixed pairwise tree over K gradient slices
 * (grad_tree.h). */
#include "train/grad_tree.h"

void grad_part(size_t n, int p, int P, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)p / (size_t)P;
    *hi = n * (size_t)(p + 1) / (size_t)P;
}

static void add(float *restrict to, const float *restrict from, size_t begin, size_t end)
{
    for (size_t i = begin; i < end; i++)
        to[i] += from[i];
}

static int find_nodes(int lo, int hi, int a, int b, int *first, int *end, int n)
{
    if (hi <= a || lo >= b)
        return n;
    if (a <= lo && hi <= b) {
        first[n] = lo;
        end[n] = hi;
        return n + 1;
    }
    int mid = (lo + hi) / 2;
    n = find_nodes(lo, mid, a, b, first, end, n);
    return find_nodes(mid, hi, a, b, first, end, n);
}

int grad_tree_nodes(int K, int a, int b, int *first, int *end)
{
    return find_nodes(0, K, a, b, first, end, 0);
}

void grad_tree_presum(float *const *g, int lo, int hi, size_t begin, size_t end)
{
    if (hi - lo < 2)
        return;
    int mid = (lo + hi) / 2;
    grad_tree_presum(g, lo, mid, begin, end);
    grad_tree_presum(g, mid, hi, begin, end);
    add(g[lo], g[mid], begin, end);
}

static void finish(float *const *g, int lo, int hi, const int *owner, size_t begin,
                   size_t end)
{
    if (hi - lo < 2 || (owner && owner[lo] == owner[hi - 1]))
        return;
    int mid = (lo + hi) / 2;
    finish(g, lo, mid, owner, begin, end);
    finish(g, mid, hi, owner, begin, end);
    add(g[lo], g[mid], begin, end);
}

void grad_tree_finish(float *const *g, int K, const int *owner, size_t begin, size_t end)
{
    finish(g, 0, K, owner, begin, end);
}
