/* gen_onnx.h - `convc export --onnx`: the model with the trained weights as
 * a standard ONNX file (opset 13), written through protobuf-c. */
#ifndef CONVC_GEN_ONNX_H
#define CONVC_GEN_ONNX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ir.h"

/* The serialized ONNX model of m with the parameters of checkpoint
 * `weights` (caller frees, *len bytes), or NULL after a message on diag:
 * a checkpoint that does not match, or a layer ONNX cannot express. */
uint8_t *gen_onnx_model(const ir_model *m, const char *weights, size_t *len, FILE *diag);

#endif
