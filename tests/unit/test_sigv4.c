/*
 * lambda/sigv4.c against the AWS SigV4 test suite (key AKIDEXAMPLE, secret
 * wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z, us-east-1,
 * service "service"). The expected signatures were recomputed independently
 * with Python's hmac/hashlib before being written here, and match the
 * suite's published values.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE "20150830T123600Z"

static char *sign(const char *method, const char *path, const char *query,
                  const struct sigv4_header *hs, size_t n, const char *payload,
                  struct buf *canonical)
{
    struct sigv4_request rq = {.method = method,
                               .path = path,
                               .query = query,
                               .headers = hs,
                               .nheaders = n,
                               .payload = payload,
                               .payload_len = payload ? strlen(payload) : 0,
                               .region = "us-east-1",
                               .service = "service",
                               .access_key = "AKIDEXAMPLE",
                               .secret_key = SECRET,
                               .amz_date = DATE,
                               .double_encode = true};
    struct buf out = BUF_INIT(4096);
    ck_assert_int_eq(sigv4_sign(&rq, &out, canonical, NULL), 0);
    return buf_detach(&out, NULL);
}

static const struct sigv4_header base[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", DATE}};

static void expect(char *auth, const char *signed_headers, const char *sig)
{
    char want[512];
    snprintf(want, sizeof want,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
             "SignedHeaders=%s, Signature=%s",
             signed_headers, sig);
    ck_assert_str_eq(auth, want);
    free(auth);
}

START_TEST(get_vanilla)
{
    struct buf c = BUF_INIT(4096);
    char *auth = sign("GET", "/", NULL, base, 2, NULL, &c);
    ck_assert_str_eq(c.data, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                             "\nhost;x-amz-date\n"
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    buf_release(&c);
    expect(auth, "host;x-amz-date",
           "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}
END_TEST

START_TEST(post_vanilla)
{
    expect(sign("POST", "/", NULL, base, 2, NULL, NULL), "host;x-amz-date",
           "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}
END_TEST

START_TEST(get_vanilla_query_order_key_case)
{
    /* parameters are sorted */
    expect(sign("GET", "/", "Param2=value2&Param1=value1", base, 2, NULL, NULL), "host;x-amz-date",
           "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}
END_TEST

START_TEST(post_vanilla_query)
{
    expect(sign("POST", "/", "Param1=value1", base, 2, NULL, NULL), "host;x-amz-date",
           "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
}
END_TEST

START_TEST(get_header_value_trim)
{
    /* header names lowercased and sorted, values trimmed, inner spaces collapsed */
    const struct sigv4_header hs[] = {{"My-Header2", " \"a   b   c\""},
                                      {"Host", "example.amazonaws.com"},
                                      {"My-Header1", " value1"},
                                      {"X-Amz-Date", DATE}};
    expect(sign("GET", "/", NULL, hs, 4, NULL, NULL), "host;my-header1;my-header2;x-amz-date",
           "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}
END_TEST

START_TEST(post_x_www_form_urlencoded)
{
    const struct sigv4_header hs[] = {{"Content-Type", "application/x-www-form-urlencoded"},
                                      {"Host", "example.amazonaws.com"},
                                      {"X-Amz-Date", DATE}};
    expect(sign("POST", "/", NULL, hs, 3, "Param1=value1", NULL), "content-type;host;x-amz-date",
           "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}
END_TEST

START_TEST(get_unreserved)
{
    expect(sign("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL,
                base, 2, NULL, NULL),
           "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}
END_TEST

START_TEST(double_encoding_of_an_arn_path)
{
    /* Lambda's path with an ARN: the SDKs send %3A and sign %253A */
    struct buf c = BUF_INIT(4096);
    char *auth =
        sign("POST",
             "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Ax/invocations",
             "Qualifier=%24LATEST", base, 2, "{}", &c);
    ck_assert_ptr_nonnull(strstr(
        c.data, "\n/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A1%253Afunction%"
                "253Ax/invocations\nQualifier=%24LATEST\n"));
    buf_release(&c);
    free(auth);
}
END_TEST

START_TEST(amz_date_and_hash)
{
    char d[17], h[65];
    sigv4_amz_date(1440938160, d);
    ck_assert_str_eq(d, DATE);
    sigv4_sha256_hex("abc", 3, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(missing_fields_are_refused)
{
    struct sigv4_request rq = {.method = "GET", .path = "/"};
    struct buf out = BUF_INIT(4096);
    ck_assert_int_eq(sigv4_sign(&rq, &out, NULL, NULL), PARLEY_EINVAL);
    buf_release(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sigv4");
    TCase *tc = tcase_create("aws-test-suite");
    tcase_add_test(tc, get_vanilla);
    tcase_add_test(tc, post_vanilla);
    tcase_add_test(tc, get_vanilla_query_order_key_case);
    tcase_add_test(tc, post_vanilla_query);
    tcase_add_test(tc, get_header_value_trim);
    tcase_add_test(tc, post_x_www_form_urlencoded);
    tcase_add_test(tc, get_unreserved);
    tcase_add_test(tc, double_encoding_of_an_arn_path);
    tcase_add_test(tc, amz_date_and_hash);
    tcase_add_test(tc, missing_fields_are_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
