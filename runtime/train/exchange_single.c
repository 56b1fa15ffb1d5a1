/* exchange_single.c - a training run of one process (exchange.h): the
 * default build.  The MPI build replaces both functions. */
#include <stddef.h>
#include "train/exchange.h"

cv_exchange *exchange_open(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return NULL;
}

void exchange_close(cv_exchange *x, int status)
{
    (void)x;
    (void)status;
}
