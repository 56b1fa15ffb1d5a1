/* check_winograd.c - the Toom-Cook matrices of F(m, r): the textbook F(2,3)
 * and F(4,3), the correlation identity in 1-D and nested 2-D for every size
 * that fits, exact rationals in lowest terms, and the tile-size policy. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "codegen/winograd.h"

#define MAXA WINO_MAX_ALPHA

/* A fixed LCG: the data must not depend on the C library's rand(). */
static unsigned lcg_state;
static double lcg(void)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (double)((lcg_state >> 8) & 0xffff) / 32768.0 - 1.0;
}

static void assert_q(wino_rational q, long long num, long long den, const char *what, int i, int j)
{
    ck_assert_msg(q.num == num && q.den == den, "%s[%d][%d] = %lld/%lld, expected %lld/%lld",
                  what, i, j, q.num, q.den, num, den);
}

/* Lavin & Gray (2016) F(2,3).  A correct F(2,3) on the same points may only
 * scale product j: BT row j by s, G row j by t, AT column j by 1/(s t). */
static const double tb_at[2][4] = { { 1, 1, 1, 0 }, { 0, 1, -1, -1 } };
static const double tb_bt[4][4] = { { 1, 0, -1, 0 }, { 0, 1, 1, 0 }, { 0, -1, 1, 0 }, { 0, 1, 0, -1 } };
static const double tb_g[4][3] = { { 1, 0, 0 }, { .5, .5, .5 }, { .5, -.5, .5 }, { 0, 0, 1 } };

START_TEST(f23_is_a_scaling_of_the_textbook_form)
{
    wino_alg a;
    ck_assert_int_eq(wino_build(&a, 2, 3), 0);
    for (int j = 0; j < 4; j++) {
        /* s, t from a nonzero entry; s t = 0 fails on AT, whose columns are nonzero */
        int kb = tb_bt[j][1] != 0 ? 1 : 0, kg = tb_g[j][2] != 0 ? 2 : 0;
        double s = wino_value(a.bt[j][kb]) / tb_bt[j][kb], t = wino_value(a.g[j][kg]) / tb_g[j][kg];
        for (int k = 0; k < 4; k++)
            ck_assert_double_eq(wino_value(a.bt[j][k]), s * tb_bt[j][k]);
        for (int k = 0; k < 3; k++)
            ck_assert_double_eq(wino_value(a.g[j][k]), t * tb_g[j][k]);
        for (int i = 0; i < 2; i++)
            ck_assert_double_eq(wino_value(a.at[i][j]) * s * t, tb_at[i][j]);
    }
}
END_TEST

/* The exact F(2,3) convc emits.  Against the paper, BT row 2 and G row 2 are
 * negated, and so are G row 3 and AT column 3. */
START_TEST(exact_values)
{
    static const long long at[2][4] = { { 1, 1, 1, 0 }, { 0, 1, -1, 1 } };
    static const long long bt[4][4] = { { 1, 0, -1, 0 }, { 0, 1, 1, 0 }, { 0, 1, -1, 0 }, { 0, 1, 0, -1 } };
    static const long long gn[4][3] = { { 1, 0, 0 }, { 1, 1, 1 }, { -1, 1, -1 }, { 0, 0, -1 } };
    static const long long gd[4] = { 1, 2, 2, 1 };  /* every nonzero of G row j is gn/gd[j] */
    wino_alg a;
    ck_assert_int_eq(wino_build(&a, 2, 3), 0);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            if (i < 2)
                assert_q(a.at[i][j], at[i][j], 1, "AT", i, j);
            assert_q(a.bt[i][j], bt[i][j], 1, "BT", i, j);
            if (j < 3)
                assert_q(a.g[i][j], gn[i][j], gn[i][j] ? gd[i] : 1, "G", i, j);
        }
    static const long long bt43[6] = { 4, 0, -5, 0, 1, 0 }; /* Lavin & Gray's F(4,3) */
    ck_assert_int_eq(wino_build(&a, 4, 3), 0);
    for (int j = 0; j < 6; j++)
        assert_q(a.bt[0][j], bt43[j], 1, "F(4,3) BT", 0, j);
}
END_TEST

/* Y = AT_h [(G_h g G_w^T) .* (BT_h d BT_w^T)] AT_w^T against direct 2-D
 * correlation, for random d and g.  With F(1,1) (all matrices [1]) in one
 * dimension this is the 1-D identity y = AT [(G g) .* (BT d)]. */
static void assert_nested(int mh, int rh, int mw, int rw)
{
    wino_alg h, w;
    ck_assert_int_eq(wino_build(&h, mh, rh), 0);
    ck_assert_int_eq(wino_build(&w, mw, rw), 0);
    lcg_state = (unsigned)(((mh * 10 + rh) * 10 + mw) * 10 + rw);
    for (int trial = 0; trial < 4; trial++) {
        double d[MAXA][MAXA], g[MAXA][MAXA], u[MAXA][MAXA] = { { 0 } }, v[MAXA][MAXA] = { { 0 } };
        for (int k = 0; k < MAXA * MAXA; k++) { /* only g[<rh][<rw] is used */
            d[k / MAXA][k % MAXA] = lcg();
            g[k / MAXA][k % MAXA] = lcg();
        }
        for (int p = 0; p < h.alpha; p++)
            for (int q = 0; q < w.alpha; q++) {
                for (int k = 0; k < rh; k++)
                    for (int l = 0; l < rw; l++)
                        u[p][q] += wino_value(h.g[p][k]) * g[k][l] * wino_value(w.g[q][l]);
                for (int k = 0; k < h.alpha; k++)
                    for (int l = 0; l < w.alpha; l++)
                        v[p][q] += wino_value(h.bt[p][k]) * d[k][l] * wino_value(w.bt[q][l]);
            }
        for (int i = 0; i < mh; i++)
            for (int j = 0; j < mw; j++) {
                double y = 0, ref = 0, mag = 0;
                for (int p = 0; p < h.alpha; p++)
                    for (int q = 0; q < w.alpha; q++)
                        y += wino_value(h.at[i][p]) * u[p][q] * v[p][q] * wino_value(w.at[j][q]);
                for (int k = 0; k < rh; k++)
                    for (int l = 0; l < rw; l++) {
                        ref += d[i + k][j + l] * g[k][l];
                        mag += fabs(d[i + k][j + l] * g[k][l]);
                    }
                ck_assert_msg(fabs(y - ref) <= 1e-9 * mag, "F(%dx%d, %dx%d) y[%d][%d] = %.17g, direct %.17g",
                              mh, mw, rh, rw, i, j, y, ref);
            }
    }
}

/* 1-D for every (m, r) that fits, in either dimension, then a few 2-D pairs. */
START_TEST(correlation_identity)
{
    for (int m = 1; m <= MAXA; m++)
        for (int r = 1; m + r - 1 <= MAXA; r++) {
            assert_nested(m, r, 1, 1);
            assert_nested(1, 1, m, r);
        }
    assert_nested(4, 3, 2, 5);
    assert_nested(2, 3, 6, 3);
    assert_nested(3, 2, 1, 7);
    assert_nested(2, 7, 4, 4);
}
END_TEST

/* Every size around the limits: -1 exactly when m < 1, r < 1 or alpha > max. */
START_TEST(build_rejects_bad_sizes)
{
    wino_alg a;
    for (int m = -1; m <= MAXA + 1; m++)
        for (int r = -1; r <= MAXA + 1; r++)
            ck_assert_msg(wino_build(&a, m, r) == (m < 1 || r < 1 || m + r - 1 > MAXA ? -1 : 0),
                          "F(%d,%d)", m, r);
}
END_TEST

static long long gcd_ll(long long a, long long b) { return b ? gcd_ll(b, a % b) : llabs(a); }

/* winograd.h promises den > 0 and lowest terms, and the generator prints the
 * constants as num/den; checked for every size that fits. */
START_TEST(rationals_in_lowest_terms)
{
    for (int m = 1; m <= MAXA; m++)
        for (int r = 1; m + r - 1 <= MAXA; r++) {
            wino_alg a;
            ck_assert_int_eq(wino_build(&a, m, r), 0);
            wino_rational (*mat[3])[MAXA] = { a.at, a.g, a.bt };
            static const char *const name[3] = { "AT", "G", "BT" };
            int rows[3] = { m, a.alpha, a.alpha }, cols[3] = { a.alpha, r, a.alpha };
            for (int n = 0; n < 3; n++)
                for (int i = 0; i < rows[n]; i++)
                    for (int j = 0; j < cols[n]; j++) {
                        wino_rational q = mat[n][i][j];
                        ck_assert_msg(q.den > 0 && gcd_ll(q.num, q.den) == 1,
                                      "F(%d,%d) %s[%d][%d] = %lld/%lld", m, r, name[n], i, j, q.num, q.den);
                    }
        }
}
END_TEST

/* Only what the header promises: 0 (r = 1, r too large, out too small) or a
 * tile that fits out and the matrices; F(1, r) is no cheaper than direct. */
START_TEST(choose_m_policy)
{
    for (int out = 0; out <= 40; out++)
        for (int r = 1; r <= MAXA + 4; r++) {
            int m = wino_choose_m(r, out);
            ck_assert_msg(m == 0 || (r > 1 && m >= 2 && m <= out && m + r - 1 <= MAXA),
                          "r=%d out=%d: m=%d", r, out, m);
        }
    /* the documented choices (winograd.c): 5-input tiles where the kernel
     * allows, else m = 2, never more outputs than the map has */
    ck_assert_int_eq(wino_choose_m(3, 14), 3);
    ck_assert_int_eq(wino_choose_m(2, 14), 4);
    ck_assert_int_eq(wino_choose_m(5, 14), 2);
    ck_assert_int_eq(wino_choose_m(7, 14), 2);
    ck_assert_int_eq(wino_choose_m(3, 2), 2);
    ck_assert_int_eq(wino_choose_m(3, 1), 0);
}
END_TEST

static Suite *winograd_suite(void)
{
    Suite *s = suite_create("winograd");
    TCase *core = tcase_create("core");
    tcase_add_test(core, f23_is_a_scaling_of_the_textbook_form);
    tcase_add_test(core, exact_values);
    tcase_add_test(core, correlation_identity);
    tcase_add_test(core, build_rejects_bad_sizes);
    tcase_add_test(core, rationals_in_lowest_terms);
    tcase_add_test(core, choose_m_policy);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(winograd_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
