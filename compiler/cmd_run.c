/* cmd_run.c - placeholder until `convc run` is implemented. */
#include <stdio.h>
#include "commands.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "convc: %s: not implemented yet\n", argv[0]);
    return 2;
}
