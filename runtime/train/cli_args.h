/* cli_args.h - the trainer's command-line conventions on top of GNU
 * getopt_long: "--opt=value" and "--opt value", "--" ends the options,
 * unique abbreviations of long options, and this program's own messages
 * ("PROG CMD: unknown option '--x'", "--x needs a value", "--x: 'v' is not
 * valid (expected ...)", then "Try 'PROG CMD --help'."), exit status 2. */
#ifndef CONVC_CLI_ARGS_H
#define CONVC_CLI_ARGS_H

#include <getopt.h>
#include <stdint.h>
#include "base/settings.h"

#define EXIT_USAGE 2

typedef struct {
    const char *prog, *cmd;     /* for messages: "build/m/train", "eval" */
    int argc;
    char **argv;                /* argv[0] is skipped, as getopt does */
    const char *flag;           /* the option being parsed, e.g. "--batch" */
    char flag_buf[64];
} cv_args;

enum { ARGS_END = -1, ARGS_OPERAND = -2, ARGS_ERROR = -3 };

/* Starts parsing argv[1..argc) (resets getopt, so a process may parse
 * twice). */
void args_begin(cv_args *a, const char *prog, const char *cmd, int argc, char **argv);
/* The next option: its `val` in opts (a->flag is then its full name and
 * *value its argument or NULL), ARGS_OPERAND (*value is the operand, also
 * for every argument after "--"), ARGS_END, or ARGS_ERROR after printing a
 * usage error (unknown or ambiguous option, missing value, value given to a
 * flag that takes none, empty value).  -h is the short form of the option
 * whose val is 'h'. */
int args_next(cv_args *a, const struct option *opts, const char **value);
/* Prints "PROG CMD: <message>" and the hint line; returns EXIT_USAGE. */
int usage_error(const cv_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The value of setting `id` (base/settings.h: the rule a checkpoint's and
 * an experiment's value passes too); integer settings must be written as
 * integers.  0, or EXIT_USAGE after the message. */
int args_setting(const cv_args *a, const char *s, cv_setting_id id, double *out);
/* A non-negative integer; 0, or EXIT_USAGE after the message. */
int args_u64(const cv_args *a, const char *s, uint64_t *out);

#endif
