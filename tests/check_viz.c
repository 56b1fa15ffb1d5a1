/* check_viz.c - filters and feature-map pictures from a small hand-written
 * model (two conv layers): valid PNGs, deterministic bytes, every conv
 * layer covered, and graceful behaviour for models without conv layers. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pictures/plot.h"
#include "base/png.h"
#include "pictures/viz.h"

/* ---- a tiny model: 6x6x1 -> conv 3 k=3 same relu -> pool 2 ->
 *      conv 4 k=3 same relu -> flatten -> dense 10 softmax ------------------ */

enum {
    P_C1K = 0, P_C1B = 27, P_C2K = 30, P_C2B = 138, P_DK = 142, P_DB = 502, N_PARAMS = 512,
    W_C1 = 0, W_POOL = 108, W_C2 = 135, W_DENSE = 171, WORK = 181
};

/* Same-padded 3x3 convolution plus ReLU, HWC. */
static void conv3x3(float *out, const float *in, const float *k, const float *b, int hw,
                    int cin, int cout)
{
    for (int y = 0; y < hw; y++)
        for (int x = 0; x < hw; x++)
            for (int o = 0; o < cout; o++) {
                float s = b[o];
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) {
                        int yy = y + i - 1, xx = x + j - 1;
                        if (yy < 0 || xx < 0 || yy >= hw || xx >= hw)
                            continue;
                        for (int c = 0; c < cin; c++)
                            s += in[(yy * hw + xx) * cin + c] * k[((i * 3 + j) * cin + c) * cout + o];
                    }
                out[(y * hw + x) * cout + o] = s > 0 ? s : 0;
            }
}

static void tiny_forward(const float *params, float *work, const float *x, int n,
                         float *probs, const uint64_t *seeds)
{
    (void)seeds;
    for (int s = 0; s < n; s++) {
        float *w = work + (size_t)s * WORK;
        conv3x3(w + W_C1, x + s * 36, params + P_C1K, params + P_C1B, 6, 1, 3);
        for (int y = 0; y < 3; y++)
            for (int xx = 0; xx < 3; xx++)
                for (int c = 0; c < 3; c++) {
                    float m = -INFINITY;
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++)
                            m = fmaxf(m, w[W_C1 + ((2 * y + i) * 6 + 2 * xx + j) * 3 + c]);
                    w[W_POOL + (y * 3 + xx) * 3 + c] = m;
                }
        conv3x3(w + W_C2, w + W_POOL, params + P_C2K, params + P_C2B, 3, 3, 4);
        float mx = -INFINITY, sum = 0;
        for (int o = 0; o < 10; o++) {
            float z = params[P_DB + o];
            for (int i = 0; i < 36; i++)
                z += w[W_C2 + i] * params[P_DK + i * 10 + o];
            w[W_DENSE + o] = z;
            mx = fmaxf(mx, z);
        }
        for (int o = 0; o < 10; o++)
            sum += probs[s * 10 + o] = expf(w[W_DENSE + o] - mx);
        for (int o = 0; o < 10; o++)
            probs[s * 10 + o] /= sum;
    }
}

static double no_backward(const float *params, float *grads, float *work, const float *x,
                          const uint8_t *labels, int n)
{
    (void)params, (void)grads, (void)work, (void)x, (void)labels, (void)n;
    return 0;
}

static const convc_tensor tiny_tensors[] = {
    {"conv1.kernel", 4, {3, 3, 1, 3}, P_C1K, 27, CONVC_INIT_GLOROT_UNIFORM, 9, 27, 0},
    {"conv1.bias", 1, {3}, P_C1B, 3, CONVC_INIT_ZEROS, 0, 0, 0},
    {"conv2.kernel", 4, {3, 3, 3, 4}, P_C2K, 108, CONVC_INIT_GLOROT_UNIFORM, 27, 36, 0},
    {"conv2.bias", 1, {4}, P_C2B, 4, CONVC_INIT_ZEROS, 0, 0, 0},
    {"dense1.kernel", 2, {36, 10}, P_DK, 360, CONVC_INIT_GLOROT_UNIFORM, 36, 10, 0},
    {"dense1.bias", 1, {10}, P_DB, 10, CONVC_INIT_ZEROS, 0, 0, 0},
};

static const convc_layer tiny_layers[] = {
    {"conv", "conv 3 k=3 same relu", 6, 6, 3, W_C1},
    {"pool", "pool 2", 3, 3, 3, W_POOL},
    {"conv", "conv 4 k=3 same relu", 3, 3, 4, W_C2},
    {"flatten", "flatten", 1, 1, 36, W_C2},
    {"dense", "dense 10 softmax", 1, 1, 10, W_DENSE},
};

static const convc_model tiny_model = {
    CONVC_MODEL_ABI, "tiny", "tiny.spec", "test", 0, 6, 6, 1, 10, N_PARAMS, WORK, 0, 0,
    6, tiny_tensors, 5, tiny_layers, tiny_forward, no_backward, 0, 0, 0, NULL, NULL, NULL,
};

/* The same without conv layers: flatten -> dense. */
static const convc_layer dense_layers[] = {
    {"flatten", "flatten", 1, 1, 36, 0},
    {"dense", "dense 10 softmax", 1, 1, 10, W_DENSE},
};
static const convc_model dense_model = {
    CONVC_MODEL_ABI, "dense_only", "d.spec", "test", 0, 6, 6, 1, 10, N_PARAMS, WORK, 0, 0,
    6, tiny_tensors, 2, dense_layers, tiny_forward, no_backward, 0, 0, 0, NULL, NULL, NULL,
};

static float params[N_PARAMS];

/* Fixed pseudo-random weights; conv1 filter 1 a vertical edge detector and
 * conv2 channel 4 dead (all weights and its bias negative or zero). */
static void init_params(void)
{
    uint32_t s = 12345;
    for (int i = 0; i < N_PARAMS; i++) {
        s = s * 1664525u + 1013904223u;
        params[i] = ((s >> 8) / 16777216.0f - 0.5f) * 0.8f;
    }
    for (int i = 0; i < 3; i++) {
        params[P_C1K + (i * 3 + 0) * 3] = -1;
        params[P_C1K + (i * 3 + 1) * 3] = 0;
        params[P_C1K + (i * 3 + 2) * 3] = 1;
    }
    for (int i = 0; i < 27; i++)
        params[P_C2K + i * 4 + 3] = -fabsf(params[P_C2K + i * 4 + 3]);
    params[P_C2B + 3] = 0;
}

/* A test set of 8 images 6x6 in 4 classes. */
static uint8_t images[8 * 36], labels[8];
static cv_dataset data;

static void init_data(void)
{
    memset(&data, 0, sizeof data);
    for (int i = 0; i < 8; i++) {
        labels[i] = (uint8_t)(i % 4);
        for (int p = 0; p < 36; p++)
            images[i * 36 + p] = (uint8_t)((p % 6 > i % 4 ? 200 : 10) + i);
    }
    data.test = (cv_images){8, 6, 6, 1, images, labels};
    data.train = data.test;
    data.n_classes = 4;
    static char *names[4] = {"Circle", "Square", "Long name for a class", "Star"};
    for (int k = 0; k < 4; k++)
        data.class_names[k] = names[k];
}

/* ---- helpers -------------------------------------------------------------- */

#include "tmp_dir.h"

static void setup(void)
{
    tmp_dir_make("check_viz");
    init_params();
    init_data();
}

static void teardown(void)
{
    tmp_dir_remove();
    plot_release_caches();
}

static void check_png(const char *path, int min_w, int min_h)
{
    cv_bitmap b;
    cv_error e;
    ck_assert_msg(cv_png_read(path, &b, &e) == 0, "%s", e.msg);
    ck_assert_msg(b.w >= min_w && b.h >= min_h && b.w <= 4000 && b.h <= 8000,
                  "%s is %dx%d", path, b.w, b.h);
    ck_assert_int_eq(b.channels, 3);
    cv_bitmap_free(&b);
}

static int same_file(const char *a, const char *b)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

/* ---- core ---------------------------------------------------------------- */

START_TEST(counts_conv_layers)
{
    ck_assert_int_eq(viz_conv_count(&tiny_model), 2);
    ck_assert_int_eq(viz_conv_count(&dense_model), 0);
}
END_TEST

START_TEST(filters_picture)
{
    cv_error e;
    ck_assert_msg(viz_filters(tmp_path("f1.png"), &tiny_model, params, &e) == 0, "%s", e.msg);
    ck_assert_msg(viz_filters(tmp_path("f2.png"), &tiny_model, params, &e) == 0, "%s", e.msg);
    check_png(tmp_path("f1.png"), 300, 150);
    ck_assert(same_file(tmp_path("f1.png"), tmp_path("f2.png")));
}
END_TEST

START_TEST(feature_maps_picture)
{
    float x[2 * 36];
    for (int i = 0; i < 72; i++)
        x[i] = images[i] / 255.0f;
    const char *captions[2] = {"Circle\nsecond line", "Square"};
    cv_error e;
    for (int k = 0; k < 2; k++) {
        ck_assert_msg(viz_feature_maps(tmp_path("m1.png"), &tiny_model, params, k, 2, x,
                                       captions, &e) == 0, "%s", e.msg);
        ck_assert_msg(viz_feature_maps(tmp_path("m2.png"), &tiny_model, params, k, 2, x,
                                       captions, &e) == 0, "%s", e.msg);
        check_png(tmp_path("m1.png"), 300, 200);
        ck_assert(same_file(tmp_path("m1.png"), tmp_path("m2.png")));
    }
    ck_assert_int_eq(viz_feature_maps(tmp_path("m3.png"), &tiny_model, params, 2, 1, x,
                                      NULL, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "no conv layer 3"));
}
END_TEST

START_TEST(write_all_covers_every_conv_layer)
{
    cv_error e;
    int n = -1;
    const char *dir = tmp_path("out/viz");      /* created, parents too */
    ck_assert_msg(viz_write_all(&tiny_model, params, &data, dir, &n, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(n, 3);
    static const char *files[] = {"filters.png", "featuremaps_conv1.png",
                                  "featuremaps_conv2.png"};
    for (int i = 0; i < 3; i++) {
        char path[200];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        check_png(path, 300, 150);
    }
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

START_TEST(model_without_conv_writes_nothing)
{
    cv_error e;
    int n = -1;
    const char *dir = tmp_path("none");
    ck_assert_int_eq(viz_write_all(&dense_model, params, &data, dir, &n, &e), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_int_ne(access(dir, F_OK), 0);
    ck_assert_int_eq(viz_filters(tmp_path("f.png"), &dense_model, params, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "no conv layer"));
}
END_TEST

START_TEST(mismatched_data_is_refused)
{
    cv_error e;
    data.test.w = 5;
    ck_assert_int_eq(viz_write_all(&tiny_model, params, &data, tmp_path("x"), NULL, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "6x6x1"));

    /* A kernel that does not match its layer is reported, not drawn. */
    convc_tensor bad[6];
    memcpy(bad, tiny_tensors, sizeof bad);
    bad[0].shape[3] = 5;
    convc_model m = tiny_model;
    m.tensors = bad;
    ck_assert_int_eq(viz_filters(tmp_path("f.png"), &m, params, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "conv1.kernel"));
}
END_TEST

static Suite *viz_suite(void)
{
    Suite *s = suite_create("viz");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(core, counts_conv_layers);
    tcase_add_test(core, filters_picture);
    tcase_add_test(core, feature_maps_picture);
    tcase_add_test(core, write_all_covers_every_conv_layer);
    tcase_add_test(limits, model_without_conv_writes_nothing);
    tcase_add_test(limits, mismatched_data_is_refused);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(viz_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
