/*
 * The spec's error objects: a message, where in the document, and (during
 * execution) the response path. Every stage appends to one gql_errors list
 * in order; gql_errors_to_json gives the "errors" member of a response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/internal.h"

int gql_errors_add(struct gql_errors *errs, const char *rule, const struct gql_loc *locs,
                   size_t nlocs, const char *fmt, ...)
{
    if (errs->n == errs->cap) {
        size_t cap = errs->cap ? errs->cap * 2 : 4;
        struct gql_error *items = realloc(errs->items, cap * sizeof *items);
        if (items == NULL)
            return GQL_ENOMEM;
        errs->items = items;
        errs->cap = cap;
    }
    struct gql_error *e = &errs->items[errs->n];
    memset(e, 0, sizeof *e);
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return GQL_ENOMEM;
    e->message = malloc((size_t)len + 1);
    if (e->message == NULL)
        return GQL_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(e->message, (size_t)len + 1, fmt, ap);
    va_end(ap);
    if (nlocs > 0) {
        e->locations = malloc(nlocs * sizeof *locs);
        if (e->locations == NULL) {
            free(e->message);
            return GQL_ENOMEM;
        }
        memcpy(e->locations, locs, nlocs * sizeof *locs);
        e->nlocations = nlocs;
    }
    e->rule = rule;
    errs->n++;
    return GQL_OK;
}

void gql_errors_release(struct gql_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++) {
        free(errs->items[i].message);
        free(errs->items[i].locations);
        cJSON_Delete(errs->items[i].path);
        cJSON_Delete(errs->items[i].extensions);
    }
    free(errs->items);
    errs->items = NULL;
    errs->n = errs->cap = 0;
}

cJSON *gql_errors_to_json(const struct gql_errors *errs)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr != NULL && i < errs->n; i++) {
        const struct gql_error *e = &errs->items[i];
        cJSON *obj = cJSON_CreateObject();
        if (obj == NULL || !cJSON_AddItemToArray(arr, obj) ||
            cJSON_AddStringToObject(obj, "message", e->message) == NULL)
            goto oom;
        if (e->nlocations > 0) {
            cJSON *locs = cJSON_AddArrayToObject(obj, "locations");
            if (locs == NULL)
                goto oom;
            for (size_t j = 0; j < e->nlocations; j++) {
                cJSON *loc = cJSON_CreateObject();
                if (loc == NULL || !cJSON_AddItemToArray(locs, loc) ||
                    cJSON_AddNumberToObject(loc, "line", e->locations[j].line) == NULL ||
                    cJSON_AddNumberToObject(loc, "column", e->locations[j].column) == NULL)
                    goto oom;
            }
        }
        if (e->path != NULL) {
            cJSON *path = cJSON_Duplicate(e->path, true);
            if (path == NULL || !cJSON_AddItemToObject(obj, "path", path)) {
                cJSON_Delete(path);
                goto oom;
            }
        }
        if (e->extensions != NULL) {
            cJSON *ext = cJSON_Duplicate(e->extensions, true);
            if (ext == NULL || !cJSON_AddItemToObject(obj, "extensions", ext)) {
                cJSON_Delete(ext);
                goto oom;
            }
        }
    }
    return arr;
oom:
    cJSON_Delete(arr);
    return NULL;
}
