/* mem_plan.c - liveness of the work buffers over the layer graph and their
 * greedy placement (see mem_plan.h). */
#include "codegen/mem_plan.h"

#include <stdlib.h>
#include <string.h>

int gen_layer_inputs(const gen_layout *L, int j, int *in)
{
    /* The outputs the layer reads: the line before or its 'from', and the
     * layer an add or concat names. */
    int n = 0;
    if (L->plan[j].in >= 0)
        in[n++] = L->plan[j].in;
    if (L->plan[j].in2 >= 0)
        in[n++] = L->plan[j].in2;
    return n;
}

typedef struct {
    const gen_layout *L;
    const int *first, *last;
} order_ctx;

static order_ctx sort_ctx;  /* qsort has no context argument in C11 */

/* Largest first; among equals the earlier-born, then the lower index, so
 * the plan is the same on every machine. */
static int by_size(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    int64_t sa = gen_aligned(sort_ctx.L->buffers[a].count);
    int64_t sb = gen_aligned(sort_ctx.L->buffers[b].count);
    if (sa != sb)
        return sa > sb ? -1 : 1;
    if (sort_ctx.first[a] != sort_ctx.first[b])
        return sort_ctx.first[a] < sort_ctx.first[b] ? -1 : 1;
    return (a > b) - (a < b);
}

/* The lowest offset at which buffer b overlaps no placed buffer of its
 * region that is live at the same time. */
static int64_t lowest_fit(const gen_layout *L, const int *placed, int n_placed, int b,
                          const int *first, const int *last)
{
    int64_t off = 0, size = gen_aligned(L->buffers[b].count);
    int moved = 1;
    while (moved) {
        moved = 0;
        for (int k = 0; k < n_placed; k++) {
            const gen_buffer *o = &L->buffers[placed[k]];
            int64_t end = o->offset + gen_aligned(o->count);
            if (first[placed[k]] > last[b] || last[placed[k]] < first[b])
                continue;           /* never live together */
            if (o->offset < off + size && off < end) {
                off = end;          /* past it, and look again */
                moved = 1;
            }
        }
    }
    return off;
}

static int64_t place_region(gen_layout *L, int shared, int *order, const int *first,
                            const int *last)
{
    int n = 0;
    int64_t top = 0;
    for (int b = 0; b < L->n_buffers; b++)
        if (L->buffers[b].shared == shared)
            order[n++] = b;
    sort_ctx = (order_ctx){ L, first, last };
    qsort(order, (size_t)n, sizeof *order, by_size);
    for (int k = 0; k < n; k++) {
        gen_buffer *b = &L->buffers[order[k]];
        b->offset = lowest_fit(L, order, k, order[k], first, last);
        if (b->offset + gen_aligned(b->count) > top)
            top = b->offset + gen_aligned(b->count);
    }
    return top;
}

int gen_mem_plan_apply(gen_layout *L, gen_mem_plan *P)
{
    int nl = L->m->n_layers, nb = L->n_buffers;
    int *first = calloc((size_t)nb + 1, sizeof *first);
    int *last = calloc((size_t)nb + 1, sizeof *last);
    int *order = calloc((size_t)nb + 1, sizeof *order);
    int in[IR_MAX_LAYERS] = { 0 };
    int64_t *adds = calloc((size_t)nl + 1, sizeof *adds);
    int64_t *live = calloc((size_t)nl + 1, sizeof *live);
    const gen_layer_plan *tail = &L->plan[nl - 1];
    int64_t before = L->work_per_sample + L->work_shared;
    if (!first || !last || !order || !adds || !live) {
        free(first), free(last), free(order), free(adds), free(live);
        return -1;
    }
    for (int b = 0; b < nb; b++)
        first[b] = last[b] = L->buffers[b].layer;
    for (int j = 0; j < nl; j++)
        for (int k = 0, n = gen_layer_inputs(L, j, in); k < n; k++)
            if (last[in[k]] < j)
                last[in[k]] = j;
    /* The head (softmax, probabilities) reads the last layer's buffers
     * after every layer has run. */
    if (tail->out >= 0)
        last[tail->out] = nl;
    if (tail->logits >= 0)
        last[tail->logits] = nl;
    L->work_per_sample = place_region(L, 0, order, first, last);
    L->work_shared = place_region(L, 1, order, first, last);

    for (int b = 0; b < nb; b++) {
        adds[first[b]] += gen_aligned(L->buffers[b].count);
        for (int j = first[b]; j <= last[b] && j < nl; j++)
            live[j] += gen_aligned(L->buffers[b].count);
    }
    free(first), free(last), free(order);
    if (!P) {
        free(adds), free(live);
        return 0;
    }
    memset(P, 0, sizeof *P);
    P->n_layers = nl;
    P->before = before;
    P->arena = L->work_per_sample + L->work_shared;
    P->adds = adds;
    P->live = live;
    for (int j = 0; j < nl; j++)
        if (live[j] > P->peak_live) {
            P->peak_live = live[j];
            P->peak_layer = j;
        }
    return 0;
}

void gen_mem_plan_free(gen_mem_plan *P)
{
    free(P->adds);
    free(P->live);
    memset(P, 0, sizeof *P);
}
