/* check_rng.c - the generator, permutations and Glorot initialization. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fixtures/fixture_models.h"
#include "train/init.h"
#include "base/rng.h"

START_TEST(same_seed_same_stream)
{
    cv_rng a, b, c;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = rng_next(&a);
        ck_assert_uint_eq(x, rng_next(&b));
        differ += x != rng_next(&c);
    }
    ck_assert_int_gt(differ, 95);
}
END_TEST

START_TEST(float_in_unit_interval)
{
    cv_rng r;
    rng_seed(&r, 7);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        float f = rng_float(&r);
        ck_assert(f >= 0.0f && f < 1.0f);
        sum += f;
    }
    ck_assert_double_eq_tol(sum / 100000, 0.5, 0.01);
}
END_TEST

START_TEST(below_is_in_range_and_uniform)
{
    cv_rng r;
    rng_seed(&r, 9);
    int counts[7] = { 0 };
    for (int i = 0; i < 70000; i++) {
        uint64_t k = rng_below(&r, 7);
        ck_assert_uint_lt(k, 7);
        counts[k]++;
    }
    for (int k = 0; k < 7; k++)
        ck_assert_int_lt(abs(counts[k] - 10000), 500);
    ck_assert_uint_eq(rng_below(&r, 1), 0);
}
END_TEST

START_TEST(permutation_is_a_permutation)
{
    cv_rng r;
    rng_seed(&r, 3);
    uint32_t p[1000];
    int seen[1000] = { 0 };
    rng_permutation(&r, p, 1000);
    int moved = 0;
    for (int i = 0; i < 1000; i++) {
        ck_assert_uint_lt(p[i], 1000);
        seen[p[i]]++;
        moved += p[i] != (uint32_t)i;
    }
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved, 900);
}
END_TEST

START_TEST(mix3_separates_inputs)
{
    ck_assert_uint_ne(rng_mix3(1, 0, 0), rng_mix3(1, 0, 1));
    ck_assert_uint_ne(rng_mix3(1, 0, 1), rng_mix3(1, 1, 0));
    ck_assert_uint_ne(rng_mix3(1, 2, 3), rng_mix3(2, 2, 3));
    ck_assert_uint_eq(rng_mix3(5, 6, 7), rng_mix3(5, 6, 7));
}
END_TEST

START_TEST(glorot_uniform_bounds_and_zero_bias)
{
    const convc_model *m = &fixture_mlp_model;
    float *p = malloc(m->n_params * sizeof *p);
    cv_rng r;
    rng_seed(&r, 1);
    init_params(m, p, &r);
    for (int t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        double limit = sqrt(6.0 / (ts->fan_in + ts->fan_out)), sum = 0, sq = 0, max = 0;
        for (size_t i = 0; i < ts->count; i++) {
            double v = p[ts->offset + i];
            sum += v;
            sq += v * v;
            max = fabs(v) > max ? fabs(v) : max;
        }
        if (ts->init == CONVC_INIT_ZEROS) {
            ck_assert_double_eq_tol(max, 0, 1e-30);
            continue;
        }
        ck_assert_double_le(max, limit);
        ck_assert_double_gt(max, 0.9 * limit);
        /* Uniform(-a, a): mean 0, variance a^2 / 3. */
        ck_assert_double_eq_tol(sum / ts->count, 0, limit * 0.1);
        ck_assert_double_eq_tol(sq / ts->count, limit * limit / 3, limit * limit * 0.1);
    }
    free(p);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *core = tcase_create("core");
    tcase_add_test(core, same_seed_same_stream);
    tcase_add_test(core, float_in_unit_interval);
    tcase_add_test(core, below_is_in_range_and_uniform);
    tcase_add_test(core, permutation_is_a_permutation);
    tcase_add_test(core, mix3_separates_inputs);
    tcase_add_test(core, glorot_uniform_bounds_and_zero_bias);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(rng_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
