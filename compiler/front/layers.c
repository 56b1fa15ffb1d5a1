/* layers.c - the layer-kind descriptors (layers.h), one entry per kind.
 *
 * FLOPs per image, forward (docs/spec-language.md); the semantic pass adds
 * the activation's (relu, tanh, sigmoid 1 per output value, relu6 and
 * leaky_relu 2, softmax 3, linear 0):
 *   conv    2*KH*KW*Cin*Cout*OH*OW  + OH*OW*Cout (bias)
 *   dwconv  2*KH*KW*Cin*M*OH*OW     + OH*OW*Cin*M (bias)
 *   dense   2*In*Out                + Out (bias)
 *   pool    KH*KW*OH*OW*C (one compare or add per window element),
 *           + OH*OW*C for the division of 'avg'
 *   add     OH*OW*C (one add per value)
 *   flatten, dropout (identity at inference), concat 0
 *   batchnorm 2*H*W*C (inference: one multiply-add per value; in an
 *           exported file it is folded into a conv or dense before it) */
#include "front/layers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

bool layer_window(int in, int k, int stride, ir_padding padding,
                  int *out, int *pad_before, int *pad_after)
{
    if (padding == IR_VALID) {
        *pad_before = *pad_after = 0;
        if (k > in)
            return false;
        *out = (in - k) / stride + 1;
        return true;
    }
    /* TensorFlow 'same': out = ceil(in / s); the odd pad goes after. */
    *out = (in + stride - 1) / stride;
    int64_t total = (int64_t)(*out - 1) * stride + k - in;
    if (total < 0)
        total = 0;
    *pad_before = (int)(total / 2);
    *pad_after = (int)(total - total / 2);
    return true;
}

int64_t layer_activation_flops(ir_activation a, int64_t n)
{
    switch (a) {
    case IR_LINEAR:  return 0;
    case IR_SOFTMAX: return 3 * n;
    case IR_RELU6:              /* a max and a min */
    case IR_LEAKY_RELU:         /* a compare and a multiply */
        return 2 * n;
    default:         return n;
    }
}

static int64_t size_of(ir_shape s)
{
    return (int64_t)s.h * s.w * s.c;
}

/* Both axes of a conv or pool window over L->in. */
static bool window_shape(ir_layer *L)
{
    return layer_window(L->in.h, L->kh, L->sh, L->padding, &L->out.h, &L->pad_top,
                        &L->pad_bottom)
        && layer_window(L->in.w, L->kw, L->sw, L->padding, &L->out.w, &L->pad_left,
                        &L->pad_right);
}

/* "3x3 stride=1x1 same pad=1,1,1,1" */
static int window_text(const ir_layer *L, char *buf, size_t size)
{
    return snprintf(buf, size, "%dx%d stride=%dx%d %s pad=%d,%d,%d,%d", L->kh, L->kw,
                    L->sh, L->sw, ir_padding_name(L->padding),
                    L->pad_top, L->pad_left, L->pad_bottom, L->pad_right);
}

static void no_text(const ir_layer *L, char *buf, size_t size)
{
    (void)L;
    if (size > 0)
        buf[0] = '\0';
}

/* ---- conv ----------------------------------------------------------------- */

static bool conv_shape(ir_layer *L)
{
    L->out.c = L->filters;
    return window_shape(L);
}

static int64_t conv_params(const ir_layer *L)
{
    return (int64_t)L->kh * L->kw * L->in.c * L->filters + L->filters;
}

static int64_t conv_flops(const ir_layer *L)
{
    int64_t spatial = (int64_t)L->out.h * L->out.w;
    return 2 * (int64_t)L->kh * L->kw * L->in.c * L->filters * spatial + spatial * L->filters;
}

/* The zero-padded input and its gradient. */
static int64_t conv_work(const ir_layer *L)
{
    int64_t padded = (int64_t)(L->in.h + L->pad_top + L->pad_bottom)
                   * (L->in.w + L->pad_left + L->pad_right) * L->in.c;
    return 2 * padded;
}

static void conv_summary(const ir_layer *L, char *buf, size_t size)
{
    int n = snprintf(buf, size, LAYER_KEY_KERNEL "=");
    n += window_text(L, buf + n, size - (size_t)n);
    snprintf(buf + n, size - (size_t)n, " %s", ir_activation_name(L->act));
}

static void conv_canonical(const ir_layer *L, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%d ", L->filters);
    conv_summary(L, buf + n, size - (size_t)n);
}

/* ---- pool ----------------------------------------------------------------- */

static bool pool_shape(ir_layer *L)
{
    L->out.c = L->in.c;
    if (L->global) {    /* one window over the whole input: 1 x 1 x C */
        L->kh = L->sh = L->in.h;
        L->kw = L->sw = L->in.w;
        L->padding = IR_VALID;
    }
    return window_shape(L);
}

static int64_t pool_flops(const ir_layer *L)
{
    int64_t outputs = size_of(L->out);
    return (int64_t)L->kh * L->kw * outputs + (L->pool == IR_POOL_AVG ? outputs : 0);
}

static void pool_text(const ir_layer *L, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s ", ir_pool_kind_name(L->pool));
    window_text(L, buf + n, size - (size_t)n);
}

/* The canonical text leaves 'global' out: the same window written out is
 * the same computation. */
static void pool_summary(const ir_layer *L, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s %s", ir_pool_kind_name(L->pool),
                     L->global ? LAYER_WORD_GLOBAL " " : "");
    window_text(L, buf + n, size - (size_t)n);
}

/* ---- dwconv --------------------------------------------------------------- */

static bool dwconv_shape(ir_layer *L)
{
    L->out.c = L->in.c * L->multiplier;     /* checked against IR_MAX_DIM by the pass */
    return window_shape(L);
}

static int64_t dwconv_params(const ir_layer *L)
{
    int64_t outc = (int64_t)L->in.c * L->multiplier;
    return (int64_t)L->kh * L->kw * outc + outc;
}

static int64_t dwconv_flops(const ir_layer *L)
{
    int64_t outputs = size_of(L->out);
    return 2 * (int64_t)L->kh * L->kw * outputs + outputs;
}

/* The padded input with each channel repeated M times, and its gradient. */
static int64_t dwconv_work(const ir_layer *L)
{
    return conv_work(L) * L->multiplier;
}

static void dwconv_summary(const ir_layer *L, char *buf, size_t size)
{
    int n = snprintf(buf, size, LAYER_KEY_KERNEL "=");
    n += window_text(L, buf + n, size - (size_t)n);
    snprintf(buf + n, size - (size_t)n, " " LAYER_KEY_MULT "=%d %s", L->multiplier,
             ir_activation_name(L->act));
}

/* ---- flatten -------------------------------------------------------------- */

static bool flatten_shape(ir_layer *L)
{
    L->out.h = L->out.w = 1;
    L->out.c = L->in.h * L->in.w * L->in.c;     /* <= IR_MAX_ACTIVATION */
    return true;
}

/* ---- dense ---------------------------------------------------------------- */

static bool dense_shape(ir_layer *L)
{
    L->out.h = L->out.w = 1;
    L->out.c = L->units;
    return true;
}

static int64_t dense_params(const ir_layer *L)
{
    return size_of(L->in) * L->units + L->units;
}

static int64_t dense_flops(const ir_layer *L)
{
    return 2 * size_of(L->in) * L->units + L->units;
}

static void dense_summary(const ir_layer *L, char *buf, size_t size)
{
    snprintf(buf, size, "%s", ir_activation_name(L->act));
}

static void dense_canonical(const ir_layer *L, char *buf, size_t size)
{
    snprintf(buf, size, "%d %s", L->units, ir_activation_name(L->act));
}

/* ---- dropout -------------------------------------------------------------- */

static bool same_shape(ir_layer *L)
{
    L->out = L->in;
    return true;
}

/* The scaled keep mask. */
static int64_t dropout_work(const ir_layer *L)
{
    return size_of(L->out);
}

static void dropout_summary(const ir_layer *L, char *buf, size_t size)
{
    snprintf(buf, size, "rate=%g", L->rate);
}

static void dropout_canonical(const ir_layer *L, char *buf, size_t size)
{
    snprintf(buf, size, "%.17g", L->rate);
}

/* ---- batchnorm ------------------------------------------------------------ */

/* gamma, beta (trained), moving mean and variance (not): per channel of an
 * image, per unit of a vector. */
static int64_t batchnorm_params(const ir_layer *L)
{
    return 4 * (int64_t)L->out.c;
}

static int64_t batchnorm_non_trainable(const ir_layer *L)
{
    return 2 * (int64_t)L->out.c;
}

static int64_t batchnorm_flops(const ir_layer *L)
{
    return 2 * size_of(L->out);
}

static void batchnorm_summary(const ir_layer *L, char *buf, size_t size)
{
    snprintf(buf, size, "momentum=%g eps=%g %s", L->momentum, L->eps,
             ir_activation_name(L->act));
}

/* The shortest text that reads back as exactly x. */
static void exact_real(char *buf, size_t size, double x)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

static void batchnorm_canonical(const ir_layer *L, char *buf, size_t size)
{
    char m[32], e[32];
    exact_real(m, sizeof m, L->momentum);
    exact_real(e, sizeof e, L->eps);
    snprintf(buf, size, "%s momentum=%s eps=%s", ir_activation_name(L->act), m, e);
}

/* Keras' defaults. */
static const layer_real_option batchnorm_reals[] = {
    { "momentum", "momentum=", offsetof(ir_layer, momentum), 0.99, 0, 1, "(0, 1)" },
    { "eps", "eps=", offsetof(ir_layer, eps), 0.001, 0, HUGE_VAL, "(0, inf)" },
};

/* ---- add and concat ------------------------------------------------------ */

static int64_t add_flops(const ir_layer *L)
{
    return size_of(L->out);
}

/* The current output's channels first, then the named layer's. */
static bool concat_shape(ir_layer *L)
{
    L->out = L->in;
    L->out.c = L->in.c + L->in2.c;
    return true;
}

/* ---- the table ------------------------------------------------------------ */

static const layer_desc conv_layer = {
    .usage = "conv N k=K|k=KHxKW [stride=S] [same|valid] [ACTIVATION]",
    .number = LAYER_NUMBER_COUNT, .number_what = "number of filters",
    .number_missing = "conv needs the number of filters", .missing_shows_usage = true,
    .count_field = offsetof(ir_layer, filters),
    .kernel = true, .stride = true, .padding = true, .activation = LAYER_ACT_HIDDEN,
    .input = LAYER_INPUT_IMAGE, .window_what = "kernel",
    .shape = conv_shape, .params = conv_params, .flops = conv_flops, .work = conv_work,
    .canonical = conv_canonical, .summary = conv_summary,
};

static const layer_desc pool_layer = {
    .usage = "pool [max|avg] [N|NxM] [stride=S] [same|valid] | pool [max|avg] global",
    .number = LAYER_NUMBER_WINDOW, .number_what = "pool size",
    .default_window = 2,        /* Keras' default pool_size */
    .stride = true, .stride_is_window = true, .padding = true, .pool_kind = true,
    .global = true,
    .input = LAYER_INPUT_IMAGE, .window_what = "pool window",
    .shape = pool_shape, .flops = pool_flops,
    .canonical = pool_text, .summary = pool_summary,
};

static const layer_desc flatten_layer = {
    .usage = "flatten",
    .makes_vector = true,
    .shape = flatten_shape,
    .canonical = no_text, .summary = no_text,
};

static const layer_desc dense_layer = {
    .usage = "dense N [ACTIVATION]",
    .number = LAYER_NUMBER_COUNT, .number_what = "number of units",
    .number_missing = "dense needs the number of units, e.g. 'dense 64 relu'",
    .count_field = offsetof(ir_layer, units),
    .activation = LAYER_ACT_ANY,
    .input = LAYER_INPUT_VECTOR, .makes_vector = true,
    .shape = dense_shape, .params = dense_params, .flops = dense_flops,
    .canonical = dense_canonical, .summary = dense_summary,
};

static const layer_desc dropout_layer = {
    .usage = "dropout P",
    .number = LAYER_NUMBER_RATE, .number_what = "dropout rate",
    .number_missing = "dropout needs a rate in [0, 1), e.g. 'dropout 0.5'",
    .shape = same_shape, .work = dropout_work,
    .canonical = dropout_canonical, .summary = dropout_summary,
};

static const layer_desc batchnorm_layer = {
    .usage = "batchnorm [ACTIVATION] [momentum=M] [eps=E]",
    .activation = LAYER_ACT_HIDDEN,
    .reals = batchnorm_reals, .n_reals = 2,
    .shape = same_shape, .params = batchnorm_params,
    .non_trainable = batchnorm_non_trainable, .flops = batchnorm_flops,
    .canonical = batchnorm_canonical, .summary = batchnorm_summary,
};

static const layer_desc dwconv_layer = {
    .usage = "dwconv k=K|k=KHxKW [stride=S] [same|valid] [ACTIVATION] [mult=M]",
    .kernel = true, .stride = true, .padding = true, .activation = LAYER_ACT_HIDDEN,
    .multiplier = true,
    .input = LAYER_INPUT_IMAGE, .window_what = "kernel",
    .shape = dwconv_shape, .params = dwconv_params, .flops = dwconv_flops,
    .work = dwconv_work,
    .canonical = dwconv_summary, .summary = dwconv_summary,
};

static const layer_desc add_layer = {
    .usage = "add NAME [ACTIVATION]",
    .merge = LAYER_MERGE_SUM, .activation = LAYER_ACT_HIDDEN,
    .shape = same_shape, .flops = add_flops,
    .canonical = dense_summary, .summary = dense_summary,
};

static const layer_desc concat_layer = {
    .usage = "concat NAME",
    .merge = LAYER_MERGE_CHANNELS,
    .shape = concat_shape,
    .canonical = no_text, .summary = no_text,
};

/* One entry per X line of IR_LAYER_KINDS, in its order: a kind without a
 * descriptor named <spelling>_layer does not compile. */
#define LAYER_ENTRY(id, word) &word##_layer,
const layer_desc *const layer_descs[] = { IR_LAYER_KINDS(LAYER_ENTRY) };
_Static_assert(sizeof layer_descs / sizeof layer_descs[0] == IR_N_KINDS,
               "one descriptor per layer kind");
