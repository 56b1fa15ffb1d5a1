/* check_shapes.c - the semantic pass: shapes, padding, parameters, FLOPs,
 * defaults, names and the canonical form, through frontend_load_text. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "front/frontend.h"
#include "front/layers.h"
#include "front/sema.h"

static char *last_messages;

/* Loads `text` as "specs/t.spec"; the messages go to last_messages. */
static ir_model *load_as(const char *path, const char *text)
{
    size_t size;
    free(last_messages);
    last_messages = NULL;
    FILE *out = open_memstream(&last_messages, &size);
    ck_assert_ptr_nonnull(out);
    ir_model *m = frontend_load_text(path, text, strlen(text), out);
    fclose(out);
    return m;
}

static ir_model *load(const char *text)
{
    ir_model *m = load_as("specs/t.spec", text);
    ck_assert_msg(m != NULL, "unexpected errors:\n%s", last_messages);
    ck_assert_str_eq(last_messages, "");
    return m;
}

static void assert_shape(ir_shape s, int h, int w, int c)
{
    ck_assert_int_eq(s.h, h);
    ck_assert_int_eq(s.w, w);
    ck_assert_int_eq(s.c, c);
}

static void assert_pads(const ir_layer *L, int top, int left, int bottom, int right)
{
    ck_assert_int_eq(L->pad_top, top);
    ck_assert_int_eq(L->pad_left, left);
    ck_assert_int_eq(L->pad_bottom, bottom);
    ck_assert_int_eq(L->pad_right, right);
}

START_TEST(seed_cnn)
{
    ir_model *m = load("model cnn_k3\ninput 28x28x1\nconv 32 k=3 same relu\npool 2\n"
                       "conv 64 k=3 same relu\npool 2\nflatten\ndense 64 relu\n"
                       "dense 10 softmax\n");
    ck_assert_str_eq(m->name, "cnn_k3");
    ck_assert_str_eq(m->spec_path, "specs/t.spec");
    ck_assert_int_eq(m->n_layers, 7);
    assert_shape(m->input, 28, 28, 1);
    assert_shape(m->layers[0].out, 28, 28, 32);
    assert_shape(m->layers[1].out, 14, 14, 32);
    assert_shape(m->layers[2].out, 14, 14, 64);
    assert_shape(m->layers[3].out, 7, 7, 64);
    assert_shape(m->layers[4].out, 1, 1, 3136);
    assert_shape(m->layers[5].out, 1, 1, 64);
    assert_shape(m->layers[6].out, 1, 1, 10);
    /* The seed's count for this architecture. */
    ck_assert_int_eq(m->params, 220234);
    ck_assert_int_eq(m->n_classes, 10);
    int64_t act = 0;
    for (int i = 0; i < m->n_layers; i++)
        act += (int64_t)m->layers[i].out.h * m->layers[i].out.w * m->layers[i].out.c;
    ck_assert_int_eq(m->activations, act);
    ck_assert_uint_eq(m->spec_hash, ir_hash(m));
    ir_free(m);
}
END_TEST

START_TEST(seed_totals_for_every_kernel)
{
    static const int kernels[] = { 3, 5, 7 };
    static const int64_t seed_totals[] = { 220234, 253514, 303434 };
    for (int i = 0; i < 3; i++) {
        char text[256];
        int k = kernels[i];
        snprintf(text, sizeof text, "input 28x28x1; conv 32 k=%d same relu; pool 2; "
                 "conv 64 k=%d same relu; pool 2; flatten; dense 64 relu; dense 10 softmax", k, k);
        ir_model *m = load(text);
        ck_assert_int_eq(m->params, seed_totals[i]);
        ck_assert_int_eq(m->layers[0].params, k * k * 1 * 32 + 32);
        ck_assert_int_eq(m->layers[2].params, k * k * 32 * 64 + 64);
        ir_free(m);
    }
    ir_model *m = load("input 28x28x1\nflatten\ndense 128 relu\ndense 10 softmax\n");
    ck_assert_int_eq(m->params, 101770);
    ir_free(m);
}
END_TEST

START_TEST(conv_valid_and_defaults)
{
    ir_model *m = load("input 28x28x3\nconv 8 k=5\nflatten\ndense 2\n");
    const ir_layer *L = &m->layers[0];
    ck_assert_int_eq(L->kind, IR_CONV);
    ck_assert_int_eq(L->padding, IR_VALID);
    ck_assert_int_eq(L->sh, 1);
    ck_assert_int_eq(L->sw, 1);
    ck_assert_int_eq(L->act, IR_LINEAR);
    ck_assert_int_eq(m->layers[2].act, IR_LINEAR);
    assert_shape(L->in, 28, 28, 3);
    assert_shape(L->out, 24, 24, 8);
    assert_pads(L, 0, 0, 0, 0);
    ck_assert_int_eq(L->params, 5 * 5 * 3 * 8 + 8);
    /* multiply-adds count 2, plus the bias; linear costs nothing. */
    ck_assert_int_eq(L->flops, 2LL * 5 * 5 * 3 * 8 * 24 * 24 + 24 * 24 * 8);
    ir_free(m);
}
END_TEST

START_TEST(conv_non_square_kernel_and_stride)
{
    ir_model *m = load("input 10x12x1\nconv 4 k=3x5 stride=2x3 relu\nflatten\ndense 2\n");
    const ir_layer *L = &m->layers[0];
    ck_assert_int_eq(L->kh, 3);
    ck_assert_int_eq(L->kw, 5);
    ck_assert_int_eq(L->sh, 2);
    ck_assert_int_eq(L->sw, 3);
    assert_shape(L->out, (10 - 3) / 2 + 1, (12 - 5) / 3 + 1, 4);
    /* relu costs one FLOP per output value */
    int64_t outs = (int64_t)L->out.h * L->out.w * 4;
    ck_assert_int_eq(L->flops, 2LL * 3 * 5 * 1 * 4 * L->out.h * L->out.w + outs + outs);
    ir_free(m);
}
END_TEST

START_TEST(same_padding_like_tensorflow)
{
    /* stride 1, odd kernel: symmetric */
    ir_model *m = load("input 28x28x1\nconv 1 k=3 same\nflatten\ndense 2\n");
    assert_shape(m->layers[0].out, 28, 28, 1);
    assert_pads(&m->layers[0], 1, 1, 1, 1);
    ir_free(m);
    /* even kernel: the extra row and column go bottom/right */
    m = load("input 5x5x1\nconv 1 k=4 same\nflatten\ndense 2\n");
    assert_shape(m->layers[0].out, 5, 5, 1);
    assert_pads(&m->layers[0], 1, 1, 2, 2);
    ir_free(m);
    /* stride 2 on an even size: total pad (14-1)*2+3-28 = 1, all bottom/right */
    m = load("input 28x28x1\nconv 1 k=3 stride=2 same\nflatten\ndense 2\n");
    assert_shape(m->layers[0].out, 14, 14, 1);
    assert_pads(&m->layers[0], 0, 0, 1, 1);
    ir_free(m);
    /* stride 2 on an odd size: out = ceil(7/2) = 4, total (4-1)*2+3-7 = 2 */
    m = load("input 7x7x1\nconv 1 k=3 stride=2 same\nflatten\ndense 2\n");
    assert_shape(m->layers[0].out, 4, 4, 1);
    assert_pads(&m->layers[0], 1, 1, 1, 1);
    ir_free(m);
    /* non-square, different per axis: 7x8 input, 3x4 kernel, stride 2 */
    m = load("input 7x8x1\nconv 1 k=3x4 stride=2 same\nflatten\ndense 2\n");
    assert_shape(m->layers[0].out, 4, 4, 1);
    assert_pads(&m->layers[0], 1, 1, 1, 1);    /* rows 2, columns (4-1)*2+4-8 = 2 */
    ir_free(m);
    /* a kernel larger than the input still works with 'same' */
    m = load("input 3x3x1\nconv 1 k=5 same\nflatten\ndense 2\n");
    assert_shape(m->layers[0].out, 3, 3, 1);
    assert_pads(&m->layers[0], 2, 2, 2, 2);
    ir_free(m);
}
END_TEST

START_TEST(window_function)
{
    int out, before, after;
    ck_assert(layer_window(28, 3, 1, IR_VALID, &out, &before, &after));
    ck_assert_int_eq(out, 26);
    ck_assert(!layer_window(2, 3, 1, IR_VALID, &out, &before, &after));
    ck_assert(layer_window(3, 3, 1, IR_VALID, &out, &before, &after));
    ck_assert_int_eq(out, 1);
    ck_assert(layer_window(9, 3, 3, IR_SAME, &out, &before, &after));
    ck_assert_int_eq(out, 3);
    ck_assert_int_eq(before + after, 0);
    ck_assert(layer_window(10, 3, 3, IR_SAME, &out, &before, &after));
    ck_assert_int_eq(out, 4);                       /* ceil(10/3) */
    ck_assert_int_eq(before, 1);                    /* total (4-1)*3+3-10 = 2 */
    ck_assert_int_eq(after, 1);
}
END_TEST

START_TEST(pooling)
{
    /* max by default, stride = size, the remainder is dropped (floor) */
    ir_model *m = load("input 7x7x3\npool 2\nflatten\ndense 2\n");
    const ir_layer *L = &m->layers[0];
    ck_assert_int_eq(L->kind, IR_POOL);
    ck_assert_int_eq(L->pool, IR_POOL_MAX);
    ck_assert_int_eq(L->sh, 2);
    ck_assert_int_eq(L->padding, IR_VALID);
    assert_shape(L->out, 3, 3, 3);
    ck_assert_int_eq(L->params, 0);
    ck_assert_int_eq(L->flops, 2 * 2 * 3 * 3 * 3);
    ir_free(m);
    /* 'same' keeps the remainder: ceil(7/2) = 4, pad (4-1)*2+2-7 = 1 after */
    m = load("input 7x7x3\npool avg 2 same\nflatten\ndense 2\n");
    L = &m->layers[0];
    ck_assert_int_eq(L->pool, IR_POOL_AVG);
    assert_shape(L->out, 4, 4, 3);
    assert_pads(L, 0, 0, 1, 1);
    ck_assert_int_eq(L->flops, 2 * 2 * 4 * 4 * 3 + 4 * 4 * 3);   /* + the division */
    ir_free(m);
    /* overlapping windows, options in any order, non-square */
    m = load("input 28x28x1\npool stride=2 3 max\npool 2x1\nflatten\ndense 2\n");
    assert_shape(m->layers[0].out, 13, 13, 1);
    assert_shape(m->layers[1].out, 6, 13, 1);
    ck_assert_int_eq(m->layers[1].sw, 1);
    ir_free(m);
    /* no size: Keras' default 2 */
    m = load("input 8x8x1\npool\nflatten\ndense 2\n");
    assert_shape(m->layers[0].out, 4, 4, 1);
    ir_free(m);
}
END_TEST

START_TEST(depthwise_conv)
{
    /* dwconv: Cin*M channels, a (KH, KW, Cin, M) kernel and Cin*M biases;
     * stride 2 'same' on 11x9 pads like conv. */
    ir_model *m = load("input 11x9x3\ndwconv k=3 stride=2 same relu6 mult=4\n"
                       "dwconv k=2x3 valid\nconv 8 k=1\npool avg global\ndense 5\n");
    const ir_layer *d = &m->layers[0];
    ck_assert_int_eq(d->kind, IR_DWCONV);
    ck_assert_int_eq(d->multiplier, 4);
    assert_shape(d->out, 6, 5, 12);
    assert_pads(d, 1, 1, 1, 1);
    ck_assert_int_eq(d->params, 3 * 3 * 3 * 4 + 12);
    /* 2 per multiply-add, the bias, and relu6's 2 per value */
    ck_assert_int_eq(d->flops, 2 * 9 * 6 * 5 * 12 + 6 * 5 * 12 + 2 * 6 * 5 * 12);
    ck_assert_int_eq(d->act, IR_RELU6);
    ck_assert_str_eq(d->canonical,
                     "dwconv k=3x3 stride=2x2 same pad=1,1,1,1 mult=4 relu6");
    const ir_layer *e = &m->layers[1];
    ck_assert_int_eq(e->multiplier, 1);     /* the default */
    assert_shape(e->out, 5, 3, 12);
    ck_assert_int_eq(e->params, 2 * 3 * 12 + 12);
    ck_assert_int_eq(e->act, IR_LINEAR);
    ck_assert_str_eq(e->canonical, "dwconv k=2x3 stride=1x1 valid pad=0,0,0,0 mult=1 linear");
    ir_free(m);
}
END_TEST

START_TEST(global_pooling)
{
    /* The window is the whole input (over IR_MAX_KERNEL too); dense
     * follows the 1x1xC output without flatten. */
    ir_model *m = load("input 100x70x3\nconv 4 k=3 same leaky_relu\npool avg global\n"
                       "dense 8 leaky_relu\ndense 2 linear\n");
    const ir_layer *p = &m->layers[1];
    ck_assert_int_eq(p->global, 1);
    ck_assert_int_eq(p->pool, IR_POOL_AVG);
    assert_shape(p->out, 1, 1, 4);
    ck_assert_int_eq(p->kh, 100);
    ck_assert_int_eq(p->kw, 70);
    assert_pads(p, 0, 0, 0, 0);
    ck_assert_int_eq(p->flops, 100 * 70 * 4 + 4);
    ck_assert_int_eq(m->layers[0].flops, 2 * 9 * 3 * 4 * 7000 + 4 * 7000 + 2 * 4 * 7000);
    ck_assert_int_eq(m->layers[0].act, IR_LEAKY_RELU);
    ck_assert_int_eq(m->layers[2].params, 4 * 8 + 8);
    ck_assert_int_eq(m->n_classes, 2);
    /* Written out, the same window is the same computation: the same hash. */
    ir_free(m);
    m = load("input 10x7x3\npool avg global\ndense 2\n");
    ir_model *same = load("input 10x7x3\npool avg 10x7\ndense 2\n");
    ck_assert_uint_eq(m->spec_hash, same->spec_hash);
    ir_free(same);
    ir_free(m);
    m = load("input 5x5x6\npool max global\ndense 3\n");
    ck_assert_int_eq(m->layers[0].pool, IR_POOL_MAX);
    assert_shape(m->layers[0].out, 1, 1, 6);
    ir_free(m);
}
END_TEST

START_TEST(flatten_dense_dropout)
{
    ir_model *m = load("input 4x5x6\nflatten\ndropout 0.25\ndense 7 tanh\ndropout 0\n"
                       "dense 5 sigmoid\ndense 3\n");
    assert_shape(m->layers[0].out, 1, 1, 120);
    ck_assert_int_eq(m->layers[1].kind, IR_DROPOUT);
    ck_assert_double_eq_tol(m->layers[1].rate, 0.25, 1e-12);
    assert_shape(m->layers[1].out, 1, 1, 120);
    ck_assert_int_eq(m->layers[1].params, 0);
    ck_assert_int_eq(m->layers[1].flops, 0);
    ck_assert_int_eq(m->layers[2].params, 120 * 7 + 7);
    ck_assert_int_eq(m->layers[2].flops, 2 * 120 * 7 + 7 + 7);
    ck_assert_int_eq(m->layers[2].act, IR_TANH);
    ck_assert_double_eq_tol(m->layers[3].rate, 0.0, 1e-12);
    ck_assert_int_eq(m->layers[4].act, IR_SIGMOID);
    ck_assert_int_eq(m->layers[5].act, IR_LINEAR);     /* a linear head: logits */
    ck_assert_int_eq(m->n_classes, 3);
    ir_free(m);
    m = load("input 1x1x4\nflatten\ndense 3 softmax\n");
    ck_assert_int_eq(m->layers[1].flops, 2 * 4 * 3 + 3 + 3 * 3);   /* softmax: 3 per value */
    ir_free(m);
}
END_TEST

/* Per channel after an image layer, per unit after a vector; Keras'
 * defaults; moving statistics counted as non-trainable; the canonical text
 * spells out every value the computation depends on. */
START_TEST(batchnorm)
{
    ir_model *m = load("input 6x5x3\nbatchnorm\nconv 4 k=3\nbatchnorm relu momentum=0.9 "
                       "eps=1e-5\nflatten\ndense 7\nbatchnorm tanh\ndense 2 softmax\n");
    ir_model *other = load("input 6x5x3\nbatchnorm\nconv 4 k=3\nbatchnorm relu "
                           "momentum=0.9\nflatten\ndense 7\nbatchnorm tanh\n"
                           "dense 2 softmax\n");
    char *text = ir_canonical(m);
    ck_assert_int_eq(m->layers[0].kind, IR_BATCHNORM);
    assert_shape(m->layers[0].out, 6, 5, 3);
    ck_assert_int_eq(m->layers[0].params, 4 * 3);
    ck_assert_int_eq(m->layers[0].non_trainable, 2 * 3);
    ck_assert_double_eq_tol(m->layers[0].momentum, 0.99, 1e-15);
    ck_assert_double_eq_tol(m->layers[0].eps, 0.001, 1e-15);
    ck_assert_int_eq(m->layers[0].act, IR_LINEAR);
    assert_shape(m->layers[2].out, 4, 3, 4);
    ck_assert_int_eq(m->layers[2].params, 16);
    ck_assert_int_eq(m->layers[2].flops, 2 * 4 * 3 * 4 + 4 * 3 * 4);   /* + relu */
    ck_assert_double_eq_tol(m->layers[2].momentum, 0.9, 1e-15);
    ck_assert_double_eq_tol(m->layers[2].eps, 1e-5, 1e-18);
    ck_assert_int_eq(m->layers[2].act, IR_RELU);
    assert_shape(m->layers[5].out, 1, 1, 7);
    ck_assert_int_eq(m->layers[5].params, 28);
    ck_assert_int_eq(m->non_trainable, 6 + 8 + 14);
    ck_assert_int_eq(m->params, 12 + (27 * 4 + 4) + 16 + (48 * 7 + 7) + 28 + (7 * 2 + 2));
    ck_assert_ptr_nonnull(strstr(text, "batchnorm linear momentum=0.99 eps=0.001 -> 6x5x3\n"));
    ck_assert_ptr_nonnull(strstr(text, "batchnorm relu momentum=0.9 eps=1e-05 -> 4x3x4\n"));
    ck_assert_uint_ne(m->spec_hash, other->spec_hash);     /* eps changes the hash */
    free(text);
    ir_free(m);
    ir_free(other);
}
END_TEST

START_TEST(ordinals_and_sources)
{
    ir_model *m = load("input 28x28x1\n  conv 4 k=3   relu  # first\nconv 4 k=3\npool 2\n"
                       "flatten\ndense 8\ndropout 0.5\ndense 2 softmax\n");
    static const int ordinals[] = { 1, 2, 1, 1, 1, 1, 2 };
    static const int lines[] = { 2, 3, 4, 5, 6, 7, 8 };
    for (int i = 0; i < m->n_layers; i++) {
        ck_assert_int_eq(m->layers[i].index, i);
        ck_assert_int_eq(m->layers[i].ordinal, ordinals[i]);
        ck_assert_int_eq(m->layers[i].line, lines[i]);
    }
    ck_assert_str_eq(m->layers[0].source, "conv 4 k=3   relu");
    ck_assert_str_eq(m->layers[6].source, "dense 2 softmax");
    ir_free(m);
}
END_TEST

START_TEST(model_names)
{
    ir_model *m = load_as("specs/cnn_k3.spec", "input 2x2x1\nflatten\ndense 2\n");
    ck_assert_str_eq(m->name, "cnn_k3");
    ir_free(m);
    m = load_as("specs/cnn.spec.in[k=7]", "input 2x2x1\nflatten\ndense 2\n");
    ck_assert_str_eq(m->name, "cnn");
    ir_free(m);
    m = load_as("-", "input 2x2x1\nflatten\ndense 2\n");
    ck_assert_str_eq(m->name, "model");
    ck_assert_str_eq(m->spec_path, "-");
    ir_free(m);
    m = load_as("x/bad-name.spec", "model good\ninput 2x2x1\nflatten\ndense 2\n");
    ck_assert_str_eq(m->name, "good");
    ir_free(m);
    ck_assert_ptr_null(load_as("x/bad-name.spec", "input 2x2x1\nflatten\ndense 2\n"));
    ck_assert_ptr_nonnull(strstr(last_messages, "model name 'bad-name'"));

    ck_assert(sema_valid_model_name("a"));
    ck_assert(sema_valid_model_name("Net_2"));
    ck_assert(!sema_valid_model_name(""));
    ck_assert(!sema_valid_model_name("_net"));
    ck_assert(!sema_valid_model_name("2net"));
    ck_assert(!sema_valid_model_name("net-2"));
    ck_assert(!sema_valid_model_name("while"));
    ck_assert(!sema_valid_model_name("class"));
    char name[IR_MAX_NAME + 2];
    memset(name, 'n', sizeof name);
    name[IR_MAX_NAME] = '\0';
    ck_assert(sema_valid_model_name(name));
    name[IR_MAX_NAME] = 'n';
    name[IR_MAX_NAME + 1] = '\0';
    ck_assert(!sema_valid_model_name(name));
    /* The runtime's prefixes, in any case, alone or before '_'. */
    ck_assert(!sema_valid_model_name("convc"));
    ck_assert(!sema_valid_model_name("convc_net"));
    ck_assert(!sema_valid_model_name("CONVC_MODEL_ABI"));
    ck_assert(!sema_valid_model_name("cv"));
    ck_assert(!sema_valid_model_name("Cv_net"));
    ck_assert(sema_valid_model_name("convcnet"));
    ck_assert(sema_valid_model_name("cvnet"));
    ck_assert(sema_valid_model_name("my_convc"));
    ck_assert_ptr_null(load_as("x/convc.spec", "input 2x2x1\nflatten\ndense 2\n"));
    ck_assert_ptr_nonnull(strstr(last_messages, "model name 'convc', which is reserved"));
}
END_TEST

START_TEST(limits_checked_in_sema)
{
    /* Labels are bytes: 256 classes at most. */
    ir_model *m = load("input 8x8x1\nflatten\ndense 256 softmax\n");
    ck_assert_int_eq(m->n_classes, 256);
    ir_free(m);
    ck_assert_ptr_null(load_as("specs/t.spec", "input 8x8x1\nflatten\ndense 257 softmax\n"));
    ck_assert_ptr_nonnull(strstr(last_messages, "specs/t.spec:3:7: error: the output layer "
                                 "has 257 units, over the limit of 256 classes"));
    /* Work buffers: each 1x1 conv over 4096x4096x4 counts 4 * 2^26 floats
     * (output, gradient, padded input, its gradient); the 8th reaches 2^31. */
    char text[512] = "input 4096x4096x4\n";
    for (int i = 0; i < 7; i++)
        strcat(text, "conv 4 k=1\n");
    ck_assert_ptr_null(load_as("specs/t.spec", text));     /* it does not end with a dense layer ... */
    ck_assert_ptr_nonnull(strstr(last_messages, "must end with a dense layer"));
    ck_assert_ptr_null(strstr(last_messages, "work buffers"));     /* ... but fits */
    strcat(text, "conv 4 k=1\n");
    ck_assert_ptr_null(load_as("specs/t.spec", text));
    ck_assert_ptr_nonnull(strstr(last_messages, "specs/t.spec:9:1: error: this layer takes "
                                 "the model's work buffers to 2147483648 floats"));
}
END_TEST

START_TEST(canonical_form_and_hash)
{
    ir_model *a = load("model a\ninput 28x28x1\nconv 32 k=3 same relu\npool 2\nflatten\n"
                       "dense 10 softmax\n");
    ir_model *b = load("model b # other name, comments, spacing, order of options\n"
                       "input 28x28x1; conv 32 relu same k=3x3 stride=1;  pool max 2 stride=2\n"
                       "flatten; dense 10 softmax");
    ir_model *c = load("model a\ninput 28x28x1\nconv 32 k=5 same relu\npool 2\nflatten\n"
                       "dense 10 softmax\n");
    char *text = ir_canonical(a);
    ck_assert_str_eq(text, "input 28x28x1\n"
                     "conv 32 k=3x3 stride=1x1 same pad=1,1,1,1 relu -> 28x28x32\n"
                     "pool max 2x2 stride=2x2 valid pad=0,0,0,0 -> 14x14x32\n"
                     "flatten -> 1x1x6272\n"
                     "dense 10 softmax -> 1x1x10\n");
    free(text);
    ck_assert_uint_eq(a->spec_hash, b->spec_hash);
    ck_assert_uint_ne(a->spec_hash, c->spec_hash);
    ck_assert_str_eq(ir_kind_name(IR_DROPOUT), "dropout");
    ck_assert_str_eq(ir_activation_name(IR_SIGMOID), "sigmoid");
    ir_free(a);
    ir_free(b);
    ir_free(c);
}
END_TEST

START_TEST(line_endings)
{
    ir_model *m = load("input 4x4x1\r\nflatten\r\ndense 2\r\n");
    ck_assert_int_eq(m->n_layers, 2);
    ck_assert_str_eq(m->layers[1].source, "dense 2");
    ir_free(m);
}
END_TEST

START_TEST(limits)
{
    ir_model *m = load("input 1x1x4096\nflatten\ndense 4096\ndense 2\n");
    ck_assert_int_eq(m->layers[1].units, IR_MAX_DIM);
    ir_free(m);
    ck_assert_ptr_null(load_as("t.spec", "input 1x1x4\nflatten\ndense 4097\ndense 2\n"));
    ck_assert_str_eq(last_messages, "t.spec:3:7: error: number of units 4097 is too large "
                     "(the limit is 4096)\n dense 4097\n       ^~~~\n");
    m = load("input 64x64x1\nconv 1 k=64\nflatten\ndense 2\n");
    ck_assert_int_eq(m->layers[0].kh, IR_MAX_KERNEL);
    ir_free(m);
    ck_assert_ptr_null(load_as("t.spec", "input 65x65x1\nconv 1 k=65\nflatten\ndense 2\n"));
    /* products are checked, not just each number */
    ck_assert_ptr_null(load_as("t.spec", "input 4096x4096x4096\nflatten\ndense 2\n"));
    ck_assert_ptr_nonnull(strstr(last_messages, "over the limit"));
    ck_assert_ptr_null(load_as("t.spec", "input 2048x2048x16\nflatten\ndense 4096\ndense 2\n"));
    ck_assert_ptr_nonnull(strstr(last_messages, "over the limit of 268435456"));
    /* too many layers */
    char *text = malloc(20 * (IR_MAX_LAYERS + 8));
    strcpy(text, "input 1x1x2\nflatten\n");
    for (int i = 0; i < IR_MAX_LAYERS - 2; i++)
        strcat(text, "dense 2\n");
    m = load(text);
    ck_assert_int_eq(m->n_layers, IR_MAX_LAYERS - 1);
    ir_free(m);
    strcat(text, "dense 2\ndense 2\n");
    ck_assert_ptr_null(load_as("t.spec", text));
    ck_assert_ptr_nonnull(strstr(last_messages, "too many layers (the limit is 256)"));
    free(text);
}
END_TEST

START_TEST(errors_return_null_with_a_located_message)
{
    ck_assert_ptr_null(load_as("specs/x.spec", "input 7x7x1\nconv 8 k=9 relu\nflatten\n"
                               "dense 10 softmax\n"));
    ck_assert_str_eq(last_messages,
                     "specs/x.spec:2:10: error: kernel 9x9 does not fit input 7x7 with "
                     "padding 'valid'\n conv 8 k=9 relu\n          ^\n"
                     "specs/x.spec:2:10: note: use a smaller kernel, or 'same' padding\n");
    ck_assert_ptr_null(load_as("t.spec", ""));
    ck_assert_str_eq(last_messages, "t.spec: error: empty spec: expected 'input HxWxC' "
                     "and layers\n");
}
END_TEST

START_TEST(suggestions)
{
    ck_assert_int_eq(sema_edit_distance("relu", "relu"), 0);
    ck_assert_int_eq(sema_edit_distance("sme", "same"), 1);
    ck_assert_int_eq(sema_edit_distance("Conv", "conv"), 0);
    ck_assert_int_eq(sema_edit_distance("", "abc"), 3);
    ck_assert_ptr_null(load_as("t.spec", "input 4x4x1\ncnv 3 k=3\n"));
    ck_assert_ptr_nonnull(strstr(last_messages, "unknown statement 'cnv'; did you mean 'conv'?"));
    ck_assert_ptr_null(load_as("t.spec", "input 4x4x1\nconv 3 k=3 sigmod\n"));
    ck_assert_ptr_nonnull(strstr(last_messages, "unknown option 'sigmod' for conv; did you "
                                 "mean 'sigmoid'?"));
    ck_assert_ptr_null(load_as("t.spec", "input 4x4x1\nconv 3 k=3 strde=2\n"));
    ck_assert_ptr_nonnull(strstr(last_messages, "did you mean 'stride='?"));
}
END_TEST

static void teardown(void)
{
    free(last_messages);
    last_messages = NULL;
}

/* The graph: inputs by index, shapes of add and concat, their counts, and
 * the wiring in the canonical text (and only there where it is not a chain). */
START_TEST(layer_graph)
{
    ir_model *m = load("input 8x8x2\nconv 4 k=3 same relu as x\nconv 4 k=3 same\n"
                       "add x relu as y\nconv 6 k=1 from x\nconcat y\nflatten\n"
                       "dense 3 softmax\n");
    ck_assert_int_eq(m->n_layers, 7);
    ck_assert_int_eq(m->layers[0].n_inputs, 1);
    ck_assert_int_eq(m->layers[0].inputs[0], -1);
    ck_assert_int_eq(m->layers[2].n_inputs, 2);
    ck_assert_int_eq(m->layers[2].inputs[0], 1);
    ck_assert_int_eq(m->layers[2].inputs[1], 0);
    ck_assert_int_eq(m->layers[2].act, IR_RELU);
    assert_shape(m->layers[2].out, 8, 8, 4);
    ck_assert_int_eq(m->layers[2].params, 0);
    ck_assert_int_eq(m->layers[2].flops, 2 * 8 * 8 * 4);   /* the add and the relu */
    ck_assert_int_eq(m->layers[3].inputs[0], 0);
    assert_shape(m->layers[4].in, 8, 8, 6);
    assert_shape(m->layers[4].in2, 8, 8, 4);
    assert_shape(m->layers[4].out, 8, 8, 10);
    ck_assert_int_eq(m->layers[4].flops, 0);
    ck_assert_str_eq(m->layers[0].name, "x");
    ck_assert_str_eq(m->layers[2].name, "y");
    ck_assert_ptr_null(m->layers[1].name);
    char *text = ir_canonical(m);
    ck_assert_str_eq(text, "input 8x8x2\n"
                     "conv 4 k=3x3 stride=1x1 same pad=1,1,1,1 relu -> 8x8x4\n"
                     "conv 4 k=3x3 stride=1x1 same pad=1,1,1,1 linear -> 8x8x4\n"
                     "add relu <- 1,0 -> 8x8x4\n"
                     "conv 6 k=1x1 stride=1x1 valid pad=0,0,0,0 linear <- 0 -> 8x8x6\n"
                     "concat <- 3,2 -> 8x8x10\n"
                     "flatten -> 1x1x640\n"
                     "dense 3 softmax -> 1x1x3\n");
    free(text);
    /* The same wiring under other names hashes the same; other wiring not. */
    ir_model *renamed = load("input 8x8x2\nconv 4 k=3 same relu as a\nconv 4 k=3 same\n"
                             "add a relu as b\nconv 6 k=1 from a\nconcat b\nflatten\n"
                             "dense 3 softmax\n");
    ir_model *rewired = load("input 8x8x2\nconv 4 k=3 same relu as a\nconv 4 k=3 same as c\n"
                             "add a relu as b\nconv 6 k=1 from c\nconcat b\nflatten\n"
                             "dense 3 softmax\n");
    ck_assert_uint_eq(renamed->spec_hash, m->spec_hash);
    ck_assert_uint_ne(rewired->spec_hash, m->spec_hash);
    ir_free(renamed);
    ir_free(rewired);
    ir_free(m);
    /* A chain with names has the text and hash of the same chain without. */
    ir_model *plain = load("input 8x8x1\nconv 4 k=3\npool 2\nflatten\ndense 2\n");
    ir_model *named = load_as("specs/t.spec", "input 8x8x1\nconv 4 k=3 as c\npool 2 from c\n"
                              "flatten\ndense 2\n");
    ck_assert_ptr_nonnull(named);
    ck_assert_uint_eq(named->spec_hash, plain->spec_hash);
    ir_free(plain);
    ir_free(named);
}
END_TEST

static Suite *shapes_suite(void)
{
    Suite *s = suite_create("shapes");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, NULL, teardown);
    tcase_add_test(core, seed_cnn);
    tcase_add_test(core, seed_totals_for_every_kernel);
    tcase_add_test(core, conv_valid_and_defaults);
    tcase_add_test(core, conv_non_square_kernel_and_stride);
    tcase_add_test(core, same_padding_like_tensorflow);
    tcase_add_test(core, window_function);
    tcase_add_test(core, pooling);
    tcase_add_test(core, flatten_dense_dropout);
    tcase_add_test(core, batchnorm);
    tcase_add_test(core, depthwise_conv);
    tcase_add_test(core, global_pooling);
    tcase_add_test(core, ordinals_and_sources);
    tcase_add_test(core, model_names);
    tcase_add_test(core, canonical_form_and_hash);
    tcase_add_test(core, layer_graph);
    tcase_add_test(core, line_endings);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("limits");
    tcase_add_checked_fixture(lim, NULL, teardown);
    tcase_add_test(lim, limits);
    tcase_add_test(lim, limits_checked_in_sema);
    tcase_add_test(lim, errors_return_null_with_a_located_message);
    tcase_add_test(lim, suggestions);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(shapes_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
