/* options.c - getopt_long with opterr = 0, and messages of our own: glibc's
 * would name argv[0] and could not name the program's command. */
#include "base/options.h"

#include <stdio.h>
#include <string.h>

/* The long options that `word` ("--na=v") could name: exact first (the
 * only one then), else every one it abbreviates.  Returns their count and
 * the first in *first. */
static int candidates(const char *word, const struct option *longopts, const struct option **first,
                      char *list, size_t size)
{
    size_t len = strcspn(word, "=");
    int n = 0;
    *first = NULL;
    list[0] = '\0';
    for (const struct option *o = longopts; o && o->name; o++) {
        if (strncmp(o->name, word, len) != 0)
            continue;
        if (strlen(o->name) == len) {
            *first = o;
            return 1;
        }
        if (!*first)
            *first = o;
        size_t used = strlen(list);
        snprintf(list + used, size - used, "%s--%s", n ? ", " : "", o->name);
        n++;
    }
    return n;
}

int cv_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
              const char *prog)
{
    char opts[128];
    const char *stop = shortopts[0] == '+' ? "+" : "";
    /* ':' first: a missing value returns ':' rather than '?' */
    snprintf(opts, sizeof opts, "%s:%s", stop, shortopts + (*stop ? 1 : 0));
    opterr = 0;
    int prev = optind ? optind : 1;
    int c = getopt_long(argc, argv, opts, longopts, NULL);
    if (c != '?' && c != ':')
        return c;
    /* The word that failed: getopt_long moved past it, unless it is a
     * bundle of short options still under way. */
    const char *word = optind > prev ? argv[optind - 1] : argv[prev];
    char list[512];
    const struct option *o;
    if (word[0] == '-' && word[1] == '-') {
        int n = candidates(word + 2, longopts, &o, list, sizeof list);
        int name_len = (int)strcspn(word, "=");
        if (n > 1)
            fprintf(stderr, "%s: option '%.*s' is ambiguous (%s)\n", prog, name_len, word, list);
        else if (n == 0)
            fprintf(stderr, "%s: unknown option '%.*s'\n", prog, name_len, word);
        else if (c == ':')
            fprintf(stderr, "%s: --%s needs a value\n", prog, o->name);
        else
            fprintf(stderr, "%s: --%s takes no value\n", prog, o->name);
    } else if (c == ':') {
        fprintf(stderr, "%s: -%c needs a value\n", prog, optopt);
    } else {
        fprintf(stderr, "%s: unknown option '-%c'\n", prog, optopt);
    }
    return '?';
}

int cv_option_invalid(const char *prog, const char *option, const char *value,
                      const char *expected)
{
    fprintf(stderr, "%s: %s: '%s' is not valid (expected %s)\n", prog, option, value, expected);
    return 2;
}
