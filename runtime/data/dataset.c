/* dataset.c - loads the four IDX files of a data set and checks that they
 * agree with each other. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/files.h"
#include "base/hash.h"
#include "data/dataset.h"
#include "data/fashion_mnist.h"
#include "data/cifar.h"
#include "data/idx.h"
#include "data/image_folder.h"

const char *dataset_dir(const char *flag)
{
    if (flag && *flag)
        return flag;
    const char *env = getenv(DATASET_ENV);
    if (env && *env)
        return env;
    return DATASET_DEFAULT_DIR;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* DIR/STEM.gz if it exists, else DIR/STEM. */
static int find_file(const char *dir, const char *stem, char *path, size_t size, cv_error *e)
{
    snprintf(path, size, "%s/%s.gz", dir, stem);
    if (file_exists(path))
        return 0;
    snprintf(path, size, "%s/%s", dir, stem);
    if (file_exists(path))
        return 0;
    return cv_fail(e, "%s: missing %s (or %s.gz) in the data directory", dir, stem, stem);
}

static int load_pair(const char *dir, const char *prefix, cv_images *out, cv_error *e)
{
    char img_stem[64], lab_stem[64], img_path[4096], lab_path[4096];
    snprintf(img_stem, sizeof img_stem, "%s-images-idx3-ubyte", prefix);
    snprintf(lab_stem, sizeof lab_stem, "%s-labels-idx1-ubyte", prefix);
    if (find_file(dir, img_stem, img_path, sizeof img_path, e) < 0 ||
        find_file(dir, lab_stem, lab_path, sizeof lab_path, e) < 0)
        return -1;

    idx_array images, labels;
    if (idx_load(img_path, &images, e) < 0)
        return -1;
    if (images.rank != 3 && images.rank != 4) {
        cv_fail(e, "%s: rank: %d dimensions, images need 3 (n, h, w) or 4 (n, h, w, c)",
                img_path, images.rank);
        idx_free(&images);
        return -1;
    }
    if (idx_load(lab_path, &labels, e) < 0) {
        idx_free(&images);
        return -1;
    }
    int rc = -1;
    if (labels.rank != 1)
        cv_fail(e, "%s: rank: %d dimensions, labels need 1", lab_path, labels.rank);
    else if (labels.count != images.count)
        cv_fail(e, "%s: dimension 0: %zu labels, but %s has %zu images", lab_path,
                labels.count, img_path, images.count);
    else if (images.count == 0)
        cv_fail(e, "%s: dimension 0: no images", img_path);
    else if (images.dims[1] > 65535 || images.dims[2] > 65535 ||
             (images.rank == 4 && images.dims[3] > 65535))
        cv_fail(e, "%s: dimensions: images of %ux%u are too large", img_path,
                images.dims[1], images.dims[2]);
    else
        rc = 0;
    if (rc < 0) {
        idx_free(&images);
        idx_free(&labels);
        return -1;
    }
    out->n = images.count;
    out->h = (int)images.dims[1];
    out->w = (int)images.dims[2];
    out->c = images.rank == 4 ? (int)images.dims[3] : 1;
    out->images = images.data;
    out->labels = labels.data;
    return 0;
}

static void free_images(cv_images *im)
{
    free(im->images);
    free(im->labels);
    memset(im, 0, sizeof *im);
}

static int max_label(const cv_images *im)
{
    int m = 0;
    for (size_t i = 0; i < im->n; i++)
        if (im->labels[i] > m)
            m = im->labels[i];
    return m;
}

/* classes.txt: one name a line, at most this many bytes each. */
#define CLASS_NAME_MAX   255
#define CLASSES_TXT_MAX  (1 << 20)

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++) {
        free(names[i]);
        names[i] = NULL;
    }
}

/* The first lines of path as names[0 ..), at most n_classes; *n_read gets
 * how many.  A longer line would silently shift every later class. */
static int read_class_file(const char *path, int n_classes, char **names, int *n_read,
                           cv_error *e)
{
    size_t len;
    char *text = cv_read_file(path, CLASSES_TXT_MAX, &len, e);
    if (!text)
        return -1;
    int n = 0;
    for (size_t at = 0; at < len && n < n_classes; n++) {
        size_t end = at;
        while (end < len && text[end] != '\n')
            end++;
        size_t size = end > at && text[end - 1] == '\r' ? end - 1 - at : end - at;
        if (size > CLASS_NAME_MAX) {
            free(text);
            free_names(names, n);
            return cv_fail(e, "%s:%d: class name is %zu bytes long (at most %d)", path, n + 1,
                           size, CLASS_NAME_MAX);
        }
        if (!(names[n] = strndup(text + at, size))) {
            free(text);
            free_names(names, n);
            return cv_fail(e, "%s: out of memory", path);
        }
        at = end + 1;
    }
    free(text);
    *n_read = n;
    return 0;
}

/* The layout of dir (dataset.h). */
enum { LAYOUT_IDX, LAYOUT_CIFAR, LAYOUT_FOLDERS };

static int layout_of(const char *dir)
{
    char path[4096];
    cv_error e;
    if (find_file(dir, "train-images-idx3-ubyte", path, sizeof path, &e) == 0)
        return LAYOUT_IDX;
    if (cifar_detect(dir))
        return LAYOUT_CIFAR;
    if (image_folder_detect(dir))
        return LAYOUT_FOLDERS;
    return LAYOUT_IDX;          /* whose message names the files it lacks */
}

int dataset_class_names(const char *dir, int n_classes, char **names, cv_error *e)
{
    char path[4096], number[16];
    int n = 0, layout = layout_of(dir);
    for (int i = 0; i < n_classes; i++)
        names[i] = NULL;
    if (layout == LAYOUT_FOLDERS) {
        char *found[DATASET_MAX_CLASSES];
        if (image_folder_class_names(dir, found, DATASET_MAX_CLASSES, &n, e) < 0)
            return -1;
        for (int i = 0; i < n; i++) {
            if (i < n_classes)
                names[i] = found[i];
            else
                free(found[i]);
        }
        n = n < n_classes ? n : n_classes;
    }
    /* CIFAR-10 ships its names in batches.meta.txt. */
    snprintf(path, sizeof path, "%s/classes.txt", dir);
    if (layout == LAYOUT_CIFAR) {
        snprintf(path, sizeof path, "%s/batches.meta.txt", dir);
        if (access(path, F_OK) != 0)
            snprintf(path, sizeof path, "%s/classes.txt", dir);
    }
    if (layout == LAYOUT_FOLDERS) {
        /* the folder names */
    } else if (access(path, F_OK) == 0) {
        if (read_class_file(path, n_classes, names, &n, e) < 0)
            return -1;
    } else {
        /* The directory's own name, not the path above it, decides. */
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", dir);
        size_t l = strlen(copy);
        while (l > 1 && copy[l - 1] == '/')
            copy[--l] = 0;
        const char *base = strrchr(copy, '/');
        base = base ? base + 1 : copy;
        const char *const *known = NULL;
        if (layout == LAYOUT_CIFAR && n_classes <= CIFAR_CLASSES)
            known = cifar10_class_names;
        else if (n_classes == FASHION_MNIST_CLASSES && strstr(base, "fashion"))
            known = fashion_mnist_class_names;
        for (; known && n < n_classes; n++)
            if (!(names[n] = strdup(known[n]))) {
                free_names(names, n);
                return cv_fail(e, "out of memory");
            }
    }
    /* Missing names (no file, or too few lines) are the class numbers. */
    for (; n < n_classes; n++) {
        snprintf(number, sizeof number, "%d", n);
        if (!(names[n] = strdup(number))) {
            free_names(names, n);
            return cv_fail(e, "out of memory");
        }
    }
    return 0;
}

cv_data_options dataset_default_options(void)
{
    cv_data_options o = { .test_split = DATASET_DEFAULT_TEST_SPLIT };
    return o;
}

int dataset_load(const char *dir, cv_dataset *d, cv_error *e)
{
    cv_data_options o = dataset_default_options();
    return dataset_load_with(dir, &o, d, e);
}

int dataset_load_with(const char *dir, const cv_data_options *o, cv_dataset *d, cv_error *e)
{
    memset(d, 0, sizeof *d);
    cv_data_options defaults = dataset_default_options();
    o = o ? o : &defaults;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cv_fail(e, "%s: data directory not found: install the Debian package "
                       "dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or "
                       "point --data DIR or $%s at a directory with the IDX files", dir,
                       DATASET_ENV);
    int layout = layout_of(dir);
    if (layout == LAYOUT_FOLDERS) {
        if (image_folder_load(dir, o, d, e) < 0) {
            dataset_free(d);
            return -1;
        }
        return 0;
    }
    if (layout == LAYOUT_CIFAR) {
        if (cifar_load(dir, d, e) < 0) {
            dataset_free(d);
            return -1;
        }
    } else {
        d->format = "IDX";
        if (load_pair(dir, "train", &d->train, e) < 0)
            return -1;
        if (load_pair(dir, "t10k", &d->test, e) < 0) {
            free_images(&d->train);
            return -1;
        }
    }
    if (d->test.h != d->train.h || d->test.w != d->train.w || d->test.c != d->train.c) {
        cv_fail(e, "%s: test images are %dx%dx%d but training images are %dx%dx%d", dir,
                d->test.h, d->test.w, d->test.c, d->train.h, d->train.w, d->train.c);
        dataset_free(d);
        return -1;
    }
    int a = max_label(&d->train), b = max_label(&d->test);
    d->n_classes = 1 + (a > b ? a : b);
    if (dataset_class_names(dir, d->n_classes, d->class_names, e) < 0) {
        dataset_free(d);
        return -1;
    }
    return 0;
}

void dataset_free(cv_dataset *d)
{
    free_images(&d->train);
    free_images(&d->test);
    for (int i = 0; i < DATASET_MAX_CLASSES; i++)
        free(d->class_names[i]);
    memset(d, 0, sizeof *d);
}

void dataset_gather(const cv_images *im, const uint32_t *index, size_t first, size_t n,
                    float *x, uint8_t *labels)
{
    size_t size = (size_t)im->h * im->w * im->c;
    for (size_t i = 0; i < n; i++) {
        size_t k = index ? index[i] : first + i;
        const uint8_t *src = im->images + k * size;
        float *dst = x + i * size;
        for (size_t j = 0; j < size; j++)
            dst[j] = (float)src[j] / 255.0f;
        if (labels)
            labels[i] = im->labels[k];
    }
}

uint64_t dataset_train_fingerprint(const cv_dataset *d)
{
    const cv_images *t = &d->train;
    size_t pixels = t->n * (size_t)t->h * (size_t)t->w * (size_t)t->c;
    uint64_t parts[6] = { (uint64_t)t->n, (uint64_t)t->h, (uint64_t)t->w, (uint64_t)t->c,
                          cv_fnv1a64(t->images, pixels), cv_fnv1a64(t->labels, t->n) };
    unsigned char bytes[sizeof parts];
    size_t i, k;
    for (i = 0; i < 6; i++)             /* little-endian, whatever the machine */
        for (k = 0; k < 8; k++)
            bytes[i * 8 + k] = (unsigned char)(parts[i] >> (8 * k));
    return cv_fnv1a64(bytes, sizeof bytes);
}
