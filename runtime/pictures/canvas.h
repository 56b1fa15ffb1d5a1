/* canvas.h - the drawing layer under plot.c, viz.c and eda.c: a cairo image
 * surface on white, DejaVu Sans text with anchors, colour maps, colour bars,
 * nearest-neighbour upscaled pixel images, and saving through cv_png_write
 * (so PNG bytes depend on the pixels only). */
#ifndef CONVC_CANVAS_H
#define CONVC_CANVAS_H

#include <cairo.h>
#include <stdint.h>
#include "base/error.h"

#define CANVAS_FONT "DejaVu Sans"
#define CANVAS_PI 3.14159265358979323846
#define CANVAS_SQRT1_2 0.70710678118654752440

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    int w, h;
} canvas;

/* A w x h canvas filled with white; -1 on bad size or a cairo failure. */
int canvas_open(canvas *c, int w, int h, cv_error *e);
/* Writes the canvas as an RGB PNG. */
int canvas_save(const canvas *c, const char *path, cv_error *e);
void canvas_close(canvas *c);
/* mkdir -p for an output directory; -1 naming the part that failed. */
int canvas_make_dirs(const char *dir, cv_error *e);
/* Frees cairo's and fontconfig's process-wide caches; see plot_release_caches. */
void canvas_release_caches(void);

/* Text.  (x, y) is the anchor point; ax, ay in [0,1] say where the anchor
 * sits on the text's box: (0,0) top left, (0.5,0.5) centre, (1,1) bottom
 * right.  angle in radians (counter-clockwise positive: -pi/2 reads upwards). */
void canvas_font(cairo_t *cr, double size, int bold);
void canvas_text(cairo_t *cr, double x, double y, double ax, double ay, const char *s);
void canvas_text_rotated(cairo_t *cr, double x, double y, double ax, double ay,
                         double angle, const char *s);
double canvas_text_width(cairo_t *cr, const char *s);
/* Width of s in DejaVu Sans of this size, before there is a canvas (to size one). */
double canvas_measure(const char *s, double size, int bold);
/* Text height for the current font (ascent + descent of a capital). */
double canvas_text_height(cairo_t *cr);

/* Colour maps: rgb in [0,1].
 *   sequential: t in [0,1], white -> dark blue (counts, fractions)
 *   viridis:    t in [0,1], dark purple -> yellow (activations)
 *   diverging:  t in [-1,1], blue -> white (0) -> red (signed weights) */
void colormap_sequential(double t, double rgb[3]);
void colormap_viridis(double t, double rgb[3]);
void colormap_diverging(double t, double rgb[3]);
/* The palette for line and bar series (colour-blind-safe, cycles). */
void palette_color(int i, double rgb[3]);

typedef void (*colormap_fn)(double t, double rgb[3]);

/* A vertical colour bar at (x, y) of size w x h for values lo..hi, where the
 * map is called with (v - lo) / (hi - lo) (or v / max(|lo|,|hi|) when
 * diverging), with ticks and tick labels on the right and an optional
 * label (NULL: none) turned upwards to the right of the tick labels. */
void canvas_colorbar(cairo_t *cr, double x, double y, double w, double h, double lo,
                     double hi, colormap_fn map, int diverging, const char *label);

/* Paints a w x h RGB image (3 bytes per pixel, rows top to bottom) at (x, y),
 * each pixel a scale x scale block (nearest neighbour: no blur), with a thin
 * grey frame. */
void canvas_pixels(cairo_t *cr, double x, double y, int w, int h, int scale,
                   const uint8_t *rgb);

/* "Nice" tick positions for [lo, hi]: about `target` ticks at 1, 2, 5 x 10^k;
 * writes at most max ticks into ticks, returns how many, and the step. */
int nice_ticks(double lo, double hi, int target, double *ticks, int max, double *step);
/* A tick label: integers without decimals, large values as 12k / 1.5M, others
 * with as many decimals as the step needs. */
void format_tick(double v, double step, char *buf, size_t size);

#endif
