/* delaunay.c — Delaunay triangulation of 2-D centroids through libqhull_r.
 *
 * qhull reports errors by printing to a FILE* and long-jumping out of
 * qh_new_qhull; we hand it a temporary file and turn its first line into the
 * ns_error message, so a degenerate point set never prints or exits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <libqhull_r/libqhull_r.h>

#include "nucseg/mapping.h"

void ns_triangulation_free(ns_triangulation *t)
{
    if (!t) return;
    free(t->v);
    t->v = NULL;
    t->count = 0;
}

/* True when every point lies on one line (or coincides): qhull cannot triangulate. */
static int all_collinear(const double *xy, size_t n)
{
    size_t far = 0;
    double best = 0;
    for (size_t i = 1; i < n; i++) {
        double dx = xy[2 * i] - xy[0], dy = xy[2 * i + 1] - xy[1];
        if (dx * dx + dy * dy > best) { best = dx * dx + dy * dy; far = i; }
    }
    if (best <= 0) return 1;
    double ux = xy[2 * far] - xy[0], uy = xy[2 * far + 1] - xy[1], len = sqrt(best);
    for (size_t i = 1; i < n; i++) {
        double cross = (xy[2 * i] - xy[0]) * uy - (xy[2 * i + 1] - xy[1]) * ux;
        if (fabs(cross) / len > 1e-9 * len) return 0;
    }
    return 1;
}

static void first_line(FILE *f, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!f) return;
    rewind(f);
    while (fgets(buf, (int)size, f)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (buf[0]) return;
    }
    buf[0] = '\0';
}

ns_status ns_delaunay(const double *xy, size_t n, ns_triangulation *out, ns_error *err)
{
    out->v = NULL;
    out->count = 0;
    if (n < 3)
        return ns_error_set(err, NS_ERR_EMPTY, "Delaunay: %zu point(s), need at least 3", n);
    if (n > (size_t)1 << 30)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "Delaunay: %zu points is too many", n);
    for (size_t i = 0; i < n; i++) /* qhull and the collinearity test give nonsense on NaN/Inf */
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return ns_error_set(err, NS_ERR_INVALID, "Delaunay: point %zu has non-finite coordinates", i);
    if (all_collinear(xy, n))
        return ns_error_set(err, NS_ERR_INVALID, "Delaunay: all %zu points are collinear", n);

    /* qhull may modify its input; give it a private copy it does not own. */
    coordT *pts = malloc(2 * n * sizeof *pts);
    qhT *qh = calloc(1, sizeof *qh);
    FILE *errfile = tmpfile();
    if (!errfile) errfile = fopen("/dev/null", "w");
    if (!pts || !qh || !errfile) {
        free(pts); free(qh);
        if (errfile) fclose(errfile);
        return ns_error_set(err, NS_ERR_NOMEM, "Delaunay: out of memory for %zu points", n);
    }
    memcpy(pts, xy, 2 * n * sizeof *pts);

    char flags[] = "qhull d Qt Qbb Qc Qz";
    qh_zero(qh, errfile);
    int code = qh_new_qhull(qh, 2, (int)n, pts, False, flags, NULL, errfile);
    ns_status st = NS_OK;
    if (code) {
        char line[512];
        first_line(errfile, line, sizeof line);
        st = ns_error_set(err, NS_ERR_INVALID, "Delaunay of %zu points failed (qhull %d): %s", n, code,
                          line[0] ? line : "no message");
    } else {
        size_t cap = (size_t)qh->num_facets;
        out->v = malloc((cap ? cap : 1) * 3 * sizeof *out->v);
        if (!out->v) {
            st = ns_error_set(err, NS_ERR_NOMEM, "Delaunay: out of memory for %zu triangles", cap);
        } else {
            facetT *facet;
            vertexT *vertex, **vertexp;
            FORALLfacets {
                if (facet->upperdelaunay || out->count >= cap) continue;
                int ids[3], k = 0, ok = 1;
                FOREACHvertex_(facet->vertices) {
                    int id = qh_pointid(qh, vertex->point);
                    /* Qz's point at infinity (id n) only sits on upper facets; be safe anyway. */
                    if (k >= 3 || id < 0 || (size_t)id >= n) { ok = 0; break; }
                    ids[k++] = id;
                }
                if (!ok || k != 3) continue;
                memcpy(out->v + 3 * out->count, ids, sizeof ids);
                out->count++;
            }
            if (out->count == 0)
                st = ns_error_set(err, NS_ERR_INVALID, "Delaunay of %zu points gave no triangles", n);
        }
    }
    qh_freeqhull(qh, !qh_ALL);
    int curlong, totlong;
    qh_memfreeshort(qh, &curlong, &totlong);
    free(qh);
    free(pts);
    fclose(errfile);
    if (st != NS_OK) ns_triangulation_free(out);
    return st;
}
