/* check_optim.c - optimizer steps against values computed by hand. */
#include <check.h>
#include <stdlib.h>
#include "train/optim.h"
#include "fixtures/fixture_models.h"

/* Runs `steps` updates of one parameter starting at 1.0 with gradient g. */
static float run(int kind, double lr, float g, int steps)
{
    cv_optim_config c = optim_defaults(kind);
    if (lr > 0)
        c.lr = lr;
    cv_optimizer o;
    cv_error e;
    ck_assert_int_eq(optim_init(&o, &c, 1, &e), 0);
    float p = 1.0f;
    for (int i = 0; i < steps; i++) {
        optim_begin_step(&o);
        optim_apply(&o, &p, &g, 1.0f, 0, 1);
    }
    optim_free(&o);
    return p;
}

START_TEST(keras_defaults)
{
    cv_optim_config a = optim_defaults(OPTIM_ADAM);
    ck_assert_double_eq_tol(a.lr, 0.001, 1e-15);
    ck_assert_double_eq_tol(a.beta1, 0.9, 1e-15);
    ck_assert_double_eq_tol(a.beta2, 0.999, 1e-15);
    ck_assert_double_eq_tol(a.epsilon, 1e-7, 1e-20);
    ck_assert_double_eq_tol(optim_defaults(OPTIM_SGD).lr, 0.01, 1e-15);
    ck_assert_double_eq_tol(optim_defaults(OPTIM_MOMENTUM).momentum, 0.9, 1e-15);
    ck_assert_int_eq(optim_parse_kind("nesterov"), OPTIM_NESTEROV);
    ck_assert_int_eq(optim_parse_kind("adamw"), OPTIM_ADAMW);
    ck_assert_int_eq(optim_parse_kind("adagrad"), -1);
    ck_assert_double_eq_tol(optim_defaults(OPTIM_ADAMW).weight_decay, 0.01, 1e-15);
    ck_assert_double_eq_tol(optim_defaults(OPTIM_ADAMW).lr, 0.001, 1e-15);
    ck_assert_double_eq(optim_defaults(OPTIM_ADAM).weight_decay, 0);
    ck_assert_str_eq(optim_kind_name(OPTIM_ADAM), "adam");
}
END_TEST

START_TEST(sgd_step)
{
    /* 1 - 0.01 * 0.5 */
    ck_assert_float_eq_tol(run(OPTIM_SGD, 0, 0.5f, 1), 0.995f, 1e-7f);
    ck_assert_float_eq_tol(run(OPTIM_SGD, 0.1, 0.5f, 2), 0.9f, 1e-6f);
}
END_TEST

START_TEST(momentum_steps)
{
    /* v1 = -0.005, p = 0.995; v2 = 0.9 * -0.005 - 0.005 = -0.0095, p = 0.9855 */
    ck_assert_float_eq_tol(run(OPTIM_MOMENTUM, 0, 0.5f, 1), 0.995f, 1e-7f);
    ck_assert_float_eq_tol(run(OPTIM_MOMENTUM, 0, 0.5f, 2), 0.9855f, 1e-6f);
}
END_TEST

START_TEST(nesterov_steps)
{
    /* v1 = -0.005, p += 0.9 * v1 - 0.005 -> 0.9905;
     * v2 = -0.0095, p += 0.9 * v2 - 0.005 -> 0.97695 */
    ck_assert_float_eq_tol(run(OPTIM_NESTEROV, 0, 0.5f, 1), 0.9905f, 1e-6f);
    ck_assert_float_eq_tol(run(OPTIM_NESTEROV, 0, 0.5f, 2), 0.97695f, 1e-6f);
}
END_TEST

START_TEST(adam_steps)
{
    /* Step 1: m = 0.05, v = 0.00025, alpha = 0.001 * sqrt(0.001) / 0.1;
     * alpha * m / (sqrt(v) + 1e-7) = 0.00099999368 -> p = 0.99900000632.
     * Step 2: m = 0.095, v = 0.00049975, alpha = 0.001 * sqrt(0.001999) / 0.19
     * = 0.000235317; update 0.000999995 -> p = 0.998000011. */
    ck_assert_float_eq_tol(run(OPTIM_ADAM, 0, 0.5f, 1), 0.99900000632f, 2e-7f);
    ck_assert_float_eq_tol(run(OPTIM_ADAM, 0, 0.5f, 2), 0.998000011f, 3e-7f);
    /* A first step moves every parameter by about lr, whatever the gradient. */
    ck_assert_float_eq_tol(run(OPTIM_ADAM, 0, -2.0f, 1), 1.001f, 2e-7f);
    /* The scale multiplies the gradient: Adam's first step ignores it, SGD's not. */
    {
        cv_optim_config c = optim_defaults(OPTIM_SGD);
        cv_optimizer o;
        cv_error e;
        ck_assert_int_eq(optim_init(&o, &c, 1, &e), 0);
        float p = 1.0f, g = 0.5f;
        optim_begin_step(&o);
        optim_apply(&o, &p, &g, 0.25f, 0, 1);
        ck_assert_float_eq_tol(p, 1.0f - 0.01f * 0.125f, 1e-7f);
        optim_free(&o);
    }
    /* A zero gradient moves nothing. */
    ck_assert_float_eq_tol(run(OPTIM_ADAM, 0, 0.0f, 3), 1.0f, 1e-9f);
}
END_TEST

/* One step of `kind` with weight decay wd on two parameters (1.0 each,
 * gradient 0.5), the second one excluded from decay. */
static void decay_step(int kind, double wd, float out[2])
{
    cv_optim_config c = optim_defaults(kind);
    c.weight_decay = wd;
    cv_optimizer o;
    cv_error e;
    ck_assert_int_eq(optim_init(&o, &c, 2, &e), 0);
    o.decay = calloc(2, 1);
    o.decay[0] = 1;
    float g[2] = { 0.5f, 0.5f };
    out[0] = out[1] = 1.0f;
    optim_begin_step(&o);
    optim_apply(&o, out, g, 1.0f, 0, 2);
    optim_free(&o);
}

START_TEST(weight_decay)
{
    float p[2];
    /* SGD with L2: 1 - 0.01 * (0.5 + 0.1 * 1) = 0.994; excluded: 0.995. */
    decay_step(OPTIM_SGD, 0.1, p);
    ck_assert_float_eq_tol(p[0], 0.994f, 1e-7f);
    ck_assert_float_eq_tol(p[1], 0.995f, 1e-7f);
    /* Momentum's first step is SGD's. */
    decay_step(OPTIM_MOMENTUM, 0.1, p);
    ck_assert_float_eq_tol(p[0], 0.994f, 1e-7f);
    /* AdamW (torch's form): 1 * (1 - 0.001 * 0.1) = 0.9999, then m = 0.05,
     * v = 0.00025, p -= 0.001 / 0.1 * 0.05 / (sqrt(0.00025 / 0.001) + 1e-7)
     * = 0.0009999998 -> 0.9989000002; excluded: 0.9990000002. */
    decay_step(OPTIM_ADAMW, 0.1, p);
    ck_assert_float_eq_tol(p[0], 0.9989000002f, 1e-7f);
    ck_assert_float_eq_tol(p[1], 0.9990000002f, 1e-7f);
    /* Adam with L2 decay moves by about lr whatever the gradient. */
    decay_step(OPTIM_ADAM, 0.1, p);
    ck_assert_float_eq_tol(p[0], 0.99900000632f, 2e-7f);
    /* Without decay, adamw's first step is the same: no shrinking. */
    decay_step(OPTIM_ADAMW, 0, p);
    ck_assert_float_eq_tol(p[0], 0.9990000002f, 1e-7f);
}
END_TEST

START_TEST(decay_skips_vectors)
{
    /* fixture_tiny_model: a 2x3 kernel decays, its bias of 3 not. */
    const convc_model *m = &fixture_tiny_model;
    cv_optim_config c = optim_defaults(OPTIM_ADAMW);
    cv_optimizer o;
    cv_error e;
    ck_assert_int_eq(optim_init(&o, &c, m->n_params, &e), 0);
    ck_assert_int_eq(optim_set_decay(&o, m, 0, &e), 0);
    for (int t = 0; t < m->n_tensors; t++)
        for (size_t i = 0; i < m->tensors[t].count; i++)
            ck_assert_int_eq(o.decay[m->tensors[t].offset + i], m->tensors[t].rank >= 2);
    ck_assert_int_eq(optim_set_decay(&o, m, 1, &e), 0);
    ck_assert_ptr_null(o.decay);
    ck_assert_int_eq(optim_set_decay(&o, m, 0, &e), 0);
    ck_assert_int_eq(o.decay[0] + o.decay[5], 2);
    ck_assert_int_eq(o.decay[6] + o.decay[8], 0);
    optim_free(&o);
}
END_TEST

START_TEST(ranges_are_independent)
{
    cv_optim_config c = optim_defaults(OPTIM_ADAM);
    cv_optimizer whole, split;
    cv_error e;
    float p1[8], p2[8], g[8];
    for (int i = 0; i < 8; i++) {
        p1[i] = p2[i] = (float)i * 0.1f;
        g[i] = (float)(i - 4) * 0.3f;
    }
    ck_assert_int_eq(optim_init(&whole, &c, 8, &e), 0);
    ck_assert_int_eq(optim_init(&split, &c, 8, &e), 0);
    for (int s = 0; s < 3; s++) {
        optim_begin_step(&whole);
        optim_apply(&whole, p1, g, 0.5f, 0, 8);
        optim_begin_step(&split);
        optim_apply(&split, p2, g, 0.5f, 0, 3);
        optim_apply(&split, p2, g, 0.5f, 3, 8);
    }
    ck_assert_mem_eq(p1, p2, sizeof p1);
    ck_assert_uint_eq(whole.step, 3);
    optim_free(&whole);
    optim_free(&split);
}
END_TEST

static Suite *optim_suite(void)
{
    Suite *s = suite_create("optim");
    TCase *core = tcase_create("core");
    tcase_add_test(core, keras_defaults);
    tcase_add_test(core, weight_decay);
    tcase_add_test(core, decay_skips_vectors);
    tcase_add_test(core, sgd_step);
    tcase_add_test(core, momentum_steps);
    tcase_add_test(core, nesterov_steps);
    tcase_add_test(core, adam_steps);
    tcase_add_test(core, ranges_are_independent);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(optim_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
