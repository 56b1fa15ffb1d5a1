/* fpmode.c - cv_flush_denormals. */
#include "base/fpmode.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

void cv_flush_denormals(void)
{
#if defined(__SSE__) || defined(__x86_64__)
    /* MXCSR bit 15 is flush-to-zero, bit 6 denormals-are-zero. */
    _mm_setcsr(_mm_getcsr() | 0x8040u);
#elif defined(__aarch64__)
    /* FPCR bit 24 (FZ) flushes both inputs and results. */
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1ul << 24)));
#endif
}
