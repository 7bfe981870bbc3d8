/* TEMPORARY: stands in for graphql/service.c until it lands (no token, no subscriptions). */
#include <stdio.h>
#include <string.h>
#include "graphql/ws.h"

void gql_service_context_init(struct gql_service *svc, struct gql_service_context *ctx, bool admin)
{
    ctx->svc = svc;
    ctx->admin = admin;
}
void gql_service_context_release(struct gql_service_context *ctx)
{
    (void)ctx;
}
int gql_service_authorize(struct gql_service *svc, const struct gql_prepared *p, bool admin,
                          struct gql_errors *errs)
{
    (void)svc, (void)p, (void)admin, (void)errs;
    return 0;
}
int gql_service_check_token(struct gql_service *svc, const char *token, bool *admin)
{
    (void)svc;
    *admin = false;
    return token && strcmp(token, "secret") != 0 ? -1 : 0;
}
struct gql_service_turn_listener *
gql_service_turn_listener_add(struct gql_service *svc, const char *field, const cJSON *args,
                              void (*fn)(const cJSON *event, void *ud), void *ud, char *why,
                              size_t whylen)
{
    (void)svc, (void)field, (void)args, (void)fn, (void)ud;
    snprintf(why, whylen, "no subscriptions yet");
    return NULL;
}
void gql_service_turn_listener_remove(struct gql_service *svc, struct gql_service_turn_listener *l)
{
    (void)svc, (void)l;
}
