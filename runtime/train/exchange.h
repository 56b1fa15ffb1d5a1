/* exchange.h - the processes of one data-parallel training run, through the
 * few operations the trainer needs.  They only move bytes: every sum is
 * done by the trainer in an order fixed by --workers (grad_tree.h), so a
 * run gives the same bits for any number of processes.
 *
 * The default build links exchange_single.c (one process: exchange_open
 * returns NULL); `make MODEL=x MPI=1` links exchange_mpi.c instead, whose
 * definitions come first on the link line, so the archive's are never
 * used.  Both files define exactly the two functions below. */
#ifndef CONVC_EXCHANGE_H
#define CONVC_EXCHANGE_H

typedef struct cv_exchange cv_exchange;

struct cv_exchange {
    int rank, size;             /* this process, and how many there are */
    /* In place: process p contributes buf[displ[p] .. displ[p] + count[p]),
     * and afterwards every process has every part. */
    void (*gather_floats)(const cv_exchange *x, float *buf, const int *count,
                          const int *displ);
    void (*gather_doubles)(const cv_exchange *x, double *buf, const int *count,
                           const int *displ);
    /* The largest of every process's v (exact: integers). */
    int (*max_int)(const cv_exchange *x, int v);
};

/* The run's processes, or NULL for a run of one process without MPI. */
cv_exchange *exchange_open(int *argc, char ***argv);
/* Ends the run's communication; a nonzero status on one process of
 * several stops them all (none is left waiting for it). */
void exchange_close(cv_exchange *x, int status);

#endif
