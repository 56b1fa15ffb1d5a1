/* settings.h - the valid range of every training setting, in one table.
 * The command line (train/trainer.c), the checkpoint reader
 * (train/checkpoint.c) and the experiment reader (YAML `train:` keys)
 * check a value with the same function, so a checkpoint or an experiment
 * cannot carry a setting that the command line would refuse. */
#ifndef CONVC_SETTINGS_H
#define CONVC_SETTINGS_H

#include <stddef.h>
#include "base/optimizers.h"

/* ORDER: the index is the schedule's number in checkpoints. */
#define CV_SCHEDULE_LIST(X) X(CONSTANT, "constant") X(STEP, "step") X(COSINE, "cosine") \
                            X(PLATEAU, "plateau")
#define CV_SCHEDULE_ID(id, name) CV_SCHEDULE_##id,
enum { CV_SCHEDULE_LIST(CV_SCHEDULE_ID) CV_N_SCHEDULES };
#undef CV_SCHEDULE_ID
extern const char *const cv_schedule_names[CV_N_SCHEDULES];

/* X(id, flag, kind, lo, hi): kind INT is an integer in [lo, hi], REAL_LO_OPEN
 * a finite number in (lo, hi], REAL_HI_OPEN one in [lo, hi), REAL_OPEN one
 * in (lo, hi), REAL any finite number.  The flag "" marks a value without an
 * option (derived, an optimizer constant, or the state of a run).  The YAML
 * key of a setting is its flag without "--", '-' written '_'. */
#define CV_SETTING_LIST(X)                                        \
    X(EPOCHS,      "--epochs",      INT, 1, 1000000)              \
    X(BATCH,       "--batch",       INT, 1, 65536)                \
    X(THREADS,     "--threads",     INT, 1, 1024)                 \
    X(WORKERS,     "--workers",     INT, 1, 64)                   \
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
    X(EPOCH,       "",              INT, 0, 1000000)              \
    X(SCHEDULE,    "--schedule",    INT, 0, CV_N_SCHEDULES - 1)   \
    X(LR_FACTOR,   "--lr-factor",   REAL_OPEN, 0, 1)              \
    X(LR_EVERY,    "--lr-every",    INT, 1, 1000000)              \
    X(WARMUP,      "--warmup",      INT, 0, 2000000000)           \
    X(LR_PATIENCE, "--lr-patience", INT, 1, 1000000)              \
    X(MIN_LR,      "--min-lr",      REAL_HI_OPEN, 0, 10)          \
    X(WEIGHT_DECAY, "--weight-decay", REAL_HI_OPEN, 0, 1)         \
    X(DECAY_ALL,   "--decay-all",   INT, 0, 1)                    \
    X(EARLY_STOP,  "--early-stop",  INT, 1, 1000000)              \
    X(RESTORE_BEST, "--restore-best", INT, 0, 1)                  \
    X(SHIFT,       "--shift",       INT, 0, 1024)                 \
    X(FLIP,        "--flip",        INT, 0, 1)                    \
    X(CROP_PAD,    "--crop-pad",    INT, 0, 1024)                 \
    X(CUTOUT,      "--cutout",      INT, 0, 1024)                 \
    X(TEST_SPLIT,  "--test-split",  REAL_OPEN, 0, 1)              \
    X(SKIP_BAD,    "--skip-bad",    INT, 0, 1)                    \
    X(LR_NOW,      "",              REAL_LO_OPEN, 0, 10)          \
    X(LOSS,        "",              REAL, 0, 0)

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
/* 1 if s is an on/off flag without a value ("--flip": 1, "--no-shuffle": 0). */
int setting_is_switch(cv_setting_id s);
/* The value a switch's flag sets. */
int setting_switch_value(cv_setting_id s);
/* The names of a setting whose values are words (the index is the value:
 * optimizers, schedules) and their number, else NULL. */
const char *const *setting_words(cv_setting_id s, int *n);
/* A word setting's value from its name: 0 and *v, or -1 with "'x' is not
 * one of a, b or c" in msg. */
int setting_parse_word(cv_setting_id s, const char *word, double *v, char *msg, size_t size);
/* The setting whose YAML key is `key` ("lr_factor" -> SETTING_LR_FACTOR),
 * or -1 (also for settings without an option). */
int setting_of_key(const char *key);

#endif
