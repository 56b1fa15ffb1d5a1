/* dataset.h - an image classification data set: train and test IDX pairs. */
#ifndef CONVC_DATASET_H
#define CONVC_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define DATASET_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define DATASET_ENV         "CONVC_DATA"
#define DATASET_MAX_CLASSES 256

typedef struct {
    size_t n;
    int h, w, c;            /* c = 1 for rank-3 image files, dims[3] for rank 4 */
    uint8_t *images;        /* n * h * w * c bytes, HWC */
    uint8_t *labels;        /* n */
} cv_images;

typedef struct {
    cv_images train, test;
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
void dataset_free(cv_dataset *d);

#endif
