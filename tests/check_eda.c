/* check_eda.c - exploratory data analysis: counts and pixel statistics of
 * the real Fashion-MNIST (computed here, compared with the published
 * numbers), exact statistics of a synthetic set, and the written files. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "pictures/eda.h"
#include "pictures/eda_augment.h"
#include "pictures/plot.h"
#include "base/png.h"

#include "tmp_dir.h"

static void setup(void)
{
    tmp_dir_make("check_eda");
}

static void teardown(void)
{
    tmp_dir_remove();
    plot_release_caches();
}

static char *slurp_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s missing", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void load_real(cv_dataset *d)
{
    cv_error e;
    ck_assert_msg(dataset_load(dataset_dir(NULL), d, &e) == 0, "%s", e.msg);
}

/* ---- the real data -------------------------------------------------------- */

START_TEST(fashion_mnist_counts_and_pixels)
{
    cv_dataset d;
    eda_stats s;
    cv_error e;
    load_real(&d);
    ck_assert_msg(eda_compute(&d, &s, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(s.n_classes, 10);
    ck_assert_uint_eq(s.train.n, 60000);
    ck_assert_uint_eq(s.test.n, 10000);
    for (int k = 0; k < 10; k++) {
        ck_assert_uint_eq(s.train.class_counts[k], 6000);
        ck_assert_uint_eq(s.test.class_counts[k], 1000);
    }
    /* The widely used normalisation constants of Fashion-MNIST. */
    ck_assert_double_eq_tol(s.train.pixel_mean, 0.2860, 5e-5);
    ck_assert_double_eq_tol(s.train.pixel_std, 0.3530, 5e-5);
    uint64_t total = 0;
    for (int v = 0; v < 256; v++)
        total += s.train.histogram[v];
    ck_assert_uint_eq(total, 60000ull * 784);
    /* Trousers are thin, coats are wide: the class means differ. */
    ck_assert(s.train.class_pixel_mean[1] < s.train.class_pixel_mean[4]);
    dataset_free(&d);
}
END_TEST

/* The tables and pictures name classes through d.class_names: they must
 * follow the data set's documented label order (eda_samples.png shows
 * sneakers in row 7 and bags in row 8), and sneakers, low shoes on a black
 * background, are darker on average than bags. */
START_TEST(fashion_mnist_class_names_match_the_images)
{
    static const char *const documented[10] = {"T-shirt/top", "Trouser", "Pullover",
                                               "Dress", "Coat", "Sandal", "Shirt",
                                               "Sneaker", "Bag", "Ankle boot"};
    cv_dataset d;
    eda_stats s;
    cv_error e;
    load_real(&d);
    ck_assert_int_eq(eda_compute(&d, &s, &e), 0);
    ck_assert(s.train.class_pixel_mean[7] < s.train.class_pixel_mean[8]);
    for (int k = 0; k < 10; k++)
        ck_assert_msg(d.class_names[k] && strcmp(d.class_names[k], documented[k]) == 0,
                      "label %d is named '%s'; Fashion-MNIST calls it '%s'", k,
                      d.class_names[k] ? d.class_names[k] : "(null)", documented[k]);
    dataset_free(&d);
}
END_TEST

START_TEST(fashion_mnist_files)
{
    cv_dataset d;
    cv_error e;
    load_real(&d);
    char dir[128], path[192];
    snprintf(dir, sizeof dir, "%s/eda", tmp_dir);
    ck_assert_msg(eda_write(&d, dir, 6, 2, &e) == 0, "%s", e.msg);
    static const char *pictures[] = {"eda_samples.png", "eda_mean_images.png",
                                     "eda_class_counts.png", "eda_histogram.png"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, pictures[i]);
        cv_bitmap b;
        ck_assert_msg(cv_png_read(path, &b, &e) == 0, "%s", e.msg);
        ck_assert(b.w >= 400 && b.h >= 300 && b.channels == 3);
        cv_bitmap_free(&b);
    }
    snprintf(path, sizeof path, "%s/eda.md", dir);
    const char *md = slurp_text(path);
    ck_assert_ptr_nonnull(strstr(md, "## Exploratory data analysis"));
    ck_assert_ptr_nonnull(strstr(md, "| 0 | T-shirt/top | 6,000 | 1,000 |"));
    ck_assert_ptr_nonnull(strstr(md, "**60,000** | **10,000**"));
    ck_assert_ptr_nonnull(strstr(md, "exactly balanced"));
    for (int i = 0; i < 4; i++)
        ck_assert_msg(strstr(md, pictures[i]) != NULL, "eda.md does not link %s", pictures[i]);
    dataset_free(&d);
}
END_TEST

/* ---- synthetic sets ------------------------------------------------------- */

/* 3 classes, images 2x2: class k has k + 1 images, pixels 0 and 255. */
static uint8_t syn_images[6 * 4], syn_labels[6];
static cv_dataset syn;

static void make_synthetic(void)
{
    memset(&syn, 0, sizeof syn);
    int i = 0;
    for (int k = 0; k < 3; k++)
        for (int j = 0; j <= k; j++, i++) {
            syn_labels[i] = (uint8_t)k;
            for (int p = 0; p < 4; p++)
                syn_images[i * 4 + p] = p % 2 ? 255 : 0;
        }
    syn.train = (cv_images){6, 2, 2, 1, syn_images, syn_labels};
    syn.test = (cv_images){3, 2, 2, 1, syn_images, syn_labels};
    syn.n_classes = 3;
    static char *names[3] = {"alpha", "beta", "gamma"};
    for (int k = 0; k < 3; k++)
        syn.class_names[k] = names[k];
}

START_TEST(synthetic_exact)
{
    make_synthetic();
    eda_stats s;
    cv_error e;
    ck_assert_msg(eda_compute(&syn, &s, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(s.train.class_counts[0], 1);
    ck_assert_uint_eq(s.train.class_counts[2], 3);
    ck_assert_uint_eq(s.test.class_counts[1], 2);   /* the first 3: 0, 1, 1 */
    ck_assert_uint_eq(s.test.class_counts[2], 0);
    ck_assert_double_eq_tol(s.train.pixel_mean, 0.5, 1e-12);
    ck_assert_double_eq_tol(s.train.pixel_std, 0.5, 1e-12);
    ck_assert_uint_eq(s.train.histogram[0], 12);
    ck_assert_uint_eq(s.train.histogram[255], 12);

    char dir[128], path[192];
    snprintf(dir, sizeof dir, "%s/syn", tmp_dir);
    ck_assert_msg(eda_write(&syn, dir, 2, 3, &e) == 0, "%s", e.msg);
    snprintf(path, sizeof path, "%s/eda.md", dir);
    const char *md = slurp_text(path);
    ck_assert_ptr_nonnull(strstr(md, "### Exploratory data analysis"));
    ck_assert_ptr_nonnull(strstr(md, "not balanced: 1 to 3"));
    ck_assert_ptr_nonnull(strstr(md, "| 2 | gamma | 3 | 0 |"));
}
END_TEST

START_TEST(augmented_grid)
{
    make_synthetic();
    char dir[128], path[192];
    cv_error e;
    snprintf(dir, sizeof dir, "%s/aug", tmp_dir);
    ck_assert_msg(eda_write(&syn, dir, 2, 3, &e) == 0, "%s", e.msg);
    cv_augment a = { .shift = 1, .flip = 1 };
    ck_assert_msg(eda_write_augmented(&syn, &a, 5, dir, &e) == 0, "%s", e.msg);
    snprintf(path, sizeof path, "%s/eda_augmented.png", dir);
    cv_bitmap b;
    ck_assert_msg(cv_png_read(path, &b, &e) == 0, "%s", e.msg);
    ck_assert_int_gt(b.w, 7 * 2);   /* the original and 6 draws a row */
    cv_bitmap_free(&b);
    snprintf(path, sizeof path, "%s/eda.md", dir);
    const char *md = slurp_text(path);
    ck_assert_ptr_nonnull(strstr(md, "(crop-pad 0, shift 1, flip yes, cutout 0; seed 5)"));
    ck_assert_ptr_nonnull(strstr(md, "![augmented samples](eda_augmented.png)"));
    ck_assert_int_eq(eda_write_augmented(&syn, &a, 5, "/proc/not/here", &e), -1);
}
END_TEST

START_TEST(bad_labels_and_arguments)
{
    make_synthetic();
    syn_labels[4] = 7;
    eda_stats s;
    cv_error e;
    ck_assert_int_eq(eda_compute(&syn, &s, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "training image 4 has label 7"));
    syn_labels[4] = 2;
    ck_assert_int_eq(eda_write(&syn, tmp_dir, 0, 2, &e), -1);
    ck_assert_int_eq(eda_write(&syn, "/proc/not/here", 2, 2, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/proc/not"));
}
END_TEST

static Suite *eda_suite(void)
{
    Suite *s = suite_create("eda");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(core, 60);    /* the real data under ASan */
    tcase_add_test(core, fashion_mnist_counts_and_pixels);
    tcase_add_test(core, fashion_mnist_class_names_match_the_images);
    tcase_add_test(core, fashion_mnist_files);
    tcase_add_test(core, synthetic_exact);
    tcase_add_test(core, augmented_grid);
    tcase_add_test(limits, bad_labels_and_arguments);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(eda_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
