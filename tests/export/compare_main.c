/* compare_main.c - the exported inference file against the trainer's
 * forward pass: the embedded weights must equal the checkpoint's bit for
 * bit (a model with batchnorm: folded, so they differ), and on every image of an IDX file (or on 200 random images for
 * "-random") both must give the same class and probabilities within 1e-5.  Built by tests/t_export.sh with
 *   -DNAME=cnn_k3 -DEXPORTED='"cnn_k3.c"' -D<UPPER>_IMPLEMENTATION -D<UPPER>_STATIC
 * and linked with the model's generated model.c and the runtime library. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/checkpoint.h"
#include "model.h"
#include EXPORTED

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define MODEL CAT(NAME, _model)
#define EXPORTED_PARAMS CAT(NAME, __params)
#define PREDICT CAT(NAME, _predict)

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 16 || fseek(f, 0, SEEK_SET) != 0)
        return NULL;
    buf = malloc((size_t)n);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int main(int argc, char **argv)
{
    const convc_model *m = &MODEL;
    size_t i, len = 0, npix = (size_t)m->in_h * m->in_w * m->in_c, n, differ = 0, folded = 0;
    float *params, *work, *x, probs_t[256], probs_e[256];
    double worst = 0.0;
    cv_ckpt_state st;
    cv_error err;
    unsigned char *idx;
    if (argc != 3) {
        fprintf(stderr, "usage: %s CKPT IDX-IMAGES\n", argv[0]);
        return 2;
    }
    params = malloc(m->n_params * sizeof(float));
    work = malloc(convc_work_floats(m, 1) * sizeof(float));
    x = malloc(npix * sizeof(float));
    if (!params || !work || !x || m->n_classes > 256)
        return 2;
    if (ckpt_load(argv[1], m, &st, params, NULL, 0, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    for (i = 0; i < (size_t)m->n_tensors; i++)
        folded += m->tensors[i].non_trainable;
    if (!folded && (sizeof EXPORTED_PARAMS != m->n_params * sizeof(float) ||
                    memcmp(params, EXPORTED_PARAMS, m->n_params * sizeof(float)) != 0)) {
        fprintf(stderr, "exported weights differ from the checkpoint's\n");
        return 1;
    }
    if (strcmp(argv[2], "-random") == 0) {
        unsigned long long s = 1;
        n = 200;
        len = 16 + n * npix;
        idx = malloc(len);
        for (i = 0; idx && i < len; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            idx[i] = (unsigned char)(s >> 56);
        }
    } else {
        idx = read_all(argv[2], &len);
    }
    if (!idx || len < 16) {
        fprintf(stderr, "%s: cannot read\n", argv[2]);
        return 1;
    }
    n = (len - 16) / npix;
    for (i = 0; i < n; i++) {
        size_t j;
        int k, ct = 0, ce;
        for (j = 0; j < npix; j++)
            x[j] = (float)idx[16 + i * npix + j] / 255.0f;
        m->forward(params, work, x, 1, probs_t, NULL);
        ce = PREDICT(x, probs_e);
        for (k = 0; k < m->n_classes; k++) {
            worst = fmax(worst, fabs((double)probs_t[k] - probs_e[k]));
            if (probs_t[k] > probs_t[ct])
                ct = k;
        }
        if (ct != ce)
            differ++;
    }
    printf("%s: %zu images: %zu different classes, largest probability difference %.2e; "
           "weights %s\n", m->name, n, differ, worst,
           folded ? "with batchnorm folded" : "identical");
    free(idx);
    free(params);
    free(work);
    free(x);
    return differ == 0 && worst <= 1e-5 ? 0 : 1;
}
