/*
 * server/config.h — the configuration file (JSON), see docs/configuration.md.
 *
 * config_load reads and checks the whole file; every error is one line
 * naming the file, the key (as a JSON path) and what is wrong. Sections that
 * belong to other folders (bots, functions, sites) are kept as cJSON in
 * cfg->doc for those folders to read and check.
 */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#define CONFIG_DEFAULT_PATH "examples/parley.json"

struct server_config {
    char *host;
    int port;
    unsigned threads;
    size_t max_body_bytes;
    unsigned shutdown_grace_ms;
    unsigned connection_timeout_s;
    char *access_log;  /* "-" (stdout), "off", or a path */
    char *log_level;   /* debug, info, warn, error */
    bool debug_routes; /* the /debug/ routes used by the integration tests; never in production */
};

struct parley_config {
    char *path;     /* the file it was read from */
    char *dir;      /* its folder: relative paths in the file are relative to it */
    char *data_dir; /* absolute or relative to the working directory */
    struct server_config server;
    cJSON *doc; /* the whole document, owned */
};

/* 0, or -1 with err holding "FILE: KEY: what is wrong". Release cfg either way. */
int config_load(const char *path, struct parley_config *cfg, char *err, size_t errlen);
void config_release(struct parley_config *cfg);
/* Resolves a path found in the config against the config's folder; caller frees. */
char *config_path_resolve(const struct parley_config *cfg, const char *path);

#endif
