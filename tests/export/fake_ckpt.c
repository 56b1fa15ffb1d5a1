/* fake_ckpt.c - writes a checkpoint of random parameters for a generated
 * model (linked with its model.c and the runtime), so that `convc export`
 * can be tested on models the data set cannot train. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/checkpoint.h"
#include "model.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define MODEL CAT(NAME, _model)

int main(int argc, char **argv)
{
    const convc_model *m = &MODEL;
    cv_ckpt_state st;
    cv_error err;
    float *params = malloc(m->n_params * sizeof(float));
    unsigned long long s = 88172645463325252ULL;
    size_t i;
    int t;
    if (argc != 2 || !params)
        return 2;
    for (i = 0; i < m->n_params; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        params[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
    }
    /* Tensors that start at one (batchnorm's gamma and moving variance)
     * stay around it: a variance is positive. */
    for (t = 0; t < m->n_tensors; t++)
        for (i = 0; i < m->tensors[t].count; i++)
            if (m->tensors[t].init == CONVC_INIT_ONES)
                params[m->tensors[t].offset + i] += 1.0f;
    /* Settings that pass the checks of the options that set them. */
    memset(&st, 0, sizeof st);
    st.lr = 0.01;
    st.beta1 = 0.9;
    st.beta2 = 0.999;
    st.epsilon = 1e-7;
    st.batch = 32;
    st.workers = 1;
    st.epochs = 1;
    st.n_train = 1;
    if (ckpt_save(argv[1], m, &st, params, NULL, 0, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    free(params);
    return 0;
}
