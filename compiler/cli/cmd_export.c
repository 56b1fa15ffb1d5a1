/* cmd_export.c - `convc export SPEC --weights CKPT -o FILE.c`: a standalone
 * inference file with the trained weights (docs/generated-code.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "front/frontend.h"
#include "output/gen_export.h"
#include "output/gen_files.h"
#include "output/gen_onnx.h"

static const char export_usage[] =
    "usage: convc export SPEC --weights CKPT [--onnx] -o FILE\n"
    "\n"
    "Writes one C99 file with the forward pass of the model in SPEC and the\n"
    "parameters of the checkpoint CKPT (exact hex-float literals): a single-file\n"
    "library (NAME_predict, NAME_IMPLEMENTATION, NAME_STATIC) with an optional\n"
    "main (-DNAME_MAIN) that classifies PGM and IDX images.  The checkpoint's\n"
    "spec hash must match SPEC.  With --onnx, FILE is instead a standard ONNX\n"
    "model (opset 13, input N x H x W x C floats) for other runtimes.\n"
    "Nothing is written on an error.\n"
    "Exit status: 0 success, 1 an error in the spec or checkpoint, 2 a usage error.\n";

int cmd_export(int argc, char **argv)
{
    const char *spec = NULL, *weights = NULL, *out = NULL;
    int i, status, onnx = 0;
    ir_model *m;
    char *text;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(export_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--weights") == 0 && i + 1 < argc) {
            weights = argv[++i];
        } else if (strcmp(argv[i], "--onnx") == 0) {
            onnx = 1;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "convc export: unknown option '%s'\n%s", argv[i], export_usage);
            return 2;
        } else if (!spec) {
            spec = argv[i];
        } else {
            fprintf(stderr, "convc export: one spec at a time ('%s')\n%s", argv[i],
                    export_usage);
            return 2;
        }
    }
    if (!spec || !weights || !out || !*out) {
        fprintf(stderr, "convc export: %s\n%s",
                !spec ? "no spec given" : !weights ? "no --weights CKPT given"
                                                   : "no -o FILE given", export_usage);
        return 2;
    }
    m = frontend_load_file(spec, stderr);
    if (!m)
        return 1;
    if (onnx) {
        size_t len;
        uint8_t *bytes = gen_onnx_model(m, weights, &len, stderr);
        ir_free(m);
        status = bytes ? gen_write_bytes(out, bytes, len, stderr) : 1;
        free(bytes);
        return status;
    }
    text = gen_export_source(m, weights, stderr);
    ir_free(m);
    if (!text)
        return 1;
    status = gen_write_file(out, text, stderr);
    free(text);
    return status;
}
