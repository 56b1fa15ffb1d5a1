/* check_image_folder.c - data sets from PNG class folders and CIFAR-10
 * binary files, generated here: layouts, class names, the seeded split,
 * the cache and its invalidation, and every refusal naming its file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/png.h"
#include "data/cifar.h"
#include "data/dataset.h"
#include "tmp_dir.h"

/* A w x h PNG of `channels` at tmp_dir/rel, every pixel `v` (RGB: v, v+1,
 * v+2). */
static void png_at(const char *rel, int w, int h, int channels, uint8_t v)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", tmp_dir, rel);
    for (char *p = dir + strlen(tmp_dir) + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0755);
            *p = '/';
        }
    cv_bitmap b;
    cv_error e;
    ck_assert_int_eq(cv_bitmap_alloc(&b, w, h, channels, &e), 0);
    for (int i = 0; i < w * h * channels; i++)
        b.px[i] = (uint8_t)(v + i % channels);
    ck_assert_msg(cv_png_write(tmp_path(rel), &b, &e) == 0, "%s", e.msg);
    cv_bitmap_free(&b);
}

static void text_at(const char *rel, const char *text)
{
    FILE *f = fopen(tmp_path(rel), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    tmp_dir_make("check_folder");
}

static void teardown(void)
{
    tmp_dir_remove();
}

/* dataset_load_with on tmp_dir fails with "<tmp_dir>/<detail>". */
static void expect_error(const cv_data_options *o, const char *detail)
{
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load_with(tmp_dir, o, &d, &e), -1);
    char want[512];
    snprintf(want, sizeof want, "%s/%s", tmp_dir, detail);
    ck_assert_str_eq(e.msg, want);
}

START_TEST(train_and_test_folders)
{
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "train/cat/%d.png", i);
        png_at(name, 5, 4, 3, 10);
        snprintf(name, sizeof name, "train/dog/%d.png", i);
        png_at(name, 5, 4, 3, 100);
    }
    png_at("test/dog/a.png", 5, 4, 3, 100);
    text_at("train/.hidden", "ignored");
    cv_dataset d;
    cv_error e;
    ck_assert_msg(dataset_load(tmp_dir, &d, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(d.format, "PNG folders");
    ck_assert_int_eq(d.n_classes, 2);
    ck_assert_str_eq(d.class_names[0], "cat");
    ck_assert_str_eq(d.class_names[1], "dog");
    ck_assert_uint_eq(d.train.n, 6);
    ck_assert_uint_eq(d.test.n, 1);
    ck_assert_int_eq(d.train.h, 4);
    ck_assert_int_eq(d.train.w, 5);
    ck_assert_int_eq(d.train.c, 3);
    ck_assert_int_eq(d.from_cache, 0);
    /* Class by class, HWC pixels. */
    ck_assert_uint_eq(d.train.labels[0], 0);
    ck_assert_uint_eq(d.train.labels[5], 1);
    ck_assert_uint_eq(d.train.images[0], 10);
    ck_assert_uint_eq(d.train.images[2], 12);
    ck_assert_uint_eq(d.test.labels[0], 1);
    ck_assert_uint_eq(d.test.images[1], 101);
    dataset_free(&d);
    /* Again: from the cache, the same images. */
    ck_assert_msg(dataset_load(tmp_dir, &d, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(d.from_cache, 1);
    ck_assert_uint_eq(d.train.n, 6);
    ck_assert_uint_eq(d.train.images[2], 12);
    ck_assert_uint_eq(d.test.labels[0], 1);
    dataset_free(&d);
    /* eval and predict get the folder names without the images. */
    char *names[2];
    ck_assert_int_eq(dataset_class_names(tmp_dir, 2, names, &e), 0);
    ck_assert_str_eq(names[1], "dog");
    free(names[0]);
    free(names[1]);
}
END_TEST

START_TEST(cache_follows_the_folder)
{
    png_at("a/1.png", 3, 3, 1, 1);
    png_at("a/2.png", 3, 3, 1, 2);
    png_at("b/1.png", 3, 3, 1, 3);
    png_at("b/2.png", 3, 3, 1, 4);
    cv_data_options o = dataset_default_options();
    o.test_split = 0.5;
    cv_dataset d;
    cv_error e;
    ck_assert_msg(dataset_load_with(tmp_dir, &o, &d, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(d.train.n + d.test.n, 4);
    dataset_free(&d);
    ck_assert_int_eq(access(tmp_path(".convc-cache"), F_OK), 0);
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &d, &e), 0);
    ck_assert_int_eq(d.from_cache, 1);
    dataset_free(&d);
    /* A file added: rebuilt. */
    png_at("b/3.png", 3, 3, 1, 5);
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &d, &e), 0);
    ck_assert_int_eq(d.from_cache, 0);
    ck_assert_uint_eq(d.train.n + d.test.n, 5);
    dataset_free(&d);
    /* A file touched (another modification time): rebuilt. */
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &d, &e), 0);
    ck_assert_int_eq(d.from_cache, 1);
    dataset_free(&d);
    struct timespec t[2] = { { 1, 0 }, { 1, 0 } };
    ck_assert_int_eq(utimensat(AT_FDCWD, tmp_path("a/1.png"), t, 0), 0);
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &d, &e), 0);
    ck_assert_int_eq(d.from_cache, 0);
    dataset_free(&d);
    /* Other options: rebuilt. */
    o.test_split = 0.3;
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &d, &e), 0);
    ck_assert_int_eq(d.from_cache, 0);
    dataset_free(&d);
    /* The same folder under another name: the cache still holds. */
    char other[256];
    snprintf(other, sizeof other, "%s/./", tmp_dir);
    ck_assert_int_eq(dataset_load_with(other, &o, &d, &e), 0);
    ck_assert_int_eq(d.from_cache, 1);
    dataset_free(&d);
    /* A corrupt cache is rebuilt, never trusted. */
    text_at(".convc-cache", "CVCACHE1 and then nothing");
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &d, &e), 0);
    ck_assert_int_eq(d.from_cache, 0);
    dataset_free(&d);
}
END_TEST

START_TEST(split_is_seeded_and_per_class)
{
    char name[64];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "x/%02d.png", i);
        png_at(name, 2, 2, 1, (uint8_t)i);
        snprintf(name, sizeof name, "y/%02d.png", i);
        png_at(name, 2, 2, 1, (uint8_t)(100 + i));
    }
    cv_data_options o = dataset_default_options();
    o.test_split = 0.3;
    cv_dataset a, b;
    cv_error e;
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &a, &e), 0);
    ck_assert_int_eq(unlink(tmp_path(".convc-cache")), 0);
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &b, &e), 0);
    ck_assert_int_eq(b.from_cache, 0);
    /* 3 of each class's 10, the same ones every time. */
    ck_assert_uint_eq(a.test.n, 6);
    ck_assert_uint_eq(a.train.n, 14);
    ck_assert_mem_eq(a.test.images, b.test.images, 6 * 4);
    int per_class[2] = { 0, 0 };
    for (size_t i = 0; i < a.test.n; i++)
        per_class[a.test.labels[i]]++;
    ck_assert_int_eq(per_class[0], 3);
    ck_assert_int_eq(per_class[1], 3);
    dataset_free(&a);
    dataset_free(&b);
}
END_TEST

START_TEST(resize_option_resamples)
{
    png_at("train/k/a.png", 8, 8, 1, 200);
    png_at("train/k/b.png", 4, 6, 1, 50);
    png_at("train/k/c.png", 2, 2, 3, 50);
    png_at("test/k/d.png", 2, 2, 1, 50);
    cv_data_options o = dataset_default_options();
    o.resize_h = 4;
    o.resize_w = 4;
    o.skip_bad = 1;         /* c is RGB: skipped */
    cv_dataset d;
    cv_error e;
    ck_assert_msg(dataset_load_with(tmp_dir, &o, &d, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(d.train.h, 4);
    ck_assert_int_eq(d.train.w, 4);
    ck_assert_uint_eq(d.skipped, 1);
    ck_assert_uint_eq(d.train.n, 2);
    ck_assert_uint_eq(d.test.n, 1);
    /* A uniform image stays uniform, down- or upscaled. */
    for (int i = 0; i < 16; i++) {
        ck_assert_uint_eq(d.train.images[i], 200);
        ck_assert_uint_eq(d.train.images[16 + i], 50);
        ck_assert_uint_eq(d.test.images[i], 50);
    }
    dataset_free(&d);
}
END_TEST

START_TEST(bad_files_are_named_or_skipped)
{
    png_at("k/a.png", 4, 4, 1, 7);
    png_at("k/b.png", 4, 4, 1, 7);
    png_at("k/c.png", 4, 4, 1, 7);
    text_at("k/notes.txt", "not an image");
    cv_data_options o = dataset_default_options();
    expect_error(&o, "k/notes.txt: not a PNG image (the name does not end in .png)");
    unlink(tmp_path("k/notes.txt"));
    text_at("k/d.png", "not really a png");
    cv_dataset d;
    cv_error e;
    ck_assert_int_eq(dataset_load_with(tmp_dir, &o, &d, &e), -1);
    ck_assert_msg(strstr(e.msg, "k/d.png") != NULL, "%s", e.msg);
    /* Asked to, they are skipped and counted. */
    o.skip_bad = 1;
    png_at("k/e.png", 5, 4, 1, 7);
    png_at("k/f.png", 4, 4, 3, 7);
    ck_assert_msg(dataset_load_with(tmp_dir, &o, &d, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(d.skipped, 3);
    ck_assert_uint_eq(d.train.n + d.test.n, 3);
    dataset_free(&d);
}
END_TEST

START_TEST(mixed_kinds_and_sizes_are_refused)
{
    png_at("k/a.png", 4, 4, 1, 7);
    png_at("k/b.png", 4, 4, 3, 7);
    char want[512];
    snprintf(want, sizeof want, "k/b.png: a RGB image, but %s/k/a.png is gray (all images "
             "must be of one kind)", tmp_dir);
    cv_data_options o = dataset_default_options();
    expect_error(&o, want);
    unlink(tmp_path("k/b.png"));
    png_at("k/b.png", 4, 5, 1, 7);
    snprintf(want, sizeof want, "k/b.png: 4x5 pixels, but %s/k/a.png has 4x4 (all images must "
             "have one size; --image-size HxW resamples them)", tmp_dir);
    expect_error(&o, want);
    /* Resampled on request; alpha is dropped (gray+alpha is gray). */
    o.resize_h = o.resize_w = 3;
    png_at("k/c.png", 6, 6, 2, 90);
    cv_dataset d;
    cv_error e;
    ck_assert_msg(dataset_load_with(tmp_dir, &o, &d, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(d.train.h, 3);
    ck_assert_int_eq(d.train.w, 3);
    ck_assert_int_eq(d.train.c, 1);
    dataset_free(&d);
}
END_TEST

START_TEST(empty_class_folder_is_an_error)
{
    png_at("a/1.png", 2, 2, 1, 1);
    png_at("a/2.png", 2, 2, 1, 1);
    ck_assert_int_eq(mkdir(tmp_path("b"), 0755), 0);
    cv_data_options o = dataset_default_options();
    expect_error(&o, "b: the class folder is empty");
    /* A class whose every file is skipped is as empty. */
    text_at("b/x.txt", "x");
    o.skip_bad = 1;
    char want[256];
    snprintf(want, sizeof want, "b: no training image left (1 files skipped)");
    expect_error(&o, want);
}
END_TEST

START_TEST(test_class_must_be_a_training_class)
{
    png_at("train/a/1.png", 2, 2, 1, 1);
    png_at("test/z/1.png", 2, 2, 1, 1);
    char want[256];
    snprintf(want, sizeof want, "test/z: a test class without a training folder in %s/train",
             tmp_dir);
    cv_data_options o = dataset_default_options();
    expect_error(&o, want);
}
END_TEST

/* n CIFAR records at tmp_dir/name, label i % 10, pixel bytes R 1, G 2, B 3. */
static void cifar_at(const char *name, int n, size_t extra)
{
    FILE *f = fopen(tmp_path(name), "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < n; i++) {
        fputc(i % 10, f);
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 1024; p++)
                fputc(c + 1 + (p == 0 ? 10 * c : 0), f);
    }
    for (size_t i = 0; i < extra; i++)
        fputc(0, f);
    fclose(f);
}

START_TEST(cifar_binary)
{
    cifar_at("data_batch_1.bin", 3, 0);
    cifar_at("data_batch_2.bin", 2, 0);
    cifar_at("test_batch.bin", 4, 0);
    cv_dataset d;
    cv_error e;
    ck_assert_msg(dataset_load(tmp_dir, &d, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(d.format, "CIFAR-10 binary");
    ck_assert_uint_eq(d.train.n, 5);
    ck_assert_uint_eq(d.test.n, 4);
    ck_assert_int_eq(d.train.h, 32);
    ck_assert_int_eq(d.train.c, 3);
    /* Planar to HWC: pixel 0 is (1, 12, 23), pixel 1 (1, 2, 3). */
    ck_assert_uint_eq(d.train.images[0], 1);
    ck_assert_uint_eq(d.train.images[1], 12);
    ck_assert_uint_eq(d.train.images[2], 23);
    ck_assert_uint_eq(d.train.images[5], 3);
    ck_assert_uint_eq(d.train.labels[3], 0);     /* file 2, record 0 */
    ck_assert_uint_eq(d.test.labels[3], 3);
    ck_assert_int_eq(d.n_classes, 4);
    ck_assert_str_eq(d.class_names[1], "automobile");
    dataset_free(&d);
    /* A wrong length names the file and the record size. */
    cifar_at("data_batch_2.bin", 2, 7);
    expect_error(NULL, "data_batch_2.bin: length: 6153 bytes is not a whole number of "
                       "3073-byte records (a label and 32x32x3 pixels)");
    cifar_at("data_batch_2.bin", 0, 0);
    expect_error(NULL, "data_batch_2.bin: length: 0 bytes is not a whole number of 3073-byte "
                       "records (a label and 32x32x3 pixels)");
    cifar_at("data_batch_2.bin", 1, 0);
    FILE *f = fopen(tmp_path("data_batch_2.bin"), "r+b");
    fputc(10, f);
    fclose(f);
    expect_error(NULL, "data_batch_2.bin: record 0: label 10 is not a CIFAR-10 class (0 to 9)");
}
END_TEST

static Suite *image_folder_suite(void)
{
    Suite *s = suite_create("image_folder");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, train_and_test_folders);
    tcase_add_test(core, cache_follows_the_folder);
    tcase_add_test(core, split_is_seeded_and_per_class);
    tcase_add_test(core, cifar_binary);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, resize_option_resamples);
    tcase_add_test(limits, bad_files_are_named_or_skipped);
    tcase_add_test(limits, mixed_kinds_and_sizes_are_refused);
    tcase_add_test(limits, empty_class_folder_is_an_error);
    tcase_add_test(limits, test_class_must_be_a_training_class);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(image_folder_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
