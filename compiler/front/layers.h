/* layers.h - one descriptor per layer kind: the syntax of its statement
 * (options, defaults, ranges), the input it needs, its shape rule, and its
 * parameter, FLOP and work-buffer counts.  The semantic pass (sema.c) is
 * generic over this table: a new layer kind is an X line in ir.h, an entry
 * here and an emitter (docs/adding-a-layer.md). */
#ifndef CONVC_LAYERS_H
#define CONVC_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ir.h"

/* The options written key=value (k=3, stride=2x1); both take a window. */
#define LAYER_KEY_KERNEL "k"
#define LAYER_KEY_STRIDE "stride"
/* dwconv's depth multiplier, written mult=M. */
#define LAYER_KEY_MULT "mult"
/* The word that makes a pooling window the whole input. */
#define LAYER_WORD_GLOBAL "global"

/* A real option written key=value (momentum=0.99): stored at `field` (a
 * double of ir_layer), `def` when absent, and it must lie in (min, max). */
typedef struct {
    const char *key;            /* "momentum" */
    const char *word;           /* "momentum=": for hints and listings */
    size_t field;               /* offsetof(ir_layer, ...) */
    double def;
    double min, max;            /* open bounds; max may be HUGE_VAL */
    const char *range;          /* the range as messages print it: "(0, 1)" */
} layer_real_option;

#define LAYER_MAX_REALS 2
/* The graph: 'as NAME' names a layer, 'from NAME' makes it read that one
 * instead of the line before. */
#define LAYER_WORD_AS   "as"
#define LAYER_WORD_FROM "from"

/* What the statement's bare number is. */
typedef enum {
    LAYER_NUMBER_NONE,      /* none is accepted */
    LAYER_NUMBER_COUNT,     /* a whole number in [1, IR_MAX_DIM], stored at count_field */
    LAYER_NUMBER_WINDOW,    /* N or HxW, each in [1, IR_MAX_KERNEL]: the window kh x kw */
    LAYER_NUMBER_RATE       /* a number in [0, 1): rate */
} layer_number;

/* The input a layer needs. */
typedef enum { LAYER_INPUT_ANY, LAYER_INPUT_IMAGE, LAYER_INPUT_VECTOR } layer_input;

/* A layer that reads a second, named layer (add NAME, concat NAME). */
typedef enum {
    LAYER_MERGE_NONE,
    LAYER_MERGE_SUM,        /* the two outputs have one shape */
    LAYER_MERGE_CHANNELS    /* the same height and width: joined along channels */
} layer_merge;

/* Which activations the statement accepts. */
typedef enum {
    LAYER_ACT_NONE,         /* none: the layer is linear */
    LAYER_ACT_HIDDEN,       /* any but softmax, which only the output layer may have */
    LAYER_ACT_ANY
} layer_act;

typedef struct {
    const char *usage;          /* "dense N [ACTIVATION]", for notes */
    /* The bare number. */
    layer_number number;
    const char *number_what;    /* "number of units": names it in messages */
    const char *number_missing; /* the error when it is missing; NULL: optional */
    bool missing_shows_usage;   /* that error is followed by a usage note */
    size_t count_field;         /* LAYER_NUMBER_COUNT: offsetof(ir_layer, ...) */
    int default_window;         /* LAYER_NUMBER_WINDOW when optional: N x N */
    /* Options. */
    bool kernel;                /* k=K | k=KHxKW, required: the window */
    bool stride;                /* stride=S | stride=SHxSW */
    bool stride_is_window;      /* its default: the window (pooling), else 1 */
    bool padding;               /* same | valid, default valid */
    bool pool_kind;             /* max | avg, default max */
    bool multiplier;            /* mult=M in [1, IR_MAX_DIM], default 1 */
    bool global;                /* 'global': the window is the whole input
                                   (no window, stride or padding then) */
    layer_act activation;       /* default linear */
    const layer_real_option *reals; /* n_reals keyed real options */
    int n_reals;
    layer_merge merge;          /* a bare word names the second input */
    /* Shape. */
    layer_input input;
    const char *window_what;    /* "kernel": a window that must fit its input */
    bool makes_vector;          /* the output is a vector (flatten, dense) */
    /* Sets L->out (and the padding amounts) from L->in (and L->in2, which
     * the semantic pass has checked against `merge`) and the options;
     * false when the window does not fit with 'valid' padding. */
    bool (*shape)(ir_layer *L);
    /* Weights and biases; forward FLOPs per image without the activation
     * (the semantic pass adds it); NULL: none.  non_trainable: those of
     * params the optimizer does not update (NULL: none). */
    int64_t (*params)(const ir_layer *L);
    int64_t (*non_trainable)(const ir_layer *L);
    int64_t (*flops)(const ir_layer *L);
    /* Floats of work per sample besides the output and its gradient (for
     * the IR_MAX_WORK bound), e.g. a padded input and its gradient; NULL: none. */
    int64_t (*work)(const ir_layer *L);
    /* The resolved options after the keyword, every default spelled out:
     * "32 k=3x3 stride=1x1 same pad=1,1,1,1 relu" (the canonical text that
     * the spec hash covers), and the same for `convc summary`'s table. */
    void (*canonical)(const ir_layer *L, char *buf, size_t size);
    void (*summary)(const ir_layer *L, char *buf, size_t size);
} layer_desc;

/* Indexed by ir_kind. */
extern const layer_desc *const layer_descs[IR_N_KINDS];

/* Output size and padding of one window dimension (conv or pool), like
 * TensorFlow.  Returns false if a 'valid' window does not fit. */
bool layer_window(int in, int k, int stride, ir_padding padding,
                  int *out, int *pad_before, int *pad_after);

/* Forward FLOPs of an activation over n values. */
int64_t layer_activation_flops(ir_activation a, int64_t n);

#endif
