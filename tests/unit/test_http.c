/*
 * server/http.c: route matching and precedence, parameter decoding, error
 * styles, answers from another thread, body caps and HEAD — through a real
 * server on a free loopback port and libcurl as the client.
 */
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "server/http.h"

static struct http_server *srv;
static char base[64];

/* Each handler answers with its name and its parameters so the test sees which route won. */
static void echo_route(struct http_request *req, void *ud)
{
    struct buf b = BUF_INIT(4096);
    buf_printf(&b, "%s", (const char *)ud);
    const char *names[] = {"botName", "botAlias", "userId", "path", "id"};
    for (size_t i = 0; i < 5; i++) {
        const char *v = http_request_param(req, names[i]);
        if (v)
            buf_printf(&b, " %s=[%s]", names[i], v);
    }
    const char *q = http_request_query(req, "q");
    if (q)
        buf_printf(&b, " q=[%s]", q);
    size_t blen;
    http_request_body(req, &blen);
    if (blen)
        buf_printf(&b, " body=%zu", blen);
    struct http_response *r = http_response_new(200);
    http_response_header(r, "Content-Type", "text/plain");
    size_t len;
    char *text = buf_detach(&b, &len);
    http_response_body_take(r, text, len);
    http_respond(req, r);
}

static void aws_error(struct http_request *req, void *ud)
{
    http_respond_error(req, 400, "BadRequestException", "inputText is %s", "missing");
}

static void *answer_later(void *arg)
{
    usleep(50000);
    http_respond_error(arg, 202, NULL, "answered from another thread");
    return NULL;
}

static void async_route(struct http_request *req, void *ud)
{
    pthread_t t;
    pthread_create(&t, NULL, answer_later, req);
    pthread_detach(t);
}

static void setup(void)
{
    char err[256];
    struct http_server_options o = {.host = "127.0.0.1",
                                    .port = 0,
                                    .threads = 2,
                                    .max_body_bytes = 1024,
                                    .shutdown_grace_ms = 2000,
                                    .access_log = "off"};
    srv = http_server_new(&o, err, sizeof err);
    ck_assert_ptr_nonnull(srv);
    struct http_route_opts aws = {.errors = HTTP_ERRORS_AWS};
    struct http_route_opts big = {.max_body_bytes = 4096};
    ck_assert_int_eq(http_route_add(srv, "POST",
                                    "/bot/{botName}/alias/{botAlias}/user/{userId}/text", &aws,
                                    echo_route, "posttext"),
                     0);
    ck_assert_int_eq(http_route_add(srv, "GET", "/bot/special/alias/{botAlias}/user/{userId}/text",
                                    NULL, echo_route, "special"),
                     0);
    ck_assert_int_eq(http_route_add(srv, "GET", "/{path+}", NULL, echo_route, "catchall"), 0);
    ck_assert_int_eq(http_route_add(srv, "*", "/any/{id}", NULL, echo_route, "any"), 0);
    ck_assert_int_eq(http_route_add(srv, "POST", "/big", &big, echo_route, "big"), 0);
    ck_assert_int_eq(http_route_add(srv, "GET", "/aws-error", &aws, aws_error, NULL), 0);
    ck_assert_int_eq(http_route_add(srv, "GET", "/async", NULL, async_route, NULL), 0);
    ck_assert_int_eq(http_route_add(srv, "GET", "bad-pattern", NULL, echo_route, NULL),
                     PARLEY_EINVAL);
    ck_assert_int_eq(http_route_add(srv, "GET", "/{rest+}/more", NULL, echo_route, NULL),
                     PARLEY_EINVAL);
    ck_assert_int_eq(http_server_start(srv, err, sizeof err), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", http_server_port(srv));
}

static void teardown(void)
{
    ck_assert_uint_eq(http_server_shutdown(srv), 0);
    http_server_free(srv);
}

struct reply {
    long status;
    struct buf body;
    struct buf headers;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n);
    return size * n;
}

static struct reply fetch(const char *method, const char *path, const char *body, size_t len)
{
    struct reply r = {0, BUF_INIT(1 << 20), BUF_INIT(1 << 16)};
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    if (!r.body.data)
        buf_puts(&r.body, "");
    if (!r.headers.data)
        buf_puts(&r.headers, "");
    return r;
}

static void reply_release(struct reply *r)
{
    buf_release(&r->body);
    buf_release(&r->headers);
}

START_TEST(params_are_decoded_per_segment)
{
    struct reply r = fetch("POST", "/bot/Air%20Ways/alias/prod/user/u%2F1/text", "{}", 2);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body.data,
                     "posttext botName=[Air Ways] botAlias=[prod] userId=[u/1] body=2");
    reply_release(&r);
}
END_TEST

START_TEST(more_literals_win_and_greedy_is_last)
{
    struct reply r = fetch("GET", "/bot/special/alias/a/user/u/text", NULL, 0);
    ck_assert_str_eq(r.body.data, "special botAlias=[a] userId=[u]");
    reply_release(&r);
    r = fetch("GET", "/bot/other/alias/a/user/u/text", NULL, 0);
    ck_assert_str_eq(r.body.data, "catchall path=[bot/other/alias/a/user/u/text]");
    reply_release(&r);
    r = fetch("GET", "/", NULL, 0);
    ck_assert_str_eq(r.body.data, "catchall path=[]");
    reply_release(&r);
    r = fetch("GET", "/a%2e%2e/b?q=x+y%26z", NULL, 0);
    ck_assert_str_eq(r.body.data, "catchall path=[a../b] q=[x y&z]");
    reply_release(&r);
    r = fetch("DELETE", "/any/7", NULL, 0);
    ck_assert_str_eq(r.body.data, "any id=[7]");
    reply_release(&r);
}
END_TEST

START_TEST(wrong_method_is_405_in_the_route_style)
{
    struct reply r = fetch("PUT", "/bot/b/alias/a/user/u/text", NULL, 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_ptr_nonnull(strstr(r.headers.data, "Allow: POST"));
    reply_release(&r);
}
END_TEST

START_TEST(aws_errors_have_the_header_and_message)
{
    struct reply r = fetch("GET", "/aws-error", NULL, 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.headers.data, "x-amzn-ErrorType: BadRequestException"));
    ck_assert_str_eq(r.body.data, "{\"message\":\"inputText is missing\"}");
    reply_release(&r);
}
END_TEST

START_TEST(bad_escapes_are_400)
{
    struct reply r = fetch("POST", "/bot/a%00b/alias/a/user/u/text", "{}", 2);
    ck_assert_int_eq(r.status, 400);
    reply_release(&r);
    r = fetch("POST", "/bot/a%4/alias/a/user/u/text", "{}", 2);
    ck_assert_int_eq(r.status, 400);
    reply_release(&r);
}
END_TEST

START_TEST(body_caps_default_and_per_route)
{
    char body[3000];
    memset(body, 'b', sizeof body);
    struct reply r = fetch("POST", "/bot/b/alias/a/user/u/text", body, 1024);
    ck_assert_int_eq(r.status, 200);
    reply_release(&r);
    r = fetch("POST", "/bot/b/alias/a/user/u/text", body, 1025);
    ck_assert_int_eq(r.status, 413);
    ck_assert_ptr_nonnull(
        strstr(r.headers.data, "x-amzn-ErrorType: RequestEntityTooLargeException"));
    reply_release(&r);
    r = fetch("POST", "/big", body, sizeof body);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body.data, "big body=3000");
    reply_release(&r);
}
END_TEST

START_TEST(answer_from_another_thread)
{
    for (int i = 0; i < 5; i++) {
        struct reply r = fetch("GET", "/async", NULL, 0);
        ck_assert_int_eq(r.status, 202);
        ck_assert_ptr_nonnull(strstr(r.body.data, "answered from another thread"));
        reply_release(&r);
    }
}
END_TEST

START_TEST(head_has_no_body)
{
    struct reply r = fetch("HEAD", "/x", NULL, 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body.len, 0);
    ck_assert_ptr_nonnull(strstr(r.headers.data, "Content-Length: 17"));
    ck_assert_ptr_nonnull(strstr(r.headers.data, "X-Request-Id: "));
    reply_release(&r);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("routes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, params_are_decoded_per_segment);
    tcase_add_test(tc, more_literals_win_and_greedy_is_last);
    tcase_add_test(tc, wrong_method_is_405_in_the_route_style);
    tcase_add_test(tc, aws_errors_have_the_header_and_message);
    tcase_add_test(tc, bad_escapes_are_400);
    tcase_add_test(tc, body_caps_default_and_per_route);
    tcase_add_test(tc, answer_from_another_thread);
    tcase_add_test(tc, head_has_no_body);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
