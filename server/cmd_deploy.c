/*
 * parley deploy | releases | rollback — the hosted sites' releases, from the
 * command line (spa-host/spa.h does the work). They only touch files under
 * the data dir; a running `parley serve` notices the new `current` release
 * within a quarter of a second, without a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "server/server_internal.h"
#include "spa-host/spa.h"

static const char deploy_usage[] =
    "usage: parley deploy SITE DIR [--config FILE] [--data-dir DIR]\n"
    "\n"
    "Copies DIR into a new release of SITE (a name from the config's \"sites\"),\n"
    "precompresses text assets (gzip, Brotli), hashes every file for strong ETags,\n"
    "writes the manifest and activates the release in one atomic step. A deploy\n"
    "that fails changes nothing that is served. Prints the new release id.\n";

static const char releases_usage[] =
    "usage: parley releases SITE [--config FILE] [--data-dir DIR]\n"
    "\n"
    "Lists SITE's releases, oldest first; '*' marks the active one.\n";

static const char rollback_usage[] =
    "usage: parley rollback SITE [RELEASE] [--config FILE] [--data-dir DIR]\n"
    "\n"
    "Re-activates RELEASE of SITE, or without it the newest release older than\n"
    "the active one.\n";

static char *resolve(const void *cfg, const char *path)
{
    return config_path_resolve(cfg, path);
}

int cli_load_sites(const struct parley_config *cfg, struct spa_sites **out)
{
    char err[1024];
    struct spa_config_source src = {
        .sites = cJSON_GetObjectItemCaseSensitive(cfg->doc, "sites"),
        .file = cfg->path,
        .dir = cfg->dir,
        .data_dir = cfg->data_dir,
        .resolve_path = resolve,
        .resolve_ud = cfg,
    };
    if (spa_sites_load(&src, out, err, sizeof err) != 0) {
        fprintf(stderr, "parley: %s\n", err);
        return -1;
    }
    return 0;
}

/* Parses the verb's arguments and loads config + sites; 0, or the exit code + 1. */
static int setup(int argc, char **argv, const char *usage, int min_args, int max_args,
                 struct cli_opts *o, struct parley_config *cfg, struct spa_sites **sites)
{
    int rc = cli_parse(argc, argv, usage, NULL, o);
    if (rc)
        return rc > 0 ? 1 : 3;
    if (o->nargs < min_args || o->nargs > max_args) {
        fputs(usage, stderr);
        return 3;
    }
    if (o->port >= 0) {
        fprintf(stderr, "parley %s: --port does not apply\n", argv[0]);
        return 3;
    }
    if (cli_load_config(o, cfg))
        return 2;
    if (cli_load_sites(cfg, sites)) {
        config_release(cfg);
        return 2;
    }
    return 0;
}

static void print_skipped(const char *line, void *ud)
{
    fprintf(stderr, "parley deploy: %s\n", line);
}

int cmd_deploy(int argc, char **argv)
{
    struct cli_opts o;
    struct parley_config cfg;
    struct spa_sites *sites = NULL;
    int rc = setup(argc, argv, deploy_usage, 2, 2, &o, &cfg, &sites);
    if (rc)
        return rc - 1;
    char err[1024], id[40];
    int64_t t0 = time_mono_us();
    rc = spa_release_deploy(sites, o.args[0], o.args[1], id, print_skipped, NULL, err, sizeof err);
    if (rc) {
        fprintf(stderr, "parley deploy: %s (nothing was changed)\n", err);
    } else {
        fprintf(stderr, "parley deploy: site %s: release %s active (%lld ms)\n", o.args[0], id,
                (long long)((time_mono_us() - t0) / 1000));
        printf("%s\n", id);
    }
    spa_sites_free(sites);
    config_release(&cfg);
    return rc ? 1 : 0;
}

int cmd_releases(int argc, char **argv)
{
    struct cli_opts o;
    struct parley_config cfg;
    struct spa_sites *sites = NULL;
    int rc = setup(argc, argv, releases_usage, 1, 1, &o, &cfg, &sites);
    if (rc)
        return rc - 1;
    char err[1024];
    struct spa_release_info *list = NULL;
    size_t n = 0;
    rc = spa_release_list(sites, o.args[0], &list, &n, err, sizeof err);
    if (rc) {
        fprintf(stderr, "parley releases: %s\n", err);
    } else {
        if (n == 0)
            fprintf(stderr, "parley releases: site %s has no releases yet\n", o.args[0]);
        for (size_t i = 0; i < n; i++) {
            char when[32] = "";
            time_t secs = (time_t)(list[i].created_ms / 1000);
            struct tm tm;
            gmtime_r(&secs, &tm);
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
            printf("%c %-24s %s %6u files %12llu bytes\n", list[i].current ? '*' : ' ', list[i].id,
                   when, list[i].files, (unsigned long long)list[i].bytes);
        }
    }
    free(list);
    spa_sites_free(sites);
    config_release(&cfg);
    return rc ? 1 : 0;
}

int cmd_rollback(int argc, char **argv)
{
    struct cli_opts o;
    struct parley_config cfg;
    struct spa_sites *sites = NULL;
    int rc = setup(argc, argv, rollback_usage, 1, 2, &o, &cfg, &sites);
    if (rc)
        return rc - 1;
    char err[1024], id[40];
    rc =
        spa_release_rollback(sites, o.args[0], o.nargs > 1 ? o.args[1] : NULL, id, err, sizeof err);
    if (rc) {
        fprintf(stderr, "parley rollback: %s (nothing was changed)\n", err);
    } else {
        fprintf(stderr, "parley rollback: site %s: release %s active\n", o.args[0], id);
        printf("%s\n", id);
    }
    spa_sites_free(sites);
    config_release(&cfg);
    return rc ? 1 : 0;
}
