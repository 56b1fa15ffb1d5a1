/* acts_main.c - the generated prelude's activations on vectors (vrelu,
 * vrelu6, vleaky and their derivatives) against the plain loops' scalar
 * expressions (gen_apply_act, gen_act_grad), bit for bit, on the values
 * where masks and comparisons can part: both zeros, NaN, the infinities,
 * a subnormal, the clip at 6.  Built by tests/t_vector_acts.sh with
 * MODEL_C naming a generated model.c. */
#include MODEL_C

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 16
static float x[N], d[N];
static int failures;

static void init(void)
{
    const float v[N] = { -INFINITY, -7.0f, -1.0f, -1e-40f, -0.0f, 0.0f, 1e-40f, 0.5f,
                         5.999999f, 6.0f, 6.000001f, 7.0f, INFINITY, NAN, -NAN, 3.0f };
    for (int i = 0; i < N; i++) {
        x[i] = v[i];
        d[i] = v[(i + 5) % N];      /* gradients: every value again, beside another y */
    }
}

/* The plain expressions, as the generator writes them. */
static float relu(float a) { return a < 0.0f ? 0.0f : a; }
static float relu6(float a) { return a < 0.0f ? 0.0f : a > 6.0f ? 6.0f : a; }
static float leaky(float a) { return a < 0.0f ? 0.300000012f * a : a; }
static float relu_grad(float g, float y) { return y > 0.0f ? g : 0.0f; }
static float relu6_grad(float g, float y) { return y > 0.0f && y < 6.0f ? g : 0.0f; }
static float leaky_grad(float g, float y) { return y < 0.0f ? 0.300000012f * g : g; }

static void expect(const char *what, int width, int i, float got, float want)
{
    uint32_t a, b;
    memcpy(&a, &got, 4);
    memcpy(&b, &want, 4);
    if (a != b) {
        printf("%s (%d lanes): lane %d: 0x%08x, the plain loop gives 0x%08x\n", what, width, i,
               (unsigned)a, (unsigned)b);
        failures++;
    }
}

#ifdef CONVC_VECTOR
#define CHECK_WIDTH(W, T, LOAD, STORE, SUFFIX)                                          \
    for (int at = 0; at < N; at += W) {                                                  \
        float out[W];                                                                    \
        const T xv = LOAD(x + at), dv = LOAD(d + at);                                    \
        STORE(out, vrelu##SUFFIX(xv));                                                   \
        for (int i = 0; i < W; i++) expect("vrelu", W, at + i, out[i], relu(x[at + i])); \
        STORE(out, vrelu6##SUFFIX(xv));                                                  \
        for (int i = 0; i < W; i++) expect("vrelu6", W, at + i, out[i], relu6(x[at + i])); \
        STORE(out, vleaky##SUFFIX(xv));                                                  \
        for (int i = 0; i < W; i++) expect("vleaky", W, at + i, out[i], leaky(x[at + i])); \
        STORE(out, vrelu_grad##SUFFIX(dv, xv));                                          \
        for (int i = 0; i < W; i++)                                                      \
            expect("vrelu_grad", W, at + i, out[i], relu_grad(d[at + i], x[at + i]));    \
        STORE(out, vrelu6_grad##SUFFIX(dv, xv));                                         \
        for (int i = 0; i < W; i++)                                                      \
            expect("vrelu6_grad", W, at + i, out[i], relu6_grad(d[at + i], x[at + i]));  \
        STORE(out, vleaky_grad##SUFFIX(dv, xv));                                         \
        for (int i = 0; i < W; i++)                                                      \
            expect("vleaky_grad", W, at + i, out[i], leaky_grad(d[at + i], x[at + i]));  \
    }
#endif

int main(void)
{
    int widths = 0;
    init();
#ifdef CONVC_VECTOR
    CHECK_WIDTH(8, vf8, vload, vstore, )
    widths++;
#ifdef CONVC_WIDE
    CHECK_WIDTH(16, vf16, vload16, vstore16, 16)
    widths++;
#endif
#endif
    if (widths == 0) {
        printf("no vector build: nothing checked\n");
        return 1;
    }
    printf("vector activations: %d widths, %d values: %s\n", widths, N,
           failures ? "MISMATCH" : "bit-identical");
    return failures != 0;
}
