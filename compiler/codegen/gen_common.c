/* gen_common.c - small helpers every layer emitter shares: names of
 * buffers and tensors, activations, function signatures. */
#include "codegen/gen_ctx.h"

#include <stdio.h>
#include <string.h>

void gen_shape_text(char *buf, size_t size, ir_shape s)
{
    if (s.h == 1 && s.w == 1)
        snprintf(buf, size, "(%d)", s.c);
    else
        snprintf(buf, size, "(%d, %d, %d)", s.h, s.w, s.c);
}

const ir_layer *gen_layer(const gen_ctx *c, int i)
{
    return &c->L->m->layers[i];
}

const char *gen_buf(const gen_ctx *c, int b)
{
    return c->L->buffers[b].macro;
}

const char *gen_buf_base(gen_ctx *c, int b)
{
    if (c->L->buffers[b].scratch)
        return "scratch";
    c->w_used = 1;
    return "w";
}

void gen_buf_ptr(gen_ctx *c, const char *cq, const char *name, int b)
{
    emit_line(c->e, "%sfloat *%s %s = %s + %s%s;", cq, c->restrict_kw, name, gen_buf_base(c, b),
              c->mprefix, gen_buf(c, b));
}

const char *gen_ten(const gen_ctx *c, int t)
{
    return c->L->tensors[t].macro;
}

/* ---- activations -------------------------------------------------------- */

void gen_emit_softmax(emitter *e, const char *z, const char *pr, int n)
{
    emit_line(e, "float top = %s[0], sum = 0.0f;", z);
    emit_line(e, "for (k = 1; k < %d; k++)", n);
    emit_line(e, "    top = %s[k] > top ? %s[k] : top;", z, z);
    emit_open(e, "for (k = 0; k < %d; k++)", n);
    emit_line(e, "%s[k] = expf(%s[k] - top);", pr, z);
    emit_line(e, "sum += %s[k];", pr);
    emit_close(e, "");
    emit_line(e, "for (k = 0; k < %d; k++)", n);
    emit_line(e, "    %s[k] /= sum;", pr);
}

void gen_apply_act(gen_ctx *c, ir_activation a, const char *dst, const char *v)
{
    switch (a) {
    case IR_RELU:       /* NaN propagates */
        emit_line(c->e, "%s = %s < 0.0f ? 0.0f : %s;", dst, v, v);
        break;
    case IR_RELU6:      /* NaN propagates */
        emit_line(c->e, "%s = %s < 0.0f ? 0.0f : %s > 6.0f ? 6.0f : %s;", dst, v, v, v);
        break;
    case IR_LEAKY_RELU:
        emit_line(c->e, "%s = %s < 0.0f ? %.9gf * %s : %s;", dst, v, IR_LEAKY_SLOPE, v, v);
        break;
    case IR_TANH:
        emit_line(c->e, "%s = tanhf(%s);", dst, v);
        break;
    case IR_SIGMOID:
        emit_line(c->e, "%s = 1.0f / (1.0f + expf(-%s));", dst, v);
        break;
    case IR_LINEAR:
    case IR_SOFTMAX:    /* the driver computes the softmax from the logits */
        emit_line(c->e, "%s = %s;", dst, v);
        break;
    }
}

void gen_act_grad(gen_ctx *c, ir_activation a, const char *dst, const char *d, const char *y)
{
    if (a == IR_LINEAR || a == IR_SOFTMAX)
        emit_line(c->e, "%s = %s;", dst, d);
    else if (a == IR_RELU)
        emit_line(c->e, "%s = %s > 0.0f ? %s : 0.0f;", dst, y, d);
    else if (a == IR_RELU6)     /* flat where the output is clipped at 0 or 6 */
        emit_line(c->e, "%s = %s > 0.0f && %s < 6.0f ? %s : 0.0f;", dst, y, y, d);
    else if (a == IR_LEAKY_RELU) /* the output is negative exactly where the input is */
        emit_line(c->e, "%s = %s < 0.0f ? %.9gf * %s : %s;", dst, y, IR_LEAKY_SLOPE, d, d);
    else if (a == IR_TANH)
        emit_line(c->e, "%s = %s * (1.0f - %s * %s);", dst, d, y, y);
    else
        emit_line(c->e, "%s = %s * (%s * (1.0f - %s));", dst, d, y, y);
}

void gen_act_grad_loop(gen_ctx *c, ir_activation a, const char *d, const char *y,
                       long long count)
{
    char di[64], yi[64];
    if (a == IR_LINEAR || a == IR_SOFTMAX)
        return;
    snprintf(di, sizeof di, "%s[i]", d);
    snprintf(yi, sizeof yi, "%s[i]", y);
    emit_open(c->e, "for (i = 0; i < %lld; i++)", count);
    gen_act_grad(c, a, di, di, yi);
    emit_close(c->e, "");
}

void gen_open_block(gen_ctx *c)
{
    emit_line(c->e, "{");
    c->e->depth++;
}

void gen_close_block(gen_ctx *c)
{
    c->e->depth--;
    emit_line(c->e, "}");
}

void gen_emit_copy(gen_ctx *c, const char *dst, const char *src, long long n)
{
    if (n == 1) {
        emit_line(c->e, "(%s)[0] = (%s)[0];", dst, src);
        return;
    }
    gen_open_block(c);
    emit_line(c->e, "long k_;");
    emit_line(c->e, "for (k_ = 0; k_ < %lld; k_++)", n);
    emit_line(c->e, "    (%s)[k_] = (%s)[k_];", dst, src);
    gen_close_block(c);
}

void gen_emit_conv_grad_ptrs(gen_ctx *c, int i)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    emit_line(c->e, "float *%s gbias = grads + %s%s;", R, M, gen_ten(c, p->bias));
    if (gen_layer(c, i)->act != IR_LINEAR)
        gen_buf_ptr(c, "const ", "out", p->out);
    gen_buf_ptr(c, "", "dz", p->dout);
    if (p->pad >= 0)
        gen_buf_ptr(c, "const ", "src", p->pad);
    else
        gen_in_ptr(c, i, "src", NULL);
}

void gen_emit_bias_grad(gen_ctx *c, ir_activation a, const char *dz, const char *y,
                        long long npix, int ch)
{
    emitter *e = c->e;
    char x[64];
    gen_open_block(c);
    emit_line(e, "long i;");
    emit_line(e, "int co;");
    emit_line(e, "float sum[%d] %s;", ch, c->align_macro);
    gen_act_grad_loop(c, a, dz, y, npix * ch);
    gen_open_for(c, "co", 0, ch, 1);
    emit_line(e, "sum[co] = 0.0f;");
    emit_close(e, "");
    gen_open_for(c, "i", 0, npix, 1);
    gen_open_for(c, "co", 0, ch, 1);
    emit_line(e, "sum[co] += %s[%s];", dz, GEN_SUM(x, 0, { "i", ch }, { "co", 1 }));
    emit_close(e, "");
    emit_close(e, "");
    gen_open_for(c, "co", 0, ch, 1);
    emit_line(e, "gbias[co] += sum[co];");
    emit_close(e, "");
    gen_close_block(c);
}

/* ---- signatures ---------------------------------------------------------- */

static void sig_add(gen_sig *s, const char *def, const char *call)
{
    size_t n = strlen(s->def);
    snprintf(s->def + n, sizeof s->def - n, "%s%s", n ? ", " : "", def);
    n = strlen(s->call);
    snprintf(s->call + n, sizeof s->call - n, "%s%s", n ? ", " : "", call);
}

/* The driver has params, grads, w (this sample's or group's work), xs (this
 * sample's or group's input), seed and shared. */
gen_sig gen_layer_sig(const gen_ctx *c, int i, int backward, int build)
{
    const gen_layer_plan *p = &c->L->plan[i];
    const gen_arg_list *a = backward ? &p->bwd_args : &p->fwd_args;
    const char *R = c->restrict_kw;
    gen_sig s;
    int k;
    memset(&s, 0, sizeof s);
    for (k = 0; k < a->n; k++) {
        const gen_arg *g = &a->arg[k];
        const char *cq = g->read_only ? "const " : "";
        char def[96], call[128];
        if (g->when != GEN_BOTH && g->when != build)
            continue;
        switch (g->kind) {
        case GEN_ARG_PARAMS:
        case GEN_ARG_GRADS:
        case GEN_ARG_WORK:
            snprintf(call, sizeof call, "%s", g->name);
            break;
        case GEN_ARG_INPUT:
            snprintf(call, sizeof call, "xs");
            break;
        case GEN_ARG_SEED:
            snprintf(call, sizeof call, "seed");
            break;
        case GEN_ARG_SHARED:
            snprintf(call, sizeof call, "shared + %s%s", c->mprefix, gen_buf(c, g->buffer));
            break;
        case GEN_ARG_SCRATCH:
            snprintf(call, sizeof call, "shared");
            break;
        case GEN_ARG_CONSTANT:
            snprintf(call, sizeof call, "%s%s_%s", c->prefix, p->name, g->name);
            break;
        }
        if (g->kind == GEN_ARG_SEED)
            snprintf(def, sizeof def, "const uint64_t *%s", g->name);
        else
            snprintf(def, sizeof def, "%sfloat *%s %s", cq, R, g->name);
        sig_add(&s, def, call);
    }
    return s;
}

int gen_args_differ(const gen_arg_list *a)
{
    int k;
    for (k = 0; k < a->n; k++)
        if (a->arg[k].when != GEN_BOTH)
            return 1;
    return 0;
}

void gen_in_ptr(gen_ctx *c, int i, const char *name, const char *base)
{
    const gen_layer_plan *p = &c->L->plan[i];
    if (p->in < 0)
        emit_line(c->e, "const float *%s %s = %s;", c->restrict_kw, name,
                  base ? base : "x");
    else if (base)
        emit_line(c->e, "const float *%s %s = %s + %s%s;", c->restrict_kw, name, base,
                  c->mprefix, gen_buf(c, p->in));
    else
        gen_buf_ptr(c, "const ", name, p->in);
}

int gen_use_wino(const gen_ctx *c, int i)
{
    return c->L->plan[i].wino;
}

/* One preprocessor line; `vector_open` when it is "#ifdef <vector macro>". */
static void pp_line(gen_ctx *c, const char *line, int vector_open)
{
    static const char endif[] = "#endif\n";
    emitter *e = c->e;
    cv_buf *out = &e->out;
    if (vector_open && !out->oom && c->pp_vector_end == out->len && out->len >= sizeof endif - 1) {
        out->len -= sizeof endif - 1;      /* reopen the block just closed */
        out->data[out->len] = '\0';
    } else {
        emit_raw(e, "%s\n", line);
    }
    c->pp_vector_end = 0;
    if (strncmp(line, "#if", 3) == 0) {
        c->pp_vector = vector_open ? c->pp_vector | 1u << c->pp_depth
                                   : c->pp_vector & ~(1u << c->pp_depth);
        c->pp_depth++;
    } else if (strncmp(line, "#else", 5) == 0 && c->pp_depth > 0) {
        c->pp_vector &= ~(1u << (c->pp_depth - 1));
    } else if (strncmp(line, "#endif", 6) == 0 && c->pp_depth > 0) {
        c->pp_depth--;
        if (c->pp_vector & 1u << c->pp_depth)
            c->pp_vector_end = out->len;
    }
}

void gen_pp(gen_ctx *c, const char *line)
{
    pp_line(c, line, 0);
}

void gen_pp_vector(gen_ctx *c, int if_vector)
{
    char line[128];
    snprintf(line, sizeof line, "#%s %s", if_vector ? "ifdef" : "ifndef", c->vector_macro);
    pp_line(c, line, if_vector);
}

void gen_ctx_init(gen_ctx *c, emitter *e, const gen_layout *L)
{
    memset(c, 0, sizeof *c);
    c->e = e;
    c->L = L;
    c->prefix = "";
    c->mprefix = "";
    c->restrict_kw = "restrict";
    c->vector_macro = "CONVC_VECTOR";
    c->no_vector_macro = "CONVC_NO_VECTOR";
    c->wide_macro = "CONVC_WIDE";
    c->wide_switch_macro = "CONVC_WIDE_VECTORS";
    c->align_macro = "CONVC_LOCAL_ALIGN";
}

void gen_emit_local_align(gen_ctx *c)
{
    emitter *e = c->e;
    emit_banner(e, "local arrays: aligned for vector code");
    emit_line(e, "/* GCC 12 at -O2 for AVX-512 targets (-march=native on such a machine) may");
    emit_line(e, " * raise a local array's alignment for its vector code without realigning");
    emit_line(e, " * the stack, and then fault on an aligned store; an alignment declared up");
    emit_line(e, " * front is one it realigns the frame for.  (x86 only: elsewhere it would");
    emit_line(e, " * cost stack for nothing.) */");
    emit_raw(e, "#if (defined(__GNUC__) || defined(__clang__)) && !defined(__TINYC__) && "
                "(defined(__x86_64__) || defined(__i386__))\n");
    emit_raw(e, "#define %s __attribute__((aligned(64)))\n", c->align_macro);
    emit_raw(e, "#else\n");
    emit_raw(e, "#define %s\n", c->align_macro);
    emit_raw(e, "#endif\n");
}

int gen_group_sizes(const gen_layer_plan *p, int sizes[3])
{
    int n = 0;
    if (p->group > 1)
        sizes[n++] = p->group;
    if (p->group / 2 > 1)
        sizes[n++] = p->group / 2;
    sizes[n++] = 1;
    return n;
}

void gen_fn_name(const gen_ctx *c, char *buf, size_t size, int i, const char *what, int group)
{
    if (group > 0)
        snprintf(buf, size, "%s%s_%s%d", c->prefix, c->L->plan[i].name, what, group);
    else
        snprintf(buf, size, "%s%s_%s", c->prefix, c->L->plan[i].name, what);
}

/* ---- expressions and loops ----------------------------------------------- */

const char *gen_sum_text(char *buf, size_t size, long long k0, const gen_term *t, int n)
{
    size_t len = 0;
    int j;
    buf[0] = '\0';
    for (j = 0; j < n && len < size; j++) {
        long long k = t[j].k < 0 ? -t[j].k : t[j].k;
        const char *sign = t[j].k < 0 ? (len ? " - " : "-") : (len ? " + " : "");
        if (t[j].k == 0)
            continue;
        if (k == 1)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", sign, t[j].var);
        else
            len += (size_t)snprintf(buf + len, size - len, "%s%s * %lld", sign, t[j].var, k);
    }
    if (len >= size)
        return buf;
    if (len == 0)
        snprintf(buf, size, "%lld", k0);
    else if (k0 != 0)
        snprintf(buf + len, size - len, " %c %lld", k0 < 0 ? '-' : '+', k0 < 0 ? -k0 : k0);
    return buf;
}

void gen_open_for(gen_ctx *c, const char *var, long long from, long long to, long long step)
{
    if (to - from > step) {
        if (step == 1)
            emit_open(c->e, "for (%s = %lld; %s < %lld; %s++)", var, from, var, to, var);
        else
            emit_open(c->e, "for (%s = %lld; %s < %lld; %s += %lld)", var, from, var, to, var,
                      step);
        return;
    }
    emit_line(c->e, "%s = %lld;", var, from);
    emit_line(c->e, "{");
    c->e->depth++;
}

/* ---- layer functions ------------------------------------------------------ */

int gen_args_have(const gen_arg_list *a, gen_arg_kind kind, int build)
{
    int k;
    for (k = 0; k < a->n; k++)
        if (a->arg[k].kind == kind &&
            (build == GEN_BOTH || a->arg[k].when == GEN_BOTH || a->arg[k].when == build))
            return 1;
    return 0;
}

static const gen_arg_list *args_of(const gen_ctx *c, int i, int backward)
{
    return backward ? &c->L->plan[i].bwd_args : &c->L->plan[i].fwd_args;
}

void gen_open_layer_fn(gen_ctx *c, int i, int backward, const char *fname)
{
    if (gen_args_differ(args_of(c, i, backward))) {
        gen_pp_vector(c, 1);
        emit_line(c->e, "static void %s(%s)", fname,
                  gen_layer_sig(c, i, backward, GEN_VECTOR_ONLY).def);
        gen_pp(c, "#else");
        emit_line(c->e, "static void %s(%s)", fname,
                  gen_layer_sig(c, i, backward, GEN_PLAIN_ONLY).def);
        gen_pp(c, "#endif");
        emit_line(c->e, "{");
        c->e->depth++;
    } else {
        emit_open_fn(c->e, "static void %s(%s)", fname,
                     gen_layer_sig(c, i, backward, GEN_BOTH).def);
    }
}

void gen_emit_layer_call(gen_ctx *c, int i, int backward, const char *fname)
{
    if (gen_args_differ(args_of(c, i, backward))) {
        gen_pp_vector(c, 1);
        emit_line(c->e, "%s(%s);", fname, gen_layer_sig(c, i, backward, GEN_VECTOR_ONLY).call);
        gen_pp(c, "#else");
        emit_line(c->e, "%s(%s);", fname, gen_layer_sig(c, i, backward, GEN_PLAIN_ONLY).call);
        gen_pp(c, "#endif");
    } else {
        emit_line(c->e, "%s(%s);", fname, gen_layer_sig(c, i, backward, GEN_BOTH).call);
    }
}
