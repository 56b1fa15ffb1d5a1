/* exchange_mpi.c - the processes of a training run over MPI (exchange.h),
 * linked by `make MODEL=x MPI=1` in place of exchange_single.c.  MPI only
 * moves bytes here: gathers in place and the maximum of an integer, both
 * exact whatever algorithm the library picks. */
#include <mpi.h>
#include <stdlib.h>
#include "train/exchange.h"

static void gather_floats(const cv_exchange *x, float *buf, const int *count,
                          const int *displ)
{
    (void)x;
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, count, displ, MPI_FLOAT,
                   MPI_COMM_WORLD);
}

static void gather_doubles(const cv_exchange *x, double *buf, const int *count,
                           const int *displ)
{
    (void)x;
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, count, displ, MPI_DOUBLE,
                   MPI_COMM_WORLD);
}

static int max_int(const cv_exchange *x, int v)
{
    (void)x;
    int out = v;
    MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

static cv_exchange run = { 0, 1, gather_floats, gather_doubles, max_int };

cv_exchange *exchange_open(int *argc, char ***argv)
{
    /* Only the main thread calls MPI; the pool's threads never do. */
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &run.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &run.size);
    return &run;
}

void exchange_close(cv_exchange *x, int status)
{
    if (!x)
        return;
    if (status && x->size > 1)
        MPI_Abort(MPI_COMM_WORLD, status);  /* no process waits for this one */
    MPI_Finalize();
}
