/* check_grad_tree.c - the fixed pairwise tree over gradient slices: its
 * order against known sums, and any split of the slices into contiguous
 * parts (threads, processes) against one part doing everything. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "base/rng.h"
#include "train/grad_tree.h"

#define N 37

START_TEST(three_slices_add_the_last_two_first)
{
    /* [0, 3) = [0, 1) + [1, 3): 1e8 + (-1e8 + 1) = 0 in floats, where the
     * running sum (1e8 - 1e8) + 1 would give 1. */
    float a[1] = { 1e8f }, b[1] = { -1e8f }, c[1] = { 1.0f };
    float *g[3] = { a, b, c };
    grad_tree_finish(g, 3, NULL, 0, 1);
    ck_assert_float_eq(a[0], 0.0f);
    float d[1] = { 1e8f }, e[1] = { -1e8f }, f[1] = { 1.0f }, h[1] = { 0.0f };
    float *g4[4] = { d, e, f, h };     /* (1e8 - 1e8) + (1 + 0) */
    grad_tree_finish(g4, 4, NULL, 0, 1);
    ck_assert_float_eq(d[0], 1.0f);
}
END_TEST

START_TEST(nodes_cover_a_range_exactly)
{
    int first[GRAD_TREE_MAX_NODES], end[GRAD_TREE_MAX_NODES];
    for (int K = 1; K <= 64; K++)
        for (int a = 0; a < K; a++)
            for (int b = a + 1; b <= K; b++) {
                int n = grad_tree_nodes(K, a, b, first, end), at = a;
                ck_assert_int_le(n, GRAD_TREE_MAX_NODES);
                for (int i = 0; i < n; i++) {
                    ck_assert_int_eq(first[i], at);
                    at = end[i];
                }
                ck_assert_int_eq(at, b);
            }
    /* [1, 4) of 4 slices: the leaf 1 and the node [2, 4). */
    ck_assert_int_eq(grad_tree_nodes(4, 1, 4, first, end), 2);
    ck_assert(first[0] == 1 && end[0] == 2 && first[1] == 2 && end[1] == 4);
}
END_TEST

START_TEST(any_split_gives_the_same_bits)
{
    cv_rng r;
    rng_seed(&r, 5);
    for (int K = 1; K <= 12; K++) {
        float *ref[64], *got[64];
        for (int k = 0; k < K; k++) {
            ref[k] = malloc(N * sizeof(float));
            got[k] = malloc(N * sizeof(float));
            for (int i = 0; i < N; i++)
                ref[k][i] = (float)((rng_next(&r) >> 11) * 0x1p-53 - 0.5) * (float)(1 << (k % 20));
        }
        float want[N];
        for (int k = 0; k < K; k++)
            memcpy(got[k], ref[k], N * sizeof(float));
        grad_tree_finish(got, K, NULL, 0, N);
        memcpy(want, got[0], sizeof want);
        for (int P = 1; P <= K; P++) {
            int owner[64], first[GRAD_TREE_MAX_NODES], end[GRAD_TREE_MAX_NODES];
            for (int k = 0; k < K; k++)
                memcpy(got[k], ref[k], N * sizeof(float));
            for (int p = 0; p < P; p++) {
                size_t a, b;
                grad_part((size_t)K, p, P, &a, &b);
                for (size_t k = a; k < b; k++)
                    owner[k] = p;
                int n = grad_tree_nodes(K, (int)a, (int)b, first, end);
                for (int i = 0; i < n; i++) {     /* in two pieces, as threads do */
                    grad_tree_presum(got, first[i], end[i], 0, N / 2);
                    grad_tree_presum(got, first[i], end[i], N / 2, N);
                }
            }
            grad_tree_finish(got, K, owner, 0, N);
            ck_assert_msg(memcmp(got[0], want, sizeof want) == 0, "K %d, %d parts", K, P);
        }
        for (int k = 0; k < K; k++) {
            free(ref[k]);
            free(got[k]);
        }
    }
}
END_TEST

static Suite *grad_tree_suite(void)
{
    Suite *s = suite_create("grad_tree");
    TCase *core = tcase_create("core");
    tcase_add_test(core, three_slices_add_the_last_two_first);
    tcase_add_test(core, any_split_gives_the_same_bits);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, nodes_cover_a_range_exactly);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(grad_tree_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
