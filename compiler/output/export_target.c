/* export_target.c - the targets of `convc export --target`. */
#include "output/export_target.h"

#include <string.h>
#include "codegen/gen_layout.h"

const export_target export_targets[] = {
    { "host", "a PC or server: vector kernels (SSE, AVX) where the compiler has them, "
              "Winograd convolutions with constant tables", GEN_CONST_KERNELS, 0 },
    { "cortex-m4", "Arm Cortex-M4F and other microcontrollers with a scalar FPU: plain "
                   "loops, direct convolutions, the smallest arena", GEN_CONST_KERNELS | GEN_DIRECT, 1 },
};
const int n_export_targets = (int)(sizeof export_targets / sizeof export_targets[0]);

const export_target *export_target_of(const char *name)
{
    for (int i = 0; i < n_export_targets; i++)
        if (strcmp(export_targets[i].name, name) == 0)
            return &export_targets[i];
    return NULL;
}
