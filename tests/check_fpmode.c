/* check_fpmode.c - subnormal floats are flushed to zero on every thread of
 * the pool and on the thread that asks for it, and nowhere else. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "base/fpmode.h"
#include "base/threads.h"

/* 1e-30 * 1e-10 = 1e-40 is below FLT_MIN (1.18e-38): subnormal.  volatile
 * keeps the compiler from folding the product at build time. */
static float subnormal_product(void)
{
    volatile float a = 1e-30f, b = 1e-10f;
    return a * b;
}

/* A subnormal input: 1e-40 * 1 stays 1e-40 unless inputs read as zero. */
static float subnormal_input(void)
{
    volatile float s = 1e-40f, one = 1.0f;
    return s * one;
}

static void *plain_thread(void *out)
{
    *(float *)out = subnormal_product();
    return NULL;
}

START_TEST(a_new_thread_keeps_subnormals)
{
    /* The test below could not fail if subnormals never occurred here. */
    float got = 0;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, plain_thread, &got), 0);
    pthread_join(t, NULL);
    ck_assert(got > 0.0f);
}
END_TEST

static void *flushing_thread(void *out)
{
    cv_flush_denormals();
    ((float *)out)[0] = subnormal_product();
    ((float *)out)[1] = subnormal_input();
    return NULL;
}

START_TEST(flush_sets_ftz_and_daz)
{
    float got[2] = { 1, 1 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, flushing_thread, got), 0);
    pthread_join(t, NULL);
    ck_assert(got[0] == 0.0f);
    ck_assert(got[1] == 0.0f);
}
END_TEST

static atomic_int nonzero_workers;

static void probe(void *arg, int thread, int n_threads)
{
    (void)arg;
    (void)n_threads;
    if (thread > 0 && (subnormal_product() != 0.0f || subnormal_input() != 0.0f))
        atomic_fetch_add(&nonzero_workers, 1);
}

START_TEST(pool_workers_flush)
{
    cv_error e = { 0 };
    cv_pool *p = pool_create(3, &e);
    ck_assert_ptr_nonnull(p);
    atomic_store(&nonzero_workers, 0);
    pool_run(p, probe, NULL);
    int nonzero = atomic_load(&nonzero_workers);
    ck_assert_int_eq(nonzero, 0);
    pool_destroy(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fpmode");
    TCase *core = tcase_create("core");
    tcase_add_test(core, a_new_thread_keeps_subnormals);
    tcase_add_test(core, flush_sets_ftz_and_daz);
    tcase_add_test(core, pool_workers_flush);
    suite_add_tcase(s, core);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
