/* cmd_ir.c - `convc ir FILE...`: the checked model as the compiler sees it,
 * its name and the canonical text (every default spelled out, the text the
 * spec hash is computed from), for tools that must build the same network
 * without parsing specs themselves (tests/xcheck/xcheck.py). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/commands.h"
#include "front/frontend.h"

static const char ir_usage[] =
    "usage: convc ir FILE...\n"
    "\n"
    "Prints each model as the compiler resolved it: a line 'model NAME', then\n"
    "the canonical text, one layer a line with every default spelled out and\n"
    "its output shape ('conv 32 k=3x3 stride=1x1 same pad=1,1,1,1 relu -> 28x28x32';\n"
    "pad=top,left,bottom,right), the text the spec hash is computed from.\n"
    "Models are separated by an empty line.  FILE '-' is standard input.\n"
    "Exit status: 0 success, 1 an error in a spec, 2 a usage error.\n";

int cmd_ir(int argc, char **argv)
{
    int status = 0;
    int first_file = cmd_file_args(argc, argv, ir_usage, &status);
    if (first_file < 0)
        return status;
    for (int i = first_file; i < argc; i++) {
        ir_model *m = frontend_load_file(argv[i], stderr);
        char *text = m ? ir_canonical(m) : NULL;
        if (!text) {
            if (m)
                fprintf(stderr, "convc ir: %s: out of memory\n", argv[i]);
            status = 1;
            ir_free(m);
            continue;
        }
        if (i > first_file)
            putchar('\n');
        printf("model %s\n%s", m->name, text);
        free(text);
        ir_free(m);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "convc ir: cannot write the output\n");
        return 1;
    }
    return status;
}
