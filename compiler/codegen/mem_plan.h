/* mem_plan.h - the static memory plan of an inference layout.  A work
 * buffer lives from the layer that adds it (its output, its scratch) to the
 * last layer that reads it; buffers whose lives do not overlap share memory.
 * The offsets are placed greedily, largest buffer first, each at the lowest
 * offset clear of every placed buffer it is live with (TensorFlow Lite
 * Micro's greedy-by-size planner), so the arena is one compile-time size. */
#ifndef CONVC_MEM_PLAN_H
#define CONVC_MEM_PLAN_H

#include <stdint.h>
#include "codegen/gen_layout.h"

typedef struct {
    int n_layers;
    int64_t before;         /* floats of work when every buffer has its own */
    int64_t arena;          /* floats after reuse: per sample + shared */
    int peak_layer;         /* the layer whose live buffers add up to the most */
    int64_t peak_live;      /* those floats: no plan can use fewer */
    int64_t *adds;          /* per layer: floats of the buffers it adds */
    int64_t *live;          /* per layer: floats live while it runs */
} gen_mem_plan;

/* Plans an inference layout (L->training 0) in place: new buffer offsets,
 * work_per_sample and work_shared.  Fills P when it is not NULL (free it
 * with gen_mem_plan_free).  0, or -1 out of memory. */
int gen_mem_plan_apply(gen_layout *L, gen_mem_plan *P);
void gen_mem_plan_free(gen_mem_plan *P);

/* Layer j's input buffers (at most IR_MAX_LAYERS) into in[]; their count.
 * A model input (no buffer) is not listed. */
int gen_layer_inputs(const gen_layout *L, int j, int *in);

#endif
