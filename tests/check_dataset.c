/* check_dataset.c - data set loading: files found raw or gzipped, counts
 * agreeing, class names, the missing-data message, size checks against a
 * model, and normalization. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "data/dataset.h"
#include "fixtures/fixture_models.h"
#include "train/train.h"

static char root[64], dir[128];

/* Writes DIR/NAME as an IDX file of n items with the given dims. */
static void write_idx(const char *name, int rank, const uint32_t *dims, uint8_t fill)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    uint8_t h[4] = { 0, 0, 8, (uint8_t)rank };
    fwrite(h, 1, 4, f);
    size_t total = 1;
    for (int i = 0; i < rank; i++) {
        uint8_t d[4] = { (uint8_t)(dims[i] >> 24), (uint8_t)(dims[i] >> 16),
                         (uint8_t)(dims[i] >> 8), (uint8_t)dims[i] };
        fwrite(d, 1, 4, f);
        total *= dims[i];
    }
    for (size_t i = 0; i < total; i++)
        fputc(rank == 1 ? (int)(i % 10) : (int)((fill + i) & 0xff), f);
    fclose(f);
}

static void write_set(const char *prefix, uint32_t n_images, uint32_t n_labels, uint32_t side)
{
    char name[64];
    uint32_t idims[3] = { n_images, side, side }, ldims[1] = { n_labels };
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    write_idx(name, 3, idims, 0);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    write_idx(name, 1, ldims, 0);
}

static void setup(void)
{
    strcpy(root, "/tmp/check_dataset.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(dir, sizeof dir, "%s/fashion-small", root);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(loads_a_small_set)
{
    write_set("train", 20, 20, 28);
    write_set("t10k", 10, 10, 28);
    cv_dataset d;
    cv_error e;
    ck_assert_msg(dataset_load(dir, &d, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(d.train.n, 20);
    ck_assert_uint_eq(d.test.n, 10);
    ck_assert_int_eq(d.train.h, 28);
    ck_assert_int_eq(d.train.c, 1);
    ck_assert_int_eq(d.n_classes, 10);
    ck_assert_str_eq(d.class_names[0], "T-shirt/top");
    ck_assert_str_eq(d.class_names[7], "Sneaker");   /* the data set's own labels */
    ck_assert_str_eq(d.class_names[8], "Bag");
    ck_assert_str_eq(d.class_names[9], "Ankle boot");
    ck_assert_int_eq(train_check_data(&fixture_mlp_model, &d, dir, &e), 0);
    dataset_free(&d);
}
END_TEST

START_TEST(classes_txt_names_classes)
{
    write_set("train", 20, 20, 28);
    write_set("t10k", 10, 10, 28);
    char path[256];
    snprintf(path, sizeof path, "%s/classes.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("zero\none\n", f);
    fclose(f);
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load(dir, &d, &e), 0);
    ck_assert_str_eq(d.class_names[1], "one");
    ck_assert_str_eq(d.class_names[2], "2");    /* too few lines: numbers */
    dataset_free(&d);
}
END_TEST

START_TEST(classes_txt_long_line_is_refused)
{
    /* 256 bytes: fgets would have made two names of it, shifting the rest. */
    write_set("train", 20, 20, 28);
    write_set("t10k", 10, 10, 28);
    char path[256], want[512], name[257];
    snprintf(path, sizeof path, "%s/classes.txt", dir);
    memset(name, 'x', 256);
    name[256] = 0;
    FILE *f = fopen(path, "w");
    fprintf(f, "zero\r\n%s\ntwo\n", name);
    fclose(f);
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load(dir, &d, &e), -1);
    snprintf(want, sizeof want, "%s:2: class name is 256 bytes long (at most 255)", path);
    ck_assert_str_eq(e.msg, want);
    /* 255 bytes and a CRLF line end are fine. */
    name[255] = 0;
    f = fopen(path, "w");
    fprintf(f, "zero\r\n%s\r\ntwo", name);
    fclose(f);
    ck_assert_msg(dataset_load(dir, &d, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(d.class_names[0], "zero");
    ck_assert_str_eq(d.class_names[1], name);
    ck_assert_str_eq(d.class_names[2], "two");
    dataset_free(&d);
}
END_TEST

START_TEST(count_mismatch_names_both_files)
{
    write_set("train", 20, 19, 28);
    write_set("t10k", 10, 10, 28);
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load(dir, &d, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "train-labels-idx1-ubyte"));
    ck_assert_ptr_nonnull(strstr(e.msg, "train-images-idx3-ubyte"));
    ck_assert_ptr_nonnull(strstr(e.msg, "19 labels"));
}
END_TEST

START_TEST(missing_directory_names_package_and_flag)
{
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load("/nonexistent/data", &d, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "dataset-fashion-mnist"));
    ck_assert_ptr_nonnull(strstr(e.msg, "--data"));
    ck_assert_ptr_nonnull(strstr(e.msg, "CONVC_DATA"));
}
END_TEST

START_TEST(missing_file_is_named)
{
    write_set("train", 20, 20, 28);
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load(dir, &d, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "t10k-images-idx3-ubyte"));
}
END_TEST

START_TEST(wrong_image_size_names_model_and_data)
{
    write_set("train", 20, 20, 32);
    write_set("t10k", 10, 10, 32);
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load(dir, &d, &e), 0);
    ck_assert_int_eq(train_check_data(&fixture_mlp_model, &d, dir, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "32x32x1"));
    ck_assert_ptr_nonnull(strstr(e.msg, "28x28x1"));
    ck_assert_ptr_nonnull(strstr(e.msg, "fixture_mlp"));
    dataset_free(&d);
}
END_TEST

START_TEST(train_and_test_sizes_must_agree)
{
    write_set("train", 20, 20, 28);
    write_set("t10k", 10, 10, 27);
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load(dir, &d, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "27x27x1"));
}
END_TEST

START_TEST(dir_flag_then_env_then_default)
{
    unsetenv(DATASET_ENV);
    ck_assert_str_eq(dataset_dir(NULL), DATASET_DEFAULT_DIR);
    setenv(DATASET_ENV, "/env/dir", 1);
    ck_assert_str_eq(dataset_dir(NULL), "/env/dir");
    ck_assert_str_eq(dataset_dir("/flag/dir"), "/flag/dir");
    unsetenv(DATASET_ENV);
}
END_TEST

START_TEST(gather_normalizes)
{
    uint8_t images[8] = { 0, 255, 51, 102, 1, 2, 3, 4 }, labels[2] = { 3, 7 };
    cv_images im = { .n = 2, .h = 2, .w = 2, .c = 1, .images = images, .labels = labels };
    float x[8];
    uint8_t l[2];
    uint32_t order[2] = { 1, 0 };
    dataset_gather(&im, order, 0, 2, x, l);
    ck_assert_int_eq(l[0], 7);
    ck_assert_int_eq(l[1], 3);
    ck_assert_float_eq_tol(x[4], 0.0f, 1e-9f);
    ck_assert_float_eq_tol(x[5], 1.0f, 1e-9f);
    ck_assert_float_eq_tol(x[6], 0.2f, 1e-7f);
    dataset_gather(&im, NULL, 1, 1, x, l);
    ck_assert_int_eq(l[0], 7);
    ck_assert_float_eq_tol(x[0], 1.0f / 255.0f, 1e-9f);
}
END_TEST

static Suite *dataset_suite(void)
{
    Suite *s = suite_create("dataset");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, loads_a_small_set);
    tcase_add_test(core, classes_txt_names_classes);
    tcase_add_test(core, classes_txt_long_line_is_refused);
    tcase_add_test(core, dir_flag_then_env_then_default);
    tcase_add_test(core, gather_normalizes);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, count_mismatch_names_both_files);
    tcase_add_test(limits, missing_directory_names_package_and_flag);
    tcase_add_test(limits, missing_file_is_named);
    tcase_add_test(limits, wrong_image_size_names_model_and_data);
    tcase_add_test(limits, train_and_test_sizes_must_agree);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(dataset_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
