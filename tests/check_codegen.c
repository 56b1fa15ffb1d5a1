/* check_codegen.c - generated models, built from hand-made IR, compiled
 * with the system C compiler at test time and loaded: every layer's output
 * against a plain reference implementation, and every parameter gradient
 * against central finite differences. */
#include <check.h>
#include <dlfcn.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/gen_layout.h"
#include "codegen/layer_emitter.h"
#include "output/gen_model.h"
#include "gradcheck/gradcheck_impl.h"
#include "ir.h"

/* ---- IR by hand: shapes resolved like the front end (TensorFlow rules) --- */

typedef struct {
    ir_model m;
    ir_layer layers[16];
    char sources[16][64];
    char name[32];
} test_model;

static void tm_init(test_model *t, const char *name, int h, int w, int c)
{
    memset(t, 0, sizeof *t);
    t->m.name = (char *)name;
    t->m.spec_path = (char *)"test.spec";
    t->m.input = (ir_shape){ h, w, c };
    t->m.layers = t->layers;
    t->m.spec_hash = 0x0123456789abcdefULL;
}

static ir_layer *tm_add(test_model *t, ir_kind kind, const char *src)
{
    ir_layer *l = &t->layers[t->m.n_layers];
    int ord = 1, i;
    for (i = 0; i < t->m.n_layers; i++)
        ord += t->layers[i].kind == kind;
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->index = t->m.n_layers;
    l->ordinal = ord;
    l->line = t->m.n_layers + 2;
    snprintf(t->sources[l->index], sizeof t->sources[0], "%s", src);
    l->source = t->sources[l->index];
    l->n_inputs = 1;
    l->inputs[0] = l->index - 1;
    l->in = l->index ? t->layers[l->index - 1].out : t->m.input;
    l->out = l->in;
    t->m.n_layers++;
    return l;
}

static void window(ir_layer *l, int kh, int kw, int sh, int sw, int same)
{
    l->kh = kh; l->kw = kw; l->sh = sh; l->sw = sw;
    l->padding = same ? IR_SAME : IR_VALID;
    if (same) {
        int th, tw;
        l->out.h = (l->in.h + sh - 1) / sh;
        l->out.w = (l->in.w + sw - 1) / sw;
        th = (l->out.h - 1) * sh + kh - l->in.h;
        tw = (l->out.w - 1) * sw + kw - l->in.w;
        th = th < 0 ? 0 : th;
        tw = tw < 0 ? 0 : tw;
        l->pad_top = th / 2; l->pad_bottom = th - th / 2;
        l->pad_left = tw / 2; l->pad_right = tw - tw / 2;
    } else {
        l->out.h = (l->in.h - kh) / sh + 1;
        l->out.w = (l->in.w - kw) / sw + 1;
    }
}

static void tm_conv(test_model *t, int filters, int kh, int kw, int s, int same,
                    ir_activation act, const char *src)
{
    ir_layer *l = tm_add(t, IR_CONV, src);
    window(l, kh, kw, s, s, same);
    l->filters = filters;
    l->out.c = filters;
    l->act = act;
    l->params = (int64_t)kh * kw * l->in.c * filters + filters;
}

static void tm_dwconv(test_model *t, int kh, int kw, int s, int same, int mult,
                      ir_activation act, const char *src)
{
    ir_layer *l = tm_add(t, IR_DWCONV, src);
    window(l, kh, kw, s, s, same);
    l->multiplier = mult;
    l->out.c = l->in.c * mult;
    l->act = act;
    l->params = (int64_t)kh * kw * l->out.c + l->out.c;
}

static void tm_global_pool(test_model *t, ir_pool_kind kind, const char *src)
{
    ir_layer *l = tm_add(t, IR_POOL, src);
    window(l, l->in.h, l->in.w, l->in.h, l->in.w, 0);
    l->pool = kind;
    l->global = 1;
}

static void tm_pool(test_model *t, ir_pool_kind kind, int k, int s, int same, const char *src)
{
    ir_layer *l = tm_add(t, IR_POOL, src);
    window(l, k, k, s, s, same);
    l->pool = kind;
}

static void tm_flatten(test_model *t)
{
    ir_layer *l = tm_add(t, IR_FLATTEN, "flatten");
    l->out = (ir_shape){ 1, 1, l->in.h * l->in.w * l->in.c };
}

static void tm_dense(test_model *t, int units, ir_activation act, const char *src)
{
    ir_layer *l = tm_add(t, IR_DENSE, src);
    l->units = units;
    l->out = (ir_shape){ 1, 1, units };
    l->act = act;
    l->params = (int64_t)l->in.h * l->in.w * l->in.c * units + units;
    t->m.n_classes = units;
}

static void tm_dropout(test_model *t, double rate)
{
    ir_layer *l = tm_add(t, IR_DROPOUT, "dropout");
    l->rate = rate;
}

static void tm_batchnorm(test_model *t, ir_activation act, double momentum, double eps,
                         const char *src)
{
    ir_layer *l = tm_add(t, IR_BATCHNORM, src);
    l->act = act;
    l->momentum = momentum;
    l->eps = eps;
    l->params = 4 * (int64_t)l->out.c;
    l->non_trainable = 2 * (int64_t)l->out.c;
}

/* ---- compile and load a generated model --------------------------------- */

typedef struct {
    char dir[64];
    void *so;
    const convc_model *m;
} loaded;

static int write_text(const char *dir, const char *file, const char *text)
{
    char path[128];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static const char *cc(void)
{
    const char *c = getenv("CC");
    return c && *c ? c : "cc";
}

/* Under the sanitizer build of this test, the generated code is checked by
 * the sanitizers too. */
#if defined(__SANITIZE_ADDRESS__)
#define MODEL_SANITIZE "-fsanitize=address,undefined -fno-sanitize-recover=all"
#else
#define MODEL_SANITIZE ""
#endif

static void load(loaded *ld, const ir_model *m, unsigned options, const char *extra_cflags)
{
    gen_sources src;
    char cmd[512], sym[96];
    ck_assert_int_eq(gen_model_sources_with(m, 0, options, &src, stderr), 0);
    snprintf(ld->dir, sizeof ld->dir, "/tmp/convc_codegen_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(ld->dir));
    ck_assert_int_eq(write_text(ld->dir, "model.h", src.model_h), 0);
    ck_assert_int_eq(write_text(ld->dir, "model.c", src.model_c), 0);
    gen_sources_free(&src);
    /* The warning flags double as the "compiles warning-free" check. */
    snprintf(cmd, sizeof cmd,
             "%s -std=c11 -pedantic -Wall -Wextra -Werror -O1 -fPIC -shared %s %s "
             "-Iruntime -I%s -o %s/model.so %s/model.c -lm", cc(), extra_cflags,
             MODEL_SANITIZE, ld->dir, ld->dir, ld->dir);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
    snprintf(cmd, sizeof cmd, "%s/model.so", ld->dir);
    ld->so = dlopen(cmd, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(ld->so != NULL, "dlopen: %s", dlerror());
    snprintf(sym, sizeof sym, "%s_model", m->name);
    ld->m = (const convc_model *)dlsym(ld->so, sym);
    ck_assert_ptr_nonnull(ld->m);
}

static void unload(loaded *ld)
{
    char cmd[160];
    dlclose(ld->so);
    if (getenv("CODEGEN_KEEP"))
        return;
    snprintf(cmd, sizeof cmd, "rm -rf %s", ld->dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- reference forward pass ---------------------------------------------- */

static double ref_act(ir_activation a, double v)
{
    switch (a) {
    case IR_RELU: return v < 0 ? 0 : v;
    case IR_TANH: return tanh(v);
    case IR_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case IR_RELU6: return v < 0 ? 0 : v > 6 ? 6 : v;
    case IR_LEAKY_RELU: return v < 0 ? 0.3 * v : v;
    default: return v;
    }
}

/* out = layer l applied to in (both HWC); dropout is checked separately. */
static void ref_layer(const ir_layer *l, const float *params, size_t kofs, size_t bofs,
                      const float *in, double *out)
{
    int oy, ox, co, ky, kx, ci, k;
    const ir_shape I = l->in, O = l->out;
    if (l->kind == IR_CONV || l->kind == IR_DWCONV) {
        /* a depthwise output channel co reads input channel co / M alone,
         * with kernel (KH, KW, Cin * M) */
        int dw = l->kind == IR_DWCONV;
        for (oy = 0; oy < O.h; oy++)
            for (ox = 0; ox < O.w; ox++)
                for (co = 0; co < O.c; co++) {
                    double s = params[bofs + co];
                    int c0 = dw ? co / l->multiplier : 0, c1 = dw ? c0 + 1 : I.c;
                    for (ky = 0; ky < l->kh; ky++)
                        for (kx = 0; kx < l->kw; kx++) {
                            int y = oy * l->sh + ky - l->pad_top, x = ox * l->sw + kx - l->pad_left;
                            size_t tap = (size_t)(ky * l->kw + kx);
                            if (y < 0 || y >= I.h || x < 0 || x >= I.w)
                                continue;
                            for (ci = c0; ci < c1; ci++)
                                s += (double)in[(y * I.w + x) * I.c + ci] *
                                     params[kofs + (dw ? tap * O.c + co
                                                       : (tap * I.c + ci) * O.c + co)];
                        }
                    out[(oy * O.w + ox) * O.c + co] = ref_act(l->act, s);
                }
    } else if (l->kind == IR_POOL) {
        for (oy = 0; oy < O.h; oy++)
            for (ox = 0; ox < O.w; ox++)
                for (co = 0; co < O.c; co++) {
                    double s = l->pool == IR_POOL_MAX ? -HUGE_VAL : 0.0;
                    int cnt = 0;
                    for (ky = 0; ky < l->kh; ky++)
                        for (kx = 0; kx < l->kw; kx++) {
                            int y = oy * l->sh + ky - l->pad_top, x = ox * l->sw + kx - l->pad_left;
                            double v;
                            if (y < 0 || y >= I.h || x < 0 || x >= I.w)
                                continue;
                            v = in[(y * I.w + x) * I.c + co];
                            s = l->pool == IR_POOL_MAX ? fmax(s, v) : s + v;
                            cnt++;
                        }
                    out[(oy * O.w + ox) * O.c + co] = l->pool == IR_POOL_MAX ? s : s / cnt;
                }
    } else if (l->kind == IR_DENSE) {
        int nin = I.h * I.w * I.c;
        for (co = 0; co < l->units; co++) {
            double s = params[bofs + co];
            for (k = 0; k < nin; k++)
                s += (double)in[k] * params[kofs + (size_t)k * l->units + co];
            out[co] = l->act == IR_SOFTMAX ? s : ref_act(l->act, s);
        }
    } else {
        for (k = 0; k < O.h * O.w * O.c; k++)
            out[k] = in[k];
    }
}

/* Runs the model on a few samples, then checks every layer's output in the
 * work buffer against the reference applied to the previous layer's output
 * (also from the work buffer), and the probabilities. */
static double check_forward(const test_model *t, const convc_model *m, int train)
{
    gc_state g;
    int s, i, t_idx = 0;
    double worst = 0.0;
    /* 13 samples: the dense layers' groups of 8 and 4, and one */
    ck_assert_int_eq(gc_init(&g, m, 13, 99), 0);
    m->forward(g.params, g.work, g.x, g.n, g.probs, train ? g.seeds : NULL);
    for (s = 0; s < g.n; s++) {
        const float *w = g.work + (size_t)s * m->work_per_sample;
        const float *in = g.x + (size_t)s * m->in_h * m->in_w * m->in_c;
        t_idx = 0;
        for (i = 0; i < t->m.n_layers; i++) {
            const ir_layer *l = &t->layers[i];
            const float *got = w + m->layers[i].out_offset;
            int n = l->out.h * l->out.w * l->out.c, k;
            double *ref = malloc(sizeof(double) * (size_t)n);
            size_t kofs = 0, bofs = 0;
            ck_assert_ptr_nonnull(ref);
            if (l->kind == IR_CONV || l->kind == IR_DWCONV || l->kind == IR_DENSE) {
                kofs = m->tensors[t_idx].offset;
                bofs = m->tensors[t_idx + 1].offset;
                t_idx += 2;
            }
            if (l->kind == IR_BATCHNORM) {
                /* gamma, beta, moving mean and variance: inference */
                const float *p4[4];
                for (k = 0; k < 4; k++)
                    p4[k] = g.params + m->tensors[t_idx + k].offset;
                t_idx += 4;
                for (k = 0; k < n; k++) {
                    int c = k % l->out.c;
                    ref[k] = ref_act(l->act, p4[0][c] * ((double)in[k] - p4[2][c]) /
                                                 sqrt((double)p4[3][c] + (double)(float)l->eps) +
                                             p4[1][c]);
                }
            } else {
                ref_layer(l, g.params, kofs, bofs, in, ref);
            }
            if (i == t->m.n_layers - 1) {
                /* probs: the softmax of the scores, for a linear head too;
                 * a softmax layer's output is the probabilities */
                double top = -HUGE_VAL, sum = 0;
                for (k = 0; k < n; k++)
                    top = fmax(top, ref[k]);
                for (k = 0; k < n; k++)
                    sum += exp(ref[k] - top);
                for (k = 0; k < n; k++) {
                    double p = exp(ref[k] - top) / sum;
                    worst = fmax(worst, fabs(g.probs[s * m->n_classes + k] - p));
                    if (l->act == IR_SOFTMAX)
                        ref[k] = p;
                }
            }
            for (k = 0; k < n; k++) {
                double d;
                if (l->kind == IR_DROPOUT && train) {
                    /* dropped, or kept and scaled by 1 / (1 - rate) */
                    double kept = ref[k] / (1.0 - l->rate);
                    d = fmin(fabs(got[k]), fabs(got[k] - kept));
                } else {
                    d = fabs(got[k] - ref[k]) / fmax(1.0, fabs(ref[k]));
                }
                worst = fmax(worst, d);
            }
            free(ref);
            in = got;
        }
    }
    gc_free(&g);
    return worst;
}

/* ---- the models ------------------------------------------------------------ */

static void build_case(test_model *t, int which)
{
    switch (which) {
    case 0: /* odd sizes, same padding, Cout not a multiple of 8, max pool remainder */
        tm_init(t, "case_same", 7, 9, 2);
        tm_conv(t, 5, 3, 3, 1, 1, IR_RELU, "conv 5 k=3 same relu");
        tm_pool(t, IR_POOL_MAX, 2, 2, 0, "pool 2");
        tm_flatten(t);
        tm_dense(t, 4, IR_SOFTMAX, "dense 4 softmax");
        break;
    case 1: /* non-square kernel, valid, stride 2, avg pool 'same' with partial windows */
        tm_init(t, "case_valid", 9, 8, 3);
        tm_conv(t, 8, 3, 2, 2, 0, IR_TANH, "conv 8 k=3x2 stride=2 tanh");
        tm_pool(t, IR_POOL_AVG, 3, 2, 1, "pool avg 3 stride=2 same");
        tm_flatten(t);
        tm_dense(t, 6, IR_SIGMOID, "dense 6 sigmoid");
        tm_dense(t, 3, IR_SOFTMAX, "dense 3 softmax");
        break;
    case 2: /* stride-2 same conv, overlapping max pool, 1x1 conv, dropout, 16 channels */
        tm_init(t, "case_deep", 11, 11, 1);
        tm_conv(t, 16, 5, 5, 2, 1, IR_SIGMOID, "conv 16 k=5 stride=2 same sigmoid");
        tm_pool(t, IR_POOL_MAX, 3, 2, 0, "pool 3 stride=2");
        tm_conv(t, 9, 1, 1, 1, 0, IR_LINEAR, "conv 9 k=1");
        tm_flatten(t);
        tm_dropout(t, 0.3);
        tm_dense(t, 9, IR_RELU, "dense 9 relu");
        tm_dense(t, 10, IR_SOFTMAX, "dense 10 softmax");
        break;
    case 3: /* dense only: flatten first, linear, dropout, groups of samples */
        tm_init(t, "case_dense", 5, 3, 2);
        tm_flatten(t);
        tm_dense(t, 19, IR_LINEAR, "dense 19");
        tm_dropout(t, 0.5);
        tm_dense(t, 5, IR_SOFTMAX, "dense 5 softmax");
        break;
    case 4: /* pool first, then convs with an even kernel under 'same' (asymmetric padding) */
        tm_init(t, "case_pool_first", 10, 7, 3);
        tm_pool(t, IR_POOL_MAX, 2, 2, 1, "pool 2 same");
        tm_conv(t, 8, 4, 4, 1, 1, IR_RELU, "conv 8 k=4 same relu");
        tm_conv(t, 12, 2, 3, 2, 1, IR_TANH, "conv 12 k=2x3 stride=2 same tanh");
        tm_pool(t, IR_POOL_AVG, 2, 1, 0, "pool avg 2 stride=1");
        tm_flatten(t);
        tm_dense(t, 7, IR_SOFTMAX, "dense 7 softmax");
        break;
    case 5: /* batchnorm: first (on the input), per channel after a linear conv
             * and after a pool, per unit after a dense layer; the training
             * mode's gradient over the batch is checked too */
        tm_init(t, "case_batchnorm", 7, 6, 3);
        tm_batchnorm(t, IR_LINEAR, 0.99, 0.001, "batchnorm");
        tm_conv(t, 8, 3, 3, 1, 1, IR_LINEAR, "conv 8 k=3 same");
        tm_batchnorm(t, IR_RELU, 0.9, 0.01, "batchnorm relu momentum=0.9 eps=0.01");
        tm_pool(t, IR_POOL_MAX, 2, 2, 0, "pool 2");
        tm_batchnorm(t, IR_SIGMOID, 0.99, 1e-5, "batchnorm sigmoid eps=1e-5");
        tm_flatten(t);
        tm_dense(t, 6, IR_LINEAR, "dense 6");
        tm_batchnorm(t, IR_TANH, 0.8, 0.001, "batchnorm tanh momentum=0.8");
        tm_dense(t, 3, IR_SOFTMAX, "dense 3 softmax");
        break;
    case 6: /* depthwise: stride 2 'same' (vector tiles and a remainder), multiplier 8
               (one input channel per vector) and 3 (plain loops), relu6 and
               leaky_relu, global average pooling, dense on its 1x1xC output,
               a linear head */
        tm_init(t, "case_dwconv", 9, 10, 4);
        tm_conv(t, 8, 3, 3, 1, 1, IR_LEAKY_RELU, "conv 8 k=3 same leaky_relu");
        tm_dwconv(t, 3, 3, 2, 1, 1, IR_RELU6, "dwconv k=3 stride=2 same relu6");
        tm_dwconv(t, 2, 3, 1, 0, 8, IR_TANH, "dwconv k=2x3 mult=8 tanh");
        tm_dwconv(t, 3, 3, 1, 1, 3, IR_LEAKY_RELU, "dwconv k=3 same mult=3 leaky_relu");
        tm_global_pool(t, IR_POOL_AVG, "pool avg global");
        tm_dense(t, 5, IR_LINEAR, "dense 5");
        break;
    case 7: /* Winograd, every tile size (F(3,3), F(2,5) x F(3,3), F(2,7)), partial
               tiles at the bottom and right edges, the first layer's too */
        tm_init(t, "case_winograd", 9, 11, 8);
        tm_conv(t, 16, 3, 3, 1, 1, IR_TANH, "conv 16 k=3 same tanh");
        tm_conv(t, 8, 5, 3, 1, 0, IR_SIGMOID, "conv 8 k=5x3 sigmoid");
        tm_conv(t, 16, 7, 7, 1, 1, IR_TANH, "conv 16 k=7 same tanh");
        tm_pool(t, IR_POOL_AVG, 2, 2, 0, "pool avg 2");
        tm_flatten(t);
        tm_dense(t, 5, IR_SOFTMAX, "dense 5 softmax");
        break;
    default: /* a small cnn like the seed models: 32/64 channels (vector paths);
                smooth throughout, so that many parameters reach far */
        tm_init(t, "case_cnn", 12, 12, 1);
        tm_conv(t, 32, 3, 3, 1, 1, IR_TANH, "conv 32 k=3 same tanh");
        tm_pool(t, IR_POOL_AVG, 2, 2, 0, "pool avg 2");
        tm_conv(t, 64, 3, 3, 1, 1, IR_TANH, "conv 64 k=3 same tanh");
        tm_pool(t, IR_POOL_AVG, 2, 2, 0, "pool avg 2");
        tm_flatten(t);
        tm_dense(t, 16, IR_TANH, "dense 16 tanh");
        tm_dense(t, 10, IR_SOFTMAX, "dense 10 softmax");
        break;
    }
}

#define N_CASES 9
#define N_RANDOM 8

/* A random stack of 1 to 3 convolutions per seed: kernel sides 1 to 7, same
 * or valid, now and then stride 2, 8 or 16 channels, maps of 2 to 13 pixels
 * a side.  Winograd tiles then meet partial tiles at both edges, maps
 * smaller than a tile, non-square kernels and direct layers next to them. */
static int rnd(unsigned *s, int n)
{
    *s = *s * 1103515245u + 12345u;
    return (int)((*s >> 16) % (unsigned)n);
}

static void build_random(test_model *t, unsigned seed)
{
    unsigned s = seed * 2654435761u + 12345u;
    int h = 2 + rnd(&s, 12), w = 2 + rnd(&s, 12);
    int c = rnd(&s, 2) ? 8 : 16;
    int layers = 1 + rnd(&s, 3), i;
    tm_init(t, "", h, w, c);
    snprintf(t->name, sizeof t->name, "case_random%u", seed);
    t->m.name = t->name;
    for (i = 0; i < layers; i++) {
        ir_shape in = t->m.n_layers ? t->layers[t->m.n_layers - 1].out : t->m.input;
        int kh = 1 + rnd(&s, 7), kw = 1 + rnd(&s, 7);
        int same = rnd(&s, 2), stride = rnd(&s, 5) ? 1 : 2;
        int filters = rnd(&s, 2) ? 8 : 16;
        ir_activation act = rnd(&s, 2) ? IR_TANH : IR_SIGMOID;
        char src[64];
        if (kh > in.h || kw > in.w)
            same = 1;
        snprintf(src, sizeof src, "conv %d k=%dx%d stride=%d %s %s", filters, kh, kw, stride,
                 same ? "same" : "valid", act == IR_TANH ? "tanh" : "sigmoid");
        tm_conv(t, filters, kh, kw, stride, same, act, src);
    }
    if (rnd(&s, 2)) {   /* then a depthwise convolution, and global max pooling */
        ir_shape in = t->layers[t->m.n_layers - 1].out;
        static const int mults[] = { 1, 2, 8 };
        int kh = 1 + rnd(&s, 5), kw = 1 + rnd(&s, 5), mult = mults[rnd(&s, 3)];
        int same = rnd(&s, 2) || kh > in.h || kw > in.w, stride = rnd(&s, 3) ? 1 : 2;
        char src[64];
        snprintf(src, sizeof src, "dwconv k=%dx%d stride=%d %s mult=%d relu6", kh, kw, stride,
                 same ? "same" : "valid", mult);
        tm_dwconv(t, kh, kw, stride, same, mult, IR_RELU6, src);
        tm_global_pool(t, IR_POOL_MAX, "pool max global");
    }
    tm_flatten(t);
    tm_dense(t, 3, IR_SOFTMAX, "dense 3 softmax");
}

static void check_model(test_model *t, unsigned options, const char *cflags, int per_tensor,
                        uint64_t seed)
{
    loaded ld;
    double fwd, fwd_train, grad;
    int points = 0;
    load(&ld, &t->m, options, cflags);
    fwd = check_forward(t, ld.m, 0);
    fwd_train = check_forward(t, ld.m, 1);
    grad = gc_check_points(ld.m, 5, per_tensor, 2e-2, 3, getenv("CODEGEN_VERBOSE") != NULL,
                           seed, &points);
    printf("codegen %-16s %-18s%s forward max diff %.2e (train %.2e), "
           "gradient max error %.2e (%d point%s)\n", t->m.name,
           cflags, options & GEN_DIRECT ? " direct" : "", fwd, fwd_train, grad, points,
           points > 1 ? "s" : "");
    ck_assert_double_le(fwd, 1e-5);
    ck_assert_double_le(fwd_train, 1e-5);
    ck_assert_double_le(grad, 2e-2);
    unload(&ld);
}

static void run_case(int which, unsigned options, const char *cflags)
{
    test_model t;
    build_case(&t, which);
    check_model(&t, options, cflags, which == N_CASES - 1 ? 24 : 200, 4242 + (uint64_t)which);
}

START_TEST(test_case_vector)
{
    run_case(_i, 0, "-march=native");
}
END_TEST

START_TEST(test_case_plain)
{
    run_case(_i, 0, "-DCONVC_NO_VECTOR");
}
END_TEST

/* The same with AVX2 alone: the register tiles for 16 vector registers. */
START_TEST(test_case_avx2)
{
    run_case(_i, 0, "-mavx2 -mfma");
}
END_TEST

START_TEST(test_random_convs)
{
    test_model t;
    build_random(&t, (unsigned)_i);
    check_model(&t, 0, "-march=native", 50, 777 + (uint64_t)_i);
}
END_TEST

/* The cases with Winograd layers, their convolutions computed directly
 * (the vector kernels' input gradient included). */
START_TEST(test_case_direct)
{
    run_case(_i, GEN_DIRECT, "-march=native");
}
END_TEST

/* The generator itself on every case and random stack, every way it can
 * plan them: no compile, so the sanitizer build can afford all of them. */
START_TEST(test_generates_every_case)
{
    static const unsigned options[] = { 0, GEN_DIRECT };
    int i;
    unsigned k;
    for (i = 0; i < N_CASES + N_RANDOM; i++) {
        test_model t;
        if (i < N_CASES)
            build_case(&t, i);
        else
            build_random(&t, (unsigned)(i - N_CASES));
        for (k = 0; k < sizeof options / sizeof options[0]; k++) {
            gen_sources src;
            ck_assert_int_eq(gen_model_sources_with(&t.m, 1, options[k], &src, stderr), 0);
            ck_assert_ptr_nonnull(strstr(src.model_c, "_model ="));
            gen_sources_free(&src);
        }
    }
}
END_TEST

START_TEST(test_rejects_softmax_inside)
{
    test_model t;
    gen_sources src;
    FILE *devnull = fopen("/dev/null", "w");
    tm_init(&t, "bad", 4, 4, 1);
    tm_flatten(&t);
    tm_dense(&t, 4, IR_SOFTMAX, "dense 4 softmax");
    tm_dense(&t, 3, IR_LINEAR, "dense 3");
    ck_assert_ptr_nonnull(devnull);
    ck_assert_int_eq(gen_model_sources(&t.m, 0, &src, devnull), 1);
    fclose(devnull);
}
END_TEST

START_TEST(test_deterministic)
{
    test_model t;
    gen_sources a, b;
    build_case(&t, 2);
    ck_assert_int_eq(gen_model_sources(&t.m, 1, &a, stderr), 0);
    ck_assert_int_eq(gen_model_sources(&t.m, 1, &b, stderr), 0);
    ck_assert_str_eq(a.model_c, b.model_c);
    ck_assert_str_eq(a.model_h, b.model_h);
    ck_assert_str_eq(a.main_c, b.main_c);
    ck_assert_ptr_null(strstr(a.model_c, "/tmp"));
    ck_assert_ptr_nonnull(strstr(a.model_c, "DO NOT EDIT"));
    gen_sources_free(&a);
    gen_sources_free(&b);
}
END_TEST

/* The lines of `text` with vector code or unroll pragmas, in order. */
static char *vector_lines(const char *text)
{
    static const char *const marks[] = { "vf8", "vload", "vstore", "vsplat", "#pragma" };
    char *out = malloc(strlen(text) + 1);
    size_t n = 0;
    ck_assert_ptr_nonnull(out);
    while (*text) {
        const char *end = strchr(text, '\n');
        size_t len = end ? (size_t)(end - text) + 1 : strlen(text);
        unsigned k;
        for (k = 0; k < sizeof marks / sizeof marks[0]; k++) {
            const char *hit = strstr(text, marks[k]);
            if (hit && hit < text + len) {
                memcpy(out + n, text, len);
                n += len;
                break;
            }
        }
        text += len;
    }
    out[n] = '\0';
    return out;
}

/* A Winograd layer's code is one text for every tile size: F(3, 3),
 * F(2, 5) and F(2, 7) differ in the named sizes and the tables only, so
 * its vector lines (forward, backward with the input gradient, the kernel
 * transforms) are the same. */
START_TEST(test_winograd_text_per_tile_size)
{
    static const int ks[] = { 3, 5, 7 };
    char *first = NULL;
    unsigned i;
    for (i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        test_model t;
        gen_sources src;
        char *lines, conv[32];
        snprintf(conv, sizeof conv, "conv 64 k=%d same relu", ks[i]);
        tm_init(&t, "wino_text", 14, 14, 8);
        tm_conv(&t, 32, 1, 1, 1, 1, IR_RELU, "conv 32 k=1 relu");
        tm_conv(&t, 64, ks[i], ks[i], 1, 1, IR_RELU, conv);
        tm_flatten(&t);
        tm_dense(&t, 10, IR_SOFTMAX, "dense 10 softmax");
        ck_assert_int_eq(gen_model_sources(&t.m, 0, &src, stderr), 0);
        ck_assert_msg(strstr(src.model_c, "conv2_wino_finish") != NULL,
                      "k=%d: no Winograd kernels", ks[i]);
        lines = vector_lines(src.model_c);
        if (!first)
            first = lines;
        else {
            ck_assert_msg(strcmp(first, lines) == 0, "k=%d: the vector code differs from k=3's",
                          ks[i]);
            free(lines);
        }
        gen_sources_free(&src);
    }
    free(first);
}
END_TEST

/* Lines of text matching the extended regular expression re. */
static int count_matches(const char *text, const char *re)
{
    regex_t r;
    int n = 0;
    const char *p = text;
    regmatch_t m;
    ck_assert_int_eq(regcomp(&r, re, REG_EXTENDED | REG_NEWLINE), 0);
    while (regexec(&r, p, 1, &m, 0) == 0) {
        n++;
        p += m.rm_eo > 0 ? m.rm_eo : 1;
    }
    regfree(&r);
    return n;
}

/* How often "#ifdef CONVC_VECTOR" directly follows the "#endif" of a
 * CONVC_VECTOR block without "#else": two blocks that should be one. */
static int vector_blocks_in_a_row(const char *text)
{
    int vector[16] = { 0 }, depth = 0, n = 0, closed_vector = 0;
    const char *line;
    for (line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
        int just_closed = closed_vector;
        closed_vector = 0;
        if (strncmp(line, "#if", 3) == 0 && depth < 16) {
            vector[depth++] = strncmp(line, "#ifdef CONVC_VECTOR\n", 20) == 0;
            n += vector[depth - 1] && just_closed;
        } else if (strncmp(line, "#else", 5) == 0 && depth > 0) {
            vector[depth - 1] = 0;
        } else if (strncmp(line, "#endif", 6) == 0 && depth > 0) {
            closed_vector = vector[--depth];
        }
    }
    return n;
}

/* Generated C reads like careful hand-written C: no "* 1", "+ 0", one-trip
 * loops, casts to void but for the drivers' parameters that a model may not
 * use, or vector blocks closed only to be opened again. */
START_TEST(test_reads_like_hand_written)
{
    test_model t;
    gen_sources direct, all;
    build_case(&t, _i);
    ck_assert_int_eq(gen_model_sources_with(&t.m, 0, GEN_DIRECT, &direct, stderr), 0);
    ck_assert_int_eq(gen_model_sources(&t.m, 0, &all, stderr), 0);
    ck_assert_int_eq(count_matches(direct.model_c, "\\* 1[^0-9.]"), 0);
    ck_assert_int_eq(count_matches(direct.model_c, "\\+ 0[^0-9x.]"), 0);
    ck_assert_int_eq(count_matches(direct.model_c, "for \\(([a-z]+) = 0; [a-z]+ < 1;"), 0);
    ck_assert_int_eq(count_matches(all.model_c, "\\(void\\)"),
                     count_matches(all.model_c, "\\(void\\)(seeds|x|params);"));
    ck_assert_int_eq(vector_blocks_in_a_row(all.model_c), 0);
    ck_assert_ptr_nonnull(strstr(all.model_c, ".name = \"" ));
    gen_sources_free(&direct);
    gen_sources_free(&all);
}
END_TEST

/* Winograd where its buffers stay within the activation limit, direct
 * kernels beyond: the plan never fails for a model the front end accepts. */
START_TEST(test_winograd_only_when_small)
{
    test_model t;
    gen_layout L;
    int side;
    for (side = 64; side <= 2048; side *= 32) {
        tm_init(&t, "big", side, side, 16);
        tm_conv(&t, 16, 3, 3, 1, 1, IR_RELU, "conv 16 k=3 same relu");
        tm_flatten(&t);
        tm_dense(&t, 2, IR_SOFTMAX, "dense 2 softmax");
        ck_assert_int_eq(gen_layout_build(&L, &t.m, 1), 0);
        ck_assert_int_eq(L.plan[0].wino, side == 64);
        ck_assert_int_eq(L.plan[0].wu < 0, side != 64);
        gen_layout_free(&L);
    }
}
END_TEST

/* Every layer kind has an emitter that plans and writes its forward pass. */
START_TEST(test_every_kind_has_an_emitter)
{
    int k;
    for (k = 0; k < IR_N_KINDS; k++) {
        const gen_layer_emitter *em = gen_emitter_of((ir_kind)k);
        ck_assert_ptr_nonnull(em);
        ck_assert_ptr_nonnull(em->plan);
        ck_assert_ptr_nonnull(em->forward);
    }
}
END_TEST

static Suite *codegen_suite(void)
{
    Suite *s = suite_create("codegen");
    TCase *core = tcase_create("core");
    TCase *models = tcase_create("models");
    tcase_add_test(core, test_rejects_softmax_inside);
    tcase_add_test(core, test_deterministic);
    tcase_add_test(core, test_winograd_text_per_tile_size);
    tcase_add_test(core, test_every_kind_has_an_emitter);
    tcase_add_test(core, test_winograd_only_when_small);
    tcase_add_loop_test(core, test_reads_like_hand_written, 0, N_CASES);
    tcase_add_test(core, test_generates_every_case);
    /* CODEGEN_REDUCED (tests/run.sh sets it for the sanitizer build): the
     * generator runs on every case above, without compiling; one compiled
     * case of each kind of kernel keeps the path through the built model.
     * The compiled variants check the numerics of the generated code, which
     * the normal build does in full; under the sanitizers they took minutes
     * without reaching more of convc. */
    if (getenv("CODEGEN_REDUCED")) {
        tcase_add_loop_test(models, test_case_vector, N_CASES - 2, N_CASES - 1);
        tcase_add_loop_test(models, test_case_direct, N_CASES - 1, N_CASES);
    } else {
        tcase_add_loop_test(models, test_case_vector, 0, N_CASES);
        tcase_add_loop_test(models, test_case_direct, N_CASES - 2, N_CASES);
        /* The plain loops are the same generator at every size: the last two
         * cases (Winograd tile sizes, seed-sized channels) add only time. */
        tcase_add_loop_test(models, test_case_plain, 0, N_CASES - 2);
        tcase_add_loop_test(models, test_random_convs, 0, N_RANDOM);
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            tcase_add_loop_test(models, test_case_avx2, N_CASES - 2, N_CASES);
    }
    tcase_set_timeout(models, 120);
    suite_add_tcase(s, core);
    suite_add_tcase(s, models);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codegen_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
