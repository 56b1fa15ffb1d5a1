/* canvas.c - cairo surface, text, colour maps and saving for the pictures. */
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "pictures/canvas.h"
#include "base/png.h"

/* Grey-scale antialiasing, no sub-pixel colour fringes, fixed hinting:
 * nothing that depends on a desktop's settings. */
static void set_font_options(cairo_t *cr)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

int canvas_open(canvas *c, int w, int h, cv_error *e)
{
    memset(c, 0, sizeof *c);
    if (w < 1 || h < 1 || w > CV_BITMAP_MAX_SIDE || h > CV_BITMAP_MAX_SIDE)
        return cv_fail(e, "picture size %dx%d is outside 1..%d", w, h, CV_BITMAP_MAX_SIDE);
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS) {
        cv_fail(e, "cannot create a %dx%d picture: %s", w, h,
                cairo_status_to_string(cairo_surface_status(c->surface)));
        canvas_close(c);
        return -1;
    }
    c->cr = cairo_create(c->surface);
    c->w = w;
    c->h = h;
    set_font_options(c->cr);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    canvas_font(c->cr, 13, 0);
    return 0;
}

void canvas_close(canvas *c)
{
    if (c->cr)
        cairo_destroy(c->cr);
    if (c->surface)
        cairo_surface_destroy(c->surface);
    memset(c, 0, sizeof *c);
}

void canvas_release_caches(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}

int canvas_save(const canvas *c, const char *path, cv_error *e)
{
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS)
        return cv_fail(e, "%s: drawing failed: %s", path,
                       cairo_status_to_string(cairo_status(c->cr)));
    cairo_surface_flush(c->surface);
    cv_bitmap b;
    if (cv_bitmap_alloc(&b, c->w, c->h, 3, e) != 0)
        return -1;
    const unsigned char *data = cairo_image_surface_get_data(c->surface);
    int stride = cairo_image_surface_get_stride(c->surface);
    for (int y = 0; y < c->h; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        uint8_t *out = b.px + (size_t)y * (size_t)c->w * 3;
        for (int x = 0; x < c->w; x++) {
            out[3 * x + 0] = (uint8_t)(row[x] >> 16);
            out[3 * x + 1] = (uint8_t)(row[x] >> 8);
            out[3 * x + 2] = (uint8_t)row[x];
        }
    }
    int rc = cv_png_write(path, &b, e);
    cv_bitmap_free(&b);
    return rc;
}

/* ---- directories --------------------------------------------------------- */

int canvas_make_dirs(const char *dir, cv_error *e)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
        return cv_fail(e, "%s: path too long", dir);
    for (char *q = p + 1; ; q++) {
        if (*q != '/' && *q != '\0')
            continue;
        char saved = *q;
        *q = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return cv_fail(e, "%s: cannot create directory: %s", p, strerror(errno));
        *q = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cv_fail(e, "%s: not a directory", dir);
    return 0;
}

/* ---- text ---------------------------------------------------------------- */

void canvas_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, CANVAS_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double canvas_text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

double canvas_measure(const char *s, double size, int bold)
{
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(surface);
    set_font_options(cr);
    canvas_font(cr, size, bold);
    double w = canvas_text_width(cr, s);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return w;
}

double canvas_text_height(cairo_t *cr)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, "H", &te);
    return -te.y_bearing;
}

void canvas_text_rotated(cairo_t *cr, double x, double y, double ax, double ay,
                         double angle, const char *s)
{
    double w = canvas_text_width(cr, s), h = canvas_text_height(cr);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, angle);
    /* The box's top is the capital height above the baseline. */
    cairo_move_to(cr, -ax * w, h - ay * h);
    cairo_show_text(cr, s);
    cairo_new_path(cr);
    cairo_restore(cr);
}

void canvas_text(cairo_t *cr, double x, double y, double ax, double ay, const char *s)
{
    canvas_text_rotated(cr, x, y, ax, ay, 0, s);
}

/* ---- colour maps --------------------------------------------------------- */

/* Linear interpolation between n evenly spaced 0xRRGGBB anchors. */
static void interpolate(const uint32_t *anchors, int n, double t, double rgb[3])
{
    if (!(t > 0))
        t = 0;      /* also NaN */
    if (t > 1)
        t = 1;
    double pos = t * (n - 1);
    int i = (int)pos;
    if (i >= n - 1)
        i = n - 2;
    double f = pos - i;
    for (int k = 0; k < 3; k++) {
        int shift = 16 - 8 * k;
        double a = (anchors[i] >> shift) & 0xff, b = (anchors[i + 1] >> shift) & 0xff;
        rgb[k] = (a + (b - a) * f) / 255.0;
    }
}

void colormap_sequential(double t, double rgb[3])
{
    /* ColorBrewer Blues (9 classes). */
    static const uint32_t blues[] = {0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6,
                                     0x4292c6, 0x2171b5, 0x08519c, 0x08306b};
    interpolate(blues, 9, t, rgb);
}

void colormap_viridis(double t, double rgb[3])
{
    static const uint32_t viridis[] = {0x440154, 0x482475, 0x414487, 0x355f8d,
                                       0x2a788e, 0x21918c, 0x22a884, 0x44bf70,
                                       0x7ad151, 0xbddf26, 0xfde725};
    interpolate(viridis, 11, t, rgb);
}

void colormap_diverging(double t, double rgb[3])
{
    /* ColorBrewer RdBu (11 classes), blue for negative. */
    static const uint32_t rdbu[] = {0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0,
                                    0xf7f7f7, 0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b,
                                    0x67001f};
    interpolate(rdbu, 11, (t + 1) / 2, rgb);
}

void palette_color(int i, double rgb[3])
{
    /* Okabe-Ito, without its yellow (too light on white). */
    static const uint32_t okabe_ito[] = {0x0072b2, 0xd55e00, 0x009e73, 0xcc79a7,
                                         0xe69f00, 0x56b4e9, 0x000000};
    int n = (int)(sizeof okabe_ito / sizeof okabe_ito[0]);
    uint32_t c = okabe_ito[((i % n) + n) % n];
    rgb[0] = ((c >> 16) & 0xff) / 255.0;
    rgb[1] = ((c >> 8) & 0xff) / 255.0;
    rgb[2] = (c & 0xff) / 255.0;
}

/* ---- ticks --------------------------------------------------------------- */

int nice_ticks(double lo, double hi, int target, double *ticks, int max, double *step)
{
    if (!(hi > lo)) {
        double pad = lo != 0 ? fabs(lo) * 0.5 : 1;
        lo -= pad;
        hi += pad;
    }
    double raw = (hi - lo) / (target > 1 ? target : 2);
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    double s = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
    int n = 0;
    for (double k = ceil(lo / s - 1e-9); n < max; k++) {
        double v = k * s;
        if (v > hi + s * 1e-9)
            break;
        ticks[n++] = fabs(v) < s * 1e-9 ? 0 : v;
    }
    *step = s;
    return n;
}

void format_tick(double v, double step, char *buf, size_t size)
{
    double a = fabs(v);
    const char *suffix = "";
    if (a >= 1e6) {
        v /= 1e6;
        step /= 1e6;
        suffix = "M";
    } else if (a >= 1e4) {
        v /= 1e3;
        step /= 1e3;
        suffix = "k";
    }
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (decimals > 6)
        decimals = 6;
    snprintf(buf, size, "%.*f%s", decimals, v, suffix);
}

/* ---- colour bar and pixels ----------------------------------------------- */

void canvas_colorbar(cairo_t *cr, double x, double y, double w, double h, double lo,
                     double hi, colormap_fn map, int diverging, const char *label)
{
    double span = hi - lo, m = fmax(fabs(lo), fabs(hi));
    int steps = (int)h;
    cairo_save(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int i = 0; i < steps; i++) {
        double v = hi - (i + 0.5) / steps * span;
        double rgb[3];
        map(diverging ? (m > 0 ? v / m : 0) : (span > 0 ? (v - lo) / span : 0), rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, x, y + i, w, 1);
        cairo_fill(cr);
    }
    cairo_restore(cr);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x + 0.5, y + 0.5, w - 1, h - 1);
    cairo_stroke(cr);

    double ticks[32], step;
    int n = nice_ticks(lo, hi, 5, ticks, 32, &step);
    double label_x = x + w;
    canvas_font(cr, 11, 0);
    for (int i = 0; i < n; i++) {
        double ty = y + (hi - ticks[i]) / (span > 0 ? span : 1) * h;
        char s[32];
        format_tick(ticks[i], step, s, sizeof s);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, x + w, round(ty) + 0.5);
        cairo_line_to(cr, x + w + 4, round(ty) + 0.5);
        cairo_stroke(cr);
        canvas_text(cr, x + w + 7, ty, 0, 0.5, s);
        label_x = fmax(label_x, x + w + 7 + canvas_text_width(cr, s));
    }
    if (label) {
        canvas_font(cr, 12, 0);
        canvas_text_rotated(cr, label_x + 8, y + h / 2, 0.5, 0, -CANVAS_PI / 2, label);
    }
}

void canvas_pixels(cairo_t *cr, double x, double y, int w, int h, int scale,
                   const uint8_t *rgb)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return;     /* the caller's cairo_status check reports nothing; harmless */
    }
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int j = 0; j < h; j++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)j * (size_t)stride);
        for (int i = 0; i < w; i++) {
            const uint8_t *p = rgb + ((size_t)j * (size_t)w + (size_t)i) * 3;
            row[i] = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x - 0.5, y - 0.5, (double)w * scale + 1, (double)h * scale + 1);
    cairo_stroke(cr);
}
