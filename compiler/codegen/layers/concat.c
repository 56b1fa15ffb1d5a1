/* concat.c - the concat layer's emitter: each pixel's channels of its input,
 * then those of the layer it names; the gradient splits the same way. */
#include "codegen/layer_emitter.h"
#include "codegen/merge.h"

#include <stdio.h>

/* One function: forward copies in and in2 into out, pixel by pixel;
 * backward copies dout's two parts into din and din2 (those that exist). */
static void emit_concat(gen_ctx *c, int i, int back)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    long long c1 = l->in.c, c2 = l->in2.c, cc = l->out.c;
    const char *whole = back ? "dout" : "out";
    const char *part[2] = { back ? "din" : "in", back ? "din2" : "in2" };
    int has[2] = { !back || p->din >= 0, !back || p->din2 >= 0 };
    char o[2][64], x[2][64];
    GEN_SUM(o[0], 0, { "p", cc });
    GEN_SUM(o[1], c1, { "p", cc });
    GEN_SUM(x[0], 0, { "p", c1 });
    GEN_SUM(x[1], 0, { "p", c2 });
    gen_merge_open(c, i, back, 0);
    emit_line(e, "long p;");
    gen_open_for(c, "p", 0, (long long)l->out.h * l->out.w, 1);
    for (int k = 0; k < 2; k++) {
        char mine[160], theirs[160];
        if (!has[k])
            continue;
        snprintf(mine, sizeof mine, "%s + %s", part[k], x[k]);
        snprintf(theirs, sizeof theirs, "%s + %s", whole, o[k]);
        gen_emit_copy(c, back ? mine : theirs, back ? theirs : mine, k ? c2 : c1);
    }
    emit_close(e, "");
    emit_close(e, "");
}

static void concat_forward(gen_ctx *c, int i)
{
    emit_concat(c, i, 0);
}

static void concat_backward(gen_ctx *c, int i)
{
    emit_concat(c, i, 1);
}

const gen_layer_emitter gen_concat_emitter = {
    .plan = gen_merge_plan,
    .forward = concat_forward,
    .backward = concat_backward,
};
