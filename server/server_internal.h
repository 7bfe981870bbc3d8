/*
 * What the files of server/ share among themselves and nothing else includes: the
 * metrics registry behind GET /metrics, the CLI plumbing, and the verbs.
 */
#ifndef PARLEY_SERVER_INTERNAL_H
#define PARLEY_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/config.h"

struct buf;

/* ---- metrics.c: per-route counters and latency histograms ---- */

struct metrics;
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* Registers a series label (a route pattern) and returns its index. */
int metrics_route_add(struct metrics *m, const char *method, const char *route);
void metrics_observe(struct metrics *m, int route, int status, int64_t duration_us);
void metrics_render(struct metrics *m, unsigned in_flight, struct buf *out);

/* ---- listener.c: the port, shared by HTTP/1.1 (libmicrohttpd) and h2c ---- */

struct MHD_Daemon;
struct sockaddr;
struct listener;
struct ws_server;
/* ws may be NULL; when set, WebSocket upgrade requests are handed to it (server/ws.c). */
int listener_start(struct sockaddr *addr, unsigned addrlen, struct MHD_Daemon *daemon,
                   struct ws_server *ws, unsigned timeout_s, struct listener **out, int *port,
                   char *err, size_t errlen);
/* http.c: the WebSocket layer to hand upgrades to (ws_server_new calls it before the start). */
struct http_server;
void http_server_ws_attach(struct http_server *s, struct ws_server *ws);
/* Closes the port and connections not yet handed over; waits for HTTP/2 connections. */
void listener_stop(struct listener *l);

/* ---- h2c.c: HTTP/2 cleartext connections, passed through to the HTTP/1.1 core ---- */

struct h2c;
struct h2c *h2c_new(struct MHD_Daemon *daemon);
void h2c_connection_start(struct h2c *h2, int fd);
void h2c_free(struct h2c *h2);

/* ---- cli.c: options every data-touching verb shares ---- */

struct cli_flag {
    const char *name; /* long option without the dashes, e.g. "json" */
    bool takes_value;
    const char **value; /* set when takes_value */
    bool *set;          /* set to true when given */
    const char *help;
};

struct cli_opts {
    const char *config_path; /* --config, default examples/parley.json */
    const char *data_dir;    /* --data-dir, overrides the config */
    int port;                /* --port, -1 = from the config */
    const char *args[8];     /* positional arguments */
    int nargs;
};

/*
 * Parses argv (argv[0] is the verb) into o, accepting --config, --data-dir,
 * --port, --help and the verb's own flags (NULL-terminated by name == NULL).
 * Returns 0, 1 when --help was printed, or -1 after printing an error.
 */
int cli_parse(int argc, char **argv, const char *usage, const struct cli_flag *flags,
              struct cli_opts *o);
/* Loads the config named by o and applies --data-dir and --port; prints the error line. */
int cli_load_config(const struct cli_opts *o, struct parley_config *cfg);
/* Reads and checks the config's "sites" section (spa-host); prints the error line. */
struct spa_sites;
int cli_load_sites(const struct parley_config *cfg, struct spa_sites **out);

/*
 * What the bot verbs (chat, export, publish) work on: the config, the store,
 * the functions (code hooks run through them) and the bot engine. 0, or -1
 * after printing the error; close it either way.
 */
struct store;
struct lambda_registry;
struct bot_engine;
struct cli_bots {
    struct parley_config cfg;
    struct store *st;
    struct lambda_registry *functions;
    struct bot_engine *engine;
};
int cli_bots_open(const struct cli_opts *o, struct cli_bots *b);
void cli_bots_close(struct cli_bots *b);

/* ---- the verbs (server/cmd_*.c) ---- */

int cmd_eval(int argc, char **argv);
int cmd_serve(int argc, char **argv);
/* A bot_hook_fn that runs code hooks through lambda/ (ud: the lambda_registry). */
int serve_code_hook(void *ud, const char *uri, const char *event, size_t len, unsigned timeout_ms,
                    char **reply, size_t *reply_len, char *err, size_t errlen);
int cmd_chat(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_deploy(int argc, char **argv); /* cmd_deploy.c: spa-host releases */
int cmd_releases(int argc, char **argv);
int cmd_rollback(int argc, char **argv);

/* ---- debug.c: routes for the integration tests (server.debugRoutes) ---- */

struct http_server;
struct store;
void debug_routes_add(struct http_server *srv, struct store *st);

#endif
