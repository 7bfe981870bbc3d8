/*
 * Remote functions: the Lambda Invoke API over libcurl, SigV4-signed.
 *
 * A small pool of threads takes invocations from one FIFO; each thread keeps
 * its own curl easy handle, so connections to an endpoint are reused from
 * one call to the next. A call is signed by sigv4.c (not CURLOPT_AWS_SIGV4,
 * which Debian's curl 7.88 gets wrong for ARNs in the path) with the
 * credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN; without them the request goes unsigned, for an
 * endpoint that does not check).
 *
 * Retries: a failed connection, 429 and 5xx are retried up to maxRetries
 * times with exponential backoff and full jitter (100 ms doubling, at most
 * 5 s, or Retry-After), within the function's timeout. A timeout is not
 * retried: the function may have run. What comes back is sorted into the
 * outcomes of lambda.h: 200 with X-Amz-Function-Error is FUNCTION_ERROR (or
 * TIMEOUT when Lambda says "Task timed out"), 404 NOT_FOUND, 429 THROTTLED,
 * anything else SERVICE_ERROR with the service's x-amzn-ErrorType.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "lambda/lambda_internal.h"

#define POOL_THREADS 4

struct remote_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct invocation *head, *tail;
    bool stop;
    pthread_t threads[POOL_THREADS];
    int nthreads;
};

struct reply {
    long status;
    struct buf body;
    char function_error[32];
    char error_type[128];
    char request_id[64];
    char *log_result; /* base64 */
    int retry_after_s;
};

static void reply_reset(struct reply *r)
{
    buf_release(&r->body);
    free(r->log_result);
    memset(r, 0, sizeof *r);
    buf_init(&r->body, LAMBDA_PAYLOAD_MAX + 4096);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    return buf_append(&r->body, data, size * n) == 0 ? size * n : 0;
}

static void copy_value(char *dst, size_t cap, const char *v, size_t len)
{
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
        len--;
    while (len && *v == ' ') {
        v++;
        len--;
    }
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t len = size * n;
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
#define IS(name) (nlen == sizeof name - 1 && strncasecmp(data, name, nlen) == 0)
    if (IS("X-Amz-Function-Error")) {
        copy_value(r->function_error, sizeof r->function_error, v, vlen);
    } else if (IS("x-amzn-ErrorType")) {
        copy_value(r->error_type, sizeof r->error_type, v, vlen);
        r->error_type[strcspn(r->error_type, ":")] = '\0'; /* "Name:http://..." */
    } else if (IS("x-amzn-RequestId")) {
        copy_value(r->request_id, sizeof r->request_id, v, vlen);
    } else if (IS("Retry-After")) {
        char tmp[16];
        copy_value(tmp, sizeof tmp, v, vlen);
        r->retry_after_s = (int)strtol(tmp, NULL, 10);
    } else if (IS("X-Amz-Log-Result")) {
        free(r->log_result);
        r->log_result = malloc(vlen + 1);
        if (r->log_result)
            copy_value(r->log_result, vlen + 1, v, vlen);
    }
#undef IS
    return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct remote_pool *p = ud;
    return __atomic_load_n(&p->stop, __ATOMIC_RELAXED) ? 1 : 0;
}

/* "https://host:port/base" -> "host:port" into out. */
static void authority(const char *url, char *out, size_t cap)
{
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    size_t n = strcspn(s, "/?#");
    snprintf(out, cap, "%.*s", (int)n, s);
}

static int append_encoded(struct buf *b, const char *s)
{
    int rc = 0;
    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            rc = buf_append(b, s, 1);
        else
            rc = buf_printf(b, "%%%02X", c);
    }
    return rc;
}

/* Sleeps ms unless the pool stops first; false if it stopped. */
static bool pause_ms(struct remote_pool *p, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)ms * 1000000ull;
    until.tv_sec += (time_t)(ns / 1000000000ull);
    until.tv_nsec = (long)(ns % 1000000000ull);
    pthread_mutex_lock(&p->lock);
    while (!p->stop)
        if (pthread_cond_timedwait(&p->cond, &p->lock, &until) == ETIMEDOUT)
            break;
    bool stopped = p->stop;
    pthread_mutex_unlock(&p->lock);
    return !stopped;
}

/* One HTTP attempt. Returns the CURLcode; r is filled. */
static CURLcode attempt(CURL *curl, struct remote_pool *p, struct invocation *inv, struct reply *r,
                        int64_t remaining_ms)
{
    struct lambda_function *fn = inv->fn;
    struct buf path = BUF_INIT(4096), url = BUF_INIT(8192), auth = BUF_INIT(4096);
    char host[256], date[17], hdr[8192];
    struct curl_slist *hs = NULL;
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    authority(fn->endpoint, host, sizeof host);
    sigv4_amz_date(time_now_ms() / 1000, date);
    /* the endpoint may carry a base path: keep it in the signed path */
    const char *base_path = strstr(fn->endpoint, "://");
    base_path = base_path ? base_path + 3 : fn->endpoint;
    base_path += strcspn(base_path, "/");
    if (buf_printf(&path, "%s/2015-03-31/functions/", base_path) ||
        append_encoded(&path, fn->remote_name) || buf_puts(&path, "/invocations"))
        goto out;
    if (buf_printf(&url, "%.*s%s", (int)(strlen(fn->endpoint) - strlen(base_path)), fn->endpoint,
                   path.data))
        goto out;

    struct sigv4_header sh[8];
    size_t n = 0;
    sh[n++] = (struct sigv4_header){"Content-Type", "application/json"};
    sh[n++] = (struct sigv4_header){"Host", host};
    sh[n++] = (struct sigv4_header){"X-Amz-Date", date};
    sh[n++] = (struct sigv4_header){"X-Amz-Invocation-Type", "RequestResponse"};
    if (inv->want_log)
        sh[n++] = (struct sigv4_header){"X-Amz-Log-Type", "Tail"};
    if (inv->client_context)
        sh[n++] = (struct sigv4_header){"X-Amz-Client-Context", inv->client_context};
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = getenv("AWS_SESSION_TOKEN");
    bool signing = ak && *ak && sk && *sk;
    if (signing && token && *token)
        sh[n++] = (struct sigv4_header){"X-Amz-Security-Token", token};
    for (size_t i = 0; i < n; i++) {
        snprintf(hdr, sizeof hdr, "%s: %s", sh[i].name, sh[i].value);
        struct curl_slist *t = curl_slist_append(hs, hdr);
        if (!t)
            goto out;
        hs = t;
    }
    if (signing) {
        struct sigv4_request rq = {.method = "POST",
                                   .path = path.data,
                                   .headers = sh,
                                   .nheaders = n,
                                   .payload = inv->payload,
                                   .payload_len = inv->len,
                                   .region = fn->region,
                                   .service = "lambda",
                                   .access_key = ak,
                                   .secret_key = sk,
                                   .amz_date = date,
                                   .double_encode = true};
        if (sigv4_sign(&rq, &auth, NULL, NULL) != 0)
            goto out;
        snprintf(hdr, sizeof hdr, "Authorization: %s", auth.data);
        struct curl_slist *t = curl_slist_append(hs, hdr);
        if (!t)
            goto out;
        hs = t;
    }
    struct curl_slist *t = curl_slist_append(hs, "Expect:"); /* no 100-continue round trip */
    if (!t)
        goto out;
    hs = t;

    reply_reset(r);
    curl_easy_setopt(curl, CURLOPT_URL, url.data);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, inv->payload);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)inv->len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)fn->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(remaining_ms > 1 ? remaining_ms : 1));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, p);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "parley/" PARLEY_VERSION);
    cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
out:
    curl_slist_free_all(hs);
    buf_release(&path);
    buf_release(&url);
    if (auth.data)
        memset(auth.data, 0, auth.len);
    buf_release(&auth);
    return cc;
}

static bool retryable_curl(CURLcode cc)
{
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
           cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
           cc == CURLE_PARTIAL_FILE;
}

static int64_t backoff_ms(unsigned attempt_no, int retry_after_s)
{
    if (retry_after_s > 0)
        return (int64_t)retry_after_s * 1000;
    int64_t cap = 100ll << (attempt_no < 6 ? attempt_no : 6);
    if (cap > 5000)
        cap = 5000;
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd = (uint32_t)time_mono_us();
    return (int64_t)(rnd % (uint32_t)(cap + 1)); /* full jitter */
}

static void call(CURL *curl, struct remote_pool *p, struct invocation *inv)
{
    struct lambda_function *fn = inv->fn;
    struct reply r = {0};
    buf_init(&r.body, LAMBDA_PAYLOAD_MAX + 4096);
    int64_t deadline = inv->start_us + (int64_t)inv->timeout_ms * 1000;
    inv->run_start_us = time_mono_us();
    CURLcode cc = CURLE_OK;
    unsigned tries = 0;
    for (;;) {
        int64_t remaining = (deadline - time_mono_us()) / 1000;
        if (remaining <= 0) {
            cc = CURLE_OPERATION_TIMEDOUT;
            break;
        }
        cc = attempt(curl, p, inv, &r, remaining);
        tries++;
        bool retry = retryable_curl(cc) ||
                     (cc == CURLE_OK && (r.status == 429 || r.status == 500 || r.status == 502 ||
                                         r.status == 503 || r.status == 504));
        if (!retry || tries > fn->max_retries)
            break;
        int64_t wait = backoff_ms(tries - 1, r.retry_after_s);
        if (time_mono_us() + wait * 1000 >= deadline)
            break;
        log_info("lambda: %s: remote attempt %u failed (%s%ld); retrying in %lld ms", fn->name,
                 tries, cc ? curl_easy_strerror(cc) : "HTTP ", cc ? 0L : r.status, (long long)wait);
        if (!pause_ms(p, wait))
            break;
    }

    if (r.log_result) {
        size_t len;
        char *text = base64_decode(r.log_result, &len);
        if (text)
            invocation_log(inv, text, len);
        free(text);
    }
    const char *body = r.body.data ? r.body.data : "";
    size_t blen = r.body.data ? r.body.len : 0;
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "{\"errorMessage\":\"%s: no answer from %s within %.2f seconds (%u attempt%s)\"}",
                 inv->id, fn->endpoint, (double)inv->timeout_ms / 1000.0, tries,
                 tries == 1 ? "" : "s");
        invocation_set_result(inv, LAMBDA_TIMEOUT, "Unhandled", msg, strlen(msg));
    } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
        invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 503, "ServiceException",
                             "Parley stopped while calling %s.", fn->endpoint);
    } else if (cc != CURLE_OK) {
        invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 502, "ServiceException",
                             "Cannot reach %s after %u attempt%s: %s.", fn->endpoint, tries,
                             tries == 1 ? "" : "s", curl_easy_strerror(cc));
    } else if (r.status == 200 && r.function_error[0]) {
        bool timed_out = memmem(body, blen, "Task timed out after", 20) != NULL;
        invocation_set_result(inv, timed_out ? LAMBDA_TIMEOUT : LAMBDA_FUNCTION_ERROR,
                              strcmp(r.function_error, "Handled") == 0 ? "Handled" : "Unhandled",
                              body, blen);
    } else if (r.status >= 200 && r.status < 300) {
        invocation_set_result(inv, LAMBDA_OK, NULL, body, blen);
    } else {
        /* the service's own message, when its body has one */
        char msg[600] = "";
        cJSON *j = cJSON_ParseWithLength(body, blen);
        const char *m = j ? json_string(j, "message") : NULL;
        if (!m && j)
            m = json_string(j, "Message");
        snprintf(msg, sizeof msg, "%s", m ? m : "");
        cJSON_Delete(j);
        enum lambda_outcome o = r.status == 404   ? LAMBDA_NOT_FOUND
                                : r.status == 429 ? LAMBDA_THROTTLED
                                                  : LAMBDA_SERVICE_ERROR;
        const char *type = r.error_type[0]   ? r.error_type
                           : r.status == 404 ? "ResourceNotFoundException"
                           : r.status == 429 ? "TooManyRequestsException"
                           : r.status >= 500 ? "ServiceException"
                                             : "InvalidRequestContentException";
        invocation_set_error(inv, o, (int)r.status, type, "%s%s(from %s, HTTP %ld, %u attempt%s)",
                             msg, msg[0] ? " " : "", fn->endpoint, r.status, tries,
                             tries == 1 ? "" : "s");
    }
    reply_reset(&r);
    buf_release(&r.body);
    invocation_finish(inv);
}

static void *pool_main(void *arg)
{
    struct lambda_registry *reg = arg;
    struct remote_pool *p = reg->remote;
    CURL *curl = curl_easy_init();
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->stop && !p->head)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            break;
        }
        struct invocation *inv = p->head;
        p->head = inv->next;
        if (!p->head)
            p->tail = NULL;
        inv->next = NULL;
        pthread_mutex_unlock(&p->lock);
        if (!curl) {
            invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 500, "ServiceException",
                                 "libcurl could not be initialised.");
            invocation_finish(inv);
            continue;
        }
        call(curl, p, inv);
    }
    if (curl)
        curl_easy_cleanup(curl);
    return NULL;
}

int remote_pool_start(struct lambda_registry *reg, char *err, size_t errlen)
{
    bool any = false;
    for (size_t i = 0; i < reg->nfns; i++)
        any |= reg->fns[i].remote;
    if (!any)
        return 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct remote_pool *p = calloc(1, sizeof *p);
    if (!p)
        return PARLEY_ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    reg->remote = p;
    for (int i = 0; i < POOL_THREADS; i++) {
        if (pthread_create(&p->threads[i], NULL, pool_main, reg) != 0) {
            snprintf(err, errlen, "lambda: cannot start the remote invoke threads");
            return PARLEY_EIO;
        }
        p->nthreads++;
    }
    return 0;
}

void remote_invoke(struct lambda_registry *reg, struct invocation *inv)
{
    struct remote_pool *p = reg->remote;
    if (p) {
        pthread_mutex_lock(&p->lock);
        if (!p->stop) {
            if (p->tail)
                p->tail->next = inv;
            else
                p->head = inv;
            p->tail = inv;
            inv->next = NULL;
            pthread_cond_signal(&p->cond);
            pthread_mutex_unlock(&p->lock);
            return;
        }
        pthread_mutex_unlock(&p->lock);
    }
    invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 503, "ServiceException",
                         "Parley is shutting down; the function was not invoked.");
    invocation_finish(inv);
}

void remote_pool_stop(struct lambda_registry *reg)
{
    struct remote_pool *p = reg->remote;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    __atomic_store_n(&p->stop, true, __ATOMIC_RELAXED); /* on_progress reads it unlocked */
    pthread_cond_broadcast(&p->cond);
    struct invocation *left = p->head;
    p->head = p->tail = NULL;
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    while (left) {
        struct invocation *next = left->next;
        invocation_set_error(left, LAMBDA_SERVICE_ERROR, 503, "ServiceException",
                             "Parley stopped before the function could be called.");
        invocation_finish(left);
        left = next;
    }
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
    reg->remote = NULL;
    curl_global_cleanup();
}
