/* init.h - initial parameter values, as Keras initializes them. */
#ifndef CONVC_INIT_H
#define CONVC_INIT_H

#include "convc_model.h"
#include "base/rng.h"

/* Each tensor in the model's order: Glorot uniform (uniform in +-sqrt(6 /
 * (fan_in + fan_out))) or zeros, as its descriptor says.  Draws from r in
 * tensor order, so a seed fixes every initial weight. */
void init_params(const convc_model *m, float *params, cv_rng *r);

#endif
