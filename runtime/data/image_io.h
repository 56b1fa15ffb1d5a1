/* image_io.h - images from disk as model input: grayscale floats in [0,1].
 *
 * Formats, detected by content (not by file name):
 *   PGM  P5 (binary) and P2 (ASCII), maxval 1..65535, '#' comments
 *   PNG  any colour type; colour becomes luminance (0.299 R + 0.587 G +
 *        0.114 B), transparent pixels count as black (the background of the
 *        MNIST family)
 * Every header field and every sample is bounds-checked: a bad or truncated
 * file gives -1 and a message naming the file and what was wrong. */
#ifndef CONVC_IMAGE_IO_H
#define CONVC_IMAGE_IO_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

/* A grayscale image, row-major, values in [0,1]. */
typedef struct {
    int w, h;
    float *px;          /* h * w */
} cv_gray_image;

/* Reads a PGM or PNG file. */
int image_load_gray(const char *path, cv_gray_image *out, cv_error *e);
/* The same on bytes in memory; `name` is used in messages. */
int image_decode_gray(const char *name, const uint8_t *buf, size_t len,
                      cv_gray_image *out, cv_error *e);
void cv_gray_image_free(cv_gray_image *img);

/* Loads `path` as one model input of h x w x 1 floats into dst (HWC, which
 * for one channel is row-major).  An image of another size is resampled with
 * area averaging (downscale) or bilinear interpolation (upscale); *resized
 * (if not NULL) tells the caller so it can say so.  This is what
 * `train predict` calls. */
int image_load_input(const char *path, int h, int w, float *dst, int *resized,
                     cv_error *e);

/* Resamples src to w x h into dst (w * h floats), as image_load_input does. */
void image_resample(const cv_gray_image *src, int w, int h, float *dst);

#endif
