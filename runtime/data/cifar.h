/* cifar.h - the CIFAR-10 binary format: data_batch_*.bin (training, in
 * name order) and test_batch.bin, each a sequence of 3073-byte records: the
 * label (0-9), then 1024 red, 1024 green and 1024 blue bytes of a 32x32
 * image, rows top to bottom.  Images become HWC. */
#ifndef CONVC_CIFAR_H
#define CONVC_CIFAR_H

#include "data/dataset.h"

#define CIFAR_CLASSES 10
#define CIFAR_SIDE 32
#define CIFAR_RECORD (1 + CIFAR_SIDE * CIFAR_SIDE * 3)

extern const char *const cifar10_class_names[CIFAR_CLASSES];

/* 1 if dir holds test_batch.bin, else 0. */
int cifar_detect(const char *dir);
int cifar_load(const char *dir, cv_dataset *d, cv_error *e);
/* Decodes len bytes of records from `name` into im (appending). */
int cifar_decode(const char *name, const uint8_t *buf, size_t len, cv_images *im, cv_error *e);

#endif
