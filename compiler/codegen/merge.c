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
    const gen_layer_plan *p = &c->L->plan[i];
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, backward ? "backward" : "forward", 0);
    gen_open_layer_fn(c, i, backward, fname);
    if (!backward) {
        gen_in_ptr(c, i, "in", NULL);
        gen_buf_ptr(c, "const ", "in2", p->in2);
        gen_buf_ptr(c, "", "out", p->out);
        return;
    }
    gen_buf_ptr(c, dout_writable ? "" : "const ", "dout", p->dout);
    if (p->din >= 0)
        gen_buf_ptr(c, "", "din", p->din);
    if (p->din2 >= 0)
        gen_buf_ptr(c, "", "din2", p->din2);
}
