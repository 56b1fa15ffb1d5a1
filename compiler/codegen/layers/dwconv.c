/* dwconv.c - the depthwise convolution's emitter (Keras DepthwiseConv2D):
 * output channel co = ci*M + m is input channel ci convolved with its own
 * KH x KW filter, kernel (KH, KW, Cin, M).  Every loop runs over the output
 * channels alone, contiguous in HWC and in the kernel: the source is the
 * input itself for M = 1, and for M > 1 a copy with each channel repeated M
 * times (the `rep` buffer, (H, W, Cin*M)), whose input gradient (`drep`) is
 * summed back over the copies.  Nothing is padded, so nothing is zeroed,
 * copied or cut back out: each output row takes the kernel rows that fall
 * on input rows (a tap range computed per row), and each column the taps
 * that fall on input columns.
 *
 * The vector kernels (Cin*M a multiple of 8) work on 8 channels, or 16
 * under AVX-512 where Cin*M is a multiple of 16, and a tile of neighbouring
 * output pixels of one row.  Each source vector is loaded once per kernel
 * row and used by every tap of the tile that reads it, and all sums stay
 * in registers.  The tiles of a row are a loop over the inner
 * columns, whose taps all lie inside the input, and tiles at fixed columns
 * over the borders, whose outside taps are left out when generated.
 *   - forward: DW_TILE pixels (DW_TILE_WIDE), their sums across all taps,
 *     the activation applied to them before they are stored;
 *   - kernel gradient: for each output row and kernel row, the KW taps'
 *     sums across the whole row, loaded and stored once;
 *   - input gradient, stride 1: the forward kernel run over the output
 *     gradient with the flipped kernel, each input pixel written once; with
 *     a stride, each tap's product is added to the input gradient in place.
 * The plain loops clip the tap ranges per pixel. */
#include "codegen/conv_vec.h"
#include "codegen/layer_emitter.h"

#include <stdio.h>
#include <string.h>

/* Most output pixels per forward and per kernel-gradient tile, and the
 * vector registers a tile may take: AVX2 has 16, AVX-512 32. */
#define DW_TILE 8
#define DW_GRAD_TILE 4
#define DW_REGISTERS 15
#define DW_TILE_WIDE 12
#define DW_GRAD_TILE_WIDE 6
#define DW_REGISTERS_WIDE 31

static int out_channels(const ir_layer *l)
{
    return l->in.c * l->multiplier;
}

/* The vectors the kernels work on: 16 channels under AVX-512 (c->wide) where
 * the channels come in sixteens, else 8. */
static gen_tile dw_vectors(const gen_ctx *c, const ir_layer *l)
{
    return gen_vectors_for(c, out_channels(l));
}

static int dw_registers(const gen_ctx *c)
{
    return c->wide ? DW_REGISTERS_WIDE : DW_REGISTERS;
}

/* ---- plan --------------------------------------------------------------- */

static void dwconv_plan(gen_layout *L, int i)
{
    const ir_layer *l = &L->m->layers[i];
    gen_layer_plan *p = &L->plan[i];
    int cout = out_channels(l), mult = l->multiplier;
    int ks[4] = { l->kh, l->kw, l->in.c, mult };
    int bs[1] = { cout };
    /* Keras' fans of a (KH, KW, Cin, M) kernel */
    p->kernel = gen_layout_tensor(L, p->name, "kernel", 4, ks, 1, l->kh * l->kw * l->in.c,
                                  l->kh * l->kw * mult);
    p->bias = gen_layout_tensor(L, p->name, "bias", 1, bs, 0, 0, 0);
    p->has_backward = 1;
    p->vec = cout % 8 == 0;
    if (mult > 1) {
        ir_shape rs = { l->in.h, l->in.w, cout };
        p->pad = gen_layout_shaped(L, p->name, "rep", rs);
        if (p->din >= 0)
            p->dpad = gen_layout_shaped(L, p->name, "drep", rs);
    }
    gen_layout_output(L, i);
    gen_plan_common_args(L, i, 0, 1, GEN_BOTH);
    if (L->training)        /* the kernel gradient reads the input, unless copied */
        gen_plan_common_args(L, i, 1, p->pad < 0, GEN_BOTH);
}

/* ---- geometry ------------------------------------------------------------- */

/* A pass shaped like a convolution over the Cin*M channels: output pixel
 * (oy, ox) of dst sums tap (ky, kx) of the kernel times pixel
 * (oy*sh - pt + ky, ox*sw - pl + kx) of src where that lies inside src.
 * The forward pass is one; so is the input gradient with stride 1: the
 * output gradient with the kernel flipped and the padding K-1-p. */
typedef struct {
    const char *src, *dst;
    int src_h, src_w, dst_h, dst_w;
    int sh, sw, pt, pl;
    int flip;           /* tap (ky, kx) reads kernel tap (KH-1-ky, KW-1-kx) */
    int bias;           /* sums start at the bias (else at zero) */
    ir_activation act;  /* applied to the sums */
} dw_pass;

static dw_pass forward_pass(const ir_layer *l)
{
    dw_pass g = { "src", "out", l->in.h, l->in.w, l->out.h, l->out.w,
                  l->sh, l->sw, l->pad_top, l->pad_left, 0, 1, l->act };
    return g;
}

static dw_pass input_grad_pass(const ir_layer *l)
{
    dw_pass g = { "dz", "dsrc", l->out.h, l->out.w, l->in.h, l->in.w,
                  1, 1, l->kh - 1 - l->pad_top, l->kw - 1 - l->pad_left, 1, 0, IR_LINEAR };
    return g;
}

/* The output columns [*lo, *hi) whose taps all lie inside the source. */
static void inner_columns(const dw_pass *g, int kw, int *lo, int *hi)
{
    int right = g->src_w - kw + g->pl;      /* last ox * sw with every tap inside */
    *lo = (g->pl + g->sw - 1) / g->sw;
    *hi = right < 0 ? 0 : right / g->sw + 1;
    if (*lo > g->dst_w)
        *lo = g->dst_w;
    if (*hi > g->dst_w)
        *hi = g->dst_w;
    if (*hi < *lo)
        *hi = *lo;
}

/* The bounds of a tap loop: constants, or the locals of emit_tap_range. */
typedef struct {
    char lo[16], hi[16];
} dw_range;

/* The taps [lo, hi) of a window of `taps` at position pos * s - pad that
 * fall inside [0, n): variables k0 and k1 where some of the `count`
 * positions need them, constants otherwise. */
static void tap_range(dw_range *r, const char *k, int s, int pad, int taps, int n, int count)
{
    if (pad > 0)
        snprintf(r->lo, sizeof r->lo, "%s0", k);
    else
        snprintf(r->lo, sizeof r->lo, "0");
    if ((count - 1) * s - pad + taps > n)
        snprintf(r->hi, sizeof r->hi, "%s1", k);
    else
        snprintf(r->hi, sizeof r->hi, "%d", taps);
}

/* `const int iy = oy * s - pad;` (names from `pos` and `first`) and the
 * variables of tap_range. */
static void emit_tap_range(gen_ctx *c, dw_range *r, const char *pos, const char *first,
                           const char *k, int s, int pad, int taps, int n, int count)
{
    emitter *e = c->e;
    char x[64];
    tap_range(r, k, s, pad, taps, n, count);
    emit_line(e, "const int %s = %s;", first, GEN_SUM(x, -pad, { pos, s }));
    if (strcmp(r->lo, "0") != 0)
        emit_line(e, "const int %s = %s < 0 ? -%s : 0;", r->lo, first, first);
    if (r->hi[0] < '0' || r->hi[0] > '9')
        emit_line(e, "const int %s = %s + %d > %d ? %d - %s : %d;", r->hi, first, taps, n, n,
                  first, taps);
}

static void row_range(const ir_layer *l, const dw_pass *g, dw_range *r)
{
    tap_range(r, "ky", g->sh, g->pt, l->kh, g->src_h, g->dst_h);
}

static void emit_row_range(gen_ctx *c, const ir_layer *l, const dw_pass *g, dw_range *r)
{
    emit_tap_range(c, r, "oy", "iy", "ky", g->sh, g->pt, l->kh, g->src_h, g->dst_h);
}

static void emit_column_range(gen_ctx *c, const ir_layer *l, const dw_pass *g, dw_range *r)
{
    emit_tap_range(c, r, "ox", "ix", "kx", g->sw, g->pl, l->kw, g->src_w, g->dst_w);
}

/* `for (k = lo; k < hi; k++) {` */
static void open_tap_loop(gen_ctx *c, const char *k, const dw_range *r)
{
    emit_open(c->e, "for (%s = %s; %s < %s; %s++)", k, r->lo, k, r->hi, k);
}

/* ---- the input copied M times, and its gradient summed back ------------- */

/* rep = the input with each channel repeated M times. */
static void emit_expand(gen_ctx *c, const ir_layer *l)
{
    emitter *e = c->e;
    long long cin = l->in.c, mult = l->multiplier;
    char x[64];
    gen_open_block(c);
    emit_line(e, "long px;");
    emit_line(e, "int ci, m;");
    gen_open_for(c, "px", 0, (long long)l->in.h * l->in.w, 1);
    gen_open_for(c, "ci", 0, cin, 1);
    emit_line(e, "const float v = in[%s];", GEN_SUM(x, 0, { "px", cin }, { "ci", 1 }));
    gen_open_for(c, "m", 0, mult, 1);
    emit_line(e, "src[%s] = v;", GEN_SUM(x, 0, { "px", cin * mult }, { "ci", mult }, { "m", 1 }));
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    gen_close_block(c);
}

/* din = dsrc (the gradient of rep), each input channel's M copies summed. */
static void emit_reduce(gen_ctx *c, const ir_layer *l)
{
    emitter *e = c->e;
    long long cin = l->in.c, mult = l->multiplier;
    char x[64];
    gen_open_block(c);
    emit_line(e, "long px;");
    emit_line(e, "int ci, m;");
    gen_open_for(c, "px", 0, (long long)l->in.h * l->in.w, 1);
    gen_open_for(c, "ci", 0, cin, 1);
    emit_line(e, "float sum = 0.0f;");
    gen_open_for(c, "m", 0, mult, 1);
    emit_line(e, "sum += dsrc[%s];",
              GEN_SUM(x, 0, { "px", cin * mult }, { "ci", mult }, { "m", 1 }));
    emit_close(e, "");
    emit_line(e, "din[%s] = sum;", GEN_SUM(x, 0, { "px", cin }, { "ci", 1 }));
    emit_close(e, "");
    emit_close(e, "");
    gen_close_block(c);
}

/* ---- shared pieces -------------------------------------------------------- */

/* `float *R name = base + oy * <row>;`: output row oy of an (H, W, Cout) buffer. */
static void emit_row_ptr(gen_ctx *c, const ir_layer *l, const char *cq, const char *name,
                         const char *base)
{
    char at[64];
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", cq, c->restrict_kw, name, base,
              GEN_SUM(at, 0, { "oy", (long long)l->out.w * out_channels(l) }));
}

/* The activation over the output row just computed. */
static void emit_row_act(gen_ctx *c, const ir_layer *l)
{
    emitter *e = c->e;
    gen_open_block(c);
    emit_row_ptr(c, l, "", "orow", "out");
    emit_line(e, "int j;");
    gen_open_for(c, "j", 0, (long long)l->out.w * out_channels(l), 1);
    gen_apply_act(c, l->act, "orow[j]", "orow[j]");
    emit_close(e, "");
    gen_close_block(c);
}

/* dz *= act'(out) over row oy and the bias gradient's sums of it, before
 * the row's kernels read it: gen_emit_bias_grad over the row, or where
 * `vector` is set gen_emit_bias_grad_tile, which gives the same bits (both
 * builds sum row by row). */
static void emit_row_bias_grad(gen_ctx *c, const ir_layer *l, int vector)
{
    gen_open_block(c);
    if (l->act != IR_LINEAR)
        emit_row_ptr(c, l, "const ", "orow", "out");
    emit_row_ptr(c, l, "", "drow", "dz");
    if (vector) {
        gen_tile v = dw_vectors(c, l);
        gen_emit_bias_grad_tile(c, &v, l->act, "drow", "orow", l->out.w, out_channels(l));
    } else {
        gen_emit_bias_grad(c, l->act, "drow", "orow", l->out.w, out_channels(l));
    }
    gen_close_block(c);
}

/* `const float *R name = base + (offset of tap (ky, kx) [+ co])`, of a
 * (KH, KW, Cout) kernel, flipped or not. */
static void emit_kernel_tap(gen_ctx *c, const ir_layer *l, const char *cq, const char *name,
                            const char *base, int flip, int plus_co)
{
    long long ch = out_channels(l);
    char x[128], fy[24], fx[24];
    snprintf(fy, sizeof fy, "(%d - ky)", l->kh - 1);
    snprintf(fx, sizeof fx, "(%d - kx)", l->kw - 1);
    emit_line(c->e, "%sfloat *%s %s = %s + %s;", cq, c->restrict_kw, name, base,
              GEN_SUM(x, 0, { flip ? fy : "ky", l->kw * ch }, { flip ? fx : "kx", ch },
                      { "co", plus_co }));
}

/* `name = base + (offset of pixel (iy + ky, ix + kx) [+ co])` in a source
 * `w` pixels wide: the int sum first, so that no pointer leaves the buffer
 * on the way. */
static void emit_source_tap(gen_ctx *c, const ir_layer *l, const char *cq, const char *name,
                            const char *base, int w, int plus_co)
{
    long long ch = out_channels(l);
    char x[128];
    emit_line(c->e, "%sfloat *%s %s = %s + (%s);", cq, c->restrict_kw, name, base,
              GEN_SUM(x, 0, { "iy", w * ch }, { "ky", w * ch }, { "ix", ch }, { "kx", ch },
                      { "co", plus_co }));
}

/* ---- passes shaped like a convolution (forward, stride-1 input gradient) - */

static void emit_pass_plain(gen_ctx *c, const ir_layer *l, const dw_pass *g)
{
    emitter *e = c->e;
    int cout = out_channels(l);
    dw_range ry, rx;
    char x[96];
    emit_line(e, "int ox, oy, ky, kx, co;");
    gen_open_for(c, "oy", 0, g->dst_h, 1);
    emit_row_range(c, l, g, &ry);
    gen_open_for(c, "ox", 0, g->dst_w, 1);
    emit_column_range(c, l, g, &rx);
    emit_line(e, "float *%s o = %s + %s;", c->restrict_kw, g->dst,
              GEN_SUM(x, 0, { "oy", (long long)g->dst_w * cout }, { "ox", cout }));
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, g->bias ? "o[co] = bias[co];" : "o[co] = 0.0f;");
    emit_close(e, "");
    open_tap_loop(c, "ky", &ry);
    open_tap_loop(c, "kx", &rx);
    emit_source_tap(c, l, "const ", "xp", g->src, g->src_w, 0);
    emit_kernel_tap(c, l, "const ", "kp", "kern", g->flip, 0);
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "o[co] += xp[co] * kp[co];");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    if (g->act != IR_LINEAR) {
        gen_open_for(c, "co", 0, cout, 1);
        gen_apply_act(c, g->act, "o[co]", "o[co]");
        emit_close(e, "");
    }
    emit_close(e, "");
    emit_close(e, "");
}

/* A tile's pixels t (0 <= t < n) and taps kx read source column
 * ix + t*sw + kx of the window's first column ix: for source column
 * ix + j, the taps of pixel t with kx = j - t*sw.  Each source vector is
 * loaded once and used by every tap that reads it. */
static int tap_of(const ir_layer *l, const dw_pass *g, int j, int t)
{
    int kx = j - t * g->sw;
    return kx >= 0 && kx < l->kw ? kx : -1;
}

/* Is source column ix + j inside the source?  (ix < 0: a tile in the loop,
 * whose columns all are.) */
static int column_inside(const dw_pass *g, int fixed, int ix, int j)
{
    return !fixed || (ix + j >= 0 && ix + j < g->src_w);
}

/* The tiles of an output row: tiles at fixed positions over the border
 * columns, whose taps outside the source are left out, and a loop over
 * tiles of inner columns; `tile(c, l, g, ox, n)` emits one tile of n
 * pixels from column ox (-1: the loop's `ox`). */
typedef void dw_tile_fn(gen_ctx *c, const ir_layer *l, const dw_pass *g, int ox, int n);

static void emit_row_tiles(gen_ctx *c, const ir_layer *l, const dw_pass *g, int size,
                           dw_tile_fn *tile)
{
    int lo, hi, end, ox;
    inner_columns(g, l->kw, &lo, &hi);
    end = lo + (hi - lo) / size * size;
    for (ox = 0; ox < lo; ox += size)
        tile(c, l, g, ox, lo - ox < size ? lo - ox : size);
    if (end > lo) {
        gen_open_for(c, "ox", lo, end, size);
        tile(c, l, g, -1, size);
        emit_close(c->e, "");
    }
    for (ox = end; ox < g->dst_w; ox += size)
        tile(c, l, g, ox, g->dst_w - ox < size ? g->dst_w - ox : size);
}

/* Output pixels per forward tile: its sums, the kernel row's vectors and
 * the source vector in registers. */
static int pass_tile(const gen_ctx *c, const ir_layer *l)
{
    int n = dw_registers(c) - 1 - l->kw, most = c->wide ? DW_TILE_WIDE : DW_TILE;
    return n > most ? most : n < 2 ? 2 : n;
}

/* Does the row have a loop over tiles (which needs `ox`)? */
static int row_has_loop(const ir_layer *l, const dw_pass *g, int size)
{
    int lo, hi;
    inner_columns(g, l->kw, &lo, &hi);
    return hi - lo >= size;
}

/* The products of a tile of n pixels, input column by input column: each
 * input vector the tile reads (`xp` + its column) is loaded once into x and
 * multiplied by every tap of every pixel that reads it; the forward adds
 * x * k<kx> to pixel t's sum a<t>, the kernel gradient x * d<t> to pixel
 * t's sum g<t>_<kx> of tap kx. */
static void emit_tile_products(gen_ctx *c, const ir_layer *l, const dw_pass *g, int fixed, int ix,
                               int n, int kernel_grad)
{
    emitter *e = c->e;
    long long ch = out_channels(l);
    int span = (n - 1) * g->sw + l->kw, t, j, kx;
    gen_tile v = dw_vectors(c, l);
    char x[96];
    emit_line(e, "%s x;", v.type);
    for (j = 0; j < span; j++) {
        int first = 1;
        if (!column_inside(g, fixed, ix, j))
            continue;
        for (t = 0; t < n; t++) {
            if ((kx = tap_of(l, g, j, t)) < 0)
                continue;
            if (first)
                emit_line(e, "x = %s(%s);", v.load, GEN_SUM(x, (ix + j) * ch, { "xp", 1 }));
            first = 0;
            if (kernel_grad)
                emit_line(e, "g%d_%d += x * d%d;", t, kx, t);
            else
                emit_line(e, "a%d += x * k%d;", t, kx);
        }
    }
}

/* One forward tile: n output pixels from column ox (-1: the loop's) of
 * row oy, 8 channels at a time, sums in registers across all taps. */
static void emit_pass_tile(gen_ctx *c, const ir_layer *l, const dw_pass *g, int ox, int n)
{
    emitter *e = c->e;
    long long ch = out_channels(l), rw = (long long)g->src_w * ch;
    int fixed = ox >= 0, ix = fixed ? ox * g->sw - g->pl : 0;
    int span = (n - 1) * g->sw + l->kw, used[IR_MAX_KERNEL] = { 0 }, t, j, kx;
    dw_range ry;
    gen_tile v = dw_vectors(c, l);
    char x[160];
    for (j = 0; j < span; j++)
        for (t = 0; t < n; t++)
            if (column_inside(g, fixed, ix, j) && (kx = tap_of(l, g, j, t)) >= 0)
                used[kx] = 1;
    if (fixed)
        emit_line(e, "/* columns %d to %d%s */", ox, ox + n - 1,
                  ix < 0 || ix + span > g->src_w ? ": the taps outside the input left out" : "");
    if (fixed)
        gen_open_block(c);
    else
        emit_line(e, "const int ix = %s;", GEN_SUM(x, -g->pl, { "ox", g->sw }));
    emit_line(e, "float *%s o = %s + %s;", c->restrict_kw, g->dst,
              GEN_SUM(x, fixed ? ox * ch : 0, { "oy", (long long)g->dst_w * ch },
                      { fixed ? "" : "ox", fixed ? 0 : ch }));
    gen_open_for(c, "co", 0, ch, v.width);
    emit_raw(e, "%*s%s ", e->depth * 4, "", v.type);
    for (t = 0; t < n; t++)
        emit_raw(e, "a%d = %s(%s)%s", t, g->bias ? v.load : v.splat, g->bias ? "bias + co" : "0.0f",
                 t + 1 < n ? ", " : ";\n");
    row_range(l, g, &ry);
    open_tap_loop(c, "ky", &ry);
    emit_line(e, "const float *%s xp = %s + (%s);", c->restrict_kw, g->src,
              GEN_SUM(x, 0, { "iy", rw }, { "ky", rw }, { fixed ? "" : "ix", fixed ? 0 : ch },
                      { "co", 1 }));
    if (g->flip) {
        char fy[24];
        snprintf(fy, sizeof fy, "(%d - ky)", l->kh - 1);
        emit_line(e, "const float *%s kp = kern + %s;", c->restrict_kw,
                  GEN_SUM(x, 0, { fy, l->kw * ch }, { "co", 1 }));
    } else {
        emit_line(e, "const float *%s kp = kern + %s;", c->restrict_kw,
                  GEN_SUM(x, 0, { "ky", l->kw * ch }, { "co", 1 }));
    }
    for (kx = 0; kx < l->kw; kx++)
        if (used[kx])
            emit_line(e, "const %s k%d = %s(%s);", v.type, kx, v.load,
                      GEN_SUM(x, (g->flip ? l->kw - 1 - kx : kx) * ch, { "kp", 1 }));
    emit_tile_products(c, l, g, fixed, ix, n, 0);
    emit_close(e, "");
    for (t = 0; t < n; t++) {
        char a[16];
        snprintf(a, sizeof a, "a%d", t);
        gen_vector_act(c, g->act, v.width, a, a);
    }
    for (t = 0; t < n; t++)
        emit_line(e, "%s(%s, a%d);", v.store, GEN_SUM(x, t * ch, { "o", 1 }, { "co", 1 }), t);
    emit_close(e, "");
    if (fixed)
        gen_close_block(c);
}

/* The rows of a pass; the activation in the tiles, or where it has no
 * vector form, over each row while it is in the first-level cache. */
static void emit_pass_vector(gen_ctx *c, const ir_layer *l, const dw_pass *g)
{
    emitter *e = c->e;
    emit_line(e, row_has_loop(l, g, pass_tile(c, l)) ? "int ox, oy, ky, co;" : "int oy, ky, co;");
    dw_range ry;
    gen_open_for(c, "oy", 0, g->dst_h, 1);
    emit_row_range(c, l, g, &ry);
    emit_row_tiles(c, l, g, pass_tile(c, l), emit_pass_tile);
    if (!gen_has_vector_act(g->act))
        emit_row_act(c, l);
    emit_close(e, "");
}

/* ---- forward ------------------------------------------------------------ */

static void emit_forward_vector(gen_ctx *c, const void *arg)
{
    const ir_layer *l = arg;
    dw_pass g = forward_pass(l);
    gen_open_block(c);
    emit_pass_vector(c, l, &g);
    gen_close_block(c);
}

static void dwconv_forward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    dw_pass g = forward_pass(l);
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "forward", 0);
    gen_open_layer_fn(c, i, 0, fname);
    emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
    emit_line(e, "const float *%s bias = params + %s%s;", R, M, gen_ten(c, p->bias));
    gen_in_ptr(c, i, "in", NULL);
    gen_buf_ptr(c, "", "out", p->out);
    if (p->pad >= 0) {
        gen_buf_ptr(c, "", "src", p->pad);
        emit_expand(c, l);
    } else {
        emit_line(e, "const float *%s src = in;", R);
    }
    if (p->vec) {
        gen_pp_vector(c, 1);
        gen_emit_for_width(c, out_channels(l), emit_forward_vector, l);
        gen_pp(c, "#else");
    }
    gen_open_block(c);
    emit_pass_plain(c, l, &g);
    gen_close_block(c);
    if (p->vec)
        gen_pp(c, "#endif");
    emit_close(e, "");
}

/* ---- backward ----------------------------------------------------------- */

/* Kernel and input gradients in one pass over pixels and taps: gk += x * d,
 * dx += k * d (dsrc zeroed before). */
static void emit_backward_plain(gen_ctx *c, const ir_layer *l, int has_dx)
{
    emitter *e = c->e;
    dw_pass g = forward_pass(l);
    dw_range ry, rx;
    int cout = out_channels(l);
    char x[96];
    emit_line(e, "int ox, oy, ky, kx, co;");
    gen_open_for(c, "oy", 0, l->out.h, 1);
    emit_row_range(c, l, &g, &ry);
    gen_open_for(c, "ox", 0, l->out.w, 1);
    emit_column_range(c, l, &g, &rx);
    emit_line(e, "const float *%s d = dz + %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "oy", (long long)l->out.w * cout }, { "ox", cout }));
    open_tap_loop(c, "ky", &ry);
    open_tap_loop(c, "kx", &rx);
    emit_source_tap(c, l, "const ", "xp", "src", l->in.w, 0);
    emit_kernel_tap(c, l, "", "gk", "gkern", 0, 0);
    if (has_dx) {
        emit_source_tap(c, l, "", "dx", "dsrc", l->in.w, 0);
        emit_kernel_tap(c, l, "const ", "kp", "kern", 0, 0);
    }
    gen_open_for(c, "co", 0, cout, 1);
    emit_line(e, "gk[co] += xp[co] * d[co];");
    if (has_dx)
        emit_line(e, "dx[co] += kp[co] * d[co];");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

/* Output pixels per kernel-gradient tile.  Each pixel of a tile adds into
 * its own set of the KW taps' sums, so that every chain of additions takes
 * one FMA per tile and the tile's FMAs all run in parallel: n * KW sums,
 * n output-gradient vectors and the source vector in registers. */
static int grad_tile(const gen_ctx *c, const ir_layer *l)
{
    int n = (dw_registers(c) - 1) / (l->kw + 1), most = c->wide ? DW_GRAD_TILE_WIDE : DW_GRAD_TILE;
    return n > most ? most : n < 1 ? 1 : n;
}

/* One kernel-gradient tile: n output pixels from column ox (-1: the
 * loop's) of row oy, for kernel row ky and 8 channels: g<t>_<kx> += x * d<t>
 * for pixel t. */
static void emit_grad_tile(gen_ctx *c, const ir_layer *l, const dw_pass *g, int ox, int n)
{
    emitter *e = c->e;
    long long ch = out_channels(l);
    int fixed = ox >= 0, ix = fixed ? ox * g->sw - g->pl : 0;
    int span = (n - 1) * g->sw + l->kw, t;
    gen_tile v = dw_vectors(c, l);
    char x[128];
    if (fixed)
        emit_line(e, "/* columns %d to %d%s */", ox, ox + n - 1,
                  ix < 0 || ix + span > g->src_w ? ": the taps outside the input left out" : "");
    if (fixed) {
        gen_open_block(c);
        emit_line(e, "const float *%s xp = xr + co;", c->restrict_kw);
        emit_line(e, "const float *%s dp = dr + co;", c->restrict_kw);
    } else {
        emit_line(e, "const float *%s xp = xr + (%s);", c->restrict_kw,
                  GEN_SUM(x, -g->pl * ch, { "ox", g->sw * ch }, { "co", 1 }));
        emit_line(e, "const float *%s dp = dr + (%s);", c->restrict_kw,
                  GEN_SUM(x, 0, { "ox", ch }, { "co", 1 }));
    }
    for (t = 0; t < n; t++)
        emit_line(e, "const %s d%d = %s(%s);", v.type, t, v.load,
                  GEN_SUM(x, (fixed ? ox + t : t) * ch, { "dp", 1 }));
    emit_tile_products(c, l, g, fixed, ix, n, 1);
    if (fixed)
        gen_close_block(c);
}

/* The kernel gradient of output row oy: for each kernel row in range and
 * each 8 channels, the KW taps' sums in registers across the row, loaded
 * and stored once. */
static void emit_grad_row(gen_ctx *c, const ir_layer *l, const dw_range *ry)
{
    emitter *e = c->e;
    dw_pass g = forward_pass(l);
    int sets = grad_tile(c, l), kx, t;
    long long ch = out_channels(l);
    gen_tile v = dw_vectors(c, l);
    char x[96];
    open_tap_loop(c, "ky", ry);
    emit_line(e, "const float *%s xr = src + (%s);", c->restrict_kw,
              GEN_SUM(x, 0, { "iy", l->in.w * ch }, { "ky", l->in.w * ch }));
    emit_line(e, "const float *%s dr = dz + %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "oy", l->out.w * ch }));
    emit_line(e, "float *%s gr = gkern + %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "ky", l->kw * ch }));
    gen_open_for(c, "co", 0, ch, v.width);
    for (t = 0; t < sets; t++) {
        emit_raw(e, "%*s%s ", e->depth * 4, "", v.type);
        for (kx = 0; kx < l->kw; kx++) {
            if (t == 0)
                emit_raw(e, "g0_%d = %s(%s)", kx, v.load,
                         GEN_SUM(x, kx * ch, { "gr", 1 }, { "co", 1 }));
            else
                emit_raw(e, "g%d_%d = %s(0.0f)", t, kx, v.splat);
            emit_raw(e, kx + 1 < l->kw ? ", " : ";\n");
        }
    }
    emit_row_tiles(c, l, &g, sets, emit_grad_tile);
    for (kx = 0; kx < l->kw; kx++) {
        char sum[128];
        size_t len = 0;
        for (t = 0; t < sets; t++)
            len += (size_t)snprintf(sum + len, sizeof sum - len, "%sg%d_%d", t ? " + " : "", t, kx);
        emit_line(e, "%s(%s, %s);", v.store, GEN_SUM(x, kx * ch, { "gr", 1 }, { "co", 1 }), sum);
    }
    emit_close(e, "");
    emit_close(e, "");
}

/* With a stride, the input gradient of output row oy: each tap's k * d
 * added to the input pixel it reads. */
static void emit_dx_scatter_row(gen_ctx *c, const ir_layer *l, const dw_range *ry)
{
    emitter *e = c->e;
    dw_pass g = forward_pass(l);
    dw_range rx;
    long long ch = out_channels(l);
    gen_tile v = dw_vectors(c, l);
    char x[96];
    gen_open_for(c, "ox", 0, l->out.w, 1);
    emit_column_range(c, l, &g, &rx);
    emit_line(e, "const float *%s d = dz + %s;", c->restrict_kw,
              GEN_SUM(x, 0, { "oy", l->out.w * ch }, { "ox", ch }));
    open_tap_loop(c, "ky", ry);
    open_tap_loop(c, "kx", &rx);
    emit_source_tap(c, l, "", "dx", "dsrc", l->in.w, 0);
    emit_kernel_tap(c, l, "const ", "kp", "kern", 0, 0);
    gen_open_for(c, "co", 0, ch, v.width);
    emit_line(e, "%s(dx + co, %s(dx + co) + %s(kp + co) * %s(d + co));", v.store, v.load, v.load,
              v.load);
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
}

typedef struct {
    const ir_layer *l;
    int has_dx;
} dw_backward;

static void emit_backward_vector(gen_ctx *c, const void *arg)
{
    const dw_backward *b = arg;
    const ir_layer *l = b->l;
    int has_dx = b->has_dx;
    emitter *e = c->e;
    dw_pass g = forward_pass(l);
    dw_range ry;
    int scatter = has_dx && (l->sh > 1 || l->sw > 1);
    gen_open_block(c);
    emit_line(e, "int %soy, ky, %sco;", row_has_loop(l, &g, grad_tile(c, l)) || scatter ? "ox, " : "",
              scatter ? "kx, " : "");
    gen_open_for(c, "oy", 0, l->out.h, 1);
    emit_row_bias_grad(c, l, gen_has_vector_act(l->act));
    emit_row_range(c, l, &g, &ry);
    emit_grad_row(c, l, &ry);
    if (scatter)
        emit_dx_scatter_row(c, l, &ry);
    emit_close(e, "");
    gen_close_block(c);
    if (has_dx && !scatter) {
        dw_pass dg = input_grad_pass(l);
        gen_open_block(c);
        emit_pass_vector(c, l, &dg);
        gen_close_block(c);
    }
}

static void dwconv_backward(gen_ctx *c, int i)
{
    emitter *e = c->e;
    const ir_layer *l = gen_layer(c, i);
    const gen_layer_plan *p = &c->L->plan[i];
    const char *R = c->restrict_kw, *M = c->mprefix;
    int cout = out_channels(l), has_dx = p->din >= 0;
    int strided = l->sh > 1 || l->sw > 1;
    long long nsrc = (long long)l->in.h * l->in.w * cout;
    char fname[128];
    gen_fn_name(c, fname, sizeof fname, i, "backward", 0);
    gen_open_layer_fn(c, i, 1, fname);
    emit_line(e, "float *%s gkern = grads + %s%s;", R, M, gen_ten(c, p->kernel));
    gen_emit_conv_grad_ptrs(c, i);
    if (has_dx) {
        emit_line(e, "const float *%s kern = params + %s%s;", R, M, gen_ten(c, p->kernel));
        gen_buf_ptr(c, "", "din", p->din);
        if (p->dpad >= 0)
            gen_buf_ptr(c, "", "dsrc", p->dpad);
        else
            emit_line(e, "float *%s dsrc = din;", R);
    }
    if (p->vec) {
        gen_pp_vector(c, 1);
        if (has_dx && strided)      /* the strided input gradient adds in place */
            emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);", nsrc);
        dw_backward b = { l, has_dx };
        gen_emit_for_width(c, out_channels(l), emit_backward_vector, &b);
        gen_pp(c, "#else");
    }
    if (has_dx)
        emit_line(e, "memset(dsrc, 0, sizeof(float) * %lld);", nsrc);
    gen_open_block(c);
    emit_line(e, "int oy;");
    gen_open_for(c, "oy", 0, l->out.h, 1);
    emit_row_bias_grad(c, l, 0);
    emit_close(e, "");
    gen_close_block(c);
    gen_open_block(c);
    emit_backward_plain(c, l, has_dx);
    gen_close_block(c);
    if (p->vec)
        gen_pp(c, "#endif");
    if (p->dpad >= 0)
        emit_reduce(c, l);
    emit_close(e, "");
}

const gen_layer_emitter gen_dwconv_emitter = {
    .plan = dwconv_plan,
    .forward = dwconv_forward,
    .backward = dwconv_backward,
};
