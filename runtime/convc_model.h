/* convc_model.h - the contract between a generated model (generated/<m>/model.c)
 * and the runtime.  A generated model defines one `const convc_model <name>_model`
 * and nothing else that the runtime needs; the runtime never knows a model's
 * shapes at compile time.  docs/generated-code.md explains the layout in depth. */
#ifndef CONVC_MODEL_H
#define CONVC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define CONVC_MODEL_ABI 3

/* Batched layers (dense) pass over their kernel once per group of this many
 * samples, then groups of half as many, then single samples: forward() and
 * backward() are fastest on a multiple of it. */
#define CONVC_SAMPLE_GROUP 8

enum convc_init { CONVC_INIT_ZEROS = 0, CONVC_INIT_GLOROT_UNIFORM = 1, CONVC_INIT_ONES = 2 };

/* One parameter tensor.  Shapes follow Keras so checkpoints read naturally:
 * conv kernel (KH, KW, Cin, Cout), dense kernel (in, out), bias (n). */
typedef struct {
    const char *name;       /* "conv1.kernel", "conv1.bias", "dense2.kernel" */
    int rank;
    int shape[4];
    size_t offset;          /* first float in the parameter (and gradient) block */
    size_t count;           /* floats */
    int init;               /* enum convc_init */
    int fan_in, fan_out;    /* Keras' fans, for Glorot uniform */
    int non_trainable;      /* 1: the optimizer leaves it alone (batchnorm's
                               moving statistics, updated by update_moving) */
} convc_tensor;

/* One layer, for summaries and for pictures of feature maps. */
typedef struct {
    const char *kind;       /* "conv", "pool", "flatten", "dense", "dropout" */
    const char *source;     /* the spec statement, e.g. "conv 32 k=3 same relu" */
    int h, w, c;            /* output shape (HWC) */
    size_t out_offset;      /* this layer's output, after its activation, is
                               work + i * work_per_sample + out_offset
                               for sample i of the last forward() call */
} convc_layer;

/* One block of a batch's samples in a training step (train_step below). */
typedef struct {
    const float *params;
    float *grads;           /* per-block steps: the block's gradient buffer;
                               batch steps: where the batch's sums are added */
    float *work;            /* convc_work_floats(model, n) floats */
    const float *x;         /* the block's n images */
    const uint8_t *labels;
    const uint64_t *dropout_seeds;  /* one per sample, as for forward() */
    float *probs;           /* n * n_classes floats */
    float *stats;           /* the batch's statistics, shared by all blocks:
                               convc_stats_floats(model, batch) floats */
    int n;                  /* per-block steps: samples in the block;
                               batch steps: samples in the batch */
    int first;              /* the block's first sample in the batch */
} convc_block;

typedef struct convc_model {
    int abi;                        /* CONVC_MODEL_ABI */
    const char *name;               /* C identifier */
    const char *spec_file;
    const char *convc_version;
    uint64_t spec_hash;             /* ir_hash() of the spec */
    int in_h, in_w, in_c;           /* input image, HWC, floats in [0,1] */
    int n_classes;
    size_t n_params;                /* floats in the parameter block = gradient block */
    size_t work_per_sample;         /* floats of scratch per sample: activations,
                                       their gradients, masks, whatever the
                                       model's code needs */
    size_t work_shared;             /* floats of scratch shared by all samples
                                       of one call (e.g. transformed kernels),
                                       after the n per-sample slots */
    int64_t flops_forward;          /* per image */
    int n_tensors;
    const convc_tensor *tensors;    /* in offset order, covering [0, n_params) */
    int n_layers;
    const convc_layer *layers;

    /* Forward pass of n samples (any n >= 1).
     *   x:     n images, each in_h*in_w*in_c floats (HWC), contiguous
     *   work:  convc_work_floats(model, n) floats (overwritten)
     *   probs: n * n_classes floats: the softmax of the last layer's
     *          scores (its output before the softmax, or its linear output:
     *          logits), the probabilities the loss is computed from
     *   dropout_seeds: NULL for inference (dropout is the identity); for
     *          training, one seed per sample: the dropout masks of sample i
     *          are a pure function of dropout_seeds[i], so results do not
     *          depend on how a batch is split across threads. */
    void (*forward)(const float *params, float *work, const float *x, int n,
                    float *probs, const uint64_t *dropout_seeds);

    /* Backward pass after forward() with the same params, work, x and n.
     * Adds (+=) to grads the gradient of the summed (not averaged)
     * categorical cross-entropy of the n samples against labels, and returns
     * that summed loss, computed stably from the logits. */
    double (*backward)(const float *params, float *grads, float *work,
                       const float *x, const uint8_t *labels, int n);

    /* Training of a model with batch statistics (batchnorm); n_train_steps
     * is 0 for any other, which trains with forward() and backward() (there
     * forward() and backward() are inference mode: moving statistics).
     * One batch runs steps 0 .. n_train_steps-1 in order, each finished
     * before the next starts.  A per-block step (train_step_batch[k] == 0)
     * runs on every block of the batch (any split into blocks, each with
     * its own work, probs and grads; blocks may run in parallel); it
     * returns the block's summed loss (nonzero in one step only).  A batch
     * step runs once with n = the batch size, grads = the buffer the
     * batch's gradients are summed into.  Probs are complete after the
     * last forward step, grads after the last step.  update_moving, after
     * the batch, updates the moving statistics in params. */
    size_t stats_shared, stats_per_sample;
    int n_train_steps;
    const unsigned char *train_step_batch;
    double (*train_step)(int step, const convc_block *b);
    void (*update_moving)(float *params, const float *stats, int batch_n);
} convc_model;

/* Floats of the work buffer of a forward()/backward() call on n samples. */
static inline size_t convc_work_floats(const convc_model *m, size_t n)
{
    size_t f = n * m->work_per_sample + m->work_shared;
    return f ? f : 1;
}

/* Floats of the batch statistics of a batch of n samples. */
static inline size_t convc_stats_floats(const convc_model *m, size_t n)
{
    size_t f = m->stats_shared + n * m->stats_per_sample;
    return f ? f : 1;
}

#endif
