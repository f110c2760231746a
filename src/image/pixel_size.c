/* pixel_size.c — the physical pixel size a TIFF declares (docs/units.md): the
 * OME-XML of an OME-TIFF, an ImageJ description's unit with the resolution tags, or
 * the baseline resolution tags in inch or centimetre units. */
#include "image_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <tiffio.h>

/* Micrometres in one `unit` as OME (UnitsLength) and ImageJ spell them; 0 when the
 * unit is unknown. Both "µ" (U+00B5) and "μ" (U+03BC) are used for micro. */
static double um_per_unit(const char *unit, size_t n)
{
    static const struct {
        const char *name;
        double um;
    } units[] = {{"\xc2\xb5m", 1}, {"\xce\xbcm", 1}, {"um", 1}, {"micron", 1}, {"microns", 1},
                 {"\\u00B5m", 1},  {"nm", 1e-3},     {"pm", 1e-6}, {"\xc3\x85", 1e-4}, {"mm", 1e3},
                 {"cm", 1e4},      {"m", 1e6},       {"in", 25400}, {"inch", 25400}};
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (strlen(units[k].name) == n && !strncmp(unit, units[k].name, n)) return units[k].um;
    return 0;
}

/* Values from a float32 rational (the resolution tags) carry noise in the 8th digit:
 * 1 / (float)(1 / 0.325) = 0.32499998. Six significant digits are more than any
 * microscope's calibration has. */
static double round6(double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", v);
    return strtod(buf, NULL);
}

/* The value of attribute `name` inside the XML start tag [tag, end); NULL if absent.
 * *len gets its length. Matches the whole name: "PhysicalSizeX" is not
 * "PhysicalSizeXUnit". */
static const char *xml_attr(const char *tag, const char *end, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (const char *p = tag; p && p < end; p = strstr(p + 1, name)) {
        p = strstr(p, name);
        if (!p || p >= end) return NULL;
        const char *q = p + n;
        while (*q == ' ') q++;
        if ((p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t' || p[-1] == '\r') && *q == '=') {
            q++;
            while (*q == ' ') q++;
            char quote = *q;
            if (quote != '"' && quote != '\'') return NULL;
            const char *close = strchr(q + 1, quote);
            if (!close || close > end) return NULL;
            *len = (size_t)(close - q - 1);
            return q + 1;
        }
    }
    return NULL;
}

static ns_status bad(const char *path, const char *what, const char *v, size_t n, ns_error *err)
{
    return ns_error_set(err, NS_ERR_FORMAT, "%s: unreadable pixel size (%s '%.*s')", path, what, (int)(n > 64 ? 64 : n), v);
}

/* One axis of OME's <Pixels PhysicalSizeX="0.325" PhysicalSizeXUnit="µm">; the unit
 * defaults to µm, as in the OME schema. *um stays 0 when the attribute is absent. */
static ns_status ome_axis(const char *path, const char *tag, const char *end, const char *axis, double *um, ns_error *err)
{
    char name[32], uname[40];
    snprintf(name, sizeof name, "PhysicalSize%s", axis);
    snprintf(uname, sizeof uname, "PhysicalSize%sUnit", axis);
    size_t n, un = 0;
    const char *v = xml_attr(tag, end, name, &n);
    if (!v) return NS_OK;
    const char *u = xml_attr(tag, end, uname, &un);
    char num[64];
    if (n == 0 || n >= sizeof num) return bad(path, name, v, n, err);
    memcpy(num, v, n);
    num[n] = '\0';
    char *stop;
    double x = strtod(num, &stop);
    double scale = u ? um_per_unit(u, un) : 1.0;
    if (*stop || !isfinite(x) || x <= 0) return bad(path, name, v, n, err);
    if (scale == 0) return bad(path, uname, u, un, err);
    *um = x * scale;
    return NS_OK;
}

static ns_status from_ome(const char *path, const char *xml, ns_pixel_size_um *out, ns_error *err)
{
    /* The first image's <Pixels ...> start tag (with or without a namespace prefix). */
    const char *tag = xml;
    while ((tag = strstr(tag, "Pixels")) && !(tag > xml && (tag[-1] == '<' || tag[-1] == ':') && tag[6] == ' '))
        tag++;
    if (!tag) return NS_OK;
    const char *end = strchr(tag, '>');
    if (!end) return NS_OK;
    ns_status st = ome_axis(path, tag, end, "X", &out->x_um, err);
    if (st == NS_OK) st = ome_axis(path, tag, end, "Y", &out->y_um, err);
    if (st == NS_OK && out->x_um > 0) snprintf(out->source, sizeof out->source, "ome");
    return st;
}

/* "unit=micron" of an ImageJ description; *um_per = 0 when it names no length. */
static int imagej_unit(const char *desc, double *um_per)
{
    const char *u = strstr(desc, "\nunit=");
    *um_per = 0;
    if (!u) return 0;
    u += 6;
    size_t n = strcspn(u, "\n");
    *um_per = um_per_unit(u, n);
    return 1;
}

static ns_status from_resolution(const char *path, TIFF *tif, double um_per_unit_, const char *source,
                                 ns_pixel_size_um *out, ns_error *err)
{
    float xr = 0, yr = 0;
    if (!TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr)) return NS_OK;
    if (!TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yr)) yr = xr;
    if (!(xr > 0) || !(yr > 0) || !isfinite(xr) || !isfinite(yr))
        return ns_error_set(err, NS_ERR_FORMAT, "%s: unreadable pixel size (XResolution %g, YResolution %g)",
                            path, (double)xr, (double)yr);
    out->x_um = round6(um_per_unit_ / xr);
    out->y_um = round6(um_per_unit_ / yr);
    snprintf(out->source, sizeof out->source, "%s", source);
    return NS_OK;
}

/* A regular file that starts like a TIFF. Anything else is left to the image reader
 * to refuse: opening a FIFO here would wait for a writer forever. */
static int is_tiff(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;
    unsigned char m[4] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    size_t got = fread(m, 1, 4, fp);
    fclose(fp);
    return got == 4 && ((m[0] == 'I' && m[1] == 'I' && m[3] == 0) || (m[0] == 'M' && m[1] == 'M' && m[2] == 0));
}

ns_status ns_image_pixel_size(const char *path, ns_pixel_size_um *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    if (!is_tiff(path)) return NS_OK; /* PNG: nucseg reads no size from it; not a file: the reader says so */
    ns_tiff_diag_install();
    ns_tiff_diag_clear();
    TIFF *tif = TIFFOpen(path, "rm");
    if (!tif) return NS_OK; /* a corrupt file: the image reader says how, in its words */
    ns_status st = NS_OK;
    char *desc = NULL;
    uint16_t unit = RESUNIT_NONE;
    double um_per = 0;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc)) desc = NULL;
    if (desc && strstr(desc, "<OME")) {
        st = from_ome(path, desc, out, err);
    } else if (desc && !strncmp(desc, "ImageJ=", 7) && imagej_unit(desc, &um_per)) {
        /* ImageJ writes "unit=pixel" (or nothing) when uncalibrated. */
        if (um_per > 0) st = from_resolution(path, tif, um_per, "imagej", out, err);
    } else if (TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &unit) && (unit == RESUNIT_INCH || unit == RESUNIT_CENTIMETER)) {
        st = from_resolution(path, tif, unit == RESUNIT_INCH ? 25400.0 : 10000.0, "resolution", out, err);
    }
    TIFFClose(tif);
    if (st == NS_OK && out->x_um > 0 && !(out->y_um > 0)) out->y_um = out->x_um;
    if (st != NS_OK) memset(out, 0, sizeof *out);
    return st;
}
