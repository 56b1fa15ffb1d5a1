/* eda_main.c - convc-eda (run as `convc eda`): exploratory data analysis of
 * the data set, written as PNG pictures and a markdown fragment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/dataset.h"
#include "pictures/eda.h"
#include "pictures/eda_augment.h"
#include "base/parse_num.h"
#include "pictures/plot.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: convc eda [--data DIR] [--out DIR] [--samples N] [--heading LEVEL]\n"
            "  --data DIR      data set directory (default: $%s or %s)\n"
            "  --out DIR       where the pictures and eda.md go (default: eda)\n"
            "  --samples N     sample images per class in eda_samples.png (default: 10)\n"
            "  --heading LEVEL markdown heading level of eda.md (default: 2)\n"
            "  --shift N, --flip, --crop-pad N, --cutout N, --seed N\n"
            "                  also eda_augmented.png: training images next to draws of\n"
            "                  this augmentation (the trainer's flags; seed default 1)\n",
            DATASET_ENV, DATASET_DEFAULT_DIR);
}

/* A whole decimal number in lo..hi, else -1. */
static int parse_int(const char *s, int lo, int hi)
{
    long v;
    return cv_parse_long(s, lo, hi, &v) == 0 ? (int)v : -1;
}

int main(int argc, char **argv)
{
    const char *data_flag = NULL, *out = "eda";
    int samples = 10, heading = 2;
    cv_augment aug = { 0 };
    int seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--flip")) {
            aug.flip = 1;
            continue;
        }
        int known = !strcmp(a, "--data") || !strcmp(a, "--out") ||
                    !strcmp(a, "--samples") || !strcmp(a, "--heading") ||
                    !strcmp(a, "--shift") || !strcmp(a, "--crop-pad") ||
                    !strcmp(a, "--cutout") || !strcmp(a, "--seed");
        if (!known || i + 1 >= argc) {
            fprintf(stderr, "convc eda: %s '%s'\n",
                    !known ? "unknown option" : "missing value for", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--data")) {
            data_flag = v;
        } else if (!strcmp(a, "--out")) {
            out = v;
        } else {
            int *target = !strcmp(a, "--samples") ? &samples : !strcmp(a, "--heading") ? &heading
                        : !strcmp(a, "--shift") ? &aug.shift : !strcmp(a, "--crop-pad")
                        ? &aug.crop_pad : !strcmp(a, "--cutout") ? &aug.cutout : &seed;
            int max = target == &samples ? 64 : target == &heading ? 5
                    : target == &seed ? 2147483647 : 1024;
            if ((*target = parse_int(v, 1, max)) < 0) {
                fprintf(stderr, "convc eda: %s wants a whole number in 1..%d, not '%s'\n", a,
                        max, v);
                return 2;
            }
        }
    }

    cv_dataset d;
    cv_error e;
    const char *dir = dataset_dir(data_flag);
    if (dataset_load(dir, &d, &e) != 0) {
        fprintf(stderr, "convc eda: %s\n", e.msg);
        return 1;
    }
    eda_stats s;
    int rc = eda_compute(&d, &s, &e);
    if (rc == 0)
        rc = eda_write(&d, out, samples, heading, &e);
    if (rc == 0 && augment_enabled(&aug))
        rc = eda_write_augmented(&d, &aug, (uint64_t)seed, out, &e);
    if (rc != 0) {
        fprintf(stderr, "convc eda: %s\n", e.msg);
    } else {
        printf("%-14s %8s %8s\n", "class", "train", "test");
        for (int k = 0; k < d.n_classes; k++)
            printf("%-14s %8zu %8zu\n", d.class_names[k] ? d.class_names[k] : "?",
                   s.train.class_counts[k], s.test.class_counts[k]);
        printf("pixel mean %.4f, std %.4f (train, scaled to [0,1])\n", s.train.pixel_mean,
               s.train.pixel_std);
        printf("wrote %s/eda.md and %d pictures\n", out, augment_enabled(&aug) ? 5 : 4);
    }
    dataset_free(&d);
    plot_release_caches();
    return rc == 0 ? 0 : 1;
}
