/* cpus.c — how many CPUs this process may really use: the affinity mask (taskset,
 * cpusets, Slurm) capped by the cgroup CPU quota (Docker --cpus, Kubernetes limits). */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nucseg/batch.h"

/* Quota in CPUs from cgroup v2 cpu.max ("max 100000" or "200000 100000") or v1
 * cfs files; 0 when unlimited or unknown. */
static double cgroup_quota_cpus(void)
{
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (f) {
        char q[64] = {0};
        double period = 0;
        int ok = fscanf(f, "%63s %lf", q, &period) == 2;
        fclose(f);
        if (ok && strcmp(q, "max") != 0 && period > 0) return atof(q) / period;
        return 0;
    }
    f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
    if (!f) return 0;
    double quota = -1, period = 0;
    int ok = fscanf(f, "%lf", &quota) == 1;
    fclose(f);
    f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");
    if (!f) return 0;
    ok = ok && fscanf(f, "%lf", &period) == 1;
    fclose(f);
    return ok && quota > 0 && period > 0 ? quota / period : 0;
}

int ns_usable_cpus(void)
{
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0) n = 1;
    double q = cgroup_quota_cpus();
    if (q > 0) {
        int qc = (int)(q + 0.5); /* a 1.5-CPU quota keeps 2 workers busy enough */
        if (qc < 1) qc = 1;
        if (qc < n) n = qc;
    }
    return n;
}

int ns_default_workers(void)
{
    int n = ns_usable_cpus() - 1;
    return n < 1 ? 1 : n;
}
