/* ir.h - the checked, shape-resolved model: what the semantic pass produces and
 * every code generator consumes.  Nothing in here refers to source syntax except
 * the locations kept for messages and for the comments in generated code. */
#ifndef CONVC_IR_H
#define CONVC_IR_H

#include <stdint.h>

/* Documented limits (docs/spec-language.md).  The semantic pass rejects a spec
 * that exceeds one of them, so generators may compute sizes in int64 freely. */
#define IR_MAX_DIM        4096        /* any spatial size, channel or unit count */
#define IR_MAX_KERNEL     64          /* kernel / pool window side */
#define IR_MAX_LAYERS     256
#define IR_MAX_PARAMS     (1LL << 28) /* 268M floats = 1 GiB of weights */
#define IR_MAX_ACTIVATION (1LL << 26) /* floats in one layer's output */
#define IR_MAX_NAME       63          /* model name length (a C identifier) */
#define IR_MAX_CLASSES    256         /* units of the last layer: labels are bytes */
#define IR_MAX_WORK       ((1LL << 31) - 1) /* floats of work buffers per sample,
                                         bounded from the shapes (front/sema.c) */
#define IR_LEAKY_SLOPE    0.3         /* leaky_relu's slope below 0 (Keras' default) */
#define IR_MAX_INPUTS     2           /* layers one layer reads (add, concat) */

/* Each enum is one list: X(ENUMERATOR, spelling).  The spelling is the word of
 * the spec language, and the one name table (ir.c) that errors, hints, the IR
 * text, the generators and the docs tests all use.  A layer kind's spelling
 * also names its descriptor (front/layers.c) and its emitter
 * (codegen/layers/<spelling>.c). */
#define IR_LAYER_KINDS(X) \
    X(IR_CONV, conv) X(IR_POOL, pool) X(IR_FLATTEN, flatten) X(IR_DENSE, dense) \
    X(IR_DROPOUT, dropout) X(IR_BATCHNORM, batchnorm) X(IR_DWCONV, dwconv) X(IR_ADD, add) \
    X(IR_CONCAT, concat)
#define IR_ACTIVATIONS(X) \
    X(IR_LINEAR, linear) X(IR_RELU, relu) X(IR_TANH, tanh) X(IR_SIGMOID, sigmoid) \
    X(IR_SOFTMAX, softmax) X(IR_RELU6, relu6) X(IR_LEAKY_RELU, leaky_relu)
#define IR_POOL_KINDS(X) X(IR_POOL_MAX, max) X(IR_POOL_AVG, avg)
#define IR_PADDINGS(X)   X(IR_VALID, valid) X(IR_SAME, same)

#define IR_ENUMERATOR(id, word) id,
#define IR_PLUS_ONE(id, word) + 1
typedef enum { IR_LAYER_KINDS(IR_ENUMERATOR) } ir_kind;
typedef enum { IR_ACTIVATIONS(IR_ENUMERATOR) } ir_activation;
typedef enum { IR_POOL_KINDS(IR_ENUMERATOR) } ir_pool_kind;
typedef enum { IR_PADDINGS(IR_ENUMERATOR) } ir_padding;
/* Counts outside the enums, so that a switch over one needs no default. */
enum {
    IR_N_KINDS = 0 IR_LAYER_KINDS(IR_PLUS_ONE),
    IR_N_ACTIVATIONS = 0 IR_ACTIVATIONS(IR_PLUS_ONE),
    IR_N_POOL_KINDS = 0 IR_POOL_KINDS(IR_PLUS_ONE),
    IR_N_PADDINGS = 0 IR_PADDINGS(IR_PLUS_ONE)
};

typedef struct { int h, w, c; } ir_shape;   /* HWC; a vector is 1 x 1 x n */

typedef struct {
    ir_kind kind;
    int line;               /* 1-based line of the statement in the spec */
    char *source;           /* the statement's text as written, trimmed */
    char *canonical;        /* the statement with every default spelled out, as
                               ir_canonical() prints it: "conv 32 k=3x3 stride=1x1
                               same pad=1,1,1,1 relu"; NULL: the kind's name */
    /* The graph: the layers this one reads, by index, each earlier than
     * this one (-1: the model input, only ever read by layer 0).  inputs[0]
     * is the layer before unless 'from' names another; add and concat read
     * a second one, the layer they name.  `in` is inputs[0]'s output shape,
     * in2 inputs[1]'s. */
    int n_inputs;
    int inputs[IR_MAX_INPUTS];
    ir_shape in, in2, out;
    char *name;             /* the name given by 'as NAME', or NULL */
    /* conv, dwconv and pool: window, stride and padding.  Padding amounts are
     * resolved like TensorFlow: for 'same', total = max((out-1)*s + k - in, 0),
     * top/left = total/2, the extra row/column goes bottom/right. */
    int kh, kw, sh, sw;
    ir_padding padding;
    int pad_top, pad_left, pad_bottom, pad_right;
    int filters;            /* conv: output channels */
    int multiplier;         /* dwconv: output channels per input channel
                               (output channel c*M+m reads input channel c) */
    ir_pool_kind pool;      /* pool */
    int global;             /* pool: the window is the whole input */
    int units;              /* dense */
    double rate;            /* dropout: probability of dropping, in [0,1) */
    double momentum, eps;   /* batchnorm: moving-average momentum in (0,1) and
                               the epsilon added to the variance, > 0 */
    ir_activation act;      /* conv, dwconv, dense, batchnorm; IR_LINEAR elsewhere */
    int64_t params;         /* weights + biases of this layer, trainable or not */
    int64_t non_trainable;  /* of which not trained (batchnorm's moving statistics) */
    int64_t flops;          /* forward FLOPs per image (a multiply-add counts 2) */
    int index;              /* position among layers, 0-based */
    int ordinal;            /* 1-based count among layers of the same kind:
                               conv1, conv2, dense1 ... (tensor names) */
} ir_layer;

typedef struct {
    char *name;             /* a valid C identifier */
    char *spec_path;        /* as given on the command line ("-" for stdin) */
    ir_shape input;
    int n_layers;
    ir_layer *layers;
    int n_classes;          /* units of the last layer */
    int64_t params, flops;
    int64_t non_trainable;  /* of params: updated by training but not by the optimizer */
    int64_t activations;    /* floats of all layer outputs for one image */
    uint64_t spec_hash;     /* ir_hash(): identifies the architecture */
} ir_model;

/* The canonical text of the architecture: one resolved statement per line,
 * every default spelled out, and the layers it reads ("<- 3,0", 0-based
 * indices, "input" for the model input) when they are not just the line
 * before, so a chain's text has no wiring at all.  Comments, spacing, layer
 * names and the model name do not change it; any change that alters the
 * computation does. Caller frees. */
char *ir_canonical(const ir_model *m);
/* FNV-1a 64 of ir_canonical(m). */
uint64_t ir_hash(const ir_model *m);
/* The spelling of an enumerator ("?" when out of range), and the enumerator a
 * spelling names (-1 when none). */
const char *ir_kind_name(ir_kind k);
const char *ir_activation_name(ir_activation a);
const char *ir_pool_kind_name(ir_pool_kind p);
const char *ir_padding_name(ir_padding p);
/* Does layer i read anything but the layer just before it? */
int ir_reads_elsewhere(const ir_model *m, int i);
int ir_kind_of(const char *word);
int ir_activation_of(const char *word);
int ir_pool_kind_of(const char *word);
int ir_padding_of(const char *word);
/* The name tables themselves, for suggestions and listings. */
extern const char *const ir_kind_names[IR_N_KINDS];
extern const char *const ir_activation_names[IR_N_ACTIVATIONS];
extern const char *const ir_pool_kind_names[IR_N_POOL_KINDS];
extern const char *const ir_padding_names[IR_N_PADDINGS];
void ir_free(ir_model *m);

#endif
