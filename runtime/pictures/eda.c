/* eda.c - statistics and pictures of a data set, and a markdown summary. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pictures/canvas.h"
#include "pictures/eda.h"
#include "pictures/plot.h"

/* ---- statistics ---------------------------------------------------------- */

static int split_stats(const char *split, const cv_images *im, int n_classes,
                       eda_split_stats *s, cv_error *e)
{
    memset(s, 0, sizeof *s);
    s->n = im->n;
    size_t per_image = (size_t)im->h * im->w * im->c;
    /* Exact integer sums: no rounding drift over 47 million pixels. */
    uint64_t class_sum[DATASET_MAX_CLASSES] = {0};
    uint64_t sum = 0, sum_sq = 0;
    for (size_t i = 0; i < im->n; i++) {
        int label = im->labels[i];
        if (label >= n_classes)
            return cv_fail(e, "%s image %zu has label %d, outside 0..%d", split, i, label,
                           n_classes - 1);
        s->class_counts[label]++;
        const uint8_t *p = im->images + i * per_image;
        uint64_t image_sum = 0;
        for (size_t j = 0; j < per_image; j++) {
            image_sum += p[j];
            sum_sq += (uint64_t)p[j] * p[j];
            s->histogram[p[j]]++;
        }
        sum += image_sum;
        class_sum[label] += image_sum;
    }
    double n_px = (double)im->n * (double)per_image;
    if (n_px > 0) {
        double mean = (double)sum / n_px, mean_sq = (double)sum_sq / n_px;
        s->pixel_mean = mean / 255;
        s->pixel_std = sqrt(fmax(mean_sq - mean * mean, 0)) / 255;
    }
    for (int k = 0; k < n_classes; k++)
        if (s->class_counts[k])
            s->class_pixel_mean[k] =
                (double)class_sum[k] / ((double)s->class_counts[k] * (double)per_image) / 255;
    return 0;
}

int eda_compute(const cv_dataset *d, eda_stats *s, cv_error *e)
{
    memset(s, 0, sizeof *s);
    if (d->n_classes < 1 || d->n_classes > DATASET_MAX_CLASSES)
        return cv_fail(e, "data set with %d classes", d->n_classes);
    s->n_classes = d->n_classes;
    if (split_stats("training", &d->train, d->n_classes, &s->train, e) != 0 ||
        split_stats("test", &d->test, d->n_classes, &s->test, e) != 0)
        return -1;
    return 0;
}

/* ---- pictures ------------------------------------------------------------ */

static const char *class_name(const cv_dataset *d, int k)
{
    return d->class_names[k] ? d->class_names[k] : "?";
}

/* Image i of im as RGB bytes (gray sets repeat the one channel). */
static void image_rgb(const cv_images *im, size_t i, uint8_t *rgb)
{
    size_t n = (size_t)im->h * im->w;
    const uint8_t *p = im->images + i * n * im->c;
    for (size_t j = 0; j < n; j++)
        for (int k = 0; k < 3; k++)
            rgb[j * 3 + k] = p[j * im->c + (im->c == 3 ? k : 0)];
}

/* One row per class: its name, then its first n training images. */
static int write_samples(const char *path, const cv_dataset *d, int n, cv_error *e)
{
    const cv_images *im = &d->train;
    int scale = im->h >= 56 ? 1 : (56 + im->h - 1) / im->h;
    double cell = (double)im->w * scale + 4, row_h = (double)im->h * scale + 6;
    double name_w = 0;
    for (int k = 0; k < d->n_classes; k++)
        name_w = fmax(name_w, canvas_measure(class_name(d, k), 13, 0));
    double left = 16 + name_w + 12, top = 62;
    canvas c;
    if (canvas_open(&c, (int)fmax(left + n * cell + 12, 480),
                    (int)(top + d->n_classes * row_h + 10), e) != 0)
        return -1;
    cairo_t *cr = c.cr;
    canvas_font(cr, 16, 1);
    canvas_text(cr, 16, 14, 0, 0, "Training images, the first of each class");
    canvas_font(cr, 12, 0);
    char s[256];
    snprintf(s, sizeof s, "%dx%d pixels, shown %dx enlarged as stored (0 black, 255 white)",
             im->w, im->h, scale);
    canvas_text(cr, 16, 38, 0, 0, s);
    uint8_t *rgb = malloc((size_t)im->h * im->w * 3);
    if (!rgb) {
        canvas_close(&c);
        return cv_fail(e, "%s: out of memory", path);
    }
    for (int k = 0; k < d->n_classes; k++) {
        double y = top + k * row_h;
        cairo_set_source_rgb(cr, 0, 0, 0);
        canvas_font(cr, 13, 0);
        canvas_text(cr, left - 12, y + im->h * scale / 2.0, 1, 0.5, class_name(d, k));
        int shown = 0;
        for (size_t i = 0; i < im->n && shown < n; i++)
            if (im->labels[i] == k) {
                image_rgb(im, i, rgb);
                canvas_pixels(cr, left + shown * cell, y, im->w, im->h, scale, rgb);
                shown++;
            }
    }
    free(rgb);
    int rc = canvas_save(&c, path, e);
    canvas_close(&c);
    return rc;
}

/* The mean training image of every class, on one shared colour scale. */
static int write_means(const char *path, const cv_dataset *d, cv_error *e)
{
    const cv_images *im = &d->train;
    size_t n_px = (size_t)im->h * im->w, per_image = n_px * im->c;
    int nc = d->n_classes;
    double *sum = calloc((size_t)nc * n_px, sizeof *sum);
    size_t *count = calloc((size_t)nc, sizeof *count);
    uint8_t *rgb = malloc(n_px * 3);
    if (!sum || !count || !rgb) {
        free(sum);
        free(count);
        free(rgb);
        return cv_fail(e, "%s: out of memory", path);
    }
    for (size_t i = 0; i < im->n; i++) {
        int k = im->labels[i];
        const uint8_t *p = im->images + i * per_image;
        count[k]++;
        for (size_t j = 0; j < n_px; j++) {
            unsigned v = 0;
            for (int ch = 0; ch < im->c; ch++)
                v += p[j * im->c + ch];
            sum[(size_t)k * n_px + j] += (double)v / im->c;
        }
    }
    int scale = im->h >= 112 ? 1 : (112 + im->h - 1) / im->h;
    int cols = nc <= 5 ? nc : (nc + 1) / 2;
    if (cols > 8)
        cols = 8;
    int rows = (nc + cols - 1) / cols;
    double cell_w = (double)im->w * scale + 24, cell_h = (double)im->h * scale + 34;
    double left = 20, top = 66;
    double bar_x = left + cols * cell_w + 8;
    canvas c;
    int rc = canvas_open(&c, (int)fmax(bar_x + 18 + 50 + 24, 520),
                         (int)(top + fmax(rows * cell_h, 150) + 10), e);
    if (rc == 0) {
        cairo_t *cr = c.cr;
        canvas_font(cr, 16, 1);
        canvas_text(cr, 16, 14, 0, 0, "Mean training image of each class");
        canvas_font(cr, 12, 0);
        canvas_text(cr, 16, 38, 0, 0, "pixel values scaled to [0, 1]; one scale for all");
        for (int k = 0; k < nc; k++) {
            double x = left + (k % cols) * cell_w, y = top + (k / cols) * cell_h;
            for (size_t j = 0; j < n_px; j++) {
                double v = count[k] ? sum[(size_t)k * n_px + j] / (double)count[k] / 255 : 0;
                double col[3];
                colormap_viridis(v, col);
                for (int ch = 0; ch < 3; ch++)
                    rgb[j * 3 + ch] = (uint8_t)lround(col[ch] * 255);
            }
            canvas_pixels(cr, x, y, im->w, im->h, scale, rgb);
            cairo_set_source_rgb(cr, 0, 0, 0);
            canvas_font(cr, 13, 0);
            canvas_text(cr, x + im->w * scale / 2.0, y + im->h * scale + 7, 0.5, 0,
                        class_name(d, k));
        }
        canvas_colorbar(cr, bar_x, top, 18, fmin(rows * cell_h - 34, 300), 0, 1,
                        colormap_viridis, 0, "Mean pixel value");
        rc = canvas_save(&c, path, e);
        canvas_close(&c);
    }
    free(sum);
    free(count);
    free(rgb);
    return rc;
}

static int write_counts(const char *path, const cv_dataset *d, const eda_stats *s,
                        cv_error *e)
{
    int nc = d->n_classes;
    double *values = malloc(sizeof(double) * 2 * (size_t)nc);
    if (!values)
        return cv_fail(e, "%s: out of memory", path);
    for (int k = 0; k < nc; k++) {
        values[k] = (double)s->train.class_counts[k];
        values[nc + k] = (double)s->test.class_counts[k];
    }
    static const char *const splits[2] = {"train", "test"};
    int rc = plot_bars(path, "Images per class", "Images", nc,
                       (const char *const *)d->class_names, 2, splits, values, e);
    free(values);
    return rc;
}

static int write_histogram(const char *path, const eda_stats *s, cv_error *e)
{
    double counts[256];
    for (int i = 0; i < 256; i++)
        counts[i] = (double)s->train.histogram[i];
    return plot_histogram(path, "Pixel intensities of the training set",
                          "Pixel value (0 black, 255 white)", "Pixels (log scale)", 256, 0,
                          256, counts, PLOT_LOG_Y, e);
}

/* ---- markdown ------------------------------------------------------------ */

static void thousands(size_t v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%zu", v), o = 0;
    for (int i = 0; i < n && o + 2 < (int)size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

static int write_markdown(const char *path, const cv_dataset *d, const eda_stats *s,
                          int level, int samples, cv_error *e)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cv_fail(e, "%s: cannot create: %s", path, strerror(errno));
    char h[8], h2[9], a[32], b[32];
    int l = level < 1 ? 1 : level > 5 ? 5 : level;
    memset(h, '#', (size_t)l);
    h[l] = '\0';
    snprintf(h2, sizeof h2, "%s#", h);
    const cv_images *tr = &d->train;

    fprintf(f, "%s Exploratory data analysis\n\n", h);
    thousands(tr->n, a, sizeof a);
    thousands(d->test.n, b, sizeof b);
    fprintf(f, "%s training and %s test images of %dx%d pixels%s, %d classes.\n\n", a, b,
            tr->w, tr->h, tr->c == 1 ? " (grayscale)" : "", d->n_classes);

    fprintf(f, "%s Class balance\n\n", h2);
    fprintf(f, "| Label | Class | Train | Test | Mean pixel (train) |\n");
    fprintf(f, "|------:|-------|------:|-----:|-------------------:|\n");
    size_t min_train = (size_t)-1, max_train = 0, min_test = (size_t)-1, max_test = 0;
    for (int k = 0; k < d->n_classes; k++) {
        size_t ntr = s->train.class_counts[k], nte = s->test.class_counts[k];
        thousands(ntr, a, sizeof a);
        thousands(nte, b, sizeof b);
        fprintf(f, "| %d | %s | %s | %s | %.3f |\n", k, class_name(d, k), a, b,
                s->train.class_pixel_mean[k]);
        min_train = ntr < min_train ? ntr : min_train;
        max_train = ntr > max_train ? ntr : max_train;
        min_test = nte < min_test ? nte : min_test;
        max_test = nte > max_test ? nte : max_test;
    }
    thousands(tr->n, a, sizeof a);
    thousands(d->test.n, b, sizeof b);
    fprintf(f, "| | **total** | **%s** | **%s** | %.3f |\n\n", a, b, s->train.pixel_mean);
    if (min_train == max_train && min_test == max_test) {
        thousands(min_train, a, sizeof a);
        thousands(min_test, b, sizeof b);
        fprintf(f, "The classes are exactly balanced: %s training and %s test images "
                "each, so accuracy is a fair summary and no class weighting is needed.\n\n",
                a, b);
    } else {
        thousands(min_train, a, sizeof a);
        thousands(max_train, b, sizeof b);
        fprintf(f, "The classes are not balanced: %s to %s training images per class.\n\n",
                a, b);
    }
    fprintf(f, "![Images per class](eda_class_counts.png)\n\n");

    fprintf(f, "%s Pixel statistics\n\n", h2);
    fprintf(f, "Pixel values scaled to [0, 1] (divided by 255), as the models see them.\n\n");
    fprintf(f, "| Split | Mean | Std | Share of pixels = 0 | Share = 255 |\n");
    fprintf(f, "|-------|-----:|----:|--------------------:|------------:|\n");
    const eda_split_stats *sp[2] = {&s->train, &s->test};
    const char *names[2] = {"train", "test"};
    for (int i = 0; i < 2; i++) {
        double total = 0;
        for (int v = 0; v < 256; v++)
            total += (double)sp[i]->histogram[v];
        fprintf(f, "| %s | %.4f | %.4f | %.1f%% | %.2f%% |\n", names[i], sp[i]->pixel_mean,
                sp[i]->pixel_std, total > 0 ? 100 * (double)sp[i]->histogram[0] / total : 0,
                total > 0 ? 100 * (double)sp[i]->histogram[255] / total : 0);
    }
    fprintf(f, "\n![Pixel intensity histogram](eda_histogram.png)\n\n");

    fprintf(f, "%s Samples and class means\n\n", h2);
    fprintf(f, "The first %d training images of each class:\n\n", samples);
    fprintf(f, "![Sample images per class](eda_samples.png)\n\n");
    fprintf(f, "The mean training image of each class shows the shape the class shares "
            "and how much it varies (blurred regions):\n\n");
    fprintf(f, "![Mean image per class](eda_mean_images.png)\n");
    int failed = ferror(f);
    if (fclose(f) != 0 || failed)
        return cv_fail(e, "%s: write failed", path);
    return 0;
}

/* ---- all of it ----------------------------------------------------------- */

int eda_write(const cv_dataset *d, const char *out_dir, int samples_per_class,
              int heading_level, cv_error *e)
{
    if (samples_per_class < 1 || samples_per_class > 64)
        return cv_fail(e, "%d samples per class (1..64 allowed)", samples_per_class);
    if (d->train.n == 0)
        return cv_fail(e, "the training set is empty");
    eda_stats stats, *s = &stats;
    char path[4200];
    int rc = eda_compute(d, s, e);
    if (rc == 0)
        rc = canvas_make_dirs(out_dir, e);
#define OUT(name) (snprintf(path, sizeof path, "%s/%s", out_dir, name), path)
    if (rc == 0)
        rc = write_samples(OUT("eda_samples.png"), d, samples_per_class, e);
    if (rc == 0)
        rc = write_means(OUT("eda_mean_images.png"), d, e);
    if (rc == 0)
        rc = write_counts(OUT("eda_class_counts.png"), d, s, e);
    if (rc == 0)
        rc = write_histogram(OUT("eda_histogram.png"), s, e);
    if (rc == 0)
        rc = write_markdown(OUT("eda.md"), d, s, heading_level, samples_per_class, e);
#undef OUT
    return rc;
}
