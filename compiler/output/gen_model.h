/* gen_model.h - the C sources of one model for the trainer: model.h, model.c
 * and optionally main.c (see docs/generated-code.md). */
#ifndef CONVC_GEN_MODEL_H
#define CONVC_GEN_MODEL_H

#include <stdio.h>
#include "codegen/emit.h"
#include "ir.h"

typedef struct {
    char *model_h, *model_c;
    char *main_c;           /* NULL unless asked for */
} gen_sources;

/* 0 on success; 1 if the model cannot be generated (message on diag). */
int gen_model_sources(const ir_model *m, int trainer_main, gen_sources *out, FILE *diag);
/* The same with gen_layout options (GEN_DIRECT). */
int gen_model_sources_with(const ir_model *m, int trainer_main, unsigned options,
                           gen_sources *out, FILE *diag);
void gen_sources_free(gen_sources *s);

/* Text safe inside a C comment / a C string literal.  Caller frees. */
char *gen_comment_text(const char *s);
char *gen_string_literal(const char *s);
/* The spec's statements, one comment line each after `indent`: the input,
 * then every layer's source text.  model.c and the export both quote it. */
void gen_emit_spec_lines(emitter *e, const ir_model *m, const char *indent);
/* Check that a model is within what the generators support; prints a
 * located error on diag and returns 1 otherwise. */
int gen_check_model(const ir_model *m, FILE *diag);

#endif
