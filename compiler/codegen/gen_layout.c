/* gen_layout.c - parameter and work-buffer tables from the IR: the loop over
 * layers, and the helpers with which each emitter's plan hook adds its
 * tensors, buffers and function arguments. */
#include "codegen/gen_layout.h"
#include "codegen/layer_emitter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void upper_copy(char *dst, size_t size, const char *prefix, const char *src)
{
    size_t i = 0;
    for (; *prefix && i + 1 < size; prefix++)
        dst[i++] = *prefix;
    for (; *src && i + 1 < size; src++)
        dst[i++] = *src == '.' ? '_' : (char)toupper((unsigned char)*src);
    dst[i] = '\0';
}

int gen_layout_tensor(gen_layout *L, const char *layer, const char *what, int rank,
                      const int *shape, int glorot, int fan_in, int fan_out)
{
    gen_tensor *t = &L->tensors[L->n_tensors];
    int i;
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s.%s", layer, what);
    upper_copy(t->macro, sizeof t->macro, "P_", t->name);
    t->rank = rank;
    t->count = 1;
    for (i = 0; i < rank; i++) {
        t->shape[i] = shape[i];
        t->count *= shape[i];
    }
    t->offset = L->n_params;
    t->glorot = glorot;
    t->fan_in = fan_in;
    t->fan_out = fan_out;
    L->n_params += t->count;
    return L->n_tensors++;
}

int gen_layout_buffer(gen_layout *L, const char *layer, const char *what, int64_t count,
                      const char *shape, int shared)
{
    gen_buffer *b = &L->buffers[L->n_buffers];
    int64_t *end = shared ? &L->work_shared : &L->work_per_sample;
    char name[GEN_NAME_MAX];
    memset(b, 0, sizeof *b);
    snprintf(name, sizeof name, "%s_%s", layer, what);
    upper_copy(b->macro, sizeof b->macro, shared ? "WS_" : "W_", name);
    snprintf(b->what, sizeof b->what, "%s", shape);
    b->offset = *end;
    b->count = count;
    b->shared = shared;
    b->layer = L->planning;
    *end += gen_aligned(count);
    return L->n_buffers++;
}

int gen_layout_shaped(gen_layout *L, const char *layer, const char *what, ir_shape s)
{
    char text[64];
    if (s.h == 1 && s.w == 1)
        snprintf(text, sizeof text, "(%d)", s.c);
    else
        snprintf(text, sizeof text, "(%d, %d, %d)", s.h, s.w, s.c);
    return gen_layout_buffer(L, layer, what, (int64_t)s.h * s.w * s.c, text, 0);
}

void gen_layout_stats(gen_layout *L, int i, int64_t count, int64_t row)
{
    gen_layer_plan *p = &L->plan[i];
    p->batch_stats = 1;
    p->stats_at = L->stats_shared;
    p->row_at = L->stats_row;
    L->stats_shared += count;
    L->stats_row += row;
}

void gen_layout_output(gen_layout *L, int i)
{
    const ir_layer *l = &L->m->layers[i];
    gen_layer_plan *p = &L->plan[i];
    p->out = gen_layout_shaped(L, p->name, "out", l->out);
    if (L->training)
        p->dout = gen_layout_shaped(L, p->name, "dout", l->out);
}

void gen_plan_arg(gen_arg_list *a, gen_arg_kind kind, const char *name, int buffer,
                  int read_only, int when)
{
    gen_arg *g = &a->arg[a->n++];
    g->kind = kind;
    g->name = name;
    g->buffer = buffer;
    g->read_only = read_only;
    g->when = when;
}

void gen_plan_common_args(gen_layout *L, int i, int backward, int reads_input, int params_when)
{
    gen_layer_plan *p = &L->plan[i];
    gen_arg_list *a = backward ? &p->bwd_args : &p->fwd_args;
    if (p->kernel >= 0 && (!backward || p->din >= 0))
        gen_plan_arg(a, GEN_ARG_PARAMS, "params", -1, 1, params_when);
    if (backward && p->kernel >= 0)
        gen_plan_arg(a, GEN_ARG_GRADS, "grads", -1, 0, GEN_BOTH);
    gen_plan_arg(a, GEN_ARG_WORK, "w", -1, 0, GEN_BOTH);
    if (p->in < 0 && reads_input)
        gen_plan_arg(a, GEN_ARG_INPUT, "x", -1, 1, GEN_BOTH);
}

/* Is input k of layer i the first that reads its layer?  Readers in
 * layer order, then input order. */
static int first_reader(const ir_model *m, int i, int k)
{
    int j = m->layers[i].inputs[k], r, q;
    for (r = j + 1; r <= i; r++)
        for (q = 0; q < m->layers[r].n_inputs && (r < i || q < k); q++)
            if (m->layers[r].inputs[q] == j)
                return 0;
    return 1;
}

/* Where layer i's backward writes the gradient of its input k: the input
 * layer's dout for its first reader, else a buffer of this layer's. */
static int input_grad(gen_layout *L, int i, int k)
{
    const ir_layer *l = &L->m->layers[i];
    int j = l->inputs[k];
    if (j < 0 || !L->training)
        return -1;
    if (first_reader(L->m, i, k))
        return L->plan[j].dout;
    return gen_layout_shaped(L, L->plan[i].name, k == 0 ? "din" : "din2", L->m->layers[j].out);
}

int gen_grad_sums(const gen_layout *L, int layer, int *bufs, int max)
{
    const ir_model *m = L->m;
    int n = 0, r, k;
    if (!L->training)
        return 0;
    for (r = layer + 1; r < m->n_layers; r++)
        for (k = 0; k < m->layers[r].n_inputs; k++) {
            int b = k == 0 ? L->plan[r].din : L->plan[r].din2;
            if (m->layers[r].inputs[k] == layer && b != L->plan[layer].dout && n < max)
                bufs[n++] = b;
        }
    return n;
}

int gen_has_grad_sum(const gen_layout *L, int layer)
{
    int bufs[1];
    return gen_grad_sums(L, layer, bufs, 1) > 0;
}

int gen_layout_build(gen_layout *L, const ir_model *m, int training)
{
    return gen_layout_build_with(L, m, training, 0);
}

int gen_layout_build_with(gen_layout *L, const ir_model *m, int training, unsigned options)
{
    int i;
    memset(L, 0, sizeof *L);
    L->m = m;
    L->training = training;
    L->const_kernels = (options & GEN_CONST_KERNELS) != 0;
    L->direct = (options & GEN_DIRECT) != 0;
    L->lean = (options & GEN_LEAN) != 0;
    L->tensors = calloc((size_t)m->n_layers * 4 + 1, sizeof *L->tensors);
    L->buffers = calloc((size_t)m->n_layers * 16 + 1, sizeof *L->buffers);
    L->plan = calloc((size_t)m->n_layers + 1, sizeof *L->plan);
    if (!L->tensors || !L->buffers || !L->plan) {
        fprintf(stderr, "convc: out of memory\n");
        gen_layout_free(L);
        return -1;
    }
    for (i = 0; i < m->n_layers; i++) {
        const ir_layer *l = &m->layers[i];
        gen_layer_plan *p = &L->plan[i];
        int in = l->inputs[0];
        p->kernel = p->bias = p->out = p->dout = -1;
        p->pad = p->dpad = p->mask = p->logits = -1;
        p->kflip = p->dzpad = -1;
        p->wu = p->wut = p->wdu = p->wv = p->wm = -1;
        p->moving_mean = p->moving_var = -1;
        snprintf(p->name, sizeof p->name, "%s%d", ir_kind_name(l->kind), l->ordinal);
        p->in = in >= 0 ? L->plan[in].out : -1;
        p->din = input_grad(L, i, 0);
        p->in2 = l->n_inputs > 1 ? L->plan[l->inputs[1]].out : -1;
        p->din2 = l->n_inputs > 1 ? input_grad(L, i, 1) : -1;
        p->has_forward = 1;
        L->planning = i;
        gen_emitter_of(l->kind)->plan(L, i);
        if (!training)
            p->has_backward = 0;
        if (l->act == IR_SOFTMAX)
            p->logits = gen_layout_shaped(L, p->name, "logits", l->out);
    }
    L->final_softmax = m->n_layers > 0 && m->layers[m->n_layers - 1].act == IR_SOFTMAX;
    /* Winograd scratch and the transposed-conv input gradient buy speed with
     * memory; a model too big for them runs the direct kernels in the
     * buffers the semantic pass has bounded, so a checked model always fits. */
    if (!L->lean && L->work_per_sample + L->work_shared > IR_MAX_WORK) {
        gen_layout_free(L);
        return gen_layout_build_with(L, m, training, options | GEN_DIRECT | GEN_LEAN);
    }
    gen_layout_share_scratch(L);
    return 0;
}

void gen_layout_free(gen_layout *L)
{
    free(L->tensors);
    free(L->buffers);
    free(L->plan);
    memset(L, 0, sizeof *L);
}

const char *gen_in_macro(const gen_layout *L, int layer)
{
    int b = L->plan[layer].in;
    return b < 0 ? NULL : L->buffers[b].macro;
}
