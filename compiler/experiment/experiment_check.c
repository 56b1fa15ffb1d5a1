/* experiment_check.c - every variant through the front end before anything is
 * built or trained, so a bad value (k=9 on a 7x7 map) stops the experiment
 * with the expanded spec's location and the variant's name. */
#include <stdlib.h>
#include <string.h>
#include "experiment/experiment.h"
#include "front/frontend.h"
#include "ir.h"

static void copy_layer(exp_layer *d, const ir_layer *s)
{
    snprintf(d->kind, sizeof d->kind, "%s", ir_kind_name(s->kind));
    d->source = s->source ? strdup(s->source) : NULL;
    d->in_h = s->in.h, d->in_w = s->in.w, d->in_c = s->in.c;
    d->out_h = s->out.h, d->out_w = s->out.w, d->out_c = s->out.c;
    d->kh = s->kh, d->kw = s->kw, d->sh = s->sh, d->sw = s->sw;
    d->params = s->params;
    d->flops = s->flops;
}

int experiment_check(experiment *x, FILE *diag)
{
    int failed = 0;
    for (int i = 0; i < x->n_variants; i++) {
        exp_variant *v = &x->variants[i];
        ir_model *m = frontend_load_text(v->display_path, v->text, v->text_len, diag);
        if (!m) {
            fprintf(diag, "%s:%d:%d: note: in model '%s' of the experiment\n", x->path,
                    v->yaml_line, v->yaml_col, v->name);
            failed++;
            continue;
        }
        v->params = m->params;
        v->flops = m->flops;
        v->arch_hash = m->spec_hash;
        v->n_conv = 0;
        for (int l = 0; l < m->n_layers; l++)
            v->n_conv += m->layers[l].kind == IR_CONV;
        int n = m->n_layers > 0 ? m->n_layers : 0;
        v->layers = n ? calloc((size_t)n, sizeof *v->layers) : NULL;
        if (v->layers) {
            v->n_layers = m->n_layers;
            for (int l = 0; l < m->n_layers; l++)
                copy_layer(&v->layers[l], &m->layers[l]);
        }
        v->checked = 1;
        ir_free(m);
    }
    return failed;
}
