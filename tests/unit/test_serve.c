/* spa-host/serve.c: Accept-Encoding q-values, Range, ETag lists, HTTP dates, the fallback rule. */
#include <check.h>
#include <string.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

static const bool all[SPA_ENC_COUNT] = {true, true, true};
static const bool gz_only[SPA_ENC_COUNT] = {true, true, false};
static const bool identity_only[SPA_ENC_COUNT] = {true, false, false};

START_TEST(encodings)
{
    ck_assert_int_eq(spa_encoding_choose(NULL, all), SPA_ENC_IDENTITY);
    ck_assert_int_eq(spa_encoding_choose("", all), SPA_ENC_IDENTITY);
    ck_assert_int_eq(spa_encoding_choose("gzip, deflate, br", all), SPA_ENC_BR);
    ck_assert_int_eq(spa_encoding_choose("gzip, deflate, br", gz_only), SPA_ENC_GZIP);
    ck_assert_int_eq(spa_encoding_choose("gzip, br", identity_only), SPA_ENC_IDENTITY);
    ck_assert_int_eq(spa_encoding_choose("br;q=0.5, gzip;q=0.8", all), SPA_ENC_GZIP);
    ck_assert_int_eq(spa_encoding_choose("br;q=0, gzip", all), SPA_ENC_GZIP);
    ck_assert_int_eq(spa_encoding_choose("br;q=0, gzip;q=0", all), SPA_ENC_IDENTITY);
    ck_assert_int_eq(spa_encoding_choose("*", all), SPA_ENC_BR);
    ck_assert_int_eq(spa_encoding_choose("*;q=0.1, identity", all), SPA_ENC_IDENTITY);
    ck_assert_int_eq(spa_encoding_choose("identity;q=0.5, gzip;q=0.5", all), SPA_ENC_GZIP);
    ck_assert_int_eq(spa_encoding_choose("GZIP ; Q=1", all), SPA_ENC_GZIP);
    ck_assert_int_eq(spa_encoding_choose("x-gzip", all), SPA_ENC_GZIP);
    ck_assert_int_eq(spa_encoding_choose("br;q=abc, gzip", all), SPA_ENC_GZIP);
    ck_assert_int_eq(spa_encoding_choose("br;q=2", all), SPA_ENC_IDENTITY);
    ck_assert_int_eq(spa_encoding_choose("compress, deflate", all), SPA_ENC_IDENTITY);
}
END_TEST

START_TEST(ranges)
{
    uint64_t s, n;
    ck_assert_int_eq(spa_range_parse("bytes=0-9", 100, &s, &n), SPA_RANGE_OK);
    ck_assert_uint_eq(s, 0);
    ck_assert_uint_eq(n, 10);
    ck_assert_int_eq(spa_range_parse("bytes=90-", 100, &s, &n), SPA_RANGE_OK);
    ck_assert_uint_eq(s, 90);
    ck_assert_uint_eq(n, 10);
    ck_assert_int_eq(spa_range_parse("bytes=-5", 100, &s, &n), SPA_RANGE_OK);
    ck_assert_uint_eq(s, 95);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(spa_range_parse("bytes=-500", 100, &s, &n), SPA_RANGE_OK);
    ck_assert_uint_eq(s, 0);
    ck_assert_uint_eq(n, 100);
    ck_assert_int_eq(spa_range_parse("bytes=50-1000", 100, &s, &n), SPA_RANGE_OK);
    ck_assert_uint_eq(n, 50);
    ck_assert_int_eq(spa_range_parse("bytes=100-", 100, &s, &n), SPA_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(spa_range_parse("bytes=-0", 100, &s, &n), SPA_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(spa_range_parse("bytes=0-", 0, &s, &n), SPA_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(spa_range_parse("bytes=5-1", 100, &s, &n), SPA_RANGE_NONE);
    ck_assert_int_eq(spa_range_parse("bytes=0-1,5-6", 100, &s, &n), SPA_RANGE_NONE);
    ck_assert_int_eq(spa_range_parse("items=0-1", 100, &s, &n), SPA_RANGE_NONE);
    ck_assert_int_eq(spa_range_parse("bytes=a-b", 100, &s, &n), SPA_RANGE_NONE);
    ck_assert_int_eq(spa_range_parse("bytes=99999999999999999999999-", 100, &s, &n),
                     SPA_RANGE_NONE);
    ck_assert_int_eq(spa_range_parse(NULL, 100, &s, &n), SPA_RANGE_NONE);
}
END_TEST

START_TEST(etags)
{
    ck_assert(spa_etag_match("\"abc\"", "\"abc\""));
    ck_assert(spa_etag_match("W/\"abc\"", "\"abc\""));
    ck_assert(spa_etag_match("\"x\", \"abc\"", "\"abc\""));
    ck_assert(spa_etag_match("*", "\"abc\""));
    ck_assert(!spa_etag_match("\"abcd\"", "\"abc\""));
    ck_assert(!spa_etag_match("\"ab\"", "\"abc\""));
    ck_assert(!spa_etag_match("", "\"abc\""));
}
END_TEST

START_TEST(dates)
{
    ck_assert_int_eq(spa_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    ck_assert_int_eq(spa_http_date_parse("garbage"), -1);
    ck_assert_int_eq(spa_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT trailing"), -1);
    char out[32];
    spa_http_date_format(784111777, out);
    ck_assert_str_eq(out, "Sun, 06 Nov 1994 08:49:37 GMT");
}
END_TEST

START_TEST(route_like)
{
    ck_assert(spa_route_like("flights", NULL));
    ck_assert(spa_route_like("flights/123", "*/*"));
    ck_assert(!spa_route_like("assets/app.3f9a2c1b.js", "text/html"));
    ck_assert(!spa_route_like("style.css", NULL));
    ck_assert(!spa_route_like("logo.png", "text/html,*/*"));
    ck_assert(spa_route_like("users/john.doe", "text/html,application/xhtml+xml"));
    ck_assert(!spa_route_like("users/john.doe", "*/*"));
    ck_assert(spa_route_like("old-page.html", "text/html"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("serve");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, encodings);
    tcase_add_test(tc, ranges);
    tcase_add_test(tc, etags);
    tcase_add_test(tc, dates);
    tcase_add_test(tc, route_like);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
