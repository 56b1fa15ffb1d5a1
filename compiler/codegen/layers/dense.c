/* dense.c - the dense layer's emitter.  Kernels are (in, out), so the
 * innermost loops run over contiguous units and vectorize; the layer runs on
 * groups of DENSE_GROUP samples per pass over the kernel (and on half groups
 * and single samples for the rest of a batch, gen_group_sizes). */
#include "codegen/layer_emitter.h"

#include "codegen/conv_vec.h"

#include <stdio.h>

static void dense_plan(gen_layout *L, int i)
{
    const ir_layer *l = &L->m->layers[i];
    gen_layer_plan *p = &L->plan[i];
    int in_n = l->in.h * l->in.w * l->in.c;
    int ks[2] = { in_n, l->units };
    int bs[1] = { l->units };
    p->kernel = gen_layout_tensor(L, p->name, "kernel", 2, ks, 1, in_n, l->units);
    p->bias = gen_layout_tensor(L, p->name, "bias", 1, bs, 0, 0, 0);
    p->batched = 1;
    p->group = DENSE_GROUP;
    p->vec = l->units % 8 == 0;
    p->has_backward = 1;
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (L->training)
        gen_plan_common_args(L, i, 1, 1, GEN_BOTH);
}

static long long in_count(const ir_layer *l)
{
    return (long long)l->in.h * l->in.w * l->in.c;
}

/* "base + j * STRIDE + buffer" for sample j of the group ("+ buffer" left out
 * when NULL). */
static const char *sample_ptr(char *buf, size_t size, const gen_ctx *c, const char *base,
                              int j, const char *stride, const char *buffer)
{
    const char *M = c->mprefix, *b = buffer ? buffer : "";
    const char *plus = buffer ? " + " : "";
    if (j == 0)
        snprintf(buf, size, "%s%s%s%s", base, plus, buffer ? M : "", b);
    else if (j == 1)
        snprintf(buf, size, "%s + %s%s%s%s%s", base, M, stride, plus, buffer ? M : "", b);
    else
        snprintf(buf, size, "%s + %d * %s%s%s%s%s", base, j, M, stride, plus, buffer ? M : "",
                 b);
    return buf;
}

/* Pointer `<name><j> = ` buffer b of sample j of the group. */
static void emit_sample_buf(gen_ctx *c, const char *cq, const char *name, int j, int b)
{
    char x[160];
    emit_line(c->e, "%sfloat *%s %s%d = %s;", cq, c->restrict_kw, name, j,
              sample_ptr(x, sizeof x, c, "w", j, "WORK_PER_SAMPLE", gen_buf(c, b)));
}

/* Pointers in<j> to the inputs of the group's samples. */
static void emit_group_inputs(gen_ctx *c, int i, int group, int with_out)
{
    const gen_layer_plan *p = &c->L->plan[i];
    char x[160];
    int j;
    for (j = 0; j < group; j++) {
        if (p->in < 0)
            emit_line(c->e, "const float *%s in%d = %s;", c->restrict_kw, j,
                      sample_ptr(x, sizeof x, c, "x", j, "IN_SIZE", NULL));
        else
            emit_sample_buf(c, "const ", "in", j, p->in);
        if (with_out)
            emit_sample_buf(c, "", "out", j, with_out == 2 ? p->logits : p->out);
    }
}

/* The forward pass's register-blocked loops: the group's accumulators for vb
 * vectors of outputs stay in registers over all of k.  The plain loop keeps
 * them in memory, where each k waits for the previous k's store.  Vectors of
 * 16 floats where c->wide and the units allow; each output sums over k in
 * the same order whatever the width, so both give the same bits. */
typedef struct {
    int i, group;
} dense_vec_args;

static void emit_forward_vectors(gen_ctx *c, const void *arg)
{
    const dense_vec_args *a = arg;
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, a->i);
    const char *R = c->restrict_kw;
    int units = l->units, group = a->group, j, v;
    const gen_tile t = gen_tile_for(c, units);    /* its width and vector names */
    int width = t.width, vb = units / width;
    char x[96];
    while (vb > 1 && (group * vb > 24 || units / width % vb != 0))
        vb--;
    gen_open_for(c, "o", 0, units, (long long)width * vb);
    for (j = 0; j < group; j++) {
        emit_raw(e, "%*s%s ", e->depth * 4, "", t.type);
        for (v = 0; v < vb; v++)
            emit_raw(e, "a%d_%d = %s(%s)%s", j, v, t.load,
                     GEN_SUM(x, width * v, { "bias", 1 }, { "o", 1 }), v + 1 < vb ? ", " : ";\n");
    }
    gen_open_for(c, "k", 0, in_count(l), 1);
    emit_line(e, "const float *%s row = %s;", R, GEN_SUM(x, 0, { "kern", 1 }, { "k", units }, { "o", 1 }));
    emit_raw(e, "%*sconst %s ", e->depth * 4, "", t.type);
    for (v = 0; v < vb; v++)
        emit_raw(e, "w%d = %s(%s)%s", v, t.load, GEN_SUM(x, width * v, { "row", 1 }),
                 v + 1 < vb ? ", " : ";\n");
    emit_line(e, "%s xv;", t.type);
    for (j = 0; j < group; j++) {
        emit_raw(e, "%*sxv = %s(in%d[k]);", e->depth * 4, "", t.splat, j);
        for (v = 0; v < vb; v++)
            emit_raw(e, " a%d_%d += xv * w%d;", j, v, v);
        emit_raw(e, "\n");
    }
    emit_close(e, "");
    for (j = 0; j < group; j++) {
        char acc[16];
        snprintf(acc, sizeof acc, "acc%d", j);
        emit_raw(e, "%*s", e->depth * 4, "");
        for (v = 0; v < vb; v++)
            emit_raw(e, "%s(%s, a%d_%d);%s", t.store, GEN_SUM(x, width * v, { acc, 1 }, { "o", 1 }),
                     j, v, v + 1 < vb ? " " : "\n");
    }
    emit_close(e, "");
}

/* The kernel gradient, grow += the group's products, on vectors of 8 or 16
 * units: the plain loop's expression lane for lane, so the same bits. */
static void emit_kernel_grad_vectors(gen_ctx *c, const void *arg)
{
    const dense_vec_args *a = arg;
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, a->i);
    int units = l->units, j;
    const gen_tile t = gen_vectors_for(c, units);
    char x[96];
    gen_open_for(c, "k", 0, in_count(l), 1);
    emit_line(e, "float *%s grow = %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "gkern", 1 }, { "k", units }));
    for (j = 0; j < a->group; j++)
        emit_line(e, "const %s v%d = %s(in%d[k]);", t.type, j, t.splat, j);
    gen_open_for(c, "o", 0, units, t.width);
    emit_raw(e, "%*s%s(grow + o, %s(grow + o) + (", e->depth * 4, "", t.store, t.load);
    for (j = 0; j < a->group; j++)
        emit_raw(e, "%sv%d * %s(dz%d + o)", j ? " + " : "", j, t.load, j);
    emit_raw(e, "));\n");
    emit_close(e, "");
    emit_close(e, "");
}

static void emit_kernel_grad_plain(gen_ctx *c, int i, int group)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    int units = l->units, j;
    char x[96];
    gen_open_for(c, "k", 0, in_count(l), 1);
    emit_line(e, "float *%s grow = %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "gkern", 1 }, { "k", units }));
    for (j = 0; j < group; j++)
        emit_line(e, "const float v%d = in%d[k];", j, j);
    gen_open_for(c, "o", 0, units, 1);
    emit_raw(e, "%*sgrow[o] +=", e->depth * 4, "");
    for (j = 0; j < group; j++)
        emit_raw(e, "%s v%d * dz%d[o]", j ? " +" : "", j, j);
    emit_raw(e, ";\n");
    emit_close(e, "");
    emit_close(e, "");
}

static void emit_dense_forward(gen_ctx *c, int i, const char *fname, int group)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int units = l->units, j;
    long long nin = in_count(l);
    char x[96];
    gen_open_layer_fn(c, i, 0, fname);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, gen_ten(c, p->bias));
    emit_group_inputs(c, i, group, l->act == IR_SOFTMAX ? 2 : 1);
    for (j = 0; j < group; j++)
        emit_line(e, "float acc%d[%d] %s;", j, units, c->align_macro);
    emit_line(e, "long k;");
    emit_line(e, "int o;");
    if (p->vec) {
        dense_vec_args a = { i, group };
        gen_pp_vector(c, 1);
        gen_emit_for_width(c, units, emit_forward_vectors, &a);
        gen_pp(c, "#else");
    }
    gen_open_for(c, "o", 0, units, 1);
    for (j = 0; j < group; j++)
        emit_line(e, "acc%d[o] = bias[o];", j);
    emit_close(e, "");
    gen_open_for(c, "k", 0, nin, 1);
    emit_line(e, "const float *%s row = %s;", R, GEN_SUM(x, 0, { "kern", 1 }, { "k", units }));
    for (j = 0; j < group; j++)
        emit_line(e, "const float v%d = in%d[k];", j, j);
    gen_open_for(c, "o", 0, units, 1);
    for (j = 0; j < group; j++)
        emit_line(e, "acc%d[o] += v%d * row[o];", j, j);
    emit_close(e, "");
    emit_close(e, "");
    if (p->vec)
        gen_pp(c, "#endif");
    if (l->act == IR_SOFTMAX) {
        gen_open_for(c, "o", 0, units, 1);
        for (j = 0; j < group; j++)
            emit_line(e, "out%d[o] = acc%d[o];", j, j);
        emit_close(e, "");
        /* The softmax itself is computed by the driver (probs). */
    } else {
        gen_open_for(c, "o", 0, units, 1);
        for (j = 0; j < group; j++) {
            char dst[32], v[32];
            snprintf(dst, sizeof dst, "out%d[o]", j);
            snprintf(v, sizeof v, "acc%d[o]", j);
            gen_apply_act(c, l->act, dst, v);
        }
        emit_close(e, "");
    }
    emit_close(e, "");
}

static void emit_dense_backward(gen_ctx *c, int i, const char *fname, int group)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int units = l->units, j, full = l->units / LANES * LANES;
    long long nin = in_count(l);
    char x[96];
    gen_open_layer_fn(c, i, 1, fname);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "float *%s gbias = grads + %s%s;", R, M, gen_ten(c, p->bias));
    emit_group_inputs(c, i, group, 0);
    for (j = 0; j < group; j++) {
        if (l->act != IR_LINEAR && l->act != IR_SOFTMAX)
            emit_sample_buf(c, "const ", "out", j, p->out);
        emit_sample_buf(c, "", "dz", j, p->dout);
    }
    if (l->act == IR_LINEAR || l->act == IR_SOFTMAX)
        emit_line(e, "long k;");
    else
        emit_line(e, "long i, k;");     /* i: the activation's gradient */
    emit_line(e, "int o;");
    for (j = 0; j < group; j++) {
        char d[16], y[16];
        snprintf(d, sizeof d, "dz%d", j);
        snprintf(y, sizeof y, "out%d", j);
        gen_act_grad_loop(c, l->act, d, y, units);
    }
    gen_open_for(c, "o", 0, units, 1);
    emit_raw(e, "%*sgbias[o] +=", e->depth * 4, "");
    for (j = 0; j < group; j++)
        emit_raw(e, "%s dz%d[o]", j ? " +" : "", j);
    emit_raw(e, ";\n");
    emit_close(e, "");
    if (p->vec) {
        dense_vec_args a = { i, group };
        gen_pp_vector(c, 1);
        gen_emit_for_width(c, units, emit_kernel_grad_vectors, &a);
        gen_pp(c, "#else");
        emit_kernel_grad_plain(c, i, group);
        gen_pp(c, "#endif");
    } else {
        emit_kernel_grad_plain(c, i, group);
    }
    if (p->din >= 0) {
        emit_line(e, "{");
        e->depth++;
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
        for (j = 0; j < group; j++)
            emit_sample_buf(c, "", "din", j, p->din);
        if (p->vec) {
            gen_pp_vector(c, 1);
            gen_open_for(c, "k", 0, nin, 1);
            emit_line(e, "const float *%s row = %s;", R, GEN_SUM(x, 0, { "kern", 1 }, { "k", units }));
            for (j = 0; j < group; j++)
                emit_line(e, "vf8 s%d = vsplat(0.0f);", j);
            gen_open_for(c, "o", 0, units, 8);
            emit_line(e, "const vf8 wv = vload(row + o);");
            for (j = 0; j < group; j++)
                emit_line(e, "s%d += wv * vload(dz%d + o);", j, j);
            emit_close(e, "");
            if (group == 8)         /* all eight lane sums at once */
                emit_line(e, "const vf8 sums = vsum8(s0, s1, s2, s3, s4, s5, s6, s7);");
            for (j = 0; j < group; j++) {
                if (group == 8)
                    emit_line(e, "din%d[k] = sums[%d];", j, j);
                else
                    emit_line(e, "din%d[k] = ((s%d[0] + s%d[1]) + (s%d[2] + s%d[3])) + "
                              "((s%d[4] + s%d[5]) + (s%d[6] + s%d[7]));", j, j, j, j, j, j, j, j, j);
            }
            emit_close(e, "");
            gen_pp(c, "#else");
        }
        gen_open_for(c, "k", 0, nin, 1);
        emit_line(e, "const float *%s row = %s;", R, GEN_SUM(x, 0, { "kern", 1 }, { "k", units }));
        emit_line(e, "int lane;");
        for (j = 0; j < group; j++)
            emit_line(e, "float part%d[%d] %s = { 0 };", j, LANES, c->align_macro);
        if (full > 0) {
            gen_open_for(c, "o", 0, full, LANES);
            emit_open(e, "for (lane = 0; lane < %d; lane++)", LANES);
            for (j = 0; j < group; j++)
                emit_line(e, "part%d[lane] += row[o + lane] * dz%d[o + lane];", j, j);
            emit_close(e, "");
            emit_close(e, "");
        }
        if (full < units) {
            gen_open_for(c, "o", full, units, 1);
            for (j = 0; j < group; j++)
                emit_line(e, "part%d[0] += row[o] * dz%d[o];", j, j);
            emit_close(e, "");
        }
        emit_open(e, "for (lane = 1; lane < %d; lane++)", LANES);
        for (j = 0; j < group; j++)
            emit_line(e, "part%d[0] += part%d[lane];", j, j);
        emit_close(e, "");
        for (j = 0; j < group; j++)
            emit_line(e, "din%d[k] = part%d[0];", j, j);
        emit_close(e, "");
        if (p->vec)
            gen_pp(c, "#endif");
        emit_close(e, "");
    }
    emit_close(e, "");
}

/* The functions for a group of samples, half a group and a single sample. */
static void emit_both(gen_ctx *c, int i, const char *what,
                      void (*emit)(gen_ctx *, int, const char *, int))
{
    int sizes[3], n = gen_group_sizes(&c->L->plan[i], sizes);
    char fname[128];
    for (int k = 0; k < n; k++) {
        if (k > 0)
            emit_blank(c->e);
        gen_fn_name(c, fname, sizeof fname, i, what, sizes[k]);
        emit(c, i, fname, sizes[k]);
    }
}

static void dense_forward(gen_ctx *c, int i)
{
    emit_both(c, i, "forward", emit_dense_forward);
}

static void dense_backward(gen_ctx *c, int i)
{
    emit_both(c, i, "backward", emit_dense_backward);
}

const gen_layer_emitter gen_dense_emitter = {
    .plan = dense_plan,
    .forward = dense_forward,
    .backward = dense_backward,
};
