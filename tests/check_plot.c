/* check_plot.c - every chart: the file is a valid PNG of the expected size,
 * something was drawn (in more than one colour), the same input gives the
 * same bytes, and bad arguments fail with a message and no file. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pictures/canvas.h"
#include "pictures/plot.h"
#include "base/png.h"

#include "tmp_dir.h"

static void make_tmp(void)
{
    tmp_dir_make("check_plot");
}

static void remove_tmp(void)
{
    tmp_dir_remove();
    plot_release_caches();  /* fork mode: each test is its own process */
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    ck_assert_ptr_nonnull(fa);
    ck_assert_ptr_nonnull(fb);
    int ca, cb, same = 1;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        same = ca == cb;
    } while (same && ca != EOF);
    fclose(fa);
    fclose(fb);
    return same;
}

/* Reads path back: valid PNG, w x h (0: any), RGB; counts distinct colours
 * among a sample of pixels (white background + at least some ink). */
static void check_picture(const char *path, int w, int h)
{
    cv_bitmap b;
    cv_error e;
    ck_assert_msg(cv_png_read(path, &b, &e) == 0, "%s", e.msg);
    if (w)
        ck_assert_int_eq(b.w, w);
    if (h)
        ck_assert_int_eq(b.h, h);
    ck_assert_int_eq(b.channels, 3);
    size_t n = (size_t)b.w * b.h, ink = 0, coloured = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = b.px + 3 * i;
        ink += p[0] < 200 || p[1] < 200 || p[2] < 200;
        coloured += abs(p[0] - p[1]) > 40 || abs(p[1] - p[2]) > 40;
    }
    ck_assert_msg(ink > n / 200, "%s: almost blank (%zu dark pixels)", path, ink);
    ck_assert_msg(coloured > 0, "%s: no colour at all", path);
    /* The top-left corner is margin: white. */
    ck_assert_int_eq(b.px[0], 255);
    cv_bitmap_free(&b);
}

/* ---- fixtures: one call per chart kind, used twice for determinism ------- */

static const char *const classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                        "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                                        "Ankle boot"};

static int draw_lines(const char *path, cv_error *e)
{
    static double epoch[10], loss[2][10], acc[2][10];
    for (int i = 0; i < 10; i++) {
        epoch[i] = i + 1;
        loss[0][i] = 0.6 * exp(-0.2 * i) + 0.2;
        loss[1][i] = loss[0][i] + 0.05;
        acc[0][i] = 0.8 + 0.01 * i;
        acc[1][i] = i == 4 ? NAN : acc[0][i] - 0.02;    /* a gap */
    }
    plot_series l[2] = {{"train", 10, epoch, loss[0], -1, 0, 1, NULL, NULL},
                        {"test", 10, epoch, loss[1], -1, 1, 1, NULL, NULL}};
    plot_series a[2] = {{"train", 10, epoch, acc[0], 0, 0, 0, NULL, NULL},
                        {"test", 10, epoch, acc[1], 0, 1, 0, NULL, NULL}};
    plot_panel p[2] = {{"Loss", "Epoch", "Loss", 2, l, 1},
                       {"Accuracy", "Epoch", "Accuracy", 2, a, 1}};
    return plot_lines(path, "Training curves", 2, p, e);
}

static int draw_confusion(const char *path, cv_error *e)
{
    long counts[100];
    for (int t = 0; t < 10; t++)
        for (int p = 0; p < 10; p++)
            counts[t * 10 + p] = t == p ? 900 : (t + p) % 4 * 8;
    return plot_confusion(path, "Confusion", 10, classes, counts, e);
}

static int draw_scatter(const char *path, cv_error *e)
{
    double x[4] = {101770, 220234, 253514, 303434}, y[4] = {0.886, 0.917, 0.907, 0.914};
    double sd[4] = {0.004, 0.003, 0, 0.006};
    const char *labels[4] = {"baseline", "cnn_k3", "cnn_k5", "cnn_k7"};
    return plot_scatter_labeled(path, "Parameters vs accuracy", "Parameters", "Accuracy", 4,
                                x, y, sd, labels, PLOT_LOG_X, e);
}

static int draw_bars(const char *path, cv_error *e)
{
    double v[20];
    for (int i = 0; i < 10; i++)
        v[i] = 6000, v[10 + i] = 1000;
    const char *series[2] = {"train", "test"};
    return plot_bars(path, "Images per class", "Images", 10, classes, 2, series, v, e);
}

static int draw_histogram(const char *path, cv_error *e)
{
    double counts[256];
    for (int i = 0; i < 256; i++)
        counts[i] = i == 0 ? 2.3e7 : 5e4 + 100.0 * i;
    return plot_histogram(path, "Pixels", "Pixel value", "Pixels", 256, 0, 256, counts,
                          PLOT_LOG_Y, e);
}

typedef int (*draw_fn)(const char *path, cv_error *e);
static const struct {
    draw_fn draw;
    int w, h;
} charts[] = {
    {draw_lines, 1280, 476},
    {draw_confusion, 0, 0},     /* sized by its labels */
    {draw_scatter, 700, 476},
    {draw_bars, 0, 0},
    {draw_histogram, 640, 476},
};

/* ---- core ---------------------------------------------------------------- */

START_TEST(valid_png_of_expected_size)
{
    cv_error e;
    ck_assert_msg(charts[_i].draw(tmp_path("a.png"), &e) == 0, "%s", e.msg);
    check_picture(tmp_path("a.png"), charts[_i].w, charts[_i].h);
}
END_TEST

START_TEST(deterministic_bytes)
{
    cv_error e;
    ck_assert_msg(charts[_i].draw(tmp_path("1.png"), &e) == 0, "%s", e.msg);
    ck_assert_msg(charts[_i].draw(tmp_path("2.png"), &e) == 0, "%s", e.msg);
    ck_assert(same_file(tmp_path("1.png"), tmp_path("2.png")));
}
END_TEST

START_TEST(ticks_and_their_labels)
{
    double t[16], step;
    int n = nice_ticks(0.78, 0.92, 6, t, 16, &step);
    ck_assert_double_eq_tol(step, 0.02, 1e-12);
    ck_assert_int_eq(n, 8);
    ck_assert_double_eq_tol(t[0], 0.78, 1e-12);
    n = nice_ticks(-0.4, 0.4, 5, t, 16, &step);
    ck_assert_double_eq(t[n / 2], 0);   /* exactly 0, not -1e-17 */

    static const struct {
        double v, step;
        const char *want;
    } cases[] = {
        {200000, 200000, "200k"}, {1e7, 1e7, "10M"}, {2500, 500, "2500"},
        {0.05, 0.05, "0.05"}, {0.9, 0.02, "0.90"}, {-0.2, 0.2, "-0.2"}, {3, 1, "3"},
        {150000, 50000, "150k"}, {1.5e6, 5e5, "1.5M"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        format_tick(cases[i].v, cases[i].step, buf, sizeof buf);
        ck_assert_str_eq(buf, cases[i].want);
    }
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

START_TEST(bad_arguments_fail_without_a_file)
{
    cv_error e = {""};
    const char *path = tmp_path("bad.png");
    double x[2] = {1, 2}, y[2] = {1, -1};
    plot_series s = {"s", 2, x, y, -1, 0, 0, NULL, NULL};
    plot_panel p = {NULL, "x", "y", 1, &s, 0};
    long counts[4] = {1, -2, 3, 4};
    const char *names[2] = {"a", "b"};
    double bins[2] = {1, -1};

    ck_assert_int_eq(plot_lines(path, NULL, 0, &p, &e), -1);
    ck_assert_int_eq(plot_lines(path, NULL, 5, &p, &e), -1);
    ck_assert_int_eq(plot_confusion(path, NULL, 2, names, counts, &e), -1);
    ck_assert_int_eq(plot_confusion(path, NULL, 1, names, counts, &e), -1);
    ck_assert_int_eq(plot_scatter_labeled(path, NULL, "x", "y", 2, x, y, NULL, NULL,
                                          PLOT_LOG_Y, &e), -1);
    ck_assert_int_eq(plot_scatter_labeled(path, NULL, "x", "y", 2, x, x, y, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "error bar"));
    ck_assert_int_eq(plot_bars(path, NULL, "y", 2, names, 1, NULL, bins, &e), -1);
    ck_assert_int_eq(plot_histogram(path, NULL, "x", "y", 2, 0, 1, bins, 0, &e), -1);
    ck_assert_int_eq(plot_histogram(path, NULL, "x", "y", 2, 1, 1, x, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "bad.png"));
    ck_assert_int_ne(access(path, F_OK), 0);

    ck_assert_int_eq(plot_scatter_labeled("/nonexistent/dir/s.png", NULL, "x", "y", 2, x, x,
                                          NULL, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/dir/s.png"));
}
END_TEST

START_TEST(degenerate_data_still_draws)
{
    cv_error e;
    double x[1] = {3}, y[1] = {0.5}, nan_y[2] = {NAN, NAN}, x2[2] = {1, 2};
    plot_series one = {"only point", 1, x, y, -1, 0, 0, NULL, NULL};
    plot_series none = {"all missing", 2, x2, nan_y, -1, 0, 0, NULL, NULL};
    plot_panel p[2] = {{"One point", "x", "y", 1, &one, 1},
                       {"No finite point", "x", "y", 1, &none, 0}};
    ck_assert_msg(plot_lines(tmp_path("d.png"), NULL, 2, p, &e) == 0, "%s", e.msg);
    double zeros[3] = {0, 0, 0};
    ck_assert_msg(plot_histogram(tmp_path("h.png"), NULL, "x", "y", 3, 0, 3, zeros,
                                 PLOT_LOG_Y, &e) == 0, "%s", e.msg);
    long empty_row[4] = {0, 0, 5, 5};
    const char *names[2] = {"a", "b"};
    ck_assert_msg(plot_confusion(tmp_path("c.png"), NULL, 2, names, empty_row, &e) == 0,
                  "%s", e.msg);
}
END_TEST

/* The share of pixels in colour (not white, grey or black). */
static double coloured_share(const char *path)
{
    cv_bitmap b;
    cv_error e;
    ck_assert_msg(cv_png_read(path, &b, &e) == 0, "%s", e.msg);
    size_t n = (size_t)b.w * b.h, coloured = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = b.px + 3 * i;
        coloured += p[0] != p[1] || p[1] != p[2];
    }
    cv_bitmap_free(&b);
    return (double)coloured / (double)n;
}

/* A band (a spread over seeds) shades the area from band_lo to band_hi in
 * the series' colour; without one only the line is in colour.  A band over
 * the whole y range shades most of the plot area. */
START_TEST(bands_shade_the_spread)
{
    double x[10], y[10], lo[10], hi[10];
    for (int i = 0; i < 10; i++) {
        x[i] = i + 1;
        y[i] = 0.5;
        lo[i] = i == 6 ? NAN : 0;       /* a gap splits the band in two */
        hi[i] = 1;
    }
    plot_series bare = {NULL, 10, x, y, 0, 0, 0, NULL, NULL};
    plot_series band = {NULL, 10, x, y, 0, 0, 0, lo, hi};
    plot_panel p = {NULL, "epoch", "accuracy", 1, &bare, 1};
    cv_error e;
    ck_assert_msg(plot_lines(tmp_path("bare.png"), NULL, 1, &p, &e) == 0, "%s", e.msg);
    p.series = &band;
    ck_assert_msg(plot_lines(tmp_path("band.png"), NULL, 1, &p, &e) == 0, "%s", e.msg);
    double without = coloured_share(tmp_path("bare.png"));
    double with = coloured_share(tmp_path("band.png"));
    ck_assert_msg(without < 0.03, "a line alone colours %.3f of the picture", without);
    ck_assert_msg(with > 0.4, "the band colours only %.3f of the picture", with);
}
END_TEST

static Suite *plot_suite(void)
{
    Suite *s = suite_create("plot");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits");
    tcase_add_checked_fixture(core, make_tmp, remove_tmp);
    tcase_add_checked_fixture(limits, make_tmp, remove_tmp);
    int n = (int)(sizeof charts / sizeof charts[0]);
    tcase_add_loop_test(core, valid_png_of_expected_size, 0, n);
    tcase_add_loop_test(core, deterministic_bytes, 0, n);
    tcase_add_test(core, ticks_and_their_labels);
    tcase_add_test(core, bands_shade_the_spread);
    tcase_add_test(limits, bad_arguments_fail_without_a_file);
    tcase_add_test(limits, degenerate_data_still_draws);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(plot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
