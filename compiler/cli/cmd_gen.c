/* cmd_gen.c - `convc gen [--trainer-main] [--direct] FILE -o DIR`: the
 * model's C code. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "front/frontend.h"
#include "output/gen_files.h"
#include "codegen/gen_layout.h"
#include "output/gen_model.h"

static const char gen_usage[] =
    "usage: convc gen [--trainer-main] [--direct] FILE -o DIR\n"
    "\n"
    "Writes DIR/model.h and DIR/model.c: the forward and backward pass of the\n"
    "model in FILE with every shape a compile-time constant, and its descriptor\n"
    "(docs/generated-code.md).  --trainer-main also writes DIR/main.c, the\n"
    "trainer's entry point.  --direct computes every convolution directly,\n"
    "without the Winograd kernels (to compare speed or rounding).\n"
    "Nothing is written when FILE has an error.\n"
    "Exit status: 0 success, 1 an error in the spec, 2 a usage error.\n";

int cmd_gen(int argc, char **argv)
{
    const char *spec = NULL, *dir = NULL;
    int trainer_main = 0, i, status;
    unsigned options = 0;
    ir_model *m;
    gen_sources src;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(gen_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--trainer-main") == 0) {
            trainer_main = 1;
        } else if (strcmp(argv[i], "--direct") == 0) {
            options |= GEN_DIRECT;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "convc gen: unknown option '%s'\n%s", argv[i], gen_usage);
            return 2;
        } else if (!spec) {
            spec = argv[i];
        } else {
            fprintf(stderr, "convc gen: one spec at a time ('%s')\n%s", argv[i], gen_usage);
            return 2;
        }
    }
    if (!spec || !dir || !*dir) {
        fprintf(stderr, "convc gen: %s\n%s", !spec ? "no spec given" : "no -o DIR given",
                gen_usage);
        return 2;
    }
    m = frontend_load_file(spec, stderr);
    if (!m)
        return 1;
    if (gen_model_sources_with(m, trainer_main, options, &src, stderr) != 0) {
        ir_free(m);
        return 1;
    }
    {
        const gen_file files[3] = {
            { "model.h", src.model_h },
            { "model.c", src.model_c },
            { "main.c", src.main_c },
        };
        status = gen_write_files(dir, files, 3, stderr);
    }
    gen_sources_free(&src);
    ir_free(m);
    return status;
}
