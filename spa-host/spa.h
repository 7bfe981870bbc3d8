/*
 * spa-host/spa.h — static hosting of single-page apps (what S3 website
 * hosting + CloudFront do), see docs/spa-hosting.md.
 *
 * A site is declared in the config's "sites" array. Its files are deployed
 * as immutable releases under DATA/sites/NAME/releases/ID (files, their
 * precompressed .gz/.br variants and a manifest with content hashes), and
 * DATA/sites/NAME/current is a symlink naming the active release, replaced
 * with rename(2) so that activation is one atomic step.
 *
 * The server side (struct spa_host) loads each site's active release into an
 * immutable, reference-counted table in memory (small files cached, large
 * ones kept open for zero-copy sends), answers GET/HEAD from it without
 * touching the disk, and watches the `current` links once per 250 ms so that
 * a deploy or rollback run from another process is picked up without a
 * restart. A request keeps the release it started on until its response has
 * been sent.
 */
#ifndef PARLEY_SPA_H
#define PARLEY_SPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

struct http_server;

/* Where the sites come from: the config's "sites" array and the paths around it. */
struct spa_config_source {
    const cJSON *sites; /* the "sites" array, or NULL for none */
    const char *file;   /* the config file, for error messages */
    const char *dir;    /* its folder: relative paths in the config are relative to it */
    const char *data_dir;
    /* Resolves a path found in the config (the server passes config_path_resolve); returns a
     * malloc'd string. NULL: joined with dir. */
    char *(*resolve_path)(const void *ud, const char *path);
    const void *resolve_ud;
};

/* One entry of `parley releases`. */
struct spa_release_info {
    char id[40];
    int64_t created_ms;
    unsigned files;
    uint64_t bytes;
    bool current;
};

struct spa_sites; /* the checked "sites" section of a config */

/*
 * Reads and checks the "sites" section. Returns 0 and *out (free with
 * spa_sites_free), or -1 with err holding "FILE: KEY: what is wrong".
 */
int spa_sites_load(const struct spa_config_source *src, struct spa_sites **out, char *err,
                   size_t errlen);
void spa_sites_free(struct spa_sites *sites);
size_t spa_sites_count(const struct spa_sites *sites);

/* What GraphQL shows of the i-th site; strings borrowed from sites. 0 or PARLEY_ENOTFOUND. */
struct spa_site_info {
    const char *name;
    const char *root;        /* the folder deployed on first start (absolute), or NULL */
    const char *path_prefix; /* "/" or "/docs" */
};
int spa_site_info(const struct spa_sites *sites, size_t i, struct spa_site_info *out);

/*
 * Copies DIR into a new release of SITE, precompresses and hashes it, writes
 * its manifest and activates it. A failure at any point removes the partial
 * release and leaves the active one as it was. On success *id_out (if not
 * NULL, at least 40 bytes) holds the new release id. log_fn, when not NULL,
 * receives one line per skipped file (symlinks leaving DIR, dotfiles, ...).
 */
int spa_release_deploy(const struct spa_sites *sites, const char *site, const char *dir,
                       char *id_out, void (*log_fn)(const char *line, void *ud), void *ud,
                       char *err, size_t errlen);
/* Lists the releases of SITE, oldest first, into a malloc'd array (caller frees). */
int spa_release_list(const struct spa_sites *sites, const char *site, struct spa_release_info **out,
                     size_t *n, char *err, size_t errlen);
/*
 * Re-activates release id of SITE, or with id NULL the newest release older
 * than the current one. *id_out (if not NULL, 40 bytes) gets the id activated.
 */
int spa_release_rollback(const struct spa_sites *sites, const char *site, const char *id,
                         char *id_out, char *err, size_t errlen);

struct spa_host; /* the serving side of all sites */

/*
 * Loads every site's active release (deploying a site's configured "root"
 * first when it has never been deployed), registers the sites' routes on srv
 * and starts the watcher. sites must outlive the host. Returns NULL with err.
 */
struct spa_host *spa_host_new(const struct spa_sites *sites, struct http_server *srv, char *err,
                              size_t errlen);
/* Stops the watcher and drops the active releases; call after the HTTP server has stopped. */
void spa_host_free(struct spa_host *host);
/* Checks the `current` links now instead of at the next tick (tests, SIGHUP). */
void spa_host_refresh(struct spa_host *host);

#endif
