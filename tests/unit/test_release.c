/* spa-host/release.c + load.c: deploy, list, rollback, failed deploys, loading, planted symlinks.
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

static char root[PATH_MAX];
static struct spa_sites *sites;

static void put(const char *rel, const char *text)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    char cmd[PATH_MAX * 3];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
    ck_assert_int_eq(system(cmd), 0);
    *slash = '/';
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/parley-test-release-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char data[PATH_MAX + 8];
    snprintf(data, sizeof data, "%s/data", root);
    cJSON *doc = cJSON_Parse("[{\"name\":\"web\",\"keepReleases\":3}]");
    struct spa_config_source src = {
        .sites = doc, .file = "cfg.json", .dir = root, .data_dir = data};
    char err[256];
    ck_assert_int_eq(spa_sites_load(&src, &sites, err, sizeof err), 0);
    cJSON_Delete(doc);
    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put("v1/index.html", "<!doctype html><title>one</title>");
    put("v1/assets/app.0123abcd.js", big);
    put("v1/.env", "SECRET=1");
    put("v2/index.html", "<!doctype html><title>two</title>");
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    system(cmd);
    spa_sites_free(sites);
}

static void src(char *out, const char *name)
{
    size_t n = strlen(root);
    memcpy(out, root, n);
    out[n] = '/';
    memcpy(out + n + 1, name, strlen(name) + 1);
}

START_TEST(deploy_list_rollback)
{
    char dir[PATH_MAX], id1[SPA_ID_MAX], id2[SPA_ID_MAX], id[SPA_ID_MAX], err[512];
    const struct spa_site *site = spa_site_find(sites, "web");
    ck_assert_int_eq(spa_release_current(site, id), -1);
    src(dir, "v1");
    ck_assert_int_eq(spa_release_deploy(sites, "web", dir, id1, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(spa_release_current(site, id), 0);
    ck_assert_str_eq(id, id1);
    src(dir, "v2");
    ck_assert_int_eq(spa_release_deploy(sites, "web", dir, id2, NULL, NULL, err, sizeof err), 0);
    ck_assert_str_lt(id1, id2);
    struct spa_release_info *list;
    size_t n;
    ck_assert_int_eq(spa_release_list(sites, "web", &list, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(list[0].id, id1);
    ck_assert_uint_eq(list[0].files, 2); /* .env is not deployed */
    ck_assert(!list[0].current);
    ck_assert(list[1].current);
    free(list);
    ck_assert_int_eq(spa_release_rollback(sites, "web", NULL, id, err, sizeof err), 0);
    ck_assert_str_eq(id, id1);
    ck_assert_int_eq(spa_release_rollback(sites, "web", NULL, id, err, sizeof err),
                     PARLEY_ENOTFOUND);
    ck_assert_int_eq(spa_release_rollback(sites, "web", id2, id, err, sizeof err), 0);
    ck_assert_int_eq(spa_release_rollback(sites, "web", "../../etc", id, err, sizeof err),
                     PARLEY_EINVAL);
    ck_assert_int_eq(spa_release_rollback(sites, "web", "nope", id, err, sizeof err),
                     PARLEY_ENOTFOUND);
    ck_assert_int_eq(spa_release_deploy(sites, "nosuch", dir, id, NULL, NULL, err, sizeof err),
                     PARLEY_ENOTFOUND);
    /* keepReleases 3: the oldest goes, the current stays */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(spa_release_deploy(sites, "web", dir, id, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(spa_release_list(sites, "web", &list, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[2].id, id);
    free(list);
}
END_TEST

START_TEST(load_and_lookup)
{
    char dir[PATH_MAX], id[SPA_ID_MAX], err[512];
    src(dir, "v1");
    ck_assert_int_eq(spa_release_deploy(sites, "web", dir, id, NULL, NULL, err, sizeof err), 0);
    const struct spa_site *site = spa_site_find(sites, "web");
    struct spa_release *rel;
    ck_assert_int_eq(spa_release_load(site, id, &rel, err, sizeof err), 0);
    ck_assert_uint_eq(rel->nfiles, 2);
    const struct spa_file *f = spa_release_lookup(rel, "assets/app.0123abcd.js");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->cache_control, SPA_CACHE_IMMUTABLE);
    ck_assert(f->v[SPA_ENC_IDENTITY].present && f->v[SPA_ENC_IDENTITY].data);
    ck_assert(f->v[SPA_ENC_GZIP].present && f->v[SPA_ENC_GZIP].size < 100);
    ck_assert(f->v[SPA_ENC_BR].present && f->v[SPA_ENC_BR].size < 100);
    ck_assert_int_eq(f->v[SPA_ENC_GZIP].etag[33], '-');
    /* a small file gains nothing from compression: no variants */
    f = spa_release_lookup(rel, "index.html");
    ck_assert(!f->v[SPA_ENC_GZIP].present && !f->v[SPA_ENC_BR].present);
    ck_assert_ptr_null(spa_release_lookup(rel, ".env"));
    ck_assert_ptr_null(spa_release_lookup(rel, "nope"));
    spa_release_ref(rel);
    spa_release_unref(rel);
    spa_release_unref(rel);
}
END_TEST

START_TEST(failed_deploy_changes_nothing)
{
    char dir[PATH_MAX], id1[SPA_ID_MAX], id[SPA_ID_MAX], err[512];
    src(dir, "v1");
    ck_assert_int_eq(spa_release_deploy(sites, "web", dir, id1, NULL, NULL, err, sizeof err), 0);
    /* folders nested past the limit fail the deploy after other files were copied */
    char deep[PATH_MAX] = "v3";
    for (int i = 0; i < SPA_MAX_DEPTH + 2; i++)
        strncat(deep, "/d", sizeof deep - strlen(deep) - 1);
    strncat(deep, "/f.txt", sizeof deep - strlen(deep) - 1);
    put(deep, "deep");
    put("v3/index.html", "three");
    src(dir, "v3");
    ck_assert_int_eq(spa_release_deploy(sites, "web", dir, id, NULL, NULL, err, sizeof err),
                     PARLEY_ETOOBIG);
    ck_assert_ptr_nonnull(strstr(err, "deeper than"));
    ck_assert_int_eq(spa_release_current(spa_site_find(sites, "web"), id), 0);
    ck_assert_str_eq(id, id1);
    struct spa_release_info *list;
    size_t n;
    ck_assert_int_eq(spa_release_list(sites, "web", &list, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 1);
    free(list);
    char tmpglob[PATH_MAX + 64];
    snprintf(tmpglob, sizeof tmpglob, "ls -a '%s/data/sites/web/releases' | grep -q tmp", root);
    ck_assert_int_ne(system(tmpglob), 0); /* the partial release is gone */
}
END_TEST

START_TEST(symlinks)
{
    char dir[PATH_MAX], id[SPA_ID_MAX], err[512], p[PATH_MAX * 2], t[PATH_MAX * 2];
    src(dir, "v1");
    snprintf(p, sizeof p, "%s/v1/passwd.txt", root);
    ck_assert_int_eq(symlink("/etc/passwd", p), 0);
    snprintf(p, sizeof p, "%s/v1/etc", root);
    ck_assert_int_eq(symlink("/etc", p), 0);
    snprintf(p, sizeof p, "%s/v1/inside.html", root);
    ck_assert_int_eq(symlink("index.html", p), 0);
    ck_assert_int_eq(spa_release_deploy(sites, "web", dir, id, NULL, NULL, err, sizeof err), 0);
    const struct spa_site *site = spa_site_find(sites, "web");
    struct spa_release *rel;
    ck_assert_int_eq(spa_release_load(site, id, &rel, err, sizeof err), 0);
    ck_assert_ptr_null(spa_release_lookup(rel, "passwd.txt"));
    ck_assert_ptr_null(spa_release_lookup(rel, "etc/passwd"));
    ck_assert_ptr_nonnull(spa_release_lookup(rel, "inside.html")); /* copied, as a file */
    spa_release_unref(rel);
    /* a symlink planted in the release afterwards makes it refuse to load */
    snprintf(p, sizeof p, "%s/data/sites/web/releases/%s/files/index.html", root, id);
    snprintf(t, sizeof t, "%s/v1/passwd.txt", root);
    ck_assert_int_eq(unlink(p), 0);
    ck_assert_int_eq(symlink("/etc/passwd", p), 0);
    ck_assert_int_eq(spa_release_load(site, id, &rel, err, sizeof err), PARLEY_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "symlink"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("release");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, deploy_list_rollback);
    tcase_add_test(tc, load_and_lookup);
    tcase_add_test(tc, failed_deploy_changes_nothing);
    tcase_add_test(tc, symlinks);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
