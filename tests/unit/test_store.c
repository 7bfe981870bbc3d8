/*
 * store/: versions and compare-and-set, expiry, prefix listing, migrations,
 * and durability: a writer killed with SIGKILL loses nothing it had confirmed.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "store/store.h"

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/parley-test-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static struct store *open_store(void)
{
    struct store *s = NULL;
    char err[256] = "";
    int rc = store_open(dir, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "store_open: %s", err);
    return s;
}

START_TEST(put_get_versions)
{
    make_dir();
    struct store *s = open_store();
    int64_t v = 0;
    ck_assert_int_eq(store_put(s, "sessions", "a", "one", 3, NULL, &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(store_put(s, "sessions", "a", "two!", 4, NULL, &v), 0);
    ck_assert_int_eq(v, 2);
    struct store_item it;
    ck_assert_int_eq(store_get(s, "sessions", "a", &it), 0);
    ck_assert_str_eq(it.value, "two!");
    ck_assert_uint_eq(it.len, 4);
    ck_assert_int_eq(it.version, 2);
    store_item_release(&it);
    /* namespaces are separate */
    ck_assert_int_eq(store_get(s, "other", "a", &it), PARLEY_ENOTFOUND);
    store_close(s);
    remove_dir();
}
END_TEST

START_TEST(compare_and_set)
{
    make_dir();
    struct store *s = open_store();
    struct store_put_opts only_new = {.expect_version = STORE_NO_RECORD};
    ck_assert_int_eq(store_put(s, "n", "k", "x", 1, &only_new, NULL), 0);
    ck_assert_int_eq(store_put(s, "n", "k", "y", 1, &only_new, NULL), PARLEY_ECONFLICT);
    struct store_put_opts at1 = {.expect_version = 1};
    ck_assert_int_eq(store_put(s, "n", "k", "z", 1, &at1, NULL), 0);
    ck_assert_int_eq(store_put(s, "n", "k", "w", 1, &at1, NULL), PARLEY_ECONFLICT);
    struct store_item it;
    ck_assert_int_eq(store_get(s, "n", "k", &it), 0);
    ck_assert_str_eq(it.value, "z");
    store_item_release(&it);
    ck_assert_int_eq(store_delete(s, "n", "k", 1), PARLEY_ECONFLICT);
    ck_assert_int_eq(store_delete(s, "n", "k", 2), 0);
    ck_assert_int_eq(store_delete(s, "n", "k", STORE_ANY_VERSION), PARLEY_ENOTFOUND);
    store_close(s);
    remove_dir();
}
END_TEST

START_TEST(expiry)
{
    make_dir();
    struct store *s = open_store();
    struct store_put_opts past = {.expect_version = STORE_ANY_VERSION,
                                  .expires_at_ms = time_now_ms() - 1};
    struct store_put_opts future = {.expect_version = STORE_ANY_VERSION,
                                    .expires_at_ms = time_now_ms() + 60000};
    ck_assert_int_eq(store_put(s, "n", "old", "x", 1, &past, NULL), 0);
    ck_assert_int_eq(store_put(s, "n", "new", "y", 1, &future, NULL), 0);
    struct store_item it;
    ck_assert_int_eq(store_get(s, "n", "old", &it), PARLEY_ENOTFOUND);
    ck_assert_int_eq(store_get(s, "n", "new", &it), 0);
    ck_assert_int_eq(it.expires_at_ms, future.expires_at_ms);
    store_item_release(&it);
    /* an expired record counts as absent: a create-only put succeeds and starts at version 1 */
    struct store_put_opts only_new = {.expect_version = STORE_NO_RECORD};
    int64_t v = 0;
    ck_assert_int_eq(store_put(s, "n", "old", "z", 1, &only_new, &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(store_put(s, "n", "gone", "x", 1, &past, NULL), 0);
    ck_assert_int_eq(store_purge_expired(s, time_now_ms()), 1);
    store_close(s);
    remove_dir();
}
END_TEST

struct collected {
    char keys[16][32];
    int n;
};

static int collect(const char *key, const struct store_item *item, void *ud)
{
    struct collected *c = ud;
    snprintf(c->keys[c->n++], sizeof c->keys[0], "%s=%.*s", key, (int)item->len, item->value);
    return c->n == 16;
}

START_TEST(list_prefix_in_order)
{
    make_dir();
    struct store *s = open_store();
    const char *keys[] = {"bot/b", "bot/a", "bot2/x", "bo", "bot/\xc3\xa9"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(store_put(s, "n", keys[i], "v", 1, NULL, NULL), 0);
    struct store_put_opts past = {.expect_version = STORE_ANY_VERSION, .expires_at_ms = 1};
    ck_assert_int_eq(store_put(s, "n", "bot/expired", "v", 1, &past, NULL), 0);
    struct collected c = {.n = 0};
    ck_assert_int_eq(store_list(s, "n", "bot/", 0, collect, &c), 0);
    ck_assert_int_eq(c.n, 3);
    ck_assert_str_eq(c.keys[0], "bot/a=v");
    ck_assert_str_eq(c.keys[1], "bot/b=v");
    ck_assert_str_eq(c.keys[2], "bot/\xc3\xa9=v");
    c.n = 0;
    ck_assert_int_eq(store_list(s, "n", "bot", 2, collect, &c), 0);
    ck_assert_int_eq(c.n, 2);
    store_close(s);
    remove_dir();
}
END_TEST

START_TEST(reopen_keeps_data_and_schema)
{
    make_dir();
    struct store *s = open_store();
    ck_assert_int_eq(store_schema_version(s), 1);
    ck_assert_int_eq(store_put(s, "n", "k", "persist", 7, NULL, NULL), 0);
    store_close(s);
    s = open_store();
    struct store_item it;
    ck_assert_int_eq(store_get(s, "n", "k", &it), 0);
    ck_assert_str_eq(it.value, "persist");
    store_item_release(&it);
    store_close(s);
    remove_dir();
}
END_TEST

START_TEST(newer_schema_is_refused)
{
    make_dir();
    struct store *s = open_store();
    store_close(s);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s/parley.db' 'PRAGMA user_version = 99' 2>/dev/null", dir);
    if (system(cmd) != 0) {
        /* No sqlite3 shell: write the header field directly (offset 60, big-endian). */
        char path[512];
        snprintf(path, sizeof path, "%s/parley.db", dir);
        FILE *f = fopen(path, "r+b");
        ck_assert_ptr_nonnull(f);
        unsigned char v[4] = {0, 0, 0, 99};
        fseek(f, 60, SEEK_SET);
        fwrite(v, 1, 4, f);
        fclose(f);
    }
    struct store *s2 = NULL;
    char err[256] = "";
    ck_assert_int_eq(store_open(dir, &s2, err, sizeof err), PARLEY_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "newer"));
    remove_dir();
}
END_TEST

START_TEST(bad_arguments)
{
    make_dir();
    struct store *s = open_store();
    ck_assert_int_eq(store_put(s, "", "k", "v", 1, NULL, NULL), PARLEY_EINVAL);
    ck_assert_int_eq(store_put(s, "n", NULL, "v", 1, NULL, NULL), PARLEY_EINVAL);
    struct store_item it;
    ck_assert_int_eq(store_get(s, NULL, "k", &it), PARLEY_EINVAL);
    store_close(s);
    struct store *s2 = NULL;
    char err[256] = "";
    ck_assert_int_ne(store_open("/proc/no-such-place/data", &s2, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "/proc/no-such-place/data"));
    remove_dir();
}
END_TEST

/*
 * A child writes records one after another and reports each confirmed write
 * through a pipe; the parent kills it with SIGKILL mid-stream, then checks
 * that every confirmed record is there, whole.
 */
START_TEST(sigkill_loses_nothing_confirmed)
{
    make_dir();
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        struct store *s = NULL;
        if (store_open(dir, &s, NULL, 0) != 0)
            _exit(3);
        char value[2048];
        for (int i = 0;; i++) {
            char key[32];
            snprintf(key, sizeof key, "k%06d", i);
            memset(value, 'a' + i % 26, sizeof value);
            if (store_put(s, "durable", key, value, sizeof value, NULL, NULL) != 0)
                _exit(4);
            if (write(fds[1], &i, sizeof i) != (ssize_t)sizeof i)
                _exit(5);
        }
    }
    close(fds[1]);
    int confirmed = -1, i;
    /* Let it write for a while (at least 50 confirmed records), then kill it mid-write. */
    while (confirmed < 50 && read(fds[0], &i, sizeof i) == (ssize_t)sizeof i)
        confirmed = i;
    usleep(20000);
    kill(pid, SIGKILL);
    while (read(fds[0], &i, sizeof i) == (ssize_t)sizeof i)
        confirmed = i;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ck_assert_int_ge(confirmed, 50);

    struct store *s = open_store();
    for (int k = 0; k <= confirmed; k++) {
        char key[32];
        snprintf(key, sizeof key, "k%06d", k);
        struct store_item it;
        ck_assert_msg(store_get(s, "durable", key, &it) == 0, "confirmed record %s lost", key);
        ck_assert_uint_eq(it.len, 2048);
        ck_assert_int_eq(it.value[0], 'a' + k % 26);
        ck_assert_int_eq(it.value[2047], 'a' + k % 26);
        store_item_release(&it);
    }
    store_close(s);
    remove_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("sqlite");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, put_get_versions);
    tcase_add_test(tc, compare_and_set);
    tcase_add_test(tc, expiry);
    tcase_add_test(tc, list_prefix_in_order);
    tcase_add_test(tc, reopen_keeps_data_and_schema);
    tcase_add_test(tc, newer_schema_is_refused);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, sigkill_loses_nothing_confirmed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
