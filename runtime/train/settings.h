/* settings.h - the valid range of every training setting, in one table.
 * The command line (trainer.c) and the checkpoint reader (checkpoint.c)
 * check a value with the same function, so a checkpoint cannot carry a
 * setting that the command line would refuse. */
#ifndef CONVC_SETTINGS_H
#define CONVC_SETTINGS_H

#include <stddef.h>

/* X(id, flag, kind, lo, hi): kind INT is an integer in [lo, hi], REAL_LO_OPEN
 * a finite number in (lo, hi], REAL_HI_OPEN one in [lo, hi).  The flag ""
 * marks a value without an option (derived, or an optimizer constant). */
#define CV_SETTING_LIST(X)                                        \
    X(EPOCHS,      "--epochs",      INT, 1, 1000000)              \
    X(BATCH,       "--batch",       INT, 1, 65536)                \
    X(THREADS,     "--threads",     INT, 1, 1024)                 \
    X(LR,          "--lr",          REAL_LO_OPEN, 0, 10)          \
    X(MOMENTUM,    "--momentum",    REAL_HI_OPEN, 0, 1)           \
    X(VAL_SPLIT,   "--val-split",   REAL_HI_OPEN, 0, 1)           \
    X(LIMIT_TRAIN, "--limit-train", INT, 1, 2000000000)           \
    X(LIMIT_TEST,  "--limit-test",  INT, 1, 2000000000)           \
    X(STEPS,       "--steps",       INT, 1, 2000000000)           \
    X(SAVE_EVERY,  "--save-every",  INT, 1, 2000000000)           \
    X(OPTIMIZER,   "--optimizer",   INT, 0, CV_N_OPTIMIZERS - 1)  \
    X(SHUFFLE,     "--no-shuffle",  INT, 0, 1)                    \
    X(BETA1,       "",              REAL_HI_OPEN, 0, 1)           \
    X(BETA2,       "",              REAL_HI_OPEN, 0, 1)           \
    X(EPSILON,     "",              REAL_LO_OPEN, 0, 1)           \
    X(N_TRAIN,     "",              INT, 1, 2000000000)           \
    X(EPOCH,       "",              INT, 0, 1000000)

#define CV_SETTING_ID(id, flag, kind, lo, hi) SETTING_##id,
typedef enum { CV_SETTING_LIST(CV_SETTING_ID) SETTING_COUNT } cv_setting_id;
#undef CV_SETTING_ID

/* "--batch" */
const char *setting_flag(cv_setting_id s);
/* 1 if s takes integers only. */
int setting_is_integer(cv_setting_id s);
/* 0 if v is valid for s, else -1. */
int setting_check(cv_setting_id s, double v);
/* The rule of s for messages: "an integer from 1 to 65536", "a number > 0
 * and <= 10". */
void setting_rule(cv_setting_id s, char *rule, size_t size);

#endif
