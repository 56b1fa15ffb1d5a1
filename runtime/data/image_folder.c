/* image_folder.c - PNG images in class folders. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/buf.h"
#include "base/hash.h"
#include "base/png.h"
#include "base/rng.h"
#include "data/image_cache.h"
#include "data/image_folder.h"
#include "data/image_io.h"

/* The seed of the DIR/CLASS layout's test split: fixed, so every run and
 * every command (train, eval) holds out the same images. */
#define SPLIT_SEED 20240601u

typedef struct {
    char *path;
    int label;
    int test;                   /* 1: the test set */
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
    cv_buf fingerprint;         /* names, sizes and times of every file */
} entry_list;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_list(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The sorted names in dir that are (want_dirs 1) or are not (0)
 * directories, or all of them (-1), without those starting with '.'; -1 on
 * error. */
static int list_dir(const char *dir, int want_dirs, char ***out, size_t *n, cv_error *e)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return cv_fail(e, "%s: cannot read the folder: %s", dir, strerror(errno));
    char **names = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *ent;
    char path[4096];
    int rc = 0;
    while ((ent = readdir(dh)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        if (want_dirs >= 0 && is_dir(path) != want_dirs)
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = cv_fail(e, "%s: out of memory", dir);
                break;
            }
            names = nn;
        }
        if (!(names[cnt] = strdup(ent->d_name))) {
            rc = cv_fail(e, "%s: out of memory", dir);
            break;
        }
        cnt++;
    }
    closedir(dh);
    if (rc < 0) {
        free_list(names, (int)cnt);
        free(names);
        return -1;
    }
    if (cnt)
        qsort(names, cnt, sizeof *names, by_name);
    *out = names;
    *n = cnt;
    return 0;
}

int image_folder_detect(const char *dir)
{
    char **names;
    size_t n;
    cv_error e;
    if (list_dir(dir, 1, &names, &n, &e) < 0)
        return 0;
    free_list(names, (int)n);
    free(names);
    return n > 0;
}

/* The layout: 1 if dir holds train/ and test/, else 0. */
static int split_layout(const char *dir)
{
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/train", dir);
    snprintf(b, sizeof b, "%s/test", dir);
    return is_dir(a) && is_dir(b);
}

int image_folder_class_names(const char *dir, char **names, int max, int *n, cv_error *e)
{
    char root[4096];
    snprintf(root, sizeof root, split_layout(dir) ? "%s/train" : "%s", dir);
    char **found;
    size_t cnt;
    if (list_dir(root, 1, &found, &cnt, e) < 0)
        return -1;
    if (cnt > (size_t)max) {
        free_list(found, (int)cnt);
        free(found);
        return cv_fail(e, "%s: %zu class folders, at most %d", root, cnt, max);
    }
    for (size_t i = 0; i < cnt; i++)
        names[i] = found[i];
    free(found);
    *n = (int)cnt;
    return 0;
}

static int add_entry(entry_list *l, char *path, int label, int test, cv_error *e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        entry *ne = realloc(l->e, l->cap * sizeof *ne);
        if (!ne) {
            free(path);
            return cv_fail(e, "out of memory for %zu file names", l->n);
        }
        l->e = ne;
    }
    l->e[l->n++] = (entry){ path, label, test };
    return 0;
}

/* Every file of class folder root/cls (label k) into l, test marking them;
 * their names (from byte rel_at on: relative to the data directory), sizes
 * and modification times go into the fingerprint. */
static int scan_class(const char *root, const char *cls, int k, int test, size_t rel_at,
                      entry_list *l, cv_error *e)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, cls);
    char **files = NULL;
    size_t n = 0;
    if (list_dir(dir, -1, &files, &n, e) < 0)
        return -1;
    int rc = n == 0 ? cv_fail(e, "%s: the class folder is empty", dir) : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *path = malloc(strlen(dir) + strlen(files[i]) + 2);
        if (!path) {
            rc = cv_fail(e, "%s: out of memory", dir);
            break;
        }
        sprintf(path, "%s/%s", dir, files[i]);
        struct stat st;
        if (stat(path, &st) != 0) {
            rc = cv_fail(e, "%s: cannot read: %s", path, strerror(errno));
            free(path);
            break;
        }
        buf_printf(&l->fingerprint, "%s\t%d\t%d\t%lld\t%lld.%09ld\n", path + rel_at, k,
                   test, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                   (long)st.st_mtim.tv_nsec);
        rc = add_entry(l, path, k, test, e);
    }
    free_list(files, (int)n);
    free(files);
    return rc;
}

/* The DIR/CLASS layout: a per-class fraction of each class's files, drawn
 * with SPLIT_SEED, is the test set. */
static void split_classes(entry_list *l, double fraction)
{
    cv_rng r;
    rng_seed(&r, SPLIT_SEED);
    for (size_t a = 0; a < l->n;) {
        size_t b = a;
        while (b < l->n && l->e[b].label == l->e[a].label)
            b++;
        size_t n = b - a, n_test = (size_t)((double)n * fraction + 0.5);
        if (n_test >= n)
            n_test = n - 1;     /* every class keeps a training image */
        uint32_t *perm = malloc((n ? n : 1) * sizeof *perm);
        if (perm) {
            rng_permutation(&r, perm, n);
            for (size_t i = 0; i < n_test; i++)
                l->e[a + perm[i]].test = 1;
            free(perm);
        } else {                /* no memory for a shuffle: the last files */
            for (size_t i = n - n_test; i < n; i++)
                l->e[a + i].test = 1;
        }
        a = b;
    }
}

/* ---- decoding ----------------------------------------------------------- */

typedef struct {
    const cv_data_options *o;
    int h, w, c;                /* the data set's kind and size (0: not known yet) */
    const char *first;          /* the file that fixed them */
} image_kind;

/* Appends one decoded image to im. */
static int append(cv_images *im, const uint8_t *px, int label, size_t size, cv_error *e)
{
    if ((im->n & (im->n - 1)) == 0) {    /* capacity doubles at powers of two */
        size_t cap = im->n ? im->n * 2 : 1;
        uint8_t *p = realloc(im->images, cap * size), *q = p ? realloc(im->labels, cap) : NULL;
        if (p)
            im->images = p;
        if (q)
            im->labels = q;
        if (!p || !q)
            return cv_fail(e, "out of memory for %zu images", cap);
    }
    memcpy(im->images + im->n * size, px, size);
    im->labels[im->n++] = (uint8_t)label;
    return 0;
}

/* Resamples channel-interleaved b (h x w x c) to out (rh x rw x c). */
static int resample(const cv_bitmap *b, int c, int rh, int rw, uint8_t *out, cv_error *e)
{
    cv_gray_image g = { .w = b->w, .h = b->h };
    g.px = malloc((size_t)b->w * b->h * sizeof *g.px);
    float *dst = malloc((size_t)rw * rh * sizeof *dst);
    if (!g.px || !dst) {
        free(g.px);
        free(dst);
        return cv_fail(e, "out of memory to resample a %dx%d image", b->w, b->h);
    }
    for (int ch = 0; ch < c; ch++) {
        for (size_t p = 0; p < (size_t)b->w * b->h; p++)
            g.px[p] = b->px[p * (size_t)b->channels + (size_t)ch] / 255.0f;
        image_resample(&g, rw, rh, dst);
        for (size_t p = 0; p < (size_t)rw * rh; p++) {
            float v = dst[p] * 255.0f + 0.5f;
            out[p * (size_t)c + (size_t)ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    free(g.px);
    free(dst);
    return 0;
}

/* Decodes file ent into d; 1 if it was skipped (skip_bad), 0, or -1. */
static int load_one(const entry *ent, image_kind *k, cv_dataset *d, uint8_t **scratch,
                    cv_error *e)
{
    cv_bitmap b;
    cv_error why;
    size_t l = strlen(ent->path);
    int rc = 0;
    if (l < 4 || strcasecmp(ent->path + l - 4, ".png") != 0) {
        cv_fail(&why, "%s: not a PNG image (the name does not end in .png)", ent->path);
        rc = -1;
    } else if (cv_png_read(ent->path, &b, &why) < 0) {
        rc = -1;
    }
    if (rc < 0) {
        if (k->o->skip_bad)
            return 1;
        *e = why;
        return -1;
    }
    int c = b.channels >= 3 ? 3 : 1;           /* alpha is dropped */
    int h = k->o->resize_h > 0 ? k->o->resize_h : b.h;
    int w = k->o->resize_w > 0 ? k->o->resize_w : b.w;
    if (!k->c) {
        k->h = h, k->w = w, k->c = c, k->first = ent->path;
        *scratch = malloc((size_t)h * w * c);
        if (!*scratch) {
            cv_bitmap_free(&b);
            return cv_fail(e, "out of memory");
        }
    }
    if (c != k->c || (k->o->resize_h <= 0 && (b.h != k->h || b.w != k->w))) {
        if (c != k->c)
            cv_fail(&why, "%s: a %s image, but %s is %s (all images must be of one kind)",
                    ent->path, c == 3 ? "RGB" : "gray", k->first, k->c == 3 ? "RGB" : "gray");
        else
            cv_fail(&why, "%s: %dx%d pixels, but %s has %dx%d (all images must have one size; "
                    "--image-size HxW resamples them)", ent->path, b.w, b.h, k->first, k->w,
                    k->h);
        cv_bitmap_free(&b);
        if (k->o->skip_bad)
            return 1;
        *e = why;
        return -1;
    }
    size_t size = (size_t)k->h * k->w * k->c;
    if (b.h != k->h || b.w != k->w) {
        rc = resample(&b, c, k->h, k->w, *scratch, e);
    } else {
        for (size_t p = 0; p < (size_t)b.h * b.w; p++)
            for (int ch = 0; ch < c; ch++)
                (*scratch)[p * (size_t)c + (size_t)ch] = b.px[p * (size_t)b.channels + (size_t)ch];
    }
    cv_bitmap_free(&b);
    if (rc < 0)
        return -1;
    return append(ent->test ? &d->test : &d->train, *scratch, ent->label, size, e);
}

int image_folder_load(const char *dir, const cv_data_options *o, cv_dataset *d, cv_error *e)
{
    int split = split_layout(dir), n_classes = 0, rc = 0;
    char root[4096];
    snprintf(root, sizeof root, split ? "%s/train" : "%s", dir);
    if (image_folder_class_names(dir, d->class_names, DATASET_MAX_CLASSES, &n_classes, e) < 0)
        return -1;
    d->n_classes = n_classes;
    d->format = "PNG folders";
    if (n_classes == 0)
        return cv_fail(e, "%s: no class folders", root);
    entry_list l = { 0 };
    buf_printf(&l.fingerprint, "%s %d %d %d %.17g\n", IMAGE_CACHE_VERSION, o->resize_h, o->resize_w,
               o->skip_bad, split ? 0.0 : o->test_split);
    for (int k = 0; rc == 0 && k < n_classes; k++)
        rc = scan_class(root, d->class_names[k], k, 0, strlen(dir) + 1, &l, e);
    if (rc == 0 && split) {
        char troot[4096];
        snprintf(troot, sizeof troot, "%s/test", dir);
        char **test_classes = NULL;
        size_t n_test_classes = 0;
        rc = list_dir(troot, 1, &test_classes, &n_test_classes, e);
        for (size_t i = 0; rc == 0 && i < n_test_classes; i++) {
            int k = 0;
            while (k < n_classes && strcmp(d->class_names[k], test_classes[i]) != 0)
                k++;
            if (k == n_classes)
                rc = cv_fail(e, "%s/%s: a test class without a training folder in %s", troot,
                             test_classes[i], root);
            else
                rc = scan_class(troot, test_classes[i], k, 1, strlen(dir) + 1, &l, e);
        }
        if (test_classes) {
            free_list(test_classes, (int)n_test_classes);
            free(test_classes);
        }
    } else if (rc == 0) {
        split_classes(&l, o->test_split);
    }
    if (rc == 0 && l.fingerprint.oom)
        rc = cv_fail(e, "%s: out of memory", dir);
    uint64_t fingerprint = rc == 0 ? cv_fnv1a64(l.fingerprint.data, l.fingerprint.len) : 0;
    if (rc == 0 && image_cache_read(dir, fingerprint, n_classes, d) == 0) {
        d->from_cache = 1;
    } else if (rc == 0) {
        image_kind kind = { .o = o };
        uint8_t *scratch = NULL;
        for (size_t i = 0; rc == 0 && i < l.n; i++) {
            int r = load_one(&l.e[i], &kind, d, &scratch, e);
            if (r == 1)
                d->skipped++;
            rc = r < 0 ? -1 : 0;
        }
        free(scratch);
        if (rc == 0) {
            d->train.h = d->test.h = kind.h;
            d->train.w = d->test.w = kind.w;
            d->train.c = d->test.c = kind.c;
            if (d->train.n == 0)
                rc = cv_fail(e, "%s: no training images%s", root,
                             d->skipped ? " (every file was skipped)" : "");

            /* A class whose every file was skipped is as empty as a folder. */
            int *seen = calloc((size_t)n_classes, sizeof *seen);
            for (size_t i = 0; rc == 0 && seen && i < d->train.n; i++)
                seen[d->train.labels[i]] = 1;
            for (int k = 0; rc == 0 && seen && k < n_classes; k++)
                if (!seen[k])
                    rc = cv_fail(e, "%s/%s: no training image left (%zu files skipped)", root,
                                 d->class_names[k], d->skipped);
            free(seen);
            if (rc == 0 && d->test.n == 0)
                rc = cv_fail(e, "%s: no test images (%s)", split ? dir : root,
                             split ? "every test file was skipped"
                                   : "the classes are too small for the test split");
        }
        if (rc == 0)
            image_cache_write(dir, fingerprint, n_classes, d);
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.e[i].path);
    free(l.e);
    buf_free(&l.fingerprint);
    return rc;
}
