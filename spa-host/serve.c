/*
 * Serving a request from the active release: GET and HEAD only.
 *
 * The order follows RFC 9110: pick the site (Host, then the longest path
 * prefix), decode-once-and-confine the path (resolve.c), apply redirects and
 * rewrites, look the file up in the release's table, and only when it is
 * missing consider the SPA fallback, which applies to route-like paths (no
 * extension, or an extension that is not a known asset type with
 * Accept: text/html) and serves the index document with the index's own
 * (HTML) cache policy. A missing .js, .css or image is always a real 404.
 *
 * Then the preconditions (If-Match, If-Unmodified-Since → 412; If-None-Match,
 * else If-Modified-Since → 304), the content coding (Accept-Encoding with
 * q-values among the variants the deploy made: br, gzip, identity;
 * Vary: Accept-Encoding always), and Range/If-Range (one range → 206,
 * unsatisfiable → 416, several → the whole file; ranges always apply to the
 * identity coding). Cache-Control is the served file's, chosen at load.
 *
 * The body is either a slice of the release's memory (no copy: the response
 * holds a reference to the release until libmicrohttpd has sent it) or a
 * dup of the file's open descriptor (zero-copy sendfile). No disk metadata
 * is looked up on this path.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "server/http.h"
#include "spa-host/spa_internal.h"

/* ---- negotiation helpers ---- */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

enum spa_encoding spa_encoding_choose(const char *ae, const bool available[SPA_ENC_COUNT])
{
    if (!ae)
        return SPA_ENC_IDENTITY;
    double q[SPA_ENC_COUNT] = {-1, -1, -1}; /* -1 = not named */
    double star = -1;
    const char *p = ae;
    while (*p) {
        p = skip_ws(p);
        const char *tok = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t toklen = (size_t)(p - tok);
        double qv = 1.0;
        p = skip_ws(p);
        while (*p == ';') {
            p = skip_ws(p + 1);
            if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                char *end;
                qv = strtod(p + 2, &end);
                if (end == p + 2 || qv < 0 || qv > 1)
                    qv = 0; /* a malformed weight never makes a coding preferred */
                p = end;
            }
            while (*p && *p != ',' && *p != ';')
                p++;
        }
        while (*p && *p != ',')
            p++;
        if (*p == ',')
            p++;
        if (toklen == 2 && strncasecmp(tok, "br", 2) == 0)
            q[SPA_ENC_BR] = qv;
        else if ((toklen == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
                 (toklen == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
            q[SPA_ENC_GZIP] = qv;
        else if (toklen == 8 && strncasecmp(tok, "identity", 8) == 0)
            q[SPA_ENC_IDENTITY] = qv;
        else if (toklen == 1 && tok[0] == '*')
            star = qv;
    }
    for (int e = SPA_ENC_GZIP; e < SPA_ENC_COUNT; e++)
        if (q[e] < 0)
            q[e] = star < 0 ? 0 : star;
    if (q[SPA_ENC_IDENTITY] < 0)
        q[SPA_ENC_IDENTITY] = star == 0 ? 0 : 0.001; /* acceptable unless refused (RFC 9110) */
    enum spa_encoding best = SPA_ENC_IDENTITY;
    double bestq = 0;
    static const enum spa_encoding order[] = {SPA_ENC_BR, SPA_ENC_GZIP, SPA_ENC_IDENTITY};
    for (size_t i = 0; i < 3; i++) {
        enum spa_encoding e = order[i];
        if (available[e] && q[e] > bestq) {
            best = e;
            bestq = q[e];
        }
    }
    return best; /* nothing acceptable: identity anyway, rather than a 406 */
}

static bool parse_u64(const char **pp, uint64_t *out)
{
    const char *p = *pp;
    if (!isdigit((unsigned char)*p))
        return false;
    uint64_t v = 0;
    while (isdigit((unsigned char)*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        p++;
    }
    *pp = p;
    *out = v;
    return true;
}

enum spa_range_result spa_range_parse(const char *h, uint64_t size, uint64_t *start, uint64_t *len)
{
    if (!h || strncasecmp(h, "bytes", 5) != 0)
        return SPA_RANGE_NONE;
    const char *p = skip_ws(h + 5);
    if (*p != '=' || strchr(p, ','))
        return SPA_RANGE_NONE; /* several ranges: the whole file is a valid answer */
    p = skip_ws(p + 1);
    uint64_t a, b;
    if (*p == '-') {
        p++;
        if (!parse_u64(&p, &b) || *skip_ws(p))
            return SPA_RANGE_NONE;
        if (b == 0 || size == 0)
            return SPA_RANGE_UNSATISFIABLE;
        if (b > size)
            b = size;
        *start = size - b;
        *len = b;
        return SPA_RANGE_OK;
    }
    if (!parse_u64(&p, &a) || *p != '-')
        return SPA_RANGE_NONE;
    p++;
    bool has_end = isdigit((unsigned char)*p);
    if (has_end && !parse_u64(&p, &b))
        return SPA_RANGE_NONE;
    if (*skip_ws(p))
        return SPA_RANGE_NONE;
    if (has_end && b < a)
        return SPA_RANGE_NONE;
    if (a >= size)
        return SPA_RANGE_UNSATISFIABLE;
    if (!has_end || b >= size)
        b = size - 1;
    *start = a;
    *len = b - a + 1;
    return SPA_RANGE_OK;
}

bool spa_etag_match(const char *list, const char *etag)
{
    if (!list)
        return false;
    const char *p = list;
    size_t elen = strlen(etag);
    while (*p) {
        p = skip_ws(p);
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        const char *start = p;
        if (*p == '"') {
            p++;
            while (*p && *p != '"')
                p++;
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',')
                p++;
        }
        if ((size_t)(p - start) == elen && memcmp(start, etag, elen) == 0)
            return true;
        while (*p && *p != ',')
            p++;
        if (*p == ',')
            p++;
    }
    return false;
}

int64_t spa_http_date_parse(const char *s)
{
    if (!s)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *skip_ws(end))
        return -1;
    return (int64_t)timegm(&tm);
}

void spa_http_date_format(int64_t secs, char out[32])
{
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

bool spa_route_like(const char *path, const char *accept)
{
    const char *ext = spa_path_extension(path);
    if (!ext)
        return true;
    const char *type = spa_mime_type(path);
    if (strcmp(type, "application/octet-stream") != 0 && strncmp(type, "text/html", 9) != 0)
        return false; /* a known asset type: a missing one is a real 404 */
    return accept && strstr(accept, "text/html") != NULL;
}

/* ---- answering ---- */

static void add_site_headers(struct http_response *r, const struct spa_site *site)
{
    for (size_t i = 0; i < site->nheaders; i++)
        if (site->headers[i].value)
            http_response_header(r, site->headers[i].name, site->headers[i].value);
}

static void respond_text(struct http_request *req, const struct spa_site *site, int status,
                         const char *msg, const char *extra_name, const char *extra_value)
{
    struct http_response *r = http_response_new(status);
    if (!r) {
        http_respond(req, NULL);
        return;
    }
    http_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    http_response_header(r, "Cache-Control", "no-cache");
    if (extra_name)
        http_response_header(r, extra_name, extra_value);
    if (site)
        add_site_headers(r, site);
    http_response_body(r, msg, strlen(msg));
    http_respond(req, r);
}

static void release_done(void *cls)
{
    spa_release_unref(cls);
}

/* Opens a variant that is neither cached nor kept open (past the descriptor budget). */
static int open_variant(const struct spa_release *rel, const struct spa_variant *v)
{
    if (v->fd >= 0)
        return fcntl(v->fd, F_DUPFD_CLOEXEC, 0);
    return spa_open_beneath(rel->dirfd, v->relpath); /* no symlink on the way, as at load */
}

/*
 * Answers with file. status is 200 for a file or the fallback, 404 for the
 * error document (no preconditions or ranges then).
 */
static void serve_file(struct http_request *req, struct spa_release *rel, const struct spa_file *f,
                       int status)
{
    const struct spa_site *site = rel->site;
    bool is_get = strcmp(http_request_method(req), "GET") == 0;
    const char *range = status == 200 && is_get ? http_request_header(req, "Range") : NULL;
    bool avail[SPA_ENC_COUNT];
    for (int e = 0; e < SPA_ENC_COUNT; e++)
        avail[e] = f->v[e].present;
    enum spa_encoding enc =
        range ? SPA_ENC_IDENTITY
              : spa_encoding_choose(http_request_header(req, "Accept-Encoding"), avail);
    const struct spa_variant *v = &f->v[enc];

    int code = status;
    uint64_t start = 0, len = v->size;
    if (status == 200) {
        const char *im = http_request_header(req, "If-Match");
        const char *ius = http_request_header(req, "If-Unmodified-Since");
        const char *inm = http_request_header(req, "If-None-Match");
        const char *ims = http_request_header(req, "If-Modified-Since");
        bool any_tag = false;
        if (im) {
            for (int e = 0; e < SPA_ENC_COUNT; e++)
                any_tag = any_tag || (f->v[e].present && spa_etag_match(im, f->v[e].etag) &&
                                      strncmp(skip_ws(im), "W/", 2) != 0);
            if (!any_tag)
                code = 412;
        } else if (ius) {
            int64_t t = spa_http_date_parse(ius);
            if (t >= 0 && f->mtime > t)
                code = 412;
        }
        if (code == 200 && inm) {
            for (int e = 0; e < SPA_ENC_COUNT; e++)
                if (f->v[e].present && spa_etag_match(inm, f->v[e].etag))
                    code = 304;
        } else if (code == 200 && ims) {
            int64_t t = spa_http_date_parse(ims);
            if (t >= 0 && f->mtime <= t)
                code = 304;
        }
        if (code == 200 && range) {
            const char *ir = http_request_header(req, "If-Range");
            bool honour = true;
            if (ir) {
                ir = skip_ws(ir);
                if (ir[0] == '"')
                    honour = strcmp(ir, v->etag) == 0; /* strong comparison */
                else
                    honour = strcmp(ir, f->last_modified) == 0;
            }
            if (honour) {
                switch (spa_range_parse(range, v->size, &start, &len)) {
                case SPA_RANGE_OK:
                    code = 206;
                    break;
                case SPA_RANGE_UNSATISFIABLE:
                    code = 416;
                    break;
                case SPA_RANGE_NONE:
                    break;
                }
            }
        }
    }

    struct http_response *r = http_response_new(code);
    if (!r) {
        spa_release_unref(rel);
        http_respond(req, NULL);
        return;
    }
    if (code == 412 || code == 416) {
        char cr[64];
        snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)v->size);
        http_response_header(r, "Content-Type", "text/plain; charset=utf-8");
        if (code == 416)
            http_response_header(r, "Content-Range", cr);
        add_site_headers(r, site);
        const char *msg = code == 416 ? "The range is outside the file.\n"
                                      : "The file has changed (a precondition failed).\n";
        http_response_body(r, msg, strlen(msg));
        spa_release_unref(rel);
        http_respond(req, r);
        return;
    }
    if (code != 304)
        http_response_header(r, "Content-Type", f->content_type);
    http_response_header(r, "Cache-Control", status == 404 ? "no-cache" : f->cache_control);
    if (status != 404) {
        http_response_header(r, "ETag", v->etag);
        http_response_header(r, "Last-Modified", f->last_modified);
    }
    http_response_header(r, "Vary", "Accept-Encoding");
    if (enc == SPA_ENC_GZIP)
        http_response_header(r, "Content-Encoding", "gzip");
    else if (enc == SPA_ENC_BR)
        http_response_header(r, "Content-Encoding", "br");
    if (code != 304 && status == 200)
        http_response_header(r, "Accept-Ranges", "bytes");
    if (code == 206) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)start,
                 (unsigned long long)(start + len - 1), (unsigned long long)v->size);
        http_response_header(r, "Content-Range", cr);
    }
    add_site_headers(r, site);
    if (code == 304) {
        spa_release_unref(rel);
        http_respond(req, r);
        return;
    }
    if (v->data) {
        /* The release stays alive until libmicrohttpd has sent these bytes. */
        http_response_body_ref(r, v->data + start, (size_t)len, release_done, rel);
        http_respond(req, r);
        return;
    }
    int fd = open_variant(rel, v);
    spa_release_unref(rel);
    if (fd < 0) {
        http_response_free(r);
        http_respond_error(req, 500, NULL, "The file %s cannot be opened; the release is damaged.",
                           f->path);
        return;
    }
    http_response_body_fd(r, fd, start, len);
    http_respond(req, r);
}

/* Lower-cased Host without its port; "" when absent. */
static void request_host(struct http_request *req, char *out, size_t outlen)
{
    const char *h = http_request_header(req, "Host");
    size_t o = 0;
    out[0] = '\0';
    if (!h)
        return;
    const char *end = h + strlen(h);
    if (h[0] == '[') {
        const char *close = strchr(h, ']');
        end = close ? close + 1 : end;
    } else {
        const char *colon = strchr(h, ':');
        end = colon ? colon : end;
    }
    for (const char *p = h; p < end && o + 1 < outlen; p++)
        out[o++] = (char)tolower((unsigned char)*p);
    out[o] = '\0';
}

static bool host_matches(const struct spa_site *s, const char *host)
{
    for (size_t i = 0; i < s->nhosts; i++) {
        const char *pat = s->hosts[i];
        if (pat[0] == '*' && pat[1] == '.') {
            size_t hl = strlen(host), pl = strlen(pat + 1);
            if (hl > pl && strcmp(host + hl - pl, pat + 1) == 0)
                return true;
        } else if (strcmp(pat, host) == 0) {
            return true;
        }
    }
    return false;
}

/* The site for host and a normalized path; *rest points past its prefix. */
static struct spa_host_site *pick_site(struct spa_host *host, const char *hostname,
                                       const char *norm, const char **rest, bool *at_prefix)
{
    struct spa_host_site *best = NULL;
    size_t best_score = 0;
    for (size_t i = 0; i < host->n; i++) {
        const struct spa_site *s = host->v[i].site;
        size_t score = 1;
        if (s->nhosts) {
            if (!host_matches(s, hostname))
                continue;
            score += 1u << 20;
        }
        size_t pl = strlen(s->prefix);
        if (pl) {
            const char *pre = s->prefix + 1; /* no leading '/' */
            size_t n = pl - 1;
            if (strncmp(norm, pre, n) != 0 || (norm[n] != '\0' && norm[n] != '/'))
                continue;
            score += pl;
        }
        if (score > best_score) {
            best = &host->v[i];
            best_score = score;
        }
    }
    if (best) {
        size_t pl = strlen(best->site->prefix);
        const char *r = pl ? norm + pl - 1 : norm;
        *at_prefix = pl && *r == '\0';
        *rest = *r == '/' ? r + 1 : r;
    }
    return best;
}

/* Appends a decoded path percent-encoded for a Location header (RFC 3986 path characters kept). */
static void buf_path_encode(struct buf *b, const char *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~/!$&'()*+,;=:@", *p)) {
            buf_append(b, p, 1);
        } else {
            char esc[3] = {'%', hexd[*p >> 4], hexd[*p & 15]};
            buf_append(b, esc, 3);
        }
    }
}

/* The first redirect or rewrite whose "from" matches "/" + path; fills out with the target. */
static const struct spa_redirect *match_rule(const struct spa_redirect *rules, size_t n,
                                             const char *path, bool slash, char *out, size_t outlen)
{
    if (n == 0)
        return NULL;
    char full[SPA_PATH_MAX + 4];
    snprintf(full, sizeof full, "/%s%s", path, slash && *path ? "/" : "");
    for (size_t i = 0; i < n; i++) {
        const struct spa_redirect *r = &rules[i];
        size_t fl = strlen(r->from);
        const char *splat = NULL;
        if (r->prefix) {
            if (strncmp(full, r->from, fl) != 0)
                continue;
            splat = full + fl;
        } else if (strcmp(full, r->from) != 0) {
            continue;
        }
        struct buf b = BUF_INIT(outlen - 1);
        for (const char *p = r->to; *p; p++) {
            if (*p == '*' && splat && r->status)
                buf_path_encode(&b, splat); /* a redirect: the Location is a URL */
            else if (*p == '*' && splat)
                buf_puts(&b, splat); /* a rewrite: a site path, normalized again */
            else
                buf_append(&b, p, 1);
        }
        snprintf(out, outlen, "%s", b.data ? b.data : "");
        buf_release(&b);
        return r;
    }
    return NULL;
}

static const struct spa_file *lookup_index(const struct spa_release *rel, const char *dir)
{
    char p[SPA_PATH_MAX + 64];
    if (*dir)
        snprintf(p, sizeof p, "%s/%s", dir, rel->site->index);
    else
        snprintf(p, sizeof p, "%s", rel->site->index);
    return spa_release_lookup(rel, p);
}

void spa_request_serve(struct http_request *req, void *ud)
{
    struct spa_host *host = ud;
    const char *method = http_request_method(req);
    const char *decoded = http_request_param(req, "path");
    char norm[SPA_PATH_MAX + 1];
    bool slash = false;
    enum spa_path_result pr = spa_path_normalize(decoded ? decoded : "", norm, sizeof norm, &slash);
    if (pr == SPA_PATH_BAD) {
        respond_text(req, NULL, 400,
                     "The path is not allowed (.., a backslash, a control character or "
                     "ill-formed UTF-8).\n",
                     NULL, NULL);
        return;
    }
    if (pr == SPA_PATH_LONG) {
        respond_text(req, NULL, 414, "The path is too long.\n", NULL, NULL);
        return;
    }
    char hostname[256];
    request_host(req, hostname, sizeof hostname);
    const char *rest = NULL;
    bool at_prefix = false;
    struct spa_host_site *hs = pick_site(host, hostname, norm, &rest, &at_prefix);
    if (!hs) {
        respond_text(req, NULL, 404, "No site answers this host and path.\n", NULL, NULL);
        return;
    }
    const struct spa_site *site = hs->site;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "The method %s is not allowed on a static site; use GET or HEAD.\n", method);
        respond_text(req, site, 405, msg, "Allow", "GET, HEAD");
        return;
    }
    if (pr == SPA_PATH_HIDDEN) {
        respond_text(req, site, 404, "Not found.\n", NULL, NULL);
        return;
    }
    char target[SPA_PATH_MAX + 64];
    if (at_prefix && !slash) {
        snprintf(target, sizeof target, "%s/", site->prefix);
        respond_text(req, site, 301, "Moved.\n", "Location", target);
        return;
    }
    const struct spa_redirect *rd =
        match_rule(site->redirects, site->nredirects, rest, slash, target, sizeof target);
    if (rd) {
        char loc[SPA_PATH_MAX + 128];
        bool absolute = target[0] != '/' || target[1] == '/';
        snprintf(loc, sizeof loc, "%s%s", absolute ? "" : site->prefix, target);
        respond_text(req, site, rd->status, "Moved.\n", "Location", loc);
        return;
    }
    char rewritten[SPA_PATH_MAX + 1];
    if (match_rule(site->rewrites, site->nrewrites, rest, slash, target, sizeof target)) {
        if (spa_path_normalize(target, rewritten, sizeof rewritten, &slash) != SPA_PATH_OK) {
            respond_text(req, site, 404, "Not found.\n", NULL, NULL);
            return;
        }
        rest = rewritten;
    }

    struct spa_release *rel = spa_host_site_acquire(hs);
    if (!rel) {
        respond_text(req, site, 503,
                     "This site has no release yet; run: parley deploy SITE FOLDER\n", NULL, NULL);
        return;
    }
    const struct spa_file *f = NULL;
    if (*rest == '\0' || slash) {
        f = lookup_index(rel, rest);
    } else {
        f = spa_release_lookup(rel, rest);
        if (!f && lookup_index(rel, rest)) {
            /* A folder with an index document: to its canonical URL with a slash. */
            spa_release_unref(rel);
            struct buf loc = BUF_INIT(sizeof target - 1);
            buf_printf(&loc, "%s/", site->prefix);
            buf_path_encode(&loc, rest);
            buf_puts(&loc, "/");
            respond_text(req, site, 301, "Moved.\n", "Location", loc.data ? loc.data : "/");
            buf_release(&loc);
            return;
        }
    }
    if (f) {
        serve_file(req, rel, f, 200);
        return;
    }
    if (site->fallback && spa_route_like(rest, http_request_header(req, "Accept"))) {
        f = lookup_index(rel, "");
        if (f) {
            serve_file(req, rel, f, 200); /* the index's own (HTML) cache policy */
            return;
        }
    }
    if (site->error_document && (f = spa_release_lookup(rel, site->error_document))) {
        serve_file(req, rel, f, 404);
        return;
    }
    spa_release_unref(rel);
    respond_text(req, site, 404, "Not found.\n", NULL, NULL);
}
