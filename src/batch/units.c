/* units.c — micrometres for a batch: which pixel size an image has, and the
 * diameter in px that --diameter-um means for it. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "batch/units.h"

double ns_diameter_px_of_um(double d_um, double um_per_px)
{
    return round(10.0 * d_um / um_per_px) / 10.0;
}

ns_status ns_job_units(const ns_job *job, const ns_batch_options *opt, const ns_segment_params *prm,
                       ns_segment_params *eff, ns_pixel_size_um *px, ns_error *err)
{
    *eff = *prm;
    memset(px, 0, sizeof *px);
    if (opt->pixel_size_um > 0) {
        px->x_um = px->y_um = opt->pixel_size_um;
        snprintf(px->source, sizeof px->source, "option");
    } else {
        ns_status st = ns_image_pixel_size(job->path, px, err);
        if (st != NS_OK && err) {
            char why[NS_ERROR_MAX];
            snprintf(why, sizeof why, "%s", err->message);
            ns_error_set(err, st, "%.*s (or give --pixel-size UM)", NS_ERROR_MAX - 64, why);
        }
        if (st != NS_OK) return st;
    }
    if (opt->diameter_um > 0) {
        if (!(px->x_um > 0))
            return ns_error_set(err, NS_ERR_INVALID, "%s: --diameter-um needs a pixel size: the file declares "
                                "none (give --pixel-size UM, or --diameter in px)", job->path);
        eff->diameter = ns_diameter_px_of_um(opt->diameter_um, px->x_um);
        if (!(eff->diameter > 0))
            return ns_error_set(err, NS_ERR_INVALID, "%s: --diameter-um %g at %g um/px is under 0.1 px",
                                job->path, opt->diameter_um, px->x_um);
    }
    return NS_OK;
}
