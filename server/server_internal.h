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

/* ---- the verbs (server/cmd_*.c) ---- */

int cmd_eval(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* ---- debug.c: routes for the integration tests (server.debugRoutes) ---- */

struct http_server;
struct store;
void debug_routes_add(struct http_server *srv, struct store *st);

#endif
