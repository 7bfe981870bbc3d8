/* STUB until the executor lands (issue 8). */
#include "graphql/internal.h"

int gql_prepare(const struct gql_schema *schema, const char *query, size_t len,
                const char *operation_name, const struct gql_limits *limits,
                struct gql_prepared **out, struct gql_errors *errs)
{
    *out = NULL;
    gql_errors_add(errs, NULL, NULL, 0, "The executor is not built yet.");
    return GQL_EOPERATION;
}

void gql_prepared_free(struct gql_prepared *p)
{
}

enum gql_operation_type gql_prepared_operation(const struct gql_prepared *p)
{
    return GQL_QUERY;
}

cJSON *gql_execute(const struct gql_prepared *p, const struct gql_exec_args *args,
                   bool *request_error)
{
    *request_error = true;
    return NULL;
}

int gql_subscription_source(const struct gql_prepared *p, const struct gql_exec_args *args,
                            const char **field_name, cJSON **field_args, struct gql_errors *errs)
{
    return GQL_EINVALID;
}

cJSON *gql_execute_event(const struct gql_prepared *p, const struct gql_exec_args *args,
                         const cJSON *event)
{
    return NULL;
}
