/* params.c — segmentation defaults and the 10X / 40X presets. Every derived
 * parameter is a function of the nuclear diameter, so one number adapts the
 * pipeline to a magnification. */
#include "nucseg/segment.h"

void ns_segment_params_default(ns_segment_params *p)
{
    p->diameter = 0.0; /* estimate from the image */
    p->smooth_sigma = -1.0;
    p->threshold = NS_THRESHOLD_OTSU;
    p->threshold_scale = 1.0;
    p->min_area = -1.0;
    p->max_area = -1.0;
    p->min_distance = -1.0;
    p->split_touching = 1;
    p->model = NULL; /* the classical pipeline */
}

void ns_segment_params_preset(ns_segment_params *p, ns_magnification mag)
{
    ns_segment_params_default(p);
    if (mag == NS_MAG_10X) p->diameter = 10.0;
    else if (mag == NS_MAG_40X) p->diameter = 40.0;
}

const char *ns_magnification_name(ns_magnification m)
{
    switch (m) {
    case NS_MAG_10X: return "10X";
    case NS_MAG_40X: return "40X";
    default: return "unknown";
    }
}
