/* check_train.c - the training loop on a small synthetic data set:
 * determinism, the batch-mean gradient, exact resume, NaN handling, stop
 * signals, validation split, and the thread pool. */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "train/checkpoint.h"
#include "train/eval.h"
#include "fixtures/fixture_models.h"
#include "base/rng.h"
#include "base/threads.h"
#include "train/train.h"

#define N_TRAIN 200
#define N_TEST 100
#define SIDE 28

static cv_dataset data;
static char dir[64], ckpt[128];

/* Class k lights rows 2k..2k+3; noise elsewhere. */
static void fill(cv_images *im, size_t n, uint64_t seed)
{
    cv_rng r;
    rng_seed(&r, seed);
    im->n = n;
    im->h = im->w = SIDE;
    im->c = 1;
    im->images = malloc(n * SIDE * SIDE);
    im->labels = malloc(n);
    for (size_t i = 0; i < n; i++) {
        int k = (int)(i % 10);
        im->labels[i] = (uint8_t)k;
        for (int p = 0; p < SIDE * SIDE; p++) {
            int row = p / SIDE;
            int on = row >= 2 * k && row < 2 * k + 4;
            im->images[i * SIDE * SIDE + p] = (uint8_t)(on ? 200 : rng_below(&r, 60));
        }
    }
}

static void setup(void)
{
    memset(&data, 0, sizeof data);
    fill(&data.train, N_TRAIN, 1);
    fill(&data.test, N_TEST, 2);
    data.n_classes = 10;
    strcpy(dir, "/tmp/check_train.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(ckpt, sizeof ckpt, "%s/run.ckpt", dir);
}

static void teardown(void)
{
    dataset_free(&data);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static cv_train_config config(int threads)
{
    cv_train_config c = train_defaults();
    c.epochs = 2;
    c.batch = 16;
    c.threads = threads;
    c.quiet = 1;
    return c;
}

/* Trains from scratch; returns the final parameters (caller frees). */
static float *train(const convc_model *m, const cv_train_config *c)
{
    cv_train_state st;
    cv_error e;
    ck_assert_int_eq(train_state_new(&st, m, c, &e), 0);
    int rc = train_run(m, &data, c, &st, &e);
    ck_assert_msg(rc == TRAIN_FINISHED, "%s", e.msg);
    float *p = malloc(m->n_params * sizeof *p);
    memcpy(p, st.params, m->n_params * sizeof *p);
    train_state_free(&st);
    return p;
}

START_TEST(same_seed_same_bits)
{
    const convc_model *m = &fixture_mlp_model;
    cv_train_config c = config(3);
    float *a = train(m, &c), *b = train(m, &c);
    ck_assert_mem_eq(a, b, m->n_params * sizeof *a);
    c.seed = 2;
    float *d = train(m, &c);
    ck_assert_int_ne(memcmp(a, d, m->n_params * sizeof *a), 0);
    free(a);
    free(b);
    free(d);
}
END_TEST

START_TEST(learns_the_synthetic_task)
{
    const convc_model *m = &fixture_softmax_model;
    cv_train_config c = config(2);
    c.epochs = 3;
    float *p = train(m, &c);
    cv_pool *pool = pool_create(2, NULL);
    cv_eval r;
    cv_error e;
    ck_assert_int_eq(eval_images(m, pool, p, &data.test, 0, N_TEST, &r, &e), 0);
    ck_assert_double_gt(r.accuracy, 0.95);
    ck_assert_double_lt(r.loss, 0.5);
    uint64_t total = 0;
    for (int k = 0; k < 100; k++)
        total += r.confusion[k];
    ck_assert_uint_eq(total, N_TEST);
    ck_assert_double_gt(eval_class_accuracy(&r, 3), 0.8);
    /* Evaluation does not depend on the thread count. */
    cv_pool *one = pool_create(1, NULL);
    cv_eval r1;
    ck_assert_int_eq(eval_images(m, one, p, &data.test, 0, N_TEST, &r1, &e), 0);
    ck_assert_mem_eq(&r.loss, &r1.loss, sizeof r.loss);
    ck_assert_mem_eq(r.confusion, r1.confusion, 100 * sizeof *r.confusion);
    eval_free(&r);
    eval_free(&r1);
    pool_destroy(pool);
    pool_destroy(one);
    free(p);
}
END_TEST

/* One SGD step on one batch must equal params - lr * (summed gradient / n). */
static void check_batch_mean(int threads)
{
    const convc_model *m = &fixture_softmax_model;
    cv_train_config c = config(threads);
    c.epochs = 1;
    c.batch = 24;
    c.limit_train = 24;
    c.shuffle = 0;
    c.optim = optim_defaults(OPTIM_SGD);
    c.optim.lr = 0.5;
    cv_train_state st;
    cv_error e;
    ck_assert_int_eq(train_state_new(&st, m, &c, &e), 0);
    size_t P = m->n_params;
    float *p0 = malloc(P * sizeof *p0), *g = calloc(P, sizeof *g);
    memcpy(p0, st.params, P * sizeof *p0);
    float *x = malloc(24 * 784 * sizeof *x), *work = malloc(convc_work_floats(m, 24) * 4),
          *probs = malloc(24 * 10 * sizeof *probs);
    uint8_t labels[24];
    dataset_gather(&data.train, NULL, 0, 24, x, labels);
    m->forward(p0, work, x, 24, probs, NULL);
    m->backward(p0, g, work, x, labels, 24);
    ck_assert_int_eq(train_run(m, &data, &c, &st, &e), TRAIN_FINISHED);
    double max_diff = 0;
    for (size_t i = 0; i < P; i++) {
        double want = p0[i] - 0.5 * (g[i] / 24.0);
        double d = fabs(want - st.params[i]);
        max_diff = d > max_diff ? d : max_diff;
    }
    ck_assert_msg(max_diff < 1e-6, "threads %d: largest difference %g", threads, max_diff);
    train_state_free(&st);
    free(p0);
    free(g);
    free(x);
    free(work);
    free(probs);
}

START_TEST(gradient_is_the_batch_mean)
{
    check_batch_mean(1);
    check_batch_mean(2);
    check_batch_mean(5);
}
END_TEST

START_TEST(resume_mid_epoch_is_exact)
{
    const convc_model *m = &fixture_mlp_model;
    cv_train_config c = config(2);
    c.epochs = 3;
    float *want = train(m, &c);
    for (long stop_at = 1; stop_at < 40; stop_at += 7) {
        cv_train_config first = c;
        first.save_path = ckpt;
        first.steps = stop_at;
        cv_train_state st;
        cv_error e;
        ck_assert_int_eq(train_state_new(&st, m, &first, &e), 0);
        ck_assert_int_eq(train_run(m, &data, &first, &st, &e), TRAIN_STEPS_DONE);
        train_state_free(&st);
        cv_train_config second = c;
        second.save_path = ckpt;
        ck_assert_msg(train_state_resume(&st, m, &second, ckpt, &e) == 0, "%s", e.msg);
        ck_assert_int_eq(train_run(m, &data, &second, &st, &e), TRAIN_FINISHED);
        ck_assert_msg(memcmp(st.params, want, m->n_params * sizeof *want) == 0,
                      "stopped after %ld steps: weights differ", stop_at);
        train_state_free(&st);
    }
    free(want);
}
END_TEST

static atomic_int backward_calls;
static int nan_at_call;

static double nan_backward(const float *params, float *grads, float *work, const float *x,
                           const uint8_t *labels, int n)
{
    double loss = fixture_softmax_model.backward(params, grads, work, x, labels, n);
    return atomic_fetch_add(&backward_calls, 1) + 1 == nan_at_call ? NAN : loss;
}

START_TEST(nan_loss_stops_and_keeps_the_checkpoint)
{
    convc_model m = fixture_softmax_model;
    m.backward = nan_backward;
    cv_train_config c = config(1);
    c.save_path = ckpt;
    c.save_every = 2;
    atomic_store(&backward_calls, 0);
    /* epoch 2 (13 batches an epoch), batch 8: a backward call per slice */
    nan_at_call = c.workers * (13 + 7) + 1;
    cv_train_state st;
    cv_error e;
    ck_assert_int_eq(train_state_new(&st, &m, &c, &e), 0);
    ck_assert_int_eq(train_run(&m, &data, &c, &st, &e), -1);
    ck_assert_msg(strstr(e.msg, "epoch 2, batch 8") != NULL, "%s", e.msg);
    ck_assert_ptr_nonnull(strstr(e.msg, "NaN"));
    train_state_free(&st);
    cv_ckpt_state cs;
    ck_assert_int_eq(ckpt_peek(ckpt, &m, &cs, &e), 0);
    ck_assert_uint_eq(cs.epoch, 1);
    ck_assert_uint_eq(cs.batch_pos, 7);   /* step 20: the last save before the NaN */
}
END_TEST

START_TEST(stop_signal_saves_and_returns)
{
    const convc_model *m = &fixture_softmax_model;
    volatile sig_atomic_t flag = SIGTERM;
    cv_train_config c = config(2);
    c.save_path = ckpt;
    c.stop_signal = &flag;
    cv_train_state st;
    cv_error e;
    ck_assert_int_eq(train_state_new(&st, m, &c, &e), 0);
    ck_assert_int_eq(train_run(m, &data, &c, &st, &e), TRAIN_INTERRUPTED);
    train_state_free(&st);
    cv_ckpt_state cs;
    ck_assert_int_eq(ckpt_peek(ckpt, m, &cs, &e), 0);
    ck_assert_uint_eq(cs.epoch, 0);
    ck_assert_uint_eq(cs.batch_pos, 0);
    ck_assert_uint_eq(cs.step, 0);
}
END_TEST

START_TEST(validation_split_takes_the_end)
{
    const convc_model *m = &fixture_softmax_model;
    cv_train_config c = config(2);
    c.epochs = 1;
    c.val_split = 0.25;
    c.save_path = ckpt;
    cv_train_state st;
    cv_error e;
    ck_assert_int_eq(train_state_new(&st, m, &c, &e), 0);
    ck_assert_int_eq(train_run(m, &data, &c, &st, &e), TRAIN_FINISHED);
    cv_ckpt_state cs;
    ck_assert_int_eq(ckpt_peek(ckpt, m, &cs, &e), 0);
    ck_assert_uint_eq(cs.n_train, 150);
    ck_assert_uint_eq(cs.step, 10);       /* ceil(150 / 16) */
    train_state_free(&st);
    /* A resumed run must train on the same images. */
    c.val_split = 0.5;
    ck_assert_int_eq(train_state_resume(&st, m, &c, ckpt, &e), 0);
    c.epochs = 2;
    ck_assert_int_eq(train_run(m, &data, &c, &st, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "150"));
    train_state_free(&st);
}
END_TEST

START_TEST(wrong_optimizer_on_resume)
{
    const convc_model *m = &fixture_softmax_model;
    cv_train_config c = config(1);
    c.epochs = 1;
    c.save_path = ckpt;
    free(train(m, &c));
    cv_train_state st;
    cv_error e;
    c.optim = optim_defaults(OPTIM_MOMENTUM);
    ck_assert_int_eq(train_state_resume(&st, m, &c, ckpt, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "optimizer"));
}
END_TEST

typedef struct {
    atomic_int calls;
    long sums[16];
} pool_job;

static void pool_task(void *arg, int t, int n)
{
    pool_job *j = arg;
    atomic_fetch_add(&j->calls, 1);
    for (long i = t; i < 100000; i += n)
        j->sums[t] += i;
}

START_TEST(pool_runs_every_thread_each_time)
{
    for (int n = 1; n <= 5; n++) {
        cv_pool *p = pool_create(n, NULL);
        ck_assert_int_eq(pool_size(p), n);
        for (int round = 0; round < 500; round++) {
            pool_job j;
            memset(&j, 0, sizeof j);
            pool_run(p, pool_task, &j);
            ck_assert_int_eq(atomic_load(&j.calls), n);
            long total = 0;
            for (int t = 0; t < n; t++)
                total += j.sums[t];
            ck_assert_int_eq(total, 99999L * 100000L / 2);
        }
        pool_destroy(p);
    }
    ck_assert_int_ge(threads_online(), 1);
}
END_TEST

static Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, same_seed_same_bits);
    tcase_add_test(core, learns_the_synthetic_task);
    tcase_add_test(core, gradient_is_the_batch_mean);
    tcase_add_test(core, resume_mid_epoch_is_exact);
    tcase_add_test(core, pool_runs_every_thread_each_time);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, nan_loss_stops_and_keeps_the_checkpoint);
    tcase_add_test(limits, stop_signal_saves_and_returns);
    tcase_add_test(limits, validation_split_takes_the_end);
    tcase_add_test(limits, wrong_optimizer_on_resume);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(train_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
