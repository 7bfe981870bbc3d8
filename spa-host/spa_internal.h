/*
 * What the files of spa-host/ share among themselves (and with
 * tests/unit/test_spa_*.c); nothing else includes it.
 */
#ifndef PARLEY_SPA_INTERNAL_H
#define PARLEY_SPA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spa-host/spa.h"

#define SPA_PATH_MAX 1024    /* longest site path (decoded, without the leading '/') */
#define SPA_MAX_FILES 100000 /* per release */
#define SPA_MAX_DEPTH 32     /* folders deep */
#define SPA_ID_MAX 40

/* ---- site.c: the "sites" section ---- */

struct spa_header {
    char *name;
    char *value;
};

struct spa_cache_rule {
    char *glob; /* matched against the file name, or the whole path when it has a '/' */
    char *value;
};

struct spa_redirect {
    char *from;  /* "/old" exactly, or a prefix when written with a trailing star */
    char *to;    /* a '*' in it is replaced by what the prefix's '*' matched */
    int status;  /* 301, 302, 307, 308; 0 for a rewrite */
    bool prefix; /* from ends with '*' */
};

struct spa_site {
    char *name;
    char **hosts; /* lower case; "*.example.com" matches subdomains; none = any host */
    size_t nhosts;
    char *prefix;         /* "" for the root, else "/docs" (no trailing slash) */
    char *root;           /* folder deployed on first start when no release exists; may be NULL */
    char *index;          /* "index.html" */
    char *error_document; /* served with 404 when a file is missing; may be NULL */
    bool fallback;        /* SPA fallback to the index document for route-like paths */
    struct spa_cache_rule *cache;
    size_t ncache;
    struct spa_header *headers; /* extra response headers, defaults included */
    size_t nheaders;
    struct spa_redirect *redirects;
    size_t nredirects;
    struct spa_redirect *rewrites;
    size_t nrewrites;
    uint64_t memory_bytes;    /* per release: bodies cached in memory up to this total */
    uint64_t memory_file_max; /* files up to this size are cached */
    unsigned keep_releases;   /* older ones are pruned on deploy */
    char *dir;                /* DATA/sites/NAME */
};

struct spa_sites {
    struct spa_site *v;
    size_t n;
};

const struct spa_site *spa_site_find(const struct spa_sites *sites, const char *name);
/* The Cache-Control value for a site path (rules, then the built-in defaults). Borrowed. */
const char *spa_site_cache_control(const struct spa_site *site, const char *path);
/* True for fingerprinted names: app.3f9a2c.js, index-BXk3a9Q2.js, style.0123abcd.css. */
bool spa_path_fingerprinted(const char *path);
#define SPA_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define SPA_CACHE_REVALIDATE "no-cache"
#define SPA_DEFAULT_CSP                                                                            \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "                    \
    "form-action 'self'; frame-ancestors 'self'"

/* ---- mime.c ---- */

/* The Content-Type for a path by its extension; application/octet-stream when unknown. */
const char *spa_mime_type(const char *path);
/* Whether a type is worth compressing (text, JSON, JS, SVG, wasm, ...). */
bool spa_mime_compressible(const char *type);
/* The extension of the last segment ("js"), or NULL when it has none. */
const char *spa_path_extension(const char *path);

/* ---- compress.c: whole-buffer compression, output malloc'd (caller frees) ---- */

int spa_compress_gzip(const void *in, size_t len, char **out, size_t *outlen);
int spa_compress_brotli(const void *in, size_t len, char **out, size_t *outlen);

/* ---- resolve.c: request paths ---- */

enum spa_path_result {
    SPA_PATH_OK = 0,
    SPA_PATH_BAD = -1,    /* .., backslash, control characters, bad UTF-8: 400 */
    SPA_PATH_HIDDEN = -2, /* a dotfile or dot-folder: 404 */
    SPA_PATH_LONG = -3,   /* longer than SPA_PATH_MAX: 414 */
};

/*
 * Normalizes a decoded path (as the HTTP core decoded it, once) into out:
 * no leading '/', empty and "." segments dropped; a ".." segment, a
 * backslash, a control character or ill-formed UTF-8 (overlong forms,
 * surrogates) is SPA_PATH_BAD, a segment starting with '.' (except
 * ".well-known") SPA_PATH_HIDDEN. *trailing_slash tells whether it ended in '/'.
 */
enum spa_path_result spa_path_normalize(const char *decoded, char *out, size_t outlen,
                                        bool *trailing_slash);
/* Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
bool spa_utf8_valid(const char *s, size_t len);

/* ---- load.c: the in-memory release ---- */

enum spa_encoding { SPA_ENC_IDENTITY, SPA_ENC_GZIP, SPA_ENC_BR, SPA_ENC_COUNT };

struct spa_variant {
    bool present;
    uint64_t size;
    const char *data; /* cached body, or NULL */
    int fd;           /* kept open when not cached, or -1 (opened per request) */
    char *relpath;    /* relative to the release folder */
    char etag[48];    /* "<hash>", "<hash>-gz", "<hash>-br", quotes included */
};

struct spa_file {
    char *path; /* "assets/app.3f9a2c1b.js" */
    const char *content_type;
    const char *cache_control;
    char last_modified[32];
    int64_t mtime;
    struct spa_variant v[SPA_ENC_COUNT];
};

struct spa_release {
    atomic_int refs;
    char id[SPA_ID_MAX];
    const struct spa_site *site;
    int dirfd;
    struct spa_file *files;
    size_t nfiles;
    uint32_t *table; /* open addressing: file index + 1, 0 = empty */
    size_t table_mask;
    uint64_t cached_bytes;
    unsigned open_fds;
};

/* Reads DATA/sites/NAME/releases/ID into memory. The result has one reference. */
int spa_release_load(const struct spa_site *site, const char *id, struct spa_release **out,
                     char *err, size_t errlen);
void spa_release_ref(struct spa_release *rel);
void spa_release_unref(struct spa_release *rel);
const struct spa_file *spa_release_lookup(const struct spa_release *rel, const char *path);
/* Reads the release id that SITE's `current` link names into id (SPA_ID_MAX); -1 when none. */
int spa_release_current(const struct spa_site *site, char *id);
/* Opens relpath under dirfd read-only without following any symlink on the way; -1 on error. */
int spa_open_beneath(int dirfd, const char *relpath);
/* Whether a manifest path is acceptable (the rules of spa_path_normalize, already normal). */
bool spa_manifest_path_ok(const char *path);

/* ---- serve.c: negotiation helpers (pure functions, unit-tested) ---- */

/* Chooses among the encodings marked available by Accept-Encoding (may be NULL). */
enum spa_encoding spa_encoding_choose(const char *accept_encoding,
                                      const bool available[SPA_ENC_COUNT]);

enum spa_range_result { SPA_RANGE_NONE, SPA_RANGE_OK, SPA_RANGE_UNSATISFIABLE };
/* Parses a single "bytes=" range against size; multiple or malformed ranges are NONE. */
enum spa_range_result spa_range_parse(const char *header, uint64_t size, uint64_t *start,
                                      uint64_t *len);
/* Whether an If-None-Match list names etag (weak comparison; "*" matches). */
bool spa_etag_match(const char *list, const char *etag);
/* Parses an IMF-fixdate (RFC 9110 HTTP-date); -1 when malformed. */
int64_t spa_http_date_parse(const char *s);
void spa_http_date_format(int64_t secs, char out[32]);
/* Whether a missing path may get the SPA fallback: no extension, or Accept has text/html. */
bool spa_route_like(const char *path, const char *accept);

struct spa_host_site {
    const struct spa_site *site;
    pthread_mutex_t lock; /* guards active against a concurrent swap */
    struct spa_release *active;
    char failed_id[SPA_ID_MAX]; /* a target that failed to load; not retried until it changes */
};

struct spa_host {
    const struct spa_sites *sites;
    struct spa_host_site *v;
    size_t n;
    pthread_t watcher;
    bool watching;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    bool stop;
};

/* The handler for every site route (ud = the struct spa_host). */
struct http_request;
void spa_request_serve(struct http_request *req, void *ud);
/* Takes a reference to the site's active release; NULL when it has none. */
struct spa_release *spa_host_site_acquire(struct spa_host_site *hs);

#endif
