/* gen_train_steps.c - the training entry point of a model with batch
 * statistics (batchnorm).  Its forward and backward passes are split at
 * each such layer into steps: a per-block step runs layers over one block
 * of the batch's samples (as forward/backward do) and leaves partial sums
 * in the samples' rows of the batch's stats buffer; a batch step runs once
 * and reduces those rows in sample order.  The runtime runs the steps in
 * order, the per-block ones over its threads, with a barrier after each
 * (runtime/convc_model.h: train_step). */
#include "codegen/generate.h"
#include "codegen/layer_emitter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int batch;                  /* once per batch: stats_layer's stats_step */
    int backward;
    int lo, hi;                 /* per block: the span of layers */
    int open, close;            /* per block: a batch-statistics layer whose
                                   open_step runs before the span and whose
                                   close_step after it (-1: none) */
    gen_stats_step open_step, close_step;
    int stats_layer;
    gen_stats_step stats_step;
    int probs, loss;            /* per block: softmax at the end, loss first */
} train_step;

/* A per-block step over layers [lo, hi), between layer open's open_step
 * and layer close's close_step (-1: none). */
static train_step block_step(int backward, int lo, int hi, int open, gen_stats_step open_step,
                             int close, gen_stats_step close_step)
{
    train_step t = { .backward = backward, .lo = lo, .hi = hi, .open = open,
                     .open_step = open_step, .close = close, .close_step = close_step,
                     .stats_layer = -1 };
    return t;
}

/* A batch step: layer's `step`. */
static train_step batch_step(int layer, gen_stats_step step)
{
    train_step t = block_step(0, 0, 0, -1, GEN_STATS_FORWARD, -1, GEN_STATS_FORWARD);
    t.batch = 1;
    t.stats_layer = layer;
    t.stats_step = step;
    return t;
}

/* The steps in order; their number (0 for a model without batch
 * statistics).  `out` has room for 4 * n_layers + 2. */
static int build_steps(const gen_layout *L, train_step *out)
{
    int n_layers = L->m->n_layers, k = 0, i, prev = -1, lo = 0, next = -1, hi = n_layers;
    int bn[IR_MAX_LAYERS], n_bn = 0;
    for (i = 0; i < n_layers; i++)
        if (L->plan[i].batch_stats)
            bn[n_bn++] = i;
    if (n_bn == 0 || !L->training)
        return 0;
    for (i = 0; i < n_bn; i++) {
        out[k++] = block_step(0, lo, bn[i], prev, GEN_STATS_FORWARD, bn[i],
                              GEN_STATS_SAMPLE_MOMENTS);
        out[k++] = batch_step(bn[i], GEN_STATS_MOMENTS);
        prev = bn[i];
        lo = bn[i] + 1;
    }
    out[k] = block_step(0, lo, n_layers, prev, GEN_STATS_FORWARD, -1, GEN_STATS_FORWARD);
    out[k++].probs = 1;
    for (i = n_bn - 1; i >= 0; i--) {
        out[k] = block_step(1, bn[i] + 1, hi, next, GEN_STATS_BACKWARD, bn[i],
                            GEN_STATS_GRAD_SUMS);
        out[k++].loss = next < 0;
        out[k++] = batch_step(bn[i], GEN_STATS_GRAD);
        next = bn[i];
        hi = bn[i];
    }
    /* The first batchnorm's input gradient only if it has an input to pass it to. */
    out[k++] = block_step(1, 0, hi, L->plan[next].din >= 0 ? next : -1, GEN_STATS_BACKWARD, -1,
                          GEN_STATS_BACKWARD);
    return k;
}

int gen_train_step_count(const gen_layout *L)
{
    train_step *steps = malloc(((size_t)L->m->n_layers * 4 + 2) * sizeof *steps);
    int n = steps ? build_steps(L, steps) : 0;
    free(steps);
    return n;
}

/* Does any layer's forward function take this argument? */
static int layers_take(const gen_layout *L, gen_arg_kind kind)
{
    int i;
    for (i = 0; i < L->m->n_layers; i++)
        if (gen_args_have(&L->plan[i].fwd_args, kind, GEN_BOTH))
            return 1;
    return 0;
}

static const gen_layer_emitter *emitter_at(const gen_ctx *c, int i)
{
    return gen_emitter_of(gen_layer(c, i)->kind);
}

/* Does this step of layer i read or write the sample's work slice? */
static int step_uses_work(const gen_ctx *c, int i, gen_stats_step step)
{
    return c->L->plan[i].in >= 0 || step == GEN_STATS_FORWARD || step == GEN_STATS_GRAD_SUMS
        || step == GEN_STATS_BACKWARD;
}

static int is_sum_step(gen_stats_step step)
{
    return step == GEN_STATS_SAMPLE_MOMENTS || step == GEN_STATS_GRAD_SUMS;
}

/* The body of a per-sample step of layer i for sample s: the pointers it
 * needs beyond w (and xs when declared), then the call. */
static void emit_sample_call(gen_ctx *c, int i, gen_stats_step step, int xs_declared)
{
    const char *M = c->mprefix;
    if (c->L->plan[i].in < 0 && !xs_declared)
        emit_line(c->e, "const float *xs = x + (size_t)s * %sIN_SIZE;", M);
    if (is_sum_step(step))
        emit_line(c->e, "float *row = rows + (size_t)(b->first + s) * %sSTATS_PER_SAMPLE;", M);
    if (step == GEN_STATS_GRAD_SUMS && gen_has_grad_sum(c->L, i)) {
        /* the other readers' gradients first: the layer's backward is no
         * span's, so no span adds them */
        gen_emit_grad_sum_call(c, i);
    }
    emitter_at(c, i)->stats_call(c, i, step);
}

static void emit_hooked_call(gen_ctx *c, const gen_sample_hook *h, int xs_declared)
{
    emit_sample_call(c, h->layer, (gen_stats_step)h->step, xs_declared);
}

/* A per-sample step of layer i over the block's samples, in a loop of its own. */
static void emit_sample_step(gen_ctx *c, int i, gen_stats_step step)
{
    emitter *e = c->e;
    emit_open(e, "for (s = 0; s < n; s++)");
    if (step_uses_work(c, i, step))
        emit_line(e, "float *w = work + (size_t)s * %sWORK_PER_SAMPLE;", c->mprefix);
    emit_sample_call(c, i, step, 0);
    emit_close(e, "");
}

/* The open step, the span and the close step; the open and close steps run
 * in the span's first and last sample loops where those are per sample
 * (each sample's steps are independent of the others', so only the cache
 * sees the difference; the layers' once-per-call steps touch neither's
 * data). */
static void emit_block_step(gen_ctx *c, const train_step *t)
{
    gen_sample_hook open = { emit_hooked_call, t->open, (int)t->open_step };
    gen_sample_hook close = { emit_hooked_call, t->close, (int)t->close_step };
    if (t->loss)
        gen_emit_loss(c);
    if (t->lo < t->hi) {
        gen_emit_shared_ptr(c, t->backward, t->lo, t->hi);
        gen_emit_per_call(c, t->backward ? GEN_BEFORE_BACKWARD : GEN_BEFORE_FORWARD, t->lo,
                          t->hi);
        gen_emit_layer_span_hooked(c, t->backward, t->lo, t->hi, t->open >= 0 ? &open : NULL,
                                   t->close >= 0 ? &close : NULL);
        if (t->backward)
            gen_emit_per_call(c, GEN_AFTER_BACKWARD, t->lo, t->hi);
    } else {
        if (t->open >= 0)
            emit_sample_step(c, t->open, t->open_step);
        if (t->close >= 0)
            emit_sample_step(c, t->close, t->close_step);
    }
    if (t->probs)
        gen_emit_probs(c);
}

void gen_emit_train_steps(gen_ctx *c)
{
    emitter *e = c->e;
    const gen_layout *L = c->L;
    train_step *steps = malloc(((size_t)L->m->n_layers * 4 + 2) * sizeof *steps);
    int n = steps ? build_steps(L, steps) : 0, k, i;
    char flags[4 * (4 * IR_MAX_LAYERS + 2)] = "";
    if (n == 0) {
        free(steps);
        return;
    }
    emit_banner(e, "training with batch statistics: the steps of one batch");
    for (k = 0; k < n; k++) {
        size_t used = strlen(flags);
        snprintf(flags + used, sizeof flags - used, "%s%d", k ? ", " : "", steps[k].batch);
    }
    emit_line(e, "/* per step: runs once per batch (1) or once per block of samples (0) */");
    emit_line(e, "static const unsigned char train_step_batch[%d] = { %s };", n, flags);
    emit_blank(e);
    emit_open_fn(e, "static double train_step(int step, const convc_block *b)");
    emit_line(e, "const float *params = b->params;");
    emit_line(e, "float *grads = b->grads;");
    emit_line(e, "float *work = b->work;");
    emit_line(e, "const float *x = b->x;");
    emit_line(e, "const uint8_t *labels = b->labels;");
    emit_line(e, "const uint64_t *seeds = b->dropout_seeds;");
    emit_line(e, "float *probs = b->probs;");
    emit_line(e, "float *stats = b->stats;");
    emit_line(e, "float *rows = stats + %sSTATS_SHARED;", c->mprefix);
    emit_line(e, "const int n = b->n;");
    emit_line(e, "double loss = 0.0;");
    emit_line(e, "int s;");
    if (!layers_take(L, GEN_ARG_SEED))
        emit_line(e, "(void)seeds;");
    if (!layers_take(L, GEN_ARG_INPUT) && !L->plan[0].batch_stats)
        emit_line(e, "(void)x;");
    emit_open(e, "switch (step)");
    e->depth--;
    for (k = 0; k < n; k++) {
        if (steps[k].batch) {
            emit_line(e, "case %d:", k);
            e->depth++;
            emitter_at(c, steps[k].stats_layer)->stats_call(c, steps[k].stats_layer,
                                                            steps[k].stats_step);
            emit_line(e, "break;");
            e->depth--;
        } else {
            emit_open(e, "case %d:", k);
            emit_block_step(c, &steps[k]);
            emit_line(e, "break;");
            emit_close(e, "");
        }
    }
    emit_line(e, "default:");
    emit_line(e, "    break;");
    e->depth++;
    emit_close(e, "");
    emit_line(e, "return loss;");
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* The moving statistics after a batch of n samples. */");
    emit_open_fn(e, "static void update_moving(float *params, const float *stats, int n)");
    for (i = 0; i < L->m->n_layers; i++)
        if (L->plan[i].batch_stats)
            emitter_at(c, i)->stats_call(c, i, GEN_STATS_UPDATE);
    emit_close(e, "");
    free(steps);
}
