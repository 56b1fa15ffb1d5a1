/* eda_augment.h - what training-time augmentation (data/augment.h) does to
 * a data set: a grid of original training images next to augmented draws
 * of them, exactly as the trainer makes them. */
#ifndef CONVC_EDA_AUGMENT_H
#define CONVC_EDA_AUGMENT_H

#include <stdint.h>
#include "base/error.h"
#include "data/augment.h"
#include "data/dataset.h"

#define EDA_AUGMENT_DRAWS 6

/* Writes out_dir/eda_augmented.png: one row per class (its first training
 * image), the original at the left, then EDA_AUGMENT_DRAWS draws: the
 * image at position k (its class) of epochs 0, 1, ... of a run with
 * `seed`, drawn with the trainer's seeds.  Appends a section linking it to
 * out_dir/eda.md. */
int eda_write_augmented(const cv_dataset *d, const cv_augment *a, uint64_t seed,
                        const char *out_dir, cv_error *e);

#endif
