/* export_latency.c - one-image latency of a file written by `convc export`,
 * the way a user of that file calls it:
 *
 *   cc $(MODEL_CFLAGS) -DEXPORT_FILE='"cnn_k3_infer.c"' -DEXPORT_PREDICT=cnn_k3_predict \
 *      -DCNN_K3_IMPLEMENTATION -o export_latency bench/export_latency.c -lm
 *   export_latency MODEL SECONDS     prints one CSV line (impl,model,metric,config,value,note)
 *
 * The exported file is included as its users include it (implementation
 * macro defined, no main).  Buffers are larger than any model the compiler
 * accepts needs, so this driver does not depend on the model's shapes. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include EXPORT_FILE

#ifndef EXPORT_PREDICT
#error "build with -DEXPORT_PREDICT=<name>_predict"
#endif

#define INPUT_FLOATS  (1 << 22)   /* a 1024x1024x4 image */
#define OUTPUT_FLOATS 4096        /* classes */
#define MAX_RUNS      200000

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL SECONDS\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[2]);
    float *image = malloc(INPUT_FLOATS * sizeof *image);
    float *probs = calloc(OUTPUT_FLOATS, sizeof *probs);
    double *samples = malloc(MAX_RUNS * sizeof *samples);
    if (!image || !probs || !samples) {
        fprintf(stderr, "export_latency: out of memory\n");
        return 1;
    }
    srand(42);
    for (int i = 0; i < INPUT_FLOATS; i++)
        image[i] = (float)rand() / ((float)RAND_MAX + 1.0f);

    for (int i = 0; i < 20; i++)
        EXPORT_PREDICT(image, probs);
    int n = 0;
    double end = now_seconds() + seconds;
    while (n < MAX_RUNS && (n < 50 || now_seconds() < end)) {
        double t0 = now_seconds();
        EXPORT_PREDICT(image, probs);
        samples[n++] = now_seconds() - t0;
    }
    qsort(samples, (size_t)n, sizeof *samples, compare_doubles);
    printf("convc,%s,export_latency_us,n1_t1,%.6g,median of %d runs of %s\n", argv[1],
           samples[n / 2] * 1e6, n, EXPORT_FILE);
    free(image);
    free(probs);
    free(samples);
    return 0;
}
