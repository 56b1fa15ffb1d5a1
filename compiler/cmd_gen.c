/* cmd_gen.c - placeholder until `convc gen` is implemented. */
#include <stdio.h>
#include "commands.h"

int cmd_gen(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "convc: %s: not implemented yet\n", argv[0]);
    return 2;
}
