/*
 * Reading the configuration file. The whole file is parsed with cJSON, then
 * checked key by key against what each section allows, so that a typo is an
 * error rather than a silently ignored setting. Every error is one line:
 * "FILE: KEY: what is wrong", with KEY as a JSON path (server.port).
 *
 * Sections owned by other folders (bots, functions, sites, ...) are only
 * checked for their JSON type here; their contents are read and checked by
 * those folders from cfg->doc.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "server/config.h"

/* Top-level sections that later folders read; checked here only for being arrays/objects. */
static const struct {
    const char *key;
    int type; /* cJSON_Array or cJSON_Object */
} module_sections[] = {
    {"bots", cJSON_Array},   {"functions", cJSON_Array}, {"sites", cJSON_Array},
    {"slack", cJSON_Object}, {"webchat", cJSON_Object},  {"graphql", cJSON_Object},
    {"lex", cJSON_Object},   {"intents", cJSON_Object},
};

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the config file: %s", path, strerror(errno));
        return NULL;
    }
    struct buf b = BUF_INIT(64u << 20);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&b, chunk, n);
    bool failed = ferror(f) || rc;
    fclose(f);
    if (failed) {
        snprintf(err, errlen, "%s: cannot read the config file: %s", path,
                 rc ? parley_strerror(rc) : "read error");
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, len);
}

/* Line and column (1-based) of offset in text. */
static void position(const char *text, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int fail(char *err, size_t errlen, const char *path, const char *key, const char *what)
{
    snprintf(err, errlen, "%s: %s: %s", path, key, what);
    return -1;
}

static int get_uint(const cJSON *obj, const char *key, const char *jpath, double min, double max,
                    double *out, const char *file, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    char what[128];
    snprintf(what, sizeof what, "must be an integer from %.0f to %.0f", min, max);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
        v->valuedouble < min || v->valuedouble > max)
        return fail(err, errlen, file, jpath, what);
    *out = v->valuedouble;
    return 0;
}

static int get_string(const cJSON *obj, const char *key, const char *jpath, char **out,
                      const char *file, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !*v->valuestring)
        return fail(err, errlen, file, jpath, "must be a non-empty string");
    free(*out);
    *out = strdup(v->valuestring);
    return 0;
}

static int load_server(const cJSON *srv, struct server_config *sc, const char *file, char *err,
                       size_t errlen)
{
    static const char *known[] = {"host",
                                  "port",
                                  "threads",
                                  "maxBodyBytes",
                                  "shutdownGraceMs",
                                  "connectionTimeoutS",
                                  "accessLog",
                                  "logLevel",
                                  "debugRoutes"};
    if (!cJSON_IsObject(srv))
        return fail(err, errlen, file, "server", "must be an object");
    for (const cJSON *c = srv->child; c; c = c->next) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok = ok || strcmp(c->string, known[i]) == 0;
        if (!ok) {
            char key[256];
            snprintf(key, sizeof key, "server.%s", c->string);
            return fail(err, errlen, file, key, "unknown key (see docs/configuration.md)");
        }
    }
    double v;
    if (get_string(srv, "host", "server.host", &sc->host, file, err, errlen))
        return -1;
    v = sc->port;
    if (get_uint(srv, "port", "server.port", 0, 65535, &v, file, err, errlen))
        return -1;
    sc->port = (int)v;
    v = sc->threads;
    if (get_uint(srv, "threads", "server.threads", 1, 256, &v, file, err, errlen))
        return -1;
    sc->threads = (unsigned)v;
    v = (double)sc->max_body_bytes;
    if (get_uint(srv, "maxBodyBytes", "server.maxBodyBytes", 1024, 1073741824, &v, file, err,
                 errlen))
        return -1;
    sc->max_body_bytes = (size_t)v;
    v = sc->shutdown_grace_ms;
    if (get_uint(srv, "shutdownGraceMs", "server.shutdownGraceMs", 0, 600000, &v, file, err,
                 errlen))
        return -1;
    sc->shutdown_grace_ms = (unsigned)v;
    v = sc->connection_timeout_s;
    if (get_uint(srv, "connectionTimeoutS", "server.connectionTimeoutS", 1, 3600, &v, file, err,
                 errlen))
        return -1;
    sc->connection_timeout_s = (unsigned)v;
    if (get_string(srv, "accessLog", "server.accessLog", &sc->access_log, file, err, errlen))
        return -1;
    if (get_string(srv, "logLevel", "server.logLevel", &sc->log_level, file, err, errlen))
        return -1;
    if (strcmp(sc->log_level, "debug") && strcmp(sc->log_level, "info") &&
        strcmp(sc->log_level, "warn") && strcmp(sc->log_level, "error"))
        return fail(err, errlen, file, "server.logLevel", "must be debug, info, warn or error");
    const cJSON *dbg = cJSON_GetObjectItemCaseSensitive(srv, "debugRoutes");
    if (dbg) {
        if (!cJSON_IsBool(dbg))
            return fail(err, errlen, file, "server.debugRoutes", "must be true or false");
        sc->debug_routes = cJSON_IsTrue(dbg);
    }
    return 0;
}

int config_load(const char *path, struct parley_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->path = strdup(path);
    char *tmp = strdup(path);
    cfg->dir = tmp ? strdup(dirname(tmp)) : NULL;
    free(tmp);
    cfg->server = (struct server_config){
        .host = strdup("127.0.0.1"),
        .port = 8080,
        .threads = 4,
        .max_body_bytes = 1u << 20,
        .shutdown_grace_ms = 10000,
        .connection_timeout_s = 60,
        .access_log = strdup("-"),
        .log_level = strdup("info"),
    };
    if (!cfg->path || !cfg->dir || !cfg->server.host || !cfg->server.access_log ||
        !cfg->server.log_level)
        return fail(err, errlen, path, "(file)", "out of memory");

    size_t len;
    char *text = read_file(path, &len, err, errlen);
    if (!text)
        return -1;
    const char *end = NULL;
    cfg->doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!cfg->doc) {
        int line, col;
        size_t off = end ? (size_t)(end - text) : 0;
        position(text, off, &line, &col);
        char where[64];
        snprintf(where, sizeof where, "line %d, column %d", line, col);
        free(text);
        return fail(err, errlen, path, where, "not valid JSON");
    }
    free(text);
    if (!cJSON_IsObject(cfg->doc))
        return fail(err, errlen, path, "(top level)", "must be a JSON object");

    for (const cJSON *c = cfg->doc->child; c; c = c->next) {
        if (strcmp(c->string, "server") == 0 || strcmp(c->string, "dataDir") == 0 ||
            strcmp(c->string, "$comment") == 0)
            continue;
        bool ok = false;
        for (size_t i = 0; i < sizeof module_sections / sizeof module_sections[0]; i++) {
            if (strcmp(c->string, module_sections[i].key) == 0) {
                ok = true;
                if (!(c->type & module_sections[i].type))
                    return fail(err, errlen, path, c->string,
                                module_sections[i].type == cJSON_Array ? "must be an array"
                                                                       : "must be an object");
            }
        }
        if (!ok)
            return fail(err, errlen, path, c->string, "unknown key (see docs/configuration.md)");
    }

    const cJSON *srv = cJSON_GetObjectItemCaseSensitive(cfg->doc, "server");
    if (srv && load_server(srv, &cfg->server, path, err, errlen))
        return -1;

    const cJSON *dd = cJSON_GetObjectItemCaseSensitive(cfg->doc, "dataDir");
    if (dd) {
        if (!cJSON_IsString(dd) || !*dd->valuestring)
            return fail(err, errlen, path, "dataDir", "must be a non-empty string");
        cfg->data_dir = config_path_resolve(cfg, dd->valuestring);
    } else {
        cfg->data_dir = strdup("data");
    }
    if (!cfg->data_dir)
        return fail(err, errlen, path, "dataDir", "out of memory");
    return 0;
}

void config_release(struct parley_config *cfg)
{
    free(cfg->path);
    free(cfg->dir);
    free(cfg->data_dir);
    free(cfg->server.host);
    free(cfg->server.access_log);
    free(cfg->server.log_level);
    cJSON_Delete(cfg->doc);
    memset(cfg, 0, sizeof *cfg);
}

char *config_path_resolve(const struct parley_config *cfg, const char *path)
{
    if (path[0] == '/' || !cfg->dir)
        return strdup(path);
    struct buf b = BUF_INIT(PATH_MAX);
    if (buf_printf(&b, "%s/%s", cfg->dir, path)) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}
