/* formation.c — camera model: a smooth background (uneven illumination) under the
 * nuclei, Poisson shot noise on the photons, Gaussian read noise, a camera offset,
 * then rounding and clamping to 16 bit as a real sCMOS frame would be. */
#include <math.h>
#include "synth/synth_internal.h"

ns_status synth_form_image(const float *signal, int w, int h, const synth_camera *cam,
                           synth_rng *rng, ns_image *out, ns_error *err)
{
    ns_status st = ns_image_alloc(out, w, h, NS_PIXEL_U16, err);
    if (st != NS_OK) return st;
    uint16_t *px = out->data;
    /* Illumination: a linear ramp in a random direction plus a mild vignette. */
    double dir = synth_rng_range(rng, 0.0, 2.0 * M_PI);
    double gx = cos(dir) * cam->gradient, gy = sin(dir) * cam->gradient;
    double vignette = synth_rng_range(rng, 0.05, 0.15);
    double read_var = cam->read_noise * cam->read_noise;
    double sx = w > 1 ? 1.0 / (w - 1) : 0.0, sy = h > 1 ? 1.0 / (h - 1) : 0.0;
    for (int y = 0; y < h; y++) {
        double fy = y * sy - 0.5;
        for (int x = 0; x < w; x++) {
            double fx = x * sx - 0.5;
            double light = 1.0 + gx * fx + gy * fy - vignette * 2.0 * (fx * fx + fy * fy);
            size_t i = (size_t)y * w + x;
            double photons = cam->background * light + signal[i];
            double v;
            if (photons >= 40.0) /* shot + read noise are both Gaussian here: draw their sum once */
                v = cam->offset + photons + sqrt(photons + read_var) * synth_rng_normal(rng);
            else
                v = cam->offset + synth_rng_poisson(rng, photons) + cam->read_noise * synth_rng_normal(rng);
            v = floor(v + 0.5);
            px[i] = v < 0.0 ? 0 : v > 65535.0 ? 65535 : (uint16_t)v;
        }
    }
    return NS_OK;
}
