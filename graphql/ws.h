/*
 * graphql/ws.c — GraphQL subscriptions (and queries, mutations) over
 * WebSocket with the graphql-transport-ws subprotocol, at GET /graphql.
 */
#ifndef PARLEY_GRAPHQL_WS_H
#define PARLEY_GRAPHQL_WS_H

#include <stddef.h>

#include "graphql/graphql.h"

struct gql_service;
struct ws_server;
struct gql_ws;

struct gql_ws_options {
    const struct gql_schema *schema; /* the service's, borrowed */
    struct gql_limits limits;        /* as the HTTP endpoint's */
    unsigned init_timeout_ms;        /* connection_init must come within (default 3000): 4408 */
    unsigned max_operations;         /* running per connection (default 100, at most 1000) */
    size_t max_message;              /* the largest client message in bytes (default 65536) */
};

/*
 * Adds the /graphql WebSocket route to ws (before http_server_start). Free
 * after ws_server_stop (which closes the sockets and so stops every
 * subscription) and before ws_server_free. NULL with err filled.
 */
struct gql_ws *gql_ws_new(struct gql_service *svc, struct ws_server *ws,
                          const struct gql_ws_options *opts, char *err, size_t errlen);
void gql_ws_free(struct gql_ws *g);

/* ---- what ws.c needs from the service (TEMPORARY until graphql/service.h lands) ---- */
struct gql_service_context {
    struct gql_service *svc;
    bool admin;
};
struct gql_service_turn_listener;
void gql_service_context_init(struct gql_service *svc, struct gql_service_context *ctx, bool admin);
void gql_service_context_release(struct gql_service_context *ctx);
int gql_service_authorize(struct gql_service *svc, const struct gql_prepared *p, bool admin,
                          struct gql_errors *errs);
int gql_service_check_token(struct gql_service *svc, const char *token, bool *admin);
struct gql_service_turn_listener *
gql_service_turn_listener_add(struct gql_service *svc, const char *field, const cJSON *args,
                              void (*fn)(const cJSON *event, void *ud), void *ud, char *why,
                              size_t whylen);
void gql_service_turn_listener_remove(struct gql_service *svc, struct gql_service_turn_listener *l);

#endif
