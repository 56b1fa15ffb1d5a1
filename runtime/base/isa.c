/* isa.c - instruction-set masks: the processor's, and their names (isa.h). */
#include <stdio.h>
#include <string.h>
#include "base/isa.h"

static const char *const names[CV_ISA_COUNT] = {
#define CV_ISA_NAME(id, name) name,
    CV_ISA_LIST(CV_ISA_NAME)
#undef CV_ISA_NAME
};

uint64_t cv_isa_cpu(void)
{
    uint64_t m = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
#define CV_ISA_PROBE(id, name) \
    if (__builtin_cpu_supports(name)) m |= 1u << CV_ISA_BIT_##id;
    CV_ISA_X86_LIST(CV_ISA_PROBE)
#undef CV_ISA_PROBE
#else
    m = cv_isa_compiled();      /* no portable probe: what this program was built for */
#endif
    return m;
}

void cv_isa_names(uint64_t mask, char *out, size_t size)
{
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < CV_ISA_COUNT; i++)
        if (mask & (1u << i) && at < size) {
            int n = snprintf(out + at, size - at, "%s%s", at ? " " : "", names[i]);
            at += n > 0 ? (size_t)n : 0;
        }
    if (!mask)
        snprintf(out, size, "none");
}
