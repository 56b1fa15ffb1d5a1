/* main.c - classifies the test images embedded in images.h with an
 * exported model and prints, per image, the class, the label and the
 * output bits in hex: exact, and without printf's floating point.
 * The same file runs on the host and on the board, so their outputs can
 * be compared line by line.
 *
 * Build flags: -DMODEL=cnn_k3 -DMODEL_UPPER=CNN_K3 -DMODEL_H=\"cnn_k3.c\"
 * (the exported file); -DINT8 for an int8 export, whose integer outputs are
 * printed instead. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "images.h"     /* IMAGES_N, IMAGES_SIZE, images[][], labels[] */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define PREDICT CAT(MODEL, _predict)
#define PREDICT_Q8 CAT(MODEL, _predict_q8)
#define QUANTIZE CAT(MODEL, _quantize_input)

#include MODEL_H

#define N_CLASSES CAT(MODEL_UPPER, _N_CLASSES)
/* the embedded images are the model's input */
typedef char images_fit_the_model[IMAGES_SIZE == CAT(MODEL_UPPER, _IN_H) *
                                  CAT(MODEL_UPPER, _IN_W) * CAT(MODEL_UPPER, _IN_C) ? 1 : -1];

#ifndef INT8
static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
#endif

int main(void)
{
    static float image[IMAGES_SIZE];
    int i, j, right = 0;
    for (i = 0; i < IMAGES_N; i++) {
        float probs[N_CLASSES];
        int k;
        for (j = 0; j < IMAGES_SIZE; j++)
            image[j] = images[i][j] / 255.0f;
        k = PREDICT(image, probs);
        right += k == labels[i];
        printf("%d %d %d", i, labels[i], k);
#ifdef INT8
        {
            static int8_t q[IMAGES_SIZE];
            int8_t out[N_CLASSES];
            QUANTIZE(image, q);
            if (PREDICT_Q8(q, out) != k)
                printf(" (integer entry point disagrees)");
            for (j = 0; j < N_CLASSES; j++)
                printf(" %d", out[j]);
        }
#else
        for (j = 0; j < N_CLASSES; j++)
            printf(" %08lx", (unsigned long)bits(probs[j]));
#endif
        printf("\n");
    }
    printf("accuracy %d/%d\n", right, IMAGES_N);
    return 0;
}
