/* reference_main.c - one training batch of a generated model with batch
 * statistics, written out for a comparison with PyTorch
 * (tests/batchnorm/torch_reference.py).  Linked with the model's model.c:
 *   cc -DMODEL=bn_reference_model -Itests/gradcheck reference_main.c model.c -lm
 * Usage: reference DIR N.  Writes into DIR, float32 little-endian unless
 * said otherwise: tensors.txt (name offset count, one a line), params.bin,
 * x.bin (N images, HWC), labels.bin (bytes), loss.txt, probs_train.bin,
 * grads.bin (of the summed loss), params_after.bin (after the moving
 * statistics' update), probs_eval.bin (inference with those). */
#include "gradcheck_impl.h"

#ifndef MODEL
#error "compile with -DMODEL=<name>_model"
#endif

extern const convc_model MODEL;

static int write_file(const char *dir, const char *name, const void *data, size_t bytes)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, bytes, f) != bytes || fclose(f) != 0) {
        fprintf(stderr, "reference: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const convc_model *m = &MODEL;
    gc_state g;
    char text[256];
    FILE *f;
    int t, n = argc == 3 ? atoi(argv[2]) : 0;
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    double loss;
    if (n < 1 || m->n_train_steps == 0 || gc_init(&g, m, n, 2024) != 0) {
        fprintf(stderr, "usage: reference DIR N (a model with batchnorm)\n");
        return 2;
    }
    g.train = 1;
    snprintf(text, sizeof text, "%s/tensors.txt", argv[1]);
    f = fopen(text, "w");
    if (!f)
        return 1;
    for (t = 0; t < m->n_tensors; t++)
        fprintf(f, "%s %zu %zu\n", m->tensors[t].name, m->tensors[t].offset, m->tensors[t].count);
    fclose(f);
    if (write_file(argv[1], "params.bin", g.params, m->n_params * sizeof(float)) ||
        write_file(argv[1], "x.bin", g.x, (size_t)n * in_size * sizeof(float)) ||
        write_file(argv[1], "labels.bin", g.labels, (size_t)n))
        return 1;
    memset(g.grads, 0, m->n_params * sizeof(float));
    loss = gc_train_pass(&g, g.grads);
    snprintf(text, sizeof text, "%.17g\n", loss);
    if (write_file(argv[1], "loss.txt", text, strlen(text)) ||
        write_file(argv[1], "probs_train.bin", g.probs, (size_t)n * m->n_classes * sizeof(float)) ||
        write_file(argv[1], "grads.bin", g.grads, m->n_params * sizeof(float)))
        return 1;
    m->update_moving(g.params, g.stats, n);
    m->forward(g.params, g.work, g.x, n, g.probs, NULL);
    if (write_file(argv[1], "params_after.bin", g.params, m->n_params * sizeof(float)) ||
        write_file(argv[1], "probs_eval.bin", g.probs, (size_t)n * m->n_classes * sizeof(float)))
        return 1;
    gc_free(&g);
    return 0;
}
