/* xcheck_dump.c - the convc side of the PyTorch cross-check (xcheck.py),
 * linked with one generated model.c:
 *     cc -DMODEL=cnn_k3_model -Iruntime -I<gen dir> xcheck_dump.c model.c -lm
 *
 *   xcheck_dump table            the model's descriptor as text on stdout:
 *                                its identity, input, tensors (name, offset,
 *                                count, initialisation, trainable or not,
 *                                shape), layers (kind, output shape) and the
 *                                number of training steps (0: none)
 *   xcheck_dump run BATCH OUT    forward() and backward() on the batch in
 *                                BATCH, results to OUT; dropout is the
 *                                identity (inference: no seeds)
 *   xcheck_dump dropout BATCH OUT  the same with dropout seeds 1..n: dropout
 *                                as in training (its masks can be read off
 *                                its outputs, which are 0 exactly where it
 *                                dropped)
 *   xcheck_dump train BATCH OUT  a model with training steps (batch
 *                                statistics): one training pass over the
 *                                batch in blocks of 4 samples, then the
 *                                update of the moving statistics
 *
 * BATCH (little-endian): u32 n, then n_params f32 parameters, n images of
 * in_h*in_w*in_c f32 (HWC), n u8 labels.
 * OUT (little-endian): n*n_classes f32 probabilities; every layer's output
 * after its activation (for each layer in order, n samples of h*w*c f32);
 * the summed loss as f64; n_params f32 gradients; after `train`, the
 * n_params f32 parameters with the moving statistics updated.
 * The training steps run without dropout seeds.
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
#define BLOCK 4         /* training blocks: the trainer's unit, and a remainder */

/* The model's training steps (models with batch statistics), 0 if none. */
#if CONVC_MODEL_ABI >= 3
#define TRAIN_STEPS(m) ((m)->n_train_steps)
#define NON_TRAINABLE(ts) ((ts)->non_trainable)
#else
#define TRAIN_STEPS(m) 0
#define NON_TRAINABLE(ts) 0
#endif

static const char *init_name(int init)
{
    switch (init) {
    case CONVC_INIT_ZEROS: return "zeros";
    case CONVC_INIT_GLOROT_UNIFORM: return "glorot";
#if CONVC_MODEL_ABI >= 3
    case CONVC_INIT_ONES: return "ones";
#endif
    default: return "?";
    }
}

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
        printf("tensor %s %zu %zu %s %d", ts->name, ts->offset, ts->count, init_name(ts->init),
               !NON_TRAINABLE(ts));
        for (d = 0; d < ts->rank; d++)
            printf(" %d", ts->shape[d]);
        putchar('\n');
    }
    for (l = 0; l < m->n_layers; l++)
        printf("layer %s %d %d %d\n", m->layers[l].kind, m->layers[l].h, m->layers[l].w,
               m->layers[l].c);
    printf("train_steps %d\n", TRAIN_STEPS(m));
}

/* Reads exactly `size` bytes; 0 on success. */
static int read_exact(FILE *f, void *p, size_t size)
{
    return fread(p, 1, size, f) == size ? 0 : -1;
}

/* Where sample s's layer outputs are: forward() keeps n samples in one work
 * buffer, the training pass one buffer of BLOCK samples per block. */
static float *sample_work(const convc_model *m, float *work, int s, int train)
{
    size_t per_block = convc_work_floats(m, BLOCK);
    if (train)
        return work + (size_t)(s / BLOCK) * per_block + (size_t)(s % BLOCK) * m->work_per_sample;
    return work + (size_t)s * m->work_per_sample;
}

#if CONVC_MODEL_ABI >= 3
/* One training pass of n samples through the model's steps, in blocks of
 * BLOCK samples as the trainer runs them; returns the summed loss. */
static double train_pass(const convc_model *m, const float *params, float *grads, float *work,
                         const float *x, const uint8_t *labels, float *probs, float *stats,
                         int n)
{
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    double loss = 0.0;
    int step, first;
    for (step = 0; step < m->n_train_steps; step++) {
        convc_block b;
        memset(&b, 0, sizeof b);
        b.params = params;
        b.grads = grads;
        b.stats = stats;
        if (m->train_step_batch[step]) {
            b.n = n;
            loss += m->train_step(step, &b);
            continue;
        }
        for (first = 0; first < n; first += BLOCK) {
            b.n = n - first < BLOCK ? n - first : BLOCK;
            b.first = first;
            b.work = sample_work(m, work, first, 1);
            b.x = x + (size_t)first * in_size;
            b.labels = labels + first;
            b.probs = probs + (size_t)first * m->n_classes;
            loss += m->train_step(step, &b);
        }
    }
    return loss;
}
#endif

static int run(const convc_model *m, const char *in_path, const char *out_path, int train,
               int dropout)
{
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c, work_floats;
    float *params = NULL, *grads = NULL, *work = NULL, *x = NULL, *probs = NULL;
    float *stats = NULL;
    uint64_t *seeds = NULL;
    uint8_t *labels = NULL;
    uint32_t n = 0;
    double loss = 0.0;
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
    work_floats = train ? (n + BLOCK - 1) / BLOCK * convc_work_floats(m, BLOCK)
                        : convc_work_floats(m, n);
    params = malloc(m->n_params * sizeof *params);
    grads = calloc(m->n_params, sizeof *grads);
    work = malloc(work_floats * sizeof *work);
    x = malloc(n * in_size * sizeof *x);
    probs = malloc((size_t)n * m->n_classes * sizeof *probs);
    labels = malloc(n);
    seeds = malloc(n * sizeof *seeds);
#if CONVC_MODEL_ABI >= 3
    stats = malloc(convc_stats_floats(m, n) * sizeof *stats);
#else
    stats = malloc(sizeof *stats);
#endif
    if (!params || !grads || !work || !x || !probs || !labels || !seeds || !stats) {
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
    for (s = 0; s < (int)n; s++)
        seeds[s] = (uint64_t)s + 1;
    out = fopen(out_path, "wb");
    if (!out) {
        fprintf(stderr, "xcheck_dump: %s: cannot create\n", out_path);
        goto done;
    }
#if CONVC_MODEL_ABI >= 3
    if (train)
        loss = train_pass(m, params, grads, work, x, labels, probs, stats, (int)n);
    else
#endif
        m->forward(params, work, x, (int)n, probs, dropout ? seeds : NULL);
    fwrite(probs, sizeof *probs, (size_t)n * m->n_classes, out);
    /* Layer outputs before backward(), which may reuse their space; the
     * training steps leave them in place. */
    for (l = 0; l < m->n_layers; l++) {
        const convc_layer *L = &m->layers[l];
        for (s = 0; s < (int)n; s++)
            fwrite(sample_work(m, work, s, train) + L->out_offset, sizeof(float),
                   (size_t)L->h * L->w * L->c, out);
    }
    if (!train)
        loss = m->backward(params, grads, work, x, labels, (int)n);
    fwrite(&loss, sizeof loss, 1, out);
    fwrite(grads, sizeof *grads, m->n_params, out);
#if CONVC_MODEL_ABI >= 3
    if (train) {
        m->update_moving(params, stats, (int)n);
        fwrite(params, sizeof *params, m->n_params, out);
    }
#endif
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
    free(seeds);
    free(stats);
    return status;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "table") == 0) {
        print_table(&MODEL);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "run") == 0)
        return run(&MODEL, argv[2], argv[3], 0, 0);
    if (argc == 4 && strcmp(argv[1], "dropout") == 0)
        return run(&MODEL, argv[2], argv[3], 0, 1);
    if (argc == 4 && strcmp(argv[1], "train") == 0 && TRAIN_STEPS(&MODEL) > 0)
        return run(&MODEL, argv[2], argv[3], 1, 0);
    fprintf(stderr, "usage: xcheck_dump table | xcheck_dump run|dropout BATCH OUT%s\n",
            TRAIN_STEPS(&MODEL) > 0 ? " | xcheck_dump train BATCH OUT" : "");
    return 2;
}
