/* fuzz_image_cache.c - libFuzzer harness for the decoded-images cache
 * (runtime/data/image_cache.c): any bytes must give either a data set whose
 * arrays hold what the header says, labels below the class count, or -1
 * with the data set untouched.  The fingerprint and the class count are
 * taken from the input's own header, so the fuzzer gets past them. */
#include "data/image_cache.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = fuzz_copy(data, size);
    if (!b)
        return 0;
    uint64_t fingerprint = 0;
    uint32_t classes = 0;
    if (size >= 16)
        memcpy(&fingerprint, b + 8, 8);
    if (size >= 56)
        memcpy(&classes, b + 52, 4);
    int n_classes = classes >= 1 && classes <= DATASET_MAX_CLASSES ? (int)classes : 10;
    cv_dataset d;
    memset(&d, 0, sizeof d);
    if (image_cache_decode((const char *)b, size, fingerprint, n_classes, &d) == 0) {
        const cv_images *parts[2] = { &d.train, &d.test };
        require(d.train.n >= 1);
        for (int i = 0; i < 2; i++) {
            const cv_images *im = parts[i];
            require(im->images && im->labels && im->h >= 1 && im->w >= 1 &&
                    (im->c == 1 || im->c == 3));
            size_t bytes = im->n * (size_t)im->h * (size_t)im->w * (size_t)im->c;
            for (size_t j = 0; j < im->n; j++)
                require(im->labels[j] < n_classes);
            if (bytes) {
                volatile uint8_t last = im->images[bytes - 1];
                (void)last;
            }
            free(im->images);
            free(im->labels);
        }
    } else {
        require(d.train.images == NULL && d.test.images == NULL && d.train.n == 0);
    }
    free(b);
    return 0;
}
