/* scaling_env.c — what the scaling benchmark records about the machine it ran on, and
 * the single-threaded environment it gives its workers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "nucseg/scaling.h"

/* Thread-count variables of the numeric libraries a worker might link. */
static const char *const thread_vars[] = {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                          "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", NULL};

static void read_loadavg(double la[3])
{
    la[0] = la[1] = la[2] = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return;
    if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3) la[0] = la[1] = la[2] = NAN;
    fclose(f);
}

static void read_cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) continue;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(out, n, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
}

static double read_mem_gb(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return NAN;
    char line[256];
    double kb = NAN;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %lf kB", &kb) == 1) break;
    fclose(f);
    return kb / (1024.0 * 1024.0);
}

void ns_scaling_env_capture(ns_scaling_env *env)
{
    env->cpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    struct utsname u;
    if (uname(&u) == 0) snprintf(env->machine, sizeof env->machine, "%s %s %s", u.sysname, u.release, u.machine);
    else snprintf(env->machine, sizeof env->machine, "unknown");
    if (gethostname(env->hostname, sizeof env->hostname) != 0) snprintf(env->hostname, sizeof env->hostname, "unknown");
    env->hostname[sizeof env->hostname - 1] = '\0';
    read_cpu_model(env->cpu_model, sizeof env->cpu_model);
    env->mem_total_gb = read_mem_gb();
    read_loadavg(env->load_start);
    read_loadavg(env->load_end);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(env->started_at, sizeof env->started_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ns_scaling_env_finish(ns_scaling_env *env)
{
    read_loadavg(env->load_end);
}

void ns_scaling_single_thread_env(ns_scaling_env *env)
{
    env->threads_env_user[0] = '\0';
    size_t len = 0;
    for (int i = 0; thread_vars[i]; i++) {
        const char *v = getenv(thread_vars[i]);
        if (v && len < sizeof env->threads_env_user) {
            int n = snprintf(env->threads_env_user + len, sizeof env->threads_env_user - len, "%s%s=%s",
                             len ? " " : "", thread_vars[i], v);
            if (n > 0) len += (size_t)n;
        }
        /* Workers are processes that inherit this environment: one thread each. */
        setenv(thread_vars[i], "1", 1);
    }
}
