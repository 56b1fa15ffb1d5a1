/* fuzz_spec.c - libFuzzer harness for the front end and the code
 * generator: any bytes must give either a diagnosed error or an IR that
 * keeps the promises of ir.h, whose layout keeps every buffer inside the
 * work regions and every Winograd tile inside its padded input, and whose
 * code is generated without a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "front/frontend.h"
#include "codegen/gen_layout.h"
#include "output/gen_model.h"
#include "front/sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok)
        abort();
}

/* Everything a code generator relies on without checking. */
static void check_model(const ir_model *m)
{
    require(sema_valid_model_name(m->name));
    require(m->n_layers >= 1 && m->n_layers <= IR_MAX_LAYERS);
    require(m->params >= 0 && m->params <= IR_MAX_PARAMS);
    require(m->layers[m->n_layers - 1].kind == IR_DENSE && m->n_classes >= 2);
    require(m->n_classes <= IR_MAX_CLASSES);
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *L = &m->layers[i];
        /* The graph: inputs are earlier layers (or the model input, for
         * layer 0 only), and `in`/`in2` are their output shapes. */
        require(L->n_inputs >= 1 && L->n_inputs <= IR_MAX_INPUTS);
        for (int k = 0; k < L->n_inputs; k++) {
            int from = L->inputs[k];
            require(from < i && (from >= 0 || (i == 0 && k == 0)));
            const ir_shape src = from < 0 ? m->input : m->layers[from].out;
            const ir_shape got = k == 0 ? L->in : L->in2;
            require(got.h == src.h && got.w == src.w && got.c == src.c);
        }
        require(L->out.h >= 1 && L->out.w >= 1 && L->out.c >= 1);
        require((int64_t)L->out.h * L->out.w * L->out.c <= IR_MAX_ACTIVATION);
        require(L->index == i && L->ordinal >= 1);
        require(L->canonical != NULL);
        require(strstr(L->source, "*/") == NULL);
        for (const char *p = L->source; *p; p++)
            require(*p >= 0x20 && *p < 0x7f);
        if (L->kind == IR_CONV || L->kind == IR_DWCONV || L->kind == IR_POOL) {
            /* a global pooling window is the whole input, whatever its size */
            require(L->kh >= 1 && L->kw >= 1);
            require(L->global || (L->kh <= IR_MAX_KERNEL && L->kw <= IR_MAX_KERNEL));
            require(L->sh >= 1 && L->sw >= 1);
            require(L->pad_top >= 0 && L->pad_bottom >= 0 && L->pad_left >= 0 && L->pad_right >= 0);
            require(L->in.h + L->pad_top + L->pad_bottom >= L->kh);
            require(L->in.w + L->pad_left + L->pad_right >= L->kw);
            require((L->out.h - 1) * L->sh + L->kh <= L->in.h + L->pad_top + L->pad_bottom);
        }
        if (L->act == IR_SOFTMAX)
            require(i == m->n_layers - 1);
    }
    char *canonical = ir_canonical(m);
    require(canonical != NULL);
    free(canonical);
}

static void check_layout(const ir_model *m, unsigned options)
{
    gen_layout L;
    require(gen_layout_build_with(&L, m, 1, options) == 0);
    for (int b = 0; b < L.n_buffers; b++) {
        const gen_buffer *B = &L.buffers[b];
        require(B->offset >= 0 && B->count >= 1);
        require(B->offset + B->count <= (B->shared ? L.work_shared : L.work_per_sample));
    }
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *l = &m->layers[i];
        const gen_layer_plan *p = &L.plan[i];
        if (!p->wino)
            continue;
        require(l->kind == IR_CONV && l->sh == 1 && l->sw == 1 && p->pad >= 0);
        require(p->th * p->wm_h >= l->out.h && (p->th - 1) * p->wm_h < l->out.h);
        require(p->tw * p->wm_w >= l->out.w && (p->tw - 1) * p->wm_w < l->out.w);
        require(p->pad_h == p->th * p->wm_h + l->kh - 1 && p->pad_w == p->tw * p->wm_w + l->kw - 1);
        require(p->pad_h >= l->in.h + l->pad_top + l->pad_bottom);
        require(p->pad_w >= l->in.w + l->pad_left + l->pad_right);
    }
    gen_layout_free(&L);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    ir_model *m = frontend_load_text("fuzz.spec", (const char *)data, size, sink);
    if (m) {
        gen_sources src;
        check_model(m);
        check_layout(m, 0);
        check_layout(m, GEN_DIRECT);
        /* a model too big for 32-bit offsets is refused, not generated */
        if (gen_model_sources(m, 1, &src, sink) == 0)
            gen_sources_free(&src);
    }
    ir_free(m);
    return 0;
}
