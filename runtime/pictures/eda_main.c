/* eda_main.c - convc-eda (run as `convc eda`): exploratory data analysis of
 * the data set, written as PNG pictures and a markdown fragment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/dataset.h"
#include "pictures/eda.h"
#include "pictures/eda_augment.h"
#include "base/options.h"
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

static const struct option eda_options[] = {
    { "data", required_argument, NULL, 'd' },
    { "out", required_argument, NULL, 'o' },
    { "samples", required_argument, NULL, 's' },
    { "heading", required_argument, NULL, 'H' },
    { "shift", required_argument, NULL, 'S' },
    { "flip", no_argument, NULL, 'F' },
    { "crop-pad", required_argument, NULL, 'P' },
    { "cutout", required_argument, NULL, 'C' },
    { "seed", required_argument, NULL, 'R' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* The value of --NAME as a whole number in 1..max, or -1 after the message. */
static int parse_int(const char *name, const char *s, int max)
{
    long v;
    if (cv_parse_long(s, 1, max, &v) == 0)
        return (int)v;
    char expected[48];
    snprintf(expected, sizeof expected, "a whole number from 1 to %d", max);
    cv_option_invalid("convc eda", name, s, expected);
    return -1;
}

int main(int argc, char **argv)
{
    const char *data_flag = NULL, *out = "eda";
    int samples = 10, heading = 2, seed = 1, c;
    cv_augment aug = { 0 };
    optind = 0;
    while ((c = cv_getopt(argc, argv, "h", eda_options, "convc eda")) != -1) {
        switch (c) {
        case 'd':
            data_flag = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 's':
            if ((samples = parse_int("--samples", optarg, 64)) < 0)
                return 2;
            break;
        case 'H':
            if ((heading = parse_int("--heading", optarg, 5)) < 0)
                return 2;
            break;
        case 'S':
            if ((aug.shift = parse_int("--shift", optarg, 1024)) < 0)
                return 2;
            break;
        case 'F':
            aug.flip = 1;
            break;
        case 'P':
            if ((aug.crop_pad = parse_int("--crop-pad", optarg, 1024)) < 0)
                return 2;
            break;
        case 'C':
            if ((aug.cutout = parse_int("--cutout", optarg, 1024)) < 0)
                return 2;
            break;
        case 'R':
            if ((seed = parse_int("--seed", optarg, 2147483647)) < 0)
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "convc eda: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
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
