/* grad_scratch.c - which backward buffers the samples of a call can share.
 *
 * A training step keeps every sample's activations from its forward pass to
 * its backward pass, but most gradient buffers live only within one
 * sample's backward run: a reader writes its input's gradient, the layer
 * reads it back, and the next sample starts over.  Such a buffer needs no
 * copy per sample.  Moved to the shared region, it is one copy per call,
 * written and read again sample after sample while it is still in cache,
 * and each sample's slot shrinks by it (so more samples' activations stay in
 * cache between the passes).  The arithmetic is the same: same bits. */
#include "codegen/gen_layout.h"
#include "codegen/layer_emitter.h"

#include <stdio.h>
#include <string.h>

/* The gradient buffers in a layer's plan, which its backward function
 * addresses (-1 where it has none): their count. */
enum { GRAD_FIELDS = 5 };
static int grad_fields(const gen_layer_plan *p, int *b)
{
    b[0] = p->dout, b[1] = p->dpad, b[2] = p->dzpad, b[3] = p->din, b[4] = p->din2;
    return GRAD_FIELDS;
}

/* Does layer j's forward (*fwd) or backward (*bwd) touch buffer b?  Through
 * the plan's fields, which are all a layer function addresses buffers by
 * (the grad-sum buffers are its grad_sum function's). */
static void touches(const gen_layout *L, int j, int b, int *fwd, int *bwd)
{
    const gen_layer_plan *p = &L->plan[j];
    int sums[IR_MAX_LAYERS * IR_MAX_INPUTS], grads[GRAD_FIELDS], n, k;
    if (b == p->out || b == p->pad || b == p->mask || b == p->logits || b == p->in ||
        b == p->in2)
        *fwd = 1;
    n = grad_fields(p, grads);
    for (k = 0; k < n; k++)
        if (grads[k] == b)
            *bwd = 1;
    n = gen_grad_sums(L, j, sums, IR_MAX_LAYERS * IR_MAX_INPUTS);
    for (k = 0; k < n; k++)
        if (sums[k] == b)
            *bwd = 1;
}

/* Can buffer b be one copy per call?  Only the backward pass touches it,
 * not the loss (the last layer's gradient is written in a loop of its own),
 * and its first and last users run in one per-sample loop: no layer from
 * the first to the last is batched (a loop over groups) or takes batch
 * statistics (a step boundary, gen_train_steps.c). */
static int shareable(const gen_layout *L, int b)
{
    const ir_model *m = L->m;
    int j, first = -1, last = -1;
    if (L->buffers[b].shared || b == L->plan[m->n_layers - 1].dout)
        return 0;
    for (j = 0; j < m->n_layers; j++) {
        int fwd = 0, bwd = 0;
        touches(L, j, b, &fwd, &bwd);
        if (fwd)
            return 0;
        if (bwd) {
            if (first < 0)
                first = j;
            last = j;
        }
    }
    if (first < 0)
        return 0;
    for (j = first; j <= last; j++)
        if (L->plan[j].batched || L->plan[j].batch_stats)
            return 0;
    return 1;
}

/* Does layer i's backward function address a shared gradient buffer? */
static int backward_takes_scratch(const gen_layout *L, int i)
{
    int own[GRAD_FIELDS], n = grad_fields(&L->plan[i], own), k;
    for (k = 0; k < n; k++)
        if (own[k] >= 0 && L->buffers[own[k]].scratch)
            return 1;
    return 0;
}

void gen_grad_sum_bases(const gen_layout *L, int i, int *in_w, int *in_scratch)
{
    int sums[IR_MAX_LAYERS * IR_MAX_INPUTS], n, k;
    *in_w = *in_scratch = 0;
    n = gen_grad_sums(L, i, sums, IR_MAX_LAYERS * IR_MAX_INPUTS);
    if (n == 0)
        return;
    sums[n++] = L->plan[i].dout;
    for (k = 0; k < n; k++) {
        if (L->buffers[sums[k]].scratch)
            *in_scratch = 1;
        else
            *in_w = 1;
    }
}

/* Does layer i's backward function address anything in the sample's slot?
 * Its text, written once into a throwaway emitter, tells: every address of
 * a work buffer comes from gen_buf_base. */
static int backward_uses_w(const gen_layout *L, int i)
{
    emitter e;
    gen_ctx c;
    emit_init(&e);
    gen_ctx_init(&c, &e, L);
    gen_emitter_of(L->m->layers[i].kind)->backward(&c, i);
    emit_free(&e);
    return c.w_used;
}

static void drop_work_arg(gen_arg_list *a)
{
    int k, n = 0;
    for (k = 0; k < a->n; k++)
        if (a->arg[k].kind != GEN_ARG_WORK)
            a->arg[n++] = a->arg[k];
    a->n = n;
}

/* The scratch buffers take the start of the shared region, the others
 * move up: so `scratch`, the region's start, is no other shared argument's
 * start (a restrict parameter equal to another argument is a warning). */
void gen_layout_share_scratch(gen_layout *L)
{
    int b, i;
    int64_t at = 0, front = 0;
    if (!L->training)
        return;
    for (b = 0; b < L->n_buffers; b++)
        if (shareable(L, b)) {
            gen_buffer *g = &L->buffers[b];
            char was[GEN_NAME_MAX];
            memcpy(was, g->macro, sizeof was);
            snprintf(g->macro, sizeof g->macro, "WS_%.44s", was + 2);   /* W_X -> WS_X */
            g->scratch = 1;
            front += gen_aligned(g->count);
        }
    if (front == 0)
        return;
    for (b = 0; b < L->n_buffers; b++) {
        gen_buffer *g = &L->buffers[b];
        if (g->scratch) {
            g->shared = 1;
            g->offset = at;
            at += gen_aligned(g->count);
        } else if (g->shared) {
            g->offset += front;
        }
    }
    L->work_shared += front;
    at = 0;
    for (b = 0; b < L->n_buffers; b++)
        if (!L->buffers[b].shared) {
            L->buffers[b].offset = at;
            at += gen_aligned(L->buffers[b].count);
        }
    L->work_per_sample = at;
    for (i = 0; i < L->m->n_layers; i++)
        if (L->plan[i].has_backward && backward_takes_scratch(L, i)) {
            gen_plan_arg(&L->plan[i].bwd_args, GEN_ARG_SCRATCH, "scratch", -1, 0, GEN_BOTH);
            if (!backward_uses_w(L, i))
                drop_work_arg(&L->plan[i].bwd_args);
        }
}
