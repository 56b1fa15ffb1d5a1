/* trainer_probs.c - the trainer's forward pass on the first N images of an
 * IDX file, as the reference for the ONNX export (tests/t_onnx.sh): writes
 * N x n_classes float32 probabilities (native byte order) to OUT.  Built
 * with -DNAME=<model> and linked with the model's generated model.c and the
 * runtime library.
 *   usage: trainer_probs CKPT IMAGES.idx[.gz] N OUT */
#include <stdio.h>
#include <stdlib.h>

#include "data/idx.h"
#include "train/checkpoint.h"
#include "model.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define MODEL CAT(NAME, _model)

enum { BATCH = 100 };

int main(int argc, char **argv)
{
    const convc_model *m = &MODEL;
    size_t npix = (size_t)m->in_h * m->in_w * m->in_c, n, i, j;
    idx_array images;
    cv_error err;
    float *params, *work, *x, *probs;
    FILE *out;
    if (argc != 5 || (n = strtoul(argv[3], NULL, 10)) == 0) {
        fprintf(stderr, "usage: trainer_probs CKPT IMAGES N OUT\n");
        return 2;
    }
    params = malloc(m->n_params * sizeof *params);
    work = malloc(convc_work_floats(m, BATCH) * sizeof *work);
    x = malloc(BATCH * npix * sizeof *x);
    probs = malloc((size_t)BATCH * (size_t)m->n_classes * sizeof *probs);
    if (!params || !work || !x || !probs)
        return 1;
    if (ckpt_load(argv[1], m, NULL, params, NULL, 0, &err) != 0 ||
        idx_load(argv[2], &images, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    if (images.count < n || images.item_size != npix) {
        fprintf(stderr, "%s: fewer than %zu images of %zu pixels\n", argv[2], n, npix);
        return 1;
    }
    out = fopen(argv[4], "wb");
    if (!out)
        return 1;
    for (i = 0; i < n; i += BATCH) {
        size_t b = n - i < BATCH ? n - i : BATCH;
        for (j = 0; j < b * npix; j++)
            x[j] = (float)images.data[i * npix + j] / 255.0f;
        m->forward(params, work, x, (int)b, probs, NULL);
        fwrite(probs, sizeof *probs, b * (size_t)m->n_classes, out);
    }
    if (fclose(out) != 0)
        return 1;
    idx_free(&images);
    free(params);
    free(work);
    free(x);
    free(probs);
    return 0;
}
