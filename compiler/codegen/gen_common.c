/* gen_common.c - small helpers every layer emitter shares: names of
 * buffers and tensors, activations, function signatures. */
#include "codegen/gen_ctx.h"

#include <stdio.h>
#include <string.h>

void gen_shape_text(char *buf, size_t size, ir_shape s)
{
    if (s.h == 1 && s.w == 1)
        snprintf(buf, size, "(%d)", s.c);
    else
        snprintf(buf, size, "(%d, %d, %d)", s.h, s.w, s.c);
}

const ir_layer *gen_layer(const gen_ctx *c, int i)
{
    return &c->L->m->layers[i];
}

const char *gen_buf(const gen_ctx *c, int b)
{
    return c->L->buffers[b].macro;
}

const char *gen_ten(const gen_ctx *c, int t)
{
    return c->L->tensors[t].macro;
}

/* ---- activations -------------------------------------------------------- */

void gen_apply_act(gen_ctx *c, ir_activation a, const char *dst, const char *v)
{
    switch (a) {
    case IR_RELU:       /* NaN propagates */
        emit_line(c->e, "%s = %s < 0.0f ? 0.0f : %s;", dst, v, v);
        break;
    case IR_TANH:
        emit_line(c->e, "%s = tanhf(%s);", dst, v);
        break;
    case IR_SIGMOID:
        emit_line(c->e, "%s = 1.0f / (1.0f + expf(-%s));", dst, v);
        break;
    case IR_LINEAR:
    case IR_SOFTMAX:    /* the driver computes the softmax from the logits */
        emit_line(c->e, "%s = %s;", dst, v);
        break;
    }
}

void gen_act_grad_loop(gen_ctx *c, ir_activation a, const char *d, const char *y,
                       long long count)
{
    emitter *e = c->e;
    if (a == IR_LINEAR || a == IR_SOFTMAX)
        return;
    emit_open(e, "for (i = 0; i < %lld; i++)", count);
    if (a == IR_RELU)
        emit_line(e, "%s[i] = %s[i] > 0.0f ? %s[i] : 0.0f;", d, y, d);
    else if (a == IR_TANH)
        emit_line(e, "%s[i] *= 1.0f - %s[i] * %s[i];", d, y, y);
    else
        emit_line(e, "%s[i] *= %s[i] * (1.0f - %s[i]);", d, y, y);
    emit_close(e, "");
}

/* ---- signatures ---------------------------------------------------------- */

static void sig_add(gen_sig *s, const char *def, const char *call)
{
    size_t n = strlen(s->def);
    snprintf(s->def + n, sizeof s->def - n, "%s%s", n ? ", " : "", def);
    n = strlen(s->call);
    snprintf(s->call + n, sizeof s->call - n, "%s%s", n ? ", " : "", call);
}

/* The driver has params, grads, w (this sample's or group's work), xs (this
 * sample's or group's input), seed and shared. */
gen_sig gen_layer_sig(const gen_ctx *c, int i, int backward, int build)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const gen_arg_list *a = backward ? &p->bwd_args : &p->fwd_args;
    const char *R = c->restrict_kw;
    gen_sig s;
    int k;
    memset(&s, 0, sizeof s);
    for (k = 0; k < a->n; k++) {
        const gen_arg *g = &a->arg[k];
        const char *cq = g->read_only ? "const " : "";
        char def[96], call[128];
        if (g->when != GEN_BOTH && g->when != build)
            continue;
        switch (g->kind) {
        case GEN_ARG_PARAMS:
        case GEN_ARG_GRADS:
        case GEN_ARG_WORK:
            snprintf(call, sizeof call, "%s", g->name);
            break;
        case GEN_ARG_INPUT:
            snprintf(call, sizeof call, "xs");
            break;
        case GEN_ARG_SEED:
            snprintf(call, sizeof call, "seed");
            break;
        case GEN_ARG_SHARED:
            snprintf(call, sizeof call, "shared + %s%s", c->mprefix, gen_buf(c, g->buffer));
            break;
        case GEN_ARG_CONSTANT:
            snprintf(call, sizeof call, "%s%s_%s", c->prefix, p->name, g->name);
            break;
        }
        if (g->kind == GEN_ARG_SEED)
            snprintf(def, sizeof def, "const uint64_t *%s", g->name);
        else
            snprintf(def, sizeof def, "%sfloat *%s %s", cq, R, g->name);
        sig_add(&s, def, call);
    }
    return s;
}

int gen_args_differ(const gen_arg_list *a)
{
    int k;
    for (k = 0; k < a->n; k++)
        if (a->arg[k].when != GEN_BOTH)
            return 1;
    return 0;
}

void gen_in_ptr(gen_ctx *c, int i, const char *name, const char *base)
{
    const gen_layer_plan *p = &c->L->plan[i];
    if (p->in < 0)
        emit_line(c->e, "const float *%s %s = %s;", c->restrict_kw, name,
                  base ? base : "x");
    else
        emit_line(c->e, "const float *%s %s = %s + %s%s;", c->restrict_kw, name,
                  base ? base : "w", c->mprefix, gen_buf(c, p->in));
}

int gen_use_wino(const gen_ctx *c, int i)
{
    return c->L->plan[i].wino;
}

void gen_pp(gen_ctx *c, const char *line)
{
    emit_raw(c->e, "%s\n", line);
}

void gen_fn_name(const gen_ctx *c, char *buf, size_t size, int i, const char *what, int group)
{
    if (group > 0)
        snprintf(buf, size, "%s%s_%s%d", c->prefix, c->L->plan[i].name, what, group);
    else
        snprintf(buf, size, "%s%s_%s", c->prefix, c->L->plan[i].name, what);
}
