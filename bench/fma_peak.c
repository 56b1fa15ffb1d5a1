/* fma_peak.c - measures this machine's single-precision FMA peak, the
 * yardstick for the GFLOP/s the generated code reaches.
 *
 * Each thread runs many independent FMA chains on registers only (no loads,
 * no stores), enough chains to cover FMA latency times the number of FMA
 * pipes, so the loop is bound by FMA throughput alone.  AVX2 and AVX-512
 * variants are compiled with target attributes and picked at run time, so the
 * probe builds with any -march; the best variant is the peak.
 *
 * Output (CSV on stdout):
 *   probe,isa,threads,gflops        one line per variant and thread count
 *   peak,best,THREADS,GFLOPS        the best per thread count
 * Usage: fma_peak [MAX_THREADS [SECONDS_PER_MEASUREMENT]] */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef double (*chain_fn)(long iters);

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 12 chains of 8 floats: Zen 4 and recent Intel cores retire 2 FMAs per
 * cycle with a latency of 4 cycles, so at least 8 chains must be in flight;
 * 12 leaves headroom and still fits AVX2's 16 registers. */
#define AVX2_CHAINS 12
__attribute__((target("avx2,fma")))
static double chains_avx2(long iters)
{
    __m256 a[AVX2_CHAINS];
    const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-6f);
    for (int j = 0; j < AVX2_CHAINS; j++)
        a[j] = _mm256_set1_ps((float)j);
    for (long i = 0; i < iters; i++) {
        /* Unrolled completely so that the array lives in registers. */
#pragma GCC unroll 32
        for (int j = 0; j < AVX2_CHAINS; j++)
            a[j] = _mm256_fmadd_ps(a[j], mul, add);
    }
    __m256 s = a[0];
    for (int j = 1; j < AVX2_CHAINS; j++)
        s = _mm256_add_ps(s, a[j]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return (double)out[0];
}

/* AVX-512 has 32 registers: 24 chains cover even cores with longer latency. */
#define AVX512_CHAINS 24
__attribute__((target("avx512f")))
static double chains_avx512(long iters)
{
    __m512 a[AVX512_CHAINS];
    const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-6f);
    for (int j = 0; j < AVX512_CHAINS; j++)
        a[j] = _mm512_set1_ps((float)j);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 32
        for (int j = 0; j < AVX512_CHAINS; j++)
            a[j] = _mm512_fmadd_ps(a[j], mul, add);
    }
    __m512 s = a[0];
    for (int j = 1; j < AVX512_CHAINS; j++)
        s = _mm512_add_ps(s, a[j]);
    return (double)_mm512_reduce_add_ps(s);
}

typedef struct {
    const char *isa;
    chain_fn run;
    double flops_per_iter;      /* chains * lanes * 2 */
    int supported;
} variant;

typedef struct {
    chain_fn run;
    long iters;
    pthread_barrier_t *start;
    volatile double sink;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    pthread_barrier_wait(w->start);
    w->sink = w->run(w->iters);
    return NULL;
}

/* Wall time of `threads` threads each running `iters` iterations, measured
 * from the moment all have started to the moment all have finished. */
static double timed_run(chain_fn run, long iters, int threads)
{
    pthread_t tid[64];
    worker_arg args[64];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++) {
        args[t] = (worker_arg){ .run = run, .iters = iters, .start = &start };
        pthread_create(&tid[t], NULL, worker, &args[t]);
    }
    pthread_barrier_wait(&start);
    double t0 = now_seconds();
    for (int t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    double elapsed = now_seconds() - t0;
    pthread_barrier_destroy(&start);
    return elapsed;
}

/* Best of several short runs: on a shared machine the best run is the one
 * least disturbed by other processes, which is what a peak means. */
static double measure_gflops(const variant *v, int threads, double seconds)
{
    long iters = 1000;
    while (timed_run(v->run, iters, 1) < 0.02)
        iters *= 2;
    double one = timed_run(v->run, iters, 1);
    long per_rep = (long)((double)iters * 0.1 / one) + 1;   /* ~0.1 s each */
    double best = 0, spent = 0;
    int reps = 0;
    while (spent < seconds || reps < 3) {
        double t = timed_run(v->run, per_rep, threads);
        double g = v->flops_per_iter * (double)per_rep * threads / t * 1e-9;
        if (g > best)
            best = g;
        spent += t;
        reps++;
    }
    return best;
}

int main(int argc, char **argv)
{
    int max_threads = argc > 1 ? atoi(argv[1]) : 2;
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    if (max_threads < 1 || max_threads > 64 || seconds <= 0) {
        fprintf(stderr, "usage: fma_peak [MAX_THREADS(1-64) [SECONDS]]\n");
        return 2;
    }
    __builtin_cpu_init();
    variant variants[] = {
        { "avx2", chains_avx2, AVX2_CHAINS * 8 * 2,
          __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") },
        { "avx512", chains_avx512, AVX512_CHAINS * 16 * 2,
          __builtin_cpu_supports("avx512f") },
    };
    int n_variants = (int)(sizeof variants / sizeof variants[0]);
    printf("probe,isa,threads,gflops\n");
    for (int t = 1; t <= max_threads; t++) {
        double best = 0;
        for (int v = 0; v < n_variants; v++) {
            if (!variants[v].supported)
                continue;
            double g = measure_gflops(&variants[v], t, seconds);
            printf("probe,%s,%d,%.1f\n", variants[v].isa, t, g);
            if (g > best)
                best = g;
        }
        printf("peak,best,%d,%.1f\n", t, best);
        fflush(stdout);
    }
    return 0;
}
