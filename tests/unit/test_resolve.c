/* spa-host/resolve.c: paths are decoded once (by the core) and confined: no .., \, NUL, bad UTF-8.
 */
#include <check.h>
#include <string.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

static enum spa_path_result norm(const char *in, char *out)
{
    bool slash;
    return spa_path_normalize(in, out, SPA_PATH_MAX + 1, &slash);
}

START_TEST(normal_paths)
{
    char out[SPA_PATH_MAX + 1];
    bool slash;
    ck_assert_int_eq(norm("", out), SPA_PATH_OK);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(norm("assets/app.js", out), SPA_PATH_OK);
    ck_assert_str_eq(out, "assets/app.js");
    ck_assert_int_eq(norm("//a/./b//c", out), SPA_PATH_OK);
    ck_assert_str_eq(out, "a/b/c");
    ck_assert_int_eq(spa_path_normalize("flights/", out, sizeof out, &slash), SPA_PATH_OK);
    ck_assert(slash);
    ck_assert_str_eq(out, "flights");
    ck_assert_int_eq(norm(".well-known/security.txt", out), SPA_PATH_OK);
    ck_assert_int_eq(norm("caf\xc3\xa9/\xe2\x82\xac.txt", out), SPA_PATH_OK);
    ck_assert_int_eq(norm("%2e%2e", out), SPA_PATH_OK); /* already decoded once: a literal name */
    ck_assert_str_eq(out, "%2e%2e");
    ck_assert_int_eq(norm("a..b/c...", out), SPA_PATH_OK);
}
END_TEST

START_TEST(traversal_is_bad)
{
    char out[SPA_PATH_MAX + 1];
    const char *bad[] = {"..",
                         "../etc/passwd",
                         "a/../../etc/passwd",
                         "a/..",
                         "a\\..\\b",
                         "..\\etc",
                         "a\\b",
                         "a\x01",
                         "a\nb",
                         "a\x7f",
                         "\xc0\xae\xc0\xae/etc", /* overlong '.' */
                         "\xc0\xaf",             /* overlong '/' */
                         "\xe0\x80\xae",         /* 3-byte overlong '.' */
                         "\xf0\x80\x80\xae",     /* 4-byte overlong '.' */
                         "\xed\xa0\x80",         /* surrogate */
                         "\xf4\x90\x80\x80",     /* past U+10FFFF */
                         "\xff",
                         "\xc3", /* truncated */
                         "\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(norm(bad[i], out) == SPA_PATH_BAD, "accepted case %zu", i);
}
END_TEST

START_TEST(dotfiles_are_hidden)
{
    char out[SPA_PATH_MAX + 1];
    ck_assert_int_eq(norm(".env", out), SPA_PATH_HIDDEN);
    ck_assert_int_eq(norm(".git/config", out), SPA_PATH_HIDDEN);
    ck_assert_int_eq(norm("a/.htaccess", out), SPA_PATH_HIDDEN);
    ck_assert_int_eq(norm(".well-known/../.env", out), SPA_PATH_BAD); /* .. wins */
}
END_TEST

START_TEST(too_long)
{
    char in[SPA_PATH_MAX + 100];
    char out[SPA_PATH_MAX + 1];
    memset(in, 'a', sizeof in - 1);
    in[sizeof in - 1] = '\0';
    ck_assert_int_eq(norm(in, out), SPA_PATH_LONG);
}
END_TEST

START_TEST(manifest_paths)
{
    ck_assert(spa_manifest_path_ok("index.html"));
    ck_assert(spa_manifest_path_ok("assets/app.js"));
    ck_assert(!spa_manifest_path_ok("/index.html"));
    ck_assert(!spa_manifest_path_ok("a//b"));
    ck_assert(!spa_manifest_path_ok("../x"));
    ck_assert(!spa_manifest_path_ok(".env"));
    ck_assert(!spa_manifest_path_ok(""));
    ck_assert(!spa_manifest_path_ok("dir/"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resolve");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, normal_paths);
    tcase_add_test(tc, traversal_is_bad);
    tcase_add_test(tc, dotfiles_are_hidden);
    tcase_add_test(tc, too_long);
    tcase_add_test(tc, manifest_paths);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
