/*
 * bots/slack.c: the request verifier (Slack's official test vector, the
 * 5-minute window both ways, malformed headers), session user ids, and how
 * an outcome becomes a chat.postMessage body. The HTTP side (events,
 * retries, commands, buttons) and the agreement with @slack/bolt are in
 * tests/integration/slack*.test.mjs.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots/slack.h"
#include "bots/slack_internal.h"
#include "common/common.h"

#define VSECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define VTS "1531420618"
#define VSIG "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
static const char vbody[] =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
#define VNOW 1531420618

static int verify(const char *secret, const char *ts, const char *sig, const char *body,
                  int64_t now)
{
    return slack_signature_verify(secret, ts, sig, body, strlen(body), now, NULL);
}

START_TEST(official_vector_is_accepted)
{
    const char *why = "unset";
    ck_assert_int_eq(slack_signature_verify(VSECRET, VTS, VSIG, vbody, strlen(vbody), VNOW, &why),
                     0);
    ck_assert_ptr_null(why);
}
END_TEST

START_TEST(window_is_five_minutes_both_ways)
{
    ck_assert_int_eq(verify(VSECRET, VTS, VSIG, vbody, VNOW + 300), 0);
    ck_assert_int_eq(verify(VSECRET, VTS, VSIG, vbody, VNOW - 300), 0);
    ck_assert_int_eq(verify(VSECRET, VTS, VSIG, vbody, VNOW + 301), PARLEY_EINVAL);
    ck_assert_int_eq(verify(VSECRET, VTS, VSIG, vbody, VNOW - 301), PARLEY_EINVAL);
}
END_TEST

START_TEST(tampering_is_refused)
{
    char body[sizeof vbody];
    memcpy(body, vbody, sizeof vbody);
    body[10] ^= 1;
    ck_assert_int_eq(verify(VSECRET, VTS, VSIG, body, VNOW), PARLEY_EINVAL);
    ck_assert_int_eq(verify(VSECRET "x", VTS, VSIG, vbody, VNOW), PARLEY_EINVAL);
    char sig[] = VSIG;
    sig[10] = sig[10] == '0' ? '1' : '0';
    ck_assert_int_eq(verify(VSECRET, VTS, sig, vbody, VNOW), PARLEY_EINVAL);
    char upper[] = VSIG;
    for (char *p = upper + 3; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    ck_assert_int_eq(verify(VSECRET, VTS, upper, vbody, VNOW), PARLEY_EINVAL);
    ck_assert_int_eq(verify(VSECRET, VTS,
                            "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
                            vbody, VNOW),
                     PARLEY_EINVAL);
    ck_assert_int_eq(verify(VSECRET, VTS, VSIG "=", vbody, VNOW), PARLEY_EINVAL);
    ck_assert_int_eq(verify(VSECRET, VTS, VSIG "0", vbody, VNOW), PARLEY_EINVAL);
    ck_assert_int_eq(verify(VSECRET, VTS, "v0=", vbody, VNOW), PARLEY_EINVAL);
    ck_assert_int_eq(verify(VSECRET, VTS, "", vbody, VNOW), PARLEY_EINVAL);
}
END_TEST

START_TEST(timestamps_must_be_canonical_integers)
{
    static const char *bad[] = {"",
                                "abc",
                                "1531420618.0",
                                "+1531420618",
                                "01531420618",
                                " 1531420618",
                                "1531420618 ",
                                "-1531420618",
                                "1e9",
                                "1531420618531420618",
                                NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(verify(VSECRET, bad[i], VSIG, vbody, VNOW) == PARLEY_EINVAL, "%s", bad[i]);
}
END_TEST

START_TEST(missing_parts_are_refused)
{
    const char *why = NULL;
    ck_assert_int_eq(slack_signature_verify(VSECRET, NULL, VSIG, vbody, strlen(vbody), VNOW, &why),
                     PARLEY_EINVAL);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(verify(VSECRET, VTS, NULL, vbody, VNOW), PARLEY_EINVAL);
    ck_assert_int_eq(verify(NULL, VTS, VSIG, vbody, VNOW), PARLEY_EINVAL);
    ck_assert_int_eq(verify("", VTS, VSIG, vbody, VNOW), PARLEY_EINVAL);
}
END_TEST

START_TEST(empty_body_signs_too)
{
    /* HMAC-SHA256("s", "v0:100:"), computed with Python's hmac */
    ck_assert_int_eq(slack_signature_verify(
                         "s", "100",
                         "v0=8ba5cd1bc8fbb6eec46fd78e603e390b3efdb0b26e4b90cb1f3cea6aa1b1e2d1", "",
                         0, 100, NULL),
                     0);
}
END_TEST

START_TEST(session_users_are_safe_ids)
{
    char out[128];
    slack_session_user(out, sizeof out, "T1", "U2", "C3", "1700000000.000100");
    ck_assert_str_eq(out, "T1:U2:C3:1700000000.000100");
    slack_session_user(out, sizeof out, "T1", "U2", "D3", NULL);
    ck_assert_str_eq(out, "T1:U2:D3");
    slack_session_user(out, sizeof out, "T 1", "U/2", "C\xc3\xa9", NULL);
    ck_assert_str_eq(out, "T_1:U_2:C__");
    char longid[300];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    slack_session_user(out, sizeof out, "T", longid, "C", "1.2");
    ck_assert_uint_eq(strlen(out), 100);
}
END_TEST

START_TEST(outcomes_render_as_messages_with_buttons)
{
    cJSON *o = cJSON_Parse(
        "{\"message\":\"Which flowers?\",\"dialogState\":\"ElicitSlot\",\"responseCard\":{"
        "\"genericAttachments\":[{\"title\":\"Flowers\",\"subTitle\":\"Pick one\",\"buttons\":["
        "{\"text\":\"Roses\",\"value\":\"roses\"},{\"text\":\"Lilies\",\"value\":\"lilies\"}]}]}}");
    cJSON *m = slack_message_render(o, "C1", "1.2");
    ck_assert_str_eq(json_string(m, "channel"), "C1");
    ck_assert_str_eq(json_string(m, "thread_ts"), "1.2");
    ck_assert_str_eq(json_string(m, "text"), "Which flowers?");
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(m, "blocks");
    ck_assert_int_eq(cJSON_GetArraySize(blocks), 3);
    const cJSON *actions = cJSON_GetArrayItem(blocks, 2);
    ck_assert_str_eq(json_string(actions, "type"), "actions");
    const cJSON *els = cJSON_GetObjectItemCaseSensitive(actions, "elements");
    ck_assert_int_eq(cJSON_GetArraySize(els), 2);
    const cJSON *b = cJSON_GetArrayItem(els, 1);
    ck_assert_str_eq(json_string(b, "value"), "lilies");
    ck_assert_str_eq(json_string(cJSON_GetObjectItemCaseSensitive(b, "text"), "text"), "Lilies");
    cJSON_Delete(m);
    cJSON_Delete(o);

    o = cJSON_Parse("{\"intentName\":\"OrderFlowers\",\"dialogState\":\"ReadyForFulfillment\"}");
    m = slack_message_render(o, NULL, NULL);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(m, "channel"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(m, "blocks"));
    ck_assert_str_eq(json_string(m, "text"), "OrderFlowers: ReadyForFulfillment");
    cJSON_Delete(m);
    cJSON_Delete(o);
}
END_TEST

START_TEST(form_values_are_decoded)
{
    static const char body[] =
        "command=%2Fports&text=open+ports%20for+i-1&textx=no&empty=&bad=%zz%4";
    size_t n = strlen(body);
    char *v = slack_form_get(body, n, "command");
    ck_assert_str_eq(v, "/ports");
    free(v);
    v = slack_form_get(body, n, "text");
    ck_assert_str_eq(v, "open ports for i-1");
    free(v);
    v = slack_form_get(body, n, "empty");
    ck_assert_str_eq(v, "");
    free(v);
    v = slack_form_get(body, n, "bad");
    ck_assert_str_eq(v, "%zz%4");
    free(v);
    ck_assert_ptr_null(slack_form_get(body, n, "tex"));
    ck_assert_ptr_null(slack_form_get(body, n, "missing"));
    ck_assert_ptr_null(slack_form_get("", 0, "text"));
    /* only len bytes are read */
    v = slack_form_get(body, strlen("command=%2Fpo"), "command");
    ck_assert_str_eq(v, "/po");
    free(v);
}
END_TEST

START_TEST(mentions_are_stripped)
{
    char *t = slack_strip_mentions("<@UBOT> what are the open ports?", "UBOT");
    ck_assert_str_eq(t, "what are the open ports?");
    free(t);
    t = slack_strip_mentions("  hey <@UBOT|configbot>, ask <@UOTHER> \n", "UBOT");
    ck_assert_str_eq(t, "hey , ask <@UOTHER>");
    free(t);
    t = slack_strip_mentions("<@UA> <@UB|b> hi", NULL);
    ck_assert_str_eq(t, "hi");
    free(t);
    t = slack_strip_mentions("<@UBOT", "UBOT");
    ck_assert_str_eq(t, "<@UBOT");
    free(t);
    t = slack_strip_mentions("<@UBOT>", "UBOT");
    ck_assert_str_eq(t, "");
    free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("slack");
    TCase *tc = tcase_create("slack");
    tcase_add_test(tc, official_vector_is_accepted);
    tcase_add_test(tc, window_is_five_minutes_both_ways);
    tcase_add_test(tc, tampering_is_refused);
    tcase_add_test(tc, timestamps_must_be_canonical_integers);
    tcase_add_test(tc, missing_parts_are_refused);
    tcase_add_test(tc, empty_body_signs_too);
    tcase_add_test(tc, session_users_are_safe_ids);
    tcase_add_test(tc, outcomes_render_as_messages_with_buttons);
    tcase_add_test(tc, form_values_are_decoded);
    tcase_add_test(tc, mentions_are_stripped);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
