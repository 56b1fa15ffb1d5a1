/* viz.h - what a trained model learned, as pictures: the first conv layer's
 * filters and the feature maps of every conv layer for a few test images.
 *
 * Model-generic: any number of conv layers, filters and input channels; the
 * functions read shapes from the descriptor (tensors in Keras shapes, layers
 * with out_offset into the work buffer).  The same model, parameters and
 * images always give the same bytes. */
#ifndef CONVC_VIZ_H
#define CONVC_VIZ_H

#include "convc_model.h"
#include "data/dataset.h"
#include "base/error.h"

/* Number of layers of kind "conv" in m. */
int viz_conv_count(const convc_model *m);

/* The first conv layer's kernel (KH, KW, Cin, Cout) as a grid of Cout
 * upscaled filters (Cin slices side by side when Cin > 1), on one shared,
 * symmetric diverging scale (blue negative, white zero, red positive) with a
 * colour bar.  -1 if the model has no conv layer. */
int viz_filters(const char *path, const convc_model *m, const float *params,
                cv_error *e);

/* Feature maps of the conv_index-th conv layer (0-based, after activation)
 * for n_images inputs (each in_h*in_w*in_c floats, contiguous in `images`):
 * one block per image with the input and a grid of all maps.  captions (n of
 * them, e.g. class names; may be NULL) label the inputs.  Each map is scaled
 * on its own (sequential scale from 0 for non-negative maps, symmetric
 * diverging otherwise), so weak maps still show their pattern; maps that are
 * zero everywhere for that image are marked "all 0". */
int viz_feature_maps(const char *path, const convc_model *m, const float *params,
                     int conv_index, int n_images, const float *images,
                     const char *const *captions, cv_error *e);

/* Everything for `train viz --out DIR`: DIR/filters.png and, for conv layer
 * k = 1, 2, ..., DIR/featuremaps_conv<k>.png, for the first test image of 4
 * classes spread over data->test (fewer if the set has fewer classes).
 * Creates DIR if needed.  A model without conv layers writes nothing and
 * returns 0 (*n_written = 0).  n_written may be NULL. */
int viz_write_all(const convc_model *m, const float *params, const cv_dataset *data,
                  const char *out_dir, int *n_written, cv_error *e);

#endif
