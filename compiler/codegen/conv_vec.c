/* conv_vec.c - register-blocked convolution kernels in GNU C vectors
 * (8 floats), emitted behind `#ifdef CONVC_VECTOR` next to the plain loops.
 *
 * Forward (and the input gradient, computed as a stride-1 convolution of the
 * zero-padded output gradient with the flipped kernel): a tile of PB output
 * pixels x VB vectors of output channels lives in PB*VB accumulators; for
 * every (ky, kx, ci) one kernel row of VB vectors is loaded and each pixel's
 * input value broadcast: PB*VB FMAs per PB+VB loads.  For a fixed ky the
 * (kx, ci) pairs are contiguous both in the HWC input and in the
 * (KH, KW, Cin, Cout) kernel, so they form one loop of KW*Cin steps.
 *
 * Weight gradient: a tile of RB kernel rows (consecutive (kx, ci) of one ky)
 * x VB vectors of Cout accumulates over all output pixels, then is added
 * to the gradient once.
 *
 * Taps on the zero rows above and below the image add exactly zero, so all
 * three loops skip them: the ky range (forward, input gradient) or the oy
 * range (weight gradient) is clipped to the rows that hold data (12% of the
 * work of a 7x7 kernel on a 14x14 image), except in the weight gradient's
 * tiles over every ky (wgrad_all_ky).  The zero columns stay: a tile's
 * pixels share one loop over (kx, ci). */
#include "codegen/conv_vec.h"

#include <stdio.h>
#include <string.h>

gen_tile gen_vectors_of(int width)
{
    gen_tile t;
    t.width = width;
    t.rows = t.vectors = 1;
    t.type = width == 16 ? "vf16" : "vf8";
    t.load = width == 16 ? "vload16" : "vload";
    t.store = width == 16 ? "vstore16" : "vstore";
    t.splat = width == 16 ? "vsplat16" : "vsplat";
    return t;
}

gen_tile gen_vectors_for(const gen_ctx *c, int n)
{
    return gen_vectors_of(c->wide && n % 16 == 0 ? 16 : 8);
}

gen_tile gen_tile_for(const gen_ctx *c, int n_cols)
{
    gen_tile t = gen_vectors_for(c, n_cols);
    int max_acc = c->wide ? 24 : 12, max_rows = c->wide ? 12 : 8;
    int n_vectors = n_cols / t.width;
    t.vectors = c->wide && n_vectors % 4 == 0 ? 4 : n_vectors % 2 == 0 ? 2 : 1;
    t.rows = max_acc / t.vectors > max_rows ? max_rows : max_acc / t.vectors;
    return t;
}

void gen_emit_for_registers(gen_ctx *c, void (*emit)(gen_ctx *, const void *), const void *arg)
{
    char line[128];
    snprintf(line, sizeof line, "#ifdef %s", c->wide_macro);
    gen_pp(c, line);
    c->wide = 1;
    emit(c, arg);
    gen_pp(c, "#else");
    c->wide = 0;
    emit(c, arg);
    gen_pp(c, "#endif");
}

void gen_emit_for_width(gen_ctx *c, int n, void (*emit)(gen_ctx *, const void *),
                        const void *arg)
{
    if (n % 16 == 0)
        gen_emit_for_registers(c, emit, arg);
    else
        emit(c, arg);
}

/* Up to this many vectors of channels the bias sums stay in registers
 * across the pixels (one pass, in memory order); more take a pass each. */
#define BIAS_GRAD_REGISTERS 8

void gen_emit_bias_grad_tile(gen_ctx *c, const gen_tile *v, ir_activation a, const char *dz,
                             const char *y, long long npix, int ch)
{
    emitter *e = c->e;
    int nv = ch / v->width, in_regs = nv <= BIAS_GRAD_REGISTERS, k;
    char at[64], yv[96];
    gen_open_block(c);
    emit_line(e, "long px;");
    if (in_regs) {
        for (k = 0; k < nv; k++)
            emit_line(e, "%s gb%d = %s(0.0f);", v->type, k, v->splat);
    } else {
        emit_line(e, "int j;");
        gen_open_for(c, "j", 0, ch, v->width);
        emit_line(e, "%s gb0 = %s(0.0f);", v->type, v->splat);
    }
    gen_open_for(c, "px", 0, npix, 1);
    emit_line(e, "%s d;", v->type);
    for (k = 0; k < (in_regs ? nv : 1); k++) {
        if (in_regs)
            GEN_SUM(at, k * v->width, { "px", ch });
        else
            GEN_SUM(at, 0, { "px", ch }, { "j", 1 });
        emit_line(e, "d = %s(%s + %s);", v->load, dz, at);
        if (a != IR_LINEAR) {
            snprintf(yv, sizeof yv, "%s(%s + %s)", v->load, y, at);
            gen_vector_act_grad(c, a, v->width, "d", "d", yv);
            emit_line(e, "%s(%s + %s, d);", v->store, dz, at);
        }
        emit_line(e, "gb%d += d;", k);
    }
    emit_close(e, "");
    if (in_regs) {
        for (k = 0; k < nv; k++) {
            GEN_SUM(at, k * v->width, { "gbias", 1 });
            emit_line(e, "%s(%s, %s(%s) + gb%d);", v->store, at, v->load, at, k);
        }
    } else {
        emit_line(e, "%s(gbias + j, %s(gbias + j) + gb0);", v->store, v->load);
        emit_close(e, "");
    }
    gen_close_block(c);
}

typedef struct {
    ir_activation act;
    long long npix;
    int ch;
} bias_grad;

static void emit_bias_grad(gen_ctx *c, const void *arg)
{
    const bias_grad *b = arg;
    gen_tile v = gen_vectors_for(c, b->ch);
    gen_emit_bias_grad_tile(c, &v, b->act, "dz", "out", b->npix, b->ch);
}

void gen_emit_bias_grad_vector(gen_ctx *c, ir_activation a, long long npix, int ch)
{
    bias_grad b = { a, npix, ch };
    gen_emit_for_width(c, ch, emit_bias_grad, &b);
}

/* Where a tile starts along one axis: a loop variable, or a constant where
 * the axis has room for one tile only (no loop is opened then). */
typedef struct {
    const char *var;        /* NULL: the constant `at` */
    long long at;
} tile_pos;

static tile_pos open_tiles(gen_ctx *c, const char *var, long long to, long long step)
{
    tile_pos p = { var, 0 };
    if (to <= step)
        p.var = NULL;
    else if (step == 1)
        emit_open(c->e, "for (%s = 0; %s < %lld; %s++)", var, var, to, var);
    else
        emit_open(c->e, "for (%s = 0; %s < %lld; %s += %lld)", var, var, to, var, step);
    return p;
}

static void close_tiles(gen_ctx *c, tile_pos p)
{
    if (p.var)
        emit_close(c->e, "");
}

/* The term `coef * p` of an index: the variable's, or 0 (its constant part
 * goes to pos_at). */
static gen_term pos_term(tile_pos p, long long coef)
{
    gen_term t = { p.var ? p.var : "", p.var ? coef : 0 };
    return t;
}

static long long pos_at(tile_pos p, long long coef)
{
    return p.var ? 0 : p.at * coef;
}

/* A block of its own, so that a tile's locals stay inside. */
static void open_block(gen_ctx *c)
{
    emit_line(c->e, "{");
    c->e->depth++;
}

/* "int a, b, c;" of the names that are not NULL. */
static void emit_int_locals(gen_ctx *c, const char *const *names, int n)
{
    char line[128];
    size_t len = 0;
    int k;
    for (k = 0; k < n; k++)
        if (names[k])
            len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", len ? ", " : "int ",
                                    names[k]);
    if (len)
        emit_line(c->e, "%s;", line);
}

/* emit(c, arg, n, tile, a, cb): one register tile of n positions along an
 * axis (var `a`) x tile.vectors vectors of columns (var cb). */
typedef void (*tile_fn)(gen_ctx *c, const void *arg, int n, const gen_tile *tile, tile_pos a,
                        tile_pos cb);

/* One tile of n positions at a, over all `cols` columns; with own_block,
 * in a block of its own where no loop's braces scope its locals (a tile
 * after it would shadow them). */
static void emit_tile_at(gen_ctx *c, const void *arg, tile_fn emit, int n, const gen_tile *tile,
                         tile_pos a, int cols, int own_block)
{
    int per_tile = tile->width * tile->vectors;
    int bare = own_block && !a.var && cols <= per_tile;
    tile_pos cb;
    if (bare)
        open_block(c);
    cb = open_tiles(c, "cb", cols, per_tile);
    emit(c, arg, n, tile, a, cb);
    close_tiles(c, cb);
    if (bare)
        emit_close(c->e, "");
}

/* The tiles over [0, full) of the axis, `step` at a time, then one of the
 * `rest` positions after them, each over all `cols` columns. */
static void emit_tile_grid(gen_ctx *c, const void *arg, tile_fn emit, const char *var,
                           int full, int step, int rest, int cols, const gen_tile *tile)
{
    tile_pos a = open_tiles(c, var, full, step);
    emit_tile_at(c, arg, emit, step, tile, a, cols, rest > 0);
    close_tiles(c, a);
    if (rest > 0) {     /* a block only where the first tile's locals are not in a loop's */
        tile_pos last = { NULL, full };
        emit_tile_at(c, arg, emit, rest, tile, last, cols, !a.var);
    }
}

typedef struct {
    const char *dst, *src, *kern, *bias;    /* C expressions; bias may be NULL */
    int oh, ow, sh, sw;
    int src_w;                              /* pixels per row of src */
    int vlo, vhi;                           /* the rows of src that are not zero */
    int clo, chi;                           /* its columns that are not zero */
    int kh, kw, cin, cout;
    ir_activation act;                      /* applied to the sums when stored */
} conv_tiles;

/* The pixels of the tile of np from column ox whose tap kx reads a column of
 * src that is not zero, as a bit mask. */
static unsigned tap_pixels(const conv_tiles *t, int ox, int np, int kx)
{
    unsigned mask = 0;
    int p;
    for (p = 0; p < np; p++) {
        int col = (ox + p) * t->sw + kx;
        if (col >= t->clo && col < t->chi)
            mask |= 1u << p;
    }
    return mask;
}

/* Does the tile of np from column ox read a zero column of src? */
static int tile_clipped(const conv_tiles *t, int ox, int np)
{
    return ox * t->sw < t->clo || (ox + np - 1) * t->sw + t->kw - 1 >= t->chi;
}

/* The products of taps [kx0, kx1) of kernel row ky for the pixels in
 * `pixels` (a bit mask of the tile's np): the loop over (kx, ci). */
static void emit_tap_products(gen_ctx *c, const conv_tiles *t, int np, const gen_tile *tile,
                              int kx0, int kx1, unsigned pixels)
{
    emitter *e = c->e;
    int vb = tile->vectors, vw = tile->width, p, v;
    char x[96];
    gen_open_for(c, "j", (long long)kx0 * t->cin, (long long)kx1 * t->cin, 1);
    emit_raw(e, "%*sconst %s ", e->depth * 4, "", tile->type);
    for (v = 0; v < vb; v++)
        emit_raw(e, "w%d = %s(%s)%s", v, tile->load,
                 GEN_SUM(x, vw * v, { "kr", 1 }, { "j", t->cout }), v + 1 < vb ? ", " : ";\n");
    emit_line(e, "%s xv;", tile->type);
    for (p = 0; p < np; p++) {
        if (!(pixels >> p & 1))
            continue;
        emit_raw(e, "%*sxv = %s(xr[%s]);", e->depth * 4, "", tile->splat,
                 GEN_SUM(x, (long long)p * t->sw * t->cin, { "j", 1 }));
        for (v = 0; v < vb; v++)
            emit_raw(e, " a%d_%d += xv * w%d;", p, v, v);
        emit_raw(e, "\n");
    }
    emit_close(e, "");
}

static void emit_conv_tile(gen_ctx *c, const void *arg, int np, const gen_tile *tile,
                           tile_pos ox, tile_pos cb)
{
    const conv_tiles *t = arg;
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int vb = tile->vectors, vw = tile->width;
    long long xs = (long long)t->sw * t->cin;
    char x[96];
    int p, v;
    emit_line(e, "const float *%s xb = %s;", R,
              GEN_SUM(x, pos_at(ox, xs), { t->src, 1 },
                      { "oy", (long long)t->sh * t->src_w * t->cin }, pos_term(ox, xs)));
    emit_line(e, "const float *%s kb = %s;", R, GEN_SUM(x, pos_at(cb, 1), { t->kern, 1 },
                                                      pos_term(cb, 1)));
    emit_line(e, "float *%s ob = %s;", R,
              GEN_SUM(x, pos_at(ox, t->cout) + pos_at(cb, 1), { t->dst, 1 },
                      { "oy", (long long)t->ow * t->cout }, pos_term(ox, t->cout),
                      pos_term(cb, 1)));
    for (p = 0; p < np; p++) {
        emit_raw(e, "%*s%s ", e->depth * 4, "", tile->type);
        for (v = 0; v < vb; v++) {
            if (t->bias)
                emit_raw(e, "a%d_%d = %s(%s)%s", p, v, tile->load,
                         GEN_SUM(x, vw * v + pos_at(cb, 1), { t->bias, 1 }, pos_term(cb, 1)),
                         v + 1 < vb ? ", " : ";\n");
            else
                emit_raw(e, "a%d_%d = %s(0.0f)%s", p, v, tile->splat, v + 1 < vb ? ", " : ";\n");
        }
    }
    if (t->vlo > 0 && (t->oh - 1) * t->sh + t->kh > t->vhi)
        emit_open(e, "for (ky = ky0; ky < ky1; ky++)");
    else if (t->vlo > 0)
        emit_open(e, "for (ky = ky0; ky < %d; ky++)", t->kh);
    else if ((t->oh - 1) * t->sh + t->kh > t->vhi)
        emit_open(e, "for (ky = 0; ky < ky1; ky++)");
    else
        gen_open_for(c, "ky", 0, t->kh, 1);
    emit_line(e, "const float *%s xr = %s;", R,
              GEN_SUM(x, 0, { "xb", 1 }, { "ky", (long long)t->src_w * t->cin }));
    emit_line(e, "const float *%s kr = %s;", R,
              GEN_SUM(x, 0, { "kb", 1 }, { "ky", (long long)t->kw * t->cin * t->cout }));
    if (ox.var || !tile_clipped(t, (int)ox.at, np)) {
        emit_tap_products(c, t, np, tile, 0, t->kw, (1u << np) - 1);
    } else {
        /* a tile over the border: runs of kx whose taps read data columns
         * for the same pixels, each pixel's products in the same order */
        int kx = 0, end;
        while (kx < t->kw) {
            unsigned mask = tap_pixels(t, (int)ox.at, np, kx);
            for (end = kx + 1; end < t->kw && tap_pixels(t, (int)ox.at, np, end) == mask; end++)
                ;
            if (mask)
                emit_tap_products(c, t, np, tile, kx, end, mask);
            kx = end;
        }
    }
    emit_close(e, "");
    for (p = 0; p < np; p++) {
        emit_raw(e, "%*s", e->depth * 4, "");
        for (v = 0; v < vb; v++) {
            char a[32], y[48];
            snprintf(a, sizeof a, "a%d_%d", p, v);
            emit_raw(e, "%s(%s, %s);%s", tile->store,
                     GEN_SUM(x, (long long)p * t->cout + vw * v, { "ob", 1 }),
                     gen_vector_act_expr(y, sizeof y, t->act, vw, a), v + 1 < vb ? " " : "\n");
        }
    }
}

/* Tiles of at most `max` rows, as few as cover `extent` and as even as they
 * can be: 14 pixels in tiles of at most 6 go 5 + 5 + 4, not 6 + 6 + 2, whose
 * last tile has too few accumulators to keep the FMA units busy.  Which
 * tile computes an output does not change its sum: the bits stay. */
static int even_rows(int max, int extent)
{
    int tiles = (extent + max - 1) / max;
    return (extent + tiles - 1) / tiles;
}

/* The output rows in tiles of pb pixels and one of the rest: the tiles
 * that read a zero column of src (at the borders) at fixed columns, their
 * taps on the zeros left out, and a loop over the tiles between. */
static void emit_conv_tiles(gen_ctx *c, const void *arg)
{
    const conv_tiles *t = arg;
    emitter *e = c->e;
    gen_tile tile = gen_tile_for(c, t->cout);
    int pb = even_rows(tile.rows, t->ow);
    int n_full = t->ow / pb, rest = t->ow - n_full * pb, lo = 0, hi = n_full, k;
    char row[32];
    while (lo < n_full && tile_clipped(t, lo * pb, pb))
        lo++;
    while (hi > lo && tile_clipped(t, (hi - 1) * pb, pb))
        hi--;
    {
        const char *names[] = { "oy", hi - lo > 1 ? "ox" : NULL,
                                t->cout > tile.width * tile.vectors ? "cb" : NULL, "ky", "j" };
        emit_int_locals(c, names, 5);
    }
    gen_open_for(c, "oy", 0, t->oh, 1);
    /* Source row oy * sh + ky must lie in [vlo, vhi). */
    GEN_SUM(row, 0, { "oy", t->sh });
    if (t->vlo > 0)
        emit_line(e, "const int ky0 = %s < %d ? %d - %s : 0;", row, t->vlo, t->vlo, row);
    if ((t->oh - 1) * t->sh + t->kh > t->vhi)
        emit_line(e, "const int ky1 = %s + %d > %d ? %d - %s : %d;", row, t->kh, t->vhi, t->vhi,
                  row, t->kh);
    for (k = 0; k < n_full; k++) {
        tile_pos at = { NULL, (long long)k * pb };
        if (k == lo && hi - lo > 1) {
            tile_pos loop = { "ox", 0 };
            emit_open(e, "for (ox = %d; ox < %d; ox += %d)", lo * pb, hi * pb, pb);
            emit_tile_at(c, t, emit_conv_tile, pb, &tile, loop, t->cout, 1);
            emit_close(e, "");
            k = hi - 1;
        } else {
            emit_tile_at(c, t, emit_conv_tile, pb, &tile, at, t->cout, 1);
        }
    }
    if (rest > 0) {
        tile_pos at = { NULL, (long long)n_full * pb };
        emit_tile_at(c, t, emit_conv_tile, rest, &tile, at, t->cout, 1);
    }
    emit_close(e, "");
}

typedef struct {
    const char *gk, *src, *dz;
    int oh, ow, sh, sw, src_w, kh, kw, cin, cout;
    int vlo, vhi;                           /* the rows of src that are not zero */
} wgrad_tiles;

/* One tile of nr kernel rows from r0: of one ky (the loop variable), or
 * with `all_ky` of the kernel's (ky, kx, ci) rows, r0 a constant. */
static void emit_wgrad_tile(gen_ctx *c, const wgrad_tiles *t, int nr, const gen_tile *tile,
                            tile_pos r0, tile_pos cb, int all_ky)
{
    emitter *e = c->e;
    const char *R = c->restrict_kw;
    int vb = tile->vectors, vw = tile->width, row = t->kw * t->cin;
    char x[96];
    int r, v;
    emit_line(e, "const float *%s xr = %s;", R,
              GEN_SUM(x, all_ky ? 0 : pos_at(r0, 1), { t->src, 1 },
                      { "ky", all_ky ? 0 : (long long)t->src_w * t->cin }, pos_term(r0, 1)));
    emit_line(e, "float *%s gb = %s;", R,
              GEN_SUM(x, pos_at(r0, t->cout) + pos_at(cb, 1), { t->gk, 1 },
                      { "ky", all_ky ? 0 : (long long)row * t->cout }, pos_term(r0, t->cout),
                      pos_term(cb, 1)));
    for (r = 0; r < nr; r++) {
        emit_raw(e, "%*s%s ", e->depth * 4, "", tile->type);
        for (v = 0; v < vb; v++)
            emit_raw(e, "a%d_%d = %s(0.0f)%s", r, v, tile->splat, v + 1 < vb ? ", " : ";\n");
    }
    if (all_ky)
        gen_open_for(c, "oy", 0, t->oh, 1);
    else if (t->vlo > 0 && (t->oh - 1) * t->sh + t->kh > t->vhi)
        emit_open(e, "for (oy = oy0; oy < oy1; oy++)");
    else if (t->vlo > 0)
        emit_open(e, "for (oy = oy0; oy < %d; oy++)", t->oh);
    else if ((t->oh - 1) * t->sh + t->kh > t->vhi)
        emit_open(e, "for (oy = 0; oy < oy1; oy++)");
    else
        gen_open_for(c, "oy", 0, t->oh, 1);
    gen_open_for(c, "ox", 0, t->ow, 1);
    emit_line(e, "const float *%s xp = %s;", R,
              GEN_SUM(x, 0, { "xr", 1 }, { "oy", (long long)t->sh * t->src_w * t->cin },
                      { "ox", (long long)t->sw * t->cin }));
    emit_line(e, "const float *%s d = %s;", R,
              GEN_SUM(x, pos_at(cb, 1), { t->dz, 1 }, { "oy", (long long)t->ow * t->cout },
                      { "ox", t->cout }, pos_term(cb, 1)));
    emit_raw(e, "%*sconst %s ", e->depth * 4, "", tile->type);
    for (v = 0; v < vb; v++)
        emit_raw(e, "d%d = %s(%s)%s", v, tile->load, GEN_SUM(x, vw * v, { "d", 1 }),
                 v + 1 < vb ? ", " : ";\n");
    emit_line(e, "%s xv;", tile->type);
    for (r = 0; r < nr; r++) {
        /* with all_ky, row r0 + r is tap (ky, j) = divmod(r0 + r, row) */
        long long at = all_ky ? (r0.at + r) / row * t->src_w * t->cin + (r0.at + r) % row : r;
        emit_raw(e, "%*sxv = %s(xp[%lld]);", e->depth * 4, "", tile->splat, at);
        for (v = 0; v < vb; v++)
            emit_raw(e, " a%d_%d += xv * d%d;", r, v, v);
        emit_raw(e, "\n");
    }
    emit_close(e, "");
    emit_close(e, "");
    for (r = 0; r < nr; r++)
        for (v = 0; v < vb; v++) {
            GEN_SUM(x, (long long)r * t->cout + vw * v, { "gb", 1 });
            emit_line(e, "%s(%s, %s(%s) + a%d_%d);", tile->store, x, tile->load, x, r, v);
        }
}

static void wgrad_tile(gen_ctx *c, const void *arg, int n, const gen_tile *tile, tile_pos r0,
                       tile_pos cb)
{
    emit_wgrad_tile(c, arg, n, tile, r0, cb, 0);
}

/* With few (kx, ci) taps a row (one input channel), one tile holds the taps
 * of several ky and sweeps every output row, those whose taps read the zero
 * rows of src included: those taps add +-0 to the sums, which changes none
 * of their bits, and the tiles keep enough accumulators to fill the FMA
 * units (cnn_k3's first layer: 9 x 2 vectors instead of 3 x 2). */
static int wgrad_all_ky(const wgrad_tiles *t, const gen_tile *tile)
{
    return t->kh > 1 && 2 * t->kw * t->cin <= tile->rows;
}

static void emit_wgrad_all_ky(gen_ctx *c, const wgrad_tiles *t, const gen_tile *tile)
{
    int rows = t->kh * t->kw * t->cin, rb = even_rows(tile->rows, rows), r0;
    int cb_loop = t->cout > tile->width * tile->vectors;
    const char *names[] = { "oy", "ox", cb_loop ? "cb" : NULL };
    emit_int_locals(c, names, 3);
    for (r0 = 0; r0 < rows; r0 += rb) {
        tile_pos at = { NULL, r0 }, cb;
        open_block(c);
        cb = open_tiles(c, "cb", t->cout, tile->width * tile->vectors);
        emit_wgrad_tile(c, t, rows - r0 < rb ? rows - r0 : rb, tile, at, cb, 1);
        close_tiles(c, cb);
        emit_close(c->e, "");
    }
}

static void emit_wgrad_tiles(gen_ctx *c, const void *arg)
{
    const wgrad_tiles *t = arg;
    emitter *e = c->e;
    gen_tile tile = gen_tile_for(c, t->cout);
    int rows = t->kw * t->cin, rb, full, rest;
    char lo[48], hi[48];
    if (wgrad_all_ky(t, &tile)) {
        emit_wgrad_all_ky(c, t, &tile);
        return;
    }
    rb = even_rows(tile.rows, rows);
    full = rows / rb * rb;
    rest = rows - full;
    {
        const char *names[] = { "oy", "ox", t->cout > tile.width * tile.vectors ? "cb" : NULL, "ky",
                                full > rb ? "r" : NULL };
        emit_int_locals(c, names, 5);
    }
    gen_open_for(c, "ky", 0, t->kh, 1);
    /* Source row oy * sh + ky must lie in [vlo, vhi); a negative bound
     * divides to at most zero, so no row runs. */
    if (t->sh == 1) {
        snprintf(lo, sizeof lo, "%d - ky", t->vlo);
        snprintf(hi, sizeof hi, "%d - ky", t->vhi);
    } else {
        snprintf(lo, sizeof lo, "(%d - ky) / %d", t->vlo + t->sh - 1, t->sh);
        snprintf(hi, sizeof hi, "(%d - ky) / %d", t->vhi + t->sh - 1, t->sh);
    }
    if (t->vlo > 0)
        emit_line(e, "const int oy0 = ky < %d ? %s : 0;", t->vlo, lo);
    if ((t->oh - 1) * t->sh + t->kh > t->vhi)
        emit_line(e, "const int oy1 = %s < %d ? %s : %d;", hi, t->oh, hi, t->oh);
    emit_tile_grid(c, t, wgrad_tile, "r", full, rb, rest, t->cout, &tile);
    emit_close(e, "");
}

void gen_conv_vec_forward(gen_ctx *c, int i)
{
    const ir_layer *l = gen_layer(c, i);
    conv_tiles t;
    memset(&t, 0, sizeof t);
    t.dst = "out";
    t.src = "src";
    t.kern = "kern";
    t.bias = "bias";
    t.oh = l->out.h;
    t.ow = l->out.w;
    t.sh = l->sh;
    t.sw = l->sw;
    t.src_w = c->L->plan[i].pad_w;
    t.vlo = l->pad_top;
    t.vhi = l->pad_top + l->in.h;
    t.clo = l->pad_left;
    t.chi = l->pad_left + l->in.w;
    t.kh = l->kh;
    t.kw = l->kw;
    t.cin = l->in.c;
    t.cout = l->filters;
    t.act = gen_has_vector_act(l->act) ? l->act : IR_LINEAR;
    gen_emit_for_registers(c, emit_conv_tiles, &t);
}

void gen_conv_vec_wgrad(gen_ctx *c, int i)
{
    const ir_layer *l = gen_layer(c, i);
    wgrad_tiles t;
    t.gk = "gkern";
    t.src = "src";
    t.dz = "dz";
    t.oh = l->out.h;
    t.ow = l->out.w;
    t.sh = l->sh;
    t.sw = l->sw;
    t.src_w = c->L->plan[i].pad_w;
    t.vlo = l->pad_top;
    t.vhi = l->pad_top + l->in.h;
    t.kh = l->kh;
    t.kw = l->kw;
    t.cin = l->in.c;
    t.cout = l->filters;
    gen_emit_for_registers(c, emit_wgrad_tiles, &t);
}

/* dX[y][x] = sum over (a, b) of D[y + pt + a][x + pl + b] . KF[a][b], with D
 * the output gradient padded by KH-1 rows and KW-1 columns on every side and
 * KF[a][b] = K[KH-1-a][KW-1-b] transposed to (Cout, Cin). */
void gen_conv_vec_dx(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    conv_tiles t;
    char src[64], to[64], from[64];
    int dw = p->dzpad_w;
    gen_buf_ptr(c, "", "dpz", p->dzpad);
    gen_buf_ptr(c, "", "din", p->din);
    /* Only the rows of dz are copied: the tiles read no zero row (their ky
     * range) and no zero column (the border tiles leave those taps out),
     * so the border of dpz is never read and never written. */
    emit_line(e, "int y;");
    gen_open_for(c, "y", 0, l->out.h, 1);
    {
        char dst[96], srcp[96];
        snprintf(dst, sizeof dst, "dpz + %s",
                 GEN_SUM(to, (long long)((l->kh - 1) * dw + l->kw - 1) * l->filters,
                         { "y", (long long)dw * l->filters }));
        snprintf(srcp, sizeof srcp, "dz + %s",
                 GEN_SUM(from, 0, { "y", (long long)l->out.w * l->filters }));
        gen_emit_copy(c, dst, srcp, (long long)l->out.w * l->filters);
    }
    emit_close(e, "");
    if (l->pad_top || l->pad_left)
        snprintf(src, sizeof src, "(dpz + %d)", (l->pad_top * dw + l->pad_left) * l->filters);
    else
        snprintf(src, sizeof src, "dpz");
    memset(&t, 0, sizeof t);
    t.dst = "din";
    t.src = src;
    t.kern = "kflip";
    t.bias = NULL;
    t.oh = l->in.h;
    t.ow = l->in.w;
    t.sh = 1;
    t.sw = 1;
    t.src_w = dw;
    /* src row y + a is row y + a + pt of dpz, which holds dz rows from KH-1 on */
    t.vlo = l->kh - 1 - l->pad_top;
    t.vhi = l->kh - 1 - l->pad_top + l->out.h;
    t.clo = l->kw - 1 - l->pad_left;
    t.chi = l->kw - 1 - l->pad_left + l->out.w;
    t.kh = l->kh;
    t.kw = l->kw;
    t.cin = l->filters;
    t.cout = l->in.c;
    gen_emit_for_registers(c, emit_conv_tiles, &t);
}

/* KF[t] = K[taps - 1 - t] transposed, t the tap (a, b) numbered a * KW + b:
 * the flipped tap of (a, b) is (KH-1-a, KW-1-b). */
void gen_conv_flip_function(gen_ctx *c, int i, const char *fname)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const char *R = c->restrict_kw;
    long long taps = (long long)l->kh * l->kw, cin = l->in.c, cout = l->filters;
    char flipped[32], to[96], from[96];
    snprintf(flipped, sizeof flipped, "(%lld - t)", taps - 1);
    emit_open_fn(e, "static void %s(const float *%s params, float *%s kflip)", fname, R, R);
    emit_line(e, "const float *%s kern = params + %s%s;", R, c->mprefix,
              gen_ten(c, c->L->plan[i].kernel));
    emit_line(e, "int t, ci, co;");
    gen_open_for(c, "t", 0, taps, 1);
    gen_open_for(c, "co", 0, cout, 1);
    gen_open_for(c, "ci", 0, cin, 1);
    emit_line(e, "kflip[%s] = kern[%s];",
              GEN_SUM(to, 0, { "t", cout * cin }, { "co", cin }, { "ci", 1 }),
              GEN_SUM(from, 0, { flipped, taps > 1 ? cin * cout : 0 }, { "ci", cout }, { "co", 1 }));
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}
