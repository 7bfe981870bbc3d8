/*
 * gql_exec: runs one GraphQL request through the engine alone, for tests
 * that compare it with graphql-js. Reads {"schema": SDL, "query": ...,
 * "variables": {...}, "operationName": ..., "rootValue": ...} on stdin
 * (fields without resolvers read rootValue's members) and prints the
 * response JSON on stdout; exit status 0, or 1 when the schema does not
 * build (its errors printed as a response) or the input is not JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql.h"

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *b = realloc(buf, cap * 2);
        if (b == NULL) {
            free(buf);
            return NULL;
        }
        buf = b;
        cap *= 2;
    }
    if (buf != NULL)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static void print_errors(const struct gql_errors *errs)
{
    cJSON *resp = cJSON_CreateObject();
    cJSON_AddItemToObject(resp, "errors", gql_errors_to_json(errs));
    char *s = cJSON_PrintUnformatted(resp);
    puts(s);
    free(s);
    cJSON_Delete(resp);
}

int main(void)
{
    size_t len;
    int status = 1;
    char *input = read_all(stdin, &len);
    cJSON *req = input ? cJSON_Parse(input) : NULL;
    struct gql_schema *schema = NULL;
    struct gql_prepared *p = NULL;
    struct gql_errors errs = GQL_ERRORS_INIT;
    const cJSON *sdl = cJSON_GetObjectItemCaseSensitive(req, "schema");
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(req, "query");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "operationName");
    if (!cJSON_IsString(sdl) || !cJSON_IsString(query)) {
        fprintf(stderr, "gql_exec: expected {\"schema\": \"...\", \"query\": \"...\"} on stdin\n");
        goto out;
    }
    if (gql_schema_new(sdl->valuestring, strlen(sdl->valuestring), &schema, &errs) < 0) {
        print_errors(&errs);
        goto out;
    }
    status = 0;
    if (gql_prepare(schema, query->valuestring, strlen(query->valuestring),
                    cJSON_IsString(op) ? op->valuestring : NULL, NULL, &p, &errs) < 0) {
        print_errors(&errs);
        goto out;
    }
    struct gql_exec_args args = {
        .variables = cJSON_GetObjectItemCaseSensitive(req, "variables"),
        .root_value = cJSON_GetObjectItemCaseSensitive(req, "rootValue"),
        .raw_data = true,
    };
    bool request_error;
    cJSON *resp = gql_execute(p, &args, &request_error);
    char *s = resp ? cJSON_PrintUnformatted(resp) : NULL;
    if (s == NULL) {
        fprintf(stderr, "gql_exec: out of memory\n");
        status = 1;
    } else {
        puts(s);
    }
    free(s);
    cJSON_Delete(resp);
out:
    gql_prepared_free(p);
    gql_schema_free(schema);
    gql_errors_release(&errs);
    cJSON_Delete(req);
    free(input);
    return status;
}
