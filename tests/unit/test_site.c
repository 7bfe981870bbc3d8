/* spa-host/site.c and mime.c: the "sites" section, cache policy by file, the MIME table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

static int load(const char *json, struct spa_sites **out, char *err, size_t errlen)
{
    cJSON *doc = cJSON_Parse(json);
    ck_assert_ptr_nonnull(doc);
    struct spa_config_source src = {
        .sites = doc, .file = "cfg.json", .dir = "/etc/parley", .data_dir = "/var/lib/parley"};
    int rc = spa_sites_load(&src, out, err, errlen);
    cJSON_Delete(doc);
    return rc;
}

static void expect_error(const char *json, const char *msg)
{
    struct spa_sites *s;
    char err[512];
    ck_assert_int_eq(load(json, &s, err, sizeof err), -1);
    ck_assert_ptr_null(s);
    ck_assert_msg(strcmp(err, msg) == 0, "got: %s", err);
}

START_TEST(defaults)
{
    struct spa_sites *s;
    char err[512];
    ck_assert_int_eq(load("[{\"name\":\"demo\",\"root\":\"../web/demo\"}]", &s, err, sizeof err),
                     0);
    ck_assert_uint_eq(spa_sites_count(s), 1);
    const struct spa_site *d = spa_site_find(s, "demo");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->root, "/etc/parley/../web/demo");
    ck_assert_str_eq(d->dir, "/var/lib/parley/sites/demo");
    ck_assert_str_eq(d->index, "index.html");
    ck_assert_str_eq(d->prefix, "");
    ck_assert(d->fallback);
    ck_assert_uint_eq(d->nheaders, 3); /* nosniff, Referrer-Policy, CSP */
    ck_assert_str_eq(d->headers[0].value, "nosniff");
    spa_sites_free(s);
}
END_TEST

START_TEST(errors_name_the_key)
{
    expect_error("[{\"root\":\"x\"}]", "cfg.json: sites[0].name: is required");
    expect_error("[{\"name\":\"Demo!\"}]",
                 "cfg.json: sites[0].name: must be 1-64 characters of a-z, 0-9, '-' and '_'");
    expect_error("[{\"name\":\"a\",\"cache\":[{\"glob\":\"*.js\",\"value\":\"x\"},{\"glob\":1}]}]",
                 "cfg.json: sites[0].cache[1].glob: must be a string");
    expect_error("[{\"name\":\"a\",\"colour\":1}]",
                 "cfg.json: sites[0].colour: unknown key (see docs/spa-hosting.md)");
    expect_error("[{\"name\":\"a\"},{\"name\":\"a\",\"pathPrefix\":\"/x\"}]",
                 "cfg.json: sites[1].name: is the name of another site");
    expect_error("[{\"name\":\"a\"},{\"name\":\"b\"}]",
                 "cfg.json: sites[1].pathPrefix: answers the same hosts and path prefix as "
                 "another site");
    expect_error("[{\"name\":\"a\",\"pathPrefix\":\"/a/../b\"}]",
                 "cfg.json: sites[0].pathPrefix: must be a path such as /docs (no '.', '%' or "
                 "'?' segments)");
    expect_error("[{\"name\":\"a\",\"headers\":{\"Cache-Control\":\"x\"}}]",
                 "cfg.json: sites[0].headers.Cache-Control: is set by the server (use \"cache\" "
                 "rules for Cache-Control)");
    expect_error("[{\"name\":\"a\",\"headers\":{\"X-A\":\"a\\r\\nb\"}}]",
                 "cfg.json: sites[0].headers.X-A: is not a valid header name and value");
    expect_error(
        "[{\"name\":\"a\",\"redirects\":[{\"from\":\"/a\",\"to\":\"/b\",\"status\":200}]}]",
        "cfg.json: sites[0].redirects[0].status: must be 301, 302, 303, 307 or 308");
    expect_error("[{\"name\":\"a\",\"rewrites\":[{\"from\":\"a\",\"to\":\"/b\"}]}]",
                 "cfg.json: sites[0].rewrites[0].from: must be a path starting with '/'");
    expect_error("[{\"name\":\"a\",\"errorDocument\":\"../x.html\"}]",
                 "cfg.json: sites[0].errorDocument: must be a file of the site such as 404.html");
    expect_error("[{\"name\":\"a\",\"keepReleases\":0}]",
                 "cfg.json: sites[0].keepReleases: must be an integer from 1 to 1000");
    expect_error("[{\"name\":\"a\",\"fallback\":\"yes\"}]",
                 "cfg.json: sites[0].fallback: must be true or false");
}
END_TEST

START_TEST(headers_and_redirects)
{
    struct spa_sites *s;
    char err[512];
    ck_assert_int_eq(
        load("[{\"name\":\"a\",\"hosts\":[\"Example.COM\"],\"pathPrefix\":\"/docs/\","
             "\"headers\":{\"Content-Security-Policy\":null,\"X-Frame-Options\":\"DENY\"},"
             "\"redirects\":[{\"from\":\"/old/*\",\"to\":\"/new/*\",\"status\":308}]}]",
             &s, err, sizeof err),
        0);
    const struct spa_site *a = &s->v[0];
    ck_assert_str_eq(a->hosts[0], "example.com");
    ck_assert_str_eq(a->prefix, "/docs");
    ck_assert_uint_eq(a->nheaders, 4);
    ck_assert_ptr_null(a->headers[2].value); /* CSP removed */
    ck_assert_str_eq(a->headers[3].name, "X-Frame-Options");
    ck_assert(a->redirects[0].prefix);
    ck_assert_str_eq(a->redirects[0].from, "/old/");
    ck_assert_int_eq(a->redirects[0].status, 308);
    spa_sites_free(s);
}
END_TEST

START_TEST(cache_policy)
{
    struct spa_sites *s;
    char err[512];
    ck_assert_int_eq(
        load("[{\"name\":\"a\",\"cache\":[{\"glob\":\"*.png\",\"value\":\"public, "
             "max-age=60\"},{\"glob\":\"fonts/*\",\"value\":\"public, max-age=600\"}]}]",
             &s, err, sizeof err),
        0);
    const struct spa_site *a = &s->v[0];
    ck_assert_str_eq(spa_site_cache_control(a, "index.html"), "no-cache");
    ck_assert_str_eq(spa_site_cache_control(a, "assets/app.3f9a2c.js"), SPA_CACHE_IMMUTABLE);
    ck_assert_str_eq(spa_site_cache_control(a, "assets/index-BXk3a9Q2.js"), SPA_CACHE_IMMUTABLE);
    ck_assert_str_eq(spa_site_cache_control(a, "assets/style.e3a8032b.css"), SPA_CACHE_IMMUTABLE);
    ck_assert_str_eq(spa_site_cache_control(a, "app.js"), "no-cache");
    ck_assert_str_eq(spa_site_cache_control(a, "robots.txt"), "no-cache");
    ck_assert_str_eq(spa_site_cache_control(a, "img/logo.png"), "public, max-age=60");
    ck_assert_str_eq(spa_site_cache_control(a, "fonts/a.woff2"), "public, max-age=600");
    ck_assert_str_eq(spa_site_cache_control(a, "fonts/x/a.woff2"), "no-cache");
    spa_sites_free(s);
    ck_assert(spa_path_fingerprinted("app.3f9a2c1b.js"));
    ck_assert(!spa_path_fingerprinted("jquery-3.7.1.js"));
    ck_assert(!spa_path_fingerprinted("bundle.min.js"));
    ck_assert(!spa_path_fingerprinted("3f9a2c1b.js")); /* the name itself is not a component */
    ck_assert(!spa_path_fingerprinted("abcdef"));
}
END_TEST

START_TEST(mime)
{
    ck_assert_str_eq(spa_mime_type("a/b/app.JS"), "text/javascript; charset=utf-8");
    ck_assert_str_eq(spa_mime_type("index.html"), "text/html; charset=utf-8");
    ck_assert_str_eq(spa_mime_type("x.woff2"), "font/woff2");
    ck_assert_str_eq(spa_mime_type("x.svg"), "image/svg+xml");
    ck_assert_str_eq(spa_mime_type("x.unknown"), "application/octet-stream");
    ck_assert_str_eq(spa_mime_type("Makefile"), "application/octet-stream");
    ck_assert(spa_mime_compressible("text/css; charset=utf-8"));
    ck_assert(spa_mime_compressible("image/svg+xml"));
    ck_assert(!spa_mime_compressible("image/png"));
    ck_assert_ptr_null(spa_path_extension("a.b/c"));
    ck_assert_str_eq(spa_path_extension("a/c.tar.gz"), "gz");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("site");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, errors_name_the_key);
    tcase_add_test(tc, headers_and_redirects);
    tcase_add_test(tc, cache_policy);
    tcase_add_test(tc, mime);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
