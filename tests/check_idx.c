/* check_idx.c - IDX parsing: good files, every kind of bad header, every
 * truncated length (raw and gzip). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>
#include "data/idx.h"

/* A 3x2x2 image file: header (4 + 12 bytes) and 12 pixels. */
static size_t make_images(uint8_t *buf)
{
    const uint8_t header[] = { 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2 };
    memcpy(buf, header, sizeof header);
    for (int i = 0; i < 12; i++)
        buf[16 + i] = (uint8_t)(i * 20);
    return 28;
}

static char tmpdir[64];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/check_idx.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_raw(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

static void write_gz(const char *path, const uint8_t *buf, size_t len)
{
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, buf, (unsigned)len), (int)len);
    gzclose(f);
}

START_TEST(parses_good_file)
{
    uint8_t buf[64];
    size_t len = make_images(buf);
    idx_array a;
    cv_error e;
    ck_assert_int_eq(idx_parse("mem", buf, len, &a, &e), 0);
    ck_assert_int_eq(a.rank, 3);
    ck_assert_uint_eq(a.count, 3);
    ck_assert_uint_eq(a.item_size, 4);
    ck_assert_uint_eq(a.dims[1], 2);
    ck_assert_uint_eq(a.data[11], 220);
    idx_free(&a);
}
END_TEST

START_TEST(loads_raw_and_gzip)
{
    uint8_t buf[64];
    size_t len = make_images(buf);
    char raw[128], gz[128];
    snprintf(raw, sizeof raw, "%s/x-idx3-ubyte", tmpdir);
    snprintf(gz, sizeof gz, "%s/x-idx3-ubyte.gz", tmpdir);
    write_raw(raw, buf, len);
    write_gz(gz, buf, len);
    idx_array a, b;
    cv_error e;
    ck_assert_int_eq(idx_load(raw, &a, &e), 0);
    ck_assert_int_eq(idx_load(gz, &b, &e), 0);
    ck_assert_uint_eq(a.count, b.count);
    ck_assert_mem_eq(a.data, b.data, 12);
    idx_free(&a);
    idx_free(&b);
}
END_TEST

START_TEST(labels_rank1)
{
    const uint8_t buf[] = { 0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9 };
    idx_array a;
    cv_error e;
    ck_assert_int_eq(idx_parse("labels", buf, sizeof buf, &a, &e), 0);
    ck_assert_uint_eq(a.count, 3);
    ck_assert_uint_eq(a.item_size, 1);
    ck_assert_uint_eq(a.data[2], 9);
    idx_free(&a);
}
END_TEST

static void expect_error(const uint8_t *buf, size_t len, const char *needle)
{
    idx_array a;
    cv_error e = { "" };
    ck_assert_int_eq(idx_parse("bad.idx", buf, len, &a, &e), -1);
    ck_assert_msg(strstr(e.msg, "bad.idx") != NULL, "no file name in '%s'", e.msg);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "'%s' lacks '%s'", e.msg, needle);
    ck_assert_ptr_null(a.data);
}

START_TEST(rejects_bad_headers)
{
    uint8_t buf[64];
    size_t len = make_images(buf);
    buf[0] = 1;
    expect_error(buf, len, "magic");
    make_images(buf);
    buf[2] = 0x0D;
    expect_error(buf, len, "float32");
    make_images(buf);
    buf[3] = 0;
    expect_error(buf, len, "rank 0");
    make_images(buf);
    buf[3] = 5;
    expect_error(buf, len, "rank 5");
    make_images(buf);
    buf[11] = 0;        /* dims[1] = 0 */
    expect_error(buf, len, "dimension 1 is 0");
    make_images(buf);
    buf[7] = 4;         /* 4 items promised, 3 present */
    expect_error(buf, len, "truncated");
    make_images(buf);
    expect_error(buf, len + 1, "trailing");
    /* Dimensions whose product overflows. */
    const uint8_t huge[] = { 0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                             0xff, 0xff, 0xff, 0xff };
    expect_error(huge, sizeof huge, "dimension");
}
END_TEST

START_TEST(every_truncated_length_fails)
{
    uint8_t buf[64];
    size_t len = make_images(buf);
    for (size_t n = 0; n < len; n++) {
        idx_array a;
        cv_error e = { "" };
        ck_assert_msg(idx_parse("t.idx", buf, n, &a, &e) == -1, "length %zu accepted", n);
        ck_assert_msg(strstr(e.msg, "t.idx") != NULL, "length %zu: '%s'", n, e.msg);
    }
}
END_TEST

START_TEST(every_truncated_gzip_fails)
{
    uint8_t buf[64];
    size_t len = make_images(buf);
    char gz[128], cut[128];
    snprintf(gz, sizeof gz, "%s/full.gz", tmpdir);
    snprintf(cut, sizeof cut, "%s/cut.gz", tmpdir);
    write_gz(gz, buf, len);
    FILE *f = fopen(gz, "rb");
    uint8_t z[256];
    size_t zlen = fread(z, 1, sizeof z, f);
    fclose(f);
    ck_assert_uint_gt(zlen, 18);
    for (size_t n = 0; n < zlen; n++) {
        write_raw(cut, z, n);
        idx_array a;
        cv_error e = { "" };
        ck_assert_msg(idx_load(cut, &a, &e) == -1, "gzip length %zu of %zu accepted", n, zlen);
        ck_assert_msg(strstr(e.msg, "cut.gz") != NULL, "length %zu: '%s'", n, e.msg);
    }
    /* A flipped byte in the compressed data or trailer is caught too. */
    z[zlen - 6] ^= 0xff;
    write_raw(cut, z, zlen);
    idx_array a;
    cv_error e;
    ck_assert_int_eq(idx_load(cut, &a, &e), -1);
}
END_TEST

static void append_raw(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "ab");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

/* path holds the IDX header `head` followed by `zeros` zero bytes, gzipped. */
static void write_gz_zeros(const char *path, const uint8_t *head, size_t head_len, size_t zeros)
{
    gzFile f = gzopen(path, "wb9");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, head, (unsigned)head_len), (int)head_len);
    static const uint8_t block[1 << 16];
    for (size_t n = 0; n < zeros; n += sizeof block)
        ck_assert_int_gt(gzwrite(f, block, (unsigned)(zeros - n < sizeof block ? zeros - n
                                                                          : sizeof block)), 0);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

static void expect_load_error(const char *path, const char *detail)
{
    idx_array a;
    cv_error e;
    char want[1100];
    ck_assert_int_eq(idx_load(path, &a, &e), -1);
    ck_assert_ptr_null(a.data);
    snprintf(want, sizeof want, "%s: %s", path, detail);
    ck_assert_str_eq(e.msg, want);
}

START_TEST(junk_after_gzip_stream_fails)
{
    /* A raw file with trailing bytes is refused; so is a gzip file. */
    uint8_t buf[64];
    size_t len = make_images(buf);
    char gz[128];
    snprintf(gz, sizeof gz, "%s/junk.gz", tmpdir);
    write_gz(gz, buf, len);
    append_raw(gz, "junk", 4);
    expect_load_error(gz, "4 bytes of trailing data after the gzip stream");
    /* Two gzip members are one file (as gunzip reads them). */
    write_gz(gz, buf, 20);
    char second[128];
    snprintf(second, sizeof second, "%s/second.gz", tmpdir);
    write_gz(second, buf + 20, len - 20);
    FILE *f = fopen(second, "rb");
    uint8_t z[256];
    size_t zlen = fread(z, 1, sizeof z, f);
    fclose(f);
    append_raw(gz, z, zlen);
    idx_array a;
    cv_error e;
    ck_assert_msg(idx_load(gz, &a, &e) == 0, "%s", e.msg);
    ck_assert_mem_eq(a.data, buf + 16, 12);
    idx_free(&a);
}
END_TEST

START_TEST(gzip_inflates_no_more_than_promised)
{
    /* A header for 3 images of 2x2 and then 64 MiB of zeros: refused after
     * one byte past the promise, not after inflating it all. */
    uint8_t buf[64];
    make_images(buf);
    char gz[128];
    snprintf(gz, sizeof gz, "%s/long.gz", tmpdir);
    write_gz_zeros(gz, buf, 16, (size_t)64 << 20);
    expect_load_error(gz, "size: the data goes on after the 12 bytes the header promises "
                      "(trailing bytes)");
}
END_TEST

START_TEST(gzip_bomb_refused_before_inflating)
{
    /* 65536 x 65536 x 2 bytes (8 GiB) promised, 64 MiB of zeros present. */
    const uint8_t head[] = { 0, 0, 8, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2 };
    char gz[128];
    snprintf(gz, sizeof gz, "%s/bomb.gz", tmpdir);
    write_gz_zeros(gz, head, sizeof head, (size_t)64 << 20);
#if !defined(__SANITIZE_ADDRESS__)
    /* Room for the compressed file but not for what it inflates to (this
     * test runs in its own process). */
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f && fscanf(f, "%lu", &pages) == 1) {
        struct rlimit lim = { .rlim_cur = pages * (unsigned long)sysconf(_SC_PAGESIZE) +
                                          (32ul << 20), .rlim_max = RLIM_INFINITY };
        ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
    }
    if (f)
        fclose(f);
#endif
    expect_load_error(gz, "dimension 0: 65536 items of 131072 bytes exceed the "
                      "4294967296-byte limit");
    /* A promise no gzip file of this size can keep. */
    const uint8_t big[] = { 0, 0, 8, 3, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 8, 0 };
    write_gz_zeros(gz, big, sizeof big, 0);
    expect_load_error(gz, "size: the header promises 4294967296 bytes of data, more than 32 "
                      "bytes of gzip data can hold (truncated?)");
}
END_TEST

START_TEST(missing_file_names_path)
{
    idx_array a;
    cv_error e;
    ck_assert_int_eq(idx_load("/nonexistent/x-idx1-ubyte", &a, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/x-idx1-ubyte"));
}
END_TEST

static Suite *idx_suite(void)
{
    Suite *s = suite_create("idx");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, parses_good_file);
    tcase_add_test(core, loads_raw_and_gzip);
    tcase_add_test(core, labels_rank1);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, rejects_bad_headers);
    tcase_add_test(limits, every_truncated_length_fails);
    tcase_add_test(limits, every_truncated_gzip_fails);
    tcase_add_test(limits, missing_file_names_path);
    tcase_add_test(limits, junk_after_gzip_stream_fails);
    tcase_add_test(limits, gzip_inflates_no_more_than_promised);
    tcase_add_test(limits, gzip_bomb_refused_before_inflating);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(idx_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
