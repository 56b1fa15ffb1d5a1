/* flatten.c - the flatten layer's emitter.  An HWC activation is already
 * flat: after another layer, flatten is its input buffer under a new name
 * (and its gradient the one it gives its input) and has no code; as the
 * first layer it copies the model input. */
#include "codegen/layer_emitter.h"

#include <stdio.h>

static void flatten_plan(gen_layout *L, int i)
{
    gen_layer_plan *p = &L->plan[i];
    if (p->in >= 0) {
        p->out = p->in;
        p->dout = p->din;
        p->has_forward = 0;
        return;
    }
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
}

static void flatten_forward(gen_ctx *c, int i)
{
    char fname[128];
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    if (!p->has_forward) {
        emit_line(e, "/* HWC is already flat: %s reuses its input buffer. */", p->name);
        return;
    }
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    gen_open_layer_fn(c, i, 0, fname);
    char dst[128];
    snprintf(dst, sizeof dst, "%s + %s%s", gen_buf_base(c, p->out), c->mprefix,
             gen_buf(c, p->out));
    gen_emit_copy(c, dst, "x", (long long)l->out.h * l->out.w * l->out.c);
    emit_close(e, "");
}

const gen_layer_emitter gen_flatten_emitter = {
    .plan = flatten_plan,
    .forward = flatten_forward,
};
