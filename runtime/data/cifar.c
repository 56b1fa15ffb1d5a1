/* cifar.c - CIFAR-10 binary batches. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/files.h"
#include "data/cifar.h"

const char *const cifar10_class_names[CIFAR_CLASSES] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
};

/* One batch file is 10000 records (30 MB); a larger file is not CIFAR-10. */
#define CIFAR_MAX_FILE ((size_t)CIFAR_RECORD * 100000)

int cifar_detect(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    return access(path, F_OK) == 0;
}

int cifar_decode(const char *name, const uint8_t *buf, size_t len, cv_images *im, cv_error *e)
{
    const size_t plane = CIFAR_SIDE * CIFAR_SIDE, size = plane * 3;
    if (len == 0 || len % CIFAR_RECORD != 0)
        return cv_fail(e, "%s: length: %zu bytes is not a whole number of %d-byte records "
                       "(a label and 32x32x3 pixels)", name, len, CIFAR_RECORD);
    size_t n = len / CIFAR_RECORD;
    uint8_t *px = realloc(im->images, (im->n + n) * size);
    if (px)
        im->images = px;
    uint8_t *lab = px ? realloc(im->labels, im->n + n) : NULL;
    if (lab)
        im->labels = lab;
    if (!px || !lab)
        return cv_fail(e, "%s: out of memory for %zu images", name, im->n + n);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = buf + i * CIFAR_RECORD;
        if (r[0] >= CIFAR_CLASSES)
            return cv_fail(e, "%s: record %zu: label %u is not a CIFAR-10 class (0 to 9)", name,
                           i, r[0]);
        uint8_t *dst = im->images + (im->n + i) * size;
        for (size_t p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                dst[p * 3 + (size_t)c] = r[1 + (size_t)c * plane + p];
        im->labels[im->n + i] = r[0];
    }
    im->n += n;
    im->h = im->w = CIFAR_SIDE;
    im->c = 3;
    return 0;
}

static int load_file(const char *path, cv_images *im, cv_error *e)
{
    size_t len;
    char *buf = cv_read_file(path, CIFAR_MAX_FILE, &len, e);
    if (!buf)
        return -1;
    int rc = cifar_decode(path, (const uint8_t *)buf, len, im, e);
    free(buf);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cifar_load(const char *dir, cv_dataset *d, cv_error *e)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return cv_fail(e, "%s: cannot read the data directory", dir);
    char *names[64];
    int n = 0, rc = 0;
    struct dirent *ent;
    while ((ent = readdir(dh)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (strncmp(ent->d_name, "data_batch_", 11) != 0 || l < 15 ||
            strcmp(ent->d_name + l - 4, ".bin") != 0)
            continue;
        if (n == 64) {
            rc = cv_fail(e, "%s: more than 64 data_batch_*.bin files", dir);
            break;
        }
        if (!(names[n] = strdup(ent->d_name))) {
            rc = cv_fail(e, "%s: out of memory", dir);
            break;
        }
        n++;
    }
    closedir(dh);
    if (rc == 0 && n == 0)
        rc = cv_fail(e, "%s: test_batch.bin but no data_batch_*.bin (CIFAR-10 binary)", dir);
    qsort(names, (size_t)n, sizeof *names, by_name);
    char path[4096];
    for (int i = 0; rc == 0 && i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        rc = load_file(path, &d->train, e);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/test_batch.bin", dir);
        rc = load_file(path, &d->test, e);
    }
    d->format = "CIFAR-10 binary";
    return rc;
}
