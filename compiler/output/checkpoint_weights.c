/* checkpoint_weights.c - the layout described as a convc_model, the shape
 * the runtime's reader verifies a checkpoint against. */
#include "output/checkpoint_weights.h"

#include <stdlib.h>
#include "train/checkpoint.h"

#ifndef CONVC_VERSION
#define CONVC_VERSION "unknown"
#endif

float *checkpoint_weights(const char *path, const gen_layout *L, FILE *diag)
{
    convc_tensor *tensors = calloc((size_t)L->n_tensors + 1, sizeof *tensors);
    float *params = malloc(sizeof *params * (size_t)(L->n_params ? L->n_params : 1));
    cv_error e;
    int rc = -1;
    if (!tensors || !params) {
        fprintf(diag, "%s: error: out of memory\n", path);
    } else {
        for (int t = 0; t < L->n_tensors; t++) {
            const gen_tensor *g = &L->tensors[t];
            tensors[t].name = g->name;
            tensors[t].rank = g->rank;
            for (int k = 0; k < 4; k++)
                tensors[t].shape[k] = g->shape[k];
            tensors[t].offset = (size_t)g->offset;
            tensors[t].count = (size_t)g->count;
        }
        convc_model m = {
            .abi = CONVC_MODEL_ABI, .name = L->m->name, .spec_file = L->m->spec_path,
            .convc_version = CONVC_VERSION, .spec_hash = L->m->spec_hash,
            .n_params = (size_t)L->n_params, .n_tensors = L->n_tensors, .tensors = tensors,
        };
        rc = ckpt_load(path, &m, NULL, params, NULL, 0, &e);
        if (rc < 0)
            fprintf(diag, "%s: error: %s\n", path, cv_error_detail(&e, path));
    }
    free(tensors);
    if (rc < 0) {
        free(params);
        return NULL;
    }
    return params;
}
