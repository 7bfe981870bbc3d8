/* server/config.c: defaults, every server key, one-line errors naming file and key, paths. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "server/config.h"

static char path[256];

static void write_config(const char *text)
{
    snprintf(path, sizeof path, "/tmp/parley-config-XXXXXX.json");
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Loads text; returns the error line ("" when it loaded). */
static const char *load(const char *text, struct parley_config *cfg)
{
    static char err[512];
    err[0] = '\0';
    write_config(text);
    int rc = config_load(path, cfg, err, sizeof err);
    unlink(path);
    ck_assert_int_eq(rc == 0, err[0] == '\0');
    return err;
}

START_TEST(defaults)
{
    struct parley_config cfg;
    ck_assert_str_eq(load("{}", &cfg), "");
    ck_assert_str_eq(cfg.server.host, "127.0.0.1");
    ck_assert_int_eq(cfg.server.port, 8080);
    ck_assert_uint_eq(cfg.server.max_body_bytes, 1048576);
    ck_assert_uint_eq(cfg.server.shutdown_grace_ms, 10000);
    ck_assert_str_eq(cfg.server.access_log, "-");
    ck_assert_str_eq(cfg.data_dir, "data");
    ck_assert(!cfg.server.debug_routes);
    config_release(&cfg);
}
END_TEST

START_TEST(every_server_key)
{
    struct parley_config cfg;
    ck_assert_str_eq(load("{\"server\":{\"host\":\"::1\",\"port\":9000,\"threads\":3,"
                          "\"maxBodyBytes\":2048,\"shutdownGraceMs\":5,\"connectionTimeoutS\":7,"
                          "\"accessLog\":\"off\",\"logLevel\":\"debug\",\"debugRoutes\":true},"
                          "\"dataDir\":\"/var/lib/parley\"}",
                          &cfg),
                     "");
    ck_assert_str_eq(cfg.server.host, "::1");
    ck_assert_int_eq(cfg.server.port, 9000);
    ck_assert_uint_eq(cfg.server.threads, 3);
    ck_assert_uint_eq(cfg.server.max_body_bytes, 2048);
    ck_assert_uint_eq(cfg.server.shutdown_grace_ms, 5);
    ck_assert_uint_eq(cfg.server.connection_timeout_s, 7);
    ck_assert_str_eq(cfg.server.access_log, "off");
    ck_assert_str_eq(cfg.server.log_level, "debug");
    ck_assert(cfg.server.debug_routes);
    ck_assert_str_eq(cfg.data_dir, "/var/lib/parley");
    config_release(&cfg);
}
END_TEST

static void expect_error(const char *text, const char *key_and_problem)
{
    struct parley_config cfg;
    const char *err = load(text, &cfg);
    char want[512];
    snprintf(want, sizeof want, "%s: %s", path, key_and_problem);
    ck_assert_str_eq(err, want);
    config_release(&cfg);
}

START_TEST(errors_name_file_and_key)
{
    expect_error("{\"server\":{\"port\":70000}}",
                 "server.port: must be an integer from 0 to 65535");
    expect_error("{\"server\":{\"port\":80.5}}", "server.port: must be an integer from 0 to 65535");
    expect_error("{\"server\":{\"threads\":0}}",
                 "server.threads: must be an integer from 1 to 256");
    expect_error("{\"server\":{\"host\":\"\"}}", "server.host: must be a non-empty string");
    expect_error("{\"server\":{\"debugRoutes\":1}}", "server.debugRoutes: must be true or false");
    expect_error("{\"server\":{\"colour\":1}}",
                 "server.colour: unknown key (see docs/configuration.md)");
    expect_error("{\"server\":[]}", "server: must be an object");
    expect_error("{\"bots\":{}}", "bots: must be an array");
    expect_error("{\"intents\":\"none\"}", "intents: must be an object");
    expect_error("{\"dataDir\":5}", "dataDir: must be a non-empty string");
    expect_error("[1,2]", "(top level): must be a JSON object");
    expect_error("{\n\"server\": {\n  \"port\": 1,,\n}}", "line 3, column 14: not valid JSON");
}
END_TEST

START_TEST(relative_paths_follow_the_config_file)
{
    struct parley_config cfg;
    ck_assert_str_eq(load("{\"dataDir\":\"state\"}", &cfg), "");
    ck_assert_str_eq(cfg.data_dir, "/tmp/state");
    char *p = config_path_resolve(&cfg, "bots/airline.json");
    ck_assert_str_eq(p, "/tmp/bots/airline.json");
    free(p);
    p = config_path_resolve(&cfg, "/abs/x");
    ck_assert_str_eq(p, "/abs/x");
    free(p);
    config_release(&cfg);
}
END_TEST

START_TEST(missing_file)
{
    struct parley_config cfg;
    char err[512];
    ck_assert_int_eq(config_load("/nonexistent/parley.json", &cfg, err, sizeof err), -1);
    ck_assert_str_eq(
        err, "/nonexistent/parley.json: cannot read the config file: No such file or directory");
    config_release(&cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, every_server_key);
    tcase_add_test(tc, errors_name_file_and_key);
    tcase_add_test(tc, relative_paths_follow_the_config_file);
    tcase_add_test(tc, missing_file);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
