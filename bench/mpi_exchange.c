/* mpi_exchange.c - the cost per training step of the MPI trainer's gradient
 * exchange (make bench, bench/mpi.sh): K slices of N floats, this process's
 * tree nodes presummed, gathered between the processes, the tree finished
 * and the own slices zeroed, as runtime/train/train.c does each batch.
 *   mpirun -np P mpi_exchange N K STEPS
 * Rank 0 prints "P,N,K,wall microseconds per step,its CPU microseconds per
 * step" (on a busy machine the CPU time shows the work, the wall time also
 * the waits for the other processes). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "train/exchange.h"
#include "train/slices.h"

#define CHUNK 2048       /* floats: UPDATE_CHUNK of runtime/train/train.c */

static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    cv_exchange *x = exchange_open(&argc, &argv);
    if (!x || argc != 4) {
        fprintf(stderr, "usage: mpirun -np P %s N K STEPS (an MPI build)\n", argv[0]);
        exchange_close(x, 1);
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10);
    int K = atoi(argv[2]), steps = atoi(argv[3]), first, end;
    cv_error e;
    cv_slices *s = slices_new(n, K, x, &e);
    if (!s || K < x->size || steps < 1) {
        fprintf(stderr, "mpi_exchange: %s\n", s ? "need K >= processes, STEPS >= 1" : e.msg);
        exchange_close(x, 1);
        return 1;
    }
    slices_own(s, &first, &end);
    double t0 = 0, cpu0 = 0;
    for (int i = -10; i < steps; i++) {         /* 10 warm-up steps */
        if (i == 0) {
            x->max_int(x, 0);                   /* start together */
            t0 = now(CLOCK_MONOTONIC);
            cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
        }
        for (int k = first; k < end; k++)
            for (size_t j = 0; j < n; j += 64)
                slices_grads(s)[k][j] = 1.0f;   /* as a backward pass writes them */
        /* In chunks that stay in L1, as the trainer's phases run. */
        for (size_t c = 0; c < n; c += CHUNK)
            slices_presum(s, c, n - c < CHUNK ? n : c + CHUNK);
        slices_exchange(s);
        for (size_t c = 0; c < n; c += CHUNK) {
            slices_finish(s, c, n - c < CHUNK ? n : c + CHUNK);
            slices_zero(s, c, n - c < CHUNK ? n : c + CHUNK);
        }
    }
    double us = 1e6 * (now(CLOCK_MONOTONIC) - t0) / steps;
    double cpu_us = 1e6 * (now(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / steps;
    if (x->rank == 0)
        printf("%d,%zu,%d,%.1f,%.1f\n", x->size, n, K, us, cpu_us);
    slices_free(s);
    exchange_close(x, 0);
    return 0;
}
