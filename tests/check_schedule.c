/* check_schedule.c - learning-rate schedules and early stopping against
 * values computed by hand; augmentation against known transforms and its
 * determinism by position. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/settings.h"
#include "data/augment.h"
#include "train/schedule.h"

static cv_schedule_config sched(int kind)
{
    cv_schedule_config c = schedule_defaults();
    c.kind = kind;
    return c;
}

START_TEST(constant_and_step)
{
    cv_schedule_config c = sched(CV_SCHEDULE_CONSTANT);
    cv_schedule_state s;
    schedule_state_init(&s, 0.1);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 0.1, 500, 7, 1000), 0.1, 1e-15);
    c = sched(CV_SCHEDULE_STEP);
    c.factor = 0.5;
    c.every = 3;
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 0.1, 0, 0, 100), 0.1, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 0.1, 0, 2, 100), 0.1, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 0.1, 0, 3, 100), 0.05, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 0.1, 0, 7, 100), 0.025, 1e-15);
}
END_TEST

START_TEST(cosine_with_warmup)
{
    cv_schedule_config c = sched(CV_SCHEDULE_COSINE);
    cv_schedule_state s;
    schedule_state_init(&s, 1.0);
    /* Without warm-up: 1 at step 0, 0.5 halfway, min_lr at the end. */
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 0, 0, 100), 1.0, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 50, 0, 100), 0.5, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 25, 0, 100),
                            0.5 * (1 + cos(M_PI / 4)), 1e-15);
    c.min_lr = 0.1;
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 100, 0, 100), 0.1, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 50, 0, 100), 0.55, 1e-15);
    /* 10 warm-up steps: 0.1, 0.2, ... 1.0, then the cosine over 90 steps. */
    c.min_lr = 0;
    c.warmup = 10;
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 0, 0, 100), 0.1, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 4, 0, 100), 0.5, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 9, 0, 100), 1.0, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 10, 0, 100), 1.0, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 55, 0, 100), 0.5, 1e-15);
}
END_TEST

START_TEST(plateau_as_keras)
{
    cv_schedule_config c = sched(CV_SCHEDULE_PLATEAU);
    c.factor = 0.5;
    c.patience = 2;
    c.min_lr = 0.2;
    cv_schedule_state s;
    schedule_state_init(&s, 1.0);
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 1.0), 0);      /* best 1.0 */
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 0.99995), 0);  /* < 1e-4 better: wait 1 */
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 1.2), 1);      /* wait 2: lr 0.5 */
    ck_assert_double_eq_tol(schedule_lr(&c, &s, 1.0, 0, 0, 1), 0.5, 1e-15);
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 0.5), 0);      /* better: wait 0 */
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 0.6), 0);
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 0.6), 1);      /* 0.25 */
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 0.6), 0);
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 0.6), 1);      /* floor 0.2 */
    ck_assert_double_eq_tol(s.plateau_lr, 0.2, 1e-15);
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 0.6), 0);
    ck_assert_int_eq(schedule_epoch_end(&c, &s, 0.6), 0);      /* at the floor */
    ck_assert_double_eq_tol(s.plateau_lr, 0.2, 1e-15);
}
END_TEST

START_TEST(early_stopping_as_keras)
{
    cv_schedule_state s;
    schedule_state_init(&s, 1.0);
    ck_assert_int_eq(early_stop_epoch_end(&s, 2, 1, 0.9), 1);
    ck_assert_int_eq(early_stop_epoch_end(&s, 2, 2, 0.8), 1);
    ck_assert_int_eq(early_stop_epoch_end(&s, 2, 3, 0.8), 0);  /* not lower */
    ck_assert_uint_eq(s.stopped, 0);
    ck_assert_int_eq(early_stop_epoch_end(&s, 2, 4, 0.85), 0);
    ck_assert_uint_eq(s.stopped, 1);
    ck_assert_uint_eq(s.best_epoch, 2);
    ck_assert_double_eq_tol(s.best_loss, 0.8, 1e-15);
    /* Patience 0: off. */
    schedule_state_init(&s, 1.0);
    ck_assert_int_eq(early_stop_epoch_end(&s, 0, 1, 0.9), 0);
    ck_assert_uint_eq(s.best_epoch, 0);
}
END_TEST

START_TEST(settings_words_and_keys)
{
    double v;
    char msg[128];
    ck_assert_int_eq(setting_parse_word(SETTING_SCHEDULE, "cosine", &v, msg, sizeof msg), 0);
    ck_assert_double_eq(v, CV_SCHEDULE_COSINE);
    ck_assert_int_eq(setting_parse_word(SETTING_SCHEDULE, "linear", &v, msg, sizeof msg), -1);
    ck_assert_str_eq(msg, "'linear' is not one of constant, step, cosine or plateau");
    ck_assert_int_eq(setting_of_key("lr_factor"), SETTING_LR_FACTOR);
    ck_assert_int_eq(setting_of_key("early_stop"), SETTING_EARLY_STOP);
    ck_assert_int_eq(setting_of_key("lr-factor"), -1);
    ck_assert_int_eq(setting_of_key("beta1"), -1);
    ck_assert_int_eq(setting_check(SETTING_LR_FACTOR, 1.0), -1);
    ck_assert_int_eq(setting_check(SETTING_LR_FACTOR, 0.5), 0);
    ck_assert_int_eq(setting_is_switch(SETTING_FLIP), 1);
    ck_assert_int_eq(setting_switch_value(SETTING_SHUFFLE), 0);
    ck_assert_int_eq(setting_is_switch(SETTING_SHIFT), 0);
}
END_TEST

/* ---- augmentation ------------------------------------------------------- */

/* A 4x5 two-channel image: pixel (y, x) channel c is 100 y + 10 x + c + 1. */
static void ramp(float *x)
{
    for (int y = 0; y < 4; y++)
        for (int i = 0; i < 5; i++)
            for (int c = 0; c < 2; c++)
                x[(y * 5 + i) * 2 + c] = (float)(100 * y + 10 * i + c + 1);
}

/* Source pixel of output (y, x): -1 for zero fill. */
static int source_of(const float *x, int y, int i)
{
    float v = x[(y * 5 + i) * 2];
    return v == 0 ? -1 : (int)v - 1;
}

START_TEST(shift_flip_and_cutout_are_what_they_say)
{
    float x[40], scratch[40];
    int seen_shift = 0, seen_flip = 0;
    for (uint64_t seed = 0; seed < 64; seed++) {
        /* A shift: the image moves as a whole by at most 2, zero filled. */
        cv_augment a = { .shift = 2 };
        ramp(x);
        augment_image(&a, seed, x, 4, 5, 2, scratch);
        int dy = 99, dx = 99;
        for (int y = 0; y < 4; y++)
            for (int i = 0; i < 5; i++) {
                int src = source_of(x, y, i);
                ck_assert_float_eq(x[(y * 5 + i) * 2 + 1], src < 0 ? 0.0f : (float)src + 2.0f);
                if (src < 0)
                    continue;
                int sy = src / 100, sx = src / 10 % 10;
                if (dy == 99)
                    dy = y - sy, dx = i - sx;
                ck_assert_int_eq(y - sy, dy);
                ck_assert_int_eq(i - sx, dx);
            }
        if (dy != 99) {
            ck_assert(abs(dy) <= 2 && abs(dx) <= 2);
            seen_shift |= dy != 0 || dx != 0;
        }
        /* A flip mirrors every row, or leaves the image alone. */
        cv_augment f = { .flip = 1 };
        ramp(x);
        augment_image(&f, seed, x, 4, 5, 2, scratch);
        int flipped = source_of(x, 0, 0) == 40;
        for (int y = 0; y < 4; y++)
            for (int i = 0; i < 5; i++)
                ck_assert_int_eq(source_of(x, y, i), 100 * y + 10 * (flipped ? 4 - i : i));
        seen_flip |= flipped;
        /* Cutout zeroes one square of at most 3x3 and nothing else. */
        cv_augment c = { .cutout = 3 };
        ramp(x);
        augment_image(&c, seed, x, 4, 5, 2, scratch);
        int zeros = 0;
        for (int y = 0; y < 4; y++)
            for (int i = 0; i < 5; i++) {
                int src = source_of(x, y, i);
                zeros += src < 0;
                ck_assert(src < 0 || src == 100 * y + 10 * i);
            }
        ck_assert(zeros >= 1 && zeros <= 9);
    }
    ck_assert(seen_shift && seen_flip);
}
END_TEST

START_TEST(crop_with_padding_is_a_bounded_shift)
{
    float x[40], scratch[40];
    int max_seen = 0;
    for (uint64_t seed = 0; seed < 200; seed++) {
        cv_augment a = { .crop_pad = 1 };
        ramp(x);
        augment_image(&a, seed, x, 4, 5, 2, scratch);
        /* Pixel (1, 1) comes from (1 - dy, 1 - dx) with |d| <= 1. */
        int src = source_of(x, 1, 1);
        ck_assert(src >= 0);
        int dy = 1 - src / 100, dx = 1 - src / 10 % 10;
        ck_assert(abs(dy) <= 1 && abs(dx) <= 1);
        max_seen |= (dy == -1) | (dy == 1) << 1 | (dx == -1) << 2 | (dx == 1) << 3;
    }
    ck_assert_int_eq(max_seen, 15);     /* every extreme is drawn */
}
END_TEST

START_TEST(determined_by_position)
{
    float a[40], b[40], scratch[40];
    cv_augment all = { .crop_pad = 1, .shift = 1, .flip = 1, .cutout = 2 };
    /* The same (seed, epoch, position): the same image, whoever computes it. */
    ramp(a);
    ramp(b);
    augment_image(&all, augment_seed(7, 3, 12), a, 4, 5, 2, scratch);
    augment_image(&all, augment_seed(7, 3, 12), b, 4, 5, 2, scratch);
    ck_assert_mem_eq(a, b, sizeof a);
    /* Another position, epoch or seed: another draw (for most seeds). */
    int differ = 0;
    for (uint64_t pos = 0; pos < 16; pos++) {
        ramp(b);
        augment_image(&all, augment_seed(7, 3, 13 + pos), b, 4, 5, 2, scratch);
        differ += memcmp(a, b, sizeof a) != 0;
    }
    ck_assert_int_ge(differ, 12);
    ck_assert_uint_ne(augment_seed(7, 3, 12), augment_seed(7, 4, 12));
    ck_assert_uint_ne(augment_seed(7, 3, 12), augment_seed(8, 3, 12));
    /* Nothing asked: nothing changes. */
    cv_augment none = { 0 };
    ramp(a);
    ramp(b);
    augment_image(&none, 1, a, 4, 5, 2, scratch);
    ck_assert_mem_eq(a, b, sizeof a);
}
END_TEST

static Suite *schedule_suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *core = tcase_create("core");
    tcase_add_test(core, constant_and_step);
    tcase_add_test(core, cosine_with_warmup);
    tcase_add_test(core, plateau_as_keras);
    tcase_add_test(core, early_stopping_as_keras);
    tcase_add_test(core, settings_words_and_keys);
    tcase_add_test(core, shift_flip_and_cutout_are_what_they_say);
    tcase_add_test(core, crop_with_padding_is_a_bounded_shift);
    tcase_add_test(core, determined_by_position);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(schedule_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
