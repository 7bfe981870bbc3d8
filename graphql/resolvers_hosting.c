/*
 * Resolvers over lambda/ and spa-host/: the functions with their
 * invocation statistics, the sites with their releases, and activateRelease
 * (a rollback or roll-forward, served at once: the host is refreshed rather
 * than left to notice the new `current` link on its next tick).
 *
 * Values are built whole from the modules' accessors (both are small: a
 * handful of functions, a few dozen releases) and the executor picks the
 * fields asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "graphql/service_internal.h"
#include "lambda/lambda.h"
#include "spa-host/spa.h"

static struct graphql_service *service(const struct gql_resolve_info *info)
{
    return info->data;
}

/* ---- functions ---- */

static cJSON *function_value(const struct lambda_function_stats *s)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "name", s->name);
    cJSON_AddStringToObject(f, "runtime", s->remote ? "remote" : "local");
    if (s->handler)
        cJSON_AddStringToObject(f, "handler", s->handler);
    if (s->arn)
        cJSON_AddStringToObject(f, "arn", s->arn);
    cJSON_AddNumberToObject(f, "timeout", (double)((s->timeout_ms + 999) / 1000));
    if (!s->remote)
        cJSON_AddNumberToObject(f, "reservedConcurrency", s->reserved_concurrency);
    /* counts above 2^31 - 1 are not Int: cap them (a GraphQL Int is 32 bits) */
    const uint64_t cap = 2147483647u;
    cJSON_AddNumberToObject(f, "invocations",
                            (double)(s->invocations < cap ? s->invocations : cap));
    cJSON_AddNumberToObject(f, "errors", (double)(s->errors < cap ? s->errors : cap));
    cJSON_AddNumberToObject(f, "throttles", (double)(s->throttles < cap ? s->throttles : cap));
    cJSON_AddNumberToObject(f, "timeouts", (double)(s->timeouts < cap ? s->timeouts : cap));
    if (s->p50_ms >= 0)
        cJSON_AddNumberToObject(f, "durationP50Ms", s->p50_ms);
    if (s->p99_ms >= 0)
        cJSON_AddNumberToObject(f, "durationP99Ms", s->p99_ms);
    return f;
}

static cJSON *resolve_functions(const struct gql_resolve_info *info, char **error)
{
    struct lambda_registry *reg = service(info)->deps.functions;
    cJSON *out = cJSON_CreateArray();
    size_t n = lambda_function_count(reg);
    for (size_t i = 0; i < n; i++) {
        struct lambda_function_stats s;
        if (lambda_function_stats(reg, i, &s) == 0)
            cJSON_AddItemToArray(out, function_value(&s));
    }
    return out;
}

static cJSON *resolve_function(const struct gql_resolve_info *info, char **error)
{
    struct lambda_registry *reg = service(info)->deps.functions;
    const char *name = graphql_arg_string(info, "name");
    const char *resolved = reg && name ? lambda_function_resolve(reg, name) : NULL;
    size_t n = lambda_function_count(reg);
    for (size_t i = 0; resolved && i < n; i++) {
        struct lambda_function_stats s;
        if (lambda_function_stats(reg, i, &s) == 0 && strcmp(s.name, resolved) == 0)
            return function_value(&s);
    }
    return cJSON_CreateNull();
}

/* ---- sites ---- */

static cJSON *release_value(const struct spa_release_info *r)
{
    cJSON *o = cJSON_CreateObject();
    char at[32];
    graphql_iso_time(r->created_ms, at);
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddStringToObject(o, "createdAt", at);
    cJSON_AddNumberToObject(o, "files", r->files);
    cJSON_AddNumberToObject(o, "bytes", (double)r->bytes);
    cJSON_AddBoolToObject(o, "active", r->current);
    return o;
}

static cJSON *site_value(const struct spa_sites *sites, const struct spa_site_info *si)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", si->name);
    if (si->root)
        cJSON_AddStringToObject(o, "root", si->root);
    cJSON_AddStringToObject(o, "pathPrefix", si->path_prefix);
    cJSON *rels = cJSON_AddArrayToObject(o, "releases");
    struct spa_release_info *list = NULL;
    size_t n = 0;
    char err[512];
    cJSON *active = NULL;
    if (spa_release_list(sites, si->name, &list, &n, err, sizeof err) == 0) {
        for (size_t i = n; i-- > 0;) { /* newest first */
            cJSON_AddItemToArray(rels, release_value(&list[i]));
            if (list[i].current)
                active = release_value(&list[i]);
        }
    }
    free(list);
    cJSON_AddItemToObject(o, "activeRelease", active ? active : cJSON_CreateNull());
    return o;
}

static cJSON *resolve_sites(const struct gql_resolve_info *info, char **error)
{
    const struct spa_sites *sites = service(info)->deps.sites;
    cJSON *out = cJSON_CreateArray();
    size_t n = spa_sites_count(sites);
    for (size_t i = 0; i < n; i++) {
        struct spa_site_info si;
        if (spa_site_info(sites, i, &si) == 0)
            cJSON_AddItemToArray(out, site_value(sites, &si));
    }
    return out;
}

static cJSON *site_named(const struct spa_sites *sites, const char *name)
{
    size_t n = spa_sites_count(sites);
    for (size_t i = 0; name && i < n; i++) {
        struct spa_site_info si;
        if (spa_site_info(sites, i, &si) == 0 && strcmp(si.name, name) == 0)
            return site_value(sites, &si);
    }
    return NULL;
}

static cJSON *resolve_site(const struct gql_resolve_info *info, char **error)
{
    cJSON *s = site_named(service(info)->deps.sites, graphql_arg_string(info, "name"));
    return s ? s : cJSON_CreateNull();
}

static cJSON *resolve_activate_release(const struct gql_resolve_info *info, char **error)
{
    struct graphql_service *svc = service(info);
    const char *site = graphql_arg_string(info, "site");
    const char *release = graphql_arg_string(info, "release");
    cJSON *before = svc->deps.sites ? site_named(svc->deps.sites, site) : NULL;
    if (!before)
        return graphql_field_error(info, error, "ResourceNotFoundException",
                                   "There is no site named %s.", site ? site : "");
    cJSON_Delete(before);
    char err[1024] = "", id[64] = "";
    if (spa_release_rollback(svc->deps.sites, site, release, id, err, sizeof err) != 0)
        return graphql_field_error(info, error, "ValidationException",
                                   "Cannot activate the release: %s.", err);
    if (svc->deps.spa)
        spa_host_refresh(svc->deps.spa);
    log_info("graphql: site %s now serves release %s", site, id);
    return site_named(svc->deps.sites, site);
}

int graphql_resolvers_hosting_add(struct graphql_service *svc)
{
    static const struct graphql_resolver table[] = {
        {"Query", "functions", resolve_functions},
        {"Query", "function", resolve_function},
        {"Query", "sites", resolve_sites},
        {"Query", "site", resolve_site},
        {"Mutation", "activateRelease", resolve_activate_release},
    };
    return graphql_resolvers_set(svc, table, sizeof table / sizeof *table);
}
