/*
 * gql_validate: validates GraphQL documents against schemas, for the
 * graphql-js validation corpus test (tests/integration/graphql-validation.test.mjs).
 *
 * Reads requests from stdin, one JSON object a line:
 *     {"schema": "<SDL>", "query": "<document>", "options": ["NoDeprecatedCustomRule"]}
 * and writes one JSON object a line for each:
 *     {"errors": [{"message": ..., "locations": [{"line": 1, "column": 2}], "rule": ...}]}
 * or {"schemaErrors": [...]} when the SDL does not build, {"syntaxErrors": [...]} when
 * the query does not parse. "options" may name graphql-js's optional rules
 * (NoDeprecatedCustomRule, NoSchemaIntrospectionCustomRule). Built schemas are kept by
 * their SDL, so a corpus that reuses a few schemas builds each once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql.h"

#define CACHE_SIZE 64

struct cached {
    char *sdl;
    struct gql_schema *schema;
};

static struct cached cache[CACHE_SIZE];
static size_t ncache;

/* The errors as JSON, each with its rule (new; caller deletes). */
static cJSON *errors_json(const struct gql_errors *errs)
{
    cJSON *arr = gql_errors_to_json(errs);
    for (size_t i = 0; arr != NULL && i < errs->n; i++) {
        cJSON *item = cJSON_GetArrayItem(arr, (int)i);
        if (errs->items[i].rule != NULL)
            cJSON_AddStringToObject(item, "rule", errs->items[i].rule);
    }
    return arr;
}

static unsigned options_of(const cJSON *req)
{
    unsigned options = 0;
    const cJSON *opt;
    cJSON_ArrayForEach(opt, cJSON_GetObjectItemCaseSensitive(req, "options"))
    {
        if (!cJSON_IsString(opt))
            continue;
        if (strcmp(opt->valuestring, "NoDeprecatedCustomRule") == 0)
            options |= GQL_VALIDATE_NO_DEPRECATED;
        else if (strcmp(opt->valuestring, "NoSchemaIntrospectionCustomRule") == 0)
            options |= GQL_VALIDATE_NO_SCHEMA_INTROSPECTION;
    }
    return options;
}

/* Handles one request; returns the response (new; caller deletes). */
static cJSON *handle(const cJSON *req)
{
    cJSON *out = cJSON_CreateObject();
    struct gql_errors errs = GQL_ERRORS_INIT;
    struct gql_document *doc = NULL;
    const cJSON *sdl = cJSON_GetObjectItemCaseSensitive(req, "schema");
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(req, "query");
    if (out == NULL)
        return NULL;
    if (!cJSON_IsString(sdl) || !cJSON_IsString(query)) {
        cJSON_AddStringToObject(out, "error", "schema and query must be strings");
        return out;
    }
    struct gql_schema *schema = NULL, *owned = NULL; /* owned: built here, not cached */
    for (size_t i = 0; i < ncache && schema == NULL; i++)
        if (strcmp(cache[i].sdl, sdl->valuestring) == 0)
            schema = cache[i].schema;
    if (schema == NULL) {
        if (gql_schema_new(sdl->valuestring, strlen(sdl->valuestring), &schema, &errs) < 0) {
            cJSON_AddItemToObject(out, "schemaErrors", errors_json(&errs));
            goto out;
        }
        char *key = ncache < CACHE_SIZE ? strdup(sdl->valuestring) : NULL;
        if (key != NULL) {
            cache[ncache].sdl = key;
            cache[ncache++].schema = schema;
        } else {
            owned = schema;
        }
    }
    if (gql_parse(query->valuestring, strlen(query->valuestring), NULL, &doc, &errs) < 0) {
        cJSON_AddItemToObject(out, "syntaxErrors", errors_json(&errs));
        goto out;
    }
    gql_validate_ex(schema, doc, options_of(req), &errs);
    cJSON_AddItemToObject(out, "errors", errors_json(&errs));
out:
    gql_schema_free(owned);
    gql_document_free(doc);
    gql_errors_release(&errs);
    return out;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int status = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len <= 1)
            continue;
        cJSON *req = cJSON_Parse(line);
        cJSON *res = req != NULL ? handle(req) : NULL;
        char *text = res != NULL ? cJSON_PrintUnformatted(res) : NULL;
        if (text == NULL) {
            fputs("{\"error\":\"bad request\"}\n", stdout);
            status = 1;
        } else {
            fputs(text, stdout);
            fputc('\n', stdout);
        }
        fflush(stdout);
        free(text);
        cJSON_Delete(res);
        cJSON_Delete(req);
    }
    free(line);
    for (size_t i = 0; i < ncache; i++) {
        free(cache[i].sdl);
        gql_schema_free(cache[i].schema);
    }
    return status;
}
