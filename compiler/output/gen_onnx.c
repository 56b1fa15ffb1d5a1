/* gen_onnx.c - the ONNX graph of a model: one mapping function per layer
 * kind, in a table built from IR_LAYER_KINDS, so that a new kind does not
 * compile until it says how ONNX expresses it.
 *
 * The graph's input is NHWC (N, H, W, C), convc's own layout.  ONNX's Conv
 * and pooling operators want NCHW, so a Transpose goes in front of the first
 * one; Flatten must see convc's HWC order, so a Transpose back to NHWC goes
 * in front of it.  'same' padding, which TensorFlow may split unevenly, is
 * given as explicit pads (top, left, bottom, right). */
#include "output/gen_onnx.h"

#include <stdlib.h>
#include <string.h>

#include "codegen/gen_layout.h"
#include "output/checkpoint_weights.h"
#include "output/gen_model.h"
#include "output/onnx_graph.h"

#ifndef CONVC_VERSION
#define CONVC_VERSION "unknown"
#endif

/* How a value's dimensions are ordered. */
typedef enum { LAYOUT_NHWC, LAYOUT_NCHW, LAYOUT_FLAT } value_layout;

typedef struct {
    const char *name;
    value_layout layout;
} onnx_value;

typedef struct {
    onnx_graph g;
    const ir_model *m;
    const gen_layout *L;
    const float *params;
    onnx_value *outputs;        /* each layer's output, once mapped */
    const char *value;          /* the name of the current value: the layer's
                                   input, then what its nodes made of it */
    value_layout layout;
} onnx_builder;

/* Appends op (with `extra` inputs after the current value) producing a
 * value named `out`, which becomes the current value. */
static Onnx__NodeProto *step(onnx_builder *b, const char *op, const char *out,
                             const char *const *extra, int n_extra)
{
    enum { MAX_INPUTS = 8 };    /* BatchNormalization has the most: 5 */
    const char *in[MAX_INPUTS] = { b->value };
    Onnx__NodeProto *n;
    if (n_extra > MAX_INPUTS - 1)
        n_extra = MAX_INPUTS - 1;
    for (int i = 0; i < n_extra; i++)
        in[1 + i] = extra[i];
    n = onnx_node(&b->g, op, out, in, 1 + n_extra, out);
    b->value = n ? n->output[0] : "";
    return n;
}

static void transpose(onnx_builder *b, const char *layer, value_layout to)
{
    static const int64_t to_nchw[4] = { 0, 3, 1, 2 }, to_nhwc[4] = { 0, 2, 3, 1 };
    char *out = onnx_name(&b->g, "%s.to_%s", layer, to == LAYOUT_NCHW ? "nchw" : "nhwc");
    onnx_attr_ints(&b->g, step(b, "Transpose", out, NULL, 0), "perm",
                   to == LAYOUT_NCHW ? to_nchw : to_nhwc, 4);
    b->layout = to;
}

/* The current value as NCHW, for Conv and the pooling operators. */
static void need_nchw(onnx_builder *b, const char *layer)
{
    if (b->layout == LAYOUT_NHWC)
        transpose(b, layer, LAYOUT_NCHW);
}

/* The current value as (N, H*W*C) in convc's HWC order, named `out`. */
static void flatten_value(onnx_builder *b, const char *layer, const char *out)
{
    if (b->layout == LAYOUT_FLAT)
        return;
    if (b->layout == LAYOUT_NCHW)
        transpose(b, layer, LAYOUT_NHWC);
    onnx_attr_int(&b->g, step(b, "Flatten", out, NULL, 0), "axis", 1);
    b->layout = LAYOUT_FLAT;
}

/* The activation after conv or dense, as its own node (none for linear). */
static void activation(onnx_builder *b, const ir_layer *l, const char *layer)
{
    const char *op = NULL;
    switch (l->act) {
    case IR_LINEAR: return;
    case IR_RELU: op = "Relu"; break;
    case IR_TANH: op = "Tanh"; break;
    case IR_SIGMOID: op = "Sigmoid"; break;
    case IR_SOFTMAX: op = "Softmax"; break;
    case IR_RELU6: op = "Clip"; break;
    case IR_LEAKY_RELU: op = "LeakyRelu"; break;
    }
    const char *out = onnx_name(&b->g, "%s.%s", layer, ir_activation_name(l->act));
    if (l->act == IR_RELU6) {
        /* Clip's bounds are inputs since opset 11: scalar initializers */
        const char *bounds[2] = { onnx_name(&b->g, "%s.min", out), onnx_name(&b->g, "%s.max", out) };
        float *lo = onnx_initializer(&b->g, bounds[0], NULL, 0);
        float *hi = onnx_initializer(&b->g, bounds[1], NULL, 0);
        if (lo && hi) {
            *lo = 0.0f;
            *hi = 6.0f;
        }
        step(b, op, out, bounds, 2);
        return;
    }
    Onnx__NodeProto *n = step(b, op, out, NULL, 0);
    if (l->act == IR_SOFTMAX)   /* over the channels, whatever the layout */
        onnx_attr_int(&b->g, n, "axis", b->layout == LAYOUT_NHWC ? 3 : 1);
    if (l->act == IR_LEAKY_RELU)
        onnx_attr_float(&b->g, n, "alpha", (float)IR_LEAKY_SLOPE);
}

/* The parameters of tensor t of the layout. */
static const float *tensor_data(const onnx_builder *b, int t)
{
    return b->params + b->L->tensors[t].offset;
}

/* The initializers of layer p's kernel, of ONNX shape kdims[rank] for the
 * caller to fill (*kernel), and bias, a copy of the checkpoint's; their
 * names (the checkpoint's tensor names) in names[2].  -1 when out of memory
 * (reported by the packing). */
static int parameters(onnx_builder *b, const gen_layer_plan *p, const int64_t *kdims, int rank,
                      float **kernel, const char *names[2])
{
    const gen_tensor *bt = &b->L->tensors[p->bias];
    const int64_t bdims[1] = { bt->count };
    names[0] = onnx_name(&b->g, "%s", b->L->tensors[p->kernel].name);
    names[1] = onnx_name(&b->g, "%s", bt->name);
    *kernel = onnx_initializer(&b->g, names[0], kdims, rank);
    float *bias = onnx_initializer(&b->g, names[1], bdims, 1);
    if (!*kernel || !bias)
        return -1;
    memcpy(bias, tensor_data(b, p->bias), sizeof *bias * (size_t)bt->count);
    return 0;
}

/* A window's attributes (conv, pool): size, strides, explicit pads. */
static void window_attributes(onnx_builder *b, Onnx__NodeProto *n, const ir_layer *l)
{
    const int64_t kernel[2] = { l->kh, l->kw }, strides[2] = { l->sh, l->sw };
    const int64_t pads[4] = { l->pad_top, l->pad_left, l->pad_bottom, l->pad_right };
    onnx_attr_ints(&b->g, n, "kernel_shape", kernel, 2);
    onnx_attr_ints(&b->g, n, "strides", strides, 2);
    onnx_attr_ints(&b->g, n, "pads", pads, 4);
}

/* ---- one mapping per layer kind: NULL, or why ONNX cannot express the
 * layer (the caller names the layer) ---- */

static const char *onnx_conv(onnx_builder *b, int i)
{
    const ir_layer *l = &b->m->layers[i];
    const gen_layer_plan *p = &b->L->plan[i];
    const int64_t wdims[4] = { l->filters, l->in.c, l->kh, l->kw };
    const char *wb[2];
    const float *k = tensor_data(b, p->kernel);
    float *w;
    if (parameters(b, p, wdims, 4, &w, wb) != 0)
        return NULL;            /* reported by the packing */
    /* convc's kernel is (KH, KW, Cin, Cout); ONNX's (Cout, Cin, KH, KW). */
    for (int f = 0; f < l->filters; f++)
        for (int c = 0; c < l->in.c; c++)
            for (int y = 0; y < l->kh; y++)
                for (int x = 0; x < l->kw; x++)
                    *w++ = k[(((int64_t)y * l->kw + x) * l->in.c + c) * l->filters + f];
    need_nchw(b, p->name);
    window_attributes(b, step(b, "Conv", p->name, wb, 2), l);
    activation(b, l, p->name);
    return NULL;
}

/* Keras' DepthwiseConv2D: a Conv with one group per input channel; output
 * channel c*M+m (group c) reads input channel c, as in convc. */
static const char *onnx_dwconv(onnx_builder *b, int i)
{
    const ir_layer *l = &b->m->layers[i];
    const gen_layer_plan *p = &b->L->plan[i];
    const int c_in = l->in.c, mult = l->multiplier;
    const int64_t wdims[4] = { (int64_t)c_in * mult, 1, l->kh, l->kw };
    const char *wb[2];
    const float *k = tensor_data(b, p->kernel);
    float *w;
    if (parameters(b, p, wdims, 4, &w, wb) != 0)
        return NULL;
    /* convc's kernel is (KH, KW, Cin, M); ONNX's (Cin*M, 1, KH, KW). */
    for (int c = 0; c < c_in; c++)
        for (int m = 0; m < mult; m++)
            for (int y = 0; y < l->kh; y++)
                for (int x = 0; x < l->kw; x++)
                    *w++ = k[(((int64_t)y * l->kw + x) * c_in + c) * mult + m];
    need_nchw(b, p->name);
    Onnx__NodeProto *n = step(b, "Conv", p->name, wb, 2);
    window_attributes(b, n, l);
    onnx_attr_int(&b->g, n, "group", c_in);
    activation(b, l, p->name);
    return NULL;
}

static const char *onnx_pool(onnx_builder *b, int i)
{
    const ir_layer *l = &b->m->layers[i];
    const char *name = b->L->plan[i].name;
    need_nchw(b, name);
    if (l->global) {
        step(b, l->pool == IR_POOL_MAX ? "GlobalMaxPool" : "GlobalAveragePool", name, NULL, 0);
        return NULL;
    }
    Onnx__NodeProto *n = step(b, l->pool == IR_POOL_MAX ? "MaxPool" : "AveragePool", name,
                              NULL, 0);
    window_attributes(b, n, l);
    if (l->pool == IR_POOL_AVG)     /* convc averages the taps inside the input */
        onnx_attr_int(&b->g, n, "count_include_pad", 0);
    return NULL;
}

static const char *onnx_flatten(onnx_builder *b, int i)
{
    flatten_value(b, b->L->plan[i].name, b->L->plan[i].name);
    return NULL;
}

static const char *onnx_dense(onnx_builder *b, int i)
{
    const ir_layer *l = &b->m->layers[i];
    const gen_layer_plan *p = &b->L->plan[i];
    const int64_t in_n = (int64_t)l->in.h * l->in.w * l->in.c;
    const int64_t wdims[2] = { l->units, in_n };
    const char *wb[2];
    const float *k = tensor_data(b, p->kernel);
    float *w;
    if (parameters(b, p, wdims, 2, &w, wb) != 0)
        return NULL;
    /* convc's kernel is (inputs, units); B is stored transposed, (units,
     * inputs) with transB=1, the form every importer reads (OpenCV 4.6
     * takes a Gemm without transB for transB=1). */
    for (int u = 0; u < l->units; u++)
        for (int64_t j = 0; j < in_n; j++)
            *w++ = k[j * l->units + u];
    flatten_value(b, p->name, onnx_name(&b->g, "%s.flatten", p->name));
    onnx_attr_int(&b->g, step(b, "Gemm", p->name, wb, 2), "transB", 1);
    activation(b, l, p->name);
    return NULL;
}

/* Inference with the moving statistics: BatchNormalization over the
 * channels (axis 1 of NCHW, and of a vector), then the activation. */
static const char *onnx_batchnorm(onnx_builder *b, int i)
{
    const ir_layer *l = &b->m->layers[i];
    const gen_layer_plan *p = &b->L->plan[i];
    const int tensors[4] = { p->kernel, p->bias, p->moving_mean, p->moving_var };
    const char *inputs[4];
    for (int t = 0; t < 4; t++) {
        const gen_tensor *g = &b->L->tensors[tensors[t]];
        const int64_t dims[1] = { g->count };
        float *data = onnx_initializer(&b->g, g->name, dims, 1);
        inputs[t] = onnx_name(&b->g, "%s", g->name);
        if (!data)
            return NULL;
        memcpy(data, tensor_data(b, tensors[t]), sizeof *data * (size_t)g->count);
    }
    need_nchw(b, p->name);
    onnx_attr_float(&b->g, step(b, "BatchNormalization", p->name, inputs, 4), "epsilon",
                    (float)l->eps);
    activation(b, l, p->name);
    return NULL;
}

/* At inference dropout passes its input through. */
static const char *onnx_dropout(onnx_builder *b, int i)
{
    step(b, "Dropout", b->L->plan[i].name, NULL, 0);
    return NULL;
}

/* The k-th value layer i reads (ir_layer.inputs): a layer's output, or the
 * graph's input. */
static onnx_value layer_input(const onnx_builder *b, int i, int k)
{
    onnx_value input = { "input", LAYOUT_NHWC };
    int from = b->m->layers[i].inputs[k];
    return from >= 0 ? b->outputs[from] : input;
}

/* The second input of add and concat in the layout of the first (the
 * current value): transposed, or flattened when the first is a vector. */
static const char *second_input(onnx_builder *b, int i)
{
    const char *layer = b->L->plan[i].name;
    onnx_value first = { b->value, b->layout }, second = layer_input(b, i, 1);
    if (second.layout != first.layout) {
        /* made on the side: the current value stays the first input */
        b->value = second.name;
        b->layout = second.layout;
        if (first.layout == LAYOUT_FLAT)
            flatten_value(b, onnx_name(&b->g, "%s.in2", layer),
                          onnx_name(&b->g, "%s.in2.flatten", layer));
        else
            transpose(b, onnx_name(&b->g, "%s.in2", layer), first.layout);
        second.name = b->value;
        b->value = first.name;
        b->layout = first.layout;
    }
    return second.name;
}

/* The first input (the current value) of add or concat in the layout both
 * inputs will share: a vector when the second is one (a 1x1xC image and a
 * dense output are the same values), NCHW otherwise. */
static void common_layout(onnx_builder *b, int i)
{
    const char *name = b->L->plan[i].name;
    if (layer_input(b, i, 1).layout == LAYOUT_FLAT)
        flatten_value(b, name, onnx_name(&b->g, "%s.flatten", name));
    else
        need_nchw(b, name);
}

/* Elementwise sum of the two inputs, then the activation. */
static const char *onnx_add(onnx_builder *b, int i)
{
    const char *name = b->L->plan[i].name;
    common_layout(b, i);
    const char *other = second_input(b, i);
    step(b, "Add", name, &other, 1);
    activation(b, &b->m->layers[i], name);
    return NULL;
}

/* The two inputs joined along the channels: the first's, then the second's. */
static const char *onnx_concat(onnx_builder *b, int i)
{
    const char *name = b->L->plan[i].name;
    common_layout(b, i);
    const char *other = second_input(b, i);
    onnx_attr_int(&b->g, step(b, "Concat", name, &other, 1), "axis", 1);
    return NULL;
}

typedef const char *(*onnx_mapping)(onnx_builder *b, int i);
#define ONNX_MAPPING(id, word) [id] = onnx_##word,
static const onnx_mapping onnx_mappings[IR_N_KINDS] = { IR_LAYER_KINDS(ONNX_MAPPING) };

/* The graph's input or output of HWC shape s in `layout`. */
static void shape_dims(int64_t *dims, int *rank, ir_shape s, value_layout layout)
{
    dims[0] = ONNX_BATCH_DIM;
    if (layout == LAYOUT_FLAT) {
        dims[1] = (int64_t)s.h * s.w * s.c;
        *rank = 2;
    } else {
        dims[1] = s.h;
        dims[2] = s.w;
        dims[3] = s.c;
        *rank = 4;
    }
}

uint8_t *gen_onnx_model(const ir_model *m, const char *weights, size_t *len, FILE *diag)
{
    onnx_builder b = { .m = m };
    gen_layout L;
    float *params;
    int64_t dims[4];
    int rank;
    const char *refused = NULL;
    uint8_t *bytes = NULL;
    char *doc;
    if (gen_check_model(m, diag) || gen_layout_build(&L, m, 0))
        return NULL;
    params = checkpoint_weights(weights, &L, diag);
    if (!params) {
        gen_layout_free(&L);
        return NULL;
    }
    b.L = &L;
    b.params = params;
    b.outputs = calloc((size_t)m->n_layers, sizeof *b.outputs);
    if (!b.outputs) {
        fprintf(diag, "convc: out of memory\n");
        free(params);
        gen_layout_free(&L);
        return NULL;
    }
    onnx_graph_init(&b.g, m->name);
    shape_dims(dims, &rank, m->input, LAYOUT_NHWC);
    onnx_graph_input(&b.g, "input", dims, rank);
    for (int i = 0; i < m->n_layers && !refused; i++) {
        const ir_layer *l = &m->layers[i];
        onnx_value in = layer_input(&b, i, 0);
        b.value = in.name;
        b.layout = in.layout;
        refused = onnx_mappings[l->kind](&b, i);
        b.outputs[i] = (onnx_value){ b.value, b.layout };
        if (refused)
            fprintf(diag, "%s:%d: error: %s ('%s'): ONNX cannot express it: %s\n",
                    m->spec_path ? m->spec_path : "-", l->line, L.plan[i].name,
                    l->source ? l->source : ir_kind_name(l->kind), refused);
    }
    if (!refused) {
        const ir_layer *last = &m->layers[m->n_layers - 1];
        if (b.layout == LAYOUT_NCHW)    /* the output in convc's layout too */
            transpose(&b, "output", LAYOUT_NHWC);
        /* A linear head's probabilities are the softmax of its logits. */
        if (last->act == IR_LINEAR)
            onnx_attr_int(&b.g, step(&b, "Softmax", "softmax", NULL, 0), "axis",
                          b.layout == LAYOUT_FLAT ? 1 : 3);
        /* The last node's value is the graph's output. */
        if (b.g.graph.n_node > 0)
            b.value = b.g.graph.node[b.g.graph.n_node - 1]->output[0] =
                onnx_name(&b.g, "probs");
        shape_dims(dims, &rank, last->out, b.layout);
        onnx_graph_output(&b.g, b.value, dims, rank);
        doc = onnx_name(&b.g, "%s: spec hash %016llx, weights of %s",
                        m->spec_path ? m->spec_path : "-", (unsigned long long)m->spec_hash,
                        strrchr(weights, '/') ? strrchr(weights, '/') + 1 : weights);
        bytes = onnx_graph_pack(&b.g, CONVC_VERSION, doc, len);
        if (!bytes)
            fprintf(diag, "convc: out of memory\n");
    }
    onnx_graph_free(&b.g);
    free(b.outputs);
    free(params);
    gen_layout_free(&L);
    return bytes;
}
