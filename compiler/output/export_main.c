/* export_main.c - the optional main() of a file written by `convc export`
 * (behind NAME_MAIN): classifies PGM (P2/P5) and IDX image files.  C99 and
 * C++, libc only.  The build embeds this file as text (build/gen/
 * export_main.inc); the export defines the CLASSIFY_ macros before it:
 *   CLASSIFY_MODEL        the model's name, a string
 *   CLASSIFY_IN_H, CLASSIFY_IN_W, CLASSIFY_IN_C, CLASSIFY_N_CLASSES
 *   CLASSIFY_PREDICT      int (const float *image, float *probs)
 *   CLASSIFY_CLASS_NAME   const char *(int k)
 * tests/t_export.sh also compiles it on its own against a stub model. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file; 0 on success, else prints why. */
static int classify_read_file(const char *path, unsigned char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            unsigned char *more;
            cap = cap ? 2 * cap : 65536;
            more = (unsigned char *)realloc(buf, cap);
            if (!more) {
                fprintf(stderr, "%s: out of memory\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = more;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: read error\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}

/* Skips whitespace and # comments; reads one decimal number < 2^31. */
static int classify_pgm_number(const unsigned char *d, size_t len, size_t *at, long *value)
{
    long v = 0;
    int digits = 0;
    for (;;) {
        while (*at < len && (d[*at] == ' ' || d[*at] == '\t' || d[*at] == '\n' ||
                             d[*at] == '\r' || d[*at] == '\v' || d[*at] == '\f'))
            (*at)++;
        if (*at < len && d[*at] == '#') {
            while (*at < len && d[*at] != '\n')
                (*at)++;
            continue;
        }
        break;
    }
    while (*at < len && d[*at] >= '0' && d[*at] <= '9' && digits < 10) {
        v = v * 10 + (d[*at] - '0');
        (*at)++;
        digits++;
    }
    if (digits == 0 || digits == 10)
        return -1;
    *value = v;
    return 0;
}

static int classify_pgm(const char *path, const unsigned char *d, size_t len, float *image)
{
    size_t at = 2, i, count = (size_t)CLASSIFY_IN_H * CLASSIFY_IN_W;
    long w, h, maxval;
    int ascii = d[1] == '2';
    if (CLASSIFY_IN_C != 1) {
        fprintf(stderr, "%s: the model takes %d channels; a PGM image has 1\n", path, CLASSIFY_IN_C);
        return -1;
    }
    if (classify_pgm_number(d, len, &at, &w) || classify_pgm_number(d, len, &at, &h) ||
        classify_pgm_number(d, len, &at, &maxval)) {
        fprintf(stderr, "%s: bad PGM header (expected width, height and maximum value)\n", path);
        return -1;
    }
    if (w != CLASSIFY_IN_W || h != CLASSIFY_IN_H) {
        fprintf(stderr, "%s: image is %ldx%ld; the model takes %dx%d\n", path, w, h,
                CLASSIFY_IN_W, CLASSIFY_IN_H);
        return -1;
    }
    if (maxval < 1 || maxval > 65535) {
        fprintf(stderr, "%s: bad PGM maximum value %ld (1 to 65535)\n", path, maxval);
        return -1;
    }
    if (ascii) {
        for (i = 0; i < count; i++) {
            long v;
            if (classify_pgm_number(d, len, &at, &v) || v > maxval) {
                fprintf(stderr, "%s: bad or missing pixel %lu of %lu\n", path,
                        (unsigned long)i + 1, (unsigned long)count);
                return -1;
            }
            image[i] = (float)v / (float)maxval;
        }
        return 0;
    }
    {
        size_t bytes = maxval > 255 ? 2 : 1;
        at++; /* the single whitespace after the maximum value */
        if (at > len || len - at < count * bytes) {
            fprintf(stderr, "%s: truncated: %lu pixel bytes, %lu expected\n", path,
                    (unsigned long)(at > len ? 0 : len - at), (unsigned long)(count * bytes));
            return -1;
        }
        for (i = 0; i < count; i++) {
            long v = bytes == 2 ? (long)d[at + 2 * i] << 8 | d[at + 2 * i + 1] : d[at + i];
            if (v > maxval) {
                fprintf(stderr, "%s: pixel %lu exceeds the maximum value\n", path,
                        (unsigned long)i + 1);
                return -1;
            }
            image[i] = (float)v / (float)maxval;
        }
    }
    return 0;
}

static void classify_report(const char *path, long index, const float *image)
{
    float probs[CLASSIFY_N_CLASSES];
    int k = CLASSIFY_PREDICT(image, probs);
    if (index < 0)
        printf("%s: %s (%.4f)\n", path, CLASSIFY_CLASS_NAME(k), (double)probs[k]);
    else
        printf("%s[%ld]: %s (%.4f)\n", path, index, CLASSIFY_CLASS_NAME(k), (double)probs[k]);
}

/* IDX images: unsigned bytes, (N, H, W) or (N, H, W, C). */
static int classify_idx(const char *path, const unsigned char *d, size_t len, float *image)
{
    unsigned long dims[4], n, i, j, size = (unsigned long)CLASSIFY_IN_H * CLASSIFY_IN_W * CLASSIFY_IN_C;
    int nd = d[3], k;
    if (d[2] != 0x08) {
        fprintf(stderr, "%s: IDX element type 0x%02x; only unsigned bytes (0x08) are images\n",
                path, d[2]);
        return -1;
    }
    if (nd != 3 && nd != 4) {
        fprintf(stderr, "%s: IDX file has %d dimensions; images have 3 (N, H, W) or 4 (N, H, W, C)\n",
                path, nd);
        return -1;
    }
    if (len < 4 + 4 * (size_t)nd) {
        fprintf(stderr, "%s: truncated IDX header\n", path);
        return -1;
    }
    for (k = 0; k < nd; k++)
        dims[k] = (unsigned long)d[4 + 4 * k] << 24 | (unsigned long)d[5 + 4 * k] << 16 |
                  (unsigned long)d[6 + 4 * k] << 8 | d[7 + 4 * k];
    if (dims[1] != CLASSIFY_IN_H || dims[2] != CLASSIFY_IN_W || (nd == 4 ? dims[3] : 1) != CLASSIFY_IN_C) {
        fprintf(stderr, "%s: images are %lux%lux%lu; the model takes %dx%dx%d\n", path, dims[2],
                dims[1], nd == 4 ? dims[3] : 1UL, CLASSIFY_IN_W, CLASSIFY_IN_H, CLASSIFY_IN_C);
        return -1;
    }
    n = dims[0];
    if ((len - 4 - 4 * (size_t)nd) / size < n || (len - 4 - 4 * (size_t)nd) != n * size) {
        fprintf(stderr, "%s: %lu images announced, %lu bytes of pixels present (%lu expected)\n",
                path, n, (unsigned long)(len - 4 - 4 * (size_t)nd), n * size);
        return -1;
    }
    for (i = 0; i < n; i++) {
        const unsigned char *px = d + 4 + 4 * nd + i * size;
        for (j = 0; j < size; j++)
            image[j] = (float)px[j] / 255.0f;
        classify_report(path, (long)i, image);
    }
    return 0;
}

/* Denormals flush to zero, as in the trainer (runtime/base/fpmode.c) and in
 * TensorFlow on CPU: the same numbers, and no slow path on tiny values.
 * MXCSR FTZ and DAZ on x86, FPCR.FZ on AArch64 (GCC and clang), nothing
 * elsewhere (tcc has no SSE control instructions; on a
 * Cortex-M the startup code sets FPSCR.FZ, see examples/mcu/startup.c). */
static void classify_flush_denormals(void)
{
#if (defined(__x86_64__) || defined(__SSE__)) && defined(__GNUC__) && !defined(__TINYC__)
    unsigned int csr;
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
    csr |= 0x8040u;
    __asm__ volatile("ldmxcsr %0" : : "m"(csr));
#elif defined(__aarch64__) && defined(__GNUC__) && !defined(__TINYC__)
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1ul << 24)));
#endif
}

int main(int argc, char **argv)
{
    static float image[CLASSIFY_IN_H * CLASSIFY_IN_W * CLASSIFY_IN_C];
    int i, status = 0;
    classify_flush_denormals();
    if (argc < 2) {
        fprintf(stderr, "usage: %s IMAGE...\n"
                "Classifies %dx%d PGM images (P2 or P5) and IDX image files (uncompressed)\n"
                "with the model %s; prints the class and its probability.\n", argv[0],
                CLASSIFY_IN_W, CLASSIFY_IN_H, CLASSIFY_MODEL);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        unsigned char *d = NULL;
        size_t len = 0;
        int rc = -1;
        if (classify_read_file(argv[i], &d, &len) != 0) {
            status = 1;
            continue;
        }
        if (len >= 2 && d[0] == 'P' && (d[1] == '2' || d[1] == '5')) {
            rc = classify_pgm(argv[i], d, len, image);
            if (rc == 0)
                classify_report(argv[i], -1, image);
        } else if (len >= 4 && d[0] == 0 && d[1] == 0) {
            rc = classify_idx(argv[i], d, len, image);
        } else if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b) {
            fprintf(stderr, "%s: gzip-compressed; decompress it first (gunzip)\n", argv[i]);
        } else {
            fprintf(stderr, "%s: not a PGM (P2/P5) or IDX image file\n", argv[i]);
        }
        if (rc != 0)
            status = 1;
        free(d);
    }
    return status;
}
