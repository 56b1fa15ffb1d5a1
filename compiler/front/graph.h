/* graph.h - the layer graph of a spec, for the semantic pass: the names that
 * 'as NAME' gives, the layers that 'from NAME', 'add NAME' and 'concat NAME'
 * read, and the checks on them (unknown, duplicate and reserved names, use
 * before definition, outputs nobody reads, names nobody uses, shapes that
 * add and concat cannot join).  A layer can only read an earlier one, so a
 * spec cannot express a cycle. */
#ifndef CONVC_GRAPH_H
#define CONVC_GRAPH_H

#include <stdbool.h>
#include "front/ast.h"
#include "front/diag.h"
#include "front/layers.h"
#include "ir.h"

typedef struct {
    const ast_stmt *stmt;
    const ast_value *name;      /* 'as NAME', or NULL */
    bool name_used;
    int readers;                /* inputs of later layers that are this one */
    bool flat;                  /* its output is a vector */
    const ast_stmt *flattened_by;   /* where that vector was made */
} graph_layer;

typedef struct {
    diag *d;
    const ast_spec *spec;
    graph_layer *layers;        /* one per layer of the model */
    int n_layers;
} spec_graph;

/* false when out of memory. */
bool graph_init(spec_graph *g, diag *d, const ast_spec *spec, int capacity);
void graph_free(spec_graph *g);

/* Layer `self` (its statement `st`) is defined, with the name `as` (or
 * NULL), which is checked. */
void graph_define(spec_graph *g, int self, const ast_stmt *st, const ast_value *as);
/* The index of the layer `ref` names, for layer `self` to read; -2 after a
 * located error (unknown, later or its own name). */
int graph_lookup(spec_graph *g, const ast_value *ref, int self);
/* Records that a later layer reads layer j (j >= 0); returns how many
 * readers it had before. */
int graph_read(spec_graph *g, int j);

/* For add and concat (L->merge != NONE): are L->in and L->in2 joinable?
 * Otherwise a located error at `ref`, with the projection that would make
 * the two outputs of add match. */
bool graph_check_merge(spec_graph *g, const layer_desc *ld, const ir_layer *L,
                       const ast_value *ref);

/* After the last statement: an error for each layer (but the last) whose
 * output nobody reads, a warning for each name nobody uses, and the names
 * copied into the IR.  Call only when the model has no errors so far. */
void graph_finish(spec_graph *g, ir_model *m);

#endif
