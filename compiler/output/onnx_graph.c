/* onnx_graph.c - building ONNX messages with protobuf-c: an owner list for
 * every allocation, growable node and initializer arrays, and the packing. */
#include "output/onnx_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Zeroed memory the graph owns, or NULL (remembered) when out of memory. */
static void *owned(onnx_graph *g, size_t size)
{
    void *p;
    if (g->oom)
        return NULL;
    if (g->n_owned == g->owned_cap) {
        size_t cap = g->owned_cap ? 2 * g->owned_cap : 64;
        void **grown = realloc(g->owned, cap * sizeof *grown);
        if (!grown) {
            g->oom = 1;
            return NULL;
        }
        g->owned = grown;
        g->owned_cap = cap;
    }
    p = calloc(1, size ? size : 1);
    if (!p) {
        g->oom = 1;
        return NULL;
    }
    g->owned[g->n_owned++] = p;
    return p;
}

/* Appends `item` to a growable array of pointers (*items, *n, *cap). */
static void append(onnx_graph *g, void ***items, size_t *n, size_t *cap, void *item)
{
    if (!item || g->oom)
        return;
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        void **grown = realloc(*items, c * sizeof *grown);
        if (!grown) {
            g->oom = 1;
            return;
        }
        *items = grown;
        *cap = c;
    }
    (*items)[(*n)++] = item;
}

void onnx_graph_init(onnx_graph *g, const char *name)
{
    static const Onnx__GraphProto empty = ONNX__GRAPH_PROTO__INIT;
    memset(g, 0, sizeof *g);
    g->graph = empty;
    g->graph.name = onnx_name(g, "%s", name);
}

void onnx_graph_free(onnx_graph *g)
{
    for (size_t i = 0; i < g->n_owned; i++)
        free(g->owned[i]);
    free(g->owned);
    free(g->graph.node);
    free(g->graph.initializer);
    free(g->graph.input);
    free(g->graph.output);
    memset(g, 0, sizeof *g);
}

char *onnx_name(onnx_graph *g, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = owned(g, (size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

Onnx__NodeProto *onnx_node(onnx_graph *g, const char *op, const char *name,
                           const char *const *inputs, int n_in, const char *output)
{
    static const Onnx__NodeProto empty = ONNX__NODE_PROTO__INIT;
    Onnx__NodeProto *n = owned(g, sizeof *n);
    char **in = owned(g, sizeof *in * (size_t)n_in);
    char **out = owned(g, sizeof *out);
    if (!n || !in || !out)
        return NULL;
    *n = empty;
    for (int i = 0; i < n_in; i++)
        in[i] = onnx_name(g, "%s", inputs[i]);
    out[0] = onnx_name(g, "%s", output);
    n->n_input = (size_t)n_in;
    n->input = in;
    n->n_output = 1;
    n->output = out;
    n->name = onnx_name(g, "%s", name);
    n->op_type = onnx_name(g, "%s", op);
    append(g, (void ***)&g->graph.node, &g->graph.n_node, &g->node_cap, n);
    return g->oom ? NULL : n;
}

/* A new attribute of node n (the node's array holds at most a few). */
static Onnx__AttributeProto *attribute(onnx_graph *g, Onnx__NodeProto *n, const char *name,
                                       Onnx__AttributeProto__AttributeType type)
{
    static const Onnx__AttributeProto empty = ONNX__ATTRIBUTE_PROTO__INIT;
    Onnx__AttributeProto *a;
    Onnx__AttributeProto **grown;
    if (!n || !(a = owned(g, sizeof *a)))
        return NULL;
    grown = owned(g, (n->n_attribute + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    if (n->n_attribute)
        memcpy(grown, n->attribute, n->n_attribute * sizeof *grown);
    *a = empty;
    a->name = onnx_name(g, "%s", name);
    a->has_type = 1;
    a->type = type;
    grown[n->n_attribute++] = a;
    n->attribute = grown;
    return a;
}

void onnx_attr_int(onnx_graph *g, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attribute(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) {
        a->has_i = 1;
        a->i = v;
    }
}

void onnx_attr_ints(onnx_graph *g, Onnx__NodeProto *n, const char *name, const int64_t *v,
                    int count)
{
    Onnx__AttributeProto *a = attribute(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *ints = owned(g, sizeof *ints * (size_t)count);
    if (a && ints) {
        memcpy(ints, v, sizeof *ints * (size_t)count);
        a->n_ints = (size_t)count;
        a->ints = ints;
    }
}

void onnx_attr_float(onnx_graph *g, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attribute(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) {
        a->has_f = 1;
        a->f = v;
    }
}

float *onnx_initializer(onnx_graph *g, const char *name, const int64_t *dims, int rank)
{
    static const Onnx__TensorProto empty = ONNX__TENSOR_PROTO__INIT;
    Onnx__TensorProto *t = owned(g, sizeof *t);
    int64_t *d = owned(g, sizeof *d * (size_t)rank);
    size_t count = 1;
    float *data;
    for (int i = 0; i < rank; i++)
        count *= (size_t)dims[i];
    data = owned(g, sizeof *data * count);
    if (!t || !d || !data)
        return NULL;
    *t = empty;
    if (rank > 0)
        memcpy(d, dims, sizeof *d * (size_t)rank);
    t->n_dims = (size_t)rank;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->name = onnx_name(g, "%s", name);
    t->n_float_data = count;
    t->float_data = data;
    append(g, (void ***)&g->graph.initializer, &g->graph.n_initializer, &g->init_cap, t);
    return g->oom ? NULL : data;
}

/* A float tensor's name and shape. */
static Onnx__ValueInfoProto *value_info(onnx_graph *g, const char *name, const int64_t *dims,
                                        int rank)
{
    static const Onnx__ValueInfoProto empty_v = ONNX__VALUE_INFO_PROTO__INIT;
    static const Onnx__TypeProto empty_t = ONNX__TYPE_PROTO__INIT;
    static const Onnx__TypeProto__Tensor empty_tt = ONNX__TYPE_PROTO__TENSOR__INIT;
    static const Onnx__TensorShapeProto empty_s = ONNX__TENSOR_SHAPE_PROTO__INIT;
    static const Onnx__TensorShapeProto__Dimension empty_d =
        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
    Onnx__ValueInfoProto *v = owned(g, sizeof *v);
    Onnx__TypeProto *type = owned(g, sizeof *type);
    Onnx__TypeProto__Tensor *tensor = owned(g, sizeof *tensor);
    Onnx__TensorShapeProto *shape = owned(g, sizeof *shape);
    Onnx__TensorShapeProto__Dimension **dim = owned(g, sizeof *dim * (size_t)rank);
    if (!v || !type || !tensor || !shape || !dim)
        return NULL;
    for (int i = 0; i < rank; i++) {
        if (!(dim[i] = owned(g, sizeof *dim[i])))
            return NULL;
        *dim[i] = empty_d;
        if (dims[i] == ONNX_BATCH_DIM) {
            dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim[i]->dim_param = onnx_name(g, "N");
        } else {
            dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim[i]->dim_value = dims[i];
        }
    }
    *shape = empty_s;
    shape->n_dim = (size_t)rank;
    shape->dim = dim;
    *tensor = empty_tt;
    tensor->has_elem_type = 1;
    tensor->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tensor->shape = shape;
    *type = empty_t;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tensor;
    *v = empty_v;
    v->name = onnx_name(g, "%s", name);
    v->type = type;
    return v;
}

void onnx_graph_input(onnx_graph *g, const char *name, const int64_t *dims, int rank)
{
    append(g, (void ***)&g->graph.input, &g->graph.n_input, &g->input_cap,
           value_info(g, name, dims, rank));
}

void onnx_graph_output(onnx_graph *g, const char *name, const int64_t *dims, int rank)
{
    append(g, (void ***)&g->graph.output, &g->graph.n_output, &g->output_cap,
           value_info(g, name, dims, rank));
}

uint8_t *onnx_graph_pack(onnx_graph *g, const char *producer_version, const char *doc,
                         size_t *len)
{
    static const Onnx__ModelProto empty_m = ONNX__MODEL_PROTO__INIT;
    static const Onnx__OperatorSetIdProto empty_o = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__ModelProto model = empty_m;
    Onnx__OperatorSetIdProto opset = empty_o, *opsets[1] = { &opset };
    uint8_t *bytes;
    if (g->oom)
        return NULL;
    opset.domain = (char *)"";
    opset.has_version = 1;
    opset.version = ONNX_OPSET;
    model.has_ir_version = 1;
    model.ir_version = ONNX_IR_VERSION;
    model.n_opset_import = 1;
    model.opset_import = opsets;
    model.producer_name = (char *)"convc";
    model.producer_version = (char *)producer_version;
    model.doc_string = (char *)doc;
    model.graph = &g->graph;
    *len = protobuf_c_message_get_packed_size(&model.base);
    bytes = malloc(*len ? *len : 1);
    if (bytes && protobuf_c_message_pack(&model.base, bytes) != *len) {
        free(bytes);
        bytes = NULL;
    }
    return bytes;
}
