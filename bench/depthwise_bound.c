/* depthwise_bound.c - how fast a 3x3 depthwise convolution's inner loop can
 * run on one core, with the generated kernel's register tile (12 output
 * pixels x 16 channels, the 3 kernel taps of a row and the input vector in
 * registers, every input vector loaded once per kernel row), over the inner
 * 24 columns of a 28x28x32 map (no border tiles, no activation), two ways:
 *   streamed: output row y reads input rows y..y+2, so each input row comes
 *             from the second-level cache once and is then reused from the
 *             first for two more rows, as in the layer;
 *   in L1:    every output row reads the same three input rows.
 * The difference is what fetching the input costs the arithmetic; the
 * layer itself also has border tiles and an activation, and its backward
 * two more passes.  Not part of `make bench` (docs/benchmarks.md, "The
 * cost of one layer").
 *   cc -O3 -march=native -ffp-contract=fast -o depthwise_bound bench/depthwise_bound.c
 * Usage: depthwise_bound [CALLS]   (calls per timed run, default 4000)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef float vf16 __attribute__((vector_size(64)));

enum { H = 28, W = 26, C = 32, OUT_W = 24, TILE = 12, CALLS = 4000, ROUNDS = 7 };

/* Macros: a vector parameter or return value would change the ABI where the
 * build has no AVX-512, and a sum's address taken by memcpy would keep it in
 * memory instead of a register. */
#define LOAD(v, p) memcpy(&(v), (p), sizeof(vf16))
#define STORE(p, v) do { vf16 s_ = (v); memcpy((p), &s_, sizeof s_); } while (0)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Output row oy reads input rows oy * step .. oy * step + 2. */
static __attribute__((noinline)) void depthwise(const float *restrict src,
                                                const float *restrict kern,
                                                float *restrict out, int step)
{
    int oy, ox, co, ky, t, j;
    for (oy = 0; oy < H; oy++)
        for (ox = 0; ox < OUT_W; ox += TILE)
            for (co = 0; co < C; co += 16) {
                vf16 a[TILE];
                for (t = 0; t < TILE; t++)
                    a[t] = (vf16){ 0 };
#pragma GCC unroll 3
                for (ky = 0; ky < 3; ky++) {
                    const float *xp = src + ((oy * step + ky) * W + ox) * C + co;
                    vf16 k0, k1, k2;
                    LOAD(k0, kern + ky * 3 * C + co);
                    LOAD(k1, kern + ky * 3 * C + C + co);
                    LOAD(k2, kern + ky * 3 * C + 2 * C + co);
#pragma GCC unroll 16
                    for (j = 0; j < TILE + 2; j++) {
                        vf16 x;
                        LOAD(x, xp + j * C);
                        if (j < TILE)
                            a[j] += x * k0;
                        if (j >= 1 && j - 1 < TILE)
                            a[j - 1] += x * k1;
                        if (j >= 2)
                            a[j - 2] += x * k2;
                    }
                }
                for (t = 0; t < TILE; t++)
                    STORE(out + (oy * OUT_W + ox + t) * C + co, a[t]);
            }
}

/* The best of ROUNDS runs of `calls` calls, in GFLOP/s. */
static double rate(const float *src, const float *kern, float *out, int step, long calls)
{
    double best = 0;
    long i;
    int r;
    for (r = 0; r < ROUNDS; r++) {
        double t0 = now(), g;
        for (i = 0; i < calls; i++)
            depthwise(src, kern, out, step);
        g = 2.0 * 9 * H * OUT_W * C * (double)calls / (now() - t0) / 1e9;
        if (g > best)
            best = g;
    }
    return best;
}

int main(int argc, char **argv)
{
    long calls = CALLS;
    char *end = NULL;
    float *src, *kern, *out;
    int i;
    if (argc == 2)
        calls = strtol(argv[1], &end, 10);
    if (argc > 2 || (end && (*end || end == argv[1])) || calls < 1 || calls > 10000000) {
        fprintf(stderr, "usage: depthwise_bound [CALLS]   (calls per timed run, 1 to 10000000)\n");
        return 2;
    }
    src = aligned_alloc(64, sizeof(float) * (H + 2) * W * C);
    kern = aligned_alloc(64, sizeof(float) * 9 * C);
    out = aligned_alloc(64, sizeof(float) * H * OUT_W * C);
    if (!src || !kern || !out)
        return 1;
    for (i = 0; i < (H + 2) * W * C; i++)
        src[i] = (float)(i % 7) * 0.25f;
    for (i = 0; i < 9 * C; i++)
        kern[i] = (float)(i % 5) * 0.125f;
    printf("3x3 depthwise, 28x24x32 outputs, tiles of %d pixels x 16 channels (GFLOP/s, best of %d):\n",
           TILE, ROUNDS);
    printf("  input rows streamed: %6.1f\n", rate(src, kern, out, 1, calls));
    printf("  input rows in L1:    %6.1f\n", rate(src, kern, out, 0, calls));
    free(src);
    free(kern);
    free(out);
    return 0;
}
