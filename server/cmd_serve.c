/*
 * parley serve — open the store, register every module's routes on one HTTP
 * listener, and run until SIGTERM or SIGINT.
 *
 * Signals are blocked in every thread (the mask is set before any thread
 * starts) and taken synchronously here with sigtimedwait, so no work ever
 * happens in a signal handler. The wait times out once a minute to purge
 * expired store records.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots/bots.h"
#include "bots/webchat.h"
#include "bots/slack.h"
#include "common/common.h"
#include "graphql/service.h"
#include "graphql/ws.h"
#include "lambda/lambda.h"
#include "server/http.h"
#include "server/server_internal.h"
#include "server/ws.h"
#include "spa-host/spa.h"
#include "store/store.h"

static const char usage[] =
    "usage: parley serve [--config FILE] [--port N] [--data-dir DIR]\n"
    "\n"
    "Runs the server on the config's server.host:server.port (default 127.0.0.1:8080).\n"
    "  --config FILE    the configuration (default " CONFIG_DEFAULT_PATH ")\n"
    "  --port N         listen on port N instead (0 picks a free port)\n"
    "  --data-dir DIR   where the store lives (default: the config's dataDir, else ./data)\n";

static void handle_healthz(struct http_request *req, void *ud)
{
    struct store *st = ud;
    struct store_item item;
    int rc = store_get(st, "meta", "healthz", &item);
    if (rc == 0)
        store_item_release(&item);
    if (rc != 0 && rc != PARLEY_ENOTFOUND) {
        http_respond_error(req, 503, NULL, "The store is not answering: %s.", parley_strerror(rc));
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", "ok");
    cJSON_AddStringToObject(j, "version", PARLEY_VERSION);
    http_respond_json(req, 200, j);
    cJSON_Delete(j);
}

int serve_code_hook(void *ud, const char *uri, const char *event, size_t len, unsigned timeout_ms,
                    char **reply, size_t *reply_len, char *err, size_t errlen)
{
    struct lambda_owned_result res;
    struct lambda_invoke_opts o = {.type = LAMBDA_REQUEST_RESPONSE, .timeout_ms = timeout_ms};
    if (lambda_invoke_sync(ud, uri, event, len, &o, &res) != 0) {
        snprintf(err, errlen, "cannot invoke the function");
        return PARLEY_ENOMEM;
    }
    int rc = 0;
    switch (res.r.outcome) {
    case LAMBDA_OK:
        *reply = res.payload;
        *reply_len = res.r.len;
        res.payload = NULL;
        break;
    case LAMBDA_FUNCTION_ERROR:
        snprintf(err, errlen, "the function failed (%s): %.300s", res.r.function_error,
                 res.r.payload);
        rc = PARLEY_EIO;
        break;
    case LAMBDA_TIMEOUT:
        snprintf(err, errlen, "the function timed out: %.300s", res.r.payload);
        rc = PARLEY_ETIMEDOUT;
        break;
    case LAMBDA_NOT_FOUND:
        snprintf(err, errlen, "no function is registered for %s", uri);
        rc = PARLEY_ENOTFOUND;
        break;
    default:
        snprintf(err, errlen, "%s: %s", res.r.error_type ? res.r.error_type : "error",
                 res.r.message ? res.r.message : "the function could not be invoked");
        rc = PARLEY_EIO;
        break;
    }
    lambda_result_release(&res);
    return rc;
}

static enum log_level parse_level(const char *s)
{
    if (strcmp(s, "debug") == 0)
        return LOG_DEBUG;
    if (strcmp(s, "warn") == 0)
        return LOG_WARN;
    if (strcmp(s, "error") == 0)
        return LOG_ERROR;
    return LOG_INFO;
}

int cmd_serve(int argc, char **argv)
{
    struct cli_opts o;
    int rc = cli_parse(argc, argv, usage, NULL, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (o.nargs) {
        fprintf(stderr, "parley serve: unexpected argument '%s'\n", o.args[0]);
        return 2;
    }
    struct parley_config cfg;
    if (cli_load_config(&o, &cfg))
        return 1;
    log_set_level(parse_level(cfg.server.log_level));

    /* Block the signals we wait for before any thread exists, so every thread inherits it. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    int result = 1;
    struct store *st = NULL;
    struct http_server *srv = NULL;
    struct spa_sites *sites = NULL;
    struct spa_host *spa = NULL;
    struct bot_engine *bots = NULL;
    struct slack_channel *slack = NULL;       /* bots/slack.c: the config's `slack` */
    struct lambda_registry *functions = NULL; /* lambda/: the config's `functions` */
    struct ws_server *ws = NULL;              /* WebSocket upgrades on the same port */
    struct webchat *chat = NULL;              /* bots/: the chat widget's channel */
    struct graphql_ws *gws = NULL;            /* graphql/: GraphQL over WebSocket */
    struct graphql_service *gql = NULL;       /* graphql/: /graphql over all of the above */
    char err[1024];
    if (store_open(cfg.data_dir, &st, err, sizeof err) != 0) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    struct http_server_options ho = {
        .host = cfg.server.host,
        .port = cfg.server.port,
        .threads = cfg.server.threads,
        .max_body_bytes = cfg.server.max_body_bytes,
        .shutdown_grace_ms = cfg.server.shutdown_grace_ms,
        .connection_timeout_s = cfg.server.connection_timeout_s,
        .access_log = cfg.server.access_log,
    };
    srv = http_server_new(&ho, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    http_route_add(srv, "GET", "/healthz", NULL, handle_healthz, st);
    /* spa-host: the config's sites, on a /{path+} catch-all (API routes have more literals). */
    if (cli_load_sites(&cfg, &sites) != 0)
        goto out;
    if (spa_sites_count(sites) && !(spa = spa_host_new(sites, srv, err, sizeof err))) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    /* lambda/: functions, the Invoke endpoint; local workers get listeners of their own */
    if (lambda_registry_new(&cfg, st, &functions, err, sizeof err) != 0 ||
        (lambda_routes_add(functions, srv) != 0 &&
         snprintf(err, sizeof err, "cannot add the Lambda routes") > 0)) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    /* bots/: the Lex runtime APIs; code hooks run through lambda/ */
    struct bot_engine_options bo = {.workers = 16, .hook = serve_code_hook, .hook_ud = functions};
    if (bot_engine_new(&cfg, st, &bo, &bots, err, sizeof err) != 0) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    bot_routes_add(bots, srv);
    /* bots/: web chat over WebSocket (upgrades on this port, server/ws.c) and the widget */
    struct ws_server_options wo = {0};
    if (!(ws = ws_server_new(srv, &wo, err, sizeof err)) ||
        !(chat = webchat_new(&cfg, bots, srv, ws, err, sizeof err))) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    /* bots/slack.c: the Slack channel (events, commands, interactions) over the engine */
    if (slack_channel_new(&cfg, bots, &slack, err, sizeof err) != 0 ||
        (slack_routes_add(slack, srv) != 0 &&
         snprintf(err, sizeof err, "cannot add the Slack routes") > 0)) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    /* graphql/: Parley's data at /graphql, over the engine, the functions and the sites */
    struct graphql_service_deps gd = {
        .store = st, .bots = bots, .functions = functions, .sites = sites, .spa = spa};
    struct graphql_ws_options gwo = {0}; /* graphql/ws.c: graphql-transport-ws on /graphql */
    if (graphql_service_new(&cfg, &gd, srv, &gql, err, sizeof err) != 0 ||
        !(gws = graphql_ws_new(gql, ws, &gwo, err, sizeof err))) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    if (cfg.server.debug_routes)
        debug_routes_add(srv, st);

    if (http_server_start(srv, err, sizeof err) != 0) {
        fprintf(stderr, "parley: %s\n", err);
        goto out;
    }
    log_info("listening on http://%s:%d (data in %s)", cfg.server.host, http_server_port(srv),
             cfg.data_dir);

    int64_t last_purge = time_now_ms();
    for (;;) {
        /* Wake once a second: bot files are watched for changes, expired records purged. */
        struct timespec second = {1, 0};
        int sig = sigtimedwait(&sigs, NULL, &second);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("%s: stopping; finishing requests in flight",
                     sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (sig == SIGHUP) {
            log_info("SIGHUP: reloading the bots and re-reading the sites' releases");
            bot_engine_reload(bots, false);
            if (spa)
                spa_host_refresh(spa);
            continue;
        }
        bot_engine_reload(bots, true);
        if (time_now_ms() - last_purge >= 60000) {
            last_purge = time_now_ms();
            int purged = store_purge_expired(st, last_purge);
            if (purged > 0)
                log_debug("purged %d expired record(s)", purged);
        }
    }
    /* Stop taking requests and let those in flight finish; then the modules, in the order
       they call each other (bots call lambda), then the listener. */
    http_server_drain(srv);
    ws_server_stop(ws);   /* closes the sockets, chat and GraphQL (ending subscriptions) */
    graphql_ws_free(gws); /* finishes its operations in flight: before the service stops */
    gws = NULL;
    graphql_service_stop(gql); /* its mutations run turns on the engine: before it */
    slack_channel_free(slack); /* its turns run on the engine: before it */
    slack = NULL;
    bot_engine_free(bots);
    bots = NULL;
    lambda_registry_shutdown(functions, cfg.server.shutdown_grace_ms);
    http_server_shutdown(srv);
    result = 0;
out:
    slack_channel_free(slack);
    ws_server_stop(ws);
    graphql_ws_free(gws); /* after ws_server_stop (its sockets are closed), before the service */
    graphql_service_stop(gql); /* its listeners are the engine's: before it */
    bot_engine_free(bots);
    ws_server_free(ws); /* after the engine: its last turns drop their connections */
    webchat_free(chat);
    lambda_registry_free(functions);
    http_server_free(srv);
    graphql_service_free(gql); /* after the server: no request holds it any more */
    spa_host_free(spa);        /* after the server: no request holds a release any more */
    spa_sites_free(sites);
    store_close(st);
    config_release(&cfg);
    if (result == 0)
        log_info("stopped");
    return result;
}
