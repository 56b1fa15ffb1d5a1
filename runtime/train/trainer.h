/* trainer.h - the command-line program for one model: `convc gen
 * --trainer-main` writes a main() that calls this with the generated
 * model.  Subcommands train (the default), eval, predict and viz; `--help`
 * documents each.  Returns the exit status: 0 success, 1 error, 2 usage
 * error, 128 + signal after an interrupted run saved its checkpoint. */
#ifndef CONVC_TRAINER_H
#define CONVC_TRAINER_H

#include <stdint.h>
#include "convc_model.h"
#include "base/isa.h"

/* The program; isa: the instruction sets the model was compiled for. */
int convc_trainer_run(const convc_model *m, uint64_t isa, int argc, char **argv);

/* Inline, so that the mask is that of main()'s file, compiled with the
 * model's flags. */
static inline int convc_trainer_main(const convc_model *m, int argc, char **argv)
{
    return convc_trainer_run(m, cv_isa_compiled(), argc, argv);
}

#endif
