/* eda_augment.c - the grid of augmented samples. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pictures/canvas.h"
#include "pictures/eda_augment.h"

/* Floats in [0, 1] (HWC, c channels) as RGB bytes. */
static void to_rgb(const float *x, size_t n, int c, uint8_t *rgb)
{
    for (size_t j = 0; j < n; j++)
        for (int k = 0; k < 3; k++)
            rgb[j * 3 + (size_t)k] = (uint8_t)lrintf(x[j * (size_t)c + (c == 3 ? (size_t)k : 0)] *
                                                     255.0f);
}

static int append_markdown(const char *out_dir, const cv_augment *a, uint64_t seed,
                           cv_error *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/eda.md", out_dir);
    FILE *f = fopen(path, "a");
    if (!f)
        return cv_fail(e, "%s: cannot write: %s", path, strerror(errno));
    fprintf(f, "\nAugmentation as training applies it (crop-pad %d, shift %d, flip %s, "
            "cutout %d; seed %llu): each class's first training image, then %d draws.\n\n"
            "![augmented samples](eda_augmented.png)\n", a->crop_pad, a->shift,
            a->flip ? "yes" : "no", a->cutout, (unsigned long long)seed, EDA_AUGMENT_DRAWS);
    if (fclose(f) != 0)
        return cv_fail(e, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

int eda_write_augmented(const cv_dataset *d, const cv_augment *a, uint64_t seed,
                        const char *out_dir, cv_error *e)
{
    const cv_images *im = &d->train;
    size_t n = (size_t)im->h * im->w, size = n * (size_t)im->c;
    int scale = im->h >= 56 ? 1 : (56 + im->h - 1) / im->h;
    double cell = (double)im->w * scale + 4, row_h = (double)im->h * scale + 6;
    double left = 16 + 130, top = 80;
    canvas c;
    if (canvas_open(&c, (int)fmax(left + (1 + EDA_AUGMENT_DRAWS) * cell + 24, 480),
                    (int)(top + d->n_classes * row_h + 10), e) != 0)
        return -1;
    cairo_t *cr = c.cr;
    canvas_font(cr, 16, 1);
    canvas_text(cr, 16, 14, 0, 0, "Training images and augmented draws of them");
    canvas_font(cr, 12, 0);
    char s[256];
    snprintf(s, sizeof s, "original, then epochs 1 to %d (crop-pad %d, shift %d, flip %s, "
             "cutout %d)", EDA_AUGMENT_DRAWS, a->crop_pad, a->shift, a->flip ? "yes" : "no",
             a->cutout);
    canvas_text(cr, 16, 38, 0, 0, s);
    float *x = malloc(size * sizeof *x), *scratch = malloc(size * sizeof *x);
    uint8_t *rgb = malloc(n * 3);
    int rc = 0;
    if (!x || !scratch || !rgb)
        rc = cv_fail(e, "%s: out of memory", out_dir);
    for (int k = 0; rc == 0 && k < d->n_classes; k++) {
        size_t i = 0;
        while (i < im->n && im->labels[i] != k)
            i++;
        if (i == im->n)
            continue;
        double y = top + k * row_h;
        cairo_set_source_rgb(cr, 0, 0, 0);
        canvas_font(cr, 13, 0);
        canvas_text(cr, left - 12, y + im->h * scale / 2.0, 1, 0.5,
                    d->class_names[k] ? d->class_names[k] : "?");
        for (int draw = 0; draw <= EDA_AUGMENT_DRAWS; draw++) {
            dataset_gather(im, NULL, i, 1, x, NULL);
            if (draw > 0)
                augment_image(a, augment_seed(seed, (uint64_t)draw - 1, (uint64_t)k), x, im->h,
                              im->w, im->c, scratch);
            to_rgb(x, n, im->c, rgb);
            canvas_pixels(cr, left + draw * cell + (draw > 0 ? 12 : 0), y, im->w, im->h, scale,
                          rgb);
        }
    }
    free(x);
    free(scratch);
    free(rgb);
    char path[4096];
    snprintf(path, sizeof path, "%s/eda_augmented.png", out_dir);
    if (rc == 0)
        rc = canvas_save(&c, path, e);
    canvas_close(&c);
    return rc == 0 ? append_markdown(out_dir, a, seed, e) : -1;
}
