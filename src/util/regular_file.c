/* regular_file.c — refuse an input that is not a regular file before opening it:
 * fopen on a FIFO blocks until a writer appears (map would hang forever), and a
 * device or folder is never a centroid, metadata, truth or CSV file. stat() itself
 * does not block, so the check costs one system call per file. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "nucseg/fsutil.h"

ns_status ns_require_regular_file(const char *path, ns_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISREG(sb.st_mode)) return NS_OK;
    const char *what = S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISDIR(sb.st_mode) ? "a folder"
                     : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device"
                     : S_ISSOCK(sb.st_mode) ? "a socket" : "not a regular file";
    return ns_error_set(err, NS_ERR_IO, "%s: %s, not a regular file; refused", path, what);
}
