/* cmd_check.c - `convc check FILE...`: report every error in the specs and
 * print nothing when they are correct (like cc -fsyntax-only). */
#include <stdio.h>
#include <string.h>
#include "base/options.h"
#include "cli/commands.h"
#include "front/frontend.h"

static const char check_usage[] =
    "usage: convc check FILE...\n"
    "\n"
    "Checks model specs: syntax, options, shapes and limits.  Prints every error\n"
    "GCC-style on standard error and nothing when the specs are correct.\n"
    "FILE '-' is standard input.\n"
    "Exit status: 0 all correct, 1 an error in a spec, 2 a usage error.\n";

static const struct option file_options[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int cmd_file_args(int argc, char **argv, const char *usage, int *status)
{
    char prog[32];
    int c;
    snprintf(prog, sizeof prog, "convc %s", argv[0]);
    optind = 0;
    while ((c = cv_getopt(argc, argv, "h", file_options, prog)) != -1) {
        *status = c == 'h' ? 0 : 2;
        fputs(usage, c == 'h' ? stdout : stderr);
        return -1;
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no spec given\n%s", prog, usage);
        *status = 2;
        return -1;
    }
    return optind;
}

int cmd_check(int argc, char **argv)
{
    int status = 0;
    int first_file = cmd_file_args(argc, argv, check_usage, &status);
    if (first_file < 0)
        return status;
    for (int i = first_file; i < argc; i++) {
        ir_model *m = frontend_load_file(argv[i], stderr);
        if (!m)
            status = 1;
        ir_free(m);
    }
    return status;
}
