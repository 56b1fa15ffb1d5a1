/* xcheck_dump.c - the convc side of the PyTorch cross-check (xcheck.py),
 * linked with one generated model.c:
 *     cc -DMODEL=cnn_k3_model -Iruntime -I<gen dir> xcheck_dump.c model.c -lm
 *
 *   xcheck_dump table            the model's descriptor as text on stdout:
 *                                its identity, input, tensors (name, shape,
 *                                offset, count) and layers (kind, output shape)
 *   xcheck_dump run BATCH OUT    forward and backward on the batch in BATCH,
 *                                results to OUT
 *
 * BATCH (little-endian): u32 n, then n_params f32 parameters, n images of
 * in_h*in_w*in_c f32 (HWC), n u8 labels.
 * OUT (little-endian): n*n_classes f32 probabilities; every layer's output
 * after its activation (for each layer in order, n samples of h*w*c f32);
 * the summed loss as f64; n_params f32 gradients.
 * Dropout runs in inference mode (no seeds): it is the identity.
 * Exit status: 0 done, 1 a bad or unreadable file, 2 usage. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convc_model.h"

#ifndef MODEL
#error "compile with -DMODEL=<name>_model"
#endif

extern const convc_model MODEL;

#define MAX_BATCH 4096

static void print_table(const convc_model *m)
{
    int t, l, d;
    printf("model %s\n", m->name);
    printf("spec_hash %016llx\n", (unsigned long long)m->spec_hash);
    printf("input %d %d %d\n", m->in_h, m->in_w, m->in_c);
    printf("classes %d\n", m->n_classes);
    printf("params %zu\n", m->n_params);
    for (t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        printf("tensor %s %zu %zu", ts->name, ts->offset, ts->count);
        for (d = 0; d < ts->rank; d++)
            printf(" %d", ts->shape[d]);
        putchar('\n');
    }
    for (l = 0; l < m->n_layers; l++)
        printf("layer %s %d %d %d\n", m->layers[l].kind, m->layers[l].h, m->layers[l].w,
               m->layers[l].c);
}

/* Reads exactly `size` bytes; 0 on success. */
static int read_exact(FILE *f, void *p, size_t size)
{
    return fread(p, 1, size, f) == size ? 0 : -1;
}

static int run(const convc_model *m, const char *in_path, const char *out_path)
{
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    float *params = NULL, *grads = NULL, *work = NULL, *x = NULL, *probs = NULL;
    uint8_t *labels = NULL;
    uint32_t n = 0;
    double loss;
    int status = 1, l, s;
    FILE *out = NULL, *in = fopen(in_path, "rb");
    if (!in) {
        fprintf(stderr, "xcheck_dump: %s: cannot open\n", in_path);
        return 1;
    }
    if (read_exact(in, &n, sizeof n) != 0 || n < 1 || n > MAX_BATCH) {
        fprintf(stderr, "xcheck_dump: %s: the batch size must be 1 to %d\n", in_path, MAX_BATCH);
        goto done;
    }
    params = malloc(m->n_params * sizeof *params);
    grads = calloc(m->n_params, sizeof *grads);
    work = malloc(convc_work_floats(m, n) * sizeof *work);
    x = malloc(n * in_size * sizeof *x);
    probs = malloc((size_t)n * m->n_classes * sizeof *probs);
    labels = malloc(n);
    if (!params || !grads || !work || !x || !probs || !labels) {
        fprintf(stderr, "xcheck_dump: out of memory\n");
        goto done;
    }
    if (read_exact(in, params, m->n_params * sizeof *params) != 0 ||
        read_exact(in, x, n * in_size * sizeof *x) != 0 || read_exact(in, labels, n) != 0 ||
        fgetc(in) != EOF) {
        fprintf(stderr, "xcheck_dump: %s: not %u samples for %s (wrong size)\n", in_path,
                (unsigned)n, m->name);
        goto done;
    }
    for (s = 0; s < (int)n; s++)
        if (labels[s] >= m->n_classes) {
            fprintf(stderr, "xcheck_dump: %s: label %d of sample %d is not below %d\n",
                    in_path, labels[s], s, m->n_classes);
            goto done;
        }
    m->forward(params, work, x, (int)n, probs, NULL);
    out = fopen(out_path, "wb");
    if (!out) {
        fprintf(stderr, "xcheck_dump: %s: cannot create\n", out_path);
        goto done;
    }
    fwrite(probs, sizeof *probs, (size_t)n * m->n_classes, out);
    /* Layer outputs before backward(), which may reuse their space. */
    for (l = 0; l < m->n_layers; l++) {
        const convc_layer *L = &m->layers[l];
        for (s = 0; s < (int)n; s++)
            fwrite(work + (size_t)s * m->work_per_sample + L->out_offset, sizeof(float),
                   (size_t)L->h * L->w * L->c, out);
    }
    loss = m->backward(params, grads, work, x, labels, (int)n);
    fwrite(&loss, sizeof loss, 1, out);
    fwrite(grads, sizeof *grads, m->n_params, out);
    if (fclose(out) != 0) {
        out = NULL;
        fprintf(stderr, "xcheck_dump: %s: cannot write\n", out_path);
        goto done;
    }
    out = NULL;
    status = 0;
done:
    if (out)
        fclose(out);
    fclose(in);
    free(params);
    free(grads);
    free(work);
    free(x);
    free(probs);
    free(labels);
    return status;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "table") == 0) {
        print_table(&MODEL);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "run") == 0)
        return run(&MODEL, argv[2], argv[3]);
    fprintf(stderr, "usage: xcheck_dump table | xcheck_dump run BATCH OUT\n");
    return 2;
}
