/*
 * common/buf.c: the capped buffer never grows past its cap and keeps its
 * data NUL-terminated; and common/json.c's frozen copies.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

START_TEST(append_and_terminate)
{
    struct buf b = BUF_INIT(100);
    ck_assert_int_eq(buf_puts(&b, "hello"), 0);
    ck_assert_int_eq(buf_printf(&b, " %d-%s", 42, "x"), 0);
    ck_assert_str_eq(b.data, "hello 42-x");
    ck_assert_uint_eq(b.len, 10);
    buf_release(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(cap_is_enforced)
{
    struct buf b = BUF_INIT(8);
    ck_assert_int_eq(buf_puts(&b, "12345678"), 0);
    ck_assert_int_eq(buf_puts(&b, "9"), PARLEY_ETOOBIG);
    ck_assert_uint_eq(b.len, 8); /* a failed append changes nothing */
    ck_assert_str_eq(b.data, "12345678");
    ck_assert_int_eq(buf_printf(&b, "%s", "more"), PARLEY_ETOOBIG);
    ck_assert_uint_le(b.cap, 9);
    buf_release(&b);
}
END_TEST

START_TEST(long_printf_grows)
{
    struct buf b = BUF_INIT(1 << 20);
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(buf_printf(&b, "[%s]", big), 0);
    ck_assert_uint_eq(b.len, 1001);
    ck_assert_int_eq(b.data[0], '[');
    ck_assert_int_eq(b.data[1000], ']');
    buf_release(&b);
}
END_TEST

START_TEST(json_string_escapes)
{
    struct buf b = BUF_INIT(1000);
    const char in[] = "a\"b\\c\n\x01\xc3\xa9";
    ck_assert_int_eq(buf_json_string(&b, in, sizeof in - 1), 0);
    ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
    /* and cJSON reads it back to the same bytes */
    cJSON *j = cJSON_Parse(b.data);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(j->valuestring, in);
    cJSON_Delete(j);
    buf_release(&b);
}
END_TEST

START_TEST(detach_transfers)
{
    struct buf b = BUF_INIT(16);
    size_t len = 99;
    char *empty = buf_detach(&b, &len);
    ck_assert_str_eq(empty, "");
    ck_assert_uint_eq(len, 0);
    free(empty);
    buf_puts(&b, "abc");
    char *p = buf_detach(&b, &len);
    ck_assert_str_eq(p, "abc");
    ck_assert_uint_eq(len, 3);
    ck_assert_ptr_null(b.data);
    free(p);
}
END_TEST

START_TEST(error_table)
{
    ck_assert_str_eq(parley_strerror(PARLEY_ETOOBIG), "too large");
    ck_assert_str_eq(parley_strerror(0), "ok");
    ck_assert_str_eq(parley_strerror(-999), "unknown error");
}
END_TEST

/* common/json.c: a frozen copy prints the same, is one block, and reads like any cJSON tree. */
START_TEST(json_freeze_copies_in_one_block)
{
    const char *text =
        "{\"id\":\"a/b/7\",\"seq\":7,\"confidence\":0.875,\"slots\":{\"A\":\"x\","
        "\"B\":null},\"list\":[1,[2,{\"c\":true}],\"\u00e9\"],\"empty\":{},\"no\":false}";
    cJSON *src = cJSON_Parse(text);
    ck_assert_ptr_nonnull(src);
    static const char *const names[] = {"seq", "slots", "c"};
    cJSON *frozen = json_freeze(src, names, 3);
    ck_assert_ptr_nonnull(frozen);
    char *a = cJSON_PrintUnformatted(src), *b = cJSON_PrintUnformatted(frozen);
    ck_assert_str_eq(a, b);
    /* the members of an object are consecutive nodes, and every node lies in the block */
    const cJSON *m = frozen->child;
    ck_assert_ptr_eq(m, frozen + 1);
    for (; m->next; m++)
        ck_assert_ptr_eq(m->next, m + 1);
    ck_assert_ptr_eq(frozen->child->prev, m); /* the first's prev is the last, as cJSON keeps it */
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(frozen, "slots"), "A"), "x");
    /* the names given are shared, not copied; the others are copies in the block */
    ck_assert_ptr_eq(cJSON_GetObjectItem(frozen, "seq")->string, names[0]);
    ck_assert(cJSON_GetObjectItem(frozen, "seq")->type & cJSON_StringIsConst);
    ck_assert_ptr_ne(cJSON_GetObjectItem(frozen, "id")->string,
                     cJSON_GetObjectItem(src, "id")->string);
    ck_assert(!(cJSON_GetObjectItem(frozen, "id")->type & cJSON_StringIsConst));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(frozen, "list")), 3);
    /* objects and arrays are marked as laid out consecutively; a duplicate is not, and owns
       its own strings: it outlives the block */
    ck_assert_int_eq(frozen->type & JSON_CONSECUTIVE, JSON_CONSECUTIVE);
    ck_assert_int_eq(cJSON_GetObjectItem(frozen, "list")->type & JSON_CONSECUTIVE,
                     JSON_CONSECUTIVE);
    cJSON *dup = cJSON_Duplicate(frozen, true);
    ck_assert_int_ne(dup->type & JSON_CONSECUTIVE, JSON_CONSECUTIVE);
    cJSON_Delete(src);
    free(frozen);
    char *c = cJSON_PrintUnformatted(dup);
    ck_assert_str_eq(a, c);
    cJSON_Delete(dup);
    free(a);
    free(b);
    free(c);
    ck_assert_ptr_null(json_freeze(NULL, NULL, 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, append_and_terminate);
    tcase_add_test(tc, cap_is_enforced);
    tcase_add_test(tc, long_printf_grows);
    tcase_add_test(tc, json_string_escapes);
    tcase_add_test(tc, detach_transfers);
    tcase_add_test(tc, error_table);
    tcase_add_test(tc, json_freeze_copies_in_one_block);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
