/*
 * graphql/service.h — Parley's data behind the GraphQL engine: the schema
 * graphql/parley.graphql (compiled into the binary), its resolvers over
 * bots/, lambda/ and spa-host/, GraphQL over HTTP at /graphql, and the
 * entry points the WebSocket transport (graphql/ws.c) builds on.
 *
 * Every transport hands a request over as struct graphql_request and gets
 * the response document back; the service does the rest the same way for
 * all of them: the prepared-document cache (parse + validate once per
 * distinct query text), the limits from the config, authorization (the
 * admin bearer token; which root fields are public is configured), and
 * execution with Parley's resolvers.
 *
 *     struct graphql_service *gql;
 *     struct graphql_service_deps deps = {.store = st, .bots = bots, .functions = reg,
 *                                         .sites = sites, .spa = spa};
 *     if (graphql_service_new(&cfg, &deps, srv, &gql, err, sizeof err) != 0) ...
 *     ...                          // http_server_drain(srv)
 *     graphql_service_stop(gql);   // before bot_engine_free: its workers run turns
 *     ...
 *     graphql_service_free(gql);   // after the HTTP server and the WebSocket server stopped
 *
 * Threads: every function may be called from any thread once
 * graphql_service_new has returned.
 */
#ifndef PARLEY_GRAPHQL_SERVICE_H
#define PARLEY_GRAPHQL_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "graphql/graphql.h"

struct parley_config;
struct store;
struct bot_engine;
struct lambda_registry;
struct spa_sites;
struct spa_host;
struct http_server;
struct graphql_service;

/* What the resolvers read and change; each may be NULL (then its fields are empty/null). */
struct graphql_service_deps {
    struct store *store;
    struct bot_engine *bots;
    struct lambda_registry *functions;
    const struct spa_sites *sites;
    struct spa_host *spa; /* refreshed after activateRelease so the change is served at once */
};

/*
 * Reads the config's "graphql" section (docs/configuration.md), builds the
 * schema from the embedded parley.graphql with its resolvers, starts the
 * mutation workers and registers GET and POST /graphql on srv (srv may be
 * NULL: no HTTP routes, e.g. tests and the WebSocket transport alone).
 * Returns 0, or -1 with err holding "FILE: graphql.KEY: what is wrong".
 */
int graphql_service_new(const struct parley_config *cfg, const struct graphql_service_deps *deps,
                        struct http_server *srv, struct graphql_service **out, char *err,
                        size_t errlen);
/*
 * Finishes the queued mutations, stops the workers and drops every
 * subscription (their callbacks are not called afterwards). Call after
 * http_server_drain and before bot_engine_free. Idempotent; NULL is fine.
 */
void graphql_service_stop(struct graphql_service *svc);
/* Stops (if not done) and frees. After the HTTP server has shut down. NULL is fine. */
void graphql_service_free(struct graphql_service *svc);

/* The schema (Parley's, with resolvers set); owned by the service. */
const struct gql_schema *graphql_service_schema(const struct graphql_service *svc);

/* ---- one request, whatever the transport ---- */

struct graphql_request {
    const char *query; /* the document's text (not NUL-terminated necessarily) */
    size_t query_len;
    const char *operation_name; /* NULL: the only operation */
    const cJSON *variables;     /* an object, or NULL */
    const cJSON *extensions;    /* an object, or NULL (ignored today) */
    /* The caller's credentials: an Authorization header's value ("Bearer TOKEN"), or NULL. */
    const char *authorization;
    const char *channel; /* for the turn log: "graphql" (HTTP), "graphql-ws"; NULL = "graphql" */
};

/* How a request ended, which the HTTP layer maps to a status (docs/graphql.md). */
enum graphql_status {
    GRAPHQL_STATUS_OK = 0,       /* executed: {"data": ..., "errors"?: [...]} */
    GRAPHQL_STATUS_INVALID,      /* parse, validation, limit or variable errors: {"errors"} only */
    GRAPHQL_STATUS_UNAUTHORIZED, /* a root field needs the token and it is missing or wrong */
    GRAPHQL_STATUS_NOT_ALLOWED,  /* a mutation where only queries may run (HTTP GET) */
    GRAPHQL_STATUS_SUBSCRIPTION, /* a subscription given to graphql_service_execute */
};

#define GRAPHQL_QUERIES_ONLY 0x1u /* refuse mutations (GRAPHQL_STATUS_NOT_ALLOWED): HTTP GET */
/* "data" as a cJSON_Raw of its JSON text, ready to print (gql_exec_args.raw_data) */
#define GRAPHQL_RAW_DATA 0x2u

/*
 * Runs a query or mutation to completion on the calling thread (a mutation
 * such as postText may wait for a code hook: do not call it on an HTTP
 * listener thread; the HTTP layer hands mutations to the service's workers).
 * Returns the response document (new; caller deletes; NULL only when out of
 * memory) and sets *status. A subscription is not run:
 * GRAPHQL_STATUS_SUBSCRIPTION with an error document.
 */
cJSON *graphql_service_execute(struct graphql_service *svc, const struct graphql_request *r,
                               unsigned flags, enum graphql_status *status);

/*
 * The kind of operation r would run (parsing through the cache), without
 * running it: GQL_OK and *type, or a negative gql_rc when the document does
 * not prepare (then graphql_service_execute gives the errors).
 */
int graphql_service_operation(struct graphql_service *svc, const struct graphql_request *r,
                              enum gql_operation_type *type);

/*
 * Checks credentials as the HTTP endpoint does, for transports that take
 * them once per connection (graphql/ws.c's connection_init): 0 when
 * authorization (an Authorization header's value, "Bearer TOKEN") is NULL or
 * carries the admin token, or when no token is configured; -1 when a token
 * is required and this one is wrong (the WebSocket closes with 4403).
 */
int graphql_service_check_authorization(struct graphql_service *svc, const char *authorization);

/* ---- subscriptions ---- */

/*
 * One event of a subscription: the response {"data": {"turns": {...}}} (or
 * with "errors") for one turn, borrowed for the call. Called on the bot
 * engine's worker thread that completed the turn: it must not block (queue
 * the message, e.g. ws_conn_send) and must not free its own subscription.
 */
typedef void (*graphql_event_fn)(const cJSON *response, void *ud);

struct graphql_subscription;

/*
 * Starts the subscription operation of r: prepares it, checks the token,
 * coerces the variables and registers for the events its root field names
 * (Subscription.turns: the turns of a bot or of one conversation, as they
 * complete). On success returns GRAPHQL_STATUS_OK with *out (free with
 * graphql_subscription_free) and *errors NULL. Otherwise *out is NULL and
 * *errors is the response to send instead (new, caller deletes): a request
 * error ({"errors": [...]}), GRAPHQL_STATUS_UNAUTHORIZED, or
 * GRAPHQL_STATUS_SUBSCRIPTION when the operation is a query or mutation
 * (run it with graphql_service_execute instead; *errors is then NULL).
 */
enum graphql_status graphql_service_subscribe(struct graphql_service *svc,
                                              const struct graphql_request *r, graphql_event_fn fn,
                                              void *ud, struct graphql_subscription **out,
                                              cJSON **errors);
/*
 * Ends a subscription: when it returns, fn is not running and will not be
 * called again. Not from within fn. NULL is fine.
 */
void graphql_subscription_free(struct graphql_subscription *sub);

/* ---- the turn stream itself, for transports that want raw turns ---- */

/*
 * Called once per completed turn of any channel (Lex V1/V2, Slack, web chat,
 * GraphQL) with the turn as JSON shaped like the schema's Turn type
 * (borrowed for the call), on the engine worker that ran it; the same rules
 * as graphql_event_fn. bot, alias and user narrow the stream when not NULL.
 */
typedef void (*graphql_turn_fn)(const cJSON *turn, void *ud);
/* Returns a listener id > 0, or 0 when out of memory. */
uint64_t graphql_service_turns_listen(struct graphql_service *svc, const char *bot,
                                      const char *alias, const char *user, graphql_turn_fn fn,
                                      void *ud);
/* When it returns, fn is not running and will not be called again for id. */
void graphql_service_turns_unlisten(struct graphql_service *svc, uint64_t id);

/* ---- HTTP (graphql/http.c) ---- */

/* Registers GET and POST /graphql; graphql_service_new calls it when given a server. */
int graphql_http_routes_add(struct graphql_service *svc, struct http_server *srv);

#endif
