/* check_png.c - PNG writing and reading: pixels round-trip exactly (read
 * back independently through libpng's own simplified API), the bytes are
 * deterministic, and every bad or truncated input fails with a message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpng16/png.h>   /* libpng itself; "png.h" below is ours */

#include "base/png.h"

#include "tmp_dir.h"

static void make_tmp(void)
{
    tmp_dir_make("check_png");
}

static void remove_tmp(void)
{
    tmp_dir_remove();
}

/* A bitmap whose every byte differs from its neighbours. */
static void fill_pattern(cv_bitmap *b, int w, int h, int channels)
{
    ck_assert_int_eq(cv_bitmap_alloc(b, w, h, channels, NULL), 0);
    for (size_t i = 0; i < (size_t)w * h * channels; i++)
        b->px[i] = (uint8_t)(i * 37 + i / 7);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- core ---------------------------------------------------------------- */

START_TEST(round_trip_through_libpng)
{
    static const png_uint_32 formats[] = {PNG_FORMAT_GRAY, PNG_FORMAT_GA, PNG_FORMAT_RGB,
                                          PNG_FORMAT_RGBA};
    int channels = _i + 1, w = 37, h = 23;
    cv_bitmap b;
    cv_error e;
    fill_pattern(&b, w, h, channels);
    ck_assert_msg(cv_png_write(tmp_path("a.png"), &b, &e) == 0, "%s", e.msg);

    /* An independent reader: libpng's simplified API. */
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    ck_assert(png_image_begin_read_from_file(&img, tmp_path("a.png")));
    ck_assert_uint_eq(img.width, (png_uint_32)w);
    ck_assert_uint_eq(img.height, (png_uint_32)h);
    img.format = formats[_i];
    uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
    ck_assert(png_image_finish_read(&img, NULL, px, 0, NULL));
    ck_assert_mem_eq(px, b.px, (size_t)w * h * channels);
    free(px);

    cv_bitmap back;
    ck_assert_msg(cv_png_read(tmp_path("a.png"), &back, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(back.w, w);
    ck_assert_int_eq(back.h, h);
    ck_assert_int_eq(back.channels, channels);
    ck_assert_mem_eq(back.px, b.px, (size_t)w * h * channels);
    cv_bitmap_free(&back);
    cv_bitmap_free(&b);
}
END_TEST

START_TEST(same_pixels_same_bytes)
{
    cv_bitmap b;
    fill_pattern(&b, 64, 48, 3);
    ck_assert_int_eq(cv_png_write(tmp_path("1.png"), &b, NULL), 0);
    ck_assert_int_eq(cv_png_write(tmp_path("2.png"), &b, NULL), 0);
    size_t n1, n2;
    uint8_t *a = read_file(tmp_path("1.png"), &n1), *c = read_file(tmp_path("2.png"), &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_mem_eq(a, c, n1);
    /* Nothing but the required chunks: no time, no text. */
    for (size_t i = 0; i + 4 <= n1; i++)
        ck_assert(memcmp(a + i, "tIME", 4) && memcmp(a + i, "tEXt", 4) &&
                  memcmp(a + i, "iTXt", 4) && memcmp(a + i, "zTXt", 4));
    free(a);
    free(c);
    cv_bitmap_free(&b);
}
END_TEST

START_TEST(reads_palette_and_16_bit)
{
    /* Written by libpng's simplified writer in formats we never write. */
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = 5;
    img.height = 3;
    img.format = PNG_FORMAT_LINEAR_Y;   /* 16-bit gray */
    uint16_t px16[15];
    for (int i = 0; i < 15; i++)
        px16[i] = (uint16_t)(i * 4369);  /* 0 .. 65535 (15 * 4369 = 65535) */
    ck_assert(png_image_write_to_file(&img, tmp_path("g16.png"), 0, px16, 0, NULL));
    cv_bitmap b;
    cv_error e;
    ck_assert_msg(cv_png_read(tmp_path("g16.png"), &b, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(b.channels, 1);
    ck_assert_int_eq(b.px[0], 0);
    ck_assert_int_eq(b.px[14], 238);     /* 14 * 4369 >> 8 */
    cv_bitmap_free(&b);

    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = 4;
    img.height = 1;
    img.format = PNG_FORMAT_RGB_COLORMAP;
    img.colormap_entries = 2;
    uint8_t cmap[6] = {255, 0, 0, 0, 0, 255}, idx[4] = {0, 1, 1, 0};
    ck_assert(png_image_write_to_file(&img, tmp_path("pal.png"), 0, idx, 0, cmap));
    ck_assert_msg(cv_png_read(tmp_path("pal.png"), &b, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(b.channels, 3);
    uint8_t want[12] = {255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0};
    ck_assert_mem_eq(b.px, want, 12);
    cv_bitmap_free(&b);
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

START_TEST(every_truncation_fails_cleanly)
{
    cv_bitmap b;
    fill_pattern(&b, 19, 11, 4);
    ck_assert_int_eq(cv_png_write(tmp_path("t.png"), &b, NULL), 0);
    cv_bitmap_free(&b);
    size_t n;
    uint8_t *buf = read_file(tmp_path("t.png"), &n);
    for (size_t len = 0; len < n; len++) {
        /* A copy of exactly len bytes, so ASan sees any read past the end. */
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, buf, len);
        cv_bitmap out;
        cv_error e = {""};
        int rc = cv_png_decode("t.png", cut, len, &out, &e);
        free(cut);
        if (rc == 0) {
            /* Only the trailing IEND chunk may be missing (libpng does not
             * need it); the pixels must then be complete. */
            ck_assert_msg(len >= n - 12, "truncated to %zu of %zu bytes yet accepted", len, n);
            cv_bitmap_free(&out);
            continue;
        }
        ck_assert_ptr_null(out.px);
        ck_assert_msg(strstr(e.msg, "t.png") != NULL, "no file name in: %s", e.msg);
    }
    free(buf);
}
END_TEST

START_TEST(every_corrupted_byte_is_survived)
{
    cv_bitmap b;
    fill_pattern(&b, 13, 9, 2);
    ck_assert_int_eq(cv_png_write(tmp_path("f.png"), &b, NULL), 0);
    cv_bitmap_free(&b);
    size_t n;
    uint8_t *buf = read_file(tmp_path("f.png"), &n);
    for (size_t i = 0; i < n; i++) {
        static const uint8_t flips[] = {0x01, 0x80, 0xff};
        for (int k = 0; k < 3; k++) {
            buf[i] ^= flips[k];
            cv_bitmap out;
            cv_error e = {""};
            if (cv_png_decode("f.png", buf, n, &out, &e) == 0) {
                /* Some bytes (e.g. in the zlib stream's slack) do not matter. */
                ck_assert(out.w == 13 && out.h == 9);
                cv_bitmap_free(&out);
            } else {
                ck_assert_msg(strstr(e.msg, "f.png") != NULL, "byte %zu: %s", i, e.msg);
            }
            buf[i] ^= flips[k];
        }
    }
    free(buf);
}
END_TEST

START_TEST(bad_inputs_name_the_file)
{
    cv_bitmap b;
    cv_error e;
    ck_assert_int_eq(cv_png_read("/nonexistent/x.png", &b, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/x.png"));

    const uint8_t not_png[] = "P5 2 2 255\n\1\2\3\4";
    ck_assert_int_eq(cv_png_decode("fake.png", not_png, sizeof not_png, &b, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "fake.png"));
    ck_assert_ptr_nonnull(strstr(e.msg, "signature"));

    /* A corrupted CRC in the header chunk. */
    fill_pattern(&b, 8, 8, 1);
    ck_assert_int_eq(cv_png_write(tmp_path("c.png"), &b, NULL), 0);
    cv_bitmap_free(&b);
    size_t n;
    uint8_t *buf = read_file(tmp_path("c.png"), &n);
    buf[29] ^= 0xff;    /* inside IHDR's CRC (bytes 29..32) */
    ck_assert_int_eq(cv_png_decode("c.png", buf, n, &b, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "c.png"));
    free(buf);
}
END_TEST

START_TEST(write_errors)
{
    cv_bitmap b;
    cv_error e;
    fill_pattern(&b, 4, 4, 1);
    ck_assert_int_eq(cv_png_write("/nonexistent/dir/x.png", &b, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/dir/x.png"));
    cv_bitmap_free(&b);

    cv_bitmap bad = {0, 4, 1, NULL};
    ck_assert_int_eq(cv_png_write(tmp_path("bad.png"), &bad, &e), -1);
    ck_assert_int_ne(access(tmp_path("bad.png"), F_OK), 0);

    ck_assert_int_eq(cv_bitmap_alloc(&b, 0, 5, 1, &e), -1);
    ck_assert_int_eq(cv_bitmap_alloc(&b, 5, CV_BITMAP_MAX_SIDE + 1, 1, &e), -1);
    ck_assert_int_eq(cv_bitmap_alloc(&b, 5, 5, 5, &e), -1);
    ck_assert_ptr_null(b.px);
}
END_TEST

static Suite *png_suite(void)
{
    Suite *s = suite_create("png");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits");
    tcase_add_checked_fixture(core, make_tmp, remove_tmp);
    tcase_add_checked_fixture(limits, make_tmp, remove_tmp);
    tcase_add_loop_test(core, round_trip_through_libpng, 0, 4);
    tcase_add_test(core, same_pixels_same_bytes);
    tcase_add_test(core, reads_palette_and_16_bit);
    tcase_add_test(limits, every_truncation_fails_cleanly);
    tcase_add_test(limits, every_corrupted_byte_is_survived);
    tcase_add_test(limits, bad_inputs_name_the_file);
    tcase_add_test(limits, write_errors);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(png_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
