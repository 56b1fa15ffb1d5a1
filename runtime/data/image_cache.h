/* image_cache.h - decoded images of a data directory in one file,
 * DIR/.convc-cache, valid for one fingerprint: a hash of what the images
 * were decoded from (data/image_folder.c hashes the names, sizes and
 * modification times of every file, and the options).  A file that does
 * not verify in every field is not used. */
#ifndef CONVC_IMAGE_CACHE_H
#define CONVC_IMAGE_CACHE_H

#include <stdint.h>
#include "data/dataset.h"

#define IMAGE_CACHE_FILE ".convc-cache"
/* The file format; a new one also changes every fingerprint. */
#define IMAGE_CACHE_VERSION "CVCACHE1"

/* d's train and test images (and d->skipped) from dir's cache if it holds
 * `fingerprint` and labels below n_classes: 0, or -1 with d untouched. */
int image_cache_read(const char *dir, uint64_t fingerprint, int n_classes, cv_dataset *d);
/* The same on the file's bytes in memory. */
int image_cache_decode(const char *buf, size_t len, uint64_t fingerprint, int n_classes,
                       cv_dataset *d);
/* Writes dir's cache (atomically); a directory that is not writable simply
 * has none. */
void image_cache_write(const char *dir, uint64_t fingerprint, int n_classes,
                       const cv_dataset *d);

#endif
