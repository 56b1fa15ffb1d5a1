/* gen_drivers.c - the model's forward and backward entry points: the loops
 * over samples that call the layer functions, the softmax and the
 * cross-entropy loss. */
#include "codegen/generate.h"
#include "codegen/layer_emitter.h"

#include <stdio.h>
#include <string.h>

/* Calls of layer i's function for samples [from the driver's loop]. */
static void emit_call(gen_ctx *c, int i, int backward)
{
    emitter *e = c->e;
    const gen_layer_plan *p = &c->L->plan[i];
    char fname[128];
    gen_sig s = gen_layer_sig(c, i, backward, GEN_BOTH);
    const char *what = backward ? "backward" : "forward";
    if (backward ? !p->has_backward : !p->has_forward)
        return;
    if (p->batched) {
        const char *M = c->mprefix;
        emit_open(e, "for (s = 0; s < n; s += s + %d <= n ? %d : 1)", p->group, p->group);
        emit_line(e, "float *w = work + (size_t)s * %sWORK_PER_SAMPLE;", M);
        emit_line(e, "const float *xs = x + (size_t)s * %sIN_SIZE;", M);
        emit_line(e, "(void)xs;");
        emit_open(e, "if (s + %d <= n)", p->group);
        gen_fn_name(c, fname, sizeof fname, i, what, p->group);
        emit_line(e, "%s(%s);", fname, s.call);
        emit_close(e, " else {");
        e->depth++;
        gen_fn_name(c, fname, sizeof fname, i, what, 1);
        emit_line(e, "%s(%s);", fname, s.call);
        emit_close(e, "");
        emit_close(e, "");
    } else {
        gen_fn_name(c, fname, sizeof fname, i, what, 0);
        emit_line(e, "%s(%s);", fname, s.call);
    }
}

/* Does any layer function take a dropout seed? */
static int takes_seed(const gen_layout *L)
{
    int i, k;
    for (i = 0; i < L->m->n_layers; i++)
        for (k = 0; k < L->plan[i].fwd_args.n; k++)
            if (L->plan[i].fwd_args.arg[k].kind == GEN_ARG_SEED)
                return 1;
    return 0;
}

/* Consecutive per-sample layers run sample by sample (their activations stay
 * in cache); dense layers run on groups of samples. */
static void emit_layer_range(gen_ctx *c, int backward)
{
    emitter *e = c->e;
    const ir_model *m = c->L->m;
    const char *M = c->mprefix;
    int k = 0;
    while (k < m->n_layers) {
        int i = backward ? m->n_layers - 1 - k : k;
        if (c->L->plan[i].batched) {
            emit_line(e, "/* %s */", c->L->plan[i].name);
            emit_call(c, i, backward);
            k++;
            continue;
        }
        emit_open(e, "for (s = 0; s < n; s++)");
        emit_line(e, "float *w = work + (size_t)s * %sWORK_PER_SAMPLE;", M);
        emit_line(e, "const float *xs = x + (size_t)s * %sIN_SIZE;", M);
        if (!backward && takes_seed(c->L)) {
            emit_line(e, "const uint64_t *seed = seeds ? seeds + s : NULL;");
            emit_line(e, "(void)seed;");
        }
        emit_line(e, "(void)w;");
        emit_line(e, "(void)xs;");
        while (k < m->n_layers) {
            i = backward ? m->n_layers - 1 - k : k;
            if (c->L->plan[i].batched)
                break;
            emit_call(c, i, backward);
            k++;
        }
        emit_close(e, "");
    }
}

/* The region after the n slots, when the model has one. */
static void emit_shared_ptr(gen_ctx *c)
{
    if (c->L->work_shared == 0)
        return;
    emit_line(c->e, "float *%s shared = work + (size_t)n * %sWORK_PER_SAMPLE;",
              c->restrict_kw, c->mprefix);
    emit_line(c->e, "(void)shared;");
}

enum per_call { BEFORE_FORWARD, BEFORE_BACKWARD, AFTER_BACKWARD };

/* The once-per-call steps of every layer that has them. */
static void emit_per_call(gen_ctx *c, enum per_call when)
{
    int i;
    for (i = 0; i < c->L->m->n_layers; i++) {
        const gen_layer_emitter *em = gen_emitter_of(gen_layer(c, i)->kind);
        void (*step)(gen_ctx *, int) = when == BEFORE_FORWARD    ? em->before_forward
                                       : when == BEFORE_BACKWARD ? em->before_backward
                                                                 : em->after_backward;
        if (step)
            step(c, i);
    }
}

void gen_emit_drivers(gen_ctx *c)
{
    emitter *e = c->e;
    const gen_layout *L = c->L;
    const ir_model *m = L->m;
    const gen_layer_plan *last = &L->plan[m->n_layers - 1];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int ncls = m->n_classes;
    /* Where the head reads its scores: logits if the model ends in softmax. */
    const char *zbuf = L->buffers[last->logits >= 0 ? last->logits : last->out].macro;

    emit_banner(e, "forward pass of n samples");
    emit_open_fn(e, "static void %sforward(const float *params, float *work, const float *x, "
              "int n, float *probs, const uint64_t *seeds)", c->prefix);
    emit_line(e, "int s;");
    emit_line(e, "(void)seeds;");
    emit_shared_ptr(c);
    emit_per_call(c, BEFORE_FORWARD);
    emit_layer_range(c, 0);
    /* Probabilities: a numerically stable softmax of the scores. */
    emit_open(e, "for (s = 0; s < n; s++)");
    emit_line(e, "const float *%s z = work + (size_t)s * %sWORK_PER_SAMPLE + %s%s;", R, M, M,
              zbuf);
    emit_line(e, "float *%s pr = probs + (size_t)s * %d;", R, ncls);
    emit_line(e, "int k;");
    if (L->final_softmax) {
        emit_line(e, "float top = z[0], sum = 0.0f;");
        emit_line(e, "for (k = 1; k < %d; k++)", ncls);
        emit_line(e, "    top = z[k] > top ? z[k] : top;");
        emit_open(e, "for (k = 0; k < %d; k++)", ncls);
        emit_line(e, "pr[k] = expf(z[k] - top);");
        emit_line(e, "sum += pr[k];");
        emit_close(e, "");
        emit_line(e, "for (k = 0; k < %d; k++)", ncls);
        emit_line(e, "    pr[k] /= sum;");
        emit_line(e, "memcpy(work + (size_t)s * %sWORK_PER_SAMPLE + %s%s, pr, sizeof(float) * %d);",
                  M, M, L->buffers[last->out].macro, ncls);
    } else {
        emit_line(e, "for (k = 0; k < %d; k++)", ncls);
        emit_line(e, "    pr[k] = z[k];");
    }
    emit_close(e, "");
    emit_close(e, "");
    if (!L->training)
        return;

    emit_banner(e, "backward pass: summed cross-entropy, gradients added to grads");
    emit_open_fn(e, "static double %sbackward(const float *params, float *grads, float *work, "
              "const float *x, const uint8_t *labels, int n)", c->prefix);
    emit_line(e, "double loss = 0.0;");
    emit_line(e, "int s;");
    emit_line(e, "(void)params;");
    emit_line(e, "/* loss = logsumexp(z) - z[label]; d loss / d z = softmax(z) - onehot */");
    emit_open(e, "for (s = 0; s < n; s++)");
    emit_line(e, "const float *%s z = work + (size_t)s * %sWORK_PER_SAMPLE + %s%s;", R, M, M,
              zbuf);
    emit_line(e, "float *%s dz = work + (size_t)s * %sWORK_PER_SAMPLE + %s%s;", R, M, M,
              L->buffers[last->dout].macro);
    emit_line(e, "double top = z[0], sum = 0.0;");
    emit_line(e, "int k;");
    emit_line(e, "for (k = 1; k < %d; k++)", ncls);
    emit_line(e, "    top = z[k] > top ? z[k] : top;");
    emit_line(e, "for (k = 0; k < %d; k++)", ncls);
    emit_line(e, "    sum += exp(z[k] - top);");
    emit_line(e, "loss += top + log(sum) - z[labels[s]];");
    emit_line(e, "for (k = 0; k < %d; k++)", ncls);
    emit_line(e, "    dz[k] = (float)(exp(z[k] - top) / sum) - (k == labels[s] ? 1.0f : 0.0f);");
    emit_close(e, "");
    emit_shared_ptr(c);
    emit_per_call(c, BEFORE_BACKWARD);
    emit_layer_range(c, 1);
    emit_per_call(c, AFTER_BACKWARD);
    emit_line(e, "return loss;");
    emit_close(e, "");
}
