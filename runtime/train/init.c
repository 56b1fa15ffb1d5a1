/* init.c - Glorot uniform and zero initialization. */
#include <math.h>
#include <string.h>
#include "train/init.h"

void init_params(const convc_model *m, float *params, cv_rng *r)
{
    memset(params, 0, m->n_params * sizeof *params);
    for (int t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        if (ts->init == CONVC_INIT_ONES)
            for (size_t i = 0; i < ts->count; i++)
                params[ts->offset + i] = 1.0f;
        if (ts->init != CONVC_INIT_GLOROT_UNIFORM || ts->fan_in + ts->fan_out <= 0)
            continue;
        float limit = (float)sqrt(6.0 / (double)(ts->fan_in + ts->fan_out));
        float *p = params + ts->offset;
        for (size_t i = 0; i < ts->count; i++)
            p[i] = (2.0f * rng_float(r) - 1.0f) * limit;
    }
}
