/* gen_layers.c - the model's tables of offsets and its layer functions:
 * each layer's code comes from the emitter of its kind (layer_emitter.h),
 * under a banner that quotes its spec line. */
#include "codegen/generate.h"
#include "codegen/layer_emitter.h"

#include <stdio.h>

/* ---- offsets ------------------------------------------------------------ */

void gen_emit_offsets(gen_ctx *c)
{
    emitter *e = c->e;
    const gen_layout *L = c->L;
    int i;
    emit_banner(e, "parameter tensors (offsets in floats; gradients alike)");
    for (i = 0; i < L->n_tensors; i++) {
        const gen_tensor *t = &L->tensors[i];
        char shape[64];
        if (t->rank == 4)
            snprintf(shape, sizeof shape, "(%d, %d, %d, %d)", t->shape[0], t->shape[1],
                     t->shape[2], t->shape[3]);
        else if (t->rank == 2)
            snprintf(shape, sizeof shape, "(%d, %d)", t->shape[0], t->shape[1]);
        else
            snprintf(shape, sizeof shape, "(%d)", t->shape[0]);
        emit_line(e, "#define %s%-24s %10lld /* %s %s */", c->mprefix, t->macro,
                  (long long)t->offset, t->name, shape);
    }
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "N_PARAMS", (long long)L->n_params);
    emit_banner(e, "work buffer of one sample (offsets in floats)");
    for (i = 0; i < L->n_buffers; i++) {
        const gen_buffer *b = &L->buffers[i];
        if (!b->shared)
            emit_line(e, "#define %s%-24s %10lld /* %s */", c->mprefix, b->macro,
                      (long long)b->offset, b->what);
    }
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "WORK_PER_SAMPLE",
              (long long)L->work_per_sample);
    if (L->work_shared > 0) {
        emit_banner(e, "work shared by the samples of a call, after their slots");
        /* scratch first, where it is placed: one sample's gradients at a time */
        for (int scratch = 1; scratch >= 0; scratch--)
            for (i = 0; i < L->n_buffers; i++) {
                const gen_buffer *b = &L->buffers[i];
                if (b->shared && b->scratch == scratch)
                    emit_line(e, "#define %s%-24s %10lld /* %s%s */", c->mprefix, b->macro,
                              (long long)b->offset, b->what,
                              scratch ? ", one sample's at a time" : "");
            }
    }
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "WORK_SHARED",
              (long long)L->work_shared);
    emit_line(e, "#define %s%-24s %10lld", c->mprefix, "IN_SIZE",
              (long long)L->m->input.h * L->m->input.w * L->m->input.c);
    emit_line(e, "#define %s%-24s %10d", c->mprefix, "N_CLASSES", L->m->n_classes);
    if (L->stats_shared > 0) {
        emit_banner(e, "batch statistics (training): shared, then a row per sample");
        emit_line(e, "#define %s%-24s %10lld", c->mprefix, "STATS_SHARED",
                  (long long)L->stats_shared);
        emit_line(e, "#define %s%-24s %10lld", c->mprefix, "STATS_PER_SAMPLE",
                  (long long)L->stats_row);
    }
}

/* Is layer i the first of its kind? (kind-wide hooks run once) */
static int first_of_kind(const gen_layout *L, int i)
{
    int k;
    for (k = 0; k < i; k++)
        if (L->m->layers[k].kind == L->m->layers[i].kind)
            return 0;
    return 1;
}

void gen_emit_helpers(gen_ctx *c)
{
    int i;
    for (i = 0; i < c->L->m->n_layers; i++) {
        const gen_layer_emitter *em = gen_emitter_of(gen_layer(c, i)->kind);
        if (em->prelude && first_of_kind(c->L, i))
            em->prelude(c);
    }
}

void gen_emit_constants(gen_ctx *c, const float *params)
{
    int i;
    for (i = 0; i < c->L->m->n_layers; i++) {
        const gen_layer_emitter *em = gen_emitter_of(gen_layer(c, i)->kind);
        if (em->constants && first_of_kind(c->L, i))
            em->constants(c, params);
    }
}

/* A grad_sum function's parameters (`def`) or its call's arguments, into
 * buf: w where a buffer it adds is in the sample's slot, scratch where one
 * is there (grad_scratch.c). */
static const char *grad_sum_params(const gen_ctx *c, int i, int def, char *buf, size_t size)
{
    const char *R = c->restrict_kw;
    int in_w, in_scratch;
    gen_grad_sum_bases(c->L, i, &in_w, &in_scratch);
    if (!def)
        snprintf(buf, size, "%s", !in_scratch ? "w" : !in_w ? "shared" : "w, shared");
    else if (!in_scratch)
        snprintf(buf, size, "float *%s w", R);
    else if (!in_w)
        snprintf(buf, size, "float *%s scratch", R);
    else
        snprintf(buf, size, "float *%s w, float *%s scratch", R, R);
    return buf;
}

/* The gradient of the output of a layer read by several: the sum of what
 * its readers gave, added in a fixed order (readers in layer order). */
static void emit_grad_sum(gen_ctx *c, int i, const int *bufs, int n)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    char fname[128], sum[512], params[96];
    size_t used;
    int k;
    gen_fn_name(c, fname, sizeof fname, i, "grad_sum", 0);
    emit_line(e, "/* %s is read %d times: its gradient is the sum of its readers' */",
              c->L->plan[i].name, n + 1);
    emit_open_fn(e, "static void %s(%s)", fname,
                 grad_sum_params(c, i, 1, params, sizeof params));
    gen_buf_ptr(c, "", "d", c->L->plan[i].dout);
    used = (size_t)snprintf(sum, sizeof sum, "d[i] = d[i]");
    for (k = 0; k < n; k++) {
        char name[16];
        snprintf(name, sizeof name, "d%d", k + 1);
        gen_buf_ptr(c, "const ", name, bufs[k]);
        if (used < sizeof sum)
            used += (size_t)snprintf(sum + used, sizeof sum - used, " + d%d[i]", k + 1);
    }
    emit_line(e, "long i;");
    emit_line(e, "for (i = 0; i < %lld; i++)", (long long)l->out.h * l->out.w * l->out.c);
    emit_line(e, "    %s;", sum);
    emit_close(e, "");
}

void gen_emit_grad_sum_call(gen_ctx *c, int i)
{
    char fname[128], args[64];
    gen_fn_name(c, fname, sizeof fname, i, "grad_sum", 0);
    emit_line(c->e, "%s(%s);", fname, grad_sum_params(c, i, 0, args, sizeof args));
}

void gen_emit_layers(gen_ctx *c)
{
    emitter *e = c->e;
    const ir_model *m = c->L->m;
    int i, n_sums, sums[IR_MAX_LAYERS * IR_MAX_INPUTS];
    for (i = 0; i < m->n_layers; i++) {
        const ir_layer *l = &m->layers[i];
        const gen_layer_emitter *em = gen_emitter_of(l->kind);
        char title[512], shape[64];
        gen_shape_text(shape, sizeof shape, l->out);
        snprintf(title, sizeof title, "%s: line %d: %s -> %s", c->L->plan[i].name, l->line,
                 l->source ? l->source : "", shape);
        emit_banner(e, title);
        em->forward(c, i);
        if (c->L->plan[i].has_backward) {
            emit_blank(e);
            em->backward(c, i);
        }
        n_sums = gen_grad_sums(c->L, i, sums, IR_MAX_LAYERS * IR_MAX_INPUTS);
        if (n_sums > 0) {
            emit_blank(e);
            emit_grad_sum(c, i, sums, n_sums);
        }
    }
}
