/* plot.c - line plots, confusion heat map, labelled scatter, grouped bars and
 * histograms on a canvas (cairo), saved as PNG. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pictures/canvas.h"
#include "pictures/plot.h"

#define PANEL_W 640
#define PANEL_H 440
#define MAX_TICKS 64
#define TICK_FONT 12
#define LABEL_FONT 14
#define TITLE_FONT 16

/* ---- axes ---------------------------------------------------------------- */

/* A data rectangle mapped onto a pixel rectangle. */
typedef struct {
    double left, top, width, height;        /* plot area, pixels */
    double xlo, xhi, ylo, yhi;              /* data range (log10 of it on log axes) */
    int log_x, log_y;
    double xticks[MAX_TICKS], yticks[MAX_TICKS];    /* data values */
    int n_xticks, n_yticks;
    double xstep, ystep;
} axes;

static double axes_px(const axes *a, double x)
{
    double v = a->log_x ? log10(x) : x;
    return a->left + (v - a->xlo) / (a->xhi - a->xlo) * a->width;
}

static double axes_py(const axes *a, double y)
{
    double v = a->log_y ? log10(y) : y;
    return a->top + a->height - (v - a->ylo) / (a->yhi - a->ylo) * a->height;
}

/* Ticks at 10^k; if that gives fewer than 3, at 1, 2, 5 x 10^k; if still
 * fewer, at every 1..9 x 10^k. */
static int log_ticks(double lo, double hi, double *ticks, int max)
{
    static const double all[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, few[] = {1, 2, 5}, one[] = {1};
    static const double *const sets[] = {one, few, all};
    static const int sizes[] = {1, 3, 9};
    int e0 = (int)floor(log10(lo)), e1 = (int)ceil(log10(hi)), n = 0;
    for (int set = 0; set < 3; set++) {
        n = 0;
        for (int k = e0; k <= e1; k++)
            for (int m = 0; m < sizes[set] && n < max; m++) {
                double v = sets[set][m] * pow(10, k);
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
                    ticks[n++] = v;
            }
        if (n >= 3)
            break;
    }
    return n;
}

static void tick_label(const axes *a, int is_x, double v, char *buf, size_t size)
{
    int log_axis = is_x ? a->log_x : a->log_y;
    /* On a log axis every tick is its own step: 200k, 0.05. */
    format_tick(v, log_axis ? v : is_x ? a->xstep : a->ystep, buf, size);
}

/* Sets the data range (padded by `pad` of its span on each side, in the
 * axis' own scale) and its ticks. */
static void axes_set_range(axes *a, int is_x, double lo, double hi, double pad,
                           int integer_ticks)
{
    int log_axis = is_x ? a->log_x : a->log_y;
    double l = log_axis ? log10(lo) : lo, h = log_axis ? log10(hi) : hi;
    if (!(h > l)) {
        double widen = l != 0 ? fabs(l) * 0.1 : 1;
        l -= widen;
        h += widen;
    }
    double span = h - l;
    l -= pad * span;
    h += pad * span;
    double *ticks = is_x ? a->xticks : a->yticks;
    double step = 1;
    int n;
    if (log_axis) {
        n = log_ticks(pow(10, l), pow(10, h), ticks, MAX_TICKS);
    } else {
        n = nice_ticks(l, h, is_x ? 8 : 6, ticks, MAX_TICKS, &step);
        if (integer_ticks && step < 1) {
            n = 0;
            step = 1;
            for (double v = ceil(l); v <= h && n < MAX_TICKS; v++)
                ticks[n++] = v;
        }
    }
    if (is_x) {
        a->xlo = l, a->xhi = h, a->n_xticks = n, a->xstep = step;
    } else {
        a->ylo = l, a->yhi = h, a->n_yticks = n, a->ystep = step;
    }
}

/* A linear y axis from exactly 0 (bars start there) to max plus headroom. */
static void axes_set_y_from_zero(axes *a, double max, double headroom)
{
    a->ylo = 0;
    a->yhi = (max > 0 ? max : 1) * headroom;
    a->n_yticks = nice_ticks(0, a->yhi, 6, a->yticks, MAX_TICKS, &a->ystep);
}

/* Widest y tick label: the left margin depends on it. */
static double axes_ytick_width(cairo_t *cr, const axes *a)
{
    canvas_font(cr, TICK_FONT, 0);
    double w = 0;
    for (int i = 0; i < a->n_yticks; i++) {
        char s[32];
        tick_label(a, 0, a->yticks[i], s, sizeof s);
        w = fmax(w, canvas_text_width(cr, s));
    }
    return w;
}

/* Places the plot area inside the box (x, y, w, h), leaving room for the
 * title, the axis names and the tick labels. */
static void axes_layout(cairo_t *cr, axes *a, double x, double y, double w, double h,
                        int has_title, double extra_right)
{
    double left = 14 + LABEL_FONT + 10 + axes_ytick_width(cr, a) + 8;
    double top = has_title ? 40 : 16;
    double bottom = 8 + TICK_FONT + 12 + LABEL_FONT + 14;
    a->left = x + left;
    a->top = y + top;
    a->width = w - left - 22 - extra_right;
    a->height = h - top - bottom;
}

/* Light grid, frame, ticks, tick labels, axis names and the panel title. */
static void axes_draw(cairo_t *cr, const axes *a, const char *title, const char *xlabel,
                      const char *ylabel, int draw_xticks)
{
    double right = a->left + a->width, bottom = a->top + a->height;
    cairo_set_line_width(cr, 1);
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    for (int i = 0; i < a->n_yticks; i++) {
        double py = round(axes_py(a, a->yticks[i])) + 0.5;
        cairo_move_to(cr, a->left, py);
        cairo_line_to(cr, right, py);
    }
    for (int i = 0; draw_xticks && i < a->n_xticks; i++) {
        double px = round(axes_px(a, a->xticks[i])) + 0.5;
        cairo_move_to(cr, px, a->top);
        cairo_line_to(cr, px, bottom);
    }
    cairo_stroke(cr);

    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, round(a->left) + 0.5, round(a->top) + 0.5, round(a->width),
                    round(a->height));
    cairo_stroke(cr);
    canvas_font(cr, TICK_FONT, 0);
    for (int i = 0; i < a->n_yticks; i++) {
        char s[32];
        double py = axes_py(a, a->yticks[i]);
        tick_label(a, 0, a->yticks[i], s, sizeof s);
        cairo_move_to(cr, round(a->left) - 5, round(py) + 0.5);
        cairo_line_to(cr, round(a->left), round(py) + 0.5);
        cairo_stroke(cr);
        canvas_text(cr, a->left - 8, py, 1, 0.5, s);
    }
    for (int i = 0; draw_xticks && i < a->n_xticks; i++) {
        char s[32];
        double px = axes_px(a, a->xticks[i]);
        tick_label(a, 1, a->xticks[i], s, sizeof s);
        cairo_move_to(cr, round(px) + 0.5, round(bottom));
        cairo_line_to(cr, round(px) + 0.5, round(bottom) + 5);
        cairo_stroke(cr);
        canvas_text(cr, px, bottom + 8, 0.5, 0, s);
    }
    canvas_font(cr, LABEL_FONT, 0);
    if (xlabel)
        canvas_text(cr, a->left + a->width / 2, bottom + 8 + TICK_FONT + 12, 0.5, 0, xlabel);
    if (ylabel)
        canvas_text_rotated(cr, a->left - axes_ytick_width(cr, a) - 8 - 10 - 4,
                            a->top + a->height / 2, 0.5, 1, -CANVAS_PI / 2, ylabel);
    if (title) {
        canvas_font(cr, LABEL_FONT, 1);
        canvas_text(cr, a->left + a->width / 2, a->top - 14, 0.5, 1, title);
    }
}

static void axes_clip(cairo_t *cr, const axes *a)
{
    cairo_rectangle(cr, a->left, a->top, a->width, a->height);
    cairo_clip(cr);
}

static void set_rgb(cairo_t *cr, const double rgb[3])
{
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
}

static void figure_title(cairo_t *cr, double width, const char *title)
{
    if (!title)
        return;
    canvas_font(cr, TITLE_FONT, 1);
    canvas_text(cr, width / 2, 14, 0.5, 0, title);
}

/* ---- line plots ---------------------------------------------------------- */

static int series_color(const plot_series *s, int index)
{
    return s->color >= 0 ? s->color : index;
}

/* How many points of the panel's lines fall in a legend box at (x, y). */
static int points_under(const axes *a, const plot_panel *p, double x, double y,
                        double w, double h)
{
    int count = 0;
    for (int s = 0; s < p->n_series; s++) {
        const plot_series *ser = &p->series[s];
        for (int i = 0; i + 1 < ser->n; i++) {
            if (!isfinite(ser->y[i]) || !isfinite(ser->y[i + 1]))
                continue;
            for (int k = 0; k <= 16; k++) {   /* samples along the segment */
                double t = k / 16.0;
                double px = axes_px(a, ser->x[i]) * (1 - t) + axes_px(a, ser->x[i + 1]) * t;
                double py = axes_py(a, ser->y[i]) * (1 - t) + axes_py(a, ser->y[i + 1]) * t;
                count += px >= x && px <= x + w && py >= y && py <= y + h;
            }
        }
        if (ser->n == 1 && isfinite(ser->y[0])) {
            double px = axes_px(a, ser->x[0]), py = axes_py(a, ser->y[0]);
            count += px >= x && px <= x + w && py >= y && py <= y + h;
        }
    }
    return count;
}

static void line_style(cairo_t *cr, const plot_series *s, int index)
{
    double rgb[3];
    palette_color(series_color(s, index), rgb);
    set_rgb(cr, rgb);
    cairo_set_line_width(cr, 2);
    static const double dash[] = {6, 4};
    cairo_set_dash(cr, dash, s->dashed ? 2 : 0, 0);
}

#define LEGEND_ROW 19

/* Size of the legend box; 0 x 0 when no series has a name. */
static void legend_size(cairo_t *cr, const plot_panel *p, double *w, double *h)
{
    int rows = 0;
    double text_w = 0;
    canvas_font(cr, TICK_FONT, 0);
    for (int s = 0; s < p->n_series; s++)
        if (p->series[s].name) {
            rows++;
            text_w = fmax(text_w, canvas_text_width(cr, p->series[s].name));
        }
    *w = rows ? 10 + 30 + 8 + text_w + 10 : 0;
    *h = rows ? rows * LEGEND_ROW + 10 : 0;
}

static void legend_draw(cairo_t *cr, const plot_panel *p, double x, double y, double w,
                        double h)
{
    x = round(x) + 0.5;
    y = round(y) + 0.5;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_stroke(cr);
    canvas_font(cr, TICK_FONT, 0);
    int row = 0;
    for (int s = 0; s < p->n_series; s++) {
        const plot_series *ser = &p->series[s];
        if (!ser->name)
            continue;
        double ry = y + 5 + LEGEND_ROW * (row + 0.5);
        line_style(cr, ser, s);
        cairo_move_to(cr, x + 10, ry);
        cairo_line_to(cr, x + 40, ry);
        cairo_stroke(cr);
        if (ser->markers) {
            cairo_arc(cr, x + 25, ry, 3, 0, 2 * CANVAS_PI);
            cairo_fill(cr);
        }
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        canvas_text(cr, x + 48, ry, 0, 0.5, ser->name);
        row++;
    }
}

/* The inner corner (upper right, upper left, lower right, lower left) where a
 * w x h legend covers the fewest points; returns that count. */
static int legend_corner(const axes *a, const plot_panel *p, double w, double h,
                         double *x, double *y)
{
    double m = 8;
    double cx[4] = {a->left + a->width - w - m, a->left + m, a->left + a->width - w - m,
                    a->left + m};
    double cy[4] = {a->top + m, a->top + m, a->top + a->height - h - m,
                    a->top + a->height - h - m};
    int best = 0, best_count = -1;
    for (int c = 0; c < 4; c++) {
        int n = points_under(a, p, cx[c] - 5, cy[c] - 5, w + 10, h + 10);  /* markers */
        if (best_count < 0 || n < best_count)
            best = c, best_count = n;
    }
    *x = cx[best];
    *y = cy[best];
    return best_count;
}

static int has_band(const plot_series *s, int i)
{
    return s->band_lo && s->band_hi && isfinite(s->x[i]) && isfinite(s->band_lo[i]) &&
           isfinite(s->band_hi[i]);
}

/* The band as translucent polygons, one per run of points that have one:
 * along band_hi forwards, back along band_lo. */
static void draw_band(cairo_t *cr, const axes *a, const plot_series *s, int index)
{
    if (!s->band_lo || !s->band_hi)
        return;
    double rgb[3];
    palette_color(series_color(s, index), rgb);
    cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], s->dashed ? 0.12 : 0.2);
    for (int i = 0; i < s->n;) {
        if (!has_band(s, i)) {
            i++;
            continue;
        }
        int j = i;
        while (j < s->n && has_band(s, j))
            j++;
        cairo_move_to(cr, axes_px(a, s->x[i]), axes_py(a, s->band_hi[i]));
        for (int k = i + 1; k < j; k++)
            cairo_line_to(cr, axes_px(a, s->x[k]), axes_py(a, s->band_hi[k]));
        for (int k = j - 1; k >= i; k--)
            cairo_line_to(cr, axes_px(a, s->x[k]), axes_py(a, s->band_lo[k]));
        cairo_close_path(cr);
        cairo_fill(cr);
        i = j;
    }
}

static int check_panel(const plot_panel *p, int index, cv_error *e)
{
    if (p->n_series < 1 || !p->series)
        return cv_fail(e, "panel %d has no series", index + 1);
    for (int s = 0; s < p->n_series; s++) {
        const plot_series *ser = &p->series[s];
        if (ser->n < 0 || (ser->n > 0 && (!ser->x || !ser->y)))
            return cv_fail(e, "panel %d, series %d: no data", index + 1, s + 1);
    }
    return 0;
}

static void draw_line_panel(cairo_t *cr, const plot_panel *p, double x0, double y0)
{
    axes a;
    memset(&a, 0, sizeof a);
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int s = 0; s < p->n_series; s++)
        for (int i = 0; i < p->series[s].n; i++) {
            const plot_series *ser = &p->series[s];
            double x = ser->x[i], y = ser->y[i];
            if (!isfinite(x) || !isfinite(y))
                continue;
            xlo = fmin(xlo, x), xhi = fmax(xhi, x);
            ylo = fmin(ylo, y), yhi = fmax(yhi, y);
            if (has_band(ser, i)) {
                ylo = fmin(ylo, ser->band_lo[i]);
                yhi = fmax(yhi, ser->band_hi[i]);
            }
        }
    if (!(xlo <= xhi))
        xlo = 0, xhi = 1, ylo = 0, yhi = 1;     /* no finite point: empty axes */
    axes_set_range(&a, 1, xlo, xhi, 0.03, p->integer_x);
    axes_set_range(&a, 0, ylo, yhi, 0.06, 0);
    axes_layout(cr, &a, x0, y0, PANEL_W, PANEL_H, p->title != NULL, 0);
    /* The legend goes inside if a corner is free, else outside on the right. */
    double lw, lh, lx = 0, ly = 0;
    legend_size(cr, p, &lw, &lh);
    if (lw > 0 && legend_corner(&a, p, lw, lh, &lx, &ly) > 0) {
        axes_layout(cr, &a, x0, y0, PANEL_W, PANEL_H, p->title != NULL, lw + 10);
        lx = a.left + a.width + 10;
        ly = a.top;
    }
    axes_draw(cr, &a, p->title, p->xlabel, p->ylabel, 1);

    cairo_save(cr);
    axes_clip(cr, &a);
    for (int s = 0; s < p->n_series; s++)
        draw_band(cr, &a, &p->series[s], s);
    for (int s = 0; s < p->n_series; s++) {
        const plot_series *ser = &p->series[s];
        line_style(cr, ser, s);
        int pen_down = 0;
        for (int i = 0; i < ser->n; i++) {
            if (!isfinite(ser->x[i]) || !isfinite(ser->y[i])) {
                pen_down = 0;
                continue;
            }
            double px = axes_px(&a, ser->x[i]), py = axes_py(&a, ser->y[i]);
            if (pen_down)
                cairo_line_to(cr, px, py);
            else
                cairo_move_to(cr, px, py);
            pen_down = 1;
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        for (int i = 0; (ser->markers || ser->n == 1) && i < ser->n; i++) {
            if (!isfinite(ser->x[i]) || !isfinite(ser->y[i]))
                continue;
            cairo_arc(cr, axes_px(&a, ser->x[i]), axes_py(&a, ser->y[i]), 3.5, 0, 2 * CANVAS_PI);
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
    if (lw > 0)
        legend_draw(cr, p, lx, ly, lw, lh);
}

int plot_lines(const char *path, const char *title, int n_panels,
               const plot_panel *panels, cv_error *e)
{
    if (n_panels < 1 || n_panels > 4 || !panels)
        return cv_fail(e, "%s: %d panels (1..4 allowed)", path, n_panels);
    for (int i = 0; i < n_panels; i++)
        if (check_panel(&panels[i], i, e) != 0)
            return cv_fail(e, "%s: panel %d is empty or has a series without data",
                           path, i + 1);
    double top = title ? 36 : 0;
    canvas c;
    if (canvas_open(&c, PANEL_W * n_panels, (int)(PANEL_H + top), e) != 0)
        return -1;
    figure_title(c.cr, c.w, title);
    for (int i = 0; i < n_panels; i++)
        draw_line_panel(c.cr, &panels[i], PANEL_W * i, top);
    int rc = canvas_save(&c, path, e);
    canvas_close(&c);
    return rc;
}

/* ---- confusion matrix ---------------------------------------------------- */

int plot_confusion(const char *path, const char *title, int n,
                   const char *const *class_names, const long *counts, cv_error *e)
{
    if (n < 2 || n > 64 || !class_names || !counts)
        return cv_fail(e, "%s: confusion matrix of %d classes (2..64 expected)", path, n);
    for (int i = 0; i < n * n; i++)
        if (counts[i] < 0)
            return cv_fail(e, "%s: negative count in the confusion matrix", path);
    for (int i = 0; i < n; i++)
        if (!class_names[i])
            return cv_fail(e, "%s: class %d has no name", path, i);

    /* Measure the labels first: the layout follows from them. */
    double cell = n <= 12 ? 54 : n <= 24 ? 30 : 16;
    double value_font = n <= 12 ? 13 : n <= 24 ? 9 : 6;
    double name_w = 0;
    for (int i = 0; i < n; i++)
        name_w = fmax(name_w, canvas_measure(class_names[i], TICK_FONT, 0));

    double diag = name_w * CANVAS_SQRT1_2 + 12;  /* height/width of a 45 degree label */
    double left = 16 + LABEL_FONT + 14 + name_w + 10;
    left = fmax(left, diag - cell / 2 + 16);
    double top = title ? 48 : 20, matrix = cell * n;
    double bar_x = left + matrix + 24, bar_w = 18;
    int width = (int)(bar_x + bar_w + 46 + LABEL_FONT + 20);
    int height = (int)(top + matrix + 8 + diag + LABEL_FONT + 22);

    canvas c;
    if (canvas_open(&c, width, height, e) != 0)
        return -1;
    cairo_t *cr = c.cr;
    if (title) {
        canvas_font(cr, TITLE_FONT, 1);
        canvas_text(cr, left + matrix / 2, 16, 0.5, 0, title);
    }
    char s[32];
    for (int t = 0; t < n; t++) {
        long row_sum = 0;
        for (int p = 0; p < n; p++)
            row_sum += counts[t * n + p];
        for (int p = 0; p < n; p++) {
            long v = counts[t * n + p];
            double frac = row_sum > 0 ? (double)v / (double)row_sum : 0, rgb[3];
            colormap_sequential(frac, rgb);
            set_rgb(cr, rgb);
            cairo_rectangle(cr, left + p * cell, top + t * cell, cell, cell);
            cairo_fill(cr);
            canvas_font(cr, value_font, t == p);
            if (frac > 0.5)
                cairo_set_source_rgb(cr, 1, 1, 1);
            else
                cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            snprintf(s, sizeof s, "%ld", v);
            canvas_text(cr, left + (p + 0.5) * cell, top + (t + 0.5) * cell, 0.5, 0.5, s);
        }
    }
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, left + 0.5, top + 0.5, matrix - 1, matrix - 1);
    cairo_stroke(cr);

    canvas_font(cr, TICK_FONT, 0);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int i = 0; i < n; i++) {
        canvas_text(cr, left - 8, top + (i + 0.5) * cell, 1, 0.5, class_names[i]);
        canvas_text_rotated(cr, left + (i + 0.5) * cell + 4, top + matrix + 8, 1, 0,
                            -CANVAS_PI / 4, class_names[i]);
    }
    canvas_font(cr, LABEL_FONT, 0);
    canvas_text_rotated(cr, 16, top + matrix / 2, 0.5, 0, -CANVAS_PI / 2, "True class");
    canvas_text(cr, left + matrix / 2, top + matrix + 8 + diag + 6, 0.5, 0,
                "Predicted class");
    canvas_colorbar(cr, bar_x, top, bar_w, matrix, 0, 1, colormap_sequential, 0,
                    "Fraction of the true class");
    int rc = canvas_save(&c, path, e);
    canvas_close(&c);
    return rc;
}

/* ---- scatter ------------------------------------------------------------- */

int plot_scatter_labeled(const char *path, const char *title, const char *xlabel,
                         const char *ylabel, int n, const double *x, const double *y,
                         const double *yerr, const char *const *labels, int flags,
                         cv_error *e)
{
    if (n < 1 || !x || !y)
        return cv_fail(e, "%s: scatter plot without points", path);
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return cv_fail(e, "%s: point %d is not finite", path, i + 1);
        double d = yerr ? yerr[i] : 0;
        if (!isfinite(d) || d < 0)
            return cv_fail(e, "%s: error bar %d is negative or not finite", path, i + 1);
        if (((flags & PLOT_LOG_X) && x[i] <= 0) || ((flags & PLOT_LOG_Y) && y[i] - d <= 0))
            return cv_fail(e, "%s: point %d is not positive on a log axis", path, i + 1);
        xlo = fmin(xlo, x[i]), xhi = fmax(xhi, x[i]);
        ylo = fmin(ylo, y[i] - d), yhi = fmax(yhi, y[i] + d);
    }
    canvas c;
    if (canvas_open(&c, PANEL_W + 60, PANEL_H + (title ? 36 : 0), e) != 0)
        return -1;
    cairo_t *cr = c.cr;
    axes a;
    memset(&a, 0, sizeof a);
    a.log_x = (flags & PLOT_LOG_X) != 0;
    a.log_y = (flags & PLOT_LOG_Y) != 0;
    /* Generous x padding: the labels sit beside the points. */
    axes_set_range(&a, 1, xlo, xhi, 0.15, 0);
    axes_set_range(&a, 0, ylo, yhi, 0.12, 0);
    figure_title(cr, c.w, title);
    axes_layout(cr, &a, 0, title ? 36 : 0, c.w, PANEL_H, 0, 0);
    axes_draw(cr, &a, NULL, xlabel, ylabel, 1);
    canvas_font(cr, TICK_FONT, 0);
    for (int i = 0; i < n; i++) {
        double px = axes_px(&a, x[i]), py = axes_py(&a, y[i]), rgb[3];
        palette_color(i, rgb);
        set_rgb(cr, rgb);
        if (yerr && yerr[i] > 0) {
            double top = axes_py(&a, y[i] + yerr[i]), bottom = axes_py(&a, y[i] - yerr[i]);
            cairo_set_line_width(cr, 1.5);
            cairo_move_to(cr, px, top);
            cairo_line_to(cr, px, bottom);
            cairo_move_to(cr, px - 4, top);
            cairo_line_to(cr, px + 4, top);
            cairo_move_to(cr, px - 4, bottom);
            cairo_line_to(cr, px + 4, bottom);
            cairo_stroke(cr);
        }
        cairo_arc(cr, px, py, 5, 0, 2 * CANVAS_PI);
        cairo_fill(cr);
        if (!labels || !labels[i])
            continue;
        cairo_set_source_rgb(cr, 0, 0, 0);
        double w = canvas_text_width(cr, labels[i]);
        int right_side = px + 9 + w <= a.left + a.width - 4;
        /* Alternate above and below so neighbours with close y do not collide. */
        double dy = (i % 2 == 0) ? -8 : 8;
        canvas_text(cr, right_side ? px + 9 : px - 9, py + dy, right_side ? 0 : 1, 0.5,
                    labels[i]);
    }
    int rc = canvas_save(&c, path, e);
    canvas_close(&c);
    return rc;
}

/* ---- grouped bars -------------------------------------------------------- */

int plot_bars(const char *path, const char *title, const char *ylabel, int n_groups,
              const char *const *group_labels, int n_series,
              const char *const *series_names, const double *values, cv_error *e)
{
    if (n_groups < 1 || n_series < 1 || !group_labels || !values)
        return cv_fail(e, "%s: bar chart without bars", path);
    double vmax = 0;
    for (int i = 0; i < n_groups * n_series; i++) {
        if (!isfinite(values[i]) || values[i] < 0)
            return cv_fail(e, "%s: bar value %d is negative or not finite", path, i + 1);
        vmax = fmax(vmax, values[i]);
    }
    double group_w = fmax(48, 22.0 * n_series + 16);
    double legend_h = series_names ? 26 : 0, title_h = title ? 36 : 0;
    int width = (int)fmax(PANEL_W, 110 + group_w * n_groups + 30);
    canvas c;
    if (canvas_open(&c, width, (int)(PANEL_H + title_h + legend_h + 30), e) != 0)
        return -1;
    cairo_t *cr = c.cr;
    figure_title(cr, c.w, title);

    /* Legend in a row under the title: it never covers a bar. */
    if (series_names) {
        canvas_font(cr, TICK_FONT, 0);
        double total = 0;
        for (int s = 0; s < n_series; s++)
            total += 18 + canvas_text_width(cr, series_names[s] ? series_names[s] : "") + 24;
        double lx = (c.w - total) / 2, ly = title_h + 12;
        for (int s = 0; s < n_series; s++) {
            double rgb[3];
            palette_color(s, rgb);
            set_rgb(cr, rgb);
            cairo_rectangle(cr, lx, ly - 6, 12, 12);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            const char *name = series_names[s] ? series_names[s] : "";
            canvas_text(cr, lx + 18, ly, 0, 0.5, name);
            lx += 18 + canvas_text_width(cr, name) + 24;
        }
    }

    axes a;
    memset(&a, 0, sizeof a);
    axes_set_y_from_zero(&a, vmax, 1.08);
    a.xlo = 0;
    a.xhi = n_groups;
    /* Rotated group labels need more room below the axis. */
    canvas_font(cr, TICK_FONT, 0);
    double label_w = 0;
    for (int g = 0; g < n_groups; g++)
        label_w = fmax(label_w, canvas_text_width(cr, group_labels[g] ? group_labels[g] : ""));
    int rotate = label_w > group_w - 6;
    double extra_bottom = rotate ? label_w * CANVAS_SQRT1_2 - TICK_FONT : 0;
    axes_layout(cr, &a, 0, title_h + legend_h, c.w, PANEL_H + 30 - extra_bottom, 0, 0);
    axes_draw(cr, &a, NULL, NULL, ylabel, 0);

    for (int g = 0; g < n_groups; g++) {
        double gx = axes_px(&a, g), gw = a.width / n_groups;
        double bar_w = (gw - 12) / n_series;
        for (int s = 0; s < n_series; s++) {
            double v = values[s * n_groups + g], rgb[3];
            palette_color(s, rgb);
            set_rgb(cr, rgb);
            double top = axes_py(&a, v);
            cairo_rectangle(cr, gx + 6 + s * bar_w, top, bar_w - 2, a.top + a.height - top);
            cairo_fill(cr);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        const char *name = group_labels[g] ? group_labels[g] : "";
        double cx = gx + gw / 2, by = a.top + a.height + 8;
        canvas_font(cr, TICK_FONT, 0);
        if (rotate)
            canvas_text_rotated(cr, cx + 4, by, 1, 0, -CANVAS_PI / 4, name);
        else
            canvas_text(cr, cx, by, 0.5, 0, name);
    }
    int rc = canvas_save(&c, path, e);
    canvas_close(&c);
    return rc;
}

/* ---- histogram ----------------------------------------------------------- */

int plot_histogram(const char *path, const char *title, const char *xlabel,
                   const char *ylabel, int n_bins, double lo, double hi,
                   const double *counts, int flags, cv_error *e)
{
    if (n_bins < 1 || !counts || !(hi > lo) || !isfinite(lo) || !isfinite(hi))
        return cv_fail(e, "%s: histogram needs bins over a non-empty range", path);
    double cmax = 0, cmin_pos = INFINITY;
    for (int i = 0; i < n_bins; i++) {
        if (!isfinite(counts[i]) || counts[i] < 0)
            return cv_fail(e, "%s: bin %d is negative or not finite", path, i + 1);
        cmax = fmax(cmax, counts[i]);
        if (counts[i] > 0)
            cmin_pos = fmin(cmin_pos, counts[i]);
    }
    int log_y = (flags & PLOT_LOG_Y) != 0 && cmax > 0;
    canvas c;
    if (canvas_open(&c, PANEL_W, PANEL_H + (title ? 36 : 0), e) != 0)
        return -1;
    cairo_t *cr = c.cr;
    axes a;
    memset(&a, 0, sizeof a);
    a.log_y = log_y;
    axes_set_range(&a, 1, lo, hi, 0.01, 0);
    if (log_y) {
        /* Whole decades, so the smallest and largest bins sit inside. */
        double l = pow(10, floor(log10(cmin_pos))), h = pow(10, ceil(log10(cmax * 1.01)));
        axes_set_range(&a, 0, l, h, 0, 0);
    } else {
        axes_set_y_from_zero(&a, cmax, 1.05);
    }
    figure_title(cr, c.w, title);
    axes_layout(cr, &a, 0, title ? 36 : 0, c.w, PANEL_H, 0, 0);
    axes_draw(cr, &a, NULL, xlabel, ylabel, 1);
    cairo_save(cr);
    axes_clip(cr, &a);
    double rgb[3];
    palette_color(0, rgb);
    set_rgb(cr, rgb);
    double bw = (hi - lo) / n_bins, base = a.top + a.height;
    for (int i = 0; i < n_bins; i++) {
        if (counts[i] <= 0)
            continue;
        double x0 = axes_px(&a, lo + i * bw), x1 = axes_px(&a, lo + (i + 1) * bw);
        double top = axes_py(&a, counts[i]);
        cairo_rectangle(cr, x0, top, fmax(x1 - x0, 1), base - top);
    }
    cairo_fill(cr);
    cairo_restore(cr);
    int rc = canvas_save(&c, path, e);
    canvas_close(&c);
    return rc;
}

void plot_release_caches(void)
{
    canvas_release_caches();
}
