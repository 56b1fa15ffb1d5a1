/* vector_prelude.c - the GNU C vector types of 8 and 16 floats and their
 * load, store and broadcast helpers, behind the context's vector macro (GCC
 * and clang; tcc and other compilers keep the plain loops).  The kernels
 * call them vf8, vload, vstore and vsplat, and vf16, vload16, vstore16 and
 * vsplat16 where the wide macro is defined, and the activations vrelu,
 * vrelu6, vleaky and their derivatives vrelu_grad, ... on each; in a file
 * whose private names carry a prefix those words are macros for the
 * prefixed names, from here to gen_emit_vector_epilogue. */
#include "codegen/generate.h"

#include <stdio.h>
#include <string.h>

static const char *const vector_words[] = {
    "vf8",  "vi8",  "vload",   "vstore",   "vsplat",   "vshuffle8", "vpairs8", "vsum8",
    "vrelu",   "vrelu6",   "vleaky",   "vrelu_grad",   "vrelu6_grad",   "vleaky_grad",
    "vf16", "vi16", "vload16", "vstore16", "vsplat16",
    "vrelu16", "vrelu616", "vleaky16", "vrelu_grad16", "vrelu6_grad16", "vleaky_grad16",
};
#define N_VECTOR_WORDS (sizeof vector_words / sizeof vector_words[0])

/* vfW and viW (its lanes as ints, for masks), its load, store (a macro: a
 * vector parameter would change the ABI without AVX) and broadcast, named
 * with `suffix`. */
static void emit_vector_type(gen_ctx *c, int width, const char *suffix)
{
    emitter *e = c->e;
    char lanes[16 * 3];
    size_t len = 0;
    int k;
    for (k = 0; k < width; k++)
        len += (size_t)snprintf(lanes + len, sizeof lanes - len, "%ss", k ? ", " : "");
    emit_line(e, "typedef float vf%d __attribute__((vector_size(%d)));", width, width * 4);
    emit_line(e, "typedef int vi%d __attribute__((vector_size(%d)));", width, width * 4);
    emit_blank(e);
    emit_open_fn(e, "static inline __attribute__((unused)) vf%d vload%s(const float *p)", width,
                 suffix);
    emit_line(e, "vf%d v;", width);
    emit_line(e, "memcpy(&v, p, sizeof v);");
    emit_line(e, "return v;");
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* a macro: a vector parameter would change the ABI without AVX */");
    emit_line(e, "#define %svstore%s(p, v) do { vf%d w_ = (v); memcpy((p), &w_, sizeof w_); } while (0)",
              c->prefix, suffix, width);
    emit_blank(e);
    emit_open_fn(e, "static inline __attribute__((unused)) vf%d vsplat%s(float s)", width, suffix);
    emit_line(e, "vf%d v = { %s };", width, lanes);
    emit_line(e, "return v;");
    emit_close(e, "");
}

/* vsum8: the 8 lane sums of 8 vectors at once, for the input gradient of
 * the dense layers, where one scalar tree per vector cost more than the
 * products.  The shuffles add the lanes in pairs in the scalar tree's own
 * order, ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])),
 * so the sums keep their bits. */
static void emit_lane_sums(gen_ctx *c)
{
    emitter *e = c->e;
    emit_raw(e, "#if defined(__clang__) || __GNUC__ >= 12\n");
    emit_raw(e, "#define %svshuffle8(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)\n",
             c->prefix);
    emit_raw(e, "#else\n");
    emit_raw(e, "#define %svshuffle8(a, b, ...) __builtin_shuffle(a, b, __extension__ (vi8){ "
                "__VA_ARGS__ })\n", c->prefix);
    emit_raw(e, "#endif\n");
    emit_blank(e);
    emit_line(e, "/* { a0 + a1, a2 + a3, b0 + b1, b2 + b3, a4 + a5, a6 + a7, b4 + b5, b6 + b7 } */");
    emit_open_fn(e, "static inline __attribute__((unused)) vf8 vpairs8(vf8 a, vf8 b)");
    emit_line(e, "return vshuffle8(a, b, 0, 2, 8, 10, 4, 6, 12, 14) + "
                 "vshuffle8(a, b, 1, 3, 9, 11, 5, 7, 13, 15);");
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* lane j: ((sj[0] + sj[1]) + (sj[2] + sj[3])) + ((sj[4] + sj[5]) + (sj[6] + sj[7])) */");
    emit_open_fn(e, "static inline __attribute__((unused)) vf8 vsum8(vf8 s0, vf8 s1, vf8 s2, vf8 s3, "
                    "vf8 s4, vf8 s5, vf8 s6, vf8 s7)");
    emit_line(e, "const vf8 lo = vpairs8(vpairs8(s0, s1), vpairs8(s2, s3));");
    emit_line(e, "const vf8 hi = vpairs8(vpairs8(s4, s5), vpairs8(s6, s7));");
    emit_line(e, "return vshuffle8(lo, hi, 0, 1, 2, 3, 8, 9, 10, 11) + "
                 "vshuffle8(lo, hi, 4, 5, 6, 7, 12, 13, 14, 15);");
    emit_close(e, "");
}

/* The activations and their derivatives on vectors, lane for lane the
 * scalar expressions of gen_apply_act and gen_act_grad (NaN and -0 pass
 * relu as there), through masks: a comparison gives a viW of all-ones
 * lanes, and GNU C has no `?:` on vectors in C. */
static void emit_vector_acts(gen_ctx *c, int width, const char *suffix)
{
    emitter *e = c->e;
    char vf[8], vi[8], fn[64], zero[32], six[32];
    snprintf(vf, sizeof vf, "vf%d", width);
    snprintf(vi, sizeof vi, "vi%d", width);
    snprintf(zero, sizeof zero, "vsplat%s(0.0f)", suffix);
    snprintf(six, sizeof six, "vsplat%s(6.0f)", suffix);
    emit_blank(e);
    emit_line(e, "/* a < 0 ? 0 : a */");
    snprintf(fn, sizeof fn, "vrelu%s(%s a)", suffix, vf);
    emit_open_fn(e, "static inline __attribute__((unused)) %s %s", vf, fn);
    emit_line(e, "return (%s)((%s)a & ~(a < %s));", vf, vi, zero);
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* a < 0 ? 0 : a > 6 ? 6 : a */");
    snprintf(fn, sizeof fn, "vrelu6%s(%s a)", suffix, vf);
    emit_open_fn(e, "static inline __attribute__((unused)) %s %s", vf, fn);
    emit_line(e, "const %s r = vrelu%s(a);", vf, suffix);
    emit_line(e, "const %s over = r > %s;", vi, six);
    emit_line(e, "return (%s)(((%s)r & ~over) | ((%s)%s & over));", vf, vi, vi, six);
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* a < 0 ? %.9gf * a : a */", IR_LEAKY_SLOPE);
    snprintf(fn, sizeof fn, "vleaky%s(%s a)", suffix, vf);
    emit_open_fn(e, "static inline __attribute__((unused)) %s %s", vf, fn);
    emit_line(e, "const %s neg = a < %s;", vi, zero);
    emit_line(e, "return (%s)(((%s)(%.9gf * a) & neg) | ((%s)a & ~neg));", vf, vi,
              IR_LEAKY_SLOPE, vi);
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* y > 0 ? d : 0 */");
    snprintf(fn, sizeof fn, "vrelu_grad%s(%s d, %s y)", suffix, vf, vf);
    emit_open_fn(e, "static inline __attribute__((unused)) %s %s", vf, fn);
    emit_line(e, "return (%s)((%s)d & (y > %s));", vf, vi, zero);
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* y > 0 && y < 6 ? d : 0 */");
    snprintf(fn, sizeof fn, "vrelu6_grad%s(%s d, %s y)", suffix, vf, vf);
    emit_open_fn(e, "static inline __attribute__((unused)) %s %s", vf, fn);
    emit_line(e, "return (%s)((%s)d & (y > %s) & (y < %s));", vf, vi, zero, six);
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* y < 0 ? %.9gf * d : d */", IR_LEAKY_SLOPE);
    snprintf(fn, sizeof fn, "vleaky_grad%s(%s d, %s y)", suffix, vf, vf);
    emit_open_fn(e, "static inline __attribute__((unused)) %s %s", vf, fn);
    emit_line(e, "const %s neg = y < %s;", vi, zero);
    emit_line(e, "return (%s)(((%s)(%.9gf * d) & neg) | ((%s)d & ~neg));", vf, vi,
              IR_LEAKY_SLOPE, vi);
    emit_close(e, "");
}

static const char *vector_act_name(ir_activation a)
{
    switch (a) {
    case IR_RELU:
        return "vrelu";
    case IR_RELU6:
        return "vrelu6";
    case IR_LEAKY_RELU:
        return "vleaky";
    default:
        return NULL;
    }
}

int gen_has_vector_act(ir_activation a)
{
    return a == IR_LINEAR || vector_act_name(a) != NULL;
}

const char *gen_vector_act_expr(char *buf, size_t size, ir_activation a, int width,
                                const char *x)
{
    const char *name = vector_act_name(a);
    if (a == IR_LINEAR)
        snprintf(buf, size, "%s", x);
    else if (name)
        snprintf(buf, size, "%s%s(%s)", name, width == 16 ? "16" : "", x);
    else
        return NULL;
    return buf;
}

int gen_vector_act(gen_ctx *c, ir_activation a, int width, const char *dst, const char *x)
{
    char expr[160];
    if (a == IR_LINEAR)
        return 1;
    if (!gen_vector_act_expr(expr, sizeof expr, a, width, x))
        return 0;
    emit_line(c->e, "%s = %s;", dst, expr);
    return 1;
}

int gen_vector_act_grad(gen_ctx *c, ir_activation a, int width, const char *dst, const char *d,
                        const char *y)
{
    const char *name = vector_act_name(a);
    if (a == IR_LINEAR)
        return 1;
    if (!name)
        return 0;
    emit_line(c->e, "%s = %s_grad%s(%s, %s);", dst, name, width == 16 ? "16" : "", d, y);
    return 1;
}

void gen_emit_vector_prelude(gen_ctx *c)
{
    emitter *e = c->e;
    emit_banner(e, "vector kernels: GNU C vectors of 8 and 16 floats (GCC, clang)");
    size_t k;
    emit_raw(e, "#if (defined(__GNUC__) || defined(__clang__)) && !defined(__TINYC__) && "
                "!defined(%s)\n", c->no_vector_macro);
    emit_raw(e, "#define %s 1\n", c->vector_macro);
    for (k = 0; c->prefix[0] && k < N_VECTOR_WORDS; k++)
        emit_raw(e, "#define %s %s%s\n", vector_words[k], c->prefix, vector_words[k]);
    /* Without AVX a vector takes two SSE or NEON registers, still about
     * twice as fast as the plain loops; returning one from these static
     * functions then draws a warning about the ABI, which concerns only
     * calls between objects.  GCC reports it at the end of the translation
     * unit, so the pragma stays in force to the end. */
    emit_raw(e, "#if !defined(__AVX__)\n");
    emit_raw(e, "#if defined(__clang__)\n");
    emit_raw(e, "#pragma clang diagnostic ignored \"-Wunknown-warning-option\"\n");
    emit_raw(e, "#endif\n");
    emit_raw(e, "#pragma GCC diagnostic ignored \"-Wpsabi\"\n");
    emit_raw(e, "#endif\n");
    emit_vector_type(c, 8, "");
    emit_vector_acts(c, 8, "");
    emit_blank(c->e);
    emit_lane_sums(c);
    /* 16 floats fill an AVX-512 register; elsewhere the switch builds the
     * same kernels from two registers a vector, to test them anywhere. */
    emit_raw(e, "#if defined(__AVX512F__) || defined(%s)\n", c->wide_switch_macro);
    emit_raw(e, "#define %s 1\n", c->wide_macro);
    emit_raw(e, "#if !defined(__AVX512F__)\n");
    emit_raw(e, "#if defined(__clang__)\n");
    emit_raw(e, "#pragma clang diagnostic ignored \"-Wunknown-warning-option\"\n");
    emit_raw(e, "#endif\n");
    emit_raw(e, "#pragma GCC diagnostic ignored \"-Wpsabi\"\n");
    emit_raw(e, "#endif\n");
    emit_blank(e);
    emit_vector_type(c, 16, "16");
    emit_vector_acts(c, 16, "16");
    emit_raw(e, "#endif\n");
    emit_raw(e, "#endif\n");
}

void gen_emit_vector_epilogue(gen_ctx *c)
{
    size_t k;
    if (!c->prefix[0])
        return;
    gen_pp_vector(c, 1);
    for (k = 0; k < N_VECTOR_WORDS; k++)
        emit_raw(c->e, "#undef %s\n", vector_words[k]);
    gen_pp(c, "#endif");
}
