/* trainer.h - the command-line program for one model: `convc gen
 * --trainer-main` writes a main() that calls this with the generated
 * model.  Subcommands train (the default), eval, predict and viz; `--help`
 * documents each.  Returns the exit status: 0 success, 1 error, 2 usage
 * error, 128 + signal after an interrupted run saved its checkpoint. */
#ifndef CONVC_TRAINER_H
#define CONVC_TRAINER_H

#include "convc_model.h"

int convc_trainer_main(const convc_model *m, int argc, char **argv);

#endif
