/* ir.c - the IR's canonical text, its hash, names of enums, and freeing. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/hash.h"

#define IR_SPELLING(id, word) #word,
const char *const ir_kind_names[IR_N_KINDS] = { IR_LAYER_KINDS(IR_SPELLING) };
const char *const ir_activation_names[IR_N_ACTIVATIONS] = { IR_ACTIVATIONS(IR_SPELLING) };
const char *const ir_pool_kind_names[IR_N_POOL_KINDS] = { IR_POOL_KINDS(IR_SPELLING) };
const char *const ir_padding_names[IR_N_PADDINGS] = { IR_PADDINGS(IR_SPELLING) };

static const char *name_of(const char *const *names, int n, int i)
{
    return i >= 0 && i < n ? names[i] : "?";
}

static int index_of(const char *const *names, int n, const char *word)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], word) == 0)
            return i;
    return -1;
}

const char *ir_kind_name(ir_kind k) { return name_of(ir_kind_names, IR_N_KINDS, (int)k); }
const char *ir_activation_name(ir_activation a)
{
    return name_of(ir_activation_names, IR_N_ACTIVATIONS, (int)a);
}
const char *ir_pool_kind_name(ir_pool_kind p)
{
    return name_of(ir_pool_kind_names, IR_N_POOL_KINDS, (int)p);
}
const char *ir_padding_name(ir_padding p) { return name_of(ir_padding_names, IR_N_PADDINGS, (int)p); }
int ir_kind_of(const char *w) { return index_of(ir_kind_names, IR_N_KINDS, w); }
int ir_activation_of(const char *w) { return index_of(ir_activation_names, IR_N_ACTIVATIONS, w); }
int ir_pool_kind_of(const char *w) { return index_of(ir_pool_kind_names, IR_N_POOL_KINDS, w); }
int ir_padding_of(const char *w) { return index_of(ir_padding_names, IR_N_PADDINGS, w); }

int ir_reads_elsewhere(const ir_model *m, int i)
{
    const ir_layer *L = &m->layers[i];
    return L->n_inputs != 1 || L->inputs[0] != i - 1;
}

char *ir_canonical(const ir_model *m)
{
    cv_buf b = { 0 };
    buf_printf(&b, "input %dx%dx%d\n", m->input.h, m->input.w, m->input.c);
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *L = &m->layers[i];
        buf_printf(&b, "%s", L->canonical ? L->canonical : ir_kind_name(L->kind));
        for (int k = 0; ir_reads_elsewhere(m, i) && k < L->n_inputs; k++) {
            if (L->inputs[k] < 0)
                buf_printf(&b, "%sinput", k ? "," : " <- ");
            else
                buf_printf(&b, "%s%d", k ? "," : " <- ", L->inputs[k]);
        }
        buf_printf(&b, " -> %dx%dx%d\n", L->out.h, L->out.w, L->out.c);
    }
    return buf_take(&b, NULL);
}

uint64_t ir_hash(const ir_model *m)
{
    char *text = ir_canonical(m);
    if (!text)
        return 0;
    uint64_t h = cv_fnv1a64(text, strlen(text));
    free(text);
    return h;
}

void ir_free(ir_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_layers; i++) {
        free(m->layers[i].source);
        free(m->layers[i].canonical);
        free(m->layers[i].name);
    }
    free(m->layers);
    free(m->name);
    free(m->spec_path);
    free(m);
}
