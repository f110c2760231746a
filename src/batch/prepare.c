/* prepare.c — before any image is read: OUT exists and takes new files, and every
 * image's output folder is made, once each, here in the parent rather than by each
 * worker for each image (which cost five mkdir calls an image, all but the first
 * failing with EEXIST). Folders that were there already lose the temporary files that
 * processes now gone left in them (a run killed, a disk that was full). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "batch/outputs.h"
#include "nucseg/fsutil.h"

/* OUT takes a new file: a read-only file system, a folder without write permission or
 * one whose disk has no inode left shows here, before any work, as one line. */
static ns_status check_writable(const char *out_dir, ns_error *err)
{
    char probe[4200];
    int n = snprintf(probe, sizeof probe, "%s/.nucseg-write-check.tmp.%ld", out_dir, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof probe) return ns_error_set(err, NS_ERR_INVALID, "%s: path too long", out_dir);
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return ns_error_set(err, NS_ERR_IO, "%s: output folder not writable: %s", out_dir, strerror(errno));
    close(fd);
    unlink(probe);
    return NS_OK;
}

ns_status ns_outputs_prepare(const ns_job_list *jobs, const char *out_dir, ns_error *err)
{
    ns_status st = ns_mkdirs(out_dir, err);
    if (st == NS_OK) st = check_writable(out_dir, err);
    /* Jobs are in path order, so the images of a well mostly come together: a folder made
     * for the job before is not made again. */
    char last[sizeof ((ns_output_paths_t *)0)->dir] = "";
    for (size_t i = 0; st == NS_OK && i < jobs->count; i++) {
        ns_output_paths_t p;
        ns_error e;
        if (ns_output_paths(&jobs->items[i], out_dir, &p, &e) != NS_OK) continue; /* that image fails alone */
        if (!strcmp(p.dir, last)) continue;
        if (mkdir(p.dir, 0777) == 0) {
            /* new: nothing stale in it */
        } else if (errno == EEXIST) {
            ns_outputs_remove_stale_in(p.dir);
        } else {
            st = ns_mkdirs(p.dir, err);
        }
        snprintf(last, sizeof last, "%s", p.dir);
    }
    return st;
}
