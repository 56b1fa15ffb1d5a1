/* ir.c - the IR's canonical text, its hash, names of enums, and freeing. */
#include "ir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct {
    char *text;
    size_t len, cap;
    int failed;
} strbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->text ? b->text + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *grown = realloc(b->text, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->text = grown;
        b->cap = cap;
    }
}

char *ir_canonical(const ir_model *m)
{
    strbuf b = { NULL, 0, 0, 0 };
    sb_printf(&b, "input %dx%dx%d\n", m->input.h, m->input.w, m->input.c);
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *L = &m->layers[i];
        sb_printf(&b, "%s -> %dx%dx%d\n", L->canonical ? L->canonical : ir_kind_name(L->kind),
                  L->out.h, L->out.w, L->out.c);
    }
    if (b.failed) {
        free(b.text);
        return NULL;
    }
    return b.text;
}

uint64_t ir_hash(const ir_model *m)
{
    char *text = ir_canonical(m);
    uint64_t h = 0xcbf29ce484222325ULL;         /* FNV-1a 64 offset basis */
    if (!text)
        return 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;                  /* FNV-1a 64 prime */
    }
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
    }
    free(m->layers);
    free(m->name);
    free(m->spec_path);
    free(m);
}
