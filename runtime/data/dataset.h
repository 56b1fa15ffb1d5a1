/* dataset.h - an image classification data set: train and test images and
 * labels, from one of three layouts of a data directory (detected in this
 * order):
 *   IDX      {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
 *   CIFAR    data_batch_*.bin and test_batch.bin (CIFAR-10 binary: records
 *            of a label byte and 32x32x3 channel-planar pixels)
 *   folders  PNG files, one folder per class: DIR/train/CLASS and
 *            DIR/test/CLASS, or DIR/CLASS with a seeded test split
 *            (data/image_folder.h) */
#ifndef CONVC_DATASET_H
#define CONVC_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define DATASET_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define DATASET_ENV         "CONVC_DATA"
#define DATASET_MAX_CLASSES 256

typedef struct {
    size_t n;
    int h, w, c;            /* c = 1 for rank-3 image files, dims[3] for rank 4 */
    uint8_t *images;        /* n * h * w * c bytes, HWC */
    uint8_t *labels;        /* n */
} cv_images;

/* How a folder of PNG images becomes a data set (data/image_folder.h). */
typedef struct {
    int resize_h, resize_w;         /* > 0: resample every image to this size */
    int skip_bad;                   /* skip unreadable, odd-sized and non-image files */
    double test_split;              /* DIR/CLASS layout: fraction held out for testing */
} cv_data_options;

#define DATASET_DEFAULT_TEST_SPLIT 0.2

typedef struct {
    cv_images train, test;
    const char *format;             /* "IDX", "CIFAR-10 binary", "PNG folders" */
    size_t skipped;                 /* files skipped by skip_bad */
    int from_cache;                 /* PNG folders: read from the cache file */
    int n_classes;                  /* 1 + the largest label seen */
    char *class_names[DATASET_MAX_CLASSES];
} cv_dataset;

/* --data DIR if given, else $CONVC_DATA, else DATASET_DEFAULT_DIR. */
const char *dataset_dir(const char *flag);
/* Loads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]: images and
 * labels must agree in count.  Class names come from DIR/classes.txt (one a
 * line) when present, the Fashion-MNIST names for a 10-class set whose
 * directory name contains "fashion", else "0", "1", ...  A missing directory
 * gives a message naming the Debian package dataset-fashion-mnist and --data. */
int dataset_load(const char *dir, cv_dataset *d, cv_error *e);
/* dataset_load with options for PNG folders (NULL: the defaults). */
int dataset_load_with(const char *dir, const cv_data_options *o, cv_dataset *d, cv_error *e);
cv_data_options dataset_default_options(void);
void dataset_free(cv_dataset *d);
/* The identity of the training set as loaded: FNV-1a 64 (base/hash.h) of its
 * count, shape and the hashes of its pixels and labels.  A checkpoint keeps
 * it, so that a run is not resumed on other data. */
uint64_t dataset_train_fingerprint(const cv_dataset *d);
/* The n class names for data directory dir, by the rules of dataset_load,
 * without reading the images (for `predict`).  The caller frees names[i]. */
int dataset_class_names(const char *dir, int n, char **names, cv_error *e);

/* Converts n images to floats in [0, 1] (x / 255) into x, HWC, one after
 * another, with their labels: image index[i] if index is not NULL, else
 * image first + i.  Pixels stay uint8 in memory until a batch needs them. */
void dataset_gather(const cv_images *im, const uint32_t *index, size_t first, size_t n,
                    float *x, uint8_t *labels);

#endif
