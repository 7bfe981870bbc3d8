/*
 * graphql/service.c through graphql/service.h, without HTTP: the admin
 * token and public fields, GET's queries-only rule, request errors, the
 * prepared-document cache under eviction and from many threads, and a
 * subscription that receives the turns postText takes (and none after it
 * ends).
 */
#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bots/bots.h"
#include "common/common.h"
#include "graphql/service.h"
#include "server/config.h"
#include "store/store.h"

static char dir[256];
static struct parley_config cfg;
static struct store *st;
static struct bot_engine *engine;
static struct graphql_service *svc;

static void start(const char *graphql_section)
{
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s", __FILE__);
    *strstr(src, "/tests/unit/") = '\0';
    snprintf(dir, sizeof dir, "/tmp/parley-test-gql-service-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/parley.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"bots\": [{\"file\": \"%s/examples/bots/flowers.json\"}], \"graphql\": %s}", src,
            graphql_section);
    fclose(f);
    char err[1024] = "";
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(store_open(dir, &st, err, sizeof err), 0);
    struct bot_engine_options o = {.workers = 2, .message_seed = 1};
    ck_assert_msg(bot_engine_new(&cfg, st, &o, &engine, err, sizeof err) == 0, "%s", err);
    setenv("TEST_GQL_TOKEN", "s3cret", 1);
    struct graphql_service_deps deps = {.store = st, .bots = engine};
    ck_assert_msg(graphql_service_new(&cfg, &deps, NULL, &svc, err, sizeof err) == 0, "%s", err);
}

static void stop(void)
{
    graphql_service_stop(svc);
    bot_engine_free(engine);
    graphql_service_free(svc);
    store_close(st);
    config_release(&cfg);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void setup(void)
{
    start("{\"adminTokenEnv\": \"TEST_GQL_TOKEN\", \"cacheEntries\": 2}");
}

/* Runs query; returns the response printed, and the status. */
static char *run(const char *query, const char *authorization, unsigned flags,
                 enum graphql_status *status)
{
    struct graphql_request r = {
        .query = query, .query_len = strlen(query), .authorization = authorization};
    cJSON *resp = graphql_service_execute(svc, &r, flags, status);
    ck_assert_ptr_nonnull(resp);
    char *text = cJSON_PrintUnformatted(resp);
    cJSON_Delete(resp);
    return text;
}

static void expect(const char *query, const char *authorization, unsigned flags,
                   enum graphql_status want_status, const char *want_part)
{
    enum graphql_status st_ = 99;
    char *text = run(query, authorization, flags, &st_);
    ck_assert_msg(st_ == want_status, "%s: status %d, want %d: %s", query, st_, want_status, text);
    ck_assert_msg(strstr(text, want_part) != NULL, "%s: %s lacks %s", query, text, want_part);
    free(text);
}

START_TEST(token_and_public_fields)
{
    expect("{ __typename }", NULL, 0, GRAPHQL_STATUS_OK, "{\"data\":{\"__typename\":\"Query\"}}");
    expect("{ __schema { queryType { name } } }", NULL, 0, GRAPHQL_STATUS_OK, "\"Query\"");
    expect("{ bots { name } }", NULL, 0, GRAPHQL_STATUS_UNAUTHORIZED, "UNAUTHENTICATED");
    expect("{ bots { name } }", "Bearer wrong", 0, GRAPHQL_STATUS_UNAUTHORIZED, "TEST_GQL_TOKEN");
    expect("{ bots { name } }", "Bearer s3cret", 0, GRAPHQL_STATUS_OK, "FlowerShop");
    expect("{ bots { name } }", "bearer   s3cret ", 0, GRAPHQL_STATUS_OK, "FlowerShop");
    expect("{ bots { name } }", "Bearer s3cret2", 0, GRAPHQL_STATUS_UNAUTHORIZED, "errors");
    expect("{ bots { name } }", "Basic s3cret", 0, GRAPHQL_STATUS_UNAUTHORIZED, "errors");
    /* a private field behind a fragment or an inline fragment still counts */
    expect("{ ... on Query { bots { name } } }", NULL, 0, GRAPHQL_STATUS_UNAUTHORIZED, "errors");
    expect("{ ...F } fragment F on Query { __typename }", NULL, 0, GRAPHQL_STATUS_OK, "Query");
    ck_assert_int_eq(graphql_service_check_authorization(svc, NULL), 0);
    ck_assert_int_eq(graphql_service_check_authorization(svc, "Bearer s3cret"), 0);
    ck_assert_int_eq(graphql_service_check_authorization(svc, "Bearer nope"), -1);
}
END_TEST

START_TEST(request_errors_and_get)
{
    expect("{", NULL, 0, GRAPHQL_STATUS_INVALID, "Syntax Error");
    expect("{ nope }", NULL, 0, GRAPHQL_STATUS_INVALID, "Cannot query field");
    expect("mutation { __typename }", NULL, GRAPHQL_QUERIES_ONLY, GRAPHQL_STATUS_NOT_ALLOWED,
           "POST");
    expect("mutation { __typename }", NULL, 0, GRAPHQL_STATUS_OK, "Mutation");
    expect("subscription { turns(bot: \"FlowerShop\") { seq } }", "Bearer s3cret", 0,
           GRAPHQL_STATUS_SUBSCRIPTION, "WebSocket");
    struct graphql_request r = {.query = "query A { __typename } mutation B { __typename }"};
    r.query_len = strlen(r.query);
    enum gql_operation_type type;
    r.operation_name = "B";
    ck_assert_int_eq(graphql_service_operation(svc, &r, &type), GQL_OK);
    ck_assert_int_eq(type, GQL_MUTATION);
    r.operation_name = "A";
    ck_assert_int_eq(graphql_service_operation(svc, &r, &type), GQL_OK);
    ck_assert_int_eq(type, GQL_QUERY);
    r.operation_name = NULL;
    ck_assert_int_lt(graphql_service_operation(svc, &r, &type), 0);
    /* variables are coerced per execution, the document comes from the cache */
    const char *q = "query ($n: String!) { bot(name: $n) { name locale } }";
    cJSON *vars = cJSON_Parse("{\"n\": \"FlowerShop\"}");
    struct graphql_request rv = {
        .query = q, .query_len = strlen(q), .variables = vars, .authorization = "Bearer s3cret"};
    enum graphql_status s;
    for (int i = 0; i < 3; i++) {
        cJSON *resp = graphql_service_execute(svc, &rv, 0, &s);
        ck_assert_int_eq(s, GRAPHQL_STATUS_OK);
        ck_assert_str_eq(
            json_string(cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "data"), "bot"), "locale"),
            "en-US");
        cJSON_Delete(resp);
    }
    cJSON_Delete(vars);
    rv.variables = NULL;
    cJSON *resp = graphql_service_execute(svc, &rv, 0, &s);
    ck_assert_int_eq(s, GRAPHQL_STATUS_INVALID);
    ck_assert_ptr_null(cJSON_GetObjectItem(resp, "data"));
    cJSON_Delete(resp);
}
END_TEST

/* Many threads, more distinct documents than the cache holds: every answer right. */
static void *hammer(void *arg)
{
    long k = (long)arg;
    for (int i = 0; i < 200; i++) {
        char q[128];
        snprintf(q, sizeof q, "{ a%ld: __typename b%d: __typename }", k, i % 5);
        char want[128];
        snprintf(want, sizeof want, "\"a%ld\":\"Query\",\"b%d\":\"Query\"", k, i % 5);
        enum graphql_status s;
        char *text = run(q, NULL, 0, &s);
        if (s != GRAPHQL_STATUS_OK || !strstr(text, want)) {
            free(text);
            return (void *)1;
        }
        free(text);
    }
    return NULL;
}

START_TEST(cache_under_eviction_from_threads)
{
    pthread_t t[6];
    for (long i = 0; i < 6; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
    for (int i = 0; i < 6; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        ck_assert_ptr_null(bad);
    }
}
END_TEST

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char events[8][256];
static int nevents;

static void on_event(const cJSON *response, void *ud)
{
    ck_assert_ptr_eq(ud, &nevents);
    char *text = cJSON_PrintUnformatted(response);
    pthread_mutex_lock(&ev_lock);
    if (nevents < 8)
        snprintf(events[nevents++], sizeof events[0], "%s", text);
    pthread_mutex_unlock(&ev_lock);
    free(text);
}

static void say(const char *user, const char *text)
{
    char q[512];
    snprintf(q, sizeof q,
             "mutation { postText(bot: \"FlowerShop\", user: \"%s\", text: \"%s\") { "
             "dialogState } }",
             user, text);
    expect(q, "Bearer s3cret", 0, GRAPHQL_STATUS_OK, "dialogState");
}

START_TEST(subscription_receives_turns)
{
    nevents = 0;
    const char *q = "subscription ($c: ID) { turns(bot: \"FlowerShop\", conversation: $c) { "
                    "seq inputText channel intentName conversation { id turnCount } } }";
    cJSON *vars = cJSON_Parse("{\"c\": \"FlowerShop/$LATEST/sub-user\"}");
    struct graphql_request r = {.query = q, .query_len = strlen(q), .variables = vars};
    struct graphql_subscription *sub = NULL;
    cJSON *errors = NULL;
    /* no token: refused */
    ck_assert_int_eq(graphql_service_subscribe(svc, &r, on_event, &nevents, &sub, &errors),
                     GRAPHQL_STATUS_UNAUTHORIZED);
    ck_assert_ptr_null(sub);
    ck_assert_ptr_nonnull(errors);
    cJSON_Delete(errors);
    r.authorization = "Bearer s3cret";
    ck_assert_int_eq(graphql_service_subscribe(svc, &r, on_event, &nevents, &sub, &errors),
                     GRAPHQL_STATUS_OK);
    ck_assert_ptr_nonnull(sub);
    ck_assert_ptr_null(errors);
    cJSON_Delete(vars); /* the subscription keeps its own copy */
    say("sub-user", "I would like to order some flowers");
    say("other-user", "order flowers"); /* another conversation: not ours */
    say("sub-user", "roses");
    graphql_subscription_free(sub);
    say("sub-user", "tomorrow");
    ck_assert_int_eq(nevents, 2);
    ck_assert_str_eq(events[0], "{\"data\":{\"turns\":{\"seq\":1,\"inputText\":\"I would like to "
                                "order some flowers\",\"channel\":\"graphql\",\"intentName\":"
                                "\"OrderFlowers\",\"conversation\":{\"id\":\"FlowerShop/$LATEST/"
                                "sub-user\",\"turnCount\":1}}}}");
    ck_assert_msg(strstr(events[1], "\"seq\":2,\"inputText\":\"roses\"") != NULL, "%s", events[1]);

    /* an unknown bot, a query given to subscribe */
    const char *bad = "subscription { turns(bot: \"NoBot\") { seq } }";
    struct graphql_request rb = {
        .query = bad, .query_len = strlen(bad), .authorization = "Bearer s3cret"};
    ck_assert_int_eq(graphql_service_subscribe(svc, &rb, on_event, NULL, &sub, &errors),
                     GRAPHQL_STATUS_INVALID);
    char *text = cJSON_PrintUnformatted(errors);
    ck_assert_msg(strstr(text, "There is no bot named NoBot.") != NULL, "%s", text);
    free(text);
    cJSON_Delete(errors);
    const char *query = "{ __typename }";
    struct graphql_request rq = {.query = query, .query_len = strlen(query)};
    ck_assert_int_eq(graphql_service_subscribe(svc, &rq, on_event, NULL, &sub, &errors),
                     GRAPHQL_STATUS_SUBSCRIPTION);
    ck_assert_ptr_null(errors);

    /* a subscription still open when the service stops gets nothing afterwards */
    r.variables = NULL;
    ck_assert_int_eq(graphql_service_subscribe(svc, &r, on_event, &nevents, &sub, &errors),
                     GRAPHQL_STATUS_OK);
    graphql_service_stop(svc);
    nevents = 0;
    struct bot_turn t = {.bot = "FlowerShop", .alias = "$LATEST", .user = "late", .text = "hi"};
    int err;
    char msg[256];
    cJSON_Delete(bot_turn_run(engine, &t, &err, msg, sizeof msg));
    ck_assert_int_eq(nevents, 0);
    graphql_subscription_free(sub);
}
END_TEST

START_TEST(config_errors)
{
    stop();
    const struct {
        const char *section, *want;
    } cases[] = {
        {"{\"publicFields\": [\"Query.nope\"]}", "graphql.publicFields[0]: must name a root field"},
        {"{\"publicFields\": \"Query.bots\"}", "graphql.publicFields: must be an array"},
        {"{\"maxFields\": 0}", "graphql.maxFields: must be an integer from 1 to 1000000"},
        {"{\"adminTokenEnv\": \"\"}", "graphql.adminTokenEnv: must be the name of"},
        {"{\"token\": 1}", "graphql.token: unknown key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(dir, sizeof dir, "/tmp/parley-test-gql-service-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char path[512];
        snprintf(path, sizeof path, "%s/parley.json", dir);
        FILE *f = fopen(path, "w");
        fprintf(f, "{\"graphql\": %s}", cases[i].section);
        fclose(f);
        char err[1024] = "";
        ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), 0);
        struct graphql_service *s = NULL;
        ck_assert_int_eq(graphql_service_new(&cfg, NULL, NULL, &s, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].want) != NULL, "%s: %s", cases[i].section, err);
        config_release(&cfg);
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
    }
    setup(); /* for the teardown */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gql_service");
    TCase *tc = tcase_create("service");
    tcase_add_checked_fixture(tc, setup, stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, token_and_public_fields);
    tcase_add_test(tc, request_errors_and_get);
    tcase_add_test(tc, cache_under_eviction_from_threads);
    tcase_add_test(tc, subscription_receives_turns);
    tcase_add_test(tc, config_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
