/* check_files.c - the shared helpers: whole-file reading with a limit,
 * atomic writes, whole-string numbers and JSON string writing. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/files.h"
#include "base/hash.h"
#include "base/optimizers.h"
#include "base/parse_num.h"
#include "base/json.h"

#include "tmp_dir.h"

static char path[128];

static void setup(void)
{
    tmp_dir_make("check_files");
    snprintf(path, sizeof path, "%s/f", tmp_dir);
}

static void teardown(void)
{
    tmp_dir_remove();
}

START_TEST(read_whole_file_with_nul)
{
    cv_error e;
    ck_assert_int_eq(cv_write_atomic(path, "abc", 3, &e), 0);
    size_t len = 99;
    char *s = cv_read_file(path, 0, &len, &e);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(len, 3);
    ck_assert_str_eq(s, "abc");
    free(s);
    /* Empty files are files too. */
    ck_assert_int_eq(cv_write_atomic(path, "", 0, &e), 0);
    s = cv_read_file(path, 0, &len, &e);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(len, 0);
    free(s);
}
END_TEST

START_TEST(read_limit_is_exact)
{
    /* Around the first buffer size and a small limit: exactly max bytes is
     * fine, one more is refused. */
    size_t sizes[] = {1 << 16, (1 << 16) + 1, 3 << 16, 10};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        char *data = malloc(n + 1);
        ck_assert_ptr_nonnull(data);
        memset(data, 'x', n + 1);
        cv_error e;
        ck_assert_int_eq(cv_write_atomic(path, data, n, &e), 0);
        size_t len = 0;
        char *s = cv_read_file(path, n, &len, &e);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_eq(len, n);
        ck_assert_int_eq(memcmp(s, data, n), 0);
        free(s);
        errno = 0;
        ck_assert_ptr_null(cv_read_file(path, n - 1, &len, &e));
        ck_assert_int_eq(errno, EFBIG);
        ck_assert_ptr_nonnull(strstr(e.msg, "larger than"));
        ck_assert_ptr_nonnull(strstr(e.msg, path));
        free(data);
    }
}
END_TEST

START_TEST(errors_name_the_file)
{
    cv_error e;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none", tmp_dir);
    errno = 0;
    ck_assert_ptr_null(cv_read_file(missing, 0, NULL, &e));
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_nonnull(strstr(e.msg, missing));
    ck_assert_ptr_nonnull(strstr(e.msg, "cannot open"));
    /* A write that cannot happen leaves the old file and no temporary. */
    snprintf(missing, sizeof missing, "%s/no/such/dir", tmp_dir);
    errno = 0;
    ck_assert_int_eq(cv_write_atomic(missing, "x", 1, &e), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_nonnull(strstr(e.msg, missing));
    ck_assert_int_eq(cv_write_atomic(path, "old", 3, &e), 0);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_ne(access(tmp, F_OK), 0);
}
END_TEST

START_TEST(whole_string_numbers)
{
    long v = 0;
    ck_assert_int_eq(cv_parse_long("42", 1, 100, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(cv_parse_long("-3", -5, 5, &v), 0);
    ck_assert_int_eq(cv_parse_long("101", 1, 100, &v), 1);
    ck_assert_int_eq(v, 101);
    const char *bad[] = {NULL, "", " 5", "5 ", "5x", "0x10", "99999999999999999999999", "-"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(cv_parse_long(bad[i], 0, 1000, &v) < 0, "'%s' was read", bad[i]);
    uint64_t u = 0;
    ck_assert_int_eq(cv_parse_u64("18446744073709551615", &u), 0);
    ck_assert(u == UINT64_MAX);
    const char *bad_u[] = {"-1", " -1", "+1", "18446744073709551616", "", "1.0"};
    for (size_t i = 0; i < sizeof bad_u / sizeof *bad_u; i++)
        ck_assert_msg(cv_parse_u64(bad_u[i], &u) < 0, "'%s' was read", bad_u[i]);
    double d = 0;
    ck_assert_int_eq(cv_parse_double("1e-3", &d), 0);
    ck_assert_double_eq_tol(d, 0.001, 1e-15);
    ck_assert_int_eq(cv_parse_double(".5", &d), 0);
    const char *bad_d[] = {"nan", "inf", "1e999", " 1", "1,5", ""};
    for (size_t i = 0; i < sizeof bad_d / sizeof *bad_d; i++)
        ck_assert_msg(cv_parse_double(bad_d[i], &d) < 0, "'%s' was read", bad_d[i]);
}
END_TEST

START_TEST(buffer_grows_and_formats)
{
    cv_buf b = { 0 };
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i % 10);
    buf_add(&b, "xy", 2);
    buf_add_str(&b, "z");
    ck_assert_int_eq(b.oom, 0);
    ck_assert_uint_eq(b.len, 2003);
    ck_assert_str_eq(b.data + 1996, "8,9,xyz");
    size_t len;
    char *text = buf_take(&b, &len);
    ck_assert_uint_eq(len, 2003);
    ck_assert_ptr_null(b.data);
    free(text);
    /* An empty buffer gives an empty string. */
    text = buf_take(&b, &len);
    ck_assert_str_eq(text, "");
    free(text);
}
END_TEST

START_TEST(fnv1a64_reference_values)
{
    /* The published FNV-1a 64 test vectors: spec hashes depend on them. */
    ck_assert_uint_eq(cv_fnv1a64("", 0), 0xcbf29ce484222325ull);
    ck_assert_uint_eq(cv_fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
    ck_assert_uint_eq(cv_fnv1a64("foobar", 6), 0x85944171f73967e8ull);
}
END_TEST

START_TEST(optimizer_names_in_checkpoint_order)
{
    ck_assert_int_eq(CV_N_OPTIMIZERS, 5);
    ck_assert_int_eq(cv_optimizer_of("adamw"), 4);
    ck_assert_int_eq(cv_optimizer_of("sgd"), 0);
    ck_assert_int_eq(cv_optimizer_of("adam"), 3);
    ck_assert_int_eq(cv_optimizer_of("Adam"), -1);
    ck_assert_str_eq(cv_optimizer_names[2], "nesterov");
}
END_TEST

START_TEST(json_strings_round_trip)
{
    /* A document's text (cv_json_text) read back (cv_json_parse): escapes,
     * control bytes, UTF-8, null, and numbers rounded to their places. */
    json_error_t err;
    cv_error e;
    char *buf = cv_json_text(json_pack_ex(&err, 0, "[s, s?, o, o, o]", "a\"b\\c\nd\te\001f\xc3\xa9",
                                          NULL, cv_json_real(0.1234567, 6),
                                          cv_json_real(NAN, 6), cv_json_real(2.5, 0)),
                             &err, JSON_COMPACT, "t.json", &e);
    ck_assert_msg(buf != NULL, "%s", e.msg);
    ck_assert_str_eq(buf, "[\"a\\\"b\\\\c\\nd\\te\\u0001f\xc3\xa9\",null,0.123457,null,3.0]\n");
    json_t *j = cv_json_parse("t", buf, strlen(buf), &e);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_array_get(j, 0)), "a\"b\\c\nd\te\001f\xc3\xa9");
    ck_assert(json_is_null(json_array_get(j, 1)));
    json_decref(j);
    free(buf);
    /* Text that is not UTF-8 is refused with the file's name. */
    buf = cv_json_text(json_pack_ex(&err, 0, "[s]", "\xff"), &err, 0, "t.json", &e);
    ck_assert_ptr_null(buf);
    ck_assert_ptr_nonnull(strstr(e.msg, "t.json: cannot write: "));
}
END_TEST

static Suite *files_suite(void)
{
    Suite *s = suite_create("files");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, read_whole_file_with_nul);
    tcase_add_test(core, whole_string_numbers);
    tcase_add_test(core, json_strings_round_trip);
    tcase_add_test(core, buffer_grows_and_formats);
    tcase_add_test(core, fnv1a64_reference_values);
    tcase_add_test(core, optimizer_names_in_checkpoint_order);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, read_limit_is_exact);
    tcase_add_test(limits, errors_name_the_file);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(files_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
