/* options.h - command lines parsed by getopt_long (GNU) with the project's
 * messages, so that every program behaves alike and like other GNU tools:
 * --opt=value and --opt value, -- ends the options, a unique abbreviation of
 * a long option is accepted and an ambiguous one refused by name. */
#ifndef CONVC_OPTIONS_H
#define CONVC_OPTIONS_H

#include <getopt.h>

/* The next option of argv, as getopt_long(argc, argv, shortopts, longopts)
 * with opterr = 0: its val (optarg holds its value), or -1 after the last
 * option (optind is then the first operand).  On a usage error it prints
 * one of these lines and returns '?'; the caller then prints its usage hint
 * and exits 2:
 *     PROG: unknown option '--x'
 *     PROG: --x needs a value
 *     PROG: --x takes no value
 *     PROG: option '--x' is ambiguous (--xa, --xb)
 * A shortopts starting with '+' stops at the first operand (a command's own
 * options follow it).  Before the first call for an argv, set optind = 0, so
 * that getopt_long starts afresh (a process that parses twice). */
int cv_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
              const char *prog);

/* The message for a value the option does not accept:
 *     PROG: --x: 'v' is not valid (expected WHAT)
 * Returns 2, the usage error's exit status. */
int cv_option_invalid(const char *prog, const char *option, const char *value,
                      const char *expected);

#endif
