/* eda.h - exploratory data analysis of an image classification data set:
 * class counts, pixel statistics, sample images, mean images, histogram.
 * Everything is computed from the data; nothing is assumed. */
#ifndef CONVC_EDA_H
#define CONVC_EDA_H

#include <stddef.h>
#include <stdint.h>
#include "data/dataset.h"
#include "base/error.h"

/* Statistics of one split (train or test). */
typedef struct {
    size_t n;                                   /* images */
    size_t class_counts[DATASET_MAX_CLASSES];   /* images per label */
    double pixel_mean, pixel_std;               /* over all pixels, in [0,1] */
    double class_pixel_mean[DATASET_MAX_CLASSES];
    uint64_t histogram[256];                    /* pixels per byte value */
} eda_split_stats;

typedef struct {
    int n_classes;
    eda_split_stats train, test;
} eda_stats;

/* Fills s from d; -1 if a label is out of range (>= d->n_classes). */
int eda_compute(const cv_dataset *d, eda_stats *s, cv_error *e);

/* Writes into out_dir (created if needed):
 *   eda_samples.png     a grid: one row per class (name at the left), the
 *                       first `samples_per_class` training images of it
 *   eda_mean_images.png the mean training image of every class
 *   eda_class_counts.png train and test counts per class (bar chart)
 *   eda_histogram.png   pixel intensities of the training set (log scale)
 *   eda.md              markdown fragment: counts table, pixel statistics,
 *                       links to the pictures (relative to out_dir)
 * heading_level: the '#' count of the fragment's heading (e.g. 2 for "##"). */
int eda_write(const cv_dataset *d, const char *out_dir, int samples_per_class,
              int heading_level, cv_error *e);

#endif
