/* png.h - 8-bit images in memory and PNG files through libpng.
 *
 * This header shares its file name with libpng's <png.h>; because -Iruntime
 * comes first on the include path, png.c reaches libpng as <libpng16/png.h>.
 * Public names use the cv_ prefix: libpng owns png_*. */
#ifndef CONVC_PNG_H
#define CONVC_PNG_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

/* Pictures larger than this in either direction are refused (on read and
 * write) so a hostile header cannot make us allocate gigabytes. */
#define CV_BITMAP_MAX_SIDE 16384

/* An 8-bit image: rows top to bottom, each w * channels bytes, no padding.
 * channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
typedef struct {
    int w, h, channels;
    uint8_t *px;
} cv_bitmap;

/* Allocates a zeroed (black, transparent) bitmap; -1 on bad size or no memory. */
int cv_bitmap_alloc(cv_bitmap *b, int w, int h, int channels, cv_error *e);
void cv_bitmap_free(cv_bitmap *b);

/* Writes b as an 8-bit PNG with the matching colour type (gray, gray+alpha,
 * RGB, RGBA).  The file holds pixels only (no time, no text chunks) and the
 * compression settings are fixed, so the same pixels give the same bytes.
 * On failure the partial file is removed. */
int cv_png_write(const char *path, const cv_bitmap *b, cv_error *e);

/* Reads any PNG into 8 bits per channel: palette becomes RGB(A), 16-bit is
 * reduced to 8, low-bit gray is expanded, tRNS becomes alpha; channels keeps
 * the file's kind (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).  Errors name the file. */
int cv_png_read(const char *path, cv_bitmap *out, cv_error *e);
/* The same on bytes in memory; `name` is used in messages. */
int cv_png_decode(const char *name, const uint8_t *buf, size_t len, cv_bitmap *out,
                  cv_error *e);

#endif
