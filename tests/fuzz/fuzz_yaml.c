/* fuzz_yaml.c - libFuzzer harness for the experiment YAML reader: any bytes
 * must give either errors (located, through front/diag) or a complete
 * experiment whose promises hold.  Nothing is built, trained or written;
 * specs named by the text are read (only regular files, at most 1 MiB). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "experiment/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok)
        abort();
}

/* Text the report shows: one line, no control characters. */
static void require_one_line(const char *s)
{
    for (; s && *s; s++)
        require((unsigned char)*s >= 0x20 && *s != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    require(sink != NULL);
    experiment x;
    int errors = experiment_parse_text("fuzz.yaml", (const char *)data, size, &x, sink);
    require(errors >= 0);
    if (errors == 0) {
        require(is_identifier(x.name));
        require(x.n_variants >= 1 && x.n_variants <= EXP_MAX_VARIANTS);
        require(x.n_seeds >= 1 && x.n_seeds <= EXP_MAX_SEEDS);
        require_one_line(x.title);
        for (int i = 0; i < x.n_variants; i++) {
            require(is_identifier(x.variants[i].name));
            require(x.variants[i].text != NULL);
            require_one_line(x.variants[i].label);
            require_one_line(x.variants[i].factor);
        }
    }
    experiment_free(&x);
    return 0;
}
