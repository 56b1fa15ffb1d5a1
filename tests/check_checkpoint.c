/* check_checkpoint.c - round trips, and rejection of checkpoints that are
 * truncated, corrupt, or for another model; a bad save never replaces a
 * good file. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "train/checkpoint.h"
#include "fixtures/fixture_models.h"
#include "train/optim.h"

/* A tiny model (never run) so every truncated length is cheap to try. */
static const convc_tensor tiny_tensors[] = {
    { "dense1.kernel", 2, { 2, 3, 0, 0 }, 0, 6, CONVC_INIT_GLOROT_UNIFORM, 2, 3 },
    { "dense1.bias", 1, { 3, 0, 0, 0 }, 6, 3, CONVC_INIT_ZEROS, 0, 0 },
};
static const convc_model tiny = {
    .abi = CONVC_MODEL_ABI, .name = "tiny", .spec_file = "tiny.spec", .convc_version = "test",
    .spec_hash = 0x1122334455667788ull, .in_h = 1, .in_w = 2, .in_c = 1, .n_classes = 3,
    .n_params = 9, .work_per_sample = 1, .n_tensors = 2, .tensors = tiny_tensors,
};

static char dir[64], path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/check_ckpt.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/tiny.ckpt", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static cv_ckpt_state sample_state(void)
{
    cv_ckpt_state s = { .optimizer = OPTIM_ADAM, .lr = 0.001, .beta1 = 0.9, .beta2 = 0.999,
                        .epsilon = 1e-7, .step = 12345, .batch = 32, .threads = 2,
                        .epochs = 10, .shuffle = 1, .seed = 77, .limit_train = 600,
                        .n_train = 540, .val_split = 0.1, .epoch = 3, .batch_pos = 7,
                        .rng = { 1, 2, 3, 0xffffffffffffffffull }, .run_loss = 1.5,
                        .run_correct = 100, .run_seen = 224 };
    return s;
}

static float params[9], m1[9], m2[9];

static void save_sample(void)
{
    for (int i = 0; i < 9; i++) {
        params[i] = (float)i * 0.25f - 1.0f;
        m1[i] = (float)i * 1e-3f;
        m2[i] = (float)i * 1e-6f;
    }
    cv_ckpt_state s = sample_state();
    float *state[2] = { m1, m2 };
    cv_error e;
    ck_assert_msg(ckpt_save(path, &tiny, &s, params, state, 2, &e) == 0, "%s", e.msg);
}

static uint8_t *read_bytes(size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t buf[4096];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static void write_bytes(const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, len, f);
    fclose(f);
}

START_TEST(round_trip)
{
    save_sample();
    float p[9], a[9], b[9];
    float *state[2] = { a, b };
    cv_ckpt_state s, want = sample_state();
    cv_error e;
    ck_assert_msg(ckpt_load(path, &tiny, &s, p, state, 2, &e) == 0, "%s", e.msg);
    ck_assert_mem_eq(p, params, sizeof p);
    ck_assert_mem_eq(a, m1, sizeof a);
    ck_assert_mem_eq(b, m2, sizeof b);
    ck_assert_uint_eq(s.optimizer, want.optimizer);
    ck_assert_double_eq_tol(s.lr, want.lr, 1e-18);
    ck_assert_double_eq_tol(s.epsilon, want.epsilon, 1e-22);
    ck_assert_double_eq_tol(s.val_split, want.val_split, 1e-18);
    ck_assert_double_eq_tol(s.run_loss, want.run_loss, 1e-18);
    ck_assert_uint_eq(s.step, want.step);
    ck_assert_uint_eq(s.batch, want.batch);
    ck_assert_uint_eq(s.threads, want.threads);
    ck_assert_uint_eq(s.epochs, want.epochs);
    ck_assert_uint_eq(s.seed, want.seed);
    ck_assert_uint_eq(s.limit_train, want.limit_train);
    ck_assert_uint_eq(s.n_train, want.n_train);
    ck_assert_uint_eq(s.epoch, want.epoch);
    ck_assert_uint_eq(s.batch_pos, want.batch_pos);
    ck_assert_mem_eq(s.rng, want.rng, sizeof s.rng);
    ck_assert_uint_eq(s.run_correct, want.run_correct);
    ck_assert_uint_eq(s.run_seen, want.run_seen);
    /* Nothing left behind. */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    /* Weights alone, whatever the optimizer. */
    memset(p, 0, sizeof p);
    ck_assert_int_eq(ckpt_load(path, &tiny, NULL, p, NULL, 0, &e), 0);
    ck_assert_mem_eq(p, params, sizeof p);
    ck_assert_int_eq(ckpt_peek(path, &tiny, &s, &e), 0);
    ck_assert_uint_eq(s.step, 12345);
}
END_TEST

START_TEST(layout_matches_the_document)
{
    save_sample();
    size_t len;
    const uint8_t *b = read_bytes(&len);
    ck_assert_mem_eq(b, "CONVCKPT", 8);
    ck_assert_uint_eq(b[8], 1);                         /* version */
    ck_assert_uint_eq(b[16] | b[17] << 8, len);         /* length */
    ck_assert_uint_eq(b[24], 4);                        /* strlen("tiny") */
    ck_assert_mem_eq(b + 28, "tiny", 4);
    /* The parameters end 3 * 9 floats and the CRC before the end. */
    float p0;
    memcpy(&p0, b + len - 4 - 3 * 36, 4);
    ck_assert_float_eq_tol(p0, -1.0f, 1e-9f);
}
END_TEST

START_TEST(every_truncated_length_fails)
{
    save_sample();
    size_t len;
    uint8_t full[4096];
    memcpy(full, read_bytes(&len), sizeof full);
    for (size_t n = 0; n < len; n++) {
        write_bytes(full, n);
        float p[9];
        cv_error e = { "" };
        ck_assert_msg(ckpt_load(path, &tiny, NULL, p, NULL, 0, &e) == -1, "length %zu", n);
        ck_assert_msg(strstr(e.msg, path) != NULL, "length %zu: '%s'", n, e.msg);
    }
}
END_TEST

START_TEST(every_flipped_byte_fails)
{
    save_sample();
    size_t len;
    uint8_t full[4096];
    memcpy(full, read_bytes(&len), sizeof full);
    for (size_t i = 0; i < len; i++) {
        full[i] ^= 0x10;
        write_bytes(full, len);
        full[i] ^= 0x10;
        float p[9];
        cv_error e = { "" };
        ck_assert_msg(ckpt_load(path, &tiny, NULL, p, NULL, 0, &e) == -1, "byte %zu", i);
    }
    /* A flip in the weights is reported as a CRC mismatch. */
    full[len - 20] ^= 1;
    write_bytes(full, len);
    float p[9];
    cv_error e;
    ck_assert_int_eq(ckpt_load(path, &tiny, NULL, p, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "crc32"));
}
END_TEST

START_TEST(other_model_names_both_sides)
{
    save_sample();
    float *p = malloc(fixture_mlp_model.n_params * sizeof *p);
    cv_error e;
    ck_assert_int_eq(ckpt_load(path, &fixture_mlp_model, NULL, p, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "'tiny'"));
    ck_assert_ptr_nonnull(strstr(e.msg, "'fixture_mlp'"));
    ck_assert_ptr_nonnull(strstr(e.msg, "1122334455667788"));
    /* Same name, another spec. */
    convc_model other = tiny;
    other.spec_hash = 0xabcdef;
    ck_assert_int_eq(ckpt_load(path, &other, NULL, p, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "0000000000abcdef"));
    ck_assert_ptr_nonnull(strstr(e.msg, "1122334455667788"));
    /* Same name and hash, another tensor shape. */
    convc_tensor t2[2] = { tiny_tensors[0], tiny_tensors[1] };
    t2[0].shape[0] = 3;
    t2[0].shape[1] = 2;
    other = tiny;
    other.tensors = t2;
    ck_assert_int_eq(ckpt_load(path, &other, NULL, p, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "2x3"));
    ck_assert_ptr_nonnull(strstr(e.msg, "3x2"));
    free(p);
}
END_TEST

START_TEST(not_a_checkpoint)
{
    write_bytes((const uint8_t *)"hello, world, this is text\n", 27);
    float p[9];
    cv_error e;
    ck_assert_int_eq(ckpt_load(path, &tiny, NULL, p, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "magic"));
    ck_assert_int_eq(ckpt_load("/nonexistent.ckpt", &tiny, NULL, p, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent.ckpt"));
}
END_TEST

START_TEST(nan_never_replaces_a_good_file)
{
    save_sample();
    size_t len;
    uint8_t before[4096];
    memcpy(before, read_bytes(&len), sizeof before);
    float bad[9];
    memcpy(bad, params, sizeof bad);
    bad[4] = NAN;
    cv_ckpt_state s = sample_state();
    float *state[2] = { m1, m2 };
    cv_error e;
    ck_assert_int_eq(ckpt_save(path, &tiny, &s, bad, state, 2, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "NaN"));
    size_t len2;
    const uint8_t *after = read_bytes(&len2);
    ck_assert_uint_eq(len, len2);
    ck_assert_mem_eq(before, after, len);
}
END_TEST

START_TEST(unwritable_directory)
{
    cv_ckpt_state s = sample_state();
    float *state[2] = { m1, m2 };
    cv_error e;
    ck_assert_int_eq(ckpt_save("/nonexistent/dir/x.ckpt", &tiny, &s, params, state, 2, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/dir/x.ckpt"));
}
END_TEST

START_TEST(optimizer_state_count_must_match)
{
    save_sample();
    float p[9], a[9];
    float *state[2] = { a, NULL };
    cv_error e;
    ck_assert_int_eq(ckpt_load(path, &tiny, NULL, p, state, 1, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "optimizer"));
}
END_TEST

static Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, round_trip);
    tcase_add_test(core, layout_matches_the_document);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, every_truncated_length_fails);
    tcase_add_test(limits, every_flipped_byte_fails);
    tcase_add_test(limits, other_model_names_both_sides);
    tcase_add_test(limits, not_a_checkpoint);
    tcase_add_test(limits, nan_never_replaces_a_good_file);
    tcase_add_test(limits, unwritable_directory);
    tcase_add_test(limits, optimizer_state_count_must_match);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(checkpoint_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
