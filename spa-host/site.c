/*
 * The "sites" section of the config: each site's name, which requests it
 * answers (Host names and/or a path prefix), its documents, fallback, cache
 * rules, extra headers, redirects and rewrites.
 *
 * Everything is checked once, at load, key by key, so that a typo is an
 * error ("FILE: sites[0].cache[1].glob: must be a string") rather than a
 * setting silently ignored. The result is immutable; the serving side reads
 * it without locks.
 *
 * Cache-Control is chosen per file at activation: the site's own rules in
 * order (first match wins), then the built-in defaults: HTML "no-cache",
 * fingerprinted names "public, max-age=31536000, immutable", anything else
 * "no-cache" (always revalidated: with a strong ETag that is a cheap 304,
 * and a stale file can never stick in a cache).
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

struct ctx {
    const char *file;
    char *err;
    size_t errlen;
};

static int fail(struct ctx *c, const char *what, const char *keyfmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const char *what, const char *keyfmt, ...)
{
    char key[256];
    va_list ap;
    va_start(ap, keyfmt);
    vsnprintf(key, sizeof key, keyfmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s: %s", c->file, key, what);
    return -1;
}

static char *join(const char *dir, const char *path)
{
    struct buf b = BUF_INIT(4096);
    if (path[0] == '/' || !dir || !*dir)
        buf_puts(&b, path);
    else
        buf_printf(&b, "%s/%s", dir, path);
    return buf_detach(&b, NULL);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
              s[i] == '_'))
            return false;
    return true;
}

/* A header name token (RFC 9110) and a value without CR/LF. */
static bool valid_header(const char *name, const char *value)
{
    if (!*name)
        return false;
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("!#$%&'*+-.^_`|~", *p)))
            return false;
    for (const char *p = value; p && *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false;
    return true;
}

static int set_header(struct spa_site *s, const char *name, const char *value)
{
    for (size_t i = 0; i < s->nheaders; i++) {
        if (strcasecmp(s->headers[i].name, name) == 0) {
            free(s->headers[i].value);
            s->headers[i].value = value ? strdup(value) : NULL;
            return 0;
        }
    }
    struct spa_header *h = realloc(s->headers, (s->nheaders + 1) * sizeof *h);
    if (!h)
        return PARLEY_ENOMEM;
    s->headers = h;
    h[s->nheaders].name = strdup(name);
    h[s->nheaders].value = value ? strdup(value) : NULL;
    s->nheaders++;
    return 0;
}

static int get_string(struct ctx *c, const cJSON *obj, const char *key, size_t idx, char **out,
                      bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (required)
            return fail(c, "is required", "sites[%zu].%s", idx, key);
        return 0;
    }
    if (!cJSON_IsString(v) || !*v->valuestring)
        return fail(c, "must be a non-empty string", "sites[%zu].%s", idx, key);
    *out = strdup(v->valuestring);
    return 0;
}

static int get_uint(struct ctx *c, const cJSON *obj, const char *key, size_t idx, double min,
                    double max, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
        v->valuedouble < min || v->valuedouble > max) {
        char what[96];
        snprintf(what, sizeof what, "must be an integer from %.0f to %.0f", min, max);
        return fail(c, what, "sites[%zu].%s", idx, key);
    }
    *out = (uint64_t)v->valuedouble;
    return 0;
}

static int load_redirects(struct ctx *c, const cJSON *arr, size_t idx, const char *key,
                          bool rewrite, struct spa_redirect **out, size_t *n)
{
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return fail(c, "must be an array", "sites[%zu].%s", idx, key);
    size_t count = (size_t)cJSON_GetArraySize(arr);
    *out = calloc(count ? count : 1, sizeof **out);
    if (!*out)
        return fail(c, "out of memory", "sites[%zu].%s", idx, key);
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        if (!cJSON_IsObject(e))
            return fail(c, "must be an object", "sites[%zu].%s[%zu]", idx, key, i);
        for (const cJSON *k = e->child; k; k = k->next)
            if (strcmp(k->string, "from") && strcmp(k->string, "to") &&
                (rewrite || strcmp(k->string, "status")))
                return fail(c, "unknown key (see docs/spa-hosting.md)", "sites[%zu].%s[%zu].%s",
                            idx, key, i, k->string);
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(e, "from");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(e, "to");
        if (!cJSON_IsString(from) || from->valuestring[0] != '/')
            return fail(c, "must be a path starting with '/'", "sites[%zu].%s[%zu].from", idx, key,
                        i);
        size_t flen = strlen(from->valuestring);
        char *star = strchr(from->valuestring, '*');
        if (star && star != from->valuestring + flen - 1)
            return fail(c, "may contain '*' only at the end", "sites[%zu].%s[%zu].from", idx, key,
                        i);
        if (!cJSON_IsString(to) || !*to->valuestring || (rewrite && to->valuestring[0] != '/'))
            return fail(c,
                        rewrite ? "must be a path starting with '/'"
                                : "must be a path or an absolute URL",
                        "sites[%zu].%s[%zu].to", idx, key, i);
        for (const char *p = to->valuestring; *p; p++)
            if ((unsigned char)*p < 0x20)
                return fail(c, "must not contain control characters", "sites[%zu].%s[%zu].to", idx,
                            key, i);
        struct spa_redirect *r = &(*out)[i];
        r->status = rewrite ? 0 : 301;
        if (!rewrite) {
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "status");
            if (st) {
                int v = cJSON_IsNumber(st) ? st->valueint : 0;
                if (v != 301 && v != 302 && v != 303 && v != 307 && v != 308)
                    return fail(c, "must be 301, 302, 303, 307 or 308", "sites[%zu].%s[%zu].status",
                                idx, key, i);
                r->status = v;
            }
        }
        r->prefix = star != NULL;
        r->from = strndup(from->valuestring, star ? flen - 1 : flen);
        r->to = strdup(to->valuestring);
        (*n)++;
        if (!r->from || !r->to)
            return fail(c, "out of memory", "sites[%zu].%s", idx, key);
    }
    return 0;
}

static int load_site(struct ctx *c, const cJSON *o, size_t idx, const struct spa_config_source *src,
                     struct spa_site *s)
{
    static const char *known[] = {"name",
                                  "root",
                                  "hosts",
                                  "pathPrefix",
                                  "index",
                                  "errorDocument",
                                  "fallback",
                                  "cache",
                                  "headers",
                                  "redirects",
                                  "rewrites",
                                  "memoryCacheBytes",
                                  "memoryFileMaxBytes",
                                  "keepReleases",
                                  "$comment"};
    if (!cJSON_IsObject(o))
        return fail(c, "must be an object", "sites[%zu]", idx);
    for (const cJSON *k = o->child; k; k = k->next) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok = ok || strcmp(k->string, known[i]) == 0;
        if (!ok)
            return fail(c, "unknown key (see docs/spa-hosting.md)", "sites[%zu].%s", idx,
                        k->string);
    }
    if (get_string(c, o, "name", idx, &s->name, true))
        return -1;
    if (!valid_name(s->name))
        return fail(c, "must be 1-64 characters of a-z, 0-9, '-' and '_'", "sites[%zu].name", idx);
    char *root = NULL;
    if (get_string(c, o, "root", idx, &root, false))
        return -1;
    if (root) {
        s->root =
            src->resolve_path ? src->resolve_path(src->resolve_ud, root) : join(src->dir, root);
        free(root);
    }
    const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(o, "hosts");
    if (hosts) {
        if (!cJSON_IsArray(hosts))
            return fail(c, "must be an array of host names", "sites[%zu].hosts", idx);
        s->hosts = calloc((size_t)cJSON_GetArraySize(hosts) + 1, sizeof *s->hosts);
        size_t i = 0;
        for (const cJSON *h = hosts->child; h; h = h->next, i++) {
            if (!cJSON_IsString(h) || !*h->valuestring || strchr(h->valuestring, '/') ||
                strchr(h->valuestring, ' '))
                return fail(c, "must be a host name such as example.com or *.example.com",
                            "sites[%zu].hosts[%zu]", idx, i);
            char *lc = strdup(h->valuestring);
            for (char *p = lc; p && *p; p++)
                *p = (char)tolower((unsigned char)*p);
            s->hosts[s->nhosts++] = lc;
        }
    }
    char *prefix = NULL;
    if (get_string(c, o, "pathPrefix", idx, &prefix, false))
        return -1;
    if (prefix) {
        size_t n = strlen(prefix);
        while (n > 1 && prefix[n - 1] == '/')
            prefix[--n] = '\0';
        bool ok = prefix[0] == '/' && !strstr(prefix, "//") && !strstr(prefix, "/.") &&
                  !strchr(prefix, '%') && !strchr(prefix, '\\') && !strchr(prefix, '?');
        if (!ok) {
            free(prefix);
            return fail(c, "must be a path such as /docs (no '.', '%' or '?' segments)",
                        "sites[%zu].pathPrefix", idx);
        }
        if (strcmp(prefix, "/") == 0)
            prefix[0] = '\0';
        s->prefix = prefix;
    } else {
        s->prefix = strdup("");
    }
    if (get_string(c, o, "index", idx, &s->index, false))
        return -1;
    if (!s->index)
        s->index = strdup("index.html");
    if (strchr(s->index, '/') || s->index[0] == '.')
        return fail(c, "must be a file name such as index.html", "sites[%zu].index", idx);
    if (get_string(c, o, "errorDocument", idx, &s->error_document, false))
        return -1;
    if (s->error_document) {
        char norm[SPA_PATH_MAX];
        bool slash;
        const char *e = s->error_document[0] == '/' ? s->error_document + 1 : s->error_document;
        if (spa_path_normalize(e, norm, sizeof norm, &slash) != SPA_PATH_OK || slash || !*norm)
            return fail(c, "must be a file of the site such as 404.html",
                        "sites[%zu].errorDocument", idx);
        free(s->error_document);
        s->error_document = strdup(norm);
    }
    s->fallback = true;
    const cJSON *fb = cJSON_GetObjectItemCaseSensitive(o, "fallback");
    if (fb) {
        if (!cJSON_IsBool(fb))
            return fail(c, "must be true or false", "sites[%zu].fallback", idx);
        s->fallback = cJSON_IsTrue(fb);
    }
    const cJSON *cache = cJSON_GetObjectItemCaseSensitive(o, "cache");
    if (cache) {
        if (!cJSON_IsArray(cache))
            return fail(c, "must be an array of {glob, value}", "sites[%zu].cache", idx);
        s->cache = calloc((size_t)cJSON_GetArraySize(cache) + 1, sizeof *s->cache);
        size_t i = 0;
        for (const cJSON *r = cache->child; r; r = r->next, i++) {
            if (!cJSON_IsObject(r))
                return fail(c, "must be an object {glob, value}", "sites[%zu].cache[%zu]", idx, i);
            for (const cJSON *k = r->child; k; k = k->next)
                if (strcmp(k->string, "glob") && strcmp(k->string, "value"))
                    return fail(c, "unknown key (expected glob and value)",
                                "sites[%zu].cache[%zu].%s", idx, i, k->string);
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(r, "glob");
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "value");
            if (!cJSON_IsString(g) || !*g->valuestring)
                return fail(c, "must be a string", "sites[%zu].cache[%zu].glob", idx, i);
            if (!cJSON_IsString(v) || !*v->valuestring ||
                !valid_header("Cache-Control", v->valuestring))
                return fail(c, "must be a Cache-Control value such as \"no-cache\"",
                            "sites[%zu].cache[%zu].value", idx, i);
            s->cache[i].glob = strdup(g->valuestring);
            s->cache[i].value = strdup(v->valuestring);
            s->ncache++;
        }
    }
    /* Security headers by default; the site's "headers" add to them, null removes one. */
    set_header(s, "X-Content-Type-Options", "nosniff");
    set_header(s, "Referrer-Policy", "strict-origin-when-cross-origin");
    set_header(s, "Content-Security-Policy", SPA_DEFAULT_CSP);
    const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(o, "headers");
    if (hdrs) {
        if (!cJSON_IsObject(hdrs))
            return fail(c, "must be an object of header names to values", "sites[%zu].headers",
                        idx);
        for (const cJSON *h = hdrs->child; h; h = h->next) {
            static const char *reserved[] = {
                "content-length", "content-type",  "content-range", "content-encoding",
                "etag",           "last-modified", "vary",          "transfer-encoding",
                "connection",     "cache-control"};
            if (!cJSON_IsNull(h) && !cJSON_IsString(h))
                return fail(c, "must be a string, or null to remove a default",
                            "sites[%zu].headers.%s", idx, h->string);
            if (!valid_header(h->string, cJSON_IsString(h) ? h->valuestring : NULL))
                return fail(c, "is not a valid header name and value", "sites[%zu].headers.%s", idx,
                            h->string);
            for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
                if (strcasecmp(h->string, reserved[i]) == 0)
                    return fail(c, "is set by the server (use \"cache\" rules for Cache-Control)",
                                "sites[%zu].headers.%s", idx, h->string);
            set_header(s, h->string, cJSON_IsString(h) ? h->valuestring : NULL);
        }
    }
    if (load_redirects(c, cJSON_GetObjectItemCaseSensitive(o, "redirects"), idx, "redirects", false,
                       &s->redirects, &s->nredirects))
        return -1;
    if (load_redirects(c, cJSON_GetObjectItemCaseSensitive(o, "rewrites"), idx, "rewrites", true,
                       &s->rewrites, &s->nrewrites))
        return -1;
    s->memory_bytes = 64u << 20;
    s->memory_file_max = 256u << 10;
    s->keep_releases = 10;
    uint64_t keep = s->keep_releases;
    if (get_uint(c, o, "memoryCacheBytes", idx, 0, 68719476736.0, &s->memory_bytes) ||
        get_uint(c, o, "memoryFileMaxBytes", idx, 0, 1073741824.0, &s->memory_file_max) ||
        get_uint(c, o, "keepReleases", idx, 1, 1000, &keep))
        return -1;
    s->keep_releases = (unsigned)keep;
    struct buf d = BUF_INIT(4096);
    buf_printf(&d, "%s/sites/%s", src->data_dir, s->name);
    s->dir = buf_detach(&d, NULL);
    if (!s->name || !s->prefix || !s->index || !s->dir)
        return fail(c, "out of memory", "sites[%zu]", idx);
    return 0;
}

static void site_release(struct spa_site *s)
{
    free(s->name);
    for (size_t i = 0; i < s->nhosts; i++)
        free(s->hosts[i]);
    free(s->hosts);
    free(s->prefix);
    free(s->root);
    free(s->index);
    free(s->error_document);
    for (size_t i = 0; i < s->ncache; i++) {
        free(s->cache[i].glob);
        free(s->cache[i].value);
    }
    free(s->cache);
    for (size_t i = 0; i < s->nheaders; i++) {
        free(s->headers[i].name);
        free(s->headers[i].value);
    }
    free(s->headers);
    for (size_t i = 0; i < s->nredirects; i++) {
        free(s->redirects[i].from);
        free(s->redirects[i].to);
    }
    free(s->redirects);
    for (size_t i = 0; i < s->nrewrites; i++) {
        free(s->rewrites[i].from);
        free(s->rewrites[i].to);
    }
    free(s->rewrites);
    free(s->dir);
}

int spa_sites_load(const struct spa_config_source *src, struct spa_sites **out, char *err,
                   size_t errlen)
{
    struct ctx c = {src->file ? src->file : "(config)", err, errlen};
    struct spa_sites *sites = calloc(1, sizeof *sites);
    *out = NULL;
    if (!sites)
        return fail(&c, "out of memory", "sites");
    if (src->sites && !cJSON_IsArray(src->sites)) {
        free(sites);
        return fail(&c, "must be an array", "sites");
    }
    size_t n = src->sites ? (size_t)cJSON_GetArraySize(src->sites) : 0;
    sites->v = calloc(n ? n : 1, sizeof *sites->v);
    if (!sites->v) {
        free(sites);
        return fail(&c, "out of memory", "sites");
    }
    size_t i = 0;
    for (const cJSON *o = src->sites ? src->sites->child : NULL; o; o = o->next, i++) {
        sites->n++;
        if (load_site(&c, o, i, src, &sites->v[i]))
            goto bad;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(sites->v[j].name, sites->v[i].name) == 0) {
                fail(&c, "is the name of another site", "sites[%zu].name", i);
                goto bad;
            }
            /* Two sites answering the same requests would make one of them unreachable. */
            bool same_hosts = sites->v[j].nhosts == sites->v[i].nhosts;
            for (size_t h = 0; same_hosts && h < sites->v[i].nhosts; h++)
                same_hosts = strcmp(sites->v[j].hosts[h], sites->v[i].hosts[h]) == 0;
            if (same_hosts && strcmp(sites->v[j].prefix, sites->v[i].prefix) == 0) {
                fail(&c, "answers the same hosts and path prefix as another site",
                     "sites[%zu].pathPrefix", i);
                goto bad;
            }
        }
    }
    *out = sites;
    return 0;
bad:
    spa_sites_free(sites);
    return -1;
}

void spa_sites_free(struct spa_sites *sites)
{
    if (!sites)
        return;
    for (size_t i = 0; i < sites->n; i++)
        site_release(&sites->v[i]);
    free(sites->v);
    free(sites);
}

size_t spa_sites_count(const struct spa_sites *sites)
{
    return sites ? sites->n : 0;
}

int spa_site_info(const struct spa_sites *sites, size_t i, struct spa_site_info *out)
{
    if (!sites || i >= sites->n)
        return PARLEY_ENOTFOUND;
    out->name = sites->v[i].name;
    out->root = sites->v[i].root;
    out->path_prefix = *sites->v[i].prefix ? sites->v[i].prefix : "/";
    return 0;
}

const struct spa_site *spa_site_find(const struct spa_sites *sites, const char *name)
{
    for (size_t i = 0; sites && i < sites->n; i++)
        if (strcmp(sites->v[i].name, name) == 0)
            return &sites->v[i];
    return NULL;
}

/* One component of a file name is a content hash. */
static bool hashlike(const char *s, size_t n)
{
    if (n < 6 || n > 64)
        return false;
    bool hex = true, digit = false, upper = false, lower = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isalnum(ch) || ch == '_'))
            return false;
        digit = digit || isdigit(ch);
        upper = upper || isupper(ch);
        lower = lower || islower(ch);
        hex = hex && isxdigit(ch);
    }
    if (hex && digit)
        return true;
    return n >= 8 && digit && upper && lower; /* base64url-style hashes (Vite, esbuild) */
}

bool spa_path_fingerprinted(const char *path)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    const char *ext = strrchr(name, '.');
    if (!ext || ext == name)
        return false;
    /* Components of the name before the extension, split on '.' and '-'. */
    const char *p = name;
    while (p < ext) {
        const char *q = p;
        while (q < ext && *q != '.' && *q != '-')
            q++;
        if (p != name && hashlike(p, (size_t)(q - p)))
            return true;
        p = q + 1;
    }
    return false;
}

const char *spa_site_cache_control(const struct spa_site *site, const char *path)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    for (size_t i = 0; i < site->ncache; i++) {
        const struct spa_cache_rule *r = &site->cache[i];
        bool whole = strchr(r->glob, '/') != NULL;
        const char *g = whole && r->glob[0] == '/' ? r->glob + 1 : r->glob;
        if (fnmatch(g, whole ? path : name, whole ? FNM_PATHNAME : 0) == 0)
            return r->value;
    }
    const char *ext = spa_path_extension(path);
    if (ext && (strcasecmp(ext, "html") == 0 || strcasecmp(ext, "htm") == 0))
        return SPA_CACHE_REVALIDATE;
    if (spa_path_fingerprinted(path))
        return SPA_CACHE_IMMUTABLE;
    return SPA_CACHE_REVALIDATE;
}
