/*
 * graphql/ws.c — GraphQL over WebSocket with the graphql-transport-ws
 * subprotocol at GET /graphql: subscriptions (Subscription.turns), and
 * queries and mutations too, over graphql/service.h (docs/graphql.md).
 */
#ifndef PARLEY_GRAPHQL_WS_H
#define PARLEY_GRAPHQL_WS_H

#include <stddef.h>

struct graphql_service;
struct ws_server;
struct graphql_ws;

struct graphql_ws_options {
    /* 0: the configuration's graphql.wsInitTimeoutMs and graphql.wsMaxOperations */
    unsigned init_timeout_ms; /* connection_init must come within this (default 3000), else 4408 */
    unsigned max_operations;  /* running at once per connection (default 100, at most 1000) */
    size_t max_message;       /* the largest client message in bytes (default 262144) */
};

/*
 * Adds the /graphql WebSocket route to ws (before http_server_start) over
 * svc. Free it after ws_server_stop (which closes the sockets and so ends
 * every subscription) and before graphql_service_stop and ws_server_free.
 * NULL with err filled.
 */
struct graphql_ws *graphql_ws_new(struct graphql_service *svc, struct ws_server *ws,
                                  const struct graphql_ws_options *opts, char *err, size_t errlen);
void graphql_ws_free(struct graphql_ws *g);

#endif
