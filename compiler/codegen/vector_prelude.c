/* vector_prelude.c - the GNU C vector type of 8 floats and its load, store
 * and broadcast helpers, behind the context's vector macro (GCC and clang;
 * tcc and other compilers keep the plain loops).  The kernels call them
 * vf8, vload, vstore and vsplat; in a file whose private names carry a
 * prefix those words are macros for the prefixed names, from here to
 * gen_emit_vector_epilogue. */
#include "codegen/generate.h"

#include <stdio.h>
#include <string.h>

static const char *const vector_words[] = { "vf8", "vload", "vstore", "vsplat" };
#define N_VECTOR_WORDS (sizeof vector_words / sizeof vector_words[0])

void gen_emit_vector_prelude(gen_ctx *c)
{
    emitter *e = c->e;
    emit_banner(e, "vector kernels: GNU C vectors of 8 floats (GCC, clang)");
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
    emit_line(e, "typedef float vf8 __attribute__((vector_size(32)));");
    emit_blank(e);
    emit_open_fn(e, "static inline __attribute__((unused)) vf8 vload(const float *p)");
    emit_line(e, "vf8 v;");
    emit_line(e, "memcpy(&v, p, sizeof v);");
    emit_line(e, "return v;");
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* a macro: a vector parameter would change the ABI without AVX */");
    emit_line(e, "#define %svstore(p, v) do { vf8 w_ = (v); memcpy((p), &w_, sizeof w_); } while (0)",
              c->prefix);
    emit_blank(e);
    emit_open_fn(e, "static inline __attribute__((unused)) vf8 vsplat(float s)");
    emit_line(e, "vf8 v = { s, s, s, s, s, s, s, s };");
    emit_line(e, "return v;");
    emit_close(e, "");
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
