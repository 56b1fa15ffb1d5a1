/* eval.c - batched, threaded forward passes and the metrics over them.
 * Threads take chunks of images in any order but write per-image results
 * by index, and the sums are taken in image order, so the numbers are the
 * same for every thread count. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "train/eval.h"

/* Images per forward call: one group of the dense layers, few enough that
 * the chunk's activations are still in cache when the dense layers read them
 * (32 was about 7% slower for cnn_k3). */
#define EVAL_CHUNK CONVC_SAMPLE_GROUP
#define KERAS_EPSILON 1e-7

typedef struct {
    const convc_model *m;
    const float *params;
    const cv_images *im;
    size_t first, count;
    atomic_size_t next_chunk;
    float **x, **work, **probs;     /* per thread */
    double *loss;                   /* per image */
    int *predicted;                 /* per image */
} eval_job;

double eval_sample_loss(const float *probs, int label)
{
    double p = (double)probs[label];
    if (p < KERAS_EPSILON)
        p = KERAS_EPSILON;
    if (p > 1.0 - KERAS_EPSILON)
        p = 1.0 - KERAS_EPSILON;
    return -log(p);
}

int eval_argmax(const float *probs, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (probs[k] > probs[best])
            best = k;
    return best;
}

static void eval_task(void *arg, int thread, int n_threads)
{
    (void)n_threads;
    eval_job *j = arg;
    const convc_model *m = j->m;
    size_t n_chunks = (j->count + EVAL_CHUNK - 1) / EVAL_CHUNK;
    for (;;) {
        size_t c = atomic_fetch_add(&j->next_chunk, 1);
        if (c >= n_chunks)
            break;
        size_t begin = c * EVAL_CHUNK;
        size_t n = j->count - begin < EVAL_CHUNK ? j->count - begin : EVAL_CHUNK;
        uint8_t labels[EVAL_CHUNK];
        dataset_gather(j->im, NULL, j->first + begin, n, j->x[thread], labels);
        m->forward(j->params, j->work[thread], j->x[thread], (int)n, j->probs[thread], NULL);
        for (size_t i = 0; i < n; i++) {
            const float *p = j->probs[thread] + i * (size_t)m->n_classes;
            j->loss[begin + i] = eval_sample_loss(p, labels[i]);
            j->predicted[begin + i] = eval_argmax(p, m->n_classes);
        }
    }
}

int eval_images(const convc_model *m, cv_pool *pool, const float *params,
                const cv_images *im, size_t first, size_t count, cv_eval *out, cv_error *e)
{
    memset(out, 0, sizeof *out);
    int T = pool_size(pool);
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    eval_job j = { .m = m, .params = params, .im = im, .first = first, .count = count };
    atomic_init(&j.next_chunk, 0);
    j.x = calloc((size_t)T, sizeof *j.x);
    j.work = calloc((size_t)T, sizeof *j.work);
    j.probs = calloc((size_t)T, sizeof *j.probs);
    j.loss = malloc((count ? count : 1) * sizeof *j.loss);
    j.predicted = malloc((count ? count : 1) * sizeof *j.predicted);
    out->confusion = calloc((size_t)m->n_classes * m->n_classes, sizeof *out->confusion);
    int ok = j.x && j.work && j.probs && j.loss && j.predicted && out->confusion;
    for (int t = 0; ok && t < T; t++) {
        j.x[t] = malloc(EVAL_CHUNK * in_size * sizeof(float));
        j.work[t] = malloc(convc_work_floats(m, EVAL_CHUNK) * sizeof(float));
        j.probs[t] = malloc(EVAL_CHUNK * (size_t)m->n_classes * sizeof(float));
        ok = j.x[t] && j.work[t] && j.probs[t];
    }
    int rc = 0;
    if (!ok) {
        rc = cv_fail(e, "evaluation: out of memory");
    } else {
        if (count > 0)
            pool_run(pool, eval_task, &j);
        double loss = 0;
        size_t correct = 0;
        for (size_t i = 0; i < count; i++) {
            int label = im->labels[first + i];
            loss += j.loss[i];
            correct += j.predicted[i] == label;
            if (label < m->n_classes)
                out->confusion[(size_t)label * m->n_classes + j.predicted[i]]++;
        }
        out->n = count;
        out->n_classes = m->n_classes;
        out->loss = count ? loss / (double)count : 0;
        out->accuracy = count ? (double)correct / (double)count : 0;
    }
    for (int t = 0; t < T; t++) {
        if (j.x)
            free(j.x[t]);
        if (j.work)
            free(j.work[t]);
        if (j.probs)
            free(j.probs[t]);
    }
    free(j.x);
    free(j.work);
    free(j.probs);
    free(j.loss);
    free(j.predicted);
    if (rc < 0)
        eval_free(out);
    return rc;
}

double eval_class_accuracy(const cv_eval *r, int k)
{
    uint64_t total = 0;
    for (int p = 0; p < r->n_classes; p++)
        total += r->confusion[(size_t)k * r->n_classes + p];
    return total ? (double)r->confusion[(size_t)k * r->n_classes + k] / (double)total : 0;
}

void eval_free(cv_eval *r)
{
    free(r->confusion);
    r->confusion = NULL;
}
