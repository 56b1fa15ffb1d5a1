/* gen_winograd.c - stride-1 convolutions as Winograd F(m x m', KH x KW)
 * in GNU C vectors (behind CONVC_VECTOR, next to the direct kernels).
 *
 * With U = G g G^T per (Cin, Cout) pair (once per call), per sample:
 *   forward      V = BT d B per input tile and channel,
 *                M[xi] = V[xi] U[xi]       (alpha^2 small matrix products),
 *                y = AT M A + bias per output tile;
 *   backward     Z = A dy AT per output tile (the transpose of AT . A),
 *                dU[xi] += V[xi]^T Z[xi]   (the kernel gradient stays in the
 *                                           transformed domain for the whole
 *                                           call: G^T dU G once at the end),
 *                W[xi] = Z[xi] U[xi]^T,  dx += B W BT per input tile
 *                                          (tiles overlap, so it adds).
 * Every step is linear and is the exact transpose of a forward step, so the
 * gradients are those of the function the forward pass computes.  The
 * products over xi use the register tiles of the direct kernels: rows x
 * vectors of 8 columns in accumulators. */
#include "codegen/gen_parts.h"
#include "codegen/winograd.h"

#include <stdio.h>
#include <string.h>

/* A view of a transform matrix, possibly transposed. */
typedef struct {
    const wino_rational (*a)[WINO_MAX_ALPHA];
    int rows, cols, transposed;
} mat;

static wino_rational mat_at(mat m, int i, int j)
{
    return m.transposed ? m.a[j][i] : m.a[i][j];
}

static mat mat_of(const wino_rational (*a)[WINO_MAX_ALPHA], int rows, int cols, int t)
{
    mat m;
    m.a = a;
    m.rows = t ? cols : rows;
    m.cols = t ? rows : cols;
    m.transposed = t;
    return m;
}

/* The two 1-D algorithms of layer i (gen_layout chose sizes they accept). */
typedef struct {
    const ir_layer *l;
    const gen_layer_plan *p;
    wino_alg h, w;
    int ah, aw, xi;             /* alpha per dimension, alpha_h * alpha_w */
    int tiles;
} wino;

static void wino_get(gen_ctx *c, int i, wino *k)
{
    k->l = gen_layer(c, i);
    k->p = &c->L->plan[i];
    wino_build(&k->h, k->p->wm_h, k->l->kh);
    wino_build(&k->w, k->p->wm_w, k->l->kw);
    k->ah = k->h.alpha;
    k->aw = k->w.alpha;
    k->xi = k->ah * k->aw;
    k->tiles = k->p->th * k->p->tw;
}

/* C text of `sum_j coef[j] * name_j` over vf8 values. */
static void lincomb(char *buf, size_t size, mat m, int row, char names[][40])
{
    size_t n = 0;
    int j, any = 0;
    buf[0] = '\0';
    for (j = 0; j < m.cols; j++) {
        wino_rational q = mat_at(m, row, j);
        long long num = q.num < 0 ? -q.num : q.num;
        const char *sign = q.num < 0 ? "-" : "+";
        if (num == 0)
            continue;
        if (!any && q.num > 0)
            sign = "";
        if (n < size)
            n += (size_t)snprintf(buf + n, size - n, "%s%s%s", any ? " " : "", sign,
                                  any ? " " : "");
        if (n >= size)
            break;
        if (num == 1 && q.den == 1)
            n += (size_t)snprintf(buf + n, size - n, "%s", names[j]);
        else if (q.den == 1)
            n += (size_t)snprintf(buf + n, size - n, "%s * vsplat(%lld.0f)", names[j], num);
        else if ((q.den & (q.den - 1)) == 0)    /* a power of two: exact */
            n += (size_t)snprintf(buf + n, size - n, "%s * vsplat(%.9gf)", names[j],
                                  (double)num / (double)q.den);
        else
            n += (size_t)snprintf(buf + n, size - n, "%s * vsplat(%lld.0f / %lld.0f)",
                                  names[j], num, q.den);
        any = 1;
        if (n >= size)
            break;
    }
    if (!any)
        snprintf(buf, size, "vsplat(0.0f)");
}

/* out = P in Q^T over the vf8 locals in<a>_<b> (rows(P) x rows(Q) results
 * named <out><i>_<j>), through t<i>_<b>. */
static void emit_transform(gen_ctx *c, mat P, mat Q, const char *in, const char *out)
{
    emitter *e = c->e;
    char names[WINO_MAX_ALPHA][40], expr[1024];
    int i, j, b;
    for (i = 0; i < P.rows; i++)
        for (b = 0; b < Q.cols; b++) {
            int a;
            for (a = 0; a < P.cols; a++)
                snprintf(names[a], sizeof names[a], "%s%d_%d", in, a, b);
            lincomb(expr, sizeof expr, P, i, names);
            emit_line(e, "const vf8 t%d_%d = %s;", i, b, expr);
        }
    for (i = 0; i < P.rows; i++)
        for (j = 0; j < Q.rows; j++) {
            for (b = 0; b < Q.cols; b++)
                snprintf(names[b], sizeof names[b], "t%d_%d", i, b);
            lincomb(expr, sizeof expr, Q, j, names);
            emit_line(e, "const vf8 %s%d_%d = %s;", out, i, j, expr);
        }
}

/* dst[i][j] (+)= sum_k A[i][k] B[k][j] for each of `count` xi, with
 * A[i][k] = a[i * a_si + k * a_sk] and rows of B and dst contiguous. */
typedef struct {
    const char *dst, *a, *b;
    int count, rows, cols, depth;   /* cols % 8 == 0 */
    int a_si, a_sk;
    int accumulate;
} gemm;

static void emit_gemm_tile(gen_ctx *c, const gemm *g, int np, int vb)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int p, v;
    emit_line(e, "float *%s o = dx + i * %d + j;", R, g->cols);
    for (p = 0; p < np; p++) {
        emit_raw(e, "%*svf8 ", e->depth * 4, "");
        for (v = 0; v < vb; v++)
            emit_raw(e, "a%d_%d = vsplat(0.0f)%s", p, v, v + 1 < vb ? ", " : ";\n");
    }
    emit_open(e, "for (k = 0; k < %d; k++)", g->depth);
    emit_line(e, "const float *%s ak = ax + i * %d + k * %d;", R, g->a_si, g->a_sk);
    emit_raw(e, "%*sconst vf8 ", e->depth * 4, "");
    for (v = 0; v < vb; v++)
        emit_raw(e, "b%d = vload(bx + k * %d + j + %d)%s", v, g->cols, 8 * v,
                 v + 1 < vb ? ", " : ";\n");
    emit_line(e, "vf8 s;");
    for (p = 0; p < np; p++) {
        emit_raw(e, "%*ss = vsplat(ak[%d]);", e->depth * 4, "", p * g->a_si);
        for (v = 0; v < vb; v++)
            emit_raw(e, " a%d_%d += s * b%d;", p, v, v);
        emit_raw(e, "\n");
    }
    emit_close(e, "");
    for (p = 0; p < np; p++)
        for (v = 0; v < vb; v++) {
            int at = p * g->cols + 8 * v;
            if (g->accumulate)
                emit_line(e, "vstore(o + %d, vload(o + %d) + a%d_%d);", at, at, p, v);
            else
                emit_line(e, "vstore(o + %d, a%d_%d);", at, p, v);
        }
}

static void emit_gemm_for(gen_ctx *c, const void *arg)
{
    const gemm *g = arg;
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    gen_tile tile = gen_tile_for(c, g->cols);
    int vb = tile.vectors, pb = tile.rows;
    int full, rest;
    if (pb > g->rows)
        pb = g->rows;
    full = g->rows / pb * pb;
    rest = g->rows - full;
    emit_open(e, "for (xi = 0; xi < %d; xi++)", g->count);
    emit_line(e, "const float *%s ax = %s + xi * %d;", R, g->a, g->rows * g->depth);
    emit_line(e, "const float *%s bx = %s + xi * %d;", R, g->b, g->depth * g->cols);
    emit_line(e, "float *%s dx = %s + xi * %d;", R, g->dst, g->rows * g->cols);
    emit_line(e, "int i, j, k;");
    emit_open(e, "for (i = 0; i < %d; i += %d)", full, pb);
    emit_open(e, "for (j = 0; j < %d; j += %d)", g->cols, 8 * vb);
    emit_gemm_tile(c, g, pb, vb);
    emit_close(e, "");
    emit_close(e, "");
    if (rest > 0) {
        emit_line(e, "i = %d;", full);
        emit_open(e, "for (j = 0; j < %d; j += %d)", g->cols, 8 * vb);
        emit_gemm_tile(c, g, rest, vb);
        emit_close(e, "");
    }
    emit_close(e, "");
}

/* Loads of a rows x cols tile into d<a>_<b>: element (a, b) is at
 * img + (a * width + b) * stride (an HWC image: stride = channels; the
 * transformed domain: width = alpha_w, stride = the floats per position). */
static void emit_tile_loads(gen_ctx *c, const char *img, int rows, int cols, int width,
                            int stride)
{
    int a, b;
    for (a = 0; a < rows; a++)
        for (b = 0; b < cols; b++)
            emit_line(c->e, "const vf8 d%d_%d = vload(%s + %d);", a, b, img,
                      (a * width + b) * stride);
}

/* The matching stores of the locals <name><a>_<b>, added to what is there
 * when `accumulate`. */
static void emit_tile_stores(gen_ctx *c, const char *dst, const char *name, int rows, int cols,
                             int width, int stride, int accumulate)
{
    int a, b;
    for (a = 0; a < rows; a++)
        for (b = 0; b < cols; b++) {
            int at = (a * width + b) * stride;
            if (accumulate)
                emit_line(c->e, "vstore(%s + %d, vload(%s + %d) + %s%d_%d);", dst, at, dst, at,
                          name, a, b);
            else
                emit_line(c->e, "vstore(%s + %d, %s%d_%d);", dst, at, name, a, b);
        }
}

/* The loops over tiles and 8-channel blocks, opened; `ch` channels. */
static void open_tile_loops(gen_ctx *c, const wino *k, int ch)
{
    emitter *e = c->e;
    emit_open(e, "for (ty = 0; ty < %d; ty++)", k->p->th);
    emit_open(e, "for (tx = 0; tx < %d; tx++)", k->p->tw);
    emit_open(e, "for (cb = 0; cb < %d; cb += 8)", ch);
}

static void close_tile_loops(gen_ctx *c)
{
    emit_close(c->e, "");
    emit_close(c->e, "");
    emit_close(c->e, "");
}

/* V = BT d B for every tile of the padded input `src`. */
static void emit_input_transform(gen_ctx *c, const wino *k)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int cin = k->l->in.c;
    open_tile_loops(c, k, cin);
    emit_line(e, "const float *%s img = src + (ty * %d + tx * %d) * %d + cb;", R,
              k->p->wm_h * k->p->pad_w, k->p->wm_w, cin);
    emit_line(e, "float *%s v = wv + (ty * %d + tx) * %d + cb;", R, k->p->tw, cin);
    emit_tile_loads(c, "img", k->ah, k->aw, k->p->pad_w, cin);
    emit_transform(c, mat_of(k->h.bt, k->ah, k->ah, 0), mat_of(k->w.bt, k->aw, k->aw, 0), "d",
                   "v");
    emit_tile_stores(c, "v", "v", k->ah, k->aw, k->aw, k->tiles * cin, 0);
    close_tile_loops(c);
}

/* Is output row (column) i of a tile past the edge for the last tiles? */
static int row_may_miss(const wino *k, int i) { return k->l->out.h % k->p->wm_h && i >= k->l->out.h % k->p->wm_h; }
static int col_may_miss(const wino *k, int j) { return k->l->out.w % k->p->wm_w && j >= k->l->out.w % k->p->wm_w; }

static void guard_text(char *buf, size_t size, const wino *k, int i, int j)
{
    int rm = row_may_miss(k, i), cm = col_may_miss(k, j);
    buf[0] = '\0';
    if (rm && cm)
        snprintf(buf, size, "ty * %d + %d < %d && tx * %d + %d < %d", k->p->wm_h, i,
                 k->l->out.h, k->p->wm_w, j, k->l->out.w);
    else if (rm)
        snprintf(buf, size, "ty * %d + %d < %d", k->p->wm_h, i, k->l->out.h);
    else if (cm)
        snprintf(buf, size, "tx * %d + %d < %d", k->p->wm_w, j, k->l->out.w);
}

void gen_wino_forward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    wino k;
    gemm g;
    int cout, a, b;
    wino_get(c, i, &k);
    cout = k.l->filters;
    emit_line(e, "int ty, tx, cb, xi;");
    emit_input_transform(c, &k);
    memset(&g, 0, sizeof g);
    g.dst = "wm";
    g.a = "wv";
    g.b = "wu";
    g.count = k.xi;
    g.rows = k.tiles;
    g.cols = cout;
    g.depth = k.l->in.c;
    g.a_si = k.l->in.c;
    g.a_sk = 1;
    gen_emit_for_registers(c, emit_gemm_for, &g);
    /* y = AT M A + bias */
    open_tile_loops(c, &k, cout);
    emit_line(e, "const float *%s mt = wm + (ty * %d + tx) * %d + cb;", R, k.p->tw, cout);
    emit_line(e, "float *%s yt = out + (ty * %d + tx * %d) * %d + cb;", R,
              k.p->wm_h * k.l->out.w, k.p->wm_w, cout);
    emit_line(e, "const vf8 bv = vload(bias + cb);");
    emit_tile_loads(c, "mt", k.ah, k.aw, k.aw, k.tiles * cout);
    emit_transform(c, mat_of(k.h.at, k.h.m, k.ah, 0), mat_of(k.w.at, k.w.m, k.aw, 0), "d",
                   "y");
    for (a = 0; a < k.h.m; a++)
        for (b = 0; b < k.w.m; b++) {
            char guard[128];
            guard_text(guard, sizeof guard, &k, a, b);
            emit_line(e, "%s%s%svstore(yt + %d, y%d_%d + bv);", guard[0] ? "if (" : "", guard,
                      guard[0] ? ") " : "", (a * k.l->out.w + b) * cout, a, b);
        }
    close_tile_loops(c);
}

void gen_wino_backward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    wino k;
    gemm g;
    int cout, cin, a, b;
    wino_get(c, i, &k);
    cout = k.l->filters;
    cin = k.l->in.c;
    emit_line(e, "int ty, tx, cb, xi;");
    /* Z = A dy AT: the output gradient, zero past the edge */
    open_tile_loops(c, &k, cout);
    emit_line(e, "const float *%s dy = dz + (ty * %d + tx * %d) * %d + cb;", R,
              k.p->wm_h * k.l->out.w, k.p->wm_w, cout);
    emit_line(e, "float *%s z = wm + (ty * %d + tx) * %d + cb;", R, k.p->tw, cout);
    for (a = 0; a < k.h.m; a++)
        for (b = 0; b < k.w.m; b++) {
            char guard[128];
            guard_text(guard, sizeof guard, &k, a, b);
            if (guard[0])
                emit_line(e, "const vf8 d%d_%d = %s ? vload(dy + %d) : vsplat(0.0f);", a, b,
                          guard, (a * k.l->out.w + b) * cout);
            else
                emit_line(e, "const vf8 d%d_%d = vload(dy + %d);", a, b,
                          (a * k.l->out.w + b) * cout);
        }
    emit_transform(c, mat_of(k.h.at, k.h.m, k.ah, 1), mat_of(k.w.at, k.w.m, k.aw, 1), "d",
                   "z");
    emit_tile_stores(c, "z", "z", k.ah, k.aw, k.aw, k.tiles * cout, 0);
    close_tile_loops(c);
    /* dU += V^T Z, with V transformed again from this sample's input */
    emit_input_transform(c, &k);
    memset(&g, 0, sizeof g);
    g.dst = "wdu";
    g.a = "wv";
    g.b = "wm";
    g.count = k.xi;
    g.rows = cin;
    g.cols = cout;
    g.depth = k.tiles;
    g.a_si = 1;
    g.a_sk = cin;
    g.accumulate = 1;
    gen_emit_for_registers(c, emit_gemm_for, &g);
    if (k.p->din < 0)
        return;
    /* W = Z U^T (into wv), then dx += B W BT tile by tile */
    g.dst = "wv";
    g.a = "wm";
    g.b = "wut";
    g.rows = k.tiles;
    g.cols = cin;
    g.depth = cout;
    g.a_si = cout;
    g.a_sk = 1;
    g.accumulate = 0;
    gen_emit_for_registers(c, emit_gemm_for, &g);
    emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);",
              (long long)c->L->buffers[k.p->dpad].count);
    open_tile_loops(c, &k, cin);
    emit_line(e, "const float *%s wt = wv + (ty * %d + tx) * %d + cb;", R, k.p->tw, cin);
    emit_line(e, "float *%s img = dsrc + (ty * %d + tx * %d) * %d + cb;", R,
              k.p->wm_h * k.p->pad_w, k.p->wm_w, cin);
    emit_tile_loads(c, "wt", k.ah, k.aw, k.aw, k.tiles * cin);
    emit_transform(c, mat_of(k.h.bt, k.ah, k.ah, 1), mat_of(k.w.bt, k.aw, k.aw, 1), "d", "g");
    emit_tile_stores(c, "img", "g", k.ah, k.aw, k.p->pad_w, cin, 1);
    close_tile_loops(c);
    gen_conv_emit_unpad(c, k.l, k.p->pad_w, "ty");
}

/* dst = P src Q^T for every (ci, co) of a kernel-shaped tensor: src and dst
 * are (rows, cols, Cin, Cout) with rows x cols = P.cols x Q.cols and
 * P.rows x Q.rows; vectors run over co. */
static void emit_kernel_transform(gen_ctx *c, const wino *k, const char *src, const char *dst,
                                  mat P, mat Q, int accumulate)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int cin = k->l->in.c, cout = k->l->filters;
    emit_line(e, "int ci, cb;");
    emit_open(e, "for (ci = 0; ci < %d; ci++)", cin);
    emit_open(e, "for (cb = 0; cb < %d; cb += 8)", cout);
    emit_line(e, "const float *%s s = %s + ci * %d + cb;", R, src, cout);
    emit_line(e, "float *%s o = %s + ci * %d + cb;", R, dst, cout);
    emit_tile_loads(c, "s", P.cols, Q.cols, Q.cols, cin * cout);
    emit_transform(c, P, Q, "d", "u");
    emit_tile_stores(c, "o", "u", P.rows, Q.rows, Q.rows, cin * cout, accumulate);
    emit_close(e, "");
    emit_close(e, "");
}

/* U = G g GT, once per forward call. */
void gen_wino_filter_function(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw, *M = c->mprefix;
    wino k;
    wino_get(c, i, &k);
    emit_open_fn(e, "static void %s(const float *%s params, float *%s wu)", fname, R, R);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, k.p->kernel));
    emit_kernel_transform(c, &k, "kern", "wu", mat_of(k.h.g, k.ah, k.l->kh, 0),
                          mat_of(k.w.g, k.aw, k.l->kw, 0), 0);
    emit_close(e, "");
}

/* Before the backward samples: U^T for the input gradient, dU = 0. */
void gen_wino_prepare_function(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    wino k;
    int cin, cout;
    wino_get(c, i, &k);
    cin = k.l->in.c;
    cout = k.l->filters;
    emit_open_fn(e, "static void %s(const float *%s wu, float *%s wut, float *%s wdu)", fname,
                 R, R, R);
    emit_line(e, "int xi, ci, co;");
    emit_line(e, "for (xi = 0; xi < %d; xi++)", k.xi);
    emit_line(e, "    for (ci = 0; ci < %d; ci++)", cin);
    emit_line(e, "        for (co = 0; co < %d; co++)", cout);
    emit_line(e, "            wut[(xi * %d + co) * %d + ci] = wu[(xi * %d + ci) * %d + co];",
              cout, cin, cin, cout);
    emit_line(e, "memset(wdu, 0, sizeof(float) * %lld);", (long long)k.xi * cin * cout);
    emit_close(e, "");
}

/* After the backward samples: the kernel gradient += G^T dU G. */
void gen_wino_finish_function(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw, *M = c->mprefix;
    wino k;
    wino_get(c, i, &k);
    emit_open_fn(e, "static void %s(const float *%s wdu, float *%s grads)", fname, R, R);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, k.p->kernel));
    emit_kernel_transform(c, &k, "wdu", "gkern", mat_of(k.h.g, k.ah, k.l->kh, 1),
                          mat_of(k.w.g, k.aw, k.l->kw, 1), 1);
    emit_close(e, "");
}

void gen_wino_const_name(const gen_ctx *c, int i, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s_wu", c->prefix, c->L->plan[i].name);
}

/* U = G g GT of every conv layer with Winograd kernels, computed here in
 * double from the weights and emitted as float constants: inference then
 * skips the per-call kernel transform. */
void gen_wino_emit_constants(gen_ctx *c, const float *params)
{
    emitter *e = c->e;
    int i;
    for (i = 0; i < c->L->m->n_layers; i++) {
        wino k;
        const float *g;
        int cin, cout, a, b, ky, kx, ci, co;
        long long n, at = 0;
        char name[128], lit[48];
        if (!gen_use_wino(c, i))
            continue;
        wino_get(c, i, &k);
        cin = k.l->in.c;
        cout = k.l->filters;
        n = (long long)k.xi * cin * cout;
        g = params + c->L->tensors[k.p->kernel].offset;
        gen_wino_const_name(c, i, name, sizeof name);
        emit_line(e, "/* %s.kernel transformed for Winograd F(%dx%d, %dx%d): (%d, %d, %d) */",
                  k.p->name, k.h.m, k.w.m, k.l->kh, k.l->kw, k.xi, cin, cout);
        emit_line(e, "static const float %s[%lld] = {", name, n);
        for (a = 0; a < k.ah; a++)
            for (b = 0; b < k.aw; b++)
                for (ci = 0; ci < cin; ci++)
                    for (co = 0; co < cout; co++, at++) {
                        double u = 0.0;
                        for (ky = 0; ky < k.l->kh; ky++)
                            for (kx = 0; kx < k.l->kw; kx++)
                                u += wino_value(k.h.g[a][ky]) * wino_value(k.w.g[b][kx]) *
                                     g[((size_t)(ky * k.l->kw + kx) * cin + ci) * cout + co];
                        emit_format_float(lit, sizeof lit, (float)u);
                        if (at % 4 == 0)
                            emit_raw(e, "    ");
                        emit_raw(e, "%s,%s", lit, (at % 4 == 3 || at + 1 == n) ? "\n" : " ");
                    }
        emit_line(e, "};");
    }
}
