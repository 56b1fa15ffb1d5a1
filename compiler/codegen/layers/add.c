/* add.c - the add layer's emitter: the sum of its input and the layer it
 * names, through its activation; the gradient passes (through the
 * activation) to both. */
#include "codegen/layer_emitter.h"
#include "codegen/merge.h"

#include <stdio.h>

static long long count_of(const ir_layer *l)
{
    return (long long)l->out.h * l->out.w * l->out.c;
}

static void add_forward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    gen_merge_open(c, i, 0, 0);
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
    long long n = count_of(l);
    gen_merge_open(c, i, 1, l->act != IR_LINEAR);
    if (l->act == IR_LINEAR) {
        if (p->din >= 0)
            gen_emit_copy(c, "din", "dout", n);
        if (p->din2 >= 0)
            gen_emit_copy(c, "din2", "dout", n);
        emit_close(e, "");
        return;
    }
    /* one pass: the activation's gradient goes straight to both inputs */
    gen_buf_ptr(c, "const ", "out", p->out);
    emit_line(e, "long i;");
    emit_open(e, "for (i = 0; i < %lld; i++)", n);
    gen_act_grad(c, l->act, p->din >= 0 || p->din2 >= 0 ? "const float d" : "dout[i]",
                 "dout[i]", "out[i]");
    if (p->din >= 0)
        emit_line(e, "din[i] = d;");
    if (p->din2 >= 0)
        emit_line(e, "din2[i] = d;");
    emit_close(e, "");
    emit_close(e, "");
}

const gen_layer_emitter gen_add_emitter = {
    .plan = gen_merge_plan,
    .forward = add_forward,
    .backward = add_backward,
};
