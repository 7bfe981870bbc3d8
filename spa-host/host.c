/*
 * The serving side's lifecycle: one active release per site, and a watcher.
 *
 * Each site has a pointer to its active in-memory release. A request takes a
 * reference under a short per-site mutex (load the pointer, bump the count);
 * activation loads the new release completely first and then swaps the
 * pointer under the same mutex and drops the host's reference to the old
 * one, which is freed when the last request still using it has been sent.
 * So requests in flight finish on the release they started with, and a
 * request never sees half of a release.
 *
 * The watcher thread reads each site's `current` symlink every 250 ms (one
 * readlink(2) per site, never on a request) and activates whatever it names,
 * which is how `parley deploy` and `parley rollback`, run from another
 * process, reach a running server without a restart. A release that fails
 * to load (damaged, a planted symlink) is logged once and the old one stays
 * active.
 *
 * Memory: per site, at most site.memoryCacheBytes of file bodies (64 MiB by
 * default) plus the file table, for the active release; during a swap, and
 * while requests on the old release finish, two releases can be resident.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "server/http.h"
#include "spa-host/spa_internal.h"

#define WATCH_INTERVAL_MS 250

static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;

struct spa_release *spa_host_site_acquire(struct spa_host_site *hs)
{
    pthread_mutex_lock(&hs->lock);
    struct spa_release *r = hs->active;
    if (r)
        spa_release_ref(r);
    pthread_mutex_unlock(&hs->lock);
    return r;
}

static void check_site(struct spa_host_site *hs)
{
    char id[SPA_ID_MAX];
    if (spa_release_current(hs->site, id) != 0)
        return; /* nothing deployed (or the link is gone): keep what is served */
    pthread_mutex_lock(&hs->lock);
    bool same = hs->active && strcmp(hs->active->id, id) == 0;
    pthread_mutex_unlock(&hs->lock);
    if (same || strcmp(hs->failed_id, id) == 0)
        return;
    struct spa_release *rel;
    char err[1024];
    int64_t t0 = time_mono_us();
    if (spa_release_load(hs->site, id, &rel, err, sizeof err) != 0) {
        log_error("site %s: release %s not activated, still serving %s: %s", hs->site->name, id,
                  hs->active ? hs->active->id : "nothing", err);
        snprintf(hs->failed_id, sizeof hs->failed_id, "%s", id);
        return;
    }
    hs->failed_id[0] = '\0';
    pthread_mutex_lock(&hs->lock);
    struct spa_release *old = hs->active;
    hs->active = rel;
    pthread_mutex_unlock(&hs->lock);
    log_info("site %s: release %s active (%zu files, %llu bytes in memory, %u open, %lld ms)",
             hs->site->name, rel->id, rel->nfiles, (unsigned long long)rel->cached_bytes,
             rel->open_fds, (long long)((time_mono_us() - t0) / 1000));
    spa_release_unref(old);
}

void spa_host_refresh(struct spa_host *host)
{
    pthread_mutex_lock(&check_lock);
    for (size_t i = 0; i < host->n; i++)
        check_site(&host->v[i]);
    pthread_mutex_unlock(&check_lock);
}

static void *watch(void *arg)
{
    struct spa_host *host = arg;
    pthread_mutex_lock(&host->stop_lock);
    while (!host->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long ns = ts.tv_nsec + WATCH_INTERVAL_MS * 1000000L;
        ts.tv_sec += ns / 1000000000L;
        ts.tv_nsec = ns % 1000000000L;
        int rc = pthread_cond_timedwait(&host->stop_cond, &host->stop_lock, &ts);
        if (host->stop)
            break;
        if (rc == ETIMEDOUT || rc == 0) {
            pthread_mutex_unlock(&host->stop_lock);
            spa_host_refresh(host);
            pthread_mutex_lock(&host->stop_lock);
        }
    }
    pthread_mutex_unlock(&host->stop_lock);
    return NULL;
}

static void log_skipped(const char *line, void *ud)
{
    log_warn("deploy %s: %s", (const char *)ud, line);
}

static void metrics(struct buf *out, void *ud)
{
    struct spa_host *host = ud;
    buf_puts(out, "# HELP parley_spa_cached_bytes File bodies held in memory by the active "
                  "release.\n# TYPE parley_spa_cached_bytes gauge\n");
    for (size_t i = 0; i < host->n; i++) {
        struct spa_release *r = spa_host_site_acquire(&host->v[i]);
        buf_printf(out, "parley_spa_cached_bytes{site=\"%s\"} %llu\n", host->v[i].site->name,
                   r ? (unsigned long long)r->cached_bytes : 0ull);
        spa_release_unref(r);
    }
    buf_puts(out, "# HELP parley_spa_files Files in the active release.\n"
                  "# TYPE parley_spa_files gauge\n");
    for (size_t i = 0; i < host->n; i++) {
        struct spa_release *r = spa_host_site_acquire(&host->v[i]);
        buf_printf(out, "parley_spa_files{site=\"%s\"} %zu\n", host->v[i].site->name,
                   r ? r->nfiles : 0);
        spa_release_unref(r);
    }
}

struct spa_host *spa_host_new(const struct spa_sites *sites, struct http_server *srv, char *err,
                              size_t errlen)
{
    struct spa_host *host = calloc(1, sizeof *host);
    if (!host) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    host->sites = sites;
    host->n = sites ? sites->n : 0;
    host->v = calloc(host->n ? host->n : 1, sizeof *host->v);
    pthread_mutex_init(&host->stop_lock, NULL);
    pthread_cond_init(&host->stop_cond, NULL);
    if (!host->v) {
        snprintf(err, errlen, "out of memory");
        spa_host_free(host);
        return NULL;
    }
    for (size_t i = 0; i < host->n; i++) {
        struct spa_host_site *hs = &host->v[i];
        hs->site = &sites->v[i];
        pthread_mutex_init(&hs->lock, NULL);
        char id[SPA_ID_MAX];
        if (spa_release_current(hs->site, id) != 0 && hs->site->root) {
            char derr[1024];
            if (spa_release_deploy(sites, hs->site->name, hs->site->root, id, log_skipped,
                                   hs->site->name, derr, sizeof derr) == 0)
                log_info("site %s: first start, deployed %s as release %s", hs->site->name,
                         hs->site->root, id);
            else
                log_error("site %s: first-start deploy of %s failed: %s", hs->site->name,
                          hs->site->root, derr);
        }
    }
    spa_host_refresh(host);
    if (host->n) {
        struct http_route_opts opts = {.errors = HTTP_ERRORS_TEXT};
        if (http_route_add(srv, "*", "/{path+}", &opts, spa_request_serve, host) != 0) {
            snprintf(err, errlen, "cannot register the sites' route");
            spa_host_free(host);
            return NULL;
        }
        http_metrics_source_add(srv, metrics, host);
        if (pthread_create(&host->watcher, NULL, watch, host) != 0) {
            snprintf(err, errlen, "cannot start the sites' watcher thread");
            spa_host_free(host);
            return NULL;
        }
        host->watching = true;
    }
    return host;
}

void spa_host_free(struct spa_host *host)
{
    if (!host)
        return;
    if (host->watching) {
        pthread_mutex_lock(&host->stop_lock);
        host->stop = true;
        pthread_cond_signal(&host->stop_cond);
        pthread_mutex_unlock(&host->stop_lock);
        pthread_join(host->watcher, NULL);
    }
    for (size_t i = 0; i < host->n; i++) {
        if (!host->v[i].site)
            continue;
        spa_release_unref(host->v[i].active);
        pthread_mutex_destroy(&host->v[i].lock);
    }
    free(host->v);
    pthread_cond_destroy(&host->stop_cond);
    pthread_mutex_destroy(&host->stop_lock);
    free(host);
}
