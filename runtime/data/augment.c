/* augment.c - crop with padding, shifts, flips and cutout. */
#include <string.h>
#include "base/rng.h"
#include "data/augment.h"

/* Keeps augmentation draws apart from the dropout masks, which are seeded
 * with rng_mix3(seed, epoch, pos) itself. */
#define AUGMENT_STREAM 0x6175676d656e74ull     /* "augment" */

int augment_enabled(const cv_augment *a)
{
    return a->crop_pad > 0 || a->shift > 0 || a->flip || a->cutout > 0;
}

uint64_t augment_seed(uint64_t run_seed, uint64_t epoch, uint64_t pos)
{
    return rng_mix3(rng_mix3(run_seed, epoch, pos), AUGMENT_STREAM, 0);
}

/* Uniform integer in -r..r. */
static int draw_offset(cv_rng *r, int range)
{
    return (int)rng_below(r, 2 * (uint64_t)range + 1) - range;
}

void augment_image(const cv_augment *a, uint64_t seed, float *x, int h, int w, int c,
                   float *scratch)
{
    if (!augment_enabled(a))
        return;
    cv_rng r;
    rng_seed(&r, seed);
    /* Output pixel (y, x) comes from input (y - dy, x - dx), mirrored. */
    int dy = 0, dx = 0, flip = 0;
    if (a->crop_pad > 0) {
        /* A window whose corner is at 0..2P in the padded image is the
         * image shifted by P - corner: the same uniform -P..P. */
        dy += draw_offset(&r, a->crop_pad);
        dx += draw_offset(&r, a->crop_pad);
    }
    if (a->shift > 0) {
        dy += draw_offset(&r, a->shift);
        dx += draw_offset(&r, a->shift);
    }
    if (a->flip)
        flip = (int)(rng_next(&r) >> 63);
    if (dy || dx || flip) {
        size_t row = (size_t)w * (size_t)c;
        memcpy(scratch, x, (size_t)h * row * sizeof *x);
        for (int y = 0; y < h; y++) {
            int sy = y - dy;
            for (int xo = 0; xo < w; xo++) {
                int sx = (flip ? w - 1 - xo : xo) - dx;
                float *out = x + (size_t)y * row + (size_t)xo * (size_t)c;
                if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                    memset(out, 0, (size_t)c * sizeof *out);
                else
                    memcpy(out, scratch + (size_t)sy * row + (size_t)sx * (size_t)c,
                           (size_t)c * sizeof *out);
            }
        }
    }
    if (a->cutout > 0) {
        int cy = (int)rng_below(&r, (uint64_t)h), cx = (int)rng_below(&r, (uint64_t)w);
        int y0 = cy - a->cutout / 2, x0 = cx - a->cutout / 2;
        int y1 = y0 + a->cutout, x1 = x0 + a->cutout;
        y0 = y0 < 0 ? 0 : y0;
        x0 = x0 < 0 ? 0 : x0;
        y1 = y1 > h ? h : y1;
        x1 = x1 > w ? w : x1;
        for (int y = y0; y < y1; y++)
            if (x1 > x0)
                memset(x + ((size_t)y * (size_t)w + (size_t)x0) * (size_t)c, 0,
                       (size_t)(x1 - x0) * (size_t)c * sizeof *x);
    }
}
