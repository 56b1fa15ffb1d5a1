/* check_image_io.c - PGM (P2, P5) and PNG input images: values, formats,
 * resampling, and clean failures on every bad or truncated file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data/image_io.h"
#include "base/png.h"

#include "tmp_dir.h"

static void make_tmp(void)
{
    tmp_dir_make("check_image_io");
}

static void remove_tmp(void)
{
    tmp_dir_remove();
}

static void write_bytes(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* Decodes exactly len bytes from a fresh allocation (ASan sees overreads). */
static int decode(const char *name, const void *buf, size_t len, cv_gray_image *img,
                  cv_error *e)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    int rc = image_decode_gray(name, copy, len, img, e);
    free(copy);
    return rc;
}

/* ---- core ---------------------------------------------------------------- */

START_TEST(pgm_binary_and_ascii)
{
    const char p5[] = "P5\n# a comment\n3 2\n255\n\x00\x80\xff\x01\x02\x03";
    cv_gray_image img;
    cv_error e;
    ck_assert_msg(decode("a.pgm", p5, sizeof p5 - 1, &img, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(img.w, 3);
    ck_assert_int_eq(img.h, 2);
    ck_assert_float_eq_tol(img.px[0], 0.0f, 1e-7f);
    ck_assert_float_eq_tol(img.px[1], 128 / 255.0f, 1e-7f);
    ck_assert_float_eq_tol(img.px[2], 1.0f, 1e-7f);
    ck_assert_float_eq_tol(img.px[5], 3 / 255.0f, 1e-7f);
    cv_gray_image_free(&img);

    const char p2[] = "P2 # comment right after the magic\n2 2 15\n0 15\n# inner\n7 3\n";
    ck_assert_msg(decode("b.pgm", p2, sizeof p2 - 1, &img, &e) == 0, "%s", e.msg);
    ck_assert_float_eq_tol(img.px[1], 1.0f, 1e-7f);
    ck_assert_float_eq_tol(img.px[2], 7 / 15.0f, 1e-7f);
    cv_gray_image_free(&img);

    /* 16-bit samples are big-endian. */
    const char p5_16[] = "P5 2 1 65535\n\x01\x00\xff\xff";
    ck_assert_msg(decode("c.pgm", p5_16, sizeof p5_16 - 1, &img, &e) == 0, "%s", e.msg);
    ck_assert_float_eq_tol(img.px[0], 256 / 65535.0f, 1e-7f);
    ck_assert_float_eq_tol(img.px[1], 1.0f, 1e-7f);
    cv_gray_image_free(&img);
}
END_TEST

START_TEST(png_gray_rgb_alpha)
{
    cv_bitmap b;
    cv_error e;
    cv_gray_image img;
    ck_assert_int_eq(cv_bitmap_alloc(&b, 2, 1, 4, NULL), 0);
    uint8_t rgba[8] = {255, 255, 255, 255, 255, 0, 0, 128};
    memcpy(b.px, rgba, 8);
    ck_assert_int_eq(cv_png_write(tmp_path("c.png"), &b, NULL), 0);
    cv_bitmap_free(&b);
    ck_assert_msg(image_load_gray(tmp_path("c.png"), &img, &e) == 0, "%s", e.msg);
    ck_assert_float_eq_tol(img.px[0], 1.0f, 1e-5f);
    /* red at half opacity over black: 0.299 * 128 / 255 */
    ck_assert_float_eq_tol(img.px[1], 0.299f * 128 / 255, 1e-3f);
    cv_gray_image_free(&img);

    ck_assert_int_eq(cv_bitmap_alloc(&b, 3, 1, 1, NULL), 0);
    b.px[0] = 0, b.px[1] = 51, b.px[2] = 255;
    ck_assert_int_eq(cv_png_write(tmp_path("g.png"), &b, NULL), 0);
    cv_bitmap_free(&b);
    ck_assert_msg(image_load_gray(tmp_path("g.png"), &img, &e) == 0, "%s", e.msg);
    ck_assert_float_eq_tol(img.px[1], 0.2f, 1e-6f);
    cv_gray_image_free(&img);
}
END_TEST

START_TEST(input_of_another_size_is_resampled)
{
    /* 4x4 with a bright 2x2 top-left quadrant -> 2x2 by area averaging. */
    const char p2[] = "P2 4 4 255\n255 255 0 0\n255 255 0 0\n0 0 0 0\n0 0 0 100\n";
    write_bytes(tmp_path("q.pgm"), p2, sizeof p2 - 1);
    float x[4];
    int resized = 0;
    cv_error e;
    ck_assert_msg(image_load_input(tmp_path("q.pgm"), 2, 2, x, &resized, &e) == 0, "%s",
                  e.msg);
    ck_assert_int_eq(resized, 1);
    ck_assert_float_eq_tol(x[0], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(x[1], 0.0f, 1e-6f);
    ck_assert_float_eq_tol(x[3], 25 / 255.0f, 1e-6f);

    float y[16];
    ck_assert_int_eq(image_load_input(tmp_path("q.pgm"), 4, 4, y, &resized, &e), 0);
    ck_assert_int_eq(resized, 0);
    ck_assert_float_eq_tol(y[15], 100 / 255.0f, 1e-6f);

    /* Upscaling keeps a constant image constant. */
    cv_gray_image flat = {2, 2, (float[]){0.5f, 0.5f, 0.5f, 0.5f}};
    float up[25];
    image_resample(&flat, 5, 5, up);
    for (int i = 0; i < 25; i++)
        ck_assert_float_eq_tol(up[i], 0.5f, 1e-6f);
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

START_TEST(every_truncated_pgm_fails)
{
    const char *files[] = {"P5\n4 3\n255\n0123456789ab", "P2\n3 2\n9\n1 2 3\n4 5 6\n"};
    for (int f = 0; f < 2; f++) {
        size_t n = strlen(files[f]);
        for (size_t len = 0; len < n - (f == 1); len++) {   /* P2 may lose the '\n' */
            cv_gray_image img;
            cv_error e = {""};
            int rc = decode("cut.pgm", files[f], len, &img, &e);
            ck_assert_msg(rc == -1, "file %d truncated to %zu bytes accepted", f, len);
            ck_assert_ptr_null(img.px);
            ck_assert_msg(strstr(e.msg, "cut.pgm") != NULL, "no file name: %s", e.msg);
        }
    }
}
END_TEST

/* The bytes of a 9x7 grayscale PNG file written by cv_png_write; their count. */
static size_t png_9x7_bytes(uint8_t *buf, size_t size)
{
    cv_bitmap b;
    ck_assert_int_eq(cv_bitmap_alloc(&b, 9, 7, 1, NULL), 0);
    for (int i = 0; i < 63; i++)
        b.px[i] = (uint8_t)(i * 29);
    ck_assert_int_eq(cv_png_write(tmp_path("9x7.png"), &b, NULL), 0);
    cv_bitmap_free(&b);
    FILE *f = fopen(tmp_path("9x7.png"), "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, size, f);
    fclose(f);
    return n;
}

START_TEST(every_truncated_png_fails)
{
    uint8_t buf[4096];
    size_t n = png_9x7_bytes(buf, sizeof buf);
    for (size_t len = 0; len + 12 < n; len++) {     /* the last 12 bytes: IEND */
        cv_gray_image img;
        cv_error e = {""};
        ck_assert_msg(decode("t.png", buf, len, &img, &e) == -1, "%zu bytes accepted", len);
        ck_assert_ptr_nonnull(strstr(e.msg, "t.png"));
    }
}
END_TEST

/* A PNG whose header promises 16384x16384 pixels in a few hundred bytes is
 * refused before the image is allocated. */
START_TEST(png_promising_more_than_it_holds_fails)
{
    uint8_t buf[4096];
    size_t n = png_9x7_bytes(buf, sizeof buf);
    /* IHDR's width and height (bytes 16..23), then its CRC over type and data. */
    static const uint8_t side[8] = {0, 0, 0x40, 0, 0, 0, 0x40, 0};
    memcpy(buf + 16, side, 8);
    uLong crc = crc32(0L, buf + 12, 17);
    for (int i = 0; i < 4; i++)
        buf[29 + i] = (uint8_t)(crc >> (24 - 8 * i));
    cv_gray_image img;
    cv_error e = {""};
    ck_assert_int_eq(decode("big.png", buf, n, &img, &e), -1);
    ck_assert_msg(strstr(e.msg, "big.png: bad PNG: a 16384x16384 image needs 268451840 bytes "
                         "of pixel data, more than"), "%s", e.msg);
    ck_assert_ptr_null(img.px);
}
END_TEST

START_TEST(bad_headers_are_named)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"P5 0 3 255\n", "empty"},
        {"P5 3 3 0\n", "maxval"},
        {"P5 3 3 65536\n", "maxval"},
        {"P5 99999999 3 255\n", "width"},
        {"P5 x 3 255\n", "width"},
        {"P2 2 1 10\n3 11\n", "above maxval"},
        {"P2 2 1 10\n3 -1\n", "not a number"},
        {"P2 2 1 10\n3 70000\n", "larger than 65535"},
        {"P6 2 1 255\n\1\2\3\4\5\6", "P6"},
        {"GIF89a", "not a PGM"},
        {"", "not a PGM"},
        {"P5 2 2 255\n\1\2\3", "truncated"},
        {"P2 16384 16384 255\n0 1 2 3", "at least 536870912 needed"},
        {"P2 2 2 255\n0 1 2", "at least 8 needed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cv_gray_image img;
        cv_error e = {""};
        ck_assert_int_eq(decode("bad.pgm", cases[i].text, strlen(cases[i].text), &img, &e),
                         -1);
        ck_assert_msg(strstr(e.msg, "bad.pgm") && strstr(e.msg, cases[i].needle),
                      "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].needle);
    }
    cv_gray_image img;
    cv_error e;
    ck_assert_int_eq(image_load_gray("/nonexistent/shirt.pgm", &img, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/shirt.pgm"));
}
END_TEST

static Suite *image_io_suite(void)
{
    Suite *s = suite_create("image_io");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits");
    tcase_add_checked_fixture(core, make_tmp, remove_tmp);
    tcase_add_checked_fixture(limits, make_tmp, remove_tmp);
    tcase_add_test(core, pgm_binary_and_ascii);
    tcase_add_test(core, png_gray_rgb_alpha);
    tcase_add_test(core, input_of_another_size_is_resampled);
    tcase_add_test(limits, every_truncated_pgm_fails);
    tcase_add_test(limits, every_truncated_png_fails);
    tcase_add_test(limits, png_promising_more_than_it_holds_fails);
    tcase_add_test(limits, bad_headers_are_named);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(image_io_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
