/* export_fold.c - batchnorm folded into the conv or dense layer before it
 * (export_fold.h).  With s = gamma / sqrt(var + eps) per output channel:
 *   kernel'[..., c] = kernel[..., c] * s[c]
 *   bias'[c]        = (bias[c] - mean[c]) * s[c] + beta[c]
 * computed in double and rounded once.  Conv kernels (KH, KW, Cin, Cout)
 * and dense kernels (in, out) both have the output channel last. */
#include "output/export_fold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Readers of layer i's output. */
static int readers(const ir_model *m, int i)
{
    int n = 0;
    for (int j = i + 1; j < m->n_layers; j++)
        for (int k = 0; k < m->layers[j].n_inputs; k++)
            n += m->layers[j].inputs[k] == i;
    return n;
}

int export_folds_into_previous(const ir_model *m, int i)
{
    const ir_layer *l = &m->layers[i], *prev = i > 0 ? &m->layers[i - 1] : NULL;
    /* Only where the batchnorm is the one reader of that layer: another
     * reader needs the output before normalization. */
    return l->kind == IR_BATCHNORM && prev && l->inputs[0] == i - 1 && readers(m, i - 1) == 1 &&
           prev->act == IR_LINEAR && (prev->kind == IR_CONV || prev->kind == IR_DENSE);
}

/* The tensor of L with this name; -1 when none. */
static int tensor_by_name(const gen_layout *L, const char *name)
{
    for (int t = 0; t < L->n_tensors; t++)
        if (strcmp(L->tensors[t].name, name) == 0)
            return t;
    return -1;
}

/* The tensor of L named "<layer>.<what>" (the folded layers have them). */
static int tensor_named(const gen_layout *L, const char *layer, const char *what)
{
    char name[2 * GEN_NAME_MAX];
    snprintf(name, sizeof name, "%s.%s", layer, what);
    return tensor_by_name(L, name);
}

/* Layer i's weights in `out` (layout F) from the original layout's `in`,
 * scaled by the batchnorm `bn` after it when bn >= 0. */
static void fold_layer(const gen_layout *L, const float *in, const gen_layout *F, float *out,
                       const char *name, const char *bn_name, double eps)
{
    int k = tensor_named(L, name, "kernel"), b = tensor_named(L, name, "bias");
    int fk = tensor_named(F, name, "kernel"), fb = tensor_named(F, name, "bias");
    int g = tensor_named(L, bn_name, "gamma"), be = tensor_named(L, bn_name, "beta");
    int mu = tensor_named(L, bn_name, "moving_mean");
    int var = tensor_named(L, bn_name, "moving_variance");
    int64_t cout = L->tensors[b].count, n = L->tensors[k].count;
    const float *gamma = in + L->tensors[g].offset, *beta = in + L->tensors[be].offset;
    const float *mean = in + L->tensors[mu].offset, *v = in + L->tensors[var].offset;
    for (int64_t j = 0; j < n; j++) {
        int64_t c = j % cout;
        double s = (double)gamma[c] / sqrt((double)v[c] + eps);
        out[F->tensors[fk].offset + j] = (float)(in[L->tensors[k].offset + j] * s);
    }
    for (int64_t c = 0; c < cout; c++) {
        double s = (double)gamma[c] / sqrt((double)v[c] + eps);
        out[F->tensors[fb].offset + c] =
            (float)(((double)in[L->tensors[b].offset + c] - mean[c]) * s + beta[c]);
    }
}

int export_fold(const ir_model *m, const gen_layout *L, const float *params, int options,
                export_folded *out, FILE *diag)
{
    memset(out, 0, sizeof *out);
    out->model = *m;
    out->model.layers = calloc((size_t)m->n_layers + 1, sizeof *m->layers);
    if (!out->model.layers) {
        fprintf(diag, "convc: out of memory\n");
        return -1;
    }
    /* A folded batchnorm's readers read the layer it folded into. */
    int *index = malloc(((size_t)m->n_layers + 1) * sizeof *index);
    if (!index) {
        free(out->model.layers);
        fprintf(diag, "convc: out of memory\n");
        return -1;
    }
    int n = 0;
    for (int i = 0; i < m->n_layers; i++) {
        if (export_folds_into_previous(m, i)) {
            out->model.layers[n - 1].act = m->layers[i].act;
            out->model.layers[n - 1].out = m->layers[i].out;
            index[i] = n - 1;
            continue;
        }
        out->model.layers[n] = m->layers[i];
        out->model.layers[n].index = n;
        for (int k = 0; k < m->layers[i].n_inputs; k++) {
            int from = m->layers[i].inputs[k];
            out->model.layers[n].inputs[k] = from < 0 ? from : index[from];
        }
        index[i] = n++;
    }
    free(index);
    out->model.n_layers = n;
    if (gen_layout_build_with(&out->layout, &out->model, 0, options)) {
        free(out->model.layers);
        return -1;
    }
    out->params = malloc(((size_t)out->layout.n_params + 1) * sizeof *out->params);
    if (!out->params) {
        export_fold_free(out);
        fprintf(diag, "convc: out of memory\n");
        return -1;
    }
    /* Every tensor keeps its name (layer names come from the kind's
     * ordinal): copy it, then fold the pairs. */
    for (int t = 0; t < out->layout.n_tensors; t++) {
        const gen_tensor *ft = &out->layout.tensors[t];
        const gen_tensor *ot = &L->tensors[tensor_by_name(L, ft->name)];
        memcpy(out->params + ft->offset, params + ot->offset, (size_t)ft->count * sizeof(float));
    }
    for (int i = 1; i < m->n_layers; i++)
        if (export_folds_into_previous(m, i))
            fold_layer(L, params, &out->layout, out->params, L->plan[i - 1].name,
                       L->plan[i].name, m->layers[i].eps);
    return 0;
}

void export_fold_free(export_folded *f)
{
    free(f->params);
    free(f->model.layers);
    gen_layout_free(&f->layout);
    memset(f, 0, sizeof *f);
}
