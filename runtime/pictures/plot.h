/* plot.h - charts as PNG files, drawn with cairo: line plots (training
 * curves), a confusion-matrix heat map, labelled scatter plots (parameters vs
 * accuracy), grouped bar charts and histograms.
 *
 * Every function writes one PNG at `path`, returns 0, or -1 with a message in
 * e.  Text is DejaVu Sans; axes have ticks at "nice" values, tick labels,
 * axis names and a title.  The same arguments always give the same bytes
 * (pixels go through cv_png_write, which stores nothing variable).  Strings
 * may be NULL where it is said; all others are required. */
#ifndef CONVC_PLOT_H
#define CONVC_PLOT_H

#include "base/error.h"

/* One line of a line plot.  Points with a non-finite y are skipped (the line
 * breaks there), so a series may have gaps. */
typedef struct {
    const char *name;       /* legend entry; NULL: not in the legend */
    int n;                  /* points */
    const double *x, *y;    /* n each; x need not be sorted */
    int color;              /* index into the palette (cycles); -1: the
                               series' position in the panel */
    int dashed;             /* 1: dashed (e.g. test), 0: solid (e.g. train) */
    int markers;            /* 1: a dot at every point */
    const double *band_lo, *band_hi;    /* NULL, or n each: a shaded band in the
                               series' colour from band_lo to band_hi (e.g.
                               the spread over seeds around a mean) */
} plot_series;

/* One set of axes. */
typedef struct {
    const char *title;      /* NULL: none */
    const char *xlabel, *ylabel;
    int n_series;
    const plot_series *series;
    int integer_x;          /* 1: x ticks only at integers (epochs) */
} plot_panel;

/* n_panels (1..4) line plots side by side under one figure title (NULL: none),
 * e.g. loss and accuracy vs epoch for every model of an experiment: one colour
 * per model, solid for train and dashed for test.  Each panel's legend goes in
 * a corner no line passes through, or, if every corner is taken, outside the
 * axes on the right. */
int plot_lines(const char *path, const char *title, int n_panels,
               const plot_panel *panels, cv_error *e);

/* Confusion matrix heat map: counts[t * n + p] images of true class t were
 * predicted as p (the order of eval --json's "confusion").  Cell colour is the
 * row fraction (recall for the diagonal), on a sequential scale with a colour
 * bar; each cell prints its count.  Rows are "true", columns "predicted",
 * both labelled with class_names (n of them, 2..64). */
int plot_confusion(const char *path, const char *title, int n,
                   const char *const *class_names, const long *counts, cv_error *e);

enum {
    PLOT_LOG_X = 1 << 0,    /* logarithmic x axis (all x must be > 0) */
    PLOT_LOG_Y = 1 << 1     /* logarithmic y axis (all y must be > 0) */
};

/* Scatter plot with every point labelled, e.g. parameters (x) against test
 * accuracy (y) with model names.  yerr (NULL: none) draws y +- yerr[i] as an
 * error bar, e.g. a standard deviation over seeds.  labels may be NULL;
 * flags: PLOT_LOG_*. */
int plot_scatter_labeled(const char *path, const char *title, const char *xlabel,
                         const char *ylabel, int n, const double *x, const double *y,
                         const double *yerr, const char *const *labels, int flags,
                         cv_error *e);

/* Grouped bar chart: n_groups groups along x (group_labels), n_series bars in
 * each (series_names in a legend; may be NULL when n_series is 1).
 * values[s * n_groups + g] is series s in group g; values >= 0. */
int plot_bars(const char *path, const char *title, const char *ylabel, int n_groups,
              const char *const *group_labels, int n_series,
              const char *const *series_names, const double *values, cv_error *e);

/* Histogram of already-binned data: n_bins bins of equal width over [lo, hi),
 * counts[i] >= 0.  flags: PLOT_LOG_Y for data with one dominant bin (pixel
 * intensities of a dark-background data set). */
int plot_histogram(const char *path, const char *title, const char *xlabel,
                   const char *ylabel, int n_bins, double lo, double hi,
                   const double *counts, int flags, cv_error *e);

/* Frees the font caches that cairo and fontconfig keep for the whole process,
 * so leak checkers (ASan) stay quiet.  Call once, after the last picture,
 * just before the program returns from main; draw nothing after it. */
void plot_release_caches(void);

#endif
