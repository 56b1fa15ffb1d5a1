/* rng.h - the trainer's random numbers: xoshiro256** seeded through
 * splitmix64.  Everything random in training (initial weights, shuffling,
 * dropout seeds) comes from here, so a seed fixes a run completely. */
#ifndef CONVC_RNG_H
#define CONVC_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} cv_rng;

void rng_seed(cv_rng *r, uint64_t seed);
uint64_t rng_next(cv_rng *r);
/* Uniform in [0, 1) with 24 random bits (exact in float). */
float rng_float(cv_rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's method); n >= 1. */
uint64_t rng_below(cv_rng *r, uint64_t n);
/* perm[i] = i, then a Fisher-Yates shuffle. */
void rng_permutation(cv_rng *r, uint32_t *perm, size_t n);
/* A well-mixed 64-bit function of three values: how per-sample dropout
 * seeds are derived from (seed, epoch, sample position in the epoch). */
uint64_t rng_mix3(uint64_t a, uint64_t b, uint64_t c);

#endif
