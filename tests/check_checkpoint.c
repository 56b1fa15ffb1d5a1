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
#include <zlib.h>
#include "train/checkpoint.h"
#include "fixtures/fixture_models.h"
#include "train/optim.h"
#include "base/settings.h"

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
                        .epsilon = 1e-7, .step = 12345, .batch = 32, .workers = 2,
                        .epochs = 10, .shuffle = 1, .seed = 77, .limit_train = 600,
                        .n_train = 540, .val_split = 0.1, .epoch = 3, .batch_pos = 7,
                        .rng = { 1, 2, 3, 0xffffffffffffffffull }, .run_loss = 1.5,
                        .run_correct = 100, .run_seen = 224,
                        .data_hash = 0x0123456789abcdefull, .data_dir = "/data/fashion" };
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
    ck_assert_msg(ckpt_save(path, &fixture_tiny_model, &s, params, state, 2, &e) == 0, "%s", e.msg);
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

/* ---- crafted checkpoints: a field patched, then length and CRC made right
 * again, so that the reader gets past the CRC to the field's own check ---- */

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Rewrites the length field and the CRC of the len bytes in b. */
static void reseal(uint8_t *b, size_t len)
{
    put_le(b + 16, len, 8);
    put_le(b + len - 4, crc32_z(0L, b, len - 4), 4);
}

/* Bytes from the start of the settings fields to the parameters, and each
 * field's place in them (docs/checkpoint-format.md). */
enum {
    F_OPTIMIZER = 0, F_N_STATE = 4, F_LR = 8, F_MOMENTUM = 40, F_BATCH = 56, F_WORKERS = 60,
    F_EPOCHS = 64, F_SHUFFLE = 68, F_LIMIT_TRAIN = 80, F_N_TRAIN = 88, F_VAL_SPLIT = 96,
    F_EPOCH = 104, F_LIMIT_TEST = 108, F_BATCH_POS = 112, F_RUN_LOSS = 152,
    F_RUN_CORRECT = 160, F_RUN_SEEN = 168, FIELDS_V2_BYTES = 176,
    /* version 3 */
    F_SCHEDULE = 176, F_LR_FACTOR = 180, F_LR_EVERY = 188, F_WARMUP = 192, F_LR_PATIENCE = 200,
    F_MIN_LR = 204, F_WEIGHT_DECAY = 212, F_DECAY_ALL = 220, F_EARLY_STOP = 224,
    F_RESTORE_BEST = 228, F_SHIFT = 232, F_FLIP = 236, F_CROP_PAD = 240, F_CUTOUT = 244,
    F_PLATEAU_LR = 248, F_PLATEAU_BEST = 256, F_PLATEAU_WAIT = 264, F_BEST_LOSS = 268,
    F_BEST_EPOCH = 276, F_STOP_WAIT = 280, F_STOPPED = 284, F_N_BEST = 288, FIELDS_V3_BYTES = 292,
    /* version 4 */
    F_ISA = 292, FIELDS_V4_BYTES = 300,
    /* version 5 */
    F_DATA_HASH = 300, FIELDS_BYTES = 308
};

/* The sample checkpoint with the field at `at` set to v (bytes wide). */
static size_t crafted(uint8_t *b, int at, uint64_t v, int bytes)
{
    save_sample();
    size_t len;
    const uint8_t *file = read_bytes(&len);
    memcpy(b, file, len);
    size_t fields = len - 4 - 3 * 9 * 4 - FIELDS_BYTES;
    put_le(b + fields + (size_t)at, v, bytes);
    reseal(b, len);
    write_bytes(b, len);
    return len;
}

/* The sample file b (len bytes, the current version) as version v wrote
 * it, into out: without data_dir (before version 5), its fields cut after
 * `keep` bytes; returns its length. */
static size_t as_version(uint8_t *out, const uint8_t *b, size_t len, uint32_t v, size_t keep)
{
    size_t fields = len - 4 - 3 * 9 * 4 - FIELDS_BYTES, at = 24, dir_bytes = 0, n;
    for (int k = 0; k < 3; k++)         /* model, spec_file, convc_version */
        at += 4 + (size_t)get_le(b + at, 4);
    if (v < 5)
        dir_bytes = 4 + (size_t)get_le(b + at, 4);
    memcpy(out, b, at);
    n = at;
    memcpy(out + n, b + at + dir_bytes, fields + keep - (at + dir_bytes));
    n += fields + keep - (at + dir_bytes);
    memcpy(out + n, b + fields + FIELDS_BYTES, len - (fields + FIELDS_BYTES));
    n += len - (fields + FIELDS_BYTES);
    put_le(out + 8, v, 4);
    reseal(out, n);
    return n;
}

static uint64_t f64_bits(double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    return v;
}

/* ckpt_load fails on the file at path with "PATH: detail". */
static void expect_load_error(const char *detail)
{
    cv_error e;
    char want[1100];
    float p[9], a[9], b[9];
    float *state[2] = { a, b };
    ck_assert_int_eq(ckpt_load(path, &fixture_tiny_model, NULL, p, state, 2, &e), -1);
    snprintf(want, sizeof want, "%s: %s", path, detail);
    ck_assert_str_eq(e.msg, want);
}

/* Sets the flags field (bytes 12..15, covered by the CRC but by nothing
 * else) so that the CRC of b[0..len-4) equals the 4 bytes stored at
 * b[len-4..len): CRC-32 is affine in its input, so flipping flag bit i
 * changes it by a fixed delta; Gaussian elimination picks the bits. */
static void forge_crc(uint8_t *b, size_t len)
{
    uint32_t base = (uint32_t)crc32_z(0L, b, len - 4), delta[32], pick[32];
    for (int i = 0; i < 32; i++) {
        b[12 + i / 8] ^= (uint8_t)(1u << (i % 8));
        delta[i] = (uint32_t)crc32_z(0L, b, len - 4) ^ base;
        b[12 + i / 8] ^= (uint8_t)(1u << (i % 8));
        pick[i] = 1u << i;
    }
    uint32_t want = (uint32_t)(b[len - 4] | b[len - 3] << 8 | b[len - 2] << 16 |
                               (uint32_t)b[len - 1] << 24) ^ base;
    /* Row-reduce the deltas, tracking which flag bits make up each row. */
    for (int bit = 31, row = 0; bit >= 0 && row < 32; bit--) {
        int r = row;
        while (r < 32 && !(delta[r] >> bit & 1))
            r++;
        if (r == 32)
            continue;
        uint32_t t = delta[r], u = pick[r];
        delta[r] = delta[row], pick[r] = pick[row];
        delta[row] = t, pick[row] = u;
        for (int k = 0; k < 32; k++)
            if (k != row && delta[k] >> bit & 1)
                delta[k] ^= delta[row], pick[k] ^= pick[row];
        row++;
    }
    uint32_t flip = 0;
    for (int r = 0; r < 32; r++)
        for (int bit = 31; bit >= 0; bit--)
            if (delta[r] >> bit & 1) {
                if (want >> bit & 1)
                    flip ^= pick[r];
                break;
            }
    for (int i = 0; i < 32; i++)
        if (flip >> i & 1)
            b[12 + i / 8] ^= (uint8_t)(1u << (i % 8));
    ck_assert_uint_eq(crc32_z(0L, b, len - 4), b[len - 4] | b[len - 3] << 8 |
                      b[len - 2] << 16 | (uint32_t)b[len - 1] << 24);
}

START_TEST(round_trip)
{
    save_sample();
    float p[9], a[9], b[9];
    float *state[2] = { a, b };
    cv_ckpt_state s, want = sample_state();
    cv_error e;
    ck_assert_msg(ckpt_load(path, &fixture_tiny_model, &s, p, state, 2, &e) == 0, "%s", e.msg);
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
    ck_assert_uint_eq(s.workers, want.workers);
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
    ck_assert_int_eq(ckpt_load(path, &fixture_tiny_model, NULL, p, NULL, 0, &e), 0);
    ck_assert_mem_eq(p, params, sizeof p);
    ck_assert_int_eq(ckpt_peek(path, &fixture_tiny_model, &s, &e), 0);
    ck_assert_uint_eq(s.step, 12345);
}
END_TEST

START_TEST(layout_matches_the_document)
{
    save_sample();
    size_t len;
    const uint8_t *b = read_bytes(&len);
    ck_assert_mem_eq(b, "CONVCKPT", 8);
    ck_assert_uint_eq(b[8], CKPT_VERSION);              /* version */
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
        ck_assert_msg(ckpt_load(path, &fixture_tiny_model, NULL, p, NULL, 0, &e) == -1, "length %zu", n);
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
        ck_assert_msg(ckpt_load(path, &fixture_tiny_model, NULL, p, NULL, 0, &e) == -1, "byte %zu", i);
    }
    /* A flip in the weights is reported as a CRC mismatch. */
    full[len - 20] ^= 1;
    write_bytes(full, len);
    float p[9];
    cv_error e;
    ck_assert_int_eq(ckpt_load(path, &fixture_tiny_model, NULL, p, NULL, 0, &e), -1);
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
    convc_model other = fixture_tiny_model;
    other.spec_hash = 0xabcdef;
    ck_assert_int_eq(ckpt_load(path, &other, NULL, p, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "0000000000abcdef"));
    ck_assert_ptr_nonnull(strstr(e.msg, "1122334455667788"));
    /* Same name and hash, another tensor shape. */
    convc_tensor t2[2] = { fixture_tiny_model.tensors[0], fixture_tiny_model.tensors[1] };
    t2[0].shape[0] = 3;
    t2[0].shape[1] = 2;
    other = fixture_tiny_model;
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
    ck_assert_int_eq(ckpt_load(path, &fixture_tiny_model, NULL, p, NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "magic"));
    ck_assert_int_eq(ckpt_load("/nonexistent.ckpt", &fixture_tiny_model, NULL, p, NULL, 0, &e), -1);
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
    ck_assert_int_eq(ckpt_save(path, &fixture_tiny_model, &s, bad, state, 2, &e), -1);
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
    ck_assert_int_eq(ckpt_save("/nonexistent/dir/x.ckpt", &fixture_tiny_model, &s, params, state, 2, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/dir/x.ckpt"));
}
END_TEST

START_TEST(optimizer_state_count_must_match)
{
    save_sample();
    float p[9], a[9];
    float *state[2] = { a, NULL };
    cv_error e;
    ck_assert_int_eq(ckpt_load(path, &fixture_tiny_model, NULL, p, state, 1, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "optimizer"));
}
END_TEST

/* A field of the sample checkpoint, patched, and the reader's complaint. */
typedef struct {
    int at;
    uint64_t value;
    int bytes;
    const char *detail;
} bad_field;

static void expect_bad_fields(const bad_field *cases, size_t n)
{
    uint8_t b[4096];
    for (size_t i = 0; i < n; i++) {
        crafted(b, cases[i].at, cases[i].value, cases[i].bytes);
        expect_load_error(cases[i].detail);
    }
}

START_TEST(settings_pass_the_options_checks)
{
    /* The first three crashed `train --resume` (heap overflow in the
     * shuffle) or started thousands of threads. */
    static const char nan_split[] = "val_split: nan is not valid (expected a number >= 0 and "
                                    "< 1, as for --val-split)";
    const bad_field cases[] = {
        { F_VAL_SPLIT, 0, 8, nan_split },
        { F_VAL_SPLIT, 0, 8, "val_split: -4503599627370496 is not valid (expected a number "
                             ">= 0 and < 1, as for --val-split)" },
        { F_WORKERS, 3000, 4, "workers: 3000 is not valid (expected an integer from 1 to "
                              "64, as for --workers)" },
        { F_N_TRAIN, 0, 8, "n_train: 0 is not valid (expected an integer from 1 to "
                           "2000000000)" },
        { F_BATCH, 0, 4, "batch: 0 is not valid (expected an integer from 1 to 65536, as for "
                         "--batch)" },
        { F_EPOCHS, 0, 4, "epochs: 0 is not valid (expected an integer from 1 to 1000000, as "
                          "for --epochs)" },
        { F_LR, 0, 8, "lr: inf is not valid (expected a number > 0 and <= 10, as for --lr)" },
        { F_MOMENTUM, 0, 8, "momentum: 1 is not valid (expected a number >= 0 and < 1, as for "
                            "--momentum)" },
        { F_SHUFFLE, 2, 4, "shuffle: 2 is not valid (expected an integer from 0 to 1, as for "
                           "--no-shuffle)" },
        { F_OPTIMIZER, 5, 4, "optimizer: 5 is not valid (expected an integer from 0 to 4, as "
                             "for --optimizer)" },
        { F_LIMIT_TRAIN, 2000000001, 8, "limit_train: 2000000001 is not valid (expected an "
                                        "integer from 1 to 2000000000, as for --limit-train)" },
        { F_LIMIT_TEST, 2000000001, 4, "limit_test: 2000000001 is not valid (expected an "
                                       "integer from 1 to 2000000000, as for --limit-test)" },
        { F_LIMIT_TRAIN, 100, 8, "n_train: 540 images, more than limit_train 100" },
        { F_N_STATE, 1, 4, "optimizer: kind 3 with 1 state arrays is not valid" },
    };
    bad_field c[sizeof cases / sizeof *cases];
    memcpy(c, cases, sizeof c);
    c[0].value = f64_bits(NAN);
    c[1].value = f64_bits(-4503599627370496.0);
    c[6].value = f64_bits(INFINITY);
    c[7].value = f64_bits(1.0);
    expect_bad_fields(c, sizeof c / sizeof *c);
}
END_TEST

START_TEST(position_lies_within_the_epoch)
{
    /* 540 images in batches of 32: batches 0 to 16. */
    const bad_field cases[] = {
        { F_BATCH_POS, 17, 8, "batch_pos: 17 batches done, but an epoch of 540 images has 17 "
                              "batches of 32" },
        { F_BATCH_POS, UINT64_MAX, 8, "batch_pos: 18446744073709551615 batches done, but an "
                                      "epoch of 540 images has 17 batches of 32" },
        { F_RUN_SEEN, 225, 8, "run_seen: 225 images seen (100 correct) after 7 batches of 32" },
        { F_RUN_CORRECT, 225, 8, "run_seen: 224 images seen (225 correct) after 7 batches of "
                                 "32" },
        { F_RUN_LOSS, 0x7ff8000000000000ull, 8, "run_loss: nan is not a summed loss" },
    };
    expect_bad_fields(cases, sizeof cases / sizeof *cases);
    uint8_t b[4096];
    /* The one rule for parameters: a NaN is corrupt for training, eval and export. */
    size_t len = crafted(b, F_EPOCH, 3, 4);
    float nan = NAN;
    memcpy(b + len - 4 - 3 * 36 + 4 * 4, &nan, 4);
    reseal(b, len);
    write_bytes(b, len);
    expect_load_error("parameters: parameter 4 is NaN (checkpoints never hold one; corrupt "
                      "file)");
    float p[9];
    cv_error e;
    ck_assert_int_eq(ckpt_load(path, &fixture_tiny_model, NULL, p, NULL, 0, &e), -1);
}
END_TEST

START_TEST(header_too_short_for_the_crc)
{
    /* 24 to 27 bytes whose length field and CRC are right: the reader must
     * not compute the end of the fields before checking the size. */
    for (size_t n = 24; n < 28; n++) {
        uint8_t b[28] = "CONVCKPT";
        put_le(b + 8, CKPT_VERSION, 4);
        put_le(b + 16, n, 8);
        forge_crc(b, n);
        write_bytes(b, n);
        char want[64];
        snprintf(want, sizeof want, "length: %zu bytes cannot hold the header and the CRC "
                 "(truncated)", n);
        expect_load_error(want);
        cv_error e;
        ck_assert_int_eq(ckpt_parse("mem", b, n, &fixture_tiny_model, NULL, NULL, NULL, 0, &e), -1);
    }
}
END_TEST

START_TEST(evaluation_settings_are_kept)
{
    uint8_t b[4096];
    cv_ckpt_state s;
    cv_error e;
    size_t len0 = crafted(b, F_LIMIT_TEST, 300, 4);
    ck_assert_int_eq(ckpt_peek(path, &fixture_tiny_model, &s, &e), 0);
    ck_assert_uint_eq(s.limit_test, 300);
    ck_assert_uint_eq(s.version, CKPT_VERSION);
    ck_assert_uint_eq(s.workers, 2);
    ck_assert_uint_eq(s.data_hash, 0x0123456789abcdefull);
    ck_assert_str_eq(s.data_dir, "/data/fashion");
    /* Version 4 has no data_dir after convc_version and ends its fields at
     * isa: no data_hash.  Both read as unknown (0, ""): nothing checked. */
    uint8_t old[4096];
    write_bytes(old, as_version(old, b, len0, 4, FIELDS_V4_BYTES));
    ck_assert_msg(ckpt_peek(path, &fixture_tiny_model, &s, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(s.version, 4);
    ck_assert_uint_eq(s.workers, 2);
    ck_assert_uint_eq(s.data_hash, 0);
    ck_assert_str_eq(s.data_dir, "");
    /* Version 3 had the thread count where version 4 has the workers, and
     * no isa after n_best. */
    write_bytes(old, as_version(old, b, len0, 3, FIELDS_V3_BYTES));
    ck_assert_msg(ckpt_peek(path, &fixture_tiny_model, &s, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(s.version, 3);
    ck_assert_uint_eq(s.threads, 2);
    ck_assert_uint_eq(s.workers, 0);
    ck_assert_uint_eq(s.isa, 0);
    /* Version 1 had a reserved 0 there and is still read; versions 1 and 2
     * end their fields before version 3's. */
    size_t len = crafted(b, F_LIMIT_TEST, 0, 4);
    for (uint32_t v = 1; v <= 2; v++) {
        write_bytes(old, as_version(old, b, len, v, FIELDS_V2_BYTES));
        ck_assert_msg(ckpt_peek(path, &fixture_tiny_model, &s, &e) == 0, "%s", e.msg);
        ck_assert_uint_eq(s.version, v);
        ck_assert_uint_eq(s.limit_test, 0);
        /* What a run without schedules or early stopping had. */
        ck_assert_uint_eq(s.schedule, 0);
        ck_assert_double_eq_tol(s.lr_factor, 0.1, 1e-15);
        ck_assert_double_eq_tol(s.plateau_lr, 0.001, 1e-15);
        ck_assert(isinf(s.best_loss) && s.early_stop == 0 && s.n_best == 0);
    }
    put_le(b + 8, CKPT_VERSION + 1, 4);
    reseal(b, len);
    write_bytes(b, len);
    expect_load_error("version: checkpoint format 6, this program reads versions 1 to 5");
}
END_TEST

START_TEST(version_3_settings_pass_the_options_checks)
{
    const bad_field cases[] = {
        { F_SCHEDULE, 4, 4, "schedule: 4 is not valid (expected an integer from 0 to 3, as for "
                            "--schedule)" },
        { F_LR_FACTOR, 0, 8, "lr_factor: 1 is not valid (expected a number > 0 and < 1, as for "
                             "--lr-factor)" },
        { F_LR_EVERY, 1000001, 4, "lr_every: 1000001 is not valid (expected an integer from 1 "
                                  "to 1000000, as for --lr-every)" },
        { F_WEIGHT_DECAY, 0, 8, "weight_decay: -0.5 is not valid (expected a number >= 0 and < "
                                "1, as for --weight-decay)" },
        { F_FLIP, 2, 4, "flip: 2 is not valid (expected an integer from 0 to 1, as for "
                        "--flip)" },
        { F_CUTOUT, 5000, 4, "cutout: 5000 is not valid (expected an integer from 0 to 1024, "
                             "as for --cutout)" },
        { F_BEST_LOSS, 0, 8, "best_loss: nan is not a lowest loss" },
        { F_BEST_EPOCH, 4, 4, "early stopping: best epoch 4, 0 and 0 epochs without "
                              "improvement, stopped 0 after 3 epochs is not a possible state" },
        { F_STOPPED, 1, 4, "early stopping: best epoch 0, 0 and 0 epochs without improvement, "
                           "stopped 1 after 3 epochs is not a possible state" },
        { F_EARLY_STOP, 3, 4, "n_best: 0 arrays of best weights with early_stop 3 (expected 1)" },
    };
    bad_field c[sizeof cases / sizeof *cases];
    memcpy(c, cases, sizeof c);
    c[1].value = f64_bits(1.0);
    c[3].value = f64_bits(-0.5);
    c[6].value = f64_bits(NAN);
    expect_bad_fields(c, sizeof c / sizeof *c);
}
END_TEST

START_TEST(best_weights_round_trip)
{
    cv_ckpt_state s = sample_state();
    s.early_stop = 2;
    s.restore_best = 1;
    s.best_epoch = 2;
    s.best_loss = 0.25;
    s.schedule = 3;
    s.plateau_lr = 0.0001;
    float best[9], p[9], got[9], a[9], v[9];
    for (int i = 0; i < 9; i++) {
        best[i] = (float)i * 0.5f;
        p[i] = -(float)i;
    }
    float *state[2] = { p, p };
    cv_error e;
    ck_assert_msg(ckpt_save_run(path, &fixture_tiny_model, &s, p, state, 2, best, &e) == 0,
                  "%s", e.msg);
    cv_ckpt_state r;
    float *into[2] = { a, v };
    ck_assert_msg(ckpt_load_run(path, &fixture_tiny_model, &r, p, into, 2, got, &e) == 0,
                  "%s", e.msg);
    ck_assert_mem_eq(got, best, sizeof best);
    ck_assert_uint_eq(r.n_best, 1);
    ck_assert_uint_eq(r.best_epoch, 2);
    ck_assert_double_eq_tol(r.best_loss, 0.25, 1e-15);
    ck_assert_double_eq_tol(r.plateau_lr, 0.0001, 1e-15);
    double x;
    ck_assert_int_eq(ckpt_setting(&r, SETTING_EARLY_STOP, &x), 0);
    ck_assert_double_eq(x, 2);
    ck_assert_int_eq(ckpt_setting(&r, SETTING_STEPS, &x), -1);
    /* The best weights are finite like the parameters. */
    size_t len;
    uint8_t b[4096];
    const uint8_t *file = read_bytes(&len);
    memcpy(b, file, len);
    float nan = NAN;
    memcpy(b + len - 4 - 36 + 8, &nan, 4);
    reseal(b, len);
    write_bytes(b, len);
    ck_assert_int_eq(ckpt_load_run(path, &fixture_tiny_model, &r, p, into, 2, got, &e), -1);
    ck_assert_str_eq(cv_error_detail(&e, path), "best weights: parameter 2 is NaN (checkpoints "
                     "never hold one; corrupt file)");
}
END_TEST

START_TEST(parses_from_memory)
{
    save_sample();
    size_t len;
    const uint8_t *b = read_bytes(&len);
    float p[9];
    cv_ckpt_state s;
    cv_error e;
    ck_assert_msg(ckpt_parse("mem", b, len, &fixture_tiny_model, &s, p, NULL, 0, &e) == 0, "%s", e.msg);
    ck_assert_mem_eq(p, params, sizeof p);
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);   /* exactly n bytes, for ASan */
        memcpy(cut, b, n);
        ck_assert_int_eq(ckpt_parse("mem", cut, n, &fixture_tiny_model, &s, p, NULL, 0, &e), -1);
        ck_assert_msg(strncmp(e.msg, "mem: ", 5) == 0, "length %zu: '%s'", n, e.msg);
        free(cut);
    }
}
END_TEST

START_TEST(invalid_settings_are_never_saved)
{
    save_sample();
    cv_ckpt_state s = sample_state();
    s.workers = 3000;
    float *state[2] = { m1, m2 };
    cv_error e;
    ck_assert_int_eq(ckpt_save(path, &fixture_tiny_model, &s, params, state, 2, &e), -1);
    char want[512];
    snprintf(want, sizeof want, "%s: not saved: workers: 3000 is not valid (expected an "
             "integer from 1 to 64, as for --workers); the previous checkpoint is kept", path);
    ck_assert_str_eq(e.msg, want);
    ck_assert_int_eq(ckpt_peek(path, &fixture_tiny_model, &s, &e), 0);
    ck_assert_uint_eq(s.workers, 2);
}
END_TEST

static Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, round_trip);
    tcase_add_test(core, layout_matches_the_document);
    tcase_add_test(core, parses_from_memory);
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
    tcase_add_test(limits, settings_pass_the_options_checks);
    tcase_add_test(limits, position_lies_within_the_epoch);
    tcase_add_test(limits, header_too_short_for_the_crc);
    tcase_add_test(limits, evaluation_settings_are_kept);
    tcase_add_test(limits, version_3_settings_pass_the_options_checks);
    tcase_add_test(limits, best_weights_round_trip);
    tcase_add_test(limits, invalid_settings_are_never_saved);
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
