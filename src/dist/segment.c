/* segment.c — ns_dist_segment (dist.h): the distributed batch, step by step. */
#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "batch/outputs.h"
#include "batch/progress.h"
#include "batch/settings_lock.h"
#include "batch/summary.h"
#include "dist/dispatch.h"
#include "dist/dist_internal.h"
#include "nucseg/fsutil.h"
#include "util/exit_codes.h"
#include "util/clock.h"

/* What a rank tells rank 0 at the end: its part of the summary's per-node section. */
typedef struct {
    char host[MPI_MAX_PROCESSOR_NAME + 1];
    int rank, workers, cpus;
    uint64_t ok, failed, skipped;
    double busy_s, wall_s, cpu_s;
    long peak_rss_kb;
} rank_stats;

static void bcast_gently(MPI_Comm comm, void *buf, int count, MPI_Datatype type)
{
    MPI_Request req;
    MPI_Ibcast(buf, count, type, 0, comm, &req);
    ns_mpi_wait_gently(&req, MPI_STATUS_IGNORE);
}

/* ---- the job list, from rank 0 to every rank ---- */

typedef struct {
    char *p;
    size_t len, cap;
} buffer;

static int put(buffer *b, const void *x, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, x, n);
    b->len += n;
    return 0;
}

static int get(const char *p, size_t len, size_t *at, void *x, size_t n)
{
    if (*at + n > len) return -1;
    memcpy(x, p + *at, n);
    *at += n;
    return 0;
}

/* Rank 0's list (and its shard's tag and plate size) to every rank; one broadcast of
 * its size, one of the bytes. The other ranks never list or stat the inputs. */
static ns_status share_jobs(const ns_dist *d, ns_job_list *jobs, ns_batch_options *opt, char *tag, size_t tag_cap,
                            ns_error *err)
{
    buffer b = {0};
    uint64_t len = 0;
    int bad = 0;
    if (d->rank == 0) {
        uint64_t n = jobs->count, total = opt->inputs_total;
        uint32_t tl = opt->run_tag ? (uint32_t)strlen(opt->run_tag) : 0;
        bad |= put(&b, &n, sizeof n) | put(&b, &total, sizeof total) | put(&b, &tl, sizeof tl) |
               put(&b, tl ? opt->run_tag : "", tl);
        for (size_t i = 0; i < jobs->count && !bad; i++) {
            int32_t mag = jobs->items[i].mag;
            uint64_t cost = jobs->items[i].cost;
            bad |= put(&b, &mag, sizeof mag) | put(&b, &cost, sizeof cost);
            /* The names as rank 0 read them (--name-pattern is applied there alone). */
            const char *s[4] = {jobs->items[i].path, jobs->items[i].plate, jobs->items[i].well, jobs->items[i].tile};
            for (int k = 0; k < 4; k++) {
                uint32_t sl = (uint32_t)strlen(s[k]);
                bad |= put(&b, &sl, sizeof sl) | put(&b, s[k], sl);
            }
        }
        len = bad ? 0 : b.len;
    }
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, d->comm);
    if (len == 0) {
        free(b.p);
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory sharing the list of inputs");
    }
    if (d->rank != 0 && !(b.p = malloc(len))) {
        MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    for (uint64_t off = 0; off < len; off += 1u << 30) { /* counts are ints: 1 GiB pieces */
        uint64_t piece = len - off < (1u << 30) ? len - off : (1u << 30);
        MPI_Bcast(b.p + off, (int)piece, MPI_BYTE, 0, d->comm);
    }
    ns_status st = NS_OK;
    if (d->rank != 0) {
        size_t at = 0;
        uint64_t n = 0, total = 0;
        uint32_t tl = 0;
        bad = get(b.p, len, &at, &n, sizeof n) | get(b.p, len, &at, &total, sizeof total) |
              get(b.p, len, &at, &tl, sizeof tl);
        if (!bad && tl) {
            bad = tl >= tag_cap || get(b.p, len, &at, tag, tl);
            if (!bad) {
                tag[tl] = 0;
                opt->run_tag = tag;
            }
        }
        opt->inputs_total = total;
        for (uint64_t i = 0; i < n && !bad && st == NS_OK; i++) {
            int32_t mag;
            uint64_t cost;
            bad = get(b.p, len, &at, &mag, sizeof mag) | get(b.p, len, &at, &cost, sizeof cost);
            char *s[4] = {NULL, NULL, NULL, NULL}; /* path, plate, well, tile */
            for (int k = 0; k < 4 && !bad; k++) {
                uint32_t sl;
                bad = get(b.p, len, &at, &sl, sizeof sl) || sl > len - at || !(s[k] = strndup(b.p + at, sl));
                if (!bad) at += sl;
            }
            if (!bad) st = ns_jobs_add_sized(jobs, s[0], (ns_magnification)mag, cost, err);
            if (!bad && st == NS_OK) {
                ns_job *j = &jobs->items[jobs->count - 1];
                free(j->plate); free(j->well); free(j->tile);
                j->plate = s[1]; j->well = s[2]; j->tile = s[3];
                s[1] = s[2] = s[3] = NULL;
            }
            for (int k = 0; k < 4; k++) free(s[k]);
        }
        if (bad && st == NS_OK) st = ns_error_set(err, NS_ERR_INTERNAL, "the list of inputs from rank 0 is malformed");
    }
    free(b.p);
    return st;
}

/* ---- how many workers this rank runs ---- */

/* The CPUs of this node, counted once however the ranks on it are bound (each to its
 * own cores, or all to all), and this rank's share of them; -j N, when given, is per rank. */
static int workers_of_rank(MPI_Comm node, int given, int *node_cpus)
{
    int local_rank = 0, local_size = 1;
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_size(node, &local_size);
    cpu_set_t mine, all;
    CPU_ZERO(&mine);
    if (sched_getaffinity(0, sizeof mine, &mine) != 0) CPU_SET(0, &mine);
    MPI_Allreduce(&mine, &all, (int)sizeof mine, MPI_BYTE, MPI_BOR, node);
    int cpus = CPU_COUNT(&all);
    int capped = ns_usable_cpus(); /* the cgroup quota, which the node's ranks share */
    if (capped < CPU_COUNT(&mine) && capped < cpus) cpus = capped;
    *node_cpus = cpus;
    int workers = given;
    if (workers <= 0) {
        int total = cpus - 1 > local_size ? cpus - 1 : local_size; /* one core for the system */
        int share = total / local_size + (local_rank < total % local_size);
        workers = share > 0 ? share : 1;
    }
    /* A launcher that bound this rank to fewer CPUs than it runs workers (mpirun -n 2 binds
     * each rank to one core) would pin the whole pool there: the workers, forked after
     * this, may use every CPU bound to the node's ranks, which the shares above divide. */
    if (workers > CPU_COUNT(&mine) && CPU_COUNT(&all) > CPU_COUNT(&mine))
        (void)sched_setaffinity(0, sizeof all, &all); /* best effort: if refused, as bound */
    return workers;
}

/* ---- rank 0: results from every rank into one report ---- */

typedef struct {
    const ns_job_list *jobs;
    ns_batch_report rep;  /* the whole plate's */
    ns_progress pr;
    unsigned char *seen;  /* results per job, to show each came exactly once */
    size_t duplicates;
    rank_stats *stats;    /* one per rank */
} plate;

static void on_result(void *ctx, int rank, const ns_job_result *r)
{
    plate *p = ctx;
    (void)rank;
    if (r->job_index >= p->jobs->count) return;
    if (p->seen[r->job_index]++) {
        p->duplicates++;
        return;
    }
    p->rep.results[r->job_index] = *r;
    if (r->status == NS_OK) {
        if (r->skipped) p->rep.skipped++;
        else p->rep.ok++;
        p->rep.total_nuclei += r->nuclei;
    } else {
        p->rep.failed++;
    }
    if (r->maxrss_kb > p->rep.peak_rss_kb) p->rep.peak_rss_kb = r->maxrss_kb;
    ns_progress_step(&p->pr, &p->jobs->items[r->job_index], r);
}

static void on_final(void *ctx, int rank, const void *stats, size_t len)
{
    plate *p = ctx;
    if (len == sizeof(rank_stats)) memcpy(&p->stats[rank], stats, len);
}

/* ---- a rank's job source ---- */

typedef struct {
    ns_dispatcher *server;     /* rank 0 */
    ns_dispatch_client *client; /* the others */
    const ns_job_list *jobs;
    double busy_s;
} rank_source;

static size_t source_take(void *ctx, size_t *out, size_t max)
{
    rank_source *s = ctx;
    return s->server ? ns_dispatcher_take(s->server, out, max) : ns_dispatch_client_take(s->client, out, max);
}

static void source_done(void *ctx, const ns_job_result *r)
{
    rank_source *s = ctx;
    if (!r->skipped) s->busy_s += r->ms * 1e-3;
    if (s->server) ns_dispatcher_record(s->server, r);
    else ns_dispatch_client_done(s->client, r);
}

typedef struct {
    ns_dispatcher *d;
    ns_status st;
    ns_error err;
} serve_arg;

static void *serve_main(void *arg)
{
    serve_arg *a = arg;
    a->st = ns_dispatcher_serve(a->d, &a->err);
    return NULL;
}

static int by_cost_desc(const void *a, const void *b, void *jobs)
{
    const ns_job_list *j = jobs;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    uint64_t cx = j->items[x].cost, cy = j->items[y].cost;
    if (cx != cy) return cx > cy ? -1 : 1;
    return (x > y) - (x < y);
}

/* ---- the summary's per-node section ---- */

static void add_nodes(cJSON *root, const rank_stats *st, int size)
{
    cJSON_AddNumberToObject(root, "ranks", size);
    cJSON *per_rank = cJSON_AddArrayToObject(root, "per_rank");
    for (int r = 0; r < size; r++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "rank", r);
        cJSON_AddStringToObject(e, "host", st[r].host);
        cJSON_AddNumberToObject(e, "workers", st[r].workers);
        cJSON_AddNumberToObject(e, "cpus", st[r].cpus);
        cJSON_AddNumberToObject(e, "images", (double)st[r].ok);
        cJSON_AddNumberToObject(e, "failed", (double)st[r].failed);
        cJSON_AddNumberToObject(e, "skipped_complete", (double)st[r].skipped);
        cJSON_AddNumberToObject(e, "busy_s", st[r].busy_s);
        cJSON_AddNumberToObject(e, "wall_s", st[r].wall_s);
        cJSON_AddItemToArray(per_rank, e);
    }
    cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
    int *done = calloc((size_t)size, sizeof *done);
    if (!done) return;
    for (int r = 0; r < size; r++) {
        if (done[r]) continue;
        cJSON *n = cJSON_CreateObject(), *ranks = cJSON_CreateArray();
        int workers = 0;
        double ok = 0, failed = 0, skipped = 0, busy = 0, wall = 0, cpu = 0;
        for (int q = r; q < size; q++) {
            if (done[q] || strcmp(st[q].host, st[r].host)) continue;
            done[q] = 1;
            cJSON_AddItemToArray(ranks, cJSON_CreateNumber(q));
            workers += st[q].workers;
            ok += (double)st[q].ok;
            failed += (double)st[q].failed;
            skipped += (double)st[q].skipped;
            busy += st[q].busy_s;
            cpu += st[q].cpu_s;
            if (st[q].wall_s > wall) wall = st[q].wall_s;
        }
        cJSON_AddStringToObject(n, "host", st[r].host);
        cJSON_AddItemToObject(n, "ranks", ranks);
        cJSON_AddNumberToObject(n, "workers", workers);
        cJSON_AddNumberToObject(n, "images", ok);
        cJSON_AddNumberToObject(n, "failed", failed);
        cJSON_AddNumberToObject(n, "skipped_complete", skipped);
        cJSON_AddNumberToObject(n, "busy_s", busy);
        cJSON_AddNumberToObject(n, "worker_cpu_s", cpu);
        cJSON_AddNumberToObject(n, "wall_s", wall);
        cJSON_AddNumberToObject(n, "images_per_s", wall > 0 ? ok / wall : 0);
        cJSON_AddItemToArray(nodes, n);
    }
    free(done);
}

/* ---- the whole run ---- */

/* Rank 0's checks before any rank writes: OUT can be made and is ours (same settings),
 * and what a killed earlier run left is cleared for --resume, once, here, while no rank
 * of this run writes yet. The verdict goes to every rank. */
static int prepare_out(const ns_dist *d, const ns_job_list *jobs, const ns_batch_options *opt)
{
    int ok = 1;
    if (d->rank == 0) {
        ns_error err;
        ns_status st = ns_outputs_prepare(jobs, opt->out_dir, &err);
        if (st == NS_OK) st = ns_claim_out_dir(opt, &err);
        if (st != NS_OK) {
            fprintf(stderr, "nucseg segment: %s\n", err.message);
            ok = 0;
        }
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, d->comm);
    return ok;
}

/* Rank 0, before the pool starts: the dispatcher over the plate, largest first, its
 * thread, and the progress of the whole plate. */
static void start_dispatch(ns_dist *d, ns_job_list *jobs, const ns_batch_options *opt, plate *pl, serve_arg *serve,
                           pthread_t *thr, int nodes, int total_workers)
{
    size_t *order = malloc((jobs->count ? jobs->count : 1) * sizeof *order);
    pl->rep.results = calloc(jobs->count, sizeof *pl->rep.results);
    pl->seen = calloc(jobs->count, 1);
    pl->stats = calloc((size_t)d->size, sizeof *pl->stats);
    if (!order || !pl->rep.results || !pl->seen || !pl->stats) {
        fprintf(stderr, "nucseg segment: out of memory for %zu inputs\n", jobs->count);
        MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
    }
    /* Largest first, 10X and 40X together, as the single-machine pool does. */
    for (size_t i = 0; i < jobs->count; i++) order[i] = i;
    qsort_r(order, jobs->count, sizeof *order, by_cost_desc, jobs);
    ns_dispatch_sink sink = {on_result, on_final, pl};
    serve->d = ns_dispatcher_create(d->comm, order, jobs->count, total_workers, sink);
    free(order);
    if (!serve->d) {
        fprintf(stderr, "nucseg segment: out of memory for %zu inputs\n", jobs->count);
        MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
    }
    size_t n10 = 0, n40 = 0;
    for (size_t i = 0; i < jobs->count; i++) {
        n10 += jobs->items[i].mag == NS_MAG_10X;
        n40 += jobs->items[i].mag == NS_MAG_40X;
    }
    if (!d->quiet) {
        printf("nucseg segment: %zu images (%zu 10X, %zu 40X, %zu unknown magnification) -> %s, %d ranks on %d "
               "node%s, %d workers in all\n", jobs->count, n10, n40, jobs->count - n10 - n40, opt->out_dir,
               d->size, nodes, nodes == 1 ? "" : "s", total_workers);
        fflush(stdout);
    }
    ns_progress_start(&pl->pr, opt->progress, jobs->count, opt->out_dir, opt->write_summary, opt->run_tag);
    if (pthread_create(thr, NULL, serve_main, serve) != 0) {
        fprintf(stderr, "nucseg segment: cannot start the dispatcher thread\n");
        MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
    }
}

/* What this rank did, for the per-rank and per-node sections of rank 0's summary. */
static void stats_of_rank(const ns_dist *d, const ns_batch_report *rep, double busy_s, rank_stats *me)
{
    memset(me, 0, sizeof *me);
    int hl = 0;
    MPI_Get_processor_name(me->host, &hl);
    me->rank = d->rank;
    me->workers = rep->workers;
    cpu_set_t bound;
    me->cpus = sched_getaffinity(0, sizeof bound, &bound) == 0 ? CPU_COUNT(&bound) : 0;
    me->ok = rep->ok;
    me->failed = rep->failed;
    me->skipped = rep->skipped;
    me->busy_s = busy_s;
    me->wall_s = rep->wall_s;
    me->cpu_s = rep->cpu_user_s + rep->cpu_sys_s;
    me->peak_rss_kb = rep->peak_rss_kb;
}

/* Rank 0, once every rank is done: the plate's totals, its summary with the per-node
 * section, its well tables and the closing lines; the plate's exit status. */
static int finish_plate(ns_dist *d, ns_job_list *jobs, const ns_batch_options *opt, plate *pl, double t0)
{
    int code = NS_EXIT_OK;
    ns_error err;
    ns_batch_report *g = &pl->rep;
    size_t missing = 0;
    for (size_t i = 0; i < jobs->count; i++) missing += !pl->seen[i];
    g->total = jobs->count;
    for (size_t i = 0; i < jobs->count; i++) {
        ns_magnification m = jobs->items[i].mag;
        if (m == NS_MAG_10X) g->n_10x++;
        else if (m == NS_MAG_40X) g->n_40x++;
        else g->n_unknown++;
    }
    for (int r = 0; r < d->size; r++) {
        g->workers += pl->stats[r].workers;
        g->cpu_user_s += pl->stats[r].cpu_s;
        if (pl->stats[r].peak_rss_kb > g->peak_rss_kb) g->peak_rss_kb = pl->stats[r].peak_rss_kb;
    }
    g->wall_s = ns_clock_s() - t0;
    g->images_per_s = g->wall_s > 0 ? (double)g->ok / g->wall_s : 0;
    if (missing || pl->duplicates) {
        fprintf(stderr, "nucseg segment: internal error: %zu images without a result, %zu with two\n", missing,
                pl->duplicates);
        code = NS_EXIT_FATAL;
    }
    if (opt->write_summary) {
        cJSON *root = ns_batch_summary_json(jobs, opt, g);
        if (root) add_nodes(root, pl->stats, d->size);
        if (ns_write_summary_file(opt->out_dir, opt->run_tag, root, &err) != NS_OK) {
            fprintf(stderr, "nucseg segment: %s\n", err.message);
            code = NS_EXIT_FATAL;
        }
        cJSON_Delete(root);
    }
    /* A shard has part of a well: 'nucseg summary' writes its well tables. A benchmark's
     * runs (quiet) time the pool, as a single-machine benchmark does. */
    if (!d->quiet && !opt->run_tag && ns_write_well_tables(jobs, g, opt->out_dir, &err) != NS_OK) {
        fprintf(stderr, "nucseg segment: %s\n", err.message);
        if (code == NS_EXIT_OK) code = NS_EXIT_SOME_FAILED;
    }
    if (!d->quiet) {
        printf("nucseg segment: %zu ok, %zu skipped (complete), %zu failed of %zu images; %zu nuclei; "
               "%.2f s wall, %.2f images/s with %d ranks, %d workers\n",
               g->ok, g->skipped, g->failed, g->total, g->total_nuclei, g->wall_s, g->images_per_s, d->size,
               g->workers);
        printf("nucseg segment: outputs in %s/ (summary: %s/segmentation_summary%s%s.json)\n", opt->out_dir,
               opt->out_dir, opt->run_tag ? "." : "", opt->run_tag ? opt->run_tag : "");
        fflush(stdout);
    }
    if (code == NS_EXIT_OK && g->failed) code = NS_EXIT_SOME_FAILED;
    return code;
}

int ns_dist_segment(ns_dist *d, ns_job_list *jobs, ns_batch_options *opt, int workers_given)
{
    return ns_dist_run(d, jobs, opt, workers_given, NULL);
}

int ns_dist_run(ns_dist *d, ns_job_list *jobs, ns_batch_options *opt, int workers_given, ns_batch_report *rep_out)
{
    int code = 0;
    MPI_Bcast(&code, 1, MPI_INT, 0, d->comm); /* ns_dist_cancel's counterpart */
    if (code != 0) return code < 0 ? NS_EXIT_OK : code;
    char tag[64];
    ns_error err;
    if (share_jobs(d, jobs, opt, tag, sizeof tag, &err) != NS_OK) {
        fprintf(stderr, "nucseg segment: rank %d: %s\n", d->rank, err.message);
        MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
    }
    MPI_Comm node;
    MPI_Comm_split_type(d->comm, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL, &node);
    int node_cpus = 0;
    int workers = workers_of_rank(node, workers_given ? opt->workers : 0, &node_cpus);
    int node_leader = 0, nodes = 0, total_workers = 0;
    MPI_Comm_rank(node, &node_leader);
    node_leader = node_leader == 0;
    MPI_Comm_free(&node);
    MPI_Allreduce(&node_leader, &nodes, 1, MPI_INT, MPI_SUM, d->comm);
    MPI_Allreduce(&workers, &total_workers, 1, MPI_INT, MPI_SUM, d->comm);
    if (!prepare_out(d, jobs, opt)) return NS_EXIT_FATAL;

    double t0 = ns_clock_s();
    plate pl = {.jobs = jobs};
    serve_arg serve = {0};
    pthread_t server_thread;
    rank_source src = {.jobs = jobs};
    if (d->rank == 0) {
        start_dispatch(d, jobs, opt, &pl, &serve, &server_thread, nodes, total_workers);
        src.server = serve.d;
    } else if (!(src.client = ns_dispatch_client_create(d->comm))) {
        MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
    }

    ns_job_source source = {source_take, source_done, &src};
    ns_batch_options local = *opt;
    local.workers = workers;
    local.progress = NS_PROGRESS_QUIET;
    local.write_summary = 0; /* rank 0 writes the plate's */
    local.source = &source;
    ns_batch_report rep;
    if (ns_batch_run(jobs, &local, &rep, &err) != NS_OK) {
        fprintf(stderr, "nucseg segment: rank %d: %s\n", d->rank, err.message);
        MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
    }
    rank_stats me;
    stats_of_rank(d, &rep, src.busy_s, &me);
    ns_batch_report_free(&rep);

    code = NS_EXIT_OK;
    if (d->rank == 0) {
        ns_dispatcher_final(serve.d, &me, sizeof me);
        pthread_join(server_thread, NULL);
        ns_progress_finish(&pl.pr);
        if (serve.st != NS_OK) {
            fprintf(stderr, "nucseg segment: %s\n", serve.err.message);
            MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
        }
        ns_batch_report *g = &pl.rep;
        code = finish_plate(d, jobs, opt, &pl, t0);
        ns_dispatcher_free(serve.d);
        if (rep_out) *rep_out = *g; /* the caller owns its results now */
        else ns_batch_report_free(g);
        free(pl.seen);
        free(pl.stats);
    } else {
        ns_dispatch_client_final(src.client, &me, sizeof me);
        ns_dispatch_client_free(src.client);
    }
    /* Every rank exits with the plate's status: mpirun reports the worst of them. */
    bcast_gently(d->comm, &code, 1, MPI_INT);
    return code;
}
