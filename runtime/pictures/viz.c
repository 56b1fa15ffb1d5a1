/* viz.c - learned filters and feature maps of a model as pictures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pictures/canvas.h"
#include "pictures/viz.h"

#define CELL_GAP 6          /* pixels between small images in a grid */
#define INDEX_FONT 9        /* filter / map numbers */

/* ---- finding layers and kernels ------------------------------------------ */

static int is_conv(const convc_layer *l)
{
    return l->kind && strcmp(l->kind, "conv") == 0;
}

int viz_conv_count(const convc_model *m)
{
    int n = 0;
    for (int i = 0; i < m->n_layers; i++)
        n += is_conv(&m->layers[i]);
    return n;
}

/* The conv_index-th conv layer, or NULL. */
static const convc_layer *conv_layer(const convc_model *m, int conv_index)
{
    for (int i = 0, k = 0; i < m->n_layers; i++)
        if (is_conv(&m->layers[i]) && k++ == conv_index)
            return &m->layers[i];
    return NULL;
}

/* The first conv layer's kernel: the first rank-4 tensor (tensors are in
 * layer order), checked against the layer's output channels. */
static const convc_tensor *first_conv_kernel(const convc_model *m, cv_error *e)
{
    const convc_layer *l = conv_layer(m, 0);
    if (!l)
        return cv_fail(e, "model %s has no conv layer", m->name), NULL;
    for (int i = 0; i < m->n_tensors; i++) {
        const convc_tensor *t = &m->tensors[i];
        if (t->rank != 4)
            continue;
        if (t->shape[3] != l->c || t->offset + t->count > m->n_params ||
            t->count != (size_t)t->shape[0] * t->shape[1] * t->shape[2] * t->shape[3])
            return cv_fail(e, "model %s: tensor %s does not match layer '%s'", m->name,
                           t->name, l->source ? l->source : "conv"), NULL;
        return t;
    }
    return cv_fail(e, "model %s: no 4-D kernel for its first conv layer", m->name), NULL;
}

/* Text on several lines ('\n'); returns the height used. */
static double text_lines(cairo_t *cr, double x, double y, const char *s, double size,
                         int bold_first)
{
    char line[256];
    double dy = 0;
    for (int first = 1; s && *s; first = 0) {
        size_t n = strcspn(s, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), s);
        canvas_font(cr, size, first && bold_first);
        canvas_text(cr, x, y + dy, 0, 0, line);
        dy += size * 1.45;
        s += n + (s[n] == '\n');
    }
    return dy;
}

/* Width of the widest line of s as text_lines draws it. */
static double widest_line(const char *s, double size)
{
    char line[256];
    double w = 0;
    for (int first = 1; s && *s; first = 0) {
        size_t n = strcspn(s, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), s);
        w = fmax(w, canvas_measure(line, size, first));
        s += n + (s[n] == '\n');
    }
    return w;
}

static int count_lines(const char *s)
{
    int n = s && *s ? 1 : 0;
    for (; s && *s; s++)
        n += *s == '\n' && s[1];
    return n;
}

/* ---- filters ------------------------------------------------------------- */

int viz_filters(const char *path, const convc_model *m, const float *params,
                cv_error *e)
{
    const convc_tensor *t = first_conv_kernel(m, e);
    if (!t)
        return -1;
    int kh = t->shape[0], kw = t->shape[1], cin = t->shape[2], cout = t->shape[3];
    const float *k = params + t->offset;
    double vmax = 0;
    for (size_t i = 0; i < t->count; i++)
        vmax = fmax(vmax, fabs((double)k[i]));

    /* Every filter drawn about 56 pixels tall, whatever its size. */
    int scale = kh >= 56 ? 1 : (56 + kh - 1) / kh;
    int slice_w = kw * scale, fw = cin * slice_w + (cin - 1) * 2, fh = kh * scale;
    int cols = cout < 8 ? cout : 8;
    while (cols > 1 && cols * (fw + CELL_GAP) > 1000)
        cols--;
    int rows = (cout + cols - 1) / cols;
    double cell_w = fw + CELL_GAP + 8, cell_h = fh + CELL_GAP + 14;
    double left = 24, top = 78;
    double grid_w = cols * cell_w, grid_h = rows * cell_h;
    double bar_x = left + grid_w + 20;
    const convc_layer *l = conv_layer(m, 0);
    char title[512], subtitle[512], s[64];
    snprintf(title, sizeof title, "%s: learned filters of the first conv layer", m->name);
    snprintf(subtitle, sizeof subtitle, "%s  -  %d filters of %dx%d%s, one shared scale",
             l->source ? l->source : "conv", cout, kh, kw,
             cin > 1 ? " per input channel" : "");
    double text_w = fmax(canvas_measure(title, 16, 1), canvas_measure(subtitle, 12, 0));
    int width = (int)fmax(fmax(bar_x + 18 + 60 + 24, 16 + text_w + 16), 480);
    int height = (int)(top + fmax(grid_h, 160) + 24);

    canvas c;
    if (canvas_open(&c, width, height, e) != 0)
        return -1;
    cairo_t *cr = c.cr;
    canvas_font(cr, 16, 1);
    canvas_text(cr, 16, 14, 0, 0, title);
    canvas_font(cr, 12, 0);
    canvas_text(cr, 16, 40, 0, 0, subtitle);

    uint8_t *rgb = malloc((size_t)kh * (size_t)kw * 3);
    if (!rgb) {
        canvas_close(&c);
        return cv_fail(e, "%s: out of memory", path);
    }
    for (int f = 0; f < cout; f++) {
        double x = left + (f % cols) * cell_w, y = top + (f / cols) * cell_h;
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        canvas_font(cr, INDEX_FONT, 0);
        snprintf(s, sizeof s, "%d", f + 1);
        canvas_text(cr, x + fw / 2.0, y, 0.5, 0, s);
        for (int ci = 0; ci < cin; ci++) {
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++) {
                    double v = k[(((size_t)i * kw + j) * cin + ci) * cout + f], col[3];
                    colormap_diverging(vmax > 0 ? v / vmax : 0, col);
                    for (int ch = 0; ch < 3; ch++)
                        rgb[((size_t)i * kw + j) * 3 + ch] = (uint8_t)lround(col[ch] * 255);
                }
            canvas_pixels(cr, x + ci * (slice_w + 2), y + 14, kw, kh, scale, rgb);
        }
    }
    free(rgb);
    canvas_colorbar(cr, bar_x, top + 14, 18, fmax(grid_h - CELL_GAP - 14, 150), -vmax, vmax,
                    colormap_diverging, 1, "Weight");
    int rc = canvas_save(&c, path, e);
    canvas_close(&c);
    return rc;
}

/* ---- feature maps -------------------------------------------------------- */

/* Grid columns for c maps: a power of two near sqrt(2c), so 32 -> 8, 64 -> 16. */
static int map_columns(int c)
{
    int cols = 1;
    while (cols * cols < 2 * c)
        cols *= 2;
    return cols < c ? cols : c;
}

/* One map (channel ch of an h x w x c HWC block) into rgb; returns 1 if the
 * map is zero everywhere. */
static int map_to_rgb(const float *out, int h, int w, int c, int ch, uint8_t *rgb)
{
    double lo = 0, hi = 0;
    size_t n = (size_t)h * (size_t)w;
    for (size_t i = 0; i < n; i++) {
        double v = out[i * (size_t)c + (size_t)ch];
        lo = fmin(lo, v);
        hi = fmax(hi, v);
    }
    int diverging = lo < 0;
    double m = fmax(-lo, hi);
    for (size_t i = 0; i < n; i++) {
        double v = out[i * (size_t)c + (size_t)ch], col[3];
        if (diverging)
            colormap_diverging(v / m, col);
        else
            colormap_viridis(hi > 0 ? v / hi : 0, col);
        for (int k = 0; k < 3; k++)
            rgb[i * 3 + (size_t)k] = (uint8_t)lround(col[k] * 255);
    }
    return m == 0;
}

static void input_to_rgb(const float *x, int h, int w, int c, uint8_t *rgb)
{
    for (size_t i = 0; i < (size_t)h * (size_t)w; i++)
        for (int k = 0; k < 3; k++) {
            double v = x[i * (size_t)c + (size_t)(c == 3 ? k : 0)];
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            rgb[i * 3 + (size_t)k] = (uint8_t)lround(v * 255);
        }
}

int viz_feature_maps(const char *path, const convc_model *m, const float *params,
                     int conv_index, int n_images, const float *images,
                     const char *const *captions, cv_error *e)
{
    const convc_layer *l = conv_layer(m, conv_index);
    if (!l)
        return cv_fail(e, "%s: model %s has no conv layer %d", path, m->name, conv_index + 1);
    if (n_images < 1 || n_images > 64)
        return cv_fail(e, "%s: %d images (1..64 allowed)", path, n_images);
    int h = l->h, w = l->w, c = l->c;
    if (h < 1 || w < 1 || c < 1 || l->out_offset + (size_t)h * w * c > m->work_per_sample)
        return cv_fail(e, "%s: model %s: layer '%s' lies outside the work buffer", path,
                       m->name, l->source ? l->source : "conv");

    int map_scale = h >= 56 ? 1 : (56 + h - 1) / h;
    int in_scale = m->in_h >= 84 ? 1 : (84 + m->in_h - 1) / m->in_h;
    int cols = map_columns(c), rows = (c + cols - 1) / cols;
    double map_cell_w = w * map_scale + CELL_GAP, map_cell_h = h * map_scale + CELL_GAP + 11;
    double in_w = (double)m->in_w * in_scale, in_h = (double)m->in_h * in_scale;
    double left = 20, grid_x = left + fmax(in_w, 90) + 28;
    int max_caption = 0;
    for (int i = 0; captions && i < n_images; i++)
        max_caption = count_lines(captions[i]) > max_caption ? count_lines(captions[i])
                                                              : max_caption;
    double caption_h = max_caption * 13 * 1.45 + 6;
    double block_h = caption_h + fmax(in_h + 24, rows * map_cell_h) + 18;
    double top = 76;
    char title[512], subtitle[512], s[64];
    snprintf(title, sizeof title, "%s: feature maps of conv layer %d after activation",
             m->name, conv_index + 1);
    snprintf(subtitle, sizeof subtitle, "%s  -  %d maps of %dx%d; each map on its own "
             "scale (dark: 0, yellow: its maximum)", l->source ? l->source : "conv", c, h, w);
    double text_w = fmax(canvas_measure(title, 16, 1), canvas_measure(subtitle, 12, 0));
    for (int i = 0; captions && i < n_images; i++)
        text_w = fmax(text_w, widest_line(captions[i], 13));
    int width = (int)fmax(grid_x + cols * map_cell_w + 16, 16 + text_w + 16);
    int height = (int)(top + n_images * block_h + 8);

    float *work = calloc(convc_work_floats(m, 1), sizeof *work);
    float *probs = calloc((size_t)(m->n_classes > 0 ? m->n_classes : 1), sizeof *probs);
    size_t px = (size_t)(h * w > m->in_h * m->in_w ? h * w : m->in_h * m->in_w);
    uint8_t *rgb = malloc(px * 3);
    canvas cv;
    int opened = work && probs && rgb && canvas_open(&cv, width, height, e) == 0;
    if (!opened) {
        free(work);
        free(probs);
        free(rgb);
        return work && probs && rgb ? -1 : cv_fail(e, "%s: out of memory", path);
    }
    cairo_t *cr = cv.cr;
    canvas_font(cr, 16, 1);
    canvas_text(cr, 16, 14, 0, 0, title);
    canvas_font(cr, 12, 0);
    canvas_text(cr, 16, 40, 0, 0, subtitle);

    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    for (int img = 0; img < n_images; img++) {
        const float *x = images + (size_t)img * in_size;
        double y0 = top + img * block_h;
        if (img > 0) {
            cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
            cairo_set_line_width(cr, 1);
            cairo_move_to(cr, 10, round(y0 - 9) + 0.5);
            cairo_line_to(cr, width - 10, round(y0 - 9) + 0.5);
            cairo_stroke(cr);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (captions && captions[img])
            text_lines(cr, left, y0, captions[img], 13, 1);
        double by = y0 + caption_h;
        input_to_rgb(x, m->in_h, m->in_w, m->in_c, rgb);
        canvas_pixels(cr, left, by + 12, m->in_w, m->in_h, in_scale, rgb);
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        canvas_font(cr, 11, 0);
        canvas_text(cr, left + in_w / 2, by, 0.5, 0, "input");

        m->forward(params, work, x, 1, probs, NULL);
        const float *out = work + l->out_offset;
        for (int ch = 0; ch < c; ch++) {
            double mx = grid_x + (ch % cols) * map_cell_w, my = by + (ch / cols) * map_cell_h;
            int dead = map_to_rgb(out, h, w, c, ch, rgb);
            canvas_pixels(cr, mx, my + 11, w, h, map_scale, rgb);
            canvas_font(cr, INDEX_FONT, 0);
            cairo_set_source_rgb(cr, dead ? 0.75 : 0.35, dead ? 0.1 : 0.35, dead ? 0.1 : 0.35);
            snprintf(s, sizeof s, dead ? "%d  all 0" : "%d", ch + 1);
            canvas_text(cr, mx, my, 0, 0, s);
        }
    }
    free(work);
    free(probs);
    free(rgb);
    int rc = canvas_save(&cv, path, e);
    canvas_close(&cv);
    return rc;
}

/* ---- everything for `train viz` ------------------------------------------ */

/* Up to `want` classes spread over 0..n_classes-1, e.g. 0, 3, 6, 9 of 10. */
static int pick_classes(int n_classes, int want, int *classes)
{
    int n = n_classes < want ? n_classes : want;
    for (int i = 0; i < n; i++)
        classes[i] = n == 1 ? 0 : (int)lround((double)i * (n_classes - 1) / (n - 1));
    return n;
}

int viz_write_all(const convc_model *m, const float *params, const cv_dataset *data,
                  const char *out_dir, int *n_written, cv_error *e)
{
    if (n_written)
        *n_written = 0;
    int n_conv = viz_conv_count(m);
    if (n_conv == 0)
        return 0;
    const cv_images *test = &data->test;
    if (test->h != m->in_h || test->w != m->in_w || test->c != m->in_c)
        return cv_fail(e, "model %s takes %dx%dx%d images, the test set has %dx%dx%d",
                       m->name, m->in_h, m->in_w, m->in_c, test->h, test->w, test->c);
    if (canvas_make_dirs(out_dir, e) != 0)
        return -1;

    char path[4096];
    snprintf(path, sizeof path, "%s/filters.png", out_dir);
    if (viz_filters(path, m, params, e) != 0)
        return -1;
    if (n_written)
        (*n_written)++;

    /* The first test image of each picked class, with the model's verdict. */
    enum { WANT = 4 };
    int classes[WANT], n_pick = pick_classes(data->n_classes, WANT, classes), n_img = 0;
    size_t in_size = (size_t)m->in_h * m->in_w * m->in_c;
    float *images = malloc(sizeof(float) * in_size * WANT);
    float *work = calloc(convc_work_floats(m, 1), sizeof *work);
    float *probs = calloc((size_t)m->n_classes, sizeof *probs);
    char captions[WANT][256];
    const char *caption_ptrs[WANT];
    int rc = 0;
    if (!images || !work || !probs) {
        rc = cv_fail(e, "out of memory");
        goto done;
    }
    for (int k = 0; k < n_pick; k++) {
        size_t i = 0;
        while (i < test->n && test->labels[i] != classes[k])
            i++;
        if (i == test->n)
            continue;   /* a class without test images: skip it */
        float *x = images + (size_t)n_img * in_size;
        for (size_t j = 0; j < in_size; j++)
            x[j] = test->images[i * in_size + j] / 255.0f;
        m->forward(params, work, x, 1, probs, NULL);
        int best = 0;
        for (int j = 1; j < m->n_classes; j++)
            if (probs[j] > probs[best])
                best = j;
        const char *truth = data->class_names[classes[k]] ? data->class_names[classes[k]] : "?";
        const char *guess = best < data->n_classes && data->class_names[best]
                                ? data->class_names[best] : "?";
        snprintf(captions[n_img], sizeof captions[n_img],
                 "%s (test image %zu)\npredicted: %s, %.1f%%", truth, i, guess,
                 100.0 * (double)probs[best]);
        caption_ptrs[n_img] = captions[n_img];
        n_img++;
    }
    if (n_img == 0) {
        rc = cv_fail(e, "the test set has no images for feature maps");
        goto done;
    }
    for (int k = 0; k < n_conv; k++) {
        snprintf(path, sizeof path, "%s/featuremaps_conv%d.png", out_dir, k + 1);
        if ((rc = viz_feature_maps(path, m, params, k, n_img, images, caption_ptrs, e)) != 0)
            goto done;
        if (n_written)
            (*n_written)++;
    }
done:
    free(images);
    free(work);
    free(probs);
    return rc;
}
