/* fuzz_spec.c - libFuzzer harness for the front end: any bytes must give
 * either a diagnosed error or an IR that keeps the promises of ir.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frontend.h"
#include "sema.h"

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
    ir_shape prev = m->input;
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *L = &m->layers[i];
        require(L->in.h == prev.h && L->in.w == prev.w && L->in.c == prev.c);
        require(L->out.h >= 1 && L->out.w >= 1 && L->out.c >= 1);
        require((int64_t)L->out.h * L->out.w * L->out.c <= IR_MAX_ACTIVATION);
        require(L->index == i && L->ordinal >= 1);
        require(strstr(L->source, "*/") == NULL);
        for (const char *p = L->source; *p; p++)
            require(*p >= 0x20 && *p < 0x7f);
        if (L->kind == IR_CONV || L->kind == IR_POOL) {
            require(L->kh >= 1 && L->kh <= IR_MAX_KERNEL && L->kw >= 1 && L->kw <= IR_MAX_KERNEL);
            require(L->sh >= 1 && L->sw >= 1);
            require(L->pad_top >= 0 && L->pad_bottom >= 0 && L->pad_left >= 0 && L->pad_right >= 0);
            require(L->in.h + L->pad_top + L->pad_bottom >= L->kh);
            require(L->in.w + L->pad_left + L->pad_right >= L->kw);
            require((L->out.h - 1) * L->sh + L->kh <= L->in.h + L->pad_top + L->pad_bottom);
        }
        if (L->act == IR_SOFTMAX)
            require(i == m->n_layers - 1);
        prev = L->out;
    }
    char *canonical = ir_canonical(m);
    require(canonical != NULL);
    free(canonical);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    ir_model *m = frontend_load_text("fuzz.spec", (const char *)data, size, sink);
    if (m)
        check_model(m);
    ir_free(m);
    return 0;
}
