/*
 * The smallest useful Lambda custom runtime: one keep-alive connection to
 * the Runtime API, GET next, POST the event back as the response. With it,
 * an invocation's latency is (almost) all Parley's own overhead.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mem {
    char *data;
    size_t len, cap;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct mem *m = ud;
    size_t add = size * n;
    if (m->len + add + 1 > m->cap) {
        m->cap = (m->len + add + 1) * 2;
        m->data = realloc(m->data, m->cap);
        if (!m->data)
            return 0;
    }
    memcpy(m->data + m->len, p, add);
    m->len += add;
    m->data[m->len] = '\0';
    return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    char *id = ud;
    size_t len = size * n;
    const char *name = "Lambda-Runtime-Aws-Request-Id:";
    size_t nl = strlen(name);
    if (len > nl && strncasecmp(p, name, nl) == 0) {
        const char *v = p + nl;
        while (*v == ' ')
            v++;
        size_t vl = strcspn(v, "\r\n");
        if (vl > 63)
            vl = 63;
        memcpy(id, v, vl);
        id[vl] = '\0';
    }
    return len;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api)
        return 1;
    char next[512], url[512], id[64];
    snprintf(next, sizeof next, "http://%s/2018-06-01/runtime/invocation/next", api);
    CURL *c = curl_easy_init();
    struct mem m = {0};
    struct curl_slist *hs = curl_slist_append(NULL, "Expect:");
    for (;;) {
        m.len = 0;
        id[0] = '\0';
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, next);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, id);
        if (curl_easy_perform(c) != CURLE_OK || !id[0])
            return 2;
        snprintf(url, sizeof url, "http://%s/2018-06-01/runtime/invocation/%s/response", api, id);
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, m.data ? m.data : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)m.len);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        struct mem sink = {0};
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
        if (curl_easy_perform(c) != CURLE_OK)
            return 3;
        free(sink.data);
    }
}
