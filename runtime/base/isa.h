/* isa.h - the instruction-set extensions code is compiled for, as a bit
 * mask.  A generated model is compiled with -march=native: on another
 * processor it may use other vector widths and fused multiply-adds, and
 * round differently.  The trainer records its model's mask in checkpoints
 * (train/trainer.h passes it from main(), which is compiled with the
 * model's flags), refuses to resume across a different one, and the
 * processes of one MPI run must agree on it; experiment run stamps hold
 * the running processor's. */
#ifndef CONVC_ISA_H
#define CONVC_ISA_H

#include <stddef.h>
#include <stdint.h>

/* ORDER: the bit of each extension, kept by checkpoints; names as GCC's
 * -march features. */
#define CV_ISA_X86_LIST(X)                                                             \
    X(SSE4_2, "sse4.2") X(AVX, "avx") X(AVX2, "avx2") X(FMA, "fma") X(F16C, "f16c")   \
    X(AVX512F, "avx512f") X(AVX512DQ, "avx512dq") X(AVX512BW, "avx512bw")              \
    X(AVX512VL, "avx512vl")
#define CV_ISA_LIST(X) CV_ISA_X86_LIST(X) X(NEON, "neon")
#define CV_ISA_BIT(id, name) CV_ISA_BIT_##id,
enum { CV_ISA_LIST(CV_ISA_BIT) CV_ISA_COUNT };
#undef CV_ISA_BIT

/* The mask of the translation unit that calls it (inline on purpose). */
static inline uint64_t cv_isa_compiled(void)
{
    uint64_t m = 0;
#ifdef __SSE4_2__
    m |= 1u << CV_ISA_BIT_SSE4_2;
#endif
#ifdef __AVX__
    m |= 1u << CV_ISA_BIT_AVX;
#endif
#ifdef __AVX2__
    m |= 1u << CV_ISA_BIT_AVX2;
#endif
#ifdef __FMA__
    m |= 1u << CV_ISA_BIT_FMA;
#endif
#ifdef __F16C__
    m |= 1u << CV_ISA_BIT_F16C;
#endif
#ifdef __AVX512F__
    m |= 1u << CV_ISA_BIT_AVX512F;
#endif
#ifdef __AVX512DQ__
    m |= 1u << CV_ISA_BIT_AVX512DQ;
#endif
#ifdef __AVX512BW__
    m |= 1u << CV_ISA_BIT_AVX512BW;
#endif
#ifdef __AVX512VL__
    m |= 1u << CV_ISA_BIT_AVX512VL;
#endif
#if defined(__ARM_NEON) || defined(__ARM_NEON__)
    m |= 1u << CV_ISA_BIT_NEON;
#endif
    return m;
}

/* The extensions of the processor this runs on. */
uint64_t cv_isa_cpu(void);

/* "avx avx2 fma" ("none" for 0). */
void cv_isa_names(uint64_t mask, char *out, size_t size);

#endif
