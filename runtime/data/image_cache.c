/* image_cache.c - the cache file of decoded images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/files.h"
#include "base/png.h"
#include "data/image_cache.h"

/* A cache larger than this is not one of ours. */
#define CACHE_MAX_BYTES ((size_t)16 << 30)

/* The file: this header, then the training and the test pixels, each
 * followed by its labels. */
typedef struct {
    char magic[8];
    uint64_t fingerprint;
    uint64_t n_train, n_test, skipped;
    uint32_t h, w, c, n_classes;
} cache_header;

static void cache_path(const char *dir, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, IMAGE_CACHE_FILE);
}

int image_cache_decode(const char *buf, size_t len, uint64_t fingerprint, int n_classes,
                       cv_dataset *d)
{
    cache_header h;
    if (len < sizeof h)
        return -1;
    memcpy(&h, buf, sizeof h);
    if (memcmp(h.magic, IMAGE_CACHE_VERSION, 8) != 0 || h.fingerprint != fingerprint ||
        h.n_classes != (uint32_t)n_classes || h.h < 1 || h.w < 1 || (h.c != 1 && h.c != 3) ||
        h.h > CV_BITMAP_MAX_SIDE || h.w > CV_BITMAP_MAX_SIDE || h.n_train < 1 ||
        h.n_train >= ((uint64_t)1 << 32) || h.n_test >= ((uint64_t)1 << 32))
        return -1;
    /* No overflow: below 2^33 images of at most 2^30 bytes. */
    size_t size = (size_t)h.h * h.w * h.c;
    if (len != sizeof h + (h.n_train + h.n_test) * (size + 1))
        return -1;
    cv_images parts[2] = { { .n = h.n_train }, { .n = h.n_test } };
    const char *at = buf + sizeof h;
    int ok = 1;
    for (int i = 0; ok && i < 2; i++) {
        cv_images *im = &parts[i];
        im->h = (int)h.h, im->w = (int)h.w, im->c = (int)h.c;
        im->images = malloc(im->n * size + 1);
        im->labels = malloc(im->n + 1);
        ok = im->images && im->labels;
        if (ok) {
            memcpy(im->images, at, im->n * size);
            memcpy(im->labels, at + im->n * size, im->n);
            at += im->n * (size + 1);
            for (size_t j = 0; j < im->n; j++)
                ok = ok && im->labels[j] < n_classes;
        }
    }
    if (!ok) {
        for (int i = 0; i < 2; i++) {
            free(parts[i].images);
            free(parts[i].labels);
        }
        return -1;
    }
    d->train = parts[0];
    d->test = parts[1];
    d->skipped = h.skipped;
    return 0;
}

int image_cache_read(const char *dir, uint64_t fingerprint, int n_classes, cv_dataset *d)
{
    char path[4096];
    cache_path(dir, path, sizeof path);
    cv_error e;
    size_t len;
    char *buf = cv_read_file(path, CACHE_MAX_BYTES, &len, &e);
    if (!buf)
        return -1;
    int rc = image_cache_decode(buf, len, fingerprint, n_classes, d);
    free(buf);
    return rc;
}

void image_cache_write(const char *dir, uint64_t fingerprint, int n_classes,
                        const cv_dataset *d)
{
    cache_header h = { .fingerprint = fingerprint, .n_train = d->train.n,
                       .n_test = d->test.n, .skipped = d->skipped, .h = (uint32_t)d->train.h,
                       .w = (uint32_t)d->train.w, .c = (uint32_t)d->train.c,
                       .n_classes = (uint32_t)n_classes };
    memcpy(h.magic, IMAGE_CACHE_VERSION, 8);
    size_t size = (size_t)d->train.h * d->train.w * d->train.c;
    cv_buf b = { 0 };
    buf_add(&b, &h, sizeof h);
    const cv_images *parts[2] = { &d->train, &d->test };
    for (int i = 0; i < 2; i++) {
        buf_add(&b, parts[i]->images, parts[i]->n * size);
        buf_add(&b, parts[i]->labels, parts[i]->n);
    }
    char path[4096];
    cache_path(dir, path, sizeof path);
    cv_error e;
    if (!b.oom)
        (void)cv_write_atomic(path, b.data, b.len, &e);
    buf_free(&b);
}

