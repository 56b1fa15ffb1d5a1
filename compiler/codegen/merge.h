/* merge.h - what the emitters of the layers that read two inputs (add,
 * concat) share: the plan and the pointers their functions start with. */
#ifndef CONVC_MERGE_H
#define CONVC_MERGE_H

#include "codegen/gen_ctx.h"

/* Output buffers and the argument lists; a backward function when either
 * input takes a gradient. */
void gen_merge_plan(gen_layout *L, int i);
/* Opens layer i's forward (backward) function and declares its pointers:
 * forward `in`, `in2` (the inputs) and `out`; backward `dout` (writable
 * when `dout_writable`) and `din`, `din2` (those that exist). */
void gen_merge_open(gen_ctx *c, int i, int backward, int dout_writable);

#endif
