/* cli_args.c - getopt_long with the trainer's messages. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "base/parse_num.h"
#include "train/cli_args.h"

int usage_error(const cv_args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s %s: ", a->prog, a->cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s %s --help'.\n", a->prog, a->cmd);
    return EXIT_USAGE;
}

void args_begin(cv_args *a, const char *prog, const char *cmd, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->prog = prog;
    a->cmd = cmd;
    a->argc = argc;
    a->argv = argv;
    optind = 0;         /* GNU: reinitialise, also after an earlier parse */
    opterr = 0;
}

/* The argument that getopt_long just refused, without any "=value". */
static const char *refused(cv_args *a)
{
    const char *arg = optind > 0 && optind <= a->argc ? a->argv[optind - 1] : "";
    size_t n = strcspn(arg, "=");
    if (n >= sizeof a->flag_buf)
        n = sizeof a->flag_buf - 1;
    memcpy(a->flag_buf, arg, n);
    a->flag_buf[n] = 0;
    return a->flag_buf;
}

/* Why "--name" was refused: ambiguous (several long options start with
 * it) or unknown. */
static int unknown_or_ambiguous(const cv_args *a, const struct option *opts, const char *arg)
{
    if (strncmp(arg, "--", 2) == 0) {
        const char *name = arg + 2;
        size_t n = strlen(name);
        char list[256] = "";
        int matches = 0;
        for (const struct option *o = opts; o->name; o++)
            if (n > 0 && strncmp(o->name, name, n) == 0) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s--%s", matches ? ", " : "",
                         o->name);
                matches++;
            }
        if (matches > 1)
            return usage_error(a, "option '%s' is ambiguous (%s)", arg, list);
    }
    return usage_error(a, "unknown option '%s'", arg);
}

int args_next(cv_args *a, const struct option *opts, const char **value)
{
    int index = -1;
    *value = NULL;
    optopt = 0;
    /* "-": operands in order (code 1); ":": a missing value returns ':'. */
    int c = getopt_long(a->argc, a->argv, "-:h", opts, &index);
    if (c == -1) {
        if (optind < a->argc) {     /* after "--" */
            *value = a->argv[optind++];
            return ARGS_OPERAND;
        }
        return ARGS_END;
    }
    if (c == 1) {
        *value = optarg;
        return ARGS_OPERAND;
    }
    if (c == ':') {
        usage_error(a, "%s needs a value", refused(a));
        return ARGS_ERROR;
    }
    if (c == '?') {
        const char *arg = optind > 0 && optind <= a->argc ? a->argv[optind - 1] : "";
        if (optopt && strncmp(arg, "--", 2) == 0 && strchr(arg, '='))
            usage_error(a, "%s takes no value", refused(a));
        else
            unknown_or_ambiguous(a, opts, refused(a));
        return ARGS_ERROR;
    }
    if (index >= 0) {
        snprintf(a->flag_buf, sizeof a->flag_buf, "--%s", opts[index].name);
        a->flag = a->flag_buf;
    } else {
        a->flag = "-h";
    }
    *value = optarg;
    if (optarg && !*optarg) {
        usage_error(a, "%s: the value is empty", a->flag);
        return ARGS_ERROR;
    }
    return c;
}

int args_setting(const cv_args *a, const char *s, cv_setting_id id, double *out)
{
    long l = 0;
    double v = 0;
    char rule[96];
    int syntax_ok = setting_is_integer(id) ? cv_parse_long(s, LONG_MIN, LONG_MAX, &l) == 0
                                           : cv_parse_double(s, &v) == 0;
    if (setting_is_integer(id))
        v = (double)l;
    if (!syntax_ok || setting_check(id, v) < 0) {
        setting_rule(id, rule, sizeof rule);
        return usage_error(a, "%s: '%s' is not valid (expected %s)", a->flag, s ? s : "",
                           rule);
    }
    *out = v;
    return 0;
}

int args_u64(const cv_args *a, const char *s, uint64_t *out)
{
    if (cv_parse_u64(s, out) != 0)
        return usage_error(a, "%s: '%s' is not valid (expected a non-negative integer)",
                           a->flag, s ? s : "");
    return 0;
}
