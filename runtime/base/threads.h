/* threads.h - a persistent pool of worker threads.  The trainer runs two
 * short parallel phases per mini-batch, so handing out work must cost
 * microseconds: workers spin briefly before sleeping on a condition
 * variable, and the calling thread works as thread 0. */
#ifndef CONVC_THREADS_H
#define CONVC_THREADS_H

#include "base/error.h"

typedef struct cv_pool cv_pool;

/* fn(arg, thread, n_threads) runs once on every thread of the pool. */
typedef void (*cv_task)(void *arg, int thread, int n_threads);

/* Online CPU cores (at least 1). */
int threads_online(void);
/* A pool of n threads in all, the caller included (n - 1 are started). */
cv_pool *pool_create(int n, cv_error *e);
int pool_size(const cv_pool *p);
/* Runs fn on all threads and returns when every one has finished. */
void pool_run(cv_pool *p, cv_task fn, void *arg);
void pool_destroy(cv_pool *p);

#endif
