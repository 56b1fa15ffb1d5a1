/* gen_drivers.c - the model's forward and backward entry points: the loops
 * over samples that call the layer functions, the softmax and the
 * cross-entropy loss. */
#include "codegen/generate.h"
#include "codegen/layer_emitter.h"

#include <stdio.h>
#include <string.h>

static int has_fn(const gen_layer_plan *p, int backward)
{
    return backward ? p->has_backward : p->has_forward;
}

static const gen_arg_list *args(const gen_layer_plan *p, int backward)
{
    return backward ? &p->bwd_args : &p->fwd_args;
}

/* Does a function of layers run[0..n) take an argument of this kind in
 * this build? */
static int run_uses(const gen_ctx *c, const int *run, int n, int backward, gen_arg_kind kind,
                    int build)
{
    int j;
    for (j = 0; j < n; j++) {
        const gen_layer_plan *p = &c->L->plan[run[j]];
        if (has_fn(p, backward) && gen_args_have(args(p, backward), kind, build))
            return 1;
    }
    return 0;
}

/* The same over layers [lo, hi). */
static int span_uses(const gen_ctx *c, int lo, int hi, int backward, gen_arg_kind kind,
                     int build)
{
    int j, all[IR_MAX_LAYERS];
    for (j = lo; j < hi; j++)
        all[j - lo] = j;
    return run_uses(c, all, hi - lo, backward, kind, build);
}

/* The same over all layers. */
static int model_uses(const gen_ctx *c, int backward, gen_arg_kind kind, int build)
{
    return span_uses(c, 0, c->L->m->n_layers, backward, kind, build);
}

/* Sample s's (or group s's) work, and its input and seed where a call
 * takes them. */
static void emit_sample_ptrs(gen_ctx *c, const int *run, int n, int backward)
{
    const char *M = c->mprefix;
    emit_line(c->e, "float *w = work + (size_t)s * %sWORK_PER_SAMPLE;", M);
    if (run_uses(c, run, n, backward, GEN_ARG_INPUT, GEN_BOTH))
        emit_line(c->e, "const float *xs = x + (size_t)s * %sIN_SIZE;", M);
    if (run_uses(c, run, n, backward, GEN_ARG_SEED, GEN_BOTH))
        emit_line(c->e, "const uint64_t *seed = seeds ? seeds + s : NULL;");
}

/* The loop over groups of samples that calls batched layer i. */
static void emit_batched_call(gen_ctx *c, int i, int backward)
{
    emitter *e = c->e;
    const gen_layer_plan *p = &c->L->plan[i];
    const char *what = backward ? "backward" : "forward";
    char fname[128];
    int sizes[3], n = gen_group_sizes(p, sizes);
    char step[96];
    size_t len = 0;
    /* s += s + 8 <= n ? 8 : s + 4 <= n ? 4 : 1 */
    for (int k = 0; k + 1 < n; k++)
        len += (size_t)snprintf(step + len, sizeof step - len, "s + %d <= n ? %d : ", sizes[k],
                                sizes[k]);
    snprintf(step + len, sizeof step - len, "1");
    emit_line(e, "/* %s */", p->name);
    emit_open(e, "for (s = 0; s < n; s += %s)", step);
    emit_sample_ptrs(c, &i, 1, backward);
    emit_open(e, "if (s + %d <= n)", sizes[0]);
    for (int k = 0; k < n; k++) {
        char tail[48] = "";
        gen_fn_name(c, fname, sizeof fname, i, what, sizes[k]);
        gen_emit_layer_call(c, i, backward, fname);
        if (k + 2 < n)
            snprintf(tail, sizeof tail, " else if (s + %d <= n) {", sizes[k + 1]);
        else if (k + 1 < n)
            snprintf(tail, sizeof tail, " else {");
        emit_close(e, tail);
        if (k + 1 < n)
            e->depth++;
    }
    emit_close(e, "");
}

/* One step of a pass: a layer's function, or (backward) the sum of the
 * gradients of a layer read by several, which runs before its backward. */
typedef struct {
    int layer;
    int grad_sum;
} pass_step;

/* Consecutive per-sample steps run sample by sample (their activations stay
 * in cache); batched layers (dense) run on groups of samples.  Layers
 * [lo, hi), in reverse for the backward pass. */
void gen_emit_layer_span(gen_ctx *c, int backward, int lo, int hi)
{
    gen_emit_layer_span_hooked(c, backward, lo, hi, NULL, NULL);
}

/* A hook in a sample loop of its own. */
static void emit_hook_loop(gen_ctx *c, const gen_sample_hook *h)
{
    emit_open(c->e, "for (s = 0; s < n; s++)");
    emit_line(c->e, "float *w = work + (size_t)s * %sWORK_PER_SAMPLE;", c->mprefix);
    h->emit(c, h, 0);
    emit_close(c->e, "");
}

void gen_emit_layer_span_hooked(gen_ctx *c, int backward, int lo, int hi,
                                const gen_sample_hook *first, const gen_sample_hook *last)
{
    pass_step steps[2 * IR_MAX_LAYERS];
    int n_steps = 0, k, emitted = 0;
    for (k = 0; k < hi - lo; k++) {
        int i = backward ? hi - 1 - k : lo + k;
        if (backward && gen_has_grad_sum(c->L, i))
            steps[n_steps++] = (pass_step){ i, 1 };
        if (has_fn(&c->L->plan[i], backward))
            steps[n_steps++] = (pass_step){ i, 0 };
    }
    k = 0;
    while (k < n_steps) {
        int run[2 * IR_MAX_LAYERS], n = 0, first_step = k, j, xs;
        if (!steps[k].grad_sum && c->L->plan[steps[k].layer].batched) {
            if (first && k == 0) {
                emit_hook_loop(c, first);
                emitted |= 1;
            }
            emit_batched_call(c, steps[k].layer, backward);
            k++;
            continue;
        }
        for (; k < n_steps && (steps[k].grad_sum || !c->L->plan[steps[k].layer].batched); k++)
            if (!steps[k].grad_sum)
                run[n++] = steps[k].layer;
        emit_open(c->e, "for (s = 0; s < n; s++)");
        emit_sample_ptrs(c, run, n, backward);
        xs = run_uses(c, run, n, backward, GEN_ARG_INPUT, GEN_BOTH);
        if (first && first_step == 0) {
            first->emit(c, first, xs);
            emitted |= 1;
        }
        for (j = first_step; j < k; j++) {
            char fname[128];
            if (steps[j].grad_sum) {
                gen_emit_grad_sum_call(c, steps[j].layer);
                continue;
            }
            gen_fn_name(c, fname, sizeof fname, steps[j].layer, backward ? "backward" : "forward", 0);
            gen_emit_layer_call(c, steps[j].layer, backward, fname);
        }
        if (last && k == n_steps) {
            last->emit(c, last, xs);
            emitted |= 2;
        }
        emit_close(c->e, "");
    }
    if (first && !(emitted & 1))        /* no steps at all */
        emit_hook_loop(c, first);
    if (last && !(emitted & 2))
        emit_hook_loop(c, last);
}

/* The region after the n slots, where a function of layers [lo, hi) takes
 * part of it: behind the preprocessor when only one build does. */
void gen_emit_shared_ptr(gen_ctx *c, int backward, int lo, int hi)
{
    int scratch = span_uses(c, lo, hi, backward, GEN_ARG_SCRATCH, GEN_BOTH), j;
    int vec = scratch || span_uses(c, lo, hi, backward, GEN_ARG_SHARED, GEN_VECTOR_ONLY);
    int plain = scratch || span_uses(c, lo, hi, backward, GEN_ARG_SHARED, GEN_PLAIN_ONLY);
    for (j = lo; backward && j < hi; j++) {
        int in_w, in_scratch;
        gen_grad_sum_bases(c->L, j, &in_w, &in_scratch);
        if (in_scratch)
            vec = plain = 1;
    }
    if (!vec && !plain)
        return;
    if (!plain || !vec)
        gen_pp_vector(c, !plain);
    emit_line(c->e, "float *%s shared = work + (size_t)n * %sWORK_PER_SAMPLE;",
              c->restrict_kw, c->mprefix);
    if (!plain || !vec)
        gen_pp(c, "#endif");
}

/* The once-per-call steps of every layer of [lo, hi) that has them. */
void gen_emit_per_call(gen_ctx *c, gen_per_call when, int lo, int hi)
{
    int i;
    for (i = lo; i < hi; i++) {
        const gen_layer_emitter *em = gen_emitter_of(gen_layer(c, i)->kind);
        void (*step)(gen_ctx *, int) = when == GEN_BEFORE_FORWARD    ? em->before_forward
                                       : when == GEN_BEFORE_BACKWARD ? em->before_backward
                                                                     : em->after_backward;
        if (step)
            step(c, i);
    }
}

/* The scores' head (where the last layer's scores are: its logits if it
 * ends in softmax). */
static const char *scores_macro(const gen_layout *L)
{
    const gen_layer_plan *last = &L->plan[L->m->n_layers - 1];
    return L->buffers[last->logits >= 0 ? last->logits : last->out].macro;
}

/* The head over the samples of a call: the probabilities from the scores
 * (the last layer's output, or its logits when it ends in softmax), or the
 * loss and the scores' gradient. */
static void emit_head(gen_ctx *c, int loss)
{
    emitter *e = c->e;
    const gen_layout *L = c->L;
    const gen_layer_plan *last = &L->plan[L->m->n_layers - 1];
    const char *R = c->restrict_kw, *M = c->mprefix;
    const char *zbuf = scores_macro(L);
    int ncls = L->m->n_classes;
    if (loss) {
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
        emit_line(e, "    dz[k] = (float)(exp(z[k] - top) / sum) - "
                  "(k == labels[s] ? 1.0f : 0.0f);");
        emit_close(e, "");
        return;
    }
    /* Probabilities: a numerically stable softmax of the scores, for a
     * softmax head and a linear one (logits) alike, so that the loss of
     * backward() and the one computed from probs agree. */
    emit_open(e, "for (s = 0; s < n; s++)");
    emit_line(e, "const float *%s z = work + (size_t)s * %sWORK_PER_SAMPLE + %s%s;", R, M, M,
              zbuf);
    emit_line(e, "float *%s pr = probs + (size_t)s * %d;", R, ncls);
    emit_line(e, "int k;");
    gen_emit_softmax(e, "z", "pr", ncls);
    if (L->final_softmax) {
        char dst[160];
        snprintf(dst, sizeof dst, "work + (size_t)s * %sWORK_PER_SAMPLE + %s%s", M, M,
                 L->buffers[last->out].macro);
        gen_emit_copy(c, dst, "pr", ncls);
    }
    emit_close(e, "");
}

void gen_emit_probs(gen_ctx *c)
{
    emit_head(c, 0);
}

void gen_emit_loss(gen_ctx *c)
{
    emit_head(c, 1);
}

void gen_emit_drivers(gen_ctx *c)
{
    emitter *e = c->e;
    const gen_layout *L = c->L;
    const ir_model *m = L->m;

    emit_banner(e, "forward pass of n samples");
    emit_open_fn(e, "static void %sforward(const float *params, float *work, const float *x, "
              "int n, float *probs, const uint64_t *seeds)", c->prefix);
    emit_line(e, "int s;");
    if (!model_uses(c, 0, GEN_ARG_SEED, GEN_BOTH))
        emit_line(e, "(void)seeds;");
    gen_emit_shared_ptr(c, 0, 0, m->n_layers);
    gen_emit_per_call(c, GEN_BEFORE_FORWARD, 0, m->n_layers);
    gen_emit_layer_span(c, 0, 0, m->n_layers);
    gen_emit_probs(c);
    emit_close(e, "");
    if (!L->training)
        return;

    emit_banner(e, "backward pass: summed cross-entropy, gradients added to grads");
    emit_open_fn(e, "static double %sbackward(const float *params, float *grads, float *work, "
              "const float *x, const uint8_t *labels, int n)", c->prefix);
    emit_line(e, "double loss = 0.0;");
    emit_line(e, "int s;");
    if (!model_uses(c, 1, GEN_ARG_PARAMS, GEN_VECTOR_ONLY) ||
        !model_uses(c, 1, GEN_ARG_PARAMS, GEN_PLAIN_ONLY))
        emit_line(e, "(void)params;");
    if (!model_uses(c, 1, GEN_ARG_INPUT, GEN_BOTH))
        emit_line(e, "(void)x;");
    gen_emit_loss(c);
    gen_emit_shared_ptr(c, 1, 0, m->n_layers);
    gen_emit_per_call(c, GEN_BEFORE_BACKWARD, 0, m->n_layers);
    gen_emit_layer_span(c, 1, 0, m->n_layers);
    gen_emit_per_call(c, GEN_AFTER_BACKWARD, 0, m->n_layers);
    emit_line(e, "return loss;");
    emit_close(e, "");
}
