/* classify.c - using an exported model as a library.
 *
 *   bin/convc export specs/cnn_k3.spec --weights cnn_k3.ckpt -o cnn_k3.c
 *   cc -std=c99 -O2 -o classify examples/export/classify.c -I. -lm
 *   ./classify shirt.pgm
 *
 * Reads one binary PGM (P5) of the model's size and prints the three most
 * probable classes.  Everything about the model comes from cnn_k3.c. */
#include <stdio.h>

#define CNN_K3_STATIC           /* keep the model's functions private to this file */
#define CNN_K3_IMPLEMENTATION
#include "cnn_k3.c"

static int read_pgm(const char *path, float *image)
{
    FILE *f = fopen(path, "rb");
    int w, h, maxval, c, i;
    if (!f)
        return -1;
    if (fscanf(f, "P5 %d %d %d", &w, &h, &maxval) != 3 || w != CNN_K3_IN_W ||
        h != CNN_K3_IN_H || maxval < 1 || maxval > 255 || fgetc(f) == EOF) {
        fclose(f);
        return -1;
    }
    for (i = 0; i < w * h; i++) {
        if ((c = fgetc(f)) == EOF) {
            fclose(f);
            return -1;
        }
        image[i] = (float)c / (float)maxval;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    static float image[CNN_K3_IN_H * CNN_K3_IN_W * CNN_K3_IN_C];
    float probs[CNN_K3_N_CLASSES];
    int rank, k;
    if (argc != 2 || read_pgm(argv[1], image) != 0) {
        fprintf(stderr, "usage: %s IMAGE.pgm (binary PGM, %dx%d, maxval <= 255)\n", argv[0],
                CNN_K3_IN_W, CNN_K3_IN_H);
        return 1;
    }
    cnn_k3_predict(image, probs);
    for (rank = 0; rank < 3; rank++) {
        int best = 0;
        for (k = 1; k < CNN_K3_N_CLASSES; k++)
            if (probs[k] > probs[best])
                best = k;
        printf("%-12s %.4f\n", cnn_k3_class_name(best), (double)probs[best]);
        probs[best] = -1.0f;
    }
    return 0;
}
