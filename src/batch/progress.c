/* progress.c — a bar with ETA on a terminal, one log line per image otherwise,
 * and OUT/segmentation_progress.txt kept current for anyone watching the run
 * from another shell or a pipeline manager. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "batch/progress.h"
#include "nucseg/fsutil.h"
#include "util/text_safe.h"
#include "util/clock.h"

/* The progress file is rewritten at most this often (and at the end). Each rewrite is a
 * new file renamed over the old one, and on ext4 every file created while many were
 * recently deleted costs more (the inode allocator skips them): once per image, the
 * parent of a 2-worker pool spent 7-25 ms of a 16-image batch on it, on the cores the
 * workers compute on. */
#define PROGRESS_FILE_INTERVAL_S 0.25

static void write_progress_file(ns_progress *p)
{
    if (!p->progress_file[0]) return;
    p->file_written = ns_clock_s();
    char buf[256];
    double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100.0;
    int n = snprintf(buf, sizeof buf, "%zu/%zu images processed (%.1f%%), %zu failed\n", p->done, p->total,
                     pct, p->failed);
    /* Best effort and not fsync'ed: progress must never fail or slow the batch; a
     * reader still sees either the old or the new line (temp file + rename). */
    char tmp[4200];
    ns_error err;
    if (ns_tmp_path(p->progress_file, tmp, sizeof tmp, &err) != NS_OK) return;
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    int ok = fwrite(buf, 1, (size_t)n, f) == (size_t)n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, p->progress_file) != 0) unlink(tmp);
}

void ns_progress_start(ns_progress *p, ns_progress_mode mode, size_t total, const char *out_dir, int write_file,
                       const char *run_tag)
{
    memset(p, 0, sizeof *p);
    if (mode == NS_PROGRESS_AUTO) mode = isatty(STDERR_FILENO) ? NS_PROGRESS_BAR : NS_PROGRESS_LINES;
    p->mode = mode;
    p->total = total;
    p->t0 = ns_clock_s();
    if (write_file && out_dir && run_tag)
        snprintf(p->progress_file, sizeof p->progress_file, "%s/segmentation_progress.%s.txt", out_dir, run_tag);
    else if (write_file && out_dir)
        snprintf(p->progress_file, sizeof p->progress_file, "%s/segmentation_progress.txt", out_dir);
    write_progress_file(p);
}

static void fmt_eta(char *buf, size_t n, double s)
{
    int t = (int)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%d:%02d", t / 60, t % 60);
}

void ns_progress_step(ns_progress *p, const ns_job *job, const ns_job_result *r)
{
    p->done++;
    if (r->status != NS_OK) p->failed++;
    double now = ns_clock_s();
    if (p->done == p->total || now - p->file_written >= PROGRESS_FILE_INTERVAL_S) write_progress_file(p);
    double el = now - p->t0;
    double rate = el > 0 ? (double)p->done / el : 0;
    if (r->status != NS_OK) {
        /* Failures always reach stderr as one line, whatever the display. */
        if (p->mode == NS_PROGRESS_BAR) fprintf(stderr, "\r\033[K");
        char *msg = ns_text_printable(r->message);
        fprintf(stderr, "nucseg segment: FAILED %s\n", msg ? msg : "(out of memory)");
        free(msg);
    }
    if (p->mode == NS_PROGRESS_BAR) {
        enum { WIDTH = 30 };
        int fill = p->total ? (int)(WIDTH * p->done / p->total) : WIDTH;
        char bar[WIDTH + 1];
        for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
        bar[WIDTH] = 0;
        char eta[32];
        fmt_eta(eta, sizeof eta, rate > 0 ? (double)(p->total - p->done) / rate : 0);
        fprintf(stderr, "\r[%s] %zu/%zu %5.1f%% %.1f img/s ETA %s failed %zu", bar, p->done, p->total,
                p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, rate, eta, p->failed);
        fflush(stderr);
    } else if (p->mode == NS_PROGRESS_LINES && r->status == NS_OK) {
        char *path = ns_text_printable(job->path);
        printf("[%zu/%zu] %s %s: %s%zu nuclei, %.0f ms\n", p->done, p->total, ns_magnification_name(job->mag),
               path ? path : "(out of memory)", r->skipped ? "skipped (complete), " : "", r->nuclei, r->ms);
        free(path);
        fflush(stdout);
    }
}

void ns_progress_finish(ns_progress *p)
{
    if (p->mode == NS_PROGRESS_BAR) fprintf(stderr, "\n");
    write_progress_file(p);
}
