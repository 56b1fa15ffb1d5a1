/* graph.c - names, inputs and the checks of the layer graph (graph.h). */
#include "front/graph.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "front/names.h"
#include "front/sema.h"

bool graph_init(spec_graph *g, diag *d, const ast_spec *spec, int capacity)
{
    memset(g, 0, sizeof *g);
    g->d = d;
    g->spec = spec;
    g->layers = calloc((size_t)capacity + 1, sizeof *g->layers);
    return g->layers != NULL;
}

void graph_free(spec_graph *g)
{
    free(g->layers);
    g->layers = NULL;
}

/* The name a statement gives with 'as NAME', or NULL. */
static const ast_value *name_given(const ast_stmt *st)
{
    for (const ast_item *it = st->items; it && it->next; it = it->next)
        if (!it->key && it->value->kind == AST_WORD && strcmp(it->value->text, LAYER_WORD_AS) == 0
            && !it->next->key && it->next->value->kind == AST_WORD)
            return it->next->value;
    return NULL;
}

/* The layer kinds that read a named layer: "add or concat". */
static void merge_kinds(char *buf, size_t size)
{
    const char *kinds[IR_N_KINDS];
    int n = 0;
    for (int k = 0; k < IR_N_KINDS; k++)
        if (layer_descs[k]->merge != LAYER_MERGE_NONE)
            kinds[n++] = ir_kind_name((ir_kind)k);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s'%s NAME'", i == 0 ? "" : i == n - 1 ? " or " : ", ",
                 kinds[i]);
    }
}

static int find_name(const spec_graph *g, const char *name, int before)
{
    for (int i = 0; i < before; i++)
        if (g->layers[i].name && strcmp(g->layers[i].name->text, name) == 0)
            return i;
    return -1;
}

void graph_define(spec_graph *g, int self, const ast_stmt *st, const ast_value *as)
{
    graph_layer *gl = &g->layers[self];
    gl->stmt = st;
    if (self + 1 > g->n_layers)
        g->n_layers = self + 1;
    if (!as)
        return;
    switch (names_check_layer(as->text)) {
    case LAYER_NAME_OK:
        break;
    case LAYER_NAME_INVALID:
        diag_error(g->d, as->loc, "invalid layer name '%s'", as->text);
        diag_note(g->d, as->loc, "a layer name is letters, digits and '_', starting with a "
                  "letter, at most %d bytes", IR_MAX_NAME);
        return;
    case LAYER_NAME_WORD:
        diag_error(g->d, as->loc, "'%s' is a word of the spec language, not a layer name",
                   as->text);
        return;
    case LAYER_NAME_GENERATED:
        diag_error(g->d, as->loc, "layer name '%s' is reserved: layers without a name are "
                   "called by their kind and number (conv1, pool2 ...)", as->text);
        return;
    }
    int first = find_name(g, as->text, self);
    if (first >= 0) {
        diag_error(g->d, as->loc, "duplicate layer name '%s'", as->text);
        diag_note(g->d, g->layers[first].name->loc, "'%s' first given here", as->text);
        return;
    }
    gl->name = as;
}

int graph_lookup(spec_graph *g, const ast_value *ref, int self)
{
    const char *name = ref->text;
    int j = find_name(g, name, self);
    if (j >= 0) {
        g->layers[j].name_used = true;
        return j;
    }
    if (g->layers[self].name && strcmp(g->layers[self].name->text, name) == 0) {
        diag_error(g->d, ref->loc, "'%s' names this layer itself; a layer reads earlier "
                   "layers only", name);
        return -2;
    }
    /* Defined further down? */
    const ast_stmt *st = g->layers[self].stmt;
    for (const ast_stmt *later = st ? st->next : NULL; later; later = later->next) {
        const ast_value *as = later->kind == AST_LAYER ? name_given(later) : NULL;
        if (as && strcmp(as->text, name) == 0) {
            diag_error(g->d, ref->loc, "layer '%s' is used before its definition", name);
            diag_note(g->d, as->loc, "'%s' is defined here; a layer reads earlier layers only",
                      name);
            return -2;
        }
    }
    const char *names[IR_MAX_LAYERS];
    int n = 0;
    for (int i = 0; i < self && n < IR_MAX_LAYERS; i++)
        if (g->layers[i].name)
            names[n++] = g->layers[i].name->text;
    const char *hint = sema_closest(name, names, n, INT_MAX);
    if (hint) {
        diag_error(g->d, ref->loc, "unknown layer name '%s'; did you mean '%s'?", name, hint);
    } else {
        diag_error(g->d, ref->loc, "unknown layer name '%s'", name);
        diag_note(g->d, ref->loc, "name a layer with '%s NAME' at the end of its line",
                  LAYER_WORD_AS);
    }
    return -2;
}

int graph_read(spec_graph *g, int j)
{
    return g->layers[j].readers++;
}

static void shape_text(char *buf, size_t size, ir_shape s)
{
    snprintf(buf, size, "%dx%dx%d", s.h, s.w, s.c);
}

/* The stride of a 1x1 conv that takes `from` to `to` in both axes, or 0. */
static int projection_stride(ir_shape from, ir_shape to)
{
    for (int s = 1; s <= IR_MAX_KERNEL; s++)
        if ((from.h - 1) / s + 1 == to.h && (from.w - 1) / s + 1 == to.w)
            return s;
    return 0;
}

bool graph_check_merge(spec_graph *g, const layer_desc *ld, const ir_layer *L,
                       const ast_value *ref)
{
    char a[48], b[48];
    const char *kind = ir_kind_name(L->kind), *name = ref->text;
    shape_text(a, sizeof a, L->in);
    shape_text(b, sizeof b, L->in2);
    if (ld->merge == LAYER_MERGE_CHANNELS) {
        /* An image's channels are bounded (kernels keep a pixel's channels
         * on the stack); a vector's values only by IR_MAX_ACTIVATION. */
        bool vector = (L->inputs[0] >= 0 && g->layers[L->inputs[0]].flat)
                      || g->layers[L->inputs[1]].flat;
        if (L->in.h == L->in2.h && L->in.w == L->in2.w) {
            if ((int64_t)L->in.c + L->in2.c <= IR_MAX_DIM || vector)
                return true;
            diag_error(g->d, ref->loc, "%s gives %lld channels, over the limit of %d", kind,
                       (long long)L->in.c + L->in2.c, IR_MAX_DIM);
            return false;
        }
        diag_error(g->d, ref->loc, "%s needs outputs of the same height and width: its "
                   "input is %s but '%s' is %s", kind, a, name, b);
        diag_note(g->d, ref->loc, "%s joins along channels", kind);
        return false;
    }
    if (L->in.h == L->in2.h && L->in.w == L->in2.w && L->in.c == L->in2.c)
        return true;
    diag_error(g->d, ref->loc, "%s needs two outputs of one shape: its input is %s but "
               "'%s' is %s", kind, a, name, b);
    int j = find_name(g, name, L->index);
    bool vectors = j >= 0 && g->layers[j].flat && L->in.h == 1 && L->in.w == 1;
    int stride = projection_stride(L->in2, L->in);
    if (vectors)
        diag_note(g->d, ref->loc, "to make '%s' match, project it: 'dense %d %s %s %s proj', "
                  "then '%s proj'", name, L->in.c, LAYER_WORD_FROM, name, LAYER_WORD_AS, kind);
    else if (stride > 0 && !(j >= 0 && g->layers[j].flat))
        diag_note(g->d, ref->loc, "to make '%s' match, project it: 'conv %d k=1 stride=%d "
                  "%s %s %s proj', then '%s proj'", name, L->in.c, stride, LAYER_WORD_FROM,
                  name, LAYER_WORD_AS, kind);
    else
        diag_note(g->d, ref->loc, "no strided 1x1 conv of '%s' gives %s: keep the shape "
                  "along the branch (e.g. 'same' padding)", name, a);
    return false;
}

void graph_finish(spec_graph *g, ir_model *m)
{
    for (int i = 0; i + 1 < g->n_layers; i++) {
        const graph_layer *gl = &g->layers[i];
        if (gl->readers > 0 || !gl->stmt)
            continue;
        diag_error(g->d, gl->stmt->head->loc, "the output of this layer is never read");
        const ast_stmt *next = g->layers[i + 1].stmt;
        int read = m->layers[i + 1].inputs[0];
        if (next && read >= 0 && read != i && g->layers[read].name)
            diag_note(g->d, next->head->loc, "the next layer reads '%s' instead ('%s %s')",
                      g->layers[read].name->text, LAYER_WORD_FROM, g->layers[read].name->text);
    }
    for (int i = 0; i < g->n_layers; i++) {
        const graph_layer *gl = &g->layers[i];
        if (!gl->name)
            continue;
        if (!gl->name_used) {
            char kinds[128];
            merge_kinds(kinds, sizeof kinds);
            diag_warning(g->d, gl->name->loc, "layer name '%s' is never used", gl->name->text);
            diag_note(g->d, gl->name->loc, "a name is read by '%s NAME', %s", LAYER_WORD_FROM,
                      kinds);
        }
        m->layers[i].name = malloc(strlen(gl->name->text) + 1);
        if (!m->layers[i].name) {
            diag_error(g->d, gl->name->loc, "out of memory");
            return;
        }
        strcpy(m->layers[i].name, gl->name->text);
    }
}
