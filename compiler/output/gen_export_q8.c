/* gen_export_q8.c - the implementation part of an int8 export: the kernels
 * (q8_types.h and q8_kernels.c, embedded under the model's prefix), every
 * layer's tables, the forward function over one work arena placed by the
 * memory plan, and the float and integer entry points. */
#include "output/gen_export_q8.h"

#include <stdlib.h>
#include <string.h>

#include "codegen/gen_ctx.h"
#include "codegen/mem_plan.h"

/* The kernels' text, embedded by the build. */
static const char q8_types_text[] =
#include "q8_types.inc"
    ;
static const char q8_kernels_text[] =
#include "q8_kernels.inc"
    ;

int gen_q8_layout(gen_layout *QL, const ir_model *m, gen_mem_plan *P)
{
    ir_shape in = m->input;
    memset(QL, 0, sizeof *QL);
    QL->m = m;
    QL->buffers = calloc((size_t)m->n_layers + 2, sizeof *QL->buffers);
    QL->plan = calloc((size_t)m->n_layers + 1, sizeof *QL->plan);
    if (!QL->buffers || !QL->plan) {
        gen_layout_free(QL);
        return -1;
    }
    /* The quantized image is a buffer of the arena, read by layer 0. */
    QL->planning = 0;
    int input = gen_layout_shaped(QL, "input", "q", in);
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *l = &m->layers[i];
        gen_layer_plan *p = &QL->plan[i];
        snprintf(p->name, sizeof p->name, "%s%d", ir_kind_name(l->kind), l->ordinal);
        p->kernel = p->bias = p->logits = p->in2 = -1;
        /* inputs[0] is -1 (the image) only for layer 0 */
        p->in = l->inputs[0] >= 0 ? QL->plan[l->inputs[0]].out : input;
        p->in2 = l->n_inputs > 1 ? QL->plan[l->inputs[1]].out : -1;
        QL->planning = i;
        if (!q8_kind_of(l)) {               /* q8_check_model refuses it */
            gen_layout_free(QL);
            return -1;
        }
        if (q8_kind_of(l)->aliases && i > 0)
            p->out = p->in;
        else
            p->out = gen_layout_shaped(QL, p->name, "out", l->out);
    }
    if (gen_mem_plan_apply(QL, P)) {
        gen_layout_free(QL);
        return -1;
    }
    return 0;
}

int64_t gen_q8_weight_bytes(const q8_model *q)
{
    int64_t bytes = 0;
    for (int i = 0; i < q->m->n_layers; i++)
        bytes += q->layers[i].n_w + (int64_t)q->layers[i].n_ch * (4 + 4 + 1) +
                 (q->layers[i].lut ? 256 : 0);
    return bytes;
}

/* Is entry k the first with its Q8_USE_ macro (kinds can share one)? */
static int first_with_macro(int k)
{
    const char *macro = q8_kind_at(k)->use_macro;
    for (int j = 0; j < k && macro; j++)
        if (q8_kind_at(j)->use_macro && strcmp(q8_kind_at(j)->use_macro, macro) == 0)
            return 0;
    return macro != NULL;
}

/* Does a layer apply a table after its kernel (tanh, sigmoid)? */
static int uses_table(const q8_model *q)
{
    for (int i = 0; i < q->m->n_layers; i++)
        if (q->layers[i].lut)
            return 1;
    return 0;
}

static void emit_kernels(emitter *e, const q8_model *q, const char *pfx)
{
    emit_banner(e, "int8 kernels (TensorFlow Lite's int8 scheme)");
    emit_line(e, "#define Q8_FN(x) %sq8_##x", pfx);
    emit_line(e, "#define Q8_DEF static");
    for (int k = 0; q8_kind_at(k); k++) {
        const char *macro = q8_kind_at(k)->use_macro;
        int used = 0;
        if (!first_with_macro(k))
            continue;
        for (int i = 0; i < q->m->n_layers; i++) {
            const q8_kind *lk = q8_kind_of(&q->m->layers[i]);
            used |= lk->use_macro && strcmp(lk->use_macro, macro) == 0;
        }
        emit_line(e, "#define %s %d", macro, used);
    }
    emit_line(e, "#define Q8_USE_LUT %d", uses_table(q));
    emit_raw(e, "%s", q8_types_text);
    emit_raw(e, "%s", q8_kernels_text);
}

static void emit_forward(emitter *e, const q8_model *q, const gen_layout *QL, const char *pfx)
{
    const ir_model *m = q->m;
    emit_banner(e, "forward pass, int8: x quantized, w the work arena");
    emit_open_fn(e, "static void %sq8_forward(const int8_t *x, int8_t *w)", pfx);
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *l = &m->layers[i];
        const gen_layer_plan *p = &QL->plan[i];
        char in[64], in2[64], out[64];
        if (i == 0)
            snprintf(in, sizeof in, "x");
        else
            snprintf(in, sizeof in, "w + %lld", (long long)QL->buffers[p->in].offset);
        if (p->in2 >= 0)
            snprintf(in2, sizeof in2, "w + %lld", (long long)QL->buffers[p->in2].offset);
        snprintf(out, sizeof out, "w + %lld", (long long)QL->buffers[p->out].offset);
        emit_line(e, "/* %s: %s -> (%d, %d, %d) */", p->name,
                  l->canonical ? l->canonical : ir_kind_name(l->kind), l->out.h, l->out.w,
                  l->out.c);
        if (p->out == p->in) {
            emit_line(e, "/* (its input, unchanged) */");
            continue;
        }
        q8_kind_of(l)->emit_call(e, q, i, pfx, in, p->in2 >= 0 ? in2 : NULL, out);
        q8_emit_table_call(e, q, i, pfx, out);
    }
    emit_close(e, "");
}

static void emit_entry_points(emitter *e, const q8_model *q, const gen_layout *QL,
                              const char *name, const char *up)
{
    const ir_model *m = q->m;
    const q8_layer *last = &q->layers[m->n_layers - 1];
    const gen_layer_plan *lp = &QL->plan[m->n_layers - 1];
    int ncls = m->n_classes;
    char s[48];
    emit_banner(e, "API");
    emit_format_float(s, sizeof s, q->input.scale);
    emit_line(e, "%s_DEF void %s_quantize_input(const float *image, int8_t *q)", up, name);
    emit_line(e, "{");
    emit_line(e, "    %s__q8_quantize(q, image, %s_IN_H * %s_IN_W * %s_IN_C, %s, %ld);", name, up,
              up, up, s, (long)q->input.zp);
    emit_line(e, "}");
    emit_blank(e);
    emit_line(e, "%s_DEF int %s_predict_q8_with(const int8_t *image, int8_t *out, int8_t *work)",
              up, name);
    emit_line(e, "{");
    emit_line(e, "    %s__q8_forward(image, work);", name);
    emit_line(e, "    if (out)");
    emit_line(e, "        memcpy(out, work + %lld, %d);", (long long)QL->buffers[lp->out].offset,
              ncls);
    emit_line(e, "    return %s__q8_argmax(work + %lld, %d);", name,
              (long long)QL->buffers[lp->out].offset, ncls);
    emit_line(e, "}");
    emit_blank(e);
    emit_line(e, "/* the work arena of the entry points without one */");
    emit_line(e, "static int8_t %s__work[%s_WORK_BYTES];", name, up);
    emit_blank(e);
    emit_line(e, "%s_DEF int %s_predict_q8(const int8_t *image, int8_t *out)", up, name);
    emit_line(e, "{");
    emit_line(e, "    return %s_predict_q8_with(image, out, %s__work);", name, name);
    emit_line(e, "}");
    emit_blank(e);
    emit_line(e, "%s_DEF int %s_predict_with(const float *image, float *probs, int8_t *work)", up,
              name);
    emit_line(e, "{");
    emit_line(e, "    int8_t *x = work + %lld, z[%d];", (long long)QL->buffers[QL->plan[0].in].offset,
              ncls);
    emit_line(e, "    int best;");
    emit_line(e, "    %s_quantize_input(image, x);", name);
    emit_line(e, "    best = %s_predict_q8_with(x, z, work);", name);
    emit_line(e, "    if (probs)");
    emit_format_float(s, sizeof s, last->out.scale);
    emit_line(e, "        %s__q8_dequantize(probs, z, %d, %s, %ld);", name, ncls, s,
              (long)last->out.zp);
    /* the same numerically stable softmax of the scores as the float file's,
     * for a softmax head and a linear one alike */
    e->depth++;
    emit_open(e, "if (probs)");
    emit_line(e, "int k;");
    gen_emit_softmax(e, "probs", "probs", ncls);
    emit_close(e, "");
    e->depth--;
    emit_line(e, "    return best;");
    emit_line(e, "}");
    emit_blank(e);
    emit_line(e, "%s_DEF int %s_predict(const float *image, float *probs)", up, name);
    emit_line(e, "{");
    emit_line(e, "    return %s_predict_with(image, probs, %s__work);", name, name);
    emit_line(e, "}");
}

void gen_export_q8_body(emitter *e, const q8_model *q, const gen_layout *QL, const char *name,
                        const char *up)
{
    char pfx[IR_MAX_NAME + 4];
    snprintf(pfx, sizeof pfx, "%s__", name);
    emit_kernels(e, q, pfx);
    emit_banner(e, "int8 weights, int32 biases, multipliers and shifts per layer");
    for (int i = 0; i < q->m->n_layers; i++) {
        const q8_kind *k = q8_kind_of(&q->m->layers[i]);
        if (k->emit_tables)
            k->emit_tables(e, q, i, pfx);
        q8_emit_table(e, q, i, pfx);
    }
    emit_forward(e, q, QL, pfx);
    emit_entry_points(e, q, QL, name, up);
    emit_blank(e);
    emit_line(e, "#undef Q8_FN");
    emit_line(e, "#undef Q8_DEF");
    emit_line(e, "#undef Q8_USE_LUT");
    for (int k = 0; q8_kind_at(k); k++)
        if (first_with_macro(k))
            emit_line(e, "#undef %s", q8_kind_at(k)->use_macro);
}
