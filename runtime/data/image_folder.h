/* image_folder.h - a data set from folders of PNG images, one folder per
 * class, as Keras' image_dataset_from_directory:
 *   DIR/train/CLASS/NAME.png and DIR/test/CLASS/NAME.png, or
 *   DIR/CLASS/NAME.png, of which a seeded, per-class fraction (test_split) is
 *   held out for testing.
 * Class names are the folder names in byte order (their index is the
 * label); a test class must also be a training class.  Images are 8-bit
 * gray or RGB (alpha is dropped, 16-bit reduced), all of one kind and size
 * unless resize_h x resize_w asks to resample them.  Files whose names start
 * with '.' are ignored; any other file that is not a readable PNG of the
 * data set's kind and size is an error naming it, or with skip_bad is
 * skipped and counted.  An empty class folder is an error.
 *
 * Decoded images are cached in DIR/.convc-cache (data/image_cache.h, when
 * DIR is writable): the cache is used while the names (relative to DIR),
 * sizes and modification times of every file, and the options, are those
 * it was built from. */
#ifndef CONVC_IMAGE_FOLDER_H
#define CONVC_IMAGE_FOLDER_H

#include "data/dataset.h"

/* 1 if dir has the folder layout (a subdirectory), else 0. */
int image_folder_detect(const char *dir);
int image_folder_load(const char *dir, const cv_data_options *o, cv_dataset *d, cv_error *e);
/* The class names (folder names) of dir, at most max; *n gets the count.
 * The caller frees names[i]. */
int image_folder_class_names(const char *dir, char **names, int max, int *n, cv_error *e);

#endif
