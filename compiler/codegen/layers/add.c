/* add.c - the add layer's emitter: the sum of its input and the layer it
 * names, through its activation; the gradient passes (through the
 * activation) to both. */
#include "codegen/layer_emitter.h"

#include <stdio.h>

static void add_plan(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    p->has_backward = p->din >= 0 || p->din2 >= 0;
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (p->has_backward)
        gen_plan_common_args(L, i, 1, 0, GEN_BOTH);
}

static long long count_of(const ir_layer *l)
{
    return (long long)l->out.h * l->out.w * l->out.c;
}

static void add_forward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    gen_open_layer_fn(c, i, 0, fname);
    gen_in_ptr(c, i, "in", NULL);
    emit_line(e, "const float *%s in2 = w + %s%s;", R, M, gen_buf(c, p->in2));
    emit_line(e, "float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    emit_line(e, "long i;");
    emit_open(e, "for (i = 0; i < %lld; i++)", count_of(l));
    emit_line(e, "const float v = in[i] + in2[i];");
    gen_apply_act(c, l->act, "out[i]", "v");
    emit_close(e, "");
    emit_close(e, "");
}

static void add_backward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    long long n = count_of(l);
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    gen_open_layer_fn(c, i, 1, fname);
    if (l->act != IR_LINEAR)
        emit_line(e, "const float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    emit_line(e, "float *%s dz = w + %s%s;", R, M, gen_buf(c, p->dout));
    if (l->act != IR_LINEAR)
        emit_line(e, "long i;");
    gen_act_grad_loop(c, l->act, "dz", "out", n);
    if (p->din >= 0)
        emit_line(e, "memcpy(w + %s%s, dz, sizeof(float) * %lld);", M, gen_buf(c, p->din), n);
    if (p->din2 >= 0)
        emit_line(e, "memcpy(w + %s%s, dz, sizeof(float) * %lld);", M, gen_buf(c, p->din2), n);
    emit_close(e, "");
}

const gen_layer_emitter gen_add_emitter = {
    .plan = add_plan,
    .forward = add_forward,
    .backward = add_backward,
};
