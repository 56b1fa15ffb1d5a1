/* image_io.c - PGM (P2, P5) and PNG files as grayscale floats in [0,1]. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/files.h"
#include "data/image_io.h"
#include "base/png.h"

/* An input image larger than this is certainly not meant for a classifier. */
#define IMAGE_MAX_FILE_BYTES ((size_t)64 << 20)

void cv_gray_image_free(cv_gray_image *img)
{
    if (!img)
        return;
    free(img->px);
    memset(img, 0, sizeof *img);
}

static int alloc_gray(const char *name, cv_gray_image *img, int w, int h, cv_error *e)
{
    img->px = malloc(sizeof(float) * (size_t)w * (size_t)h);
    if (!img->px)
        return cv_fail(e, "%s: out of memory for a %dx%d image", name, w, h);
    img->w = w;
    img->h = h;
    return 0;
}

/* ---- PGM ----------------------------------------------------------------- */

typedef struct {
    const char *name;
    const uint8_t *buf;
    size_t len, pos;
} pgm_cursor;

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips whitespace and '#' comments (which run to the end of the line). */
static void skip_space(pgm_cursor *c)
{
    while (c->pos < c->len) {
        if (c->buf[c->pos] == '#') {
            while (c->pos < c->len && c->buf[c->pos] != '\n')
                c->pos++;
        } else if (is_space(c->buf[c->pos])) {
            c->pos++;
        } else {
            return;
        }
    }
}

/* Reads a decimal number in 0..max after optional whitespace. */
static int read_number(pgm_cursor *c, const char *what, long max, long *out, cv_error *e)
{
    skip_space(c);
    if (c->pos >= c->len)
        return cv_fail(e, "%s: file ends before the %s (truncated)", c->name, what);
    if (c->buf[c->pos] < '0' || c->buf[c->pos] > '9')
        return cv_fail(e, "%s: expected a number for the %s at byte %zu", c->name, what,
                       c->pos);
    long v = 0;
    while (c->pos < c->len && c->buf[c->pos] >= '0' && c->buf[c->pos] <= '9') {
        v = v * 10 + (c->buf[c->pos] - '0');
        if (v > max)
            return cv_fail(e, "%s: %s is larger than %ld", c->name, what, max);
        c->pos++;
    }
    *out = v;
    return 0;
}

static int decode_pgm(const char *name, const uint8_t *buf, size_t len,
                      cv_gray_image *out, cv_error *e)
{
    pgm_cursor c = {name, buf, len, 2};
    int binary = buf[1] == '5';
    long w, h, maxval;
    if (read_number(&c, "width", CV_BITMAP_MAX_SIDE, &w, e) ||
        read_number(&c, "height", CV_BITMAP_MAX_SIDE, &h, e) ||
        read_number(&c, "maxval", 65535, &maxval, e))
        return -1;
    if (w < 1 || h < 1)
        return cv_fail(e, "%s: image size %ldx%ld is empty", name, w, h);
    if (maxval < 1)
        return cv_fail(e, "%s: maxval 0 (must be 1..65535)", name);

    size_t n = (size_t)w * (size_t)h;
    if (binary) {
        /* Exactly one whitespace byte separates the header from the samples. */
        if (c.pos >= len || !is_space(buf[c.pos]))
            return cv_fail(e, "%s: no whitespace after maxval (truncated header?)", name);
        c.pos++;
        size_t bytes = maxval < 256 ? 1 : 2;
        if (len - c.pos < n * bytes)
            return cv_fail(e, "%s: %zu bytes of pixel data for a %ldx%ld image with "
                           "maxval %ld (%zu needed; truncated)",
                           name, len - c.pos, w, h, maxval, n * bytes);
    } else if (len - c.pos < 2 * n) {
        /* Each ASCII sample takes a space and a digit at least: checked
         * before the image is allocated. */
        return cv_fail(e, "%s: %zu bytes of text for a %ldx%ld image (at least %zu needed: "
                       "a space and a digit a pixel; truncated)", name, len - c.pos, w, h, 2 * n);
    }
    if (alloc_gray(name, out, (int)w, (int)h, e) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        long v;
        if (binary) {
            const uint8_t *p = buf + c.pos;
            v = maxval < 256 ? p[0] : (p[0] << 8 | p[1]);
            c.pos += maxval < 256 ? 1 : 2;
        } else if (read_number(&c, "pixel", 65535, &v, e) != 0) {
            cv_gray_image_free(out);
            /* read_number stops at the digit that made the value too large. */
            const char *why = c.pos >= len ? "file ends early (truncated)"
                              : buf[c.pos] >= '0' && buf[c.pos] <= '9' ? "larger than 65535"
                              : "not a number";
            return cv_fail(e, "%s: pixel %zu of %zu: %s", name, i, n, why);
        }
        if (v > maxval) {
            cv_gray_image_free(out);
            return cv_fail(e, "%s: pixel %zu is %ld, above maxval %ld", name, i, v, maxval);
        }
        out->px[i] = (float)v / (float)maxval;
    }
    return 0;
}

/* ---- PNG ----------------------------------------------------------------- */

static int decode_png(const char *name, const uint8_t *buf, size_t len,
                      cv_gray_image *out, cv_error *e)
{
    cv_bitmap b;
    if (cv_png_decode(name, buf, len, &b, e) != 0)
        return -1;
    if (alloc_gray(name, out, b.w, b.h, e) != 0) {
        cv_bitmap_free(&b);
        return -1;
    }
    int has_alpha = b.channels == 2 || b.channels == 4;
    int color = b.channels >= 3;
    size_t n = (size_t)b.w * (size_t)b.h;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = b.px + i * (size_t)b.channels;
        float v = color ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : (float)p[0];
        if (has_alpha)
            v *= p[b.channels - 1] / 255.0f;    /* over a black background */
        out->px[i] = v / 255.0f;
    }
    cv_bitmap_free(&b);
    return 0;
}

/* ---- entry points -------------------------------------------------------- */

int image_decode_gray(const char *name, const uint8_t *buf, size_t len,
                      cv_gray_image *out, cv_error *e)
{
    memset(out, 0, sizeof *out);
    if (len >= 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0)
        return decode_png(name, buf, len, out, e);
    if (len >= 2 && buf[0] == 'P' && (buf[1] == '2' || buf[1] == '5'))
        return decode_pgm(name, buf, len, out, e);
    if (len >= 2 && buf[0] == 'P' && buf[1] >= '1' && buf[1] <= '7')
        return cv_fail(e, "%s: Netpbm type P%c is not supported (grayscale PGM P2 or "
                       "P5 expected)", name, buf[1]);
    return cv_fail(e, "%s: not a PGM (P2/P5) or PNG image", name);
}

int image_load_gray(const char *path, cv_gray_image *out, cv_error *e)
{
    memset(out, 0, sizeof *out);
    size_t len;
    uint8_t *buf = (uint8_t *)cv_read_file(path, IMAGE_MAX_FILE_BYTES, &len, e);
    if (!buf)
        return -1;
    int rc = image_decode_gray(path, buf, len, out, e);
    free(buf);
    return rc;
}

/* ---- resampling ---------------------------------------------------------- */

/* Area average: each destination pixel is the mean of the source area it
 * covers, with fractional coverage at the edges, so nothing aliases. */
static float area_sample(const cv_gray_image *s, double x0, double x1, double y0,
                         double y1)
{
    double sum = 0, weight = 0;
    for (int y = (int)y0; y < s->h && y < y1; y++) {
        double wy = (y + 1 < y1 ? y + 1 : y1) - (y > y0 ? y : y0);
        for (int x = (int)x0; x < s->w && x < x1; x++) {
            double wx = (x + 1 < x1 ? x + 1 : x1) - (x > x0 ? x : x0);
            sum += wx * wy * (double)s->px[(size_t)y * (size_t)s->w + (size_t)x];
            weight += wx * wy;
        }
    }
    return weight > 0 ? (float)(sum / weight) : 0.0f;
}

static float bilinear_sample(const cv_gray_image *s, double x, double y)
{
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > s->w - 1) x = s->w - 1;
    if (y > s->h - 1) y = s->h - 1;
    int x0 = (int)x, y0 = (int)y;
    int x1 = x0 + 1 < s->w ? x0 + 1 : x0, y1 = y0 + 1 < s->h ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    size_t w = (size_t)s->w;
#define PX(yy, xx) ((double)s->px[(size_t)(yy) * w + (size_t)(xx)])
    double top = PX(y0, x0) * (1 - fx) + PX(y0, x1) * fx;
    double bottom = PX(y1, x0) * (1 - fx) + PX(y1, x1) * fx;
#undef PX
    return (float)(top * (1 - fy) + bottom * fy);
}

void image_resample(const cv_gray_image *src, int w, int h, float *dst)
{
    double sx = (double)src->w / w, sy = (double)src->h / h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v;
            if (sx >= 1 && sy >= 1)
                v = area_sample(src, x * sx, (x + 1) * sx, y * sy, (y + 1) * sy);
            else    /* pixel centres map to pixel centres */
                v = bilinear_sample(src, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5);
            dst[(size_t)y * (size_t)w + (size_t)x] = v;
        }
}

int image_load_input(const char *path, int h, int w, float *dst, int *resized,
                     cv_error *e)
{
    cv_gray_image img;
    if (image_load_gray(path, &img, e) != 0)
        return -1;
    int same = img.w == w && img.h == h;
    if (same)
        memcpy(dst, img.px, sizeof(float) * (size_t)w * (size_t)h);
    else
        image_resample(&img, w, h, dst);
    if (resized)
        *resized = !same;
    cv_gray_image_free(&img);
    return 0;
}
