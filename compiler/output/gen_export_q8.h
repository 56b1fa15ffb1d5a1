/* gen_export_q8.h - the int8 part of `convc export --int8`: its arena and
 * its implementation section (gen_export.c assembles the file). */
#ifndef CONVC_GEN_EXPORT_Q8_H
#define CONVC_GEN_EXPORT_Q8_H

#include <stdint.h>
#include "codegen/emit.h"
#include "codegen/mem_plan.h"
#include "output/quantize.h"

/* The int8 work arena: the quantized image and every layer's output, in
 * bytes, placed by the memory plan.  0, or -1 out of memory or for a
 * layer kind without int8 code. */
int gen_q8_layout(gen_layout *QL, const ir_model *m, gen_mem_plan *P);
/* The flash of the int8 tables: weights, biases, multipliers, shifts. */
int64_t gen_q8_weight_bytes(const q8_model *q);
/* The kernels, tables, forward function and entry points. */
void gen_export_q8_body(emitter *e, const q8_model *q, const gen_layout *QL, const char *name,
                        const char *up);

#endif
