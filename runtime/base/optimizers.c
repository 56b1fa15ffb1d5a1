/* optimizers.c - the table of optimizer names. */
#include <string.h>
#include "base/optimizers.h"

#define CV_OPTIMIZER_NAME(id, name) name,
const char *const cv_optimizer_names[CV_N_OPTIMIZERS] = { CV_OPTIMIZER_LIST(CV_OPTIMIZER_NAME) };

int cv_optimizer_of(const char *name)
{
    for (int k = 0; k < CV_N_OPTIMIZERS; k++)
        if (strcmp(name, cv_optimizer_names[k]) == 0)
            return k;
    return -1;
}
