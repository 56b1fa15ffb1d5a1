/* png.c - cv_bitmap and PNG files through libpng. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpng16/png.h>   /* not <png.h>: runtime/png.h shadows it */
#include "base/deflate.h"
#include "base/files.h"
#include "base/png.h"

/* A PNG file larger than this is not a picture we want to read. */
#define PNG_MAX_FILE_BYTES ((size_t)256 << 20)

int cv_bitmap_alloc(cv_bitmap *b, int w, int h, int channels, cv_error *e)
{
    memset(b, 0, sizeof *b);
    if (w < 1 || h < 1 || w > CV_BITMAP_MAX_SIDE || h > CV_BITMAP_MAX_SIDE)
        return cv_fail(e, "image size %dx%d is outside 1..%d", w, h, CV_BITMAP_MAX_SIDE);
    if (channels < 1 || channels > 4)
        return cv_fail(e, "image with %d channels (1..4 expected)", channels);
    b->px = calloc((size_t)w * (size_t)h * (size_t)channels, 1);
    if (!b->px)
        return cv_fail(e, "out of memory for a %dx%d image", w, h);
    b->w = w;
    b->h = h;
    b->channels = channels;
    return 0;
}

void cv_bitmap_free(cv_bitmap *b)
{
    if (!b)
        return;
    free(b->px);
    memset(b, 0, sizeof *b);
}

/* libpng reports errors through a longjmp; the message is kept here first. */
typedef struct {
    const char *name;
    char msg[256];
} png_err_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_err_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;  /* warnings (e.g. a bad ancillary chunk) do not stop us */
}

/* ---- writing ------------------------------------------------------------- */

static int color_type_for(int channels)
{
    static const int types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    return types[channels - 1];
}

int cv_png_write(const char *path, const cv_bitmap *b, cv_error *e)
{
    if (!b || !b->px || b->w < 1 || b->h < 1 || b->w > CV_BITMAP_MAX_SIDE ||
        b->h > CV_BITMAP_MAX_SIDE || b->channels < 1 || b->channels > 4)
        return cv_fail(e, "%s: not a valid image to write", path);

    FILE *f = fopen(path, "wb");
    if (!f)
        return cv_fail(e, "%s: cannot create: %s", path, strerror(errno));

    png_err_ctx ctx = {path, ""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx,
                                              on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        fclose(f);
        remove(path);
        return cv_fail(e, "%s: out of memory in libpng", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        remove(path);
        return cv_fail(e, "%s: cannot write PNG: %s", path, ctx.msg);
    }
    png_init_io(png, f);
    /* Fixed settings: the bytes depend on the pixels only. */
    png_set_compression_level(png, 9);
    png_set_IHDR(png, info, (png_uint_32)b->w, (png_uint_32)b->h, 8,
                 color_type_for(b->channels), PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)b->w * (size_t)b->channels;
    for (int y = 0; y < b->h; y++)
        png_write_row(png, b->px + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    if (ferror(f) | fclose(f)) {
        remove(path);
        return cv_fail(e, "%s: write failed: %s", path, strerror(errno));
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct {
    const uint8_t *buf;
    size_t len, pos;
} mem_reader;

static void read_from_memory(png_structp png, png_bytep out, png_size_t n)
{
    mem_reader *r = png_get_io_ptr(png);
    if (n > r->len - r->pos)
        png_error(png, "file ends early (truncated)");
    memcpy(out, r->buf + r->pos, n);
    r->pos += n;
}

int cv_png_decode(const char *name, const uint8_t *buf, size_t len, cv_bitmap *out,
                  cv_error *e)
{
    memset(out, 0, sizeof *out);
    if (len < 8 || png_sig_cmp(buf, 0, 8) != 0)
        return cv_fail(e, "%s: not a PNG file (bad signature)", name);

    png_err_ctx ctx = {name, ""};
    mem_reader reader = {buf, len, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx,
                                             on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return cv_fail(e, "%s: out of memory in libpng", name);
    }
    /* Written after setjmp and used after a longjmp: must be volatile. */
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return cv_fail(e, "%s: bad PNG: %s", name, ctx.msg);
    }
    png_set_read_fn(png, &reader, read_from_memory);
    png_set_user_limits(png, CV_BITMAP_MAX_SIDE, CV_BITMAP_MAX_SIDE);
    png_read_info(png, info);
    /* The pixel data (a filter byte, then the samples, per row) is deflated:
     * a header promising more than the file can hold is refused before
     * the image is allocated. */
    size_t raw = ((size_t)png_get_rowbytes(png, info) + 1) * png_get_image_height(png, info);
    if (raw / DEFLATE_MAX_RATIO > len) {
        char why[160];
        snprintf(why, sizeof why, "a %ux%u image needs %zu bytes of pixel data, more than "
                 "%zu bytes of PNG can hold (truncated?)", png_get_image_width(png, info),
                 png_get_image_height(png, info), raw, len);
        png_error(png, why);
    }

    int color = png_get_color_type(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int w = (int)png_get_image_width(png, info);
    int h = (int)png_get_image_height(png, info);
    int channels = png_get_channels(png, info);
    size_t stride = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || stride != (size_t)w * (size_t)channels)
        png_error(png, "unsupported pixel layout");

    pixels = malloc(stride * (size_t)h);
    rows = malloc(sizeof(png_bytep) * (size_t)h);
    if (!pixels || !rows)
        png_error(png, "out of memory");
    for (int y = 0; y < h; y++)
        rows[y] = pixels + (size_t)y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);

    out->w = w;
    out->h = h;
    out->channels = channels;
    out->px = pixels;
    return 0;
}

int cv_png_read(const char *path, cv_bitmap *out, cv_error *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    if (!(buf = (uint8_t *)cv_read_file(path, PNG_MAX_FILE_BYTES, &len, e)))
        return -1;
    int rc = cv_png_decode(path, buf, len, out, e);
    free(buf);
    return rc;
}
