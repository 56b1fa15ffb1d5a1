/* augment.h - training-time augmentation of one image, drawn from a seed:
 *   crop_pad P  pad P zero pixels on every side, then crop a random HxW
 *               window (the CIFAR recipe): a shift by -P..P on each axis
 *   shift S     shift by a whole number of pixels in -S..S on each axis,
 *               zero fill (Keras' RandomTranslation, fill_mode "constant",
 *               in pixels)
 *   flip        mirror left-right with probability 1/2
 *   cutout N    zero an NxN square centred on a uniformly drawn pixel (cut
 *               at the border)
 * applied in this order.  The trainer seeds each image from (run seed,
 * epoch, position in the epoch), so the result does not depend on threads,
 * batches or resuming.  Evaluation never augments. */
#ifndef CONVC_AUGMENT_H
#define CONVC_AUGMENT_H

#include <stdint.h>

typedef struct {
    int crop_pad, shift, flip, cutout;
} cv_augment;

/* 1 if a does anything. */
int augment_enabled(const cv_augment *a);
/* The seed of the image at position `pos` of epoch `epoch`. */
uint64_t augment_seed(uint64_t run_seed, uint64_t epoch, uint64_t pos);
/* Augments image x (h*w*c floats, HWC) in place; scratch holds h*w*c
 * floats. */
void augment_image(const cv_augment *a, uint64_t seed, float *x, int h, int w, int c,
                   float *scratch);

#endif
