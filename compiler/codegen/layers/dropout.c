/* dropout.c - the dropout layer's emitter.  In training each value is kept
 * with probability 1 - rate and scaled by 1 / (1 - rate); the mask is a
 * pure function of (seed, layer, element), so a run is reproducible; without
 * a seed (evaluation) and in inference it is the identity. */
#include "codegen/layer_emitter.h"

#include <stdio.h>

/* A value is kept when 24 random bits are >= this. */
static unsigned long long dropout_threshold(const ir_layer *l)
{
    return (unsigned long long)(l->rate * 16777216.0 + 0.5);
}

/* Does any dropout draw random numbers? (a rate that rounds to 0 does not) */
static int has_random_dropout(const gen_layout *L)
{
    int i;
    for (i = 0; i < L->m->n_layers; i++)
        if (L->m->layers[i].kind == IR_DROPOUT && dropout_threshold(&L->m->layers[i]) > 0)
            return 1;
    return 0;
}

static void dropout_plan(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    p->has_backward = p->din >= 0;
    gen_layout_output(L, i);
    if (L->training)
        p->mask = gen_layout_shaped(L, p->name, "mask", L->m->layers[i].out);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (L->training && dropout_threshold(&L->m->layers[i]) > 0)
        gen_plan_arg(&p->fwd_args, GEN_ARG_SEED, "seed", -1, 1, GEN_BOTH);
    if (p->has_backward)
        gen_plan_common_args(L, i, 1, 0, GEN_BOTH);
}

static void dropout_prelude(gen_ctx *c)
{
    emitter *e = c->e;
    if (!(c->L->training && has_random_dropout(c->L)))
        return;
    emit_banner(e, "dropout masks: splitmix64, a pure function of (seed, layer, element)");
    emit_open_fn(e, "static uint64_t %smix64(uint64_t z)", c->prefix);
    emit_line(e, "z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);");
    emit_line(e, "z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);");
    emit_line(e, "return z ^ (z >> 31);");
    emit_close(e, "");
}

static void dropout_forward(gen_ctx *c, int i)
{
    char fname[128];
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    long long n = (long long)l->out.h * l->out.w * l->out.c;
    float keep_scale = (float)(1.0 / (1.0 - l->rate));
    char scale_lit[48];
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    emit_format_float(scale_lit, sizeof scale_lit, keep_scale);
    gen_open_layer_fn(c, i, 0, fname);
    gen_in_ptr(c, i, "in", NULL);
    gen_buf_ptr(c, "", "out", p->out);
    emit_line(e, "long i;");
    if (!c->L->training) {
        emit_line(e, "for (i = 0; i < %lld; i++)", n);
        emit_line(e, "    out[i] = in[i];");
        emit_close(e, "");
        return;
    }
    gen_buf_ptr(c, "", "mask", p->mask);
    if (dropout_threshold(l) == 0) {
        /* rate rounds to 0: nothing is ever dropped */
        emit_line(e, "for (i = 0; i < %lld; i++)", n);
        emit_line(e, "    out[i] = in[i] * (mask[i] = %s);", scale_lit);
        emit_close(e, "");
        return;
    }
    emit_open(e, "if (!seed)");
    emit_line(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "    mask[i] = 1.0f;");
    emit_close(e, " else {");
    e->depth++;
    /* Keep with probability 1 - rate: compare 24 random bits. */
    emit_line(e, "uint64_t state = %smix64(*seed ^ UINT64_C(%llu));", c->prefix,
              (unsigned long long)(0x9e3779b97f4a7c15ULL * (unsigned long long)(l->index + 1)));
    emit_open(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "state += UINT64_C(0x9e3779b97f4a7c15);");
    emit_line(e, "mask[i] = (%smix64(state) >> 40) >= %lluu ? %s : 0.0f;", c->prefix,
              dropout_threshold(l), scale_lit);
    emit_close(e, "");
    emit_close(e, "");
    emit_line(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "    out[i] = in[i] * mask[i];");
    emit_close(e, "");
}

static void dropout_backward(gen_ctx *c, int i)
{
    char fname[128];
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    long long n = (long long)l->out.h * l->out.w * l->out.c;
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    gen_open_layer_fn(c, i, 1, fname);
    gen_buf_ptr(c, "const ", "mask", p->mask);
    gen_buf_ptr(c, "const ", "dout", p->dout);
    gen_buf_ptr(c, "", "din", p->din);
    emit_line(e, "long i;");
    emit_line(e, "for (i = 0; i < %lld; i++)", n);
    emit_line(e, "    din[i] = dout[i] * mask[i];");
    emit_close(e, "");
}

const gen_layer_emitter gen_dropout_emitter = {
    .plan = dropout_plan,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .prelude = dropout_prelude,
};
