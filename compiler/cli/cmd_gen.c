/* cmd_gen.c - `convc gen [--trainer-main] [--direct] FILE -o DIR`: the
 * model's C code. */
#include <stdio.h>
#include <string.h>

#include "base/options.h"
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

static const struct option gen_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "trainer-main", no_argument, NULL, 'm' },
    { "direct", no_argument, NULL, 'd' },
    { NULL, 0, NULL, 0 },
};

int cmd_gen(int argc, char **argv)
{
    const char *spec = NULL, *dir = NULL;
    int trainer_main = 0, c, status;
    unsigned options = 0;
    ir_model *m;
    gen_sources src;
    optind = 0;
    while ((c = cv_getopt(argc, argv, "ho:", gen_options, "convc gen")) != -1) {
        switch (c) {
        case 'h':
            fputs(gen_usage, stdout);
            return 0;
        case 'm':
            trainer_main = 1;
            break;
        case 'd':
            options |= GEN_DIRECT;
            break;
        case 'o':
            dir = optarg;
            break;
        default:
            fputs(gen_usage, stderr);
            return 2;
        }
    }
    if (optind < argc)
        spec = argv[optind];
    if (optind + 1 < argc) {
        fprintf(stderr, "convc gen: one spec at a time ('%s')\n%s", argv[optind + 1], gen_usage);
        return 2;
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
