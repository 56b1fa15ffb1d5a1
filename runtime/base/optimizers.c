/* optimizers.c - the table of optimizer names. */
#include <stdio.h>
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

void cv_optimizer_list(char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (int k = 0; k < CV_N_OPTIMIZERS && used < size; k++) {
        const char *sep = k == 0 ? "" : k == CV_N_OPTIMIZERS - 1 ? " or " : ", ";
        int n = snprintf(buf + used, size - used, "%s%s", sep, cv_optimizer_names[k]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}
