/* cmd_check.c - `convc check FILE...`: report every error in the specs and
 * print nothing when they are correct (like cc -fsyntax-only). */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "front/frontend.h"

static const char check_usage[] =
    "usage: convc check FILE...\n"
    "\n"
    "Checks model specs: syntax, options, shapes and limits.  Prints every error\n"
    "GCC-style on standard error and nothing when the specs are correct.\n"
    "FILE '-' is standard input.\n"
    "Exit status: 0 all correct, 1 an error in a spec, 2 a usage error.\n";

int cmd_file_args(int argc, char **argv, const char *usage, int *status)
{
    int first_file = 1;
    for (; first_file < argc; first_file++) {
        const char *a = argv[first_file];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            *status = 0;
            return -1;
        }
        if (strcmp(a, "--") == 0) {
            first_file++;
            break;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0)
            break;
        fprintf(stderr, "convc %s: unknown option '%s'\n%s", argv[0], a, usage);
        *status = 2;
        return -1;
    }
    if (first_file >= argc) {
        fprintf(stderr, "convc %s: no spec given\n%s", argv[0], usage);
        *status = 2;
        return -1;
    }
    return first_file;
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
