/* dense.c - the dense layer's emitter.  Kernels are (in, out), so the
 * innermost loops run over contiguous units and vectorize; the layer runs on
 * groups of DENSE_GROUP samples per pass over the kernel (and on single
 * samples for the rest of a batch). */
#include "codegen/layer_emitter.h"

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
    gen_plan_common_args(L, i, 0, 1);
    if (L->training)
        gen_plan_common_args(L, i, 1, 1);
}

static long long in_count(const ir_layer *l)
{
    return (long long)l->in.h * l->in.w * l->in.c;
}

/* Pointers in<j> to the inputs of the group's samples. */
static void emit_group_inputs(gen_ctx *c, int i, int group, int with_out)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int j;
    for (j = 0; j < group; j++) {
        if (p->in < 0)
            emit_line(c->e, "const float *%s in%d = x + %d * %sIN_SIZE;", R, j, j, M);
        else
            emit_line(c->e, "const float *%s in%d = w + %d * %sWORK_PER_SAMPLE + %s%s;",
                      R, j, j, M, M, gen_buf(c, p->in));
        if (with_out)
            emit_line(c->e, "float *%s out%d = w + %d * %sWORK_PER_SAMPLE + %s%s;",
                      R, j, j, M, M, gen_buf(c, with_out == 2 ? p->logits : p->out));
    }
}

static void emit_dense_forward(gen_ctx *c, int i, const char *fname, int group)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int units = l->units, j;
    long long nin = in_count(l);
    gen_sig s = gen_layer_sig(c, i, 0, GEN_BOTH);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, gen_ten(c, p->bias));
    emit_group_inputs(c, i, group, l->act == IR_SOFTMAX ? 2 : 1);
    for (j = 0; j < group; j++)
        emit_line(e, "float acc%d[%d];", j, units);
    emit_line(e, "long k;");
    emit_line(e, "int o;");
    if (p->vec) {
        /* Register-blocked: the group's accumulators for vb vectors of
         * outputs stay in registers over all of k.  The plain loop keeps them
         * in memory, where each k waits for the previous k's store. */
        int vb = units / 8, v;
        while (vb > 1 && (group * vb > 24 || units / 8 % vb != 0))
            vb--;
        gen_pp(c, "#ifdef CONVC_VECTOR");
        emit_open(e, "for (o = 0; o < %d; o += %d)", units, 8 * vb);
        for (j = 0; j < group; j++) {
            emit_raw(e, "%*svf8 ", e->depth * 4, "");
            for (v = 0; v < vb; v++)
                emit_raw(e, "a%d_%d = vload(bias + o + %d)%s", j, v, 8 * v,
                         v + 1 < vb ? ", " : ";\n");
        }
        emit_open(e, "for (k = 0; k < %lld; k++)", nin);
        emit_line(e, "const float *%s row = kern + k * %d + o;", R, units);
        emit_raw(e, "%*sconst vf8 ", e->depth * 4, "");
        for (v = 0; v < vb; v++)
            emit_raw(e, "w%d = vload(row + %d)%s", v, 8 * v, v + 1 < vb ? ", " : ";\n");
        emit_line(e, "vf8 xv;");
        for (j = 0; j < group; j++) {
            emit_raw(e, "%*sxv = vsplat(in%d[k]);", e->depth * 4, "", j);
            for (v = 0; v < vb; v++)
                emit_raw(e, " a%d_%d += xv * w%d;", j, v, v);
            emit_raw(e, "\n");
        }
        emit_close(e, "");
        for (j = 0; j < group; j++) {
            emit_raw(e, "%*s", e->depth * 4, "");
            for (v = 0; v < vb; v++)
                emit_raw(e, "vstore(acc%d + o + %d, a%d_%d);%s", j, 8 * v, j, v,
                         v + 1 < vb ? " " : "\n");
        }
        emit_close(e, "");
        gen_pp(c, "#else");
    }
    emit_open(e, "for (o = 0; o < %d; o++)", units);
    for (j = 0; j < group; j++)
        emit_line(e, "acc%d[o] = bias[o];", j);
    emit_close(e, "");
    emit_open(e, "for (k = 0; k < %lld; k++)", nin);
    emit_line(e, "const float *%s row = kern + k * %d;", R, units);
    for (j = 0; j < group; j++)
        emit_line(e, "const float v%d = in%d[k];", j, j);
    emit_open(e, "for (o = 0; o < %d; o++)", units);
    for (j = 0; j < group; j++)
        emit_line(e, "acc%d[o] += v%d * row[o];", j, j);
    emit_close(e, "");
    emit_close(e, "");
    if (p->vec)
        gen_pp(c, "#endif");
    if (l->act == IR_SOFTMAX) {
        emit_open(e, "for (o = 0; o < %d; o++)", units);
        for (j = 0; j < group; j++)
            emit_line(e, "out%d[o] = acc%d[o];", j, j);
        emit_close(e, "");
        /* The softmax itself is computed by the driver (probs). */
    } else {
        emit_open(e, "for (o = 0; o < %d; o++)", units);
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
    gen_sig s = gen_layer_sig(c, i, 1, GEN_BOTH);
    emit_open_fn(e, "static void %s(%s)", fname, s.def);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "float *%s gbias = grads + %s%s;", R, M, gen_ten(c, p->bias));
    emit_group_inputs(c, i, group, 0);
    for (j = 0; j < group; j++) {
        if (l->act != IR_LINEAR && l->act != IR_SOFTMAX)
            emit_line(e, "const float *%s out%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j,
                      j, M, M, gen_buf(c, p->out));
        emit_line(e, "float *%s dz%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j, j, M, M,
                  gen_buf(c, p->dout));
    }
    emit_line(e, "long i, k;");
    emit_line(e, "int o;");
    emit_line(e, "(void)i;");
    for (j = 0; j < group; j++) {
        char d[16], y[16];
        snprintf(d, sizeof d, "dz%d", j);
        snprintf(y, sizeof y, "out%d", j);
        gen_act_grad_loop(c, l->act, d, y, units);
    }
    emit_open(e, "for (o = 0; o < %d; o++)", units);
    emit_raw(e, "%*sgbias[o] +=", e->depth * 4, "");
    for (j = 0; j < group; j++)
        emit_raw(e, "%s dz%d[o]", j ? " +" : "", j);
    emit_raw(e, ";\n");
    emit_close(e, "");
    emit_open(e, "for (k = 0; k < %lld; k++)", nin);
    emit_line(e, "float *%s grow = gkern + k * %d;", R, units);
    for (j = 0; j < group; j++)
        emit_line(e, "const float v%d = in%d[k];", j, j);
    emit_open(e, "for (o = 0; o < %d; o++)", units);
    emit_raw(e, "%*sgrow[o] +=", e->depth * 4, "");
    for (j = 0; j < group; j++)
        emit_raw(e, "%s v%d * dz%d[o]", j ? " +" : "", j, j);
    emit_raw(e, ";\n");
    emit_close(e, "");
    emit_close(e, "");
    if (p->din >= 0) {
        emit_line(e, "{");
        e->depth++;
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
        for (j = 0; j < group; j++)
            emit_line(e, "float *%s din%d = w + %d * %sWORK_PER_SAMPLE + %s%s;", R, j, j, M,
                      M, gen_buf(c, p->din));
        if (p->vec) {
            gen_pp(c, "#ifdef CONVC_VECTOR");
            emit_open(e, "for (k = 0; k < %lld; k++)", nin);
            emit_line(e, "const float *%s row = kern + k * %d;", R, units);
            for (j = 0; j < group; j++)
                emit_line(e, "vf8 s%d = vsplat(0.0f);", j);
            emit_open(e, "for (o = 0; o < %d; o += 8)", units);
            emit_line(e, "const vf8 wv = vload(row + o);");
            for (j = 0; j < group; j++)
                emit_line(e, "s%d += wv * vload(dz%d + o);", j, j);
            emit_close(e, "");
            for (j = 0; j < group; j++)
                emit_line(e, "din%d[k] = ((s%d[0] + s%d[1]) + (s%d[2] + s%d[3])) + "
                          "((s%d[4] + s%d[5]) + (s%d[6] + s%d[7]));", j, j, j, j, j, j, j, j, j);
            emit_close(e, "");
            gen_pp(c, "#else");
        }
        emit_open(e, "for (k = 0; k < %lld; k++)", nin);
        emit_line(e, "const float *%s row = kern + k * %d;", R, units);
        emit_line(e, "int lane;");
        for (j = 0; j < group; j++)
            emit_line(e, "float part%d[%d] = { 0 };", j, LANES);
        if (full > 0) {
            emit_open(e, "for (o = 0; o < %d; o += %d)", full, LANES);
            emit_open(e, "for (lane = 0; lane < %d; lane++)", LANES);
            for (j = 0; j < group; j++)
                emit_line(e, "part%d[lane] += row[o + lane] * dz%d[o + lane];", j, j);
            emit_close(e, "");
            emit_close(e, "");
        }
        if (full < units) {
            emit_open(e, "for (o = %d; o < %d; o++)", full, units);
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

static void dense_forward(gen_ctx *c, int i)
{
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "forward", c->L->plan[i].group);
    emit_dense_forward(c, i, fname, c->L->plan[i].group);
    emit_blank(c->e);
    gen_fn_name(c, fname, sizeof fname, i, "forward", 1);
    emit_dense_forward(c, i, fname, 1);
}

static void dense_backward(gen_ctx *c, int i)
{
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "backward", c->L->plan[i].group);
    emit_dense_backward(c, i, fname, c->L->plan[i].group);
    emit_blank(c->e);
    gen_fn_name(c, fname, sizeof fname, i, "backward", 1);
    emit_dense_backward(c, i, fname, 1);
}

const gen_layer_emitter gen_dense_emitter = {
    .plan = dense_plan,
    .forward = dense_forward,
    .backward = dense_backward,
};
