/* onnx_graph.h - an ONNX graph under construction, on the message types that
 * protoc-c generates from the ONNX schema (onnx.proto of libonnx-dev).  Every
 * string, array and message hangs off the graph and is freed with it; an
 * allocation failure is remembered and reported once, by onnx_graph_pack. */
#ifndef CONVC_ONNX_GRAPH_H
#define CONVC_ONNX_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include "onnx.pb-c.h"

/* The opset the mappings are written against, and the IR version that goes
 * with it. */
#define ONNX_OPSET      13
#define ONNX_IR_VERSION 7

/* A dimension of a graph input or output that is the batch size. */
#define ONNX_BATCH_DIM  (-1)

typedef struct {
    Onnx__GraphProto graph;
    size_t node_cap, init_cap, input_cap, output_cap;
    void **owned;               /* everything allocated for the messages */
    size_t n_owned, owned_cap;
    int oom;
} onnx_graph;

void onnx_graph_init(onnx_graph *g, const char *name);
void onnx_graph_free(onnx_graph *g);

/* A string the graph owns; printf-style. */
char *onnx_name(onnx_graph *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends node `op` named `name` with `n_in` inputs and one output; returns
 * it (NULL when out of memory) for the attributes below. */
Onnx__NodeProto *onnx_node(onnx_graph *g, const char *op, const char *name,
                           const char *const *inputs, int n_in, const char *output);
void onnx_attr_int(onnx_graph *g, Onnx__NodeProto *n, const char *name, int64_t v);
void onnx_attr_float(onnx_graph *g, Onnx__NodeProto *n, const char *name, float v);
void onnx_attr_ints(onnx_graph *g, Onnx__NodeProto *n, const char *name, const int64_t *v,
                    int count);

/* A float32 initializer `name` of shape dims[rank]: a zeroed array of its
 * element count for the caller to fill (NULL when out of memory). */
float *onnx_initializer(onnx_graph *g, const char *name, const int64_t *dims, int rank);

/* A float32 graph input or output of shape dims[rank]; ONNX_BATCH_DIM is the
 * symbolic batch size "N". */
void onnx_graph_input(onnx_graph *g, const char *name, const int64_t *dims, int rank);
void onnx_graph_output(onnx_graph *g, const char *name, const int64_t *dims, int rank);

/* The serialized model: the graph with the producer, the opset and the doc
 * string.  The caller frees the bytes; NULL when out of memory. */
uint8_t *onnx_graph_pack(onnx_graph *g, const char *producer_version, const char *doc,
                         size_t *len);

#endif
