/* gen_common.c - small helpers every layer emitter shares: names of
 * buffers and tensors, activations, function signatures, which layers need
 * code. */
#include "codegen/gen_parts.h"

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

/* ---- helpers ------------------------------------------------------------ */

/* A value is kept when 24 random bits are >= this. */
unsigned long long gen_dropout_threshold(const ir_layer *l)
{
    return (unsigned long long)(l->rate * 16777216.0 + 0.5);
}

int gen_has_dropout(const gen_layout *L)
{
    int i;
    for (i = 0; i < L->m->n_layers; i++)
        if (L->m->layers[i].kind == IR_DROPOUT)
            return 1;
    return 0;
}

/* Does any dropout draw random numbers? (a rate that rounds to 0 does not) */
int gen_has_random_dropout(const gen_layout *L)
{
    int i;
    for (i = 0; i < L->m->n_layers; i++)
        if (L->m->layers[i].kind == IR_DROPOUT && gen_dropout_threshold(&L->m->layers[i]) > 0)
            return 1;
    return 0;
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
    default:
        emit_line(c->e, "%s = %s;", dst, v);
        break;
    }
}

/* In place: d *= act'(y), y the activation's output. */
void gen_act_grad_loop(gen_ctx *c, ir_activation a, const char *d,
                               const char *y, long long count)
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


static void gen_sig_add(gen_sig *s, const char *def, const char *call)
{
    size_t n = strlen(s->def);
    snprintf(s->def + n, sizeof s->def - n, "%s%s", n ? ", " : "", def);
    n = strlen(s->call);
    snprintf(s->call + n, sizeof s->call - n, "%s%s", n ? ", " : "", call);
}

/* Arguments of a layer function.  The driver has params, grads, w (this
 * sample's or group's work), xs (this sample's or group's input), seed. */
gen_sig gen_layer_sig(const gen_ctx *c, int i, int backward)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const ir_layer *l = gen_layer(c, i);
    gen_sig s;
    char def[96], call[128];
    memset(&s, 0, sizeof s);
    if (p->kernel >= 0 && (!backward || p->din >= 0)) {
        snprintf(def, sizeof def, "const float *%s params", c->restrict_kw);
        gen_sig_add(&s, def, "params");
    }
    if (backward && p->kernel >= 0) {
        snprintf(def, sizeof def, "float *%s grads", c->restrict_kw);
        gen_sig_add(&s, def, "grads");
    }
    snprintf(def, sizeof def, "float *%s w", c->restrict_kw);
    gen_sig_add(&s, def, "w");
    /* backward reads the input only for weight gradients, and a padded
     * conv reads its own copy */
    if (p->in < 0 && (!backward || l->kind == IR_DENSE || (l->kind == IR_CONV && p->pad < 0))) {
        snprintf(def, sizeof def, "const float *%s x", c->restrict_kw);
        gen_sig_add(&s, def, "xs");
    }
    if (!backward && l->kind == IR_DROPOUT && c->L->training)
        gen_sig_add(&s, "const uint64_t *seed", "seed");
    if (l->kind == IR_CONV && gen_use_wino(c, i)) {
        static const char *const fwd[] = { "wu", "wv", "wm" }, *const bwd[] = { "wut", "wdu",
                                                                            "wv", "wm" };
        const int fb[] = { p->wu, p->wv, p->wm }, bb[] = { p->wut, p->wdu, p->wv, p->wm };
        int k, n = backward ? 4 : 3;
        /* wut serves the input gradient only: none for the first layer */
        for (k = backward && p->din < 0; k < n; k++) {
            const char *name = backward ? bwd[k] : fwd[k];
            snprintf(def, sizeof def, "%sfloat *%s %s", k == 0 ? "const " : "",
                     c->restrict_kw, name);
            if (!backward && k == 0 && c->L->const_kernels)
                gen_wino_const_name(c, i, call, sizeof call);
            else
                snprintf(call, sizeof call, "shared + %s%s", c->mprefix,
                         c->L->buffers[backward ? bb[k] : fb[k]].macro);
            gen_sig_add(&s, def, call);
        }
    }
    if (backward && l->kind == IR_CONV && p->din >= 0 && c->vector && p->vec_fwd && p->vec_dx) {
        snprintf(def, sizeof def, "const float *%s kflip", c->restrict_kw);
        snprintf(call, sizeof call, "shared + %s%s", c->mprefix, c->L->buffers[p->kflip].macro);
        gen_sig_add(&s, def, call);
    }
    return s;
}

/* `const float *R name = w + W_X;` or the model input. */
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


int gen_use_vec(const gen_ctx *c, int i)
{
    return c->vector && c->L->plan[i].vec_fwd;
}

int gen_use_wino(const gen_ctx *c, int i)
{
    return c->vector && c->L->plan[i].wino;
}

void gen_pp(gen_ctx *c, const char *line)
{
    emit_raw(c->e, "%s\n", line);
}

/* ---- all layers ------------------------------------------------------------ */

void gen_fn_name(const gen_ctx *c, char *buf, size_t size, int i, const char *what,
                    int group)
{
    if (group > 0)
        snprintf(buf, size, "%s%s_%s%d", c->prefix, c->L->plan[i].name, what, group);
    else
        snprintf(buf, size, "%s%s_%s", c->prefix, c->L->plan[i].name, what);
}

/* Does layer i need code at all? (a flatten after layer 0 is a no-op) */
int gen_has_forward(const gen_ctx *c, int i)
{
    return !(gen_layer(c, i)->kind == IR_FLATTEN && i > 0);
}

int gen_has_backward(const gen_ctx *c, int i)
{
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    if (l->kind == IR_CONV || l->kind == IR_DENSE)
        return 1;
    return (l->kind == IR_POOL || l->kind == IR_DROPOUT) && p->din >= 0;
}
