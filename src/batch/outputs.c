/* outputs.c — where an image's results go and how they are written: label TIFF,
 * nuclei CSV, centroid .npy and metadata JSON, each atomically, the metadata
 * last so that its presence means the set is complete (what --resume checks first,
 * resume.c). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "batch/checksums.h"
#include "batch/model_record.h"
#include "batch/nuclei_csv.h"
#include "batch/outputs.h"
#include "nucseg/fsutil.h"
#include "nucseg/output_names.h"
#include "util/par_for.h"
#include "util/text_safe.h"

static const char *const SUFFIX[NS_OUT_COUNT] = {NS_SUFFIX_LABELS, NS_SUFFIX_NUCLEI_CSV, NS_SUFFIX_CENTROIDS,
                                                 NS_SUFFIX_METADATA};

ns_status ns_output_paths(const ns_job *job, const char *out_dir, ns_output_paths_t *p, ns_error *err)
{
    memset(p, 0, sizeof *p);
    int n = snprintf(p->dir, sizeof p->dir, "%s/%s/%s", out_dir, ns_magnification_name(job->mag), job->well);
    if (n < 0 || (size_t)n >= sizeof p->dir)
        return ns_error_set(err, NS_ERR_INVALID, "%s: output path too long", job->path);
    for (int k = 0; k < NS_OUT_COUNT; k++) {
        n = snprintf(p->file[k], sizeof p->file[k], "%s/%s%s", p->dir, job->stem, SUFFIX[k]);
        if (n < 0 || (size_t)n >= sizeof p->file[k])
            return ns_error_set(err, NS_ERR_INVALID, "%s: output path too long", job->path);
    }
    return NS_OK;
}

void ns_output_remove_temporaries(const ns_job *job, const char *out_dir, long pid)
{
    ns_output_paths_t p;
    ns_error err;
    if (ns_output_paths(job, out_dir, &p, &err) != NS_OK) return;
    for (int k = 0; k < NS_OUT_COUNT; k++) {
        char tmp[sizeof p.file[k] + 32];
        if (ns_tmp_path_of(p.file[k], pid, tmp, sizeof tmp, &err) == NS_OK) (void)unlink(tmp);
    }
}

/* ".<name><suffix>.tmp.<pid>.<host>" with one of our output suffixes and this machine's
 * name (or no host: a name of an older nucseg, or made by hand): that pid, else 0. Another
 * machine's temporary is never judged here: its pid means nothing on this one. */
static long temporary_of(const char *entry)
{
    const char *t = strstr(entry, ".tmp.");
    if (entry[0] != '.' || !t) return 0;
    int ours = 0;
    for (int k = 0; k < NS_OUT_COUNT && !ours; k++) {
        size_t ls = strlen(SUFFIX[k]);
        ours = (size_t)(t - entry) > ls && !strncmp(t - ls, SUFFIX[k], ls);
    }
    char *end;
    long pid = strtol(t + 5, &end, 10);
    int here = *end == '\0' || (*end == '.' && !strcmp(end + 1, ns_tmp_host()));
    return ours && here && pid > 0 ? pid : 0;
}

/* Whether process pid still runs here. A zombie does not: a killed run's workers stay
 * zombies where the process that inherits them never reaps (some containers' init). */
static int process_alive(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return 0;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 1; /* no /proc: trust kill() */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold spaces */
    return !(paren && paren[1] == ' ' && paren[2] == 'Z');
}

void ns_outputs_remove_stale_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = temporary_of(e->d_name);
        if (!pid || pid == (long)getpid() || process_alive(pid)) continue;
        char path[8192];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path) (void)unlink(path);
    }
    closedir(d);
}

static ns_status write_labels(const char *path, const ns_segmentation *s, const ns_pixel_size_um *px,
                              ns_commit_list *defer, ns_error *err)
{
    /* 16-bit when the labels fit (opens everywhere), 32-bit only when they need it:
     * ns_segment made them so. The pixel size goes with them into Fiji and napari. */
    return ns_tiff_write_to(path, &s->labels, NS_TIFF_DEFLATE_LABELS, px, defer, err);
}

static ns_status write_npy(const char *path, const ns_segmentation *s, ns_commit_list *defer, ns_error *err)
{
    double *xy = malloc((s->count ? s->count : 1) * 2 * sizeof *xy);
    if (!xy) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < s->count; i++) {
        xy[2 * i] = s->nuclei[i].centroid_x;
        xy[2 * i + 1] = s->nuclei[i].centroid_y;
    }
    ns_status st = ns_npy_write_f64_to(path, xy, s->count, 2, defer, err);
    free(xy);
    return st;
}

static ns_status write_metadata(const char *path, const ns_job *job, const ns_image_info *info,
                                int channel, const ns_segment_params *prm, const ns_segmentation *s,
                                const ns_output_paths_t *p, const ns_pixel_size_um *px, ns_commit_list *defer,
                                double read_ms, double write_ms, ns_error *err)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    ns_json_add_text(root, "source", job->path);
    ns_json_add_text(root, "stem", job->stem);
    ns_json_add_text(root, "well", job->well);
    ns_json_add_text(root, "plate", job->plate ? job->plate : "");
    ns_json_add_text(root, "tile", job->tile ? job->tile : "");
    cJSON_AddStringToObject(root, "magnification", ns_magnification_name(job->mag));
    cJSON_AddNumberToObject(root, "width", s->width);
    cJSON_AddNumberToObject(root, "height", s->height);
    cJSON_AddStringToObject(root, "pixel_type", ns_pixel_type_name(info->type));
    cJSON_AddNumberToObject(root, "channel", channel);
    cJSON_AddNumberToObject(root, "nuclei", (double)s->count);
    if (px->x_um > 0) { /* micrometres per pixel, and where that came from (docs/units.md) */
        cJSON *size = cJSON_AddObjectToObject(root, "pixel_size_um");
        cJSON_AddNumberToObject(size, "x", px->x_um);
        cJSON_AddNumberToObject(size, "y", px->y_um);
        cJSON_AddStringToObject(size, "source", px->source);
    } else {
        cJSON_AddNullToObject(root, "pixel_size_um");
    }
    cJSON *par = cJSON_AddObjectToObject(root, "parameters");
    cJSON_AddNumberToObject(par, "diameter_requested", prm->diameter);
    cJSON_AddNumberToObject(par, "diameter_used", s->diameter_used);
    cJSON_AddNumberToObject(par, "smooth_sigma", s->sigma_used);
    cJSON_AddStringToObject(par, "threshold_method", prm->threshold == NS_THRESHOLD_LOCAL ? "local" : "otsu");
    cJSON_AddNumberToObject(par, "threshold_scale", prm->threshold_scale);
    cJSON_AddNumberToObject(par, "threshold", s->threshold_used);
    cJSON_AddNumberToObject(par, "min_distance", s->min_distance_used);
    cJSON_AddBoolToObject(par, "split_touching", prm->split_touching);
    ns_segment_model_json(par, prm);
    cJSON *t = cJSON_AddObjectToObject(root, "timing_ms");
    cJSON_AddNumberToObject(t, "read", read_ms);
    cJSON_AddNumberToObject(t, "segment", s->ms_total);
    cJSON_AddNumberToObject(t, "write", write_ms);
    cJSON *o = cJSON_AddObjectToObject(root, "outputs");
    ns_json_add_text(o, "labels", p->file[NS_OUT_LABELS]);
    ns_json_add_text(o, "nuclei_csv", p->file[NS_OUT_CSV]);
    ns_json_add_text(o, "centroids_npy", p->file[NS_OUT_NPY]);
    cJSON_AddStringToObject(root, "nucseg_version", NUCSEG_VERSION);
    ns_status st = ns_checksums_record(root, job, p, err);
    if (st != NS_OK) {
        cJSON_Delete(root);
        return st;
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    size_t len = strlen(text);
    st = ns_write_file_atomic_to(path, text, len, defer, err);
    free(text);
    return st;
}

/* The label image, the table and the centroids: three independent files, written on
 * lent idle cores too when there are any (util/par_for.h). Largest first. */
typedef struct {
    const ns_job *job;
    const ns_segmentation *s;
    const ns_output_paths_t *p;
    const ns_pixel_size_um *px;
    ns_commit_list *defer; /* where every thread records its file's commit, or NULL */
} data_files;

static ns_status write_data_file(void *ctx, size_t k, int slot, ns_error *err)
{
    (void)slot;
    const data_files *d = ctx;
    return k == 0   ? write_labels(d->p->file[NS_OUT_LABELS], d->s, d->px, d->defer, err)
           : k == 1 ? ns_nuclei_csv_write(d->p->file[NS_OUT_CSV], d->job, d->s, d->px, d->defer, err)
                    : write_npy(d->p->file[NS_OUT_NPY], d->s, d->defer, err);
}

ns_status ns_write_outputs(const ns_job *job, const ns_image_info *info, int channel,
                           const ns_segment_params *prm, const ns_segmentation *s,
                           const ns_output_paths_t *p, const ns_pixel_size_um *px, const ns_image_run *how,
                           double read_ms,
                           double *write_ms, ns_error *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ns_status st = how->folders_made ? NS_OK : ns_mkdirs(p->dir, err);
    data_files d = {.job = job, .s = s, .p = p, .px = px, .defer = how->pending};
    if (st == NS_OK) st = ns_par_for(3, write_data_file, &d, how->idle, NULL, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *write_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6;
    if (st == NS_OK)
        st = write_metadata(p->file[NS_OUT_META], job, info, channel, prm, s, p, px, how->pending, read_ms,
                            *write_ms, err);
    return st;
}
