/* check_mem_plan.c - the static memory plan (codegen/mem_plan.c): no two
 * buffers live at the same time share a byte, the arena is what the greedy
 * placement gives on known models and never below the live peak; the
 * training layout's gradient buffers shared by the samples of a call
 * (codegen/grad_scratch.c); and the int8 kernels' rounding
 * (output/q8_kernels.c) against exact arithmetic. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codegen/mem_plan.h"
#include "front/frontend.h"
#include "output/export_target.h"
#include "output/gen_export.h"
#include "output/gen_export_q8.h"
#include "output/q8_kernels.h"

static ir_model *load(const char *text)
{
    ir_model *m = frontend_load_text("t.spec", text, strlen(text), stderr);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* Every buffer's first and last layer, from the same inputs the plan reads. */
static void lives(const gen_layout *L, int *first, int *last)
{
    int in[IR_MAX_LAYERS], n = L->m->n_layers;
    for (int b = 0; b < L->n_buffers; b++)
        first[b] = last[b] = L->buffers[b].layer;
    for (int j = 0; j < n; j++)
        for (int k = 0, c = gen_layer_inputs(L, j, in); k < c; k++)
            last[in[k]] = last[in[k]] > j ? last[in[k]] : j;
    if (L->plan[n - 1].out >= 0)
        last[L->plan[n - 1].out] = n;
    if (L->plan[n - 1].logits >= 0)
        last[L->plan[n - 1].logits] = n;
}

/* No two buffers of a planned layout live together overlap, and each
 * lies inside the arena. */
static void check_no_overlap(const gen_layout *L)
{
    int first[4096], last[4096];
    ck_assert_int_le(L->n_buffers, 4096);
    lives(L, first, last);
    for (int a = 0; a < L->n_buffers; a++) {
        const gen_buffer *x = &L->buffers[a];
        ck_assert_int_eq(x->offset % GEN_ALIGN, 0);
        ck_assert_int_le(x->offset + x->count,
                         x->shared ? L->work_shared : L->work_per_sample);
        for (int b = a + 1; b < L->n_buffers; b++) {
            const gen_buffer *y = &L->buffers[b];
            if (x->shared != y->shared || first[a] > last[b] || first[b] > last[a])
                continue;
            ck_assert_msg(x->offset + x->count <= y->offset || y->offset + y->count <= x->offset,
                          "%s and %s are live together and overlap", x->macro, y->macro);
        }
    }
}

/* The plan of `text` for target `t`: no overlap, inside the arena. */
static int64_t check_plan(const char *text, const char *target)
{
    ir_model *m = load(text);
    gen_layout L;
    gen_mem_plan P;
    ck_assert_int_eq(gen_export_layout(&L, m, export_target_of(target), &P), 0);
    check_no_overlap(&L);
    ck_assert_int_ge(P.arena, P.peak_live);
    ck_assert_int_le(P.arena, P.before);
    int64_t arena = P.arena;
    gen_mem_plan_free(&P);
    gen_layout_free(&L);
    ir_free(m);
    return arena;
}

static const char cnn_k3[] =
    "input 28x28x1; conv 32 k=3 same relu; pool 2; conv 64 k=3 same relu; pool 2; flatten;"
    " dense 64 relu; dense 10 softmax";

START_TEST(cnn_k3_arena)
{
    /* pool1 is the peak: its input (28*28*32 = 25,088) and its output
     * (14*14*32 = 6,272) are live together, 31,360 floats. */
    ck_assert_int_eq(check_plan(cnn_k3, "cortex-m4"), 31360);
    ck_assert_int_eq(check_plan(cnn_k3, "host"), 91360);
}
END_TEST

START_TEST(every_shape_is_planned_without_overlap)
{
    static const char *const specs[] = {
        "input 9x7x3; conv 8 k=3 stride=2 same; pool avg 2; conv 5 k=2 valid tanh; flatten;"
        " dropout 0.5; dense 7 sigmoid; dense 3 softmax",
        "input 8x8x1; flatten; dense 16 relu; dropout 0.1; dense 4 softmax",
        "input 16x16x8; conv 16 k=5 same relu; conv 16 k=3 same relu; pool 2 stride=1;"
        " conv 8 k=1; flatten; dense 2",
        "input 4x4x1; flatten; dense 2 softmax",
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        check_plan(specs[i], "host");
        check_plan(specs[i], "cortex-m4");
    }
}
END_TEST

START_TEST(int8_layout_shares_outputs)
{
    ir_model *m = load(cnn_k3);
    gen_layout QL;
    gen_mem_plan P;
    ck_assert_int_eq(gen_q8_layout(&QL, m, &P), 0);
    /* the same peak in bytes: conv1's 25,088 and pool1's 6,272 outputs */
    ck_assert_int_eq(P.arena, 31360);
    ck_assert_int_eq(P.peak_layer, 1);
    gen_mem_plan_free(&P);
    gen_layout_free(&QL);
    ir_free(m);
}
END_TEST

START_TEST(int8_layout_keeps_a_branch_until_its_last_reader)
{
    /* a (8*8*4 = 256 bytes) is read by conv2 and by the add three layers
     * later, c by the add and (through a dropout, its alias) by the concat:
     * at the concat, c, s and its own 512 bytes are live, 1,024 bytes */
    ir_model *m = load("input 8x8x1; conv 4 k=3 same as a; conv 4 k=3 same; conv 4 k=3 same as c;"
                       " add a as s; dropout 0.5 from c; concat s; pool max global; dense 3");
    gen_layout QL;
    gen_mem_plan P;
    ck_assert_int_eq(gen_q8_layout(&QL, m, &P), 0);
    check_no_overlap(&QL);
    ck_assert_int_eq(QL.plan[3].in2, QL.plan[0].out);
    ck_assert_int_eq(QL.plan[4].out, QL.plan[2].out);
    ck_assert_int_eq(QL.plan[5].in, QL.plan[4].out);
    ck_assert_int_eq(QL.plan[5].in2, QL.plan[3].out);
    ck_assert_int_eq(P.peak_layer, 5);
    ck_assert_int_eq(P.peak_live, 1024);
    ck_assert_int_eq(P.arena, 1024);
    gen_mem_plan_free(&P);
    gen_layout_free(&QL);
    ir_free(m);
}
END_TEST

/* acc * M rounded half up, M = mult * 2^(shift - 31), against long double. */
START_TEST(requantize_rounds_half_up)
{
    static const int32_t accs[] = { 0, 1, -1, 2, -2, 3, -3, 127, -128, 1000, -1000, 123456,
                                    -123456, 2147483647, -2147483647 - 1 };
    static const int32_t mults[] = { 1 << 30, 1518500250, 2147483647, 1073741825 };
    static const int shifts[] = { -31, -20, -8, -1, 0, 1, 10, 30 };
    for (size_t a = 0; a < sizeof accs / sizeof accs[0]; a++)
        for (size_t m = 0; m < sizeof mults / sizeof mults[0]; m++)
            for (size_t s = 0; s < sizeof shifts / sizeof shifts[0]; s++) {
                long double exact = (long double)accs[a] * mults[m] *
                                    powl(2.0L, shifts[s] - 31);
                long double want = floorl(exact + 0.5L);
                int32_t lo = -2147483647 - 1, hi = 2147483647;
                int32_t got = q8_requantize(accs[a], mults[m], shifts[s], 0, lo, hi);
                want = want < lo ? lo : want > hi ? hi : want;
                ck_assert_msg((long double)got == want, "%d * %d * 2^%d: %d, want %.0Lf",
                              accs[a], mults[m], shifts[s] - 31, got, want);
            }
    /* the zero point and the activation's clamp */
    ck_assert_int_eq(q8_requantize(100, 1 << 30, 0, -128, -128, 127), -78);
    ck_assert_int_eq(q8_requantize(-1000, 1 << 30, 0, -128, -128, 127), -128);
    ck_assert_int_eq(q8_requantize(1000, 1 << 30, 0, 5, 5, 127), 127);
}
END_TEST

START_TEST(quantize_input_is_exact_for_pixels)
{
    float x[256];
    int8_t q[256];
    for (int i = 0; i < 256; i++)
        x[i] = (float)i / 255.0f;
    q8_quantize(q, x, 256, 1.0f / 255.0f, -128);
    for (int i = 0; i < 256; i++)
        ck_assert_int_eq(q[i], i - 128);
    x[0] = NAN;
    x[1] = 1e30f;
    x[2] = -1e30f;
    q8_quantize(q, x, 3, 1.0f / 255.0f, -128);
    ck_assert_int_eq(q[0], -128);
    ck_assert_int_eq(q[1], 127);
    ck_assert_int_eq(q[2], -128);
}
END_TEST

START_TEST(average_pool_rounds_half_away_from_zero)
{
    /* one 2x2 window per channel: sums 2 (0.5 -> 1), -2 (-0.5 -> -1), 5 (1.25 -> 1) */
    const int8_t in[] = { 1, -1, 2, 1, -1, 1, 0, 0, 1, 0, 0, 1 };
    int8_t out[3];
    q8_pool_geom g = { 2, 2, 3, 1, 1, 2, 2, 2, 2, 0, 0, 1 };
    q8_pool(out, in, &g);
    ck_assert_int_eq(out[0], 1);
    ck_assert_int_eq(out[1], -1);
    ck_assert_int_eq(out[2], 1);
}
END_TEST

/* ---- training: the gradients one sample's backward run keeps to itself ---- */

static int buffer_named(const gen_layout *L, const char *macro)
{
    for (int b = 0; b < L->n_buffers; b++)
        if (strcmp(L->buffers[b].macro, macro) == 0)
            return b;
    ck_abort_msg("no buffer %s", macro);
    return -1;
}

/* The training layout of `text`: every buffer lives through the whole call,
 * so none overlaps another of its region; the scratch buffers come first in
 * the shared region. */
static void training_layout(gen_layout *L, ir_model *m)
{
    int64_t scratch_end = 0;
    ck_assert_int_eq(gen_layout_build(L, m, 1), 0);
    for (int a = 0; a < L->n_buffers; a++) {
        const gen_buffer *x = &L->buffers[a];
        ck_assert_int_eq(x->offset % GEN_ALIGN, 0);
        ck_assert_int_le(x->offset + x->count, x->shared ? L->work_shared : L->work_per_sample);
        ck_assert(!x->scratch || x->shared);
        if (x->scratch && x->offset + x->count > scratch_end)
            scratch_end = x->offset + x->count;
        for (int b = a + 1; b < L->n_buffers; b++) {
            const gen_buffer *y = &L->buffers[b];
            if (x->shared == y->shared)
                ck_assert_msg(x->offset + x->count <= y->offset ||
                              y->offset + y->count <= x->offset, "%s and %s overlap", x->macro,
                              y->macro);
        }
    }
    for (int b = 0; b < L->n_buffers; b++)
        if (L->buffers[b].shared && !L->buffers[b].scratch)
            ck_assert_int_ge(L->buffers[b].offset, scratch_end);
}

static int is_scratch(const gen_layout *L, const char *macro)
{
    return L->buffers[buffer_named(L, macro)].scratch;
}

START_TEST(training_shares_the_per_sample_gradients)
{
    ir_model *m = load(cnn_k3);
    gen_layout L;
    training_layout(&L, m);
    /* written and read again within one sample's run of conv1..pool2 */
    ck_assert(is_scratch(&L, "WS_CONV1_DOUT"));
    ck_assert(is_scratch(&L, "WS_POOL1_DOUT"));
    ck_assert(is_scratch(&L, "WS_CONV2_DOUT"));
    /* dense1's backward writes it for a group of samples: one per sample */
    ck_assert(!is_scratch(&L, "W_POOL2_DOUT"));
    ck_assert(!is_scratch(&L, "W_DENSE1_DOUT"));
    /* the loss writes it in a loop of its own */
    ck_assert(!is_scratch(&L, "W_DENSE2_DOUT"));
    /* what lives from forward to backward stays: outputs, the padded input */
    ck_assert(!is_scratch(&L, "W_CONV2_PAD"));
    ck_assert(!is_scratch(&L, "W_CONV1_OUT"));
    /* 455 KB a sample before, 242 KB now */
    ck_assert_int_eq(L.work_per_sample, 60512);
    gen_layout_free(&L);
    /* an inference layout has no gradients and nothing moves */
    ck_assert_int_eq(gen_layout_build(&L, m, 0), 0);
    for (int b = 0; b < L.n_buffers; b++)
        ck_assert(!L.buffers[b].scratch);
    gen_layout_free(&L);
    ir_free(m);
}
END_TEST

START_TEST(batch_statistics_and_fan_out)
{
    /* the batchnorm's steps split the backward pass: the gradient of its
     * input crosses steps and stays per sample; after it, one run */
    ir_model *m = load("input 8x8x3; conv 8 k=3 same; batchnorm relu; conv 8 k=3 same relu;"
                       " pool avg global; dense 4");
    gen_layout L;
    training_layout(&L, m);
    ck_assert(!is_scratch(&L, "W_CONV1_DOUT"));
    ck_assert(is_scratch(&L, "WS_CONV2_DOUT"));
    ck_assert(!is_scratch(&L, "W_POOL1_DOUT"));     /* dense writes it */
    gen_layout_free(&L);
    ir_free(m);
    /* a read by conv2 and by the add: the add's gradient for it (DIN2) and
     * the sum, all within one run */
    m = load("input 6x6x2; conv 4 k=3 same tanh as a; conv 4 k=3 same; add a; pool avg 2;"
             " flatten; dense 3");
    training_layout(&L, m);
    ck_assert(is_scratch(&L, "WS_CONV1_DOUT"));
    ck_assert(is_scratch(&L, "WS_ADD1_DIN2"));
    ck_assert(is_scratch(&L, "WS_ADD1_DOUT"));
    int in_w, in_scratch;
    gen_grad_sum_bases(&L, 0, &in_w, &in_scratch);
    ck_assert(!in_w && in_scratch);
    gen_layout_free(&L);
    ir_free(m);
}
END_TEST

static Suite *mem_plan_suite(void)
{
    Suite *s = suite_create("mem_plan");
    TCase *core = tcase_create("core");
    tcase_add_test(core, cnn_k3_arena);
    tcase_add_test(core, every_shape_is_planned_without_overlap);
    tcase_add_test(core, int8_layout_shares_outputs);
    tcase_add_test(core, int8_layout_keeps_a_branch_until_its_last_reader);
    tcase_add_test(core, training_shares_the_per_sample_gradients);
    tcase_add_test(core, batch_statistics_and_fan_out);
    tcase_add_test(core, requantize_rounds_half_up);
    tcase_add_test(core, quantize_input_is_exact_for_pixels);
    tcase_add_test(core, average_pool_rounds_half_away_from_zero);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(mem_plan_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
