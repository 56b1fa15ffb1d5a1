/* threads.c - the worker pool: a generation counter announces work, a
 * pending counter reports completion. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/threads.h"
#include "base/fpmode.h"

/* Spin iterations before sleeping (a few to a few tens of microseconds):
 * long enough to cover the serial gap between two phases of a batch, short
 * enough not to steal a core from a thread that was descheduled. */
#ifndef POOL_SPIN
#define POOL_SPIN 1000
#endif

struct cv_pool {
    int n;
    pthread_t *tids;
    pthread_mutex_t mu;
    pthread_cond_t start_cv, done_cv;
    atomic_uint generation;
    atomic_int pending;
    atomic_int quit;
    cv_task fn;
    void *arg;
};

typedef struct {
    cv_pool *pool;
    int index;
} worker_arg;

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *worker_main(void *p)
{
    worker_arg *wa = p;
    cv_pool *pool = wa->pool;
    int index = wa->index;
    free(wa);
    cv_flush_denormals();
    unsigned seen = 0;
    for (;;) {
        for (int k = 0; k < POOL_SPIN && atomic_load(&pool->generation) == seen; k++)
            cpu_relax();
        if (atomic_load(&pool->generation) == seen) {
            pthread_mutex_lock(&pool->mu);
            while (atomic_load(&pool->generation) == seen)
                pthread_cond_wait(&pool->start_cv, &pool->mu);
            pthread_mutex_unlock(&pool->mu);
        }
        seen = atomic_load(&pool->generation);
        if (atomic_load(&pool->quit))
            return NULL;
        pool->fn(pool->arg, index, pool->n);
        if (atomic_fetch_sub(&pool->pending, 1) == 1) {
            pthread_mutex_lock(&pool->mu);
            pthread_cond_signal(&pool->done_cv);
            pthread_mutex_unlock(&pool->mu);
        }
    }
}

int threads_online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

cv_pool *pool_create(int n, cv_error *e)
{
    if (n < 1)
        n = 1;
    cv_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->tids = calloc((size_t)n, sizeof *p->tids))) {
        free(p);
        cv_fail(e, "thread pool: out of memory");
        return NULL;
    }
    p->n = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    for (int i = 1; i < n; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        int rc = wa ? 0 : -1;
        if (wa) {
            wa->pool = p;
            wa->index = i;
            rc = pthread_create(&p->tids[i], NULL, worker_main, wa);
            if (rc != 0)
                free(wa);
        }
        if (rc != 0) {
            p->n = i;   /* only the started ones are joined */
            pool_destroy(p);
            cv_fail(e, "thread pool: cannot start thread %d of %d: %s", i + 1, n,
                    rc > 0 ? strerror(rc) : "out of memory");
            return NULL;
        }
    }
    return p;
}

int pool_size(const cv_pool *p)
{
    return p->n;
}

void pool_run(cv_pool *p, cv_task fn, void *arg)
{
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store(&p->pending, p->n - 1);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->generation, 1);
    pthread_cond_broadcast(&p->start_cv);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    for (int k = 0; k < POOL_SPIN && atomic_load(&p->pending) > 0; k++)
        cpu_relax();
    if (atomic_load(&p->pending) > 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->pending) > 0)
            pthread_cond_wait(&p->done_cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

void pool_destroy(cv_pool *p)
{
    if (!p)
        return;
    if (p->n > 1) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->quit, 1);
        atomic_fetch_add(&p->generation, 1);
        pthread_cond_broadcast(&p->start_cv);
        pthread_mutex_unlock(&p->mu);
        for (int i = 1; i < p->n; i++)
            pthread_join(p->tids[i], NULL);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start_cv);
    pthread_cond_destroy(&p->done_cv);
    free(p->tids);
    free(p);
}
