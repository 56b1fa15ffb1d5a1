/* check_q8_kernels.c - the int8 kernels of `convc export --int8`
 * (output/q8_kernels.c) per layer kind against values worked out by hand:
 * convolution by groups, depthwise convolution (and the 1x1 one of an unfolded batchnorm),
 * leaky_relu's second multiplier, relu6's clamp, add, concat, global
 * average and max pooling, and tanh's and sigmoid's tables (built by
 * q8_layers.c from the float function).  Multipliers are written as mult * 2^(shift -
 * 31): (1 << 30, 1) is 1, (1 << 30, 0) is 1/2, (1 << 30, -1) is 1/4. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "output/q8_kernels.h"
#include "output/quantize.h"

#define HALF (1 << 30), 0
#define QUARTER (1 << 30), -1
#define ONE (1 << 30), 1

/* A 1x3 input of one channel, a 1x3 'same' window, two outputs per input
 * channel: (x - zp) = 0, 1, 2; channel 0 weights 1 2 3, bias 10, M 1/2;
 * channel 1 weights -1 0 1, bias -5, M 1. */
static const int8_t dw_in[] = { 1, 2, 3 };
static const int8_t dw_w[] = { 1, 2, 3, -1, 0, 1 };
static const int32_t dw_bias[] = { 10, -5 };
static const int32_t dw_mult[] = { 1 << 30, 1 << 30 };
static const int8_t dw_shift[] = { 0, 1 };

static q8_conv_geom dw_geom(int32_t lo, int32_t hi)
{
    q8_conv_geom g = { 1, 3, 1, 1, 3, 2, 1, 1, 3, 1, 1, 0, 1, 1, 0, lo, hi };
    return g;
}

START_TEST(conv_sums_every_input_channel_of_its_group)
{
    /* one pixel of 4 channels, input zp 1: (x - zp) = 2, -3, 1, 0.  One
     * group: weights 2 1 0 5 and -1 -1 -1 -1; two groups: output 0 reads
     * channels 0, 1 (weights 2 1), output 1 channels 2, 3 (weights 0 5) */
    static const int8_t in[] = { 3, -2, 2, 1 }, w1[] = { 2, 1, 0, 5, -1, -1, -1, -1 };
    static const int8_t w2[] = { 2, 1, 0, 5 };
    static const int32_t bias[] = { 0, 7 }, mult[] = { 1 << 30, 1 << 30 };
    static const int8_t shift[] = { 1, 1 };
    q8_channels t1 = { w1, bias, mult, shift, NULL, NULL };
    q8_channels t2 = { w2, bias, mult, shift, NULL, NULL };
    q8_conv_geom g = { 1, 1, 4, 1, 1, 2, 1, 1, 1, 1, 1, 0, 0, 1, 0, -128, 127 };
    int8_t out[2];
    q8_conv(out, in, &t1, &g);
    ck_assert_int_eq(out[0], 4 - 3 + 0 + 0);
    ck_assert_int_eq(out[1], 7 - 2 + 3 - 1);
    g.groups = 2;
    q8_conv(out, in, &t2, &g);
    ck_assert_int_eq(out[0], 4 - 3);
    ck_assert_int_eq(out[1], 7 + 0 + 0);
}
END_TEST

START_TEST(dwconv_sums_its_own_channel)
{
    q8_channels t = { dw_w, dw_bias, dw_mult, dw_shift, NULL, NULL };
    q8_conv_geom g = dw_geom(-128, 127);
    int8_t out[6];
    /* pixel 0 reads taps 1, 2 (tap 0 is padding): 10 + 3 = 13 -> 6.5 -> 7,
     * -5 + 1 = -4; pixel 1: 10 + 2 + 6 = 18 -> 9, -5 + 2 = -3; pixel 2
     * reads taps 0, 1: 10 + 1 + 4 = 15 -> 7.5 -> 8, -5 - 1 = -6. */
    const int8_t want[] = { 7, -4, 9, -3, 8, -6 };
    q8_conv(out, dw_in, &t, &g);
    for (int j = 0; j < 6; j++)
        ck_assert_int_eq(out[j], want[j]);
}
END_TEST

START_TEST(leaky_relu_takes_the_second_multiplier_below_zero)
{
    /* channel 1's negative sums at M 1/2: -4 -> -2, -3 -> -1.5 -> -1 (half
     * up), -6 -> -3; channel 0 is positive and keeps its multiplier */
    static const int32_t neg_mult[] = { 1 << 30, 1 << 30 };
    static const int8_t neg_shift[] = { 0, 0 };
    q8_channels t = { dw_w, dw_bias, dw_mult, dw_shift, neg_mult, neg_shift };
    q8_conv_geom g = dw_geom(-128, 127);
    int8_t out[6];
    const int8_t want[] = { 7, -2, 9, -1, 8, -3 };
    q8_conv(out, dw_in, &t, &g);
    for (int j = 0; j < 6; j++)
        ck_assert_int_eq(out[j], want[j]);
}
END_TEST

START_TEST(relu6_clamps_in_the_quantized_domain)
{
    /* zero point 0: relu clamps at 0, and 6 is 8 steps */
    q8_channels t = { dw_w, dw_bias, dw_mult, dw_shift, NULL, NULL };
    q8_conv_geom g = dw_geom(0, 8);
    int8_t out[6];
    const int8_t want[] = { 7, 0, 8, 0, 8, 0 };
    q8_conv(out, dw_in, &t, &g);
    for (int j = 0; j < 6; j++)
        ck_assert_int_eq(out[j], want[j]);
}
END_TEST

START_TEST(batchnorm_is_a_one_by_one_depthwise_conv)
{
    /* y = scale * (x - zp) + shift per channel: channel 0 weight -127,
     * bias 100, M 1/4; channel 1 weight 64, bias 0, M 1/2, output zp 3 */
    static const int8_t in[] = { 5, -7, 1, 0 };
    static const int8_t w[] = { -127, 64 };
    static const int32_t bias[] = { 100, 0 }, mult[] = { 1 << 30, 1 << 30 };
    static const int8_t shift[] = { -1, 0 };
    q8_channels t = { w, bias, mult, shift, NULL, NULL };
    q8_conv_geom g = { 1, 2, 2, 1, 2, 2, 2, 1, 1, 1, 1, 0, 0, 1, 3, -128, 127 };
    int8_t out[4];
    /* (5-1)*-127+100 = -408 -> -102; (-7-1)*64 = -512 -> -256 -> clamp;
     * (1-1)*-127+100 = 100 -> 25; (0-1)*64 = -64 -> -32; plus 3 */
    const int8_t want[] = { -99, -128, 28, -29 };
    q8_conv(out, in, &t, &g);
    for (int j = 0; j < 4; j++)
        ck_assert_int_eq(out[j], want[j]);
}
END_TEST

START_TEST(add_rescales_both_inputs_to_a_common_scale)
{
    /* a: scale 1/2, zp 0; b: scale 1/4, zp 10; twice the larger scale is
     * 1: a by 1/2, b by 1/4 after << 20, the sum by 2^-20 to scale 1, zp -5 */
    static const int8_t a[] = { 3, -4, 0, 127 }, b[] = { 14, 10, 7, -128 };
    q8_add_geom g = { 4, { 0, HALF }, { 10, QUARTER }, 1 << 30, -19, 1 << 30, -19, -5, -128,
                      127 };
    int8_t out[4];
    /* 1.5 + 1 = 2.5 -> 3 (half up); -2 + 0; 0 - 0.75 -> -1; 63.5 - 34.5 = 29 */
    const int8_t want[] = { -2, -7, -6, 24 };
    q8_add(out, a, b, &g);
    for (int j = 0; j < 4; j++)
        ck_assert_int_eq(out[j], want[j]);
    /* leaky_relu: a negative sum at a quarter of the output multiplier:
     * -2 -> -0.5 -> 0, -0.75 -> -0.1875 -> 0 */
    g.neg_shift = -21;
    q8_add(out, a, b, &g);
    ck_assert_int_eq(out[1], -5);
    ck_assert_int_eq(out[2], -5);
    ck_assert_int_eq(out[3], 24);
}
END_TEST

START_TEST(concat_requantizes_each_input)
{
    /* two pixels; a (2 channels) at half the output's scale, zp 0; b (1
     * channel) has the output's scale and zero point 3: copied exactly */
    static const int8_t a[] = { 5, -5, 127, -128 }, b[] = { -128, 127 };
    q8_concat_geom g = { 2, 2, 1, { 0, HALF }, { 3, ONE }, 3 };
    int8_t out[6];
    /* 2.5 -> 3, -2.5 -> -2, 63.5 -> 64, -64; plus 3 */
    const int8_t want[] = { 6, 1, -128, 67, -61, 127 };
    q8_concat(out, a, b, &g);
    for (int j = 0; j < 6; j++)
        ck_assert_int_eq(out[j], want[j]);
}
END_TEST

START_TEST(global_average_pool_folds_the_mean_into_the_multiplier)
{
    /* 4 pixels, 2 channels, input zp -128, M = 1/4 (the same scales):
     * channel 0 sums 0+1+2+3 = 6 -> 1.5 -> 2; channel 1 255*4 -> 255 -> 127 */
    static const int8_t in[] = { -128, 127, -127, 127, -126, 127, -125, 127 };
    q8_gavg_geom g = { 4, 2, -128, QUARTER, -128 };
    int8_t out[2];
    q8_gavg(out, in, &g);
    ck_assert_int_eq(out[0], -126);
    ck_assert_int_eq(out[1], 127);
}
END_TEST

START_TEST(global_max_pool_is_exact)
{
    static const int8_t in[] = { -128, 5, 17, -3, 9, 4, -1, -2, 0, 127, -128, 6 };
    q8_pool_geom g = { 2, 3, 2, 1, 1, 2, 3, 2, 3, 0, 0, 0 };
    int8_t out[2];
    q8_pool(out, in, &g);
    ck_assert_int_eq(out[0], 17);
    ck_assert_int_eq(out[1], 127);
}
END_TEST

/* The table of a one-layer model whose activation is act and whose
 * pre-activation is at (scale, zp); the layer's output qparams in *out.
 * The caller frees the table. */
static int8_t *activation_table(ir_activation act, float scale, int32_t zp, q8_qparams *out)
{
    ir_layer l;
    ir_model m;
    q8_layer y;
    q8_model q;
    memset(&l, 0, sizeof l);
    memset(&m, 0, sizeof m);
    memset(&y, 0, sizeof y);
    memset(&q, 0, sizeof q);
    l.act = act;
    m.n_layers = 1;
    m.layers = &l;
    y.pre.scale = scale;
    y.pre.zp = zp;
    q.m = &m;
    q.layers = &y;
    ck_assert_int_eq(q8_table_quantize(&q, 0, stderr), 0);
    *out = y.out;
    return y.lut;
}

START_TEST(tanh_maps_the_pre_activation_through_its_table)
{
    /* pre-activation scale 1/32, zero point 0: q = 32 is 1.0, tanh(1) =
     * 0.76159 is 97.48 steps of 1/128 -> 97; q = 16: tanh(0.5) = 0.46212,
     * 59.15 -> 59; q = 127 (3.97): 127.9 -> 128, clamped to 127; q = -128
     * (-4.0): -127.9 -> -128 */
    q8_qparams out;
    int8_t *table = activation_table(IR_TANH, 1.0f / 32.0f, 0, &out);
    int8_t v[] = { 0, 32, -32, 16, 127, -128 };
    /* a dense layer writes the pre-activation: (5 - 1) * 8 * 1 = 32 */
    static const int8_t in[] = { 5 }, w[] = { 8 };
    static const int32_t bias[] = { 0 }, mult[] = { 1 << 30 };
    static const int8_t shift[] = { 1 };
    q8_channels t = { w, bias, mult, shift, NULL, NULL };
    int8_t y[1];
    ck_assert_float_eq(out.scale, 1.0f / 128.0f);
    ck_assert_int_eq(out.zp, 0);
    q8_lut(v, 6, table);
    ck_assert_int_eq(v[0], 0);
    ck_assert_int_eq(v[1], 97);
    ck_assert_int_eq(v[2], -97);
    ck_assert_int_eq(v[3], 59);
    ck_assert_int_eq(v[4], 127);
    ck_assert_int_eq(v[5], -128);
    q8_dense(y, in, &t, 1, 1, 1, 0, -128, 127);
    ck_assert_int_eq(y[0], 32);
    q8_lut(y, 1, table);
    ck_assert_int_eq(y[0], 97);
    free(table);
}
END_TEST

START_TEST(sigmoid_maps_the_pre_activation_through_its_table)
{
    /* pre-activation scale 1/16, zero point -10; output 1/256, zero point
     * -128: q = -10 is 0.0, sigmoid 0.5 -> 128 - 128 = 0; q = 6 is 1.0,
     * 0.73106 * 256 = 187.15 -> 59; q = -128 (-7.375): 0.16 -> -128; q =
     * 127 (8.5625): 255.95 -> 256 - 128, clamped to 127 */
    q8_qparams out;
    int8_t *table = activation_table(IR_SIGMOID, 1.0f / 16.0f, -10, &out);
    int8_t v[] = { -10, 6, -128, 127 };
    ck_assert_float_eq(out.scale, 1.0f / 256.0f);
    ck_assert_int_eq(out.zp, -128);
    q8_lut(v, 4, table);
    ck_assert_int_eq(v[0], 0);
    ck_assert_int_eq(v[1], 59);
    ck_assert_int_eq(v[2], -128);
    ck_assert_int_eq(v[3], 127);
    free(table);
}
END_TEST

static Suite *q8_kernels_suite(void)
{
    Suite *s = suite_create("q8_kernels");
    TCase *core = tcase_create("core");
    tcase_add_test(core, conv_sums_every_input_channel_of_its_group);
    tcase_add_test(core, dwconv_sums_its_own_channel);
    tcase_add_test(core, leaky_relu_takes_the_second_multiplier_below_zero);
    tcase_add_test(core, relu6_clamps_in_the_quantized_domain);
    tcase_add_test(core, batchnorm_is_a_one_by_one_depthwise_conv);
    tcase_add_test(core, add_rescales_both_inputs_to_a_common_scale);
    tcase_add_test(core, concat_requantizes_each_input);
    tcase_add_test(core, global_average_pool_folds_the_mean_into_the_multiplier);
    tcase_add_test(core, global_max_pool_is_exact);
    tcase_add_test(core, tanh_maps_the_pre_activation_through_its_table);
    tcase_add_test(core, sigmoid_maps_the_pre_activation_through_its_table);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(q8_kernels_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
