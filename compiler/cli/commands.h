/* commands.h - the subcommands of bin/convc.  Each returns the process exit
 * status: 0 success, 1 an error in the input (spec, YAML, checkpoint),
 * 2 a usage error.  argv[0] is the subcommand's name. */
#ifndef CONVC_COMMANDS_H
#define CONVC_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

int cmd_check(int argc, char **argv);    /* compiler/cmd_check.c   */
int cmd_summary(int argc, char **argv);  /* compiler/cmd_summary.c */
int cmd_gen(int argc, char **argv);      /* compiler/cmd_gen.c     */
int cmd_export(int argc, char **argv);   /* compiler/cmd_export.c  */
int cmd_run(int argc, char **argv);      /* compiler/cmd_run.c     */
int cmd_run_one(int argc, char **argv);  /* compiler/cmd_run_one.c */
int cmd_ir(int argc, char **argv);       /* compiler/cmd_ir.c      */

/* `convc run` with the saved command of a submitted experiment, doing one
 * of its jobs (cmd_run_one) instead of running it; job NULL: cmd_run. */
struct exp_job_s;
int cmd_run_job(int argc, char **argv, const struct exp_job_s *job);

/* The options of a command that takes FILE... (check, summary), through
 * getopt_long (base/options.h): -h/--help prints usage; "--" ends the
 * options; "-" is a file (standard input).  Returns the index of the first
 * file in the permuted argv, or -1 with *status set (0 after --help, 2 after
 * a usage error, both reported). */
int cmd_file_args(int argc, char **argv, const char *usage, int *status);

/* 220234 -> "220,234" in buf (summary and export print sizes so). */
const char *cmd_grouped(int64_t v, char *buf, size_t size);

#endif
