/*
 * The registry behind GET /metrics: for each route, requests counted by
 * status and a latency histogram; rendered in the Prometheus text format
 * (version 0.0.4). Each route has its own lock, so requests on different
 * routes never contend; routes are only added before the server starts.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "server/server_internal.h"

static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])
#define MAX_STATUSES 24

struct route_metrics {
    char *method;
    char *route;
    pthread_mutex_t lock;
    int statuses[MAX_STATUSES];
    uint64_t status_counts[MAX_STATUSES];
    int nstatuses;
    uint64_t buckets[NBUCKETS]; /* non-cumulative; summed when rendered */
    uint64_t count;
    double sum_seconds;
};

struct metrics {
    struct route_metrics *routes;
    int nroutes;
    int64_t started_ms;
};

struct metrics *metrics_new(void)
{
    struct metrics *m = calloc(1, sizeof *m);
    if (m)
        m->started_ms = time_now_ms();
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nroutes; i++) {
        free(m->routes[i].method);
        free(m->routes[i].route);
        pthread_mutex_destroy(&m->routes[i].lock);
    }
    free(m->routes);
    free(m);
}

int metrics_route_add(struct metrics *m, const char *method, const char *route)
{
    struct route_metrics *r = realloc(m->routes, (size_t)(m->nroutes + 1) * sizeof *r);
    if (!r)
        return -1;
    m->routes = r;
    r = &m->routes[m->nroutes];
    memset(r, 0, sizeof *r);
    r->method = strdup(method);
    r->route = strdup(route);
    pthread_mutex_init(&r->lock, NULL);
    return m->nroutes++;
}

void metrics_observe(struct metrics *m, int route, int status, int64_t duration_us)
{
    if (route < 0 || route >= m->nroutes)
        return;
    struct route_metrics *r = &m->routes[route];
    double secs = (double)duration_us / 1e6;
    pthread_mutex_lock(&r->lock);
    int i = 0;
    while (i < r->nstatuses && r->statuses[i] != status)
        i++;
    if (i == r->nstatuses && r->nstatuses < MAX_STATUSES)
        r->statuses[r->nstatuses++] = status;
    if (i < MAX_STATUSES)
        r->status_counts[i]++;
    for (size_t b = 0; b < NBUCKETS; b++) {
        if (secs <= bucket_le[b]) {
            r->buckets[b]++;
            break;
        }
    }
    r->count++;
    r->sum_seconds += secs;
    pthread_mutex_unlock(&r->lock);
}

/* Label values escape backslash, quote and newline. */
static void label(struct buf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            buf_printf(out, "\\%c", *v);
        else if (*v == '\n')
            buf_puts(out, "\\n");
        else
            buf_append(out, v, 1);
    }
}

void metrics_render(struct metrics *m, unsigned in_flight, struct buf *out)
{
    buf_puts(out, "# HELP parley_build_info Parley's version.\n"
                  "# TYPE parley_build_info gauge\n");
    buf_printf(out, "parley_build_info{version=\"%s\"} 1\n", PARLEY_VERSION);
    buf_puts(out, "# HELP parley_start_time_seconds When the process started, in Unix time.\n"
                  "# TYPE parley_start_time_seconds gauge\n");
    buf_printf(out, "parley_start_time_seconds %.3f\n", (double)m->started_ms / 1000.0);
    buf_puts(out, "# HELP parley_http_requests_in_flight Requests being handled now.\n"
                  "# TYPE parley_http_requests_in_flight gauge\n");
    buf_printf(out, "parley_http_requests_in_flight %u\n", in_flight);

    buf_puts(out, "# HELP parley_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE parley_http_requests_total counter\n");
    for (int i = 0; i < m->nroutes; i++) {
        struct route_metrics *r = &m->routes[i];
        pthread_mutex_lock(&r->lock);
        for (int k = 0; k < r->nstatuses; k++) {
            buf_puts(out, "parley_http_requests_total{method=\"");
            label(out, r->method);
            buf_puts(out, "\",route=\"");
            label(out, r->route);
            buf_printf(out, "\",status=\"%d\"} %llu\n", r->statuses[k],
                       (unsigned long long)r->status_counts[k]);
        }
        pthread_mutex_unlock(&r->lock);
    }

    buf_puts(out, "# HELP parley_http_request_duration_seconds Time from the request's headers "
                  "to its completion.\n"
                  "# TYPE parley_http_request_duration_seconds histogram\n");
    for (int i = 0; i < m->nroutes; i++) {
        struct route_metrics *r = &m->routes[i];
        pthread_mutex_lock(&r->lock);
        if (r->count) {
            uint64_t cum = 0;
            for (size_t b = 0; b <= NBUCKETS; b++) {
                buf_puts(out, "parley_http_request_duration_seconds_bucket{method=\"");
                label(out, r->method);
                buf_puts(out, "\",route=\"");
                label(out, r->route);
                if (b < NBUCKETS) {
                    cum += r->buckets[b];
                    buf_printf(out, "\",le=\"%g\"} %llu\n", bucket_le[b], (unsigned long long)cum);
                } else {
                    buf_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)r->count);
                }
            }
            const char *names[] = {"sum", "count"};
            for (int k = 0; k < 2; k++) {
                buf_printf(out, "parley_http_request_duration_seconds_%s{method=\"", names[k]);
                label(out, r->method);
                buf_puts(out, "\",route=\"");
                label(out, r->route);
                if (k == 0)
                    buf_printf(out, "\"} %.6f\n", r->sum_seconds);
                else
                    buf_printf(out, "\"} %llu\n", (unsigned long long)r->count);
            }
        }
        pthread_mutex_unlock(&r->lock);
    }
}
