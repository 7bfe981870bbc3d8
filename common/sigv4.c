/*
 * AWS Signature Version 4, over OpenSSL's EVP digests and HMAC.
 *
 *   canonical request = METHOD \n canonical URI \n canonical query \n
 *                       lowercase-name:trimmed-value\n ... \n signed;headers \n hex(sha256(body))
 *   string to sign    = AWS4-HMAC-SHA256 \n amz-date \n date/region/service/aws4_request \n
 *                       hex(sha256(canonical request))
 *   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service),
 *                            "aws4_request")
 *
 * The canonical URI of every service but S3 is the path as sent, URI-encoded
 * once more ("double encoding": an ARN's %3A becomes %253A), which is what
 * the AWS SDKs do; query parameters are decoded, re-encoded strictly and
 * sorted. Checked against the AWS SigV4 test suite in tests/unit/test_sigv4.c.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/common.h"

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex(md, n, out);
}

static void hmac(const void *key, size_t keylen, const char *msg, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, len, out, &n);
}

void sigv4_amz_date(int64_t t, char out[17])
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static int uri_encode(struct buf *b, const char *s, size_t len, bool keep_slash)
{
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/'))
            rc = buf_append(b, &s[i], 1);
        else
            rc = buf_printf(b, "%%%02X", c);
    }
    return rc;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) into a malloc'd string ('+' stays '+', as AWS does). */
static char *decode(const char *s, size_t len, size_t *outlen)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

struct qparam {
    char *key; /* encoded */
    char *value;
};

static int qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static int canonical_query(struct buf *out, const char *query)
{
    if (!query || !*query)
        return 0;
    size_t n = 1;
    for (const char *p = query; *p; p++)
        n += *p == '&';
    struct qparam *ps = calloc(n, sizeof *ps);
    if (!ps)
        return PARLEY_ENOMEM;
    size_t count = 0;
    int rc = 0;
    const char *p = query;
    while (*p && rc == 0) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            size_t dk, dv;
            char *k = decode(p, klen, &dk);
            char *v = eq ? decode(eq + 1, len - klen - 1, &dv) : strdup("");
            struct buf kb = BUF_INIT(1u << 20), vb = BUF_INIT(1u << 20);
            if (!k || !v || uri_encode(&kb, k, dk, false) || uri_encode(&vb, v, eq ? dv : 0, false))
                rc = PARLEY_ENOMEM;
            free(k);
            free(v);
            ps[count].key = buf_detach(&kb, NULL);
            ps[count].value = buf_detach(&vb, NULL);
            count++;
        }
        p = amp ? amp + 1 : p + len;
    }
    qsort(ps, count, sizeof *ps, qparam_cmp);
    for (size_t i = 0; i < count; i++) {
        if (rc == 0)
            rc = buf_printf(out, "%s%s=%s", i ? "&" : "", ps[i].key ? ps[i].key : "",
                            ps[i].value ? ps[i].value : "");
        free(ps[i].key);
        free(ps[i].value);
    }
    free(ps);
    return rc;
}

struct hdr {
    char *name; /* lowercased */
    char *value;
};

static int hdr_cmp(const void *a, const void *b)
{
    return strcmp(((const struct hdr *)a)->name, ((const struct hdr *)b)->name);
}

/* Value trimmed, inner runs of spaces collapsed to one. */
static char *trim_value(const char *v)
{
    char *out = malloc(strlen(v) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool space = false;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            space = true;
            continue;
        }
        if (space && o)
            out[o++] = ' ';
        space = false;
        out[o++] = *v;
    }
    out[o] = '\0';
    return out;
}

int sigv4_sign(const struct sigv4_request *rq, struct buf *out, struct buf *canonical,
               struct buf *string_to_sign)
{
    if (!rq->method || !rq->path || !rq->region || !rq->service || !rq->access_key ||
        !rq->secret_key || !rq->amz_date || strlen(rq->amz_date) != 16)
        return PARLEY_EINVAL;
    struct buf creq = BUF_INIT(1u << 20); /* method, path, query, headers: the body is hashed */
    struct buf signed_headers = BUF_INIT(64 * 1024);
    struct buf sts = BUF_INIT(64 * 1024);
    struct hdr *hs = calloc(rq->nheaders ? rq->nheaders : 1, sizeof *hs);
    int rc = hs ? 0 : PARLEY_ENOMEM;

    /* 1. the canonical request */
    if (rc == 0)
        rc = buf_printf(&creq, "%s\n", rq->method);
    if (rc == 0) {
        if (rq->double_encode)
            rc = uri_encode(&creq, rq->path, strlen(rq->path), true);
        else
            rc = buf_puts(&creq, rq->path);
    }
    if (rc == 0)
        rc = buf_puts(&creq, "\n");
    if (rc == 0)
        rc = canonical_query(&creq, rq->query);
    if (rc == 0)
        rc = buf_puts(&creq, "\n");
    for (size_t i = 0; rc == 0 && i < rq->nheaders; i++) {
        hs[i].name = strdup(rq->headers[i].name);
        hs[i].value = trim_value(rq->headers[i].value ? rq->headers[i].value : "");
        if (!hs[i].name || !hs[i].value) {
            rc = PARLEY_ENOMEM;
            break;
        }
        for (char *p = hs[i].name; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
    if (rc == 0)
        qsort(hs, rq->nheaders, sizeof *hs, hdr_cmp);
    for (size_t i = 0; rc == 0 && i < rq->nheaders; i++) {
        rc = buf_printf(&creq, "%s:%s\n", hs[i].name, hs[i].value);
        if (rc == 0)
            rc = buf_printf(&signed_headers, "%s%s", i ? ";" : "", hs[i].name);
    }
    char payload_hash[65];
    sigv4_sha256_hex(rq->payload ? rq->payload : "", rq->payload ? rq->payload_len : 0,
                     payload_hash);
    if (rc == 0)
        rc = buf_printf(&creq, "\n%s\n%s", signed_headers.data ? signed_headers.data : "",
                        payload_hash);

    /* 2. the string to sign */
    char date[9];
    memcpy(date, rq->amz_date, 8);
    date[8] = '\0';
    char creq_hash[65];
    if (rc == 0) {
        sigv4_sha256_hex(creq.data, creq.len, creq_hash);
        rc = buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", rq->amz_date, date,
                        rq->region, rq->service, creq_hash);
    }

    /* 3. the signature */
    if (rc == 0) {
        struct buf k = BUF_INIT(4096);
        unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
        rc = buf_printf(&k, "AWS4%s", rq->secret_key);
        if (rc == 0) {
            hmac(k.data, k.len, date, 8, k1);
            hmac(k1, 32, rq->region, strlen(rq->region), k2);
            hmac(k2, 32, rq->service, strlen(rq->service), k3);
            hmac(k3, 32, "aws4_request", 12, k4);
            hmac(k4, 32, sts.data, sts.len, sig);
            char sighex[65];
            hex(sig, 32, sighex);
            rc = buf_printf(out,
                            "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
                            "SignedHeaders=%s, Signature=%s",
                            rq->access_key, date, rq->region, rq->service,
                            signed_headers.data ? signed_headers.data : "", sighex);
        }
        if (k.data)
            memset(k.data, 0, k.len);
        buf_release(&k);
        memset(k1, 0, sizeof k1);
        memset(k4, 0, sizeof k4);
    }
    if (rc == 0 && canonical)
        rc = buf_append(canonical, creq.data, creq.len);
    if (rc == 0 && string_to_sign)
        rc = buf_append(string_to_sign, sts.data, sts.len);

    for (size_t i = 0; hs && i < rq->nheaders; i++) {
        free(hs[i].name);
        free(hs[i].value);
    }
    free(hs);
    buf_release(&creq);
    buf_release(&signed_headers);
    buf_release(&sts);
    return rc;
}
