/* gen_export.h - the standalone inference file of `convc export`: one C99
 * file in the style of single-file libraries, with the trained weights. */
#ifndef CONVC_GEN_EXPORT_H
#define CONVC_GEN_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include "ir.h"
#include "codegen/mem_plan.h"
#include "output/export_target.h"
#include "output/quantize.h"

/* What the file needs on its target, known before it is compiled. */
typedef struct {
    int64_t weight_bytes;       /* flash: the weights (code comes on top) */
    int64_t arena_bytes;        /* RAM: the one static work arena */
    int64_t unplanned_bytes;    /* the arena if no buffer were reused */
    int peak_layer;             /* the layer with the most memory live */
    int64_t peak_bytes;         /* that memory */
} export_sizes;

/* The inference layout of an exported file for target t, its work buffers
 * placed by the memory plan (P filled when not NULL).  0, or -1 out of
 * memory (reported on stderr). */
int gen_export_layout(gen_layout *L, const ir_model *m, const export_target *t,
                      gen_mem_plan *P);
typedef struct {
    const char *weights;        /* the checkpoint (named in the file's comments) */
    const export_target *target;
    int int8;                   /* --int8: post-training quantization */
    q8_settings q8;
    FILE *report;               /* where --int8 reports float against int8 */
} export_options;

/* The file's text (caller frees) and its sizes, or NULL after a message
 * on diag. */
char *gen_export_source(const ir_model *m, const export_options *o, export_sizes *sizes,
                        FILE *diag);

#endif
