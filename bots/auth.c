/*
 * Who may call the Lex runtime APIs: the config's "lex" section.
 *
 *   {"auth": "none"}     anyone (the default). SigV4-signed requests, as the
 *                        AWS SDKs send them, are accepted unchecked.
 *   {"auth": "apiKey", "apiKeysEnv": "NAME"}
 *                        the x-api-key header must hold one of the
 *                        comma-separated keys in environment variable NAME.
 *   {"auth": "sigv4", "accessKeyIdEnv": "ID", "secretAccessKeyEnv": "SECRET"}
 *                        the request must be SigV4-signed with those
 *                        credentials (any region, service "lex"), within 15
 *                        minutes of now: the SDKs' own signatures are checked
 *                        by recomputing them (common/sigv4.c).
 *
 * Secrets come from the environment only, never from the config file, and
 * never reach a log. Comparisons take the same time whatever matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bots/bots_internal.h"
#include "common/common.h"
#include "server/config.h"
#include "server/http.h"

enum auth_kind { AUTH_API_KEY, AUTH_SIGV4 };

struct lex_auth {
    enum auth_kind kind;
    char **keys; /* API keys */
    size_t nkeys;
    char *access_key, *secret_key;
};

static bool same(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < m; i++)
        diff |= (unsigned char)(b[i] ^ (i < n ? a[i] : 0));
    return diff == 0;
}

static const char *env_value(const cJSON *lex, const char *key, const char *path, char *err,
                             size_t errlen)
{
    const char *name = json_string(lex, key);
    const char *v = name ? getenv(name) : NULL;
    if (!v || !*v)
        snprintf(err, errlen, "%s: lex.%s: must name an environment variable that is set (%s)",
                 path, key, name ? "it is empty or unset" : "it is missing");
    return v && *v ? v : NULL;
}

int lex_auth_new(const struct parley_config *cfg, struct lex_auth **out, char *err, size_t errlen)
{
    *out = NULL;
    const cJSON *lex = cJSON_GetObjectItemCaseSensitive(cfg->doc, "lex");
    if (!lex)
        return 0;
    /* messageSeed belongs to the engine (engine.c); it is accepted here with the rest */
    static const char *const known[] = {
        "auth", "apiKeysEnv", "accessKeyIdEnv", "secretAccessKeyEnv", "messageSeed", "$comment"};
    for (const cJSON *k = lex->child; k; k = k->next) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok = ok || strcmp(k->string, known[i]) == 0;
        if (!ok) {
            snprintf(err, errlen,
                     "%s: lex.%s: unknown key (auth, apiKeysEnv, accessKeyIdEnv, "
                     "secretAccessKeyEnv, messageSeed)",
                     cfg->path, k->string);
            return -1;
        }
    }
    const char *auth = json_string(lex, "auth");
    if (!auth || strcmp(auth, "none") == 0)
        return 0;
    struct lex_auth *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    if (strcmp(auth, "apiKey") == 0) {
        a->kind = AUTH_API_KEY;
        const char *keys = env_value(lex, "apiKeysEnv", cfg->path, err, errlen);
        char *copy = keys ? strdup(keys) : NULL;
        for (char *save = NULL, *k = copy ? strtok_r(copy, ",", &save) : NULL; k;
             k = strtok_r(NULL, ",", &save)) {
            char **grown = realloc(a->keys, (a->nkeys + 1) * sizeof *grown);
            if (!grown)
                break;
            a->keys = grown;
            a->keys[a->nkeys++] = strdup(k);
        }
        free(copy);
        if (!a->nkeys) {
            lex_auth_free(a);
            return -1;
        }
    } else if (strcmp(auth, "sigv4") == 0) {
        a->kind = AUTH_SIGV4;
        const char *id = env_value(lex, "accessKeyIdEnv", cfg->path, err, errlen);
        const char *secret =
            id ? env_value(lex, "secretAccessKeyEnv", cfg->path, err, errlen) : NULL;
        if (!id || !secret) {
            lex_auth_free(a);
            return -1;
        }
        a->access_key = strdup(id);
        a->secret_key = strdup(secret);
    } else {
        snprintf(err, errlen, "%s: lex.auth: must be \"none\", \"apiKey\" or \"sigv4\"", cfg->path);
        lex_auth_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

void lex_auth_free(struct lex_auth *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nkeys; i++)
        free(a->keys[i]);
    free(a->keys);
    free(a->access_key);
    free(a->secret_key);
    free(a);
}

static int deny(const char **type, char *msg, size_t msglen, const char *t, const char *why)
{
    *type = t;
    snprintf(msg, msglen, "%s", why);
    return -1;
}

/* Splits "AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b,
 * Signature=HEX" into its parts (pointers into copy). */
struct authz {
    char *id, *date, *region, *service, *signed_headers, *signature;
};

static bool parse_authz(char *copy, struct authz *z)
{
    memset(z, 0, sizeof *z);
    if (strncmp(copy, "AWS4-HMAC-SHA256 ", 17) != 0)
        return false;
    for (char *save = NULL, *part = strtok_r(copy + 17, ",", &save); part;
         part = strtok_r(NULL, ",", &save)) {
        while (*part == ' ')
            part++;
        if (strncmp(part, "Credential=", 11) == 0) {
            char *save2 = NULL;
            z->id = strtok_r(part + 11, "/", &save2);
            z->date = strtok_r(NULL, "/", &save2);
            z->region = strtok_r(NULL, "/", &save2);
            z->service = strtok_r(NULL, "/", &save2);
            char *term = strtok_r(NULL, "/", &save2);
            if (!term || strcmp(term, "aws4_request") != 0)
                return false;
        } else if (strncmp(part, "SignedHeaders=", 14) == 0) {
            z->signed_headers = part + 14;
        } else if (strncmp(part, "Signature=", 10) == 0) {
            z->signature = part + 10;
        }
    }
    return z->id && z->date && z->region && z->service && z->signed_headers && z->signature;
}

static int64_t amz_time(const char *d)
{
    struct tm tm = {0};
    if (!d || strlen(d) != 16 || !strptime(d, "%Y%m%dT%H%M%SZ", &tm))
        return -1;
    return (int64_t)timegm(&tm);
}

static int check_sigv4(const struct lex_auth *a, struct http_request *req, const char **type,
                       char *msg, size_t msglen)
{
    const char *h = http_request_header(req, "Authorization");
    if (!h)
        return deny(type, msg, msglen, "MissingAuthenticationTokenException",
                    "This Parley requires SigV4-signed requests (no Authorization header).");
    char *copy = strdup(h);
    struct authz z;
    int rc = -1;
    struct sigv4_header hdrs[32];
    size_t n = 0;
    struct buf expected = BUF_INIT(4096);
    if (!copy || !parse_authz(copy, &z)) {
        deny(type, msg, msglen, "IncompleteSignatureException",
             "The Authorization header is not a SigV4 signature.");
        goto out;
    }
    if (!same(z.id, a->access_key)) {
        deny(type, msg, msglen, "UnrecognizedClientException",
             "The security token included in the request is invalid.");
        goto out;
    }
    const char *date = http_request_header(req, "X-Amz-Date");
    int64_t t = amz_time(date);
    int64_t now = time_now_ms() / 1000;
    if (t < 0 || t < now - 900 || t > now + 900 || strncmp(date, z.date, 8) != 0) {
        deny(type, msg, msglen, "InvalidSignatureException",
             "Signature expired or X-Amz-Date missing: the request must be signed within 15 "
             "minutes of now.");
        goto out;
    }
    for (char *save = NULL, *name = strtok_r(z.signed_headers, ";", &save); name && n < 32;
         name = strtok_r(NULL, ";", &save)) {
        /* HTTP/2 clients sign :authority; h2c.c hands it to the core as Host. */
        const char *v = http_request_header(req, strcmp(name, ":authority") ? name : "Host");
        if (!v) {
            char why[160];
            snprintf(why, sizeof why, "The signed header %.64s is missing from the request.", name);
            deny(type, msg, msglen, "IncompleteSignatureException", why);
            goto out;
        }
        hdrs[n++] = (struct sigv4_header){name, v};
    }
    size_t blen;
    const char *body = http_request_body(req, &blen);
    struct sigv4_request sr = {
        .method = http_request_method(req),
        .path = http_request_path(req),
        .query = http_request_raw_query(req),
        .headers = hdrs,
        .nheaders = n,
        .payload = body,
        .payload_len = blen,
        .region = z.region,
        .service = z.service,
        .access_key = a->access_key,
        .secret_key = a->secret_key,
        .amz_date = date,
        .double_encode = true,
    };
    if (sigv4_sign(&sr, &expected, NULL, NULL) != 0 || !expected.data) {
        deny(type, msg, msglen, "IncompleteSignatureException", "The request cannot be signed.");
        goto out;
    }
    const char *sig = strstr(expected.data, "Signature=");
    if (!sig || !same(sig + 10, z.signature)) {
        deny(type, msg, msglen, "InvalidSignatureException",
             "The request signature we calculated does not match the signature you provided.");
        goto out;
    }
    rc = 0;
out:
    buf_release(&expected);
    free(copy);
    return rc;
}

int lex_auth_check(const struct lex_auth *a, struct http_request *req, const char **type, char *msg,
                   size_t msglen)
{
    if (!a)
        return 0;
    if (a->kind == AUTH_SIGV4)
        return check_sigv4(a, req, type, msg, msglen);
    const char *key = http_request_header(req, "x-api-key");
    bool ok = false;
    for (size_t i = 0; key && i < a->nkeys; i++)
        ok |= same(key, a->keys[i]);
    return ok ? 0
              : deny(type, msg, msglen, "AccessDeniedException",
                     "This Parley requires an API key: send it in the x-api-key header.");
}
