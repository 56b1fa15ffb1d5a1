/* eval.h - evaluation of a model on a range of images: loss, accuracy,
 * per-class accuracy and the confusion matrix. */
#ifndef CONVC_EVAL_H
#define CONVC_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include "convc_model.h"
#include "data/dataset.h"
#include "base/error.h"
#include "base/threads.h"

typedef struct {
    size_t n;                   /* images evaluated */
    int n_classes;
    double loss;                /* mean categorical cross-entropy (Keras' clipping) */
    double accuracy;
    uint64_t *confusion;        /* [true * n_classes + predicted] */
} cv_eval;

/* Forward passes (no dropout) of images [first, first + count) of im,
 * spread over the pool.  The result does not depend on the thread count. */
int eval_images(const convc_model *m, cv_pool *pool, const float *params,
                const cv_images *im, size_t first, size_t count, cv_eval *out, cv_error *e);
/* Correct / total for true class k (0 if the class has no images). */
double eval_class_accuracy(const cv_eval *r, int k);
/* Cross-entropy of one sample's probabilities, clipped as Keras does. */
double eval_sample_loss(const float *probs, int label);
/* Index of the largest probability (the first on ties). */
int eval_argmax(const float *probs, int n);
void eval_free(cv_eval *r);

#endif
