/* fuzz_image.c - libFuzzer harness for the input-image decoders
 * (runtime/data/image_io.c: PGM P2 and P5, PNG through libpng): any bytes
 * must give either an image of a valid size whose pixels are in [0,1], or
 * an error naming the input.  A decoded image is also resampled down and
 * (when small) up, as `train predict` does for an image of another size. */
#include "base/png.h"
#include "data/image_io.h"
#include "fuzz_input.h"

static void require_unit(const float *px, size_t n)
{
    for (size_t i = 0; i < n; i++)
        require(px[i] >= 0.0f && px[i] <= 1.0f + 1e-6f);    /* false for NaN */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = fuzz_copy(data, size);
    if (!b)
        return 0;
    cv_gray_image img;
    cv_error e;
    if (image_decode_gray("fuzz", b, size, &img, &e) == 0) {
        require(img.w >= 1 && img.h >= 1 && img.w <= CV_BITMAP_MAX_SIDE &&
                img.h <= CV_BITMAP_MAX_SIDE && img.px != NULL);
        size_t n = (size_t)img.w * (size_t)img.h;
        require_unit(img.px, n);
        float down[5 * 3];
        image_resample(&img, 5, 3, down);
        require_unit(down, 5 * 3);
        if (n <= 4096) {
            int w = 2 * img.w + 1, h = img.h + 2;
            float *up = malloc(sizeof(float) * (size_t)w * (size_t)h);
            if (up) {
                image_resample(&img, w, h, up);
                require_unit(up, (size_t)w * (size_t)h);
                free(up);
            }
        }
        cv_gray_image_free(&img);
    } else {
        require(strncmp(e.msg, "fuzz: ", 6) == 0 && img.px == NULL);
    }
    free(b);
    return 0;
}
