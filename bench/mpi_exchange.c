/* mpi_exchange.c - the cost per training step of the MPI trainer's gradient
 * exchange (make bench, bench/mpi.sh): K slices of N floats, this process's
 * tree nodes presummed, gathered between the processes, the tree finished
 * and the own slices zeroed, as runtime/train/train.c does each batch.
 *   mpirun -np P mpi_exchange N K STEPS
 * Rank 0 prints "P,N,K,microseconds per step". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "train/exchange.h"
#include "train/slices.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
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
    double t0 = 0;
    for (int i = -10; i < steps; i++) {         /* 10 warm-up steps */
        if (i == 0) {
            x->max_int(x, 0);                   /* start together */
            t0 = now();
        }
        for (int k = first; k < end; k++)
            for (size_t j = 0; j < n; j += 64)
                slices_grads(s)[k][j] = 1.0f;   /* as a backward pass writes them */
        slices_presum(s, 0, n);
        slices_exchange(s);
        slices_finish(s, 0, n);
        slices_zero(s, 0, n);
    }
    double us = 1e6 * (now() - t0) / steps;
    if (x->rank == 0)
        printf("%d,%zu,%d,%.1f\n", x->size, n, K, us);
    slices_free(s);
    exchange_close(x, 0);
    return 0;
}
