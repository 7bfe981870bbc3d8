/* TEMPORARY: stands in for graphql/service.c until it lands (no service: every request fails). */
#include <stdio.h>
#include <string.h>

#include "graphql/service.h"

int graphql_service_check_authorization(struct graphql_service *svc, const char *authorization)
{
    (void)svc;
    return authorization && strcmp(authorization, "Bearer secret") != 0 ? -1 : 0;
}

int graphql_service_operation(struct graphql_service *svc, const struct graphql_request *r,
                              enum gql_operation_type *type)
{
    (void)svc, (void)r, (void)type;
    return GQL_EOPERATION;
}

cJSON *graphql_service_execute(struct graphql_service *svc, const struct graphql_request *r,
                               unsigned flags, enum graphql_status *status)
{
    (void)svc, (void)r, (void)flags;
    *status = GRAPHQL_STATUS_INVALID;
    cJSON *j = cJSON_CreateObject();
    cJSON *errs = cJSON_AddArrayToObject(j, "errors");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "message", "The service is not built yet.");
    cJSON_AddItemToArray(errs, e);
    return j;
}

enum graphql_status graphql_service_subscribe(struct graphql_service *svc,
                                              const struct graphql_request *r, graphql_event_fn fn,
                                              void *ud, struct graphql_subscription **out,
                                              cJSON **errors)
{
    (void)fn, (void)ud;
    *out = NULL;
    enum graphql_status st;
    *errors = graphql_service_execute(svc, r, 0, &st);
    return st;
}

void graphql_subscription_free(struct graphql_subscription *sub)
{
    (void)sub;
}
