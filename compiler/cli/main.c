/* main.c - bin/convc: dispatches to a subcommand (commands.h), or runs
 * convc-COMMAND from the directory of this executable (git-style). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "base/options.h"
#include "cli/commands.h"

static const char usage_text[] =
    "usage: convc [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "Compiles neural-network specs into specialized C.\n"
    "\n"
    "commands:\n"
    "  check FILE...     check specs; prints nothing when they are correct\n"
    "  summary FILE...   layers, output shapes, parameters and FLOPs of specs\n"
    "  gen               generate the C code of a model\n"
    "  export            write a standalone inference file with trained weights\n"
    "  run               run an experiment (YAML)\n"
    "  run-one           one Slurm job of an experiment ('run --launcher slurm')\n"
    "  ir FILE...        the canonical text of specs: every layer with its defaults\n"
    "\n"
    "Any other COMMAND runs convc-COMMAND from convc's own directory (e.g. 'convc eda').\n"
    "'convc COMMAND --help' describes a command.  FILE '-' is standard input.\n"
    "Exit status: 0 success, 1 an error in the input, 2 a usage error.\n";

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    { "check", cmd_check },
    { "summary", cmd_summary },
    { "gen", cmd_gen },
    { "export", cmd_export },
    { "run", cmd_run },
    { "run-one", cmd_run_one },
    { "ir", cmd_ir },
};

/* Only plain names: the command must not be able to name another path. */
static int plain_name(const char *s)
{
    if (!*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/* Runs convc-NAME next to this executable; returns only if it cannot. */
static int run_external(const char *name, int argc, char **argv)
{
    if (!plain_name(name))
        return 0;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 0;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return 0;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%.*s/convc-%s", (int)(slash - self), self, name)
        >= (int)sizeof path)
        return 0;
    if (access(path, X_OK) != 0)
        return 0;
    argv[0] = path;
    (void)argc;
    execv(path, argv);
    fprintf(stderr, "convc: cannot run %s: %s\n", path, strerror(errno));
    return 1;
}

static const struct option main_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    int c;
    optind = 0;
    /* '+': the options before the command are convc's, the rest the command's */
    while ((c = cv_getopt(argc, argv, "+h", main_options, "convc")) != -1) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("convc %s\n", CONVC_VERSION);
            return 0;
        default:
            fputs("convc: 'convc --help' lists the commands\n", stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    argc -= optind;
    argv += optind;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc, argv);
    if (run_external(name, argc, argv))
        return 126;
    fprintf(stderr, "convc: unknown command '%s'\n", name);
    fputs("convc: 'convc --help' lists the commands\n", stderr);
    return 2;
}
