/* fixture_trainer.c - the trainer program for a fixture model, for the
 * script tests: CONVC_FIXTURE=softmax picks softmax regression, anything
 * else the MLP with dropout. */
#include <stdlib.h>
#include <string.h>
#include "fixtures/fixture_models.h"
#include "train/trainer.h"

int main(int argc, char **argv)
{
    const char *which = getenv("CONVC_FIXTURE");
    const convc_model *m = which && !strcmp(which, "softmax") ? &fixture_softmax_model
                                                               : &fixture_mlp_model;
    return convc_trainer_main(m, argc, argv);
}
