/* server/ws.c: which request heads are WebSocket upgrades, and the layer's lifecycle. */
#include <check.h>
#include <string.h>

#include "common/common.h"
#include "server/http.h"
#include "server/ws.h"

static bool up(const char *head)
{
    return ws_head_is_upgrade(head, strlen(head));
}

START_TEST(upgrade_heads)
{
    ck_assert(up("GET /webchat/A/b HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\n\r\n"));
    ck_assert(up("GET / HTTP/1.1\r\nupgrade:WebSocket\r\n\r\n"));
    ck_assert(up("GET / HTTP/1.1\r\nUPGRADE: \t foo, websocket \r\n\r\n"));
    ck_assert(!up("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    ck_assert(!up("POST / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"));
    ck_assert(!up("GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n"));
    ck_assert(!up("GET / HTTP/1.1\r\nUpgrade: websockets\r\n\r\n"));
    ck_assert(!up("GET / HTTP/1.1\r\nX-Upgrade: websocket\r\n\r\n"));
    /* the header name must start a line: the request line does not count */
    ck_assert(!up("GET /Upgrade:websocket HTTP/1.1\r\n\r\n"));
    ck_assert(!up(""));
    ck_assert(!up("GET"));
    ck_assert(!ws_head_is_upgrade("GET / HTTP/1.1\r\nUpgrade: websocket", 20));
}
END_TEST

static int refuse_all(void *ud, const char *path, const char *origin, const char *host,
                      void **conn_ud, char *why, size_t whylen)
{
    return 403;
}

START_TEST(lifecycle)
{
    char err[256];
    struct http_server_options o = {.host = "127.0.0.1", .threads = 1, .max_body_bytes = 1024};
    struct http_server *srv = http_server_new(&o, err, sizeof err);
    ck_assert_ptr_nonnull(srv);
    struct ws_server_options wo = {0};
    struct ws_server *ws = ws_server_new(srv, &wo, err, sizeof err);
    ck_assert_msg(ws != NULL, "%s", err);
    struct ws_route_ops ops = {.open = refuse_all};
    ck_assert_int_eq(ws_route_add(ws, "/x/", 1024, &ops, NULL), 0);
    /* a route may speak a subprotocol libwebsockets was told about, and no other */
    struct ws_route_ops gql = {.open = refuse_all, .subprotocol = "graphql-transport-ws"};
    ck_assert_int_eq(ws_route_add(ws, "/graphql", 1024, &gql, NULL), 0);
    struct ws_route_ops other = {.open = refuse_all, .subprotocol = "mqtt"};
    ck_assert_int_eq(ws_route_add(ws, "/mqtt", 1024, &other, NULL), PARLEY_EINVAL);
    ws_server_stop(ws);
    ws_server_stop(ws); /* twice is fine */
    ws_server_free(ws);
    ws_server_free(NULL);
    http_server_free(srv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ws");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, upgrade_heads);
    tcase_add_test(tc, lifecycle);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
