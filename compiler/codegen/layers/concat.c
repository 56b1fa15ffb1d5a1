/* concat.c - the concat layer's emitter: each pixel's channels of its input,
 * then those of the layer it names; the gradient splits the same way. */
#include "codegen/layer_emitter.h"

#include <stdio.h>

static void concat_plan(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    p->has_backward = p->din >= 0 || p->din2 >= 0;
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (p->has_backward)
        gen_plan_common_args(L, i, 1, 0, GEN_BOTH);
}

/* The copies of one pixel: between out (channels [0, C1) and [C1, C)) and
 * the two inputs; `back` copies from out to them. */
static void emit_copies(gen_ctx *c, const ir_layer *l, const char *out, const char *a,
                        const char *b, int back)
{
    emitter *e = c->e;
    long long c1 = l->in.c, c2 = l->in2.c, cc = l->out.c;
    char o1[64], o2[64], x1[64], x2[64];
    GEN_SUM(o1, 0, { "p", cc });
    GEN_SUM(o2, c1, { "p", cc });
    GEN_SUM(x1, 0, { "p", c1 });
    GEN_SUM(x2, 0, { "p", c2 });
    gen_open_for(c, "p", 0, (long long)l->out.h * l->out.w, 1);
    if (back) {
        if (a)
            emit_line(e, "memcpy(%s + %s, %s + %s, sizeof(float) * %lld);", a, x1, out, o1, c1);
        if (b)
            emit_line(e, "memcpy(%s + %s, %s + %s, sizeof(float) * %lld);", b, x2, out, o2, c2);
    } else {
        emit_line(e, "memcpy(%s + %s, %s + %s, sizeof(float) * %lld);", out, o1, a, x1, c1);
        emit_line(e, "memcpy(%s + %s, %s + %s, sizeof(float) * %lld);", out, o2, b, x2, c2);
    }
    emit_close(e, "");
}

static void concat_forward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    gen_open_layer_fn(c, i, 0, fname);
    gen_in_ptr(c, i, "in", NULL);
    emit_line(e, "const float *%s in2 = w + %s%s;", R, M, gen_buf(c, p->in2));
    emit_line(e, "float *%s out = w + %s%s;", R, M, gen_buf(c, p->out));
    emit_line(e, "long p;");
    emit_copies(c, gen_layer(c, i), "out", "in", "in2", 0);
    emit_close(e, "");
}

static void concat_backward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    gen_open_layer_fn(c, i, 1, fname);
    emit_line(e, "const float *%s dout = w + %s%s;", R, M, gen_buf(c, p->dout));
    if (p->din >= 0)
        emit_line(e, "float *%s din = w + %s%s;", R, M, gen_buf(c, p->din));
    if (p->din2 >= 0)
        emit_line(e, "float *%s din2 = w + %s%s;", R, M, gen_buf(c, p->din2));
    emit_line(e, "long p;");
    emit_copies(c, gen_layer(c, i), "dout", p->din >= 0 ? "din" : NULL,
                p->din2 >= 0 ? "din2" : NULL, 1);
    emit_close(e, "");
}

const gen_layer_emitter gen_concat_emitter = {
    .plan = concat_plan,
    .forward = concat_forward,
    .backward = concat_backward,
};
