/* gen_layout.c - parameter and work-buffer tables from the IR. */
#include "codegen/gen_layout.h"
#include "codegen/winograd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *layer_word(ir_kind k)
{
    switch (k) {
    case IR_CONV: return "conv";
    case IR_POOL: return "pool";
    case IR_FLATTEN: return "flatten";
    case IR_DENSE: return "dense";
    case IR_DROPOUT: return "dropout";
    }
    return "layer";
}

static void upper_copy(char *dst, size_t size, const char *prefix, const char *src)
{
    size_t i = 0;
    for (; *prefix && i + 1 < size; prefix++)
        dst[i++] = *prefix;
    for (; *src && i + 1 < size; src++)
        dst[i++] = *src == '.' ? '_' : (char)toupper((unsigned char)*src);
    dst[i] = '\0';
}

static int add_tensor(gen_layout *L, const char *layer, const char *what,
                      int rank, const int *shape, int glorot, int fan_in, int fan_out)
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

static int add_region_buffer(gen_layout *L, const char *layer, const char *what,
                             int64_t count, const char *shape_text, int shared)
{
    gen_buffer *b = &L->buffers[L->n_buffers];
    int64_t *end = shared ? &L->work_shared : &L->work_per_sample;
    char name[GEN_NAME_MAX];
    memset(b, 0, sizeof *b);
    snprintf(name, sizeof name, "%s_%s", layer, what);
    upper_copy(b->macro, sizeof b->macro, shared ? "WS_" : "W_", name);
    snprintf(b->what, sizeof b->what, "%s", shape_text);
    b->offset = *end;
    b->count = count;
    b->shared = shared;
    *end += (count + GEN_ALIGN - 1) / GEN_ALIGN * GEN_ALIGN;
    return L->n_buffers++;
}

static int add_buffer(gen_layout *L, const char *layer, const char *what,
                      int64_t count, const char *shape_text)
{
    return add_region_buffer(L, layer, what, count, shape_text, 0);
}

static int add_shared(gen_layout *L, const char *layer, const char *what,
                      int64_t count, const char *shape_text)
{
    return add_region_buffer(L, layer, what, count, shape_text, 1);
}

static void shape_text(char *buf, size_t size, ir_shape s)
{
    if (s.h == 1 && s.w == 1)
        snprintf(buf, size, "(%d)", s.c);
    else
        snprintf(buf, size, "(%d, %d, %d)", s.h, s.w, s.c);
}

/* Winograd tiles for conv layer l, or 0: stride 1, channels in whole
 * vectors, and a kernel size with an algorithm (winograd.c). */
static int plan_winograd(gen_layer_plan *p, const ir_layer *l)
{
    p->wm_h = wino_choose_m(l->kh, l->out.h);
    p->wm_w = wino_choose_m(l->kw, l->out.w);
    if (!p->vec_fwd || l->in.c % 8 != 0 || l->sh != 1 || l->sw != 1 || !p->wm_h || !p->wm_w) {
        p->wm_h = p->wm_w = 0;
        return 0;
    }
    p->th = (l->out.h + p->wm_h - 1) / p->wm_h;
    p->tw = (l->out.w + p->wm_w - 1) / p->wm_w;
    return 1;
}

static void add_winograd_buffers(gen_layout *L, gen_layer_plan *p, const ir_layer *l)
{
    int64_t xi = (int64_t)(p->wm_h + l->kh - 1) * (p->wm_w + l->kw - 1);
    int64_t tiles = (int64_t)p->th * p->tw;
    char t[64];
    snprintf(t, sizeof t, "(%lld, %d, %d)", (long long)xi, l->in.c, l->filters);
    if (!L->const_kernels)
        p->wu = add_shared(L, p->name, "wu", xi * l->in.c * l->filters, t);
    if (L->training) {
        p->wdu = add_shared(L, p->name, "wdu", xi * l->in.c * l->filters, t);
        snprintf(t, sizeof t, "(%lld, %d, %d)", (long long)xi, l->filters, l->in.c);
        p->wut = add_shared(L, p->name, "wut", xi * l->in.c * l->filters, t);
    }
    snprintf(t, sizeof t, "(%lld, %lld, %d)", (long long)xi, (long long)tiles, l->in.c);
    p->wv = add_shared(L, p->name, "wv", xi * tiles * l->in.c, t);
    snprintf(t, sizeof t, "(%lld, %lld, %d)", (long long)xi, (long long)tiles, l->filters);
    p->wm = add_shared(L, p->name, "wm", xi * tiles * l->filters, t);
}

int gen_layout_build(gen_layout *L, const ir_model *m, int training)
{
    return gen_layout_build_with(L, m, training, 0);
}

int gen_layout_build_with(gen_layout *L, const ir_model *m, int training, unsigned options)
{
    int i, prev_out = -1, prev_dout = -1;
    memset(L, 0, sizeof *L);
    L->m = m;
    L->training = training;
    L->const_kernels = (options & GEN_CONST_KERNELS) != 0;
    L->tensors = calloc((size_t)m->n_layers * 2 + 1, sizeof *L->tensors);
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
        int64_t in_n = (int64_t)l->in.h * l->in.w * l->in.c;
        int64_t out_n = (int64_t)l->out.h * l->out.w * l->out.c;
        char st[64];
        p->kernel = p->bias = p->out = p->dout = -1;
        p->pad = p->dpad = p->mask = p->logits = -1;
        p->kflip = p->dzpad = -1;
        p->wu = p->wut = p->wdu = p->wv = p->wm = -1;
        p->in = prev_out;
        p->din = (i == 0) ? -1 : prev_dout;
        snprintf(p->name, sizeof p->name, "%s%d", layer_word(l->kind), l->ordinal);
        shape_text(st, sizeof st, l->out);
        if (l->kind == IR_CONV) {
            int ks[4] = { l->kh, l->kw, l->in.c, l->filters };
            int bs[1] = { l->filters };
            p->kernel = add_tensor(L, p->name, "kernel", 4, ks, 1,
                                   l->kh * l->kw * l->in.c, l->kh * l->kw * l->filters);
            p->bias = add_tensor(L, p->name, "bias", 1, bs, 0, 0, 0);
            p->vec_fwd = l->filters % 8 == 0;
            p->wino = !(options & GEN_DIRECT) && plan_winograd(p, l);
            p->vec_dx = training && i > 0 && p->vec_fwd && !p->wino && l->in.c % 8 == 0 &&
                        l->sh == 1 && l->sw == 1;
            /* Winograd tiles read whole alpha x alpha blocks: the padded
             * input grows to a whole number of tiles and always exists. */
            p->pad_h = l->in.h + l->pad_top + l->pad_bottom;
            p->pad_w = l->in.w + l->pad_left + l->pad_right;
            if (p->wino) {
                p->pad_h = p->th * p->wm_h + l->kh - 1;
                p->pad_w = p->tw * p->wm_w + l->kw - 1;
                add_winograd_buffers(L, p, l);
            }
            if (p->vec_dx) {
                ir_shape ds = { l->out.h + 2 * (l->kh - 1), l->out.w + 2 * (l->kw - 1),
                                l->filters };
                char dt[64], kt[64];
                shape_text(dt, sizeof dt, ds);
                snprintf(kt, sizeof kt, "(%d, %d, %d, %d)", l->kh, l->kw, l->filters, l->in.c);
                p->kflip = add_shared(L, p->name, "kflip",
                                      (int64_t)l->kh * l->kw * l->in.c * l->filters, kt);
                p->dzpad = add_buffer(L, p->name, "dzpad", (int64_t)ds.h * ds.w * ds.c, dt);
            }
            if (p->wino || l->pad_top || l->pad_left || l->pad_bottom || l->pad_right) {
                ir_shape ps = { p->pad_h, p->pad_w, l->in.c };
                char pt[64];
                shape_text(pt, sizeof pt, ps);
                p->pad = add_buffer(L, p->name, "pad", (int64_t)ps.h * ps.w * ps.c, pt);
                if (training && i > 0)
                    p->dpad = add_buffer(L, p->name, "dpad", (int64_t)ps.h * ps.w * ps.c, pt);
            }
        } else if (l->kind == IR_DENSE) {
            int ks[2] = { (int)in_n, l->units };
            int bs[1] = { l->units };
            p->kernel = add_tensor(L, p->name, "kernel", 2, ks, 1, (int)in_n, l->units);
            p->bias = add_tensor(L, p->name, "bias", 1, bs, 0, 0, 0);
            p->batched = 1;
        }
        if (l->kind == IR_FLATTEN && i > 0) {
            p->out = prev_out;          /* HWC is already flat: no copy */
            p->dout = prev_dout;
        } else {
            p->out = add_buffer(L, p->name, "out", out_n, st);
            if (training)
                p->dout = add_buffer(L, p->name, "dout", out_n, st);
        }
        if (l->kind == IR_DROPOUT && training)
            p->mask = add_buffer(L, p->name, "mask", out_n, st);
        if (l->act == IR_SOFTMAX)
            p->logits = add_buffer(L, p->name, "logits", out_n, st);
        prev_out = p->out;
        prev_dout = p->dout;
    }
    L->final_softmax = m->n_layers > 0 && m->layers[m->n_layers - 1].act == IR_SOFTMAX;
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
