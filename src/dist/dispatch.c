/* dispatch.c — see dispatch.h. */
#include "dist/dispatch.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/exit_codes.h"
#include "util/clock.h"

enum { TAG_REQUEST = 181, TAG_WORK = 182 };

typedef struct {
    uint32_t want;      /* jobs wanted (0 with final) */
    uint32_t nresults;  /* ns_job_result that follow */
    uint32_t final;     /* 1: the rank's last message; its statistics follow the results */
    uint32_t stats_len;
} request_header;

struct ns_dispatcher {
    MPI_Comm comm;
    pthread_mutex_t mu;
    size_t *order, n, next;
    int total_workers;
    size_t requests;
    ns_dispatch_sink sink;
};

int ns_mpi_wait_gently(MPI_Request *req, MPI_Status *status)
{
    double t0 = ns_clock_s();
    long sleep_ns = 10000;
    for (;;) {
        int flag = 0;
        int rc = MPI_Test(req, &flag, status);
        if (rc != MPI_SUCCESS || flag) return rc;
        /* An answer usually comes within microseconds: spin that long, then sleep. */
        if (ns_clock_s() - t0 < 50e-6) continue;
        struct timespec ts = {0, sleep_ns};
        nanosleep(&ts, NULL);
        if (sleep_ns < 1000000) sleep_ns *= 2;
    }
}

ns_dispatcher *ns_dispatcher_create(MPI_Comm comm, const size_t *order, size_t n, int total_workers,
                                    ns_dispatch_sink sink)
{
    ns_dispatcher *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->order = malloc((n ? n : 1) * sizeof *d->order);
    if (!d->order) {
        free(d);
        return NULL;
    }
    memcpy(d->order, order, n * sizeof *order);
    d->comm = comm;
    d->n = n;
    d->total_workers = total_workers > 0 ? total_workers : 1;
    d->sink = sink;
    pthread_mutex_init(&d->mu, NULL);
    return d;
}

/* With the lock held: the next batch, guided: what is left shared between every worker
 * twice over, so the last images are spread rather than queued on one rank. */
static size_t take_locked(ns_dispatcher *d, size_t *out, size_t max)
{
    size_t left = d->n - d->next;
    size_t give = left / (2 * (size_t)d->total_workers);
    if (give < 1) give = 1;
    if (give > max) give = max;
    if (give > left) give = left;
    memcpy(out, d->order + d->next, give * sizeof *out);
    d->next += give;
    d->requests++;
    return give;
}

size_t ns_dispatcher_take(ns_dispatcher *d, size_t *out, size_t max)
{
    pthread_mutex_lock(&d->mu);
    size_t k = take_locked(d, out, max);
    pthread_mutex_unlock(&d->mu);
    return k;
}

void ns_dispatcher_record(ns_dispatcher *d, const ns_job_result *r)
{
    pthread_mutex_lock(&d->mu);
    d->sink.result(d->sink.ctx, 0, r);
    pthread_mutex_unlock(&d->mu);
}

void ns_dispatcher_final(ns_dispatcher *d, const void *stats, size_t len)
{
    pthread_mutex_lock(&d->mu);
    d->sink.final(d->sink.ctx, 0, stats, len);
    pthread_mutex_unlock(&d->mu);
}

size_t ns_dispatcher_handed_out(const ns_dispatcher *d)
{
    return d->next;
}

size_t ns_dispatcher_requests(const ns_dispatcher *d)
{
    return d->requests;
}

static ns_status mpi_failed(ns_error *err, const char *what, int rc)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return ns_error_set(err, NS_ERR_INTERNAL, "MPI %s: %s", what, msg);
}

ns_status ns_dispatcher_serve(ns_dispatcher *d, ns_error *err)
{
    int size = 1;
    MPI_Comm_size(d->comm, &size);
    int finals = 0;
    char *buf = NULL;
    size_t cap = 0;
    uint64_t *reply = NULL;
    size_t reply_cap = 0;
    size_t *idx = NULL;
    long sleep_ns = 0;
    ns_status st = NS_OK;
    while (finals < size - 1 && st == NS_OK) {
        int flag = 0, rc, len = 0;
        MPI_Status s;
        /* Probe and sleep rather than a blocking receive, which would spin a core for the
         * whole run. The sleep grows only while nobody asks. */
        if ((rc = MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, d->comm, &flag, &s)) != MPI_SUCCESS) {
            st = mpi_failed(err, "probe", rc);
            break;
        }
        if (!flag) {
            sleep_ns = sleep_ns ? (sleep_ns < 1000000 ? 2 * sleep_ns : sleep_ns) : 5000;
            struct timespec ts = {0, sleep_ns};
            nanosleep(&ts, NULL);
            continue;
        }
        sleep_ns = 0;
        MPI_Get_count(&s, MPI_BYTE, &len);
        if ((size_t)len > cap) {
            char *b = realloc(buf, (size_t)len);
            if (!b) { st = ns_error_set(err, NS_ERR_NOMEM, "dispatcher: out of memory for a %d-byte request", len); break; }
            buf = b;
            cap = (size_t)len;
        }
        if ((rc = MPI_Recv(buf, len, MPI_BYTE, s.MPI_SOURCE, TAG_REQUEST, d->comm, MPI_STATUS_IGNORE)) != MPI_SUCCESS) {
            st = mpi_failed(err, "receive", rc);
            break;
        }
        request_header h;
        if ((size_t)len < sizeof h) { st = ns_error_set(err, NS_ERR_INTERNAL, "dispatcher: short request"); break; }
        memcpy(&h, buf, sizeof h);
        if (sizeof h + (size_t)h.nresults * sizeof(ns_job_result) + h.stats_len != (size_t)len) {
            st = ns_error_set(err, NS_ERR_INTERNAL, "dispatcher: malformed request from rank %d", s.MPI_SOURCE);
            break;
        }
        pthread_mutex_lock(&d->mu);
        for (uint32_t i = 0; i < h.nresults; i++) {
            ns_job_result r;
            memcpy(&r, buf + sizeof h + i * sizeof r, sizeof r);
            d->sink.result(d->sink.ctx, s.MPI_SOURCE, &r);
        }
        size_t k = 0;
        if (h.final) {
            d->sink.final(d->sink.ctx, s.MPI_SOURCE, buf + sizeof h + (size_t)h.nresults * sizeof(ns_job_result),
                          h.stats_len);
            finals++;
        } else if (h.want > 0) {
            if (h.want > reply_cap) {
                uint64_t *r = realloc(reply, h.want * sizeof *r);
                size_t *x = realloc(idx, h.want * sizeof *x);
                if (r) reply = r;
                if (x) idx = x;
                if (!r || !x) {
                    pthread_mutex_unlock(&d->mu);
                    st = ns_error_set(err, NS_ERR_NOMEM, "dispatcher: out of memory");
                    break;
                }
                reply_cap = h.want;
            }
            k = take_locked(d, idx, h.want);
            for (size_t i = 0; i < k; i++) reply[i] = idx[i];
        }
        pthread_mutex_unlock(&d->mu);
        if (!h.final && (rc = MPI_Send(reply, (int)k, MPI_UINT64_T, s.MPI_SOURCE, TAG_WORK, d->comm)) != MPI_SUCCESS)
            st = mpi_failed(err, "send", rc);
    }
    free(buf);
    free(reply);
    free(idx);
    return st;
}

void ns_dispatcher_free(ns_dispatcher *d)
{
    if (!d) return;
    pthread_mutex_destroy(&d->mu);
    free(d->order);
    free(d);
}

struct ns_dispatch_client {
    MPI_Comm comm;
    ns_job_result *kept;
    size_t nkept, cap;
    char *msg;
    size_t msg_cap;
    uint64_t *reply;
    size_t reply_cap;
};

ns_dispatch_client *ns_dispatch_client_create(MPI_Comm comm)
{
    ns_dispatch_client *c = calloc(1, sizeof *c);
    if (c) c->comm = comm;
    return c;
}

static void die(const char *what)
{
    fprintf(stderr, "nucseg: %s failed (out of memory or MPI error): aborting the MPI job\n", what);
    MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
    abort(); /* not reached */
}

/* Send header + kept results (+ stats) to rank 0, and forget the results. */
static void send_request(ns_dispatch_client *c, uint32_t want, int final, const void *stats, size_t stats_len)
{
    request_header h = {want, (uint32_t)c->nkept, (uint32_t)final, (uint32_t)stats_len};
    size_t len = sizeof h + c->nkept * sizeof *c->kept + stats_len;
    if (len > c->msg_cap) {
        char *m = realloc(c->msg, len);
        if (!m) die("a request to rank 0");
        c->msg = m;
        c->msg_cap = len;
    }
    memcpy(c->msg, &h, sizeof h);
    if (c->nkept) memcpy(c->msg + sizeof h, c->kept, c->nkept * sizeof *c->kept); /* kept is NULL until one */
    if (stats_len) memcpy(c->msg + sizeof h + c->nkept * sizeof *c->kept, stats, stats_len);
    if (MPI_Send(c->msg, (int)len, MPI_BYTE, 0, TAG_REQUEST, c->comm) != MPI_SUCCESS) die("a request to rank 0");
    c->nkept = 0;
}

size_t ns_dispatch_client_take(ns_dispatch_client *c, size_t *out, size_t max)
{
    if (max > c->reply_cap) {
        uint64_t *r = realloc(c->reply, max * sizeof *r);
        if (!r) die("a request to rank 0");
        c->reply = r;
        c->reply_cap = max;
    }
    MPI_Request req;
    MPI_Status s;
    /* Receive posted first: the reply can land straight in place. */
    if (MPI_Irecv(c->reply, (int)max, MPI_UINT64_T, 0, TAG_WORK, c->comm, &req) != MPI_SUCCESS)
        die("a request to rank 0");
    send_request(c, (uint32_t)max, 0, NULL, 0);
    int got = 0;
    if (ns_mpi_wait_gently(&req, &s) != MPI_SUCCESS || MPI_Get_count(&s, MPI_UINT64_T, &got) != MPI_SUCCESS)
        die("a request to rank 0");
    for (int i = 0; i < got; i++) out[i] = (size_t)c->reply[i];
    return (size_t)got;
}

void ns_dispatch_client_done(ns_dispatch_client *c, const ns_job_result *r)
{
    if (c->nkept == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        ns_job_result *k = realloc(c->kept, cap * sizeof *k);
        if (!k) die("keeping a result for rank 0");
        c->kept = k;
        c->cap = cap;
    }
    c->kept[c->nkept++] = *r;
}

void ns_dispatch_client_final(ns_dispatch_client *c, const void *stats, size_t len)
{
    send_request(c, 0, 1, stats, len);
}

void ns_dispatch_client_free(ns_dispatch_client *c)
{
    if (!c) return;
    free(c->kept);
    free(c->msg);
    free(c->reply);
    free(c);
}
