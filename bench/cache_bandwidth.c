/* cache_bandwidth.c - two rates on one core, for working sets from the
 * first-level cache to beyond the second: the yardsticks for the
 * memory-bound layers of docs/benchmarks.md.
 *   pass: a pass that reads two streams and writes one (dz = out > 0 ? dz :
 *         0, the shape of a backward pass over an activation).  The working
 *         set is a ring of buffers of one 28x28x32 activation each (98 KB);
 *         each pass reads buffers k and k+1 and writes k, so one of its two
 *         read streams was read by the pass before and is still in cache,
 *         as in a layer that reads what its neighbour just wrote.  Bytes
 *         count 12 per float (two read, one written).
 *   read: every buffer of the ring summed once a round: each byte comes
 *         from wherever the working set lives, beyond the second-level
 *         cache for a ring larger than it.  Bytes count 4 per float.
 * Each rate is the best of 5 windows of 0.3 s.
 * Output (CSV on stdout): cache_bandwidth,KB,pass GB/s,read GB/s per working set.
 * Build with the vectors of the generated code, e.g.
 *   cc -O2 -march=native -mprefer-vector-width=512 -o cache_bandwidth bench/cache_bandwidth.c
 * Usage: cache_bandwidth [BUFFERS...]   (default 1 4 8 16 64) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLOATS 25088    /* 28 x 28 x 32 */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The compiler vectorizes this loop. */
static void pass(float *restrict dz, const float *restrict out)
{
    for (size_t i = 0; i < FLOATS; i++)
        dz[i] = out[i] > 0.0f ? dz[i] : 0.0f;
}

/* Sums in 8 chains of 16-float vectors (GCC's vector extension, as in the
 * generated code), so that the additions' latency does not limit the
 * loads.  Every buffer is 64-byte aligned and FLOATS a multiple of 128. */
typedef float vf16 __attribute__((vector_size(64)));

static float sum(const float *restrict in)
{
    const vf16 *v = (const vf16 *)__builtin_assume_aligned(in, 64);
    vf16 a0 = { 0 }, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (size_t i = 0; i < FLOATS / 16; i += 8) {
        a0 += v[i], a1 += v[i + 1], a2 += v[i + 2], a3 += v[i + 3];
        a4 += v[i + 4], a5 += v[i + 5], a6 += v[i + 6], a7 += v[i + 7];
    }
    vf16 all = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    float total = 0;
    for (int k = 0; k < 16; k++)
        total += all[k];
    return total;
}

/* GB/s of `read` (1) or of the backward-shaped pass (0) over the ring. */
static double measure(float *m, int buffers, int read)
{
    double best = 0;
    volatile float sink = 0;
    for (int window = 0; window < 5; window++) {
        double t0 = now_seconds(), t, bytes = 0;
        do {
            for (int k = 0; k < buffers; k++) {
                if (read)
                    sink += sum(m + (size_t)k * FLOATS);
                else
                    pass(m + (size_t)k * FLOATS, m + (size_t)((k + 1) % buffers) * FLOATS);
            }
            bytes += (read ? 4.0 : 12.0) * FLOATS * buffers;
            t = now_seconds() - t0;
        } while (t < 0.3);
        if (bytes / t > best)
            best = bytes / t;
    }
    return best * 1e-9;
}

int main(int argc, char **argv)
{
    static const int fallback[] = { 1, 4, 8, 16, 64 };
    int n = argc > 1 ? argc - 1 : (int)(sizeof fallback / sizeof fallback[0]);
    printf("cache_bandwidth,KB,pass GB/s,read GB/s\n");
    for (int a = 0; a < n; a++) {
        int buffers = argc > 1 ? atoi(argv[a + 1]) : fallback[a];
        if (buffers < 1 || buffers > 4096) {
            fprintf(stderr, "cache_bandwidth: %s: expected a number of buffers from 1 to 4096\n",
                    argv[a + 1]);
            return 2;
        }
        size_t count = (size_t)buffers * FLOATS;
        float *m = aligned_alloc(64, count * sizeof(float));
        if (!m) {
            fprintf(stderr, "cache_bandwidth: out of memory for %d buffers\n", buffers);
            return 1;
        }
        for (size_t i = 0; i < count; i++)
            m[i] = (float)(i % 7) - 3.0f;
        double pass_rate = measure(m, buffers, 0), read_rate = measure(m, buffers, 1);
        printf("cache_bandwidth,%zu,%.1f,%.1f\n", count * sizeof(float) / 1024, pass_rate,
               read_rate);
        free(m);
    }
    return 0;
}
