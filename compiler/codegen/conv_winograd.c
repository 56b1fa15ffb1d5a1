/* conv_winograd.c - stride-1 convolutions as Winograd F(m x m', KH x KW)
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
 * vectors of 8 columns in accumulators.  The per-tile transforms run on
 * vectors of channels: 16 floats where the register file is wide and the
 * channels allow it, else 8; each lane computes the same sums either way.
 *
 * Each function states its sizes as named constants and the matrices of
 * winograd.c as constant tables, and runs one loop nest per transform
 * whose text is the same for every tile size. */
#include "codegen/conv_winograd.h"
#include "codegen/winograd.h"

#include <stdio.h>
#include <string.h>

/* The two 1-D algorithms of layer i (gen_layout chose sizes they accept)
 * and the names the generated code gives their sizes and tables: one set
 * when both dimensions use the same algorithm, else one per dimension. */
typedef struct {
    const ir_layer *l;
    const gen_layer_plan *p;
    wino_alg alg[2];                    /* rows, columns */
    int dims;                           /* sets of names: 1 or 2 */
    char m[2][8], r[2][8], alpha[2][8]; /* M, R, ALPHA; or M_H, M_W, ... */
    char bt[2][8], g[2][8], at[2][8];   /* bt, g, at; or bt_h, bt_w, ... */
} wino;

static void wino_get(gen_ctx *c, int i, wino *k)
{
    static const char *const size_sfx[2] = { "_H", "_W" }, *const table_sfx[2] = { "_h", "_w" };
    int d;
    k->l = gen_layer(c, i);
    k->p = &c->L->plan[i];
    wino_build(&k->alg[0], k->p->wm_h, k->l->kh);
    wino_build(&k->alg[1], k->p->wm_w, k->l->kw);
    k->dims = k->p->wm_h == k->p->wm_w && k->l->kh == k->l->kw ? 1 : 2;
    for (d = 0; d < 2; d++) {
        const char *ss = k->dims == 1 ? "" : size_sfx[d], *ts = k->dims == 1 ? "" : table_sfx[d];
        snprintf(k->m[d], sizeof k->m[d], "M%s", ss);
        snprintf(k->r[d], sizeof k->r[d], "R%s", ss);
        snprintf(k->alpha[d], sizeof k->alpha[d], "ALPHA%s", ss);
        snprintf(k->bt[d], sizeof k->bt[d], "bt%s", ts);
        snprintf(k->g[d], sizeof k->g[d], "g%s", ts);
        snprintf(k->at[d], sizeof k->at[d], "at%s", ts);
    }
}

/* The sizes as named constants: the algorithms', and with `tiles` those of
 * the tile grid and of the padded input's rows. */
static void emit_sizes(gen_ctx *c, const wino *k, int tiles)
{
    char text[256];
    size_t n = 0;
    int d;
    for (d = 0; d < k->dims; d++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%s = %d, %s = %d, %s = %s + %s - 1",
                              d ? ", " : "", k->m[d], k->alg[d].m, k->r[d], k->alg[d].r,
                              k->alpha[d], k->m[d], k->r[d]);
    if (tiles)
        snprintf(text + n, sizeof text - n,
                 ", TILES_H = %d, TILES_W = %d, TILES = TILES_H * TILES_W, PAD_W = %d", k->p->th,
                 k->p->tw, k->p->pad_w);
    emit_line(c->e, "/* Winograd F(%s, %s) x F(%s, %s): M outputs of an R-tap kernel from ALPHA "
              "inputs a side */", k->m[0], k->r[0], k->m[1], k->r[1]);
    emit_line(c->e, "enum { %s };", text);
}

/* A transform matrix as exact floats: integers as such, the others as the
 * float nearest the rational (rounded once, as C rounds 1.0f / 6). */
static void emit_table(gen_ctx *c, const char *name, const wino_rational (*a)[WINO_MAX_ALPHA],
                       int rows, int cols, const char *rows_name, const char *cols_name)
{
    emitter *e = c->e;
    int i, j;
    emit_line(e, "static const float %s[%s][%s] = {", name, rows_name, cols_name);
    for (i = 0; i < rows; i++) {
        emit_raw(e, "%*s{ ", (e->depth + 1) * 4, "");
        for (j = 0; j < cols; j++) {
            wino_rational q = a[i][j];
            if (q.den == 1)
                emit_raw(e, "%lld", q.num);
            else
                emit_raw(e, "%.9gf", (double)((float)q.num / (float)q.den));
            emit_raw(e, "%s", j + 1 < cols ? ", " : " },\n");
        }
    }
    emit_line(e, "};");
}

/* The tables asked for: BT (alpha x alpha), G (alpha x r), AT (m x alpha). */
static void emit_tables(gen_ctx *c, const wino *k, int bt, int g, int at)
{
    int d;
    for (d = 0; d < k->dims; d++) {
        const wino_alg *w = &k->alg[d];
        if (bt)
            emit_table(c, k->bt[d], w->bt, w->alpha, w->alpha, k->alpha[d], k->alpha[d]);
        if (g)
            emit_table(c, k->g[d], w->g, w->alpha, w->r, k->alpha[d], k->r[d]);
        if (at)
            emit_table(c, k->at[d], w->at, w->m, w->alpha, k->m[d], k->alpha[d]);
    }
}

/* One factor of a 2-D transform: a table, read transposed or not, and the
 * names of the product's rows and of the terms each of its sums adds. */
typedef struct {
    const char *table;
    int transposed;
    const char *rows, *terms;
} factor;

static factor factor_of(const char *table, int transposed, const char *rows, const char *terms)
{
    factor f;
    f.table = table;
    f.transposed = transposed;
    f.rows = rows;
    f.terms = terms;
    return f;
}

/* For a < rows, b < cols (and j < vecs, when vecs > 1: the vectors of a
 * block): acc = the sum over k of F[a or b][k] * term, then `store`.
 * Constant trip counts over a constant table: the compiler unrolls the
 * loops over a, b and k, drops the zero terms and folds the factors 1 and
 * -1, which leaves the straight-line sums of the tile size. */
static void emit_pass(gen_ctx *c, const gen_tile *v, const char *rows, const char *cols,
                      factor f, char row, const char *term, const char *store, int vecs)
{
    emitter *e = c->e;
    char coef[32];
    if (f.transposed)
        snprintf(coef, sizeof coef, "%s[k][%c]", f.table, row);
    else
        snprintf(coef, sizeof coef, "%s[%c][k]", f.table, row);
    emit_line(e, "#pragma GCC unroll %d", WINO_MAX_ALPHA);
    emit_open(e, "for (a = 0; a < %s; a++)", rows);
    emit_line(e, "#pragma GCC unroll %d", WINO_MAX_ALPHA);
    emit_open(e, "for (b = 0; b < %s; b++)", cols);
    if (vecs > 1) {
        /* not unrolled: a, b and k already are, and unrolling j too
         * quadruples the model's compile time for no speed */
        emit_line(e, "#pragma GCC unroll 1");
        emit_open(e, "for (j = 0; j < %d; j++)", vecs);
    }
    emit_line(e, "%s acc = %s(-0.0f);   /* x + -0 is x: no add */", v->type, v->splat);
    emit_line(e, "#pragma GCC unroll %d", WINO_MAX_ALPHA);
    emit_open(e, "for (k = 0; k < %s; k++)", f.terms);
    emit_open(e, "if (%s != 0.0f)", coef);
    emit_line(e, "acc += %s(%s) * %s;", v->splat, coef, term);
    emit_close(e, "");
    emit_close(e, "");
    emit_line(e, "%s", store);
    if (vecs > 1)
        emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

/* out = P in Q^T on vectors v: `in` reads element (k, b) of the input,
 * `store` writes acc, element (a, b) of the result; with vecs > 1 each
 * element is a block of vecs vectors, j the vector (in `in` and `store`). */
static void emit_transform(gen_ctx *c, const gen_tile *v, factor P, factor Q, const char *in,
                           const char *store, int vecs)
{
    const char *j = vecs > 1 ? "[j]" : "";
    char block[16] = "", first[32], term[16];
    if (vecs > 1)
        snprintf(block, sizeof block, "[%d]", vecs);
    snprintf(first, sizeof first, "t[a][b]%s = acc;", j);
    snprintf(term, sizeof term, "t[a][k]%s", j);
    emit_line(c->e, "%s t[%s][%s]%s;", v->type, P.rows, Q.terms, block);
    emit_line(c->e, "int a, b, k%s;", vecs > 1 ? ", j" : "");
    emit_pass(c, v, P.rows, Q.terms, P, 'a', in, first, vecs);
    emit_pass(c, v, P.rows, Q.rows, Q, 'b', term, store, vecs);
}

/* `base + v1 * m1 + v2 * m2 + off` without the terms that are zero and the
 * factors that are 1; a NULL variable is zero (its loop would run once). */
static const char *offset(char *buf, size_t size, const char *base, const char *v1, int m1,
                          const char *v2, int m2, int off)
{
    const char *v[2];
    int m[2], t;
    size_t n = (size_t)snprintf(buf, size, "%s", base);
    v[0] = v1;
    v[1] = v2;
    m[0] = m1;
    m[1] = m2;
    for (t = 0; t < 2 && n < size; t++) {
        if (v[t] && m[t] == 1)
            n += (size_t)snprintf(buf + n, size - n, " + %s", v[t]);
        else if (v[t] && m[t])
            n += (size_t)snprintf(buf + n, size - n, " + %s * %d", v[t], m[t]);
    }
    if (off && n < size)
        snprintf(buf + n, size - n, " + %d", off);
    return buf;
}

/* dst[i][j] (+)= sum_k A[i][k] B[k][j] for each xi, with A[i][k] =
 * a[i * a_si + k * a_sk] and rows of B and dst contiguous.  The rows or
 * the depth may be the tiles, which the code counts as TILES. */
typedef struct {
    const char *dst, *a, *b;
    const char *count;              /* of xi */
    int rows, cols, depth;          /* cols % 8 == 0 */
    int rows_tiles, depth_tiles;
    int a_si, a_sk;
    int accumulate;
} gemm;

/* The floats of a rows x cols matrix per xi, as the code writes them. */
static const char *floats_per_xi(char *buf, size_t size, int rows, int rows_tiles, int cols,
                                 int cols_tiles)
{
    if (rows_tiles || cols_tiles)
        snprintf(buf, size, "TILES * %d", rows_tiles ? cols : rows);
    else
        snprintf(buf, size, "%d", rows * cols);
    return buf;
}

/* A size of the products as the code writes it: a number, or TILES. */
static const char *size_text(char *buf, size_t size, int n, int tiles)
{
    if (tiles)
        snprintf(buf, size, "TILES");
    else
        snprintf(buf, size, "%d", n);
    return buf;
}

/* A register tile of np rows from row i + i_off (i NULL: 0) and column j
 * (NULL: 0). */
static void emit_gemm_tile(gen_ctx *c, const gemm *g, int np, const gen_tile *tile,
                           const char *i, int i_off, const char *j)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int vb = tile->vectors, vw = tile->width;
    char x[96];
    int p, v;
    emit_line(e, "float *%s o = %s;", R,
              offset(x, sizeof x, "dx", i, g->cols, j, 1, i_off * g->cols));
    for (p = 0; p < np; p++) {
        emit_raw(e, "%*s%s ", e->depth * 4, "", tile->type);
        for (v = 0; v < vb; v++)
            emit_raw(e, "a%d_%d = %s(0.0f)%s", p, v, tile->splat, v + 1 < vb ? ", " : ";\n");
    }
    emit_open(e, "for (k = 0; k < %s; k++)", size_text(x, sizeof x, g->depth, g->depth_tiles));
    emit_line(e, "const float *%s ak = %s;", R,
              offset(x, sizeof x, "ax", i, g->a_si, "k", g->a_sk, i_off * g->a_si));
    emit_raw(e, "%*sconst %s ", e->depth * 4, "", tile->type);
    for (v = 0; v < vb; v++)
        emit_raw(e, "b%d = %s(%s)%s", v, tile->load,
                 offset(x, sizeof x, "bx", "k", g->cols, j, 1, vw * v), v + 1 < vb ? ", " : ";\n");
    emit_line(e, "%s s;", tile->type);
    for (p = 0; p < np; p++) {
        emit_raw(e, "%*ss = %s(ak[%d]);", e->depth * 4, "", tile->splat, p * g->a_si);
        for (v = 0; v < vb; v++)
            emit_raw(e, " a%d_%d += s * b%d;", p, v, v);
        emit_raw(e, "\n");
    }
    emit_close(e, "");
    for (p = 0; p < np; p++)
        for (v = 0; v < vb; v++) {
            offset(x, sizeof x, "o", NULL, 0, NULL, 0, p * g->cols + vw * v);
            if (g->accumulate)
                emit_line(e, "%s(%s, %s(%s) + a%d_%d);", tile->store, x, tile->load, x, p, v);
            else
                emit_line(e, "%s(%s, a%d_%d);", tile->store, x, p, v);
        }
}

/* Row tiles of pb rows while they fit, then the rest; column tiles of
 * vb vectors. */
static void emit_gemm_for(gen_ctx *c, const void *arg)
{
    const gemm *g = arg;
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    gen_tile tile = gen_tile_for(c, g->cols);
    int pb = tile.rows < g->rows ? tile.rows : g->rows, per_tile = tile.width * tile.vectors;
    int i_loop = g->rows / pb > 1, rest = g->rows % pb, j_loop = g->cols > per_tile;
    const char *i = i_loop ? "i" : NULL, *j = j_loop ? "j" : NULL;
    char n[32];
    emit_open(e, "for (xi = 0; xi < %s; xi++)", g->count);
    emit_line(e, "const float *%s ax = %s + xi * %s;", R, g->a,
              floats_per_xi(n, sizeof n, g->rows, g->rows_tiles, g->depth, g->depth_tiles));
    emit_line(e, "const float *%s bx = %s + xi * %s;", R, g->b,
              floats_per_xi(n, sizeof n, g->depth, g->depth_tiles, g->cols, 0));
    emit_line(e, "float *%s dx = %s + xi * %s;", R, g->dst,
              floats_per_xi(n, sizeof n, g->rows, g->rows_tiles, g->cols, 0));
    emit_line(e, "int %s%sk;", i_loop ? "i, " : "", j_loop ? "j, " : "");
    if (i_loop)
        emit_open(e, "for (i = 0; i + %d <= %s; i += %d)", pb,
                  size_text(n, sizeof n, g->rows, g->rows_tiles), pb);
    if (j_loop)
        emit_open(e, "for (j = 0; j < %d; j += %d)", g->cols, per_tile);
    else if (!i_loop) {
        emit_line(e, "{");
        e->depth++;
    }
    emit_gemm_tile(c, g, pb, &tile, i, 0, j);
    if (j_loop || !i_loop)
        emit_close(e, "");
    if (i_loop)
        emit_close(e, "");
    if (rest > 0) {
        if (rest > 1)
            emit_line(e, "/* the last %d rows */", rest);
        else
            emit_line(e, "/* the last row */");
        if (j_loop)
            emit_open(e, "for (j = 0; j < %d; j += %d)", g->cols, per_tile);
        emit_gemm_tile(c, g, rest, &tile, i, i_loop ? 0 : pb, j);
        if (j_loop)
            emit_close(e, "");
    }
    emit_close(e, "");
}

/* `ty * M + a < out.h && tx * M + b < out.w`: is element (a, b) of a tile
 * inside the map?  Always, but in the last tiles when M does not divide
 * the map, and the compiler knows which. */
static void inside_text(char *buf, size_t size, const wino *k, char a, char b)
{
    snprintf(buf, size, "ty * %s + %c < %d && tx * %s + %c < %d", k->m[0], a, k->l->out.h,
             k->m[1], b, k->l->out.w);
}

/* The loops over tiles and over blocks of vectors v of `ch` channels,
 * opened; the text that adds the block to an offset ("" for one block). */
static const char *open_tile_loops(gen_ctx *c, int ch, const gen_tile *v)
{
    emit_open(c->e, "for (ty = 0; ty < TILES_H; ty++)");
    emit_open(c->e, "for (tx = 0; tx < TILES_W; tx++)");
    if (ch == v->width)
        return "";
    emit_line(c->e, "int cb;");
    emit_open(c->e, "for (cb = 0; cb < %d; cb += %d)", ch, v->width);
    return " + cb";
}

static void close_tile_loops(gen_ctx *c, int ch, const gen_tile *v)
{
    emit_close(c->e, "");
    emit_close(c->e, "");
    if (ch > v->width)
        emit_close(c->e, "");
}

/* V = BT d B for every tile of the padded input `src`; arg is the wino. */
static void emit_input_transform(gen_ctx *c, const void *arg)
{
    const wino *k = arg;
    emitter *e = c->e;
    const char *R = c->restrict_kw, *cb;
    int cin = k->l->in.c;
    gen_tile v = gen_tile_for(c, cin);
    char in[96], store[96];
    cb = open_tile_loops(c, cin, &v);
    emit_line(e, "const float *%s img = src + (ty * %s * PAD_W + tx * %s) * %d%s;", R, k->m[0],
              k->m[1], cin, cb);
    emit_line(e, "float *%s v = wv + (ty * TILES_W + tx) * %d%s;", R, cin, cb);
    snprintf(in, sizeof in, "%s(img + (k * PAD_W + b) * %d)", v.load, cin);
    snprintf(store, sizeof store, "%s(v + (a * %s + b) * TILES * %d, acc);", v.store,
             k->alpha[1], cin);
    emit_transform(c, &v, factor_of(k->bt[0], 0, k->alpha[0], k->alpha[0]),
                   factor_of(k->bt[1], 0, k->alpha[1], k->alpha[1]), in, store, 1);
    close_tile_loops(c, cin, &v);
}

static void emit_input_transforms(gen_ctx *c, const wino *k)
{
    emit_line(c->e, "/* V = BT d B per input tile */");
    gen_emit_for_registers(c, emit_input_transform, k);
}

/* y = AT M A + bias per output tile, inside the map; arg is the wino. */
static void emit_output_transform(gen_ctx *c, const void *arg)
{
    const wino *k = arg;
    emitter *e = c->e;
    const char *R = c->restrict_kw, *cb;
    int cout = k->l->filters;
    gen_tile v = gen_tile_for(c, cout);
    char in[128], store[192], inside[96], y[48];
    cb = open_tile_loops(c, cout, &v);
    emit_line(e, "const float *%s mt = wm + (ty * TILES_W + tx) * %d%s;", R, cout, cb);
    emit_line(e, "float *%s yt = out + (ty * %s * %d + tx * %s) * %d%s;", R, k->m[0],
              k->l->out.w, k->m[1], cout, cb);
    emit_line(e, "const %s bv = %s(bias%s);", v.type, v.load, cb);
    snprintf(in, sizeof in, "%s(mt + (k * %s + b) * TILES * %d)", v.load, k->alpha[1], cout);
    inside_text(inside, sizeof inside, k, 'a', 'b');
    if (!gen_vector_act_expr(y, sizeof y, k->l->act, v.width, "acc + bv"))
        snprintf(y, sizeof y, "acc + bv");     /* conv.c applies it after */
    snprintf(store, sizeof store, "if (%s) %s(yt + (a * %d + b) * %d, %s);", inside,
             v.store, k->l->out.w, cout, y);
    emit_transform(c, &v, factor_of(k->at[0], 0, k->m[0], k->alpha[0]),
                   factor_of(k->at[1], 0, k->m[1], k->alpha[1]), in, store, 1);
    close_tile_loops(c, cout, &v);
}

/* Z = A dy AT per output tile, dy zero outside the map; arg is the wino. */
static void emit_dy_transform(gen_ctx *c, const void *arg)
{
    const wino *k = arg;
    emitter *e = c->e;
    const char *R = c->restrict_kw, *cb;
    int cout = k->l->filters;
    gen_tile v = gen_tile_for(c, cout);
    char in[192], store[192], inside[96];
    cb = open_tile_loops(c, cout, &v);
    emit_line(e, "const float *%s dy = dz + (ty * %s * %d + tx * %s) * %d%s;", R, k->m[0],
              k->l->out.w, k->m[1], cout, cb);
    emit_line(e, "float *%s z = wm + (ty * TILES_W + tx) * %d%s;", R, cout, cb);
    inside_text(inside, sizeof inside, k, 'k', 'b');
    snprintf(in, sizeof in, "(%s ? %s(dy + (k * %d + b) * %d) : %s(0.0f))", inside, v.load,
             k->l->out.w, cout, v.splat);
    snprintf(store, sizeof store, "%s(z + (a * %s + b) * TILES * %d, acc);", v.store,
             k->alpha[1], cout);
    emit_transform(c, &v, factor_of(k->at[0], 1, k->alpha[0], k->m[0]),
                   factor_of(k->at[1], 1, k->alpha[1], k->m[1]), in, store, 1);
    close_tile_loops(c, cout, &v);
}

/* dx += B W BT per input tile (the tiles overlap); arg is the wino. */
static void emit_dx_transform(gen_ctx *c, const void *arg)
{
    const wino *k = arg;
    emitter *e = c->e;
    const char *R = c->restrict_kw, *cb;
    int cin = k->l->in.c;
    gen_tile v = gen_tile_for(c, cin);
    char in[192], store[192];
    cb = open_tile_loops(c, cin, &v);
    emit_line(e, "const float *%s wt = wv + (ty * TILES_W + tx) * %d%s;", R, cin, cb);
    emit_line(e, "float *%s img = dsrc + (ty * %s * PAD_W + tx * %s) * %d%s;", R, k->m[0],
              k->m[1], cin, cb);
    snprintf(in, sizeof in, "%s(wt + (k * %s + b) * TILES * %d)", v.load, k->alpha[1], cin);
    snprintf(store, sizeof store,
             "%s(img + (a * PAD_W + b) * %d, %s(img + (a * PAD_W + b) * %d) + acc);", v.store,
             cin, v.load, cin);
    emit_transform(c, &v, factor_of(k->bt[0], 1, k->alpha[0], k->alpha[0]),
                   factor_of(k->bt[1], 1, k->alpha[1], k->alpha[1]), in, store, 1);
    close_tile_loops(c, cin, &v);
}

void gen_wino_forward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    wino k;
    gemm g;
    int cin, cout;
    char count[32];
    wino_get(c, i, &k);
    cin = k.l->in.c;
    cout = k.l->filters;
    emit_sizes(c, &k, 1);
    emit_tables(c, &k, 1, 0, 1);
    emit_line(e, "int ty, tx, xi;");
    emit_input_transforms(c, &k);
    snprintf(count, sizeof count, "%s * %s", k.alpha[0], k.alpha[1]);
    memset(&g, 0, sizeof g);
    g.dst = "wm";
    g.a = "wv";
    g.b = "wu";
    g.count = count;
    g.rows = k.p->th * k.p->tw;
    g.rows_tiles = 1;
    g.cols = cout;
    g.depth = cin;
    g.a_si = cin;
    g.a_sk = 1;
    emit_line(e, "/* V U per position xi of a tile, into wm */");
    gen_emit_for_registers(c, emit_gemm_for, &g);
    emit_line(e, "/* y = AT (V U) A + bias per output tile, inside the map */");
    gen_emit_for_registers(c, emit_output_transform, &k);
}

void gen_wino_backward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    wino k;
    gemm g;
    int cout, cin;
    char count[32];
    wino_get(c, i, &k);
    cout = k.l->filters;
    cin = k.l->in.c;
    emit_sizes(c, &k, 1);
    emit_tables(c, &k, 1, 0, 1);
    emit_line(e, "int ty, tx, xi;");
    emit_line(e, "/* Z = A dy AT per output tile, dy zero outside the map */");
    gen_emit_for_registers(c, emit_dy_transform, &k);
    /* dU += V^T Z, with V transformed again from this sample's input */
    emit_input_transforms(c, &k);
    snprintf(count, sizeof count, "%s * %s", k.alpha[0], k.alpha[1]);
    memset(&g, 0, sizeof g);
    g.dst = "wdu";
    g.a = "wv";
    g.b = "wm";
    g.count = count;
    g.rows = cin;
    g.cols = cout;
    g.depth = k.p->th * k.p->tw;
    g.depth_tiles = 1;
    g.a_si = 1;
    g.a_sk = cin;
    g.accumulate = 1;
    emit_line(e, "/* dU += V^T Z per position xi of a tile */");
    gen_emit_for_registers(c, emit_gemm_for, &g);
    if (k.p->din < 0)
        return;
    g.dst = "wv";
    g.a = "wm";
    g.b = "wut";
    g.rows = k.p->th * k.p->tw;
    g.rows_tiles = 1;
    g.cols = cin;
    g.depth = cout;
    g.depth_tiles = 0;
    g.a_si = cout;
    g.a_sk = 1;
    g.accumulate = 0;
    emit_line(e, "/* W = Z U^T (into wv) per position xi of a tile */");
    gen_emit_for_registers(c, emit_gemm_for, &g);
    emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);",
              (long long)c->L->buffers[k.p->dpad].count);
    emit_line(e, "/* dx += B W BT per input tile (they overlap) */");
    gen_emit_for_registers(c, emit_dx_transform, &k);
    gen_conv_emit_unpad(c, k.l, k.p->pad_w, "ty");
}

#define KERNEL_BLOCK_VECS 8

/* dst = P src Q^T for every (ci, co) of a kernel-shaped tensor: src and dst
 * are (rows, cols, Cin, Cout) with rows x cols = P.terms x Q.terms and
 * P.rows x Q.rows; vectors run over co. */
static void emit_kernel_transform(gen_ctx *c, const wino *k, const char *src, const char *dst,
                                  factor P, factor Q, int accumulate)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw, *cb = "";
    int cin = k->l->in.c, cout = k->l->filters, n = cin * cout, vecs = KERNEL_BLOCK_VECS;
    char in[96], store[160];
    /* Blocks of up to KERNEL_BLOCK_VECS vectors of co: the taps of one
     * (ci, block) lie n floats apart, so each visit to their pages reads
     * and writes whole lines, and `t` stays in L1. */
    while ((cout / 8) % vecs != 0)
        vecs--;
    emit_line(e, "int ci%s;", cout > 8 * vecs ? ", cb" : "");
    emit_open(e, "for (ci = 0; ci < %d; ci++)", cin);
    if (cout > 8 * vecs) {
        emit_open(e, "for (cb = 0; cb < %d; cb += %d)", cout, 8 * vecs);
        cb = " + cb";
    }
    emit_line(e, "const float *%s s = %s + ci * %d%s;", R, src, cout, cb);
    emit_line(e, "float *%s o = %s + ci * %d%s;", R, dst, cout, cb);
    const char *j8 = vecs > 1 ? " + j * 8" : "";
    snprintf(in, sizeof in, "vload(s + (k * %s + b) * %d%s)", Q.terms, n, j8);
    if (accumulate)
        snprintf(store, sizeof store,
                 "vstore(o + (a * %s + b) * %d%s, vload(o + (a * %s + b) * %d%s) + acc);",
                 Q.rows, n, j8, Q.rows, n, j8);
    else
        snprintf(store, sizeof store, "vstore(o + (a * %s + b) * %d%s, acc);", Q.rows, n, j8);
    gen_tile v8 = gen_vectors_of(8);
    emit_transform(c, &v8, P, Q, in, store, vecs);
    if (cout > 8 * vecs)
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
    emit_sizes(c, &k, 0);
    emit_tables(c, &k, 0, 1, 0);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, k.p->kernel));
    emit_kernel_transform(c, &k, "kern", "wu", factor_of(k.g[0], 0, k.alpha[0], k.r[0]),
                          factor_of(k.g[1], 0, k.alpha[1], k.r[1]), 0);
    emit_close(e, "");
}

/* Before the backward samples: U^T for the input gradient, dU = 0. */
void gen_wino_prepare_function(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    wino k;
    int cin, cout, xi;
    wino_get(c, i, &k);
    cin = k.l->in.c;
    cout = k.l->filters;
    xi = k.alg[0].alpha * k.alg[1].alpha;
    emit_open_fn(e, "static void %s(const float *%s wu, float *%s wut, float *%s wdu)", fname,
                 R, R, R);
    emit_line(e, "int xi, ci, co;");
    emit_line(e, "for (xi = 0; xi < %d; xi++)", xi);
    emit_line(e, "    for (ci = 0; ci < %d; ci++)", cin);
    emit_line(e, "        for (co = 0; co < %d; co++)", cout);
    emit_line(e, "            wut[(xi * %d + co) * %d + ci] = wu[(xi * %d + ci) * %d + co];",
              cout, cin, cin, cout);
    emit_line(e, "memset(wdu, 0, sizeof(float) * %lld);", (long long)xi * cin * cout);
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
    emit_sizes(c, &k, 0);
    emit_tables(c, &k, 0, 1, 0);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, k.p->kernel));
    emit_kernel_transform(c, &k, "wdu", "gkern", factor_of(k.g[0], 1, k.r[0], k.alpha[0]),
                          factor_of(k.g[1], 1, k.r[1], k.alpha[1]), 1);
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
        n = (long long)k.alg[0].alpha * k.alg[1].alpha * cin * cout;
        g = params + c->L->tensors[k.p->kernel].offset;
        gen_wino_const_name(c, i, name, sizeof name);
        emit_line(e, "/* %s.kernel transformed for Winograd F(%dx%d, %dx%d): (%d, %d, %d) */",
                  k.p->name, k.alg[0].m, k.alg[1].m, k.l->kh, k.l->kw,
                  k.alg[0].alpha * k.alg[1].alpha, cin, cout);
        emit_line(e, "static const float %s[%lld] = {", name, n);
        for (a = 0; a < k.alg[0].alpha; a++)
            for (b = 0; b < k.alg[1].alpha; b++)
                for (ci = 0; ci < cin; ci++)
                    for (co = 0; co < cout; co++, at++) {
                        double u = 0.0;
                        for (ky = 0; ky < k.l->kh; ky++)
                            for (kx = 0; kx < k.l->kw; kx++)
                                u += wino_value(k.alg[0].g[a][ky]) * wino_value(k.alg[1].g[b][kx]) *
                                     g[((size_t)(ky * k.l->kw + kx) * cin + ci) * cout + co];
                        emit_format_float(lit, sizeof lit, (float)u);
                        if (at % 4 == 0)
                            emit_raw(e, "    ");
                        emit_raw(e, "%s,%s", lit, (at % 4 == 3 || at + 1 == n) ? "\n" : " ");
                    }
        emit_line(e, "};");
    }
}
