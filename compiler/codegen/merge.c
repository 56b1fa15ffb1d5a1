/* merge.c - the shared part of the two-input layers' emitters (merge.h). */
#include "codegen/merge.h"

#include <stdio.h>

void gen_merge_plan(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    p->has_backward = p->din >= 0 || p->din2 >= 0;
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (p->has_backward)
        gen_plan_common_args(L, i, 1, 0, GEN_BOTH);
}

void gen_merge_open(gen_ctx *c, int i, int backward, int dout_writable)
{
    emitter *e = c->e;
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, backward ? "backward" : "forward", 0);
    gen_open_layer_fn(c, i, backward, fname);
    if (!backward) {
        gen_in_ptr(c, i, "in", NULL);
        emit_line(e, "const float *%s in2 = %s + %s%s;",
                  R, gen_buf_base(c, p->in2), M, gen_buf(c, p->in2));
        emit_line(e, "float *%s out = %s + %s%s;",
                  R, gen_buf_base(c, p->out), M, gen_buf(c, p->out));
        return;
    }
    emit_line(e, "%sfloat *%s dout = %s + %s%s;",
              dout_writable ? "" : "const ", R, gen_buf_base(c, p->dout), M,
              gen_buf(c, p->dout));
    if (p->din >= 0)
        emit_line(e, "float *%s din = %s + %s%s;",
                  R, gen_buf_base(c, p->din), M, gen_buf(c, p->din));
    if (p->din2 >= 0)
        emit_line(e, "float *%s din2 = %s + %s%s;",
                  R, gen_buf_base(c, p->din2), M, gen_buf(c, p->din2));
}
