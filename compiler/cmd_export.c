/* cmd_export.c - placeholder until `convc export` is implemented. */
#include <stdio.h>
#include "commands.h"

int cmd_export(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "convc: %s: not implemented yet\n", argv[0]);
    return 2;
}
