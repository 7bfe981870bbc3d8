/*
 * lambda/registry.c and lambda/local.c through the C API that bots/ calls:
 * config validation, name and ARN resolution, and the Runtime API state
 * machine seen from inside a worker (tests/integration/functions/protocol
 * reports what Parley answered to wrong ids, late init errors and duplicate
 * responses), timeouts, crashes, throttling and the airline handler.
 */
#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "lambda/lambda.h"
#include "server/config.h"

static char src[PATH_MAX]; /* the source tree, from this file's path */
static char path[256];

static void find_source(void)
{
    snprintf(src, sizeof src, "%s", __FILE__);
    char *p = strstr(src, "/tests/unit/");
    ck_assert_ptr_nonnull(p);
    *p = '\0';
}

/* Loads a config with the given functions array; returns the registry or NULL with err. */
static struct lambda_registry *registry(const char *functions, char *err, size_t errlen,
                                        struct parley_config *cfg)
{
    find_source();
    snprintf(path, sizeof path, "/tmp/parley-lambda-XXXXXX.json");
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    struct buf b = BUF_INIT(1 << 20);
    buf_printf(&b, "{\"functions\": %s}", functions);
    /* @SRC@ stands for the source tree */
    struct buf t = BUF_INIT(1 << 20);
    for (const char *s = b.data; *s; s++) {
        if (strncmp(s, "@SRC@", 5) == 0) {
            buf_puts(&t, src);
            s += 4;
        } else {
            buf_append(&t, s, 1);
        }
    }
    ck_assert_int_eq(write(fd, t.data, t.len), (ssize_t)t.len);
    close(fd);
    buf_release(&b);
    buf_release(&t);
    char cerr[512];
    ck_assert_msg(config_load(path, cfg, cerr, sizeof cerr) == 0, "%s", cerr);
    unlink(path);
    struct lambda_registry *reg = NULL;
    err[0] = '\0';
    int rc = lambda_registry_new(cfg, NULL, &reg, err, errlen);
    ck_assert_int_eq(rc == 0, reg != NULL);
    return reg;
}

static const char *config_error(const char *functions)
{
    static char err[1024];
    struct parley_config cfg;
    struct lambda_registry *reg = registry(functions, err, sizeof err, &cfg);
    ck_assert_ptr_null(reg);
    config_release(&cfg);
    /* drop the "FILE: " prefix */
    const char *p = strstr(err, ".json: ");
    return p ? p + 7 : err;
}

START_TEST(config_errors)
{
    ck_assert_str_eq(config_error("[{\"name\": \"A\"}]"),
                     "functions[0]: needs exactly one of `codeDir` (a local function) or `remote` "
                     "(an Invoke API endpoint)");
    ck_assert_str_eq(config_error("[1]"), "functions[0]: must be an object with a `name`");
    ck_assert_str_eq(config_error("[{\"name\": \"a b\", \"codeDir\": \"/\"}]"),
                     "functions[0].name: must be 1 to 64 letters, digits, '-' or '_'");
    ck_assert_str_eq(
        config_error(
            "[{\"name\": \"A\", \"codeDir\": \"/\", \"command\": \"x\", \"timeout\": 901}]"),
        "functions[0].timeout: must be an integer from 1 to 900");
    ck_assert_str_eq(config_error("[{\"name\": \"A\", \"codeDir\": \"/\", \"command\": \"x\", "
                                  "\"reservedConcurrency\": 0}]"),
                     "functions[0].reservedConcurrency: must be an integer from 1 to 1000");
    ck_assert_str_eq(config_error("[{\"name\": \"A\", \"codeDir\": \"/\", \"command\": []}]"),
                     "functions[0].command: must be a program (string) or a program and its "
                     "arguments (array)");
    ck_assert_str_eq(
        config_error("[{\"name\": \"A\", \"codeDir\": \"/\", \"command\": \"x\", \"typo\": 1}]"),
        "functions[0].typo: unknown key for a local function");
    ck_assert_str_eq(config_error("[{\"name\": \"A\", \"codeDir\": \"/\", \"command\": \"x\"}, "
                                  "{\"name\": \"A\", \"codeDir\": \"/\", \"command\": \"x\"}]"),
                     "functions[1].name: \"A\" is already the name of functions[0]");
    ck_assert_str_eq(config_error("[{\"name\": \"A\", \"codeDir\": \"/\", \"command\": \"x\", "
                                  "\"environment\": {\"X\": 1}}]"),
                     "functions[0].environment.X: must be a string");
    ck_assert_str_eq(config_error("[{\"name\": \"A\", \"remote\": {}}]"),
                     "functions[0].remote.functionName: must be a function name or ARN (1 to 170 "
                     "characters)");
    ck_assert_str_eq(
        config_error(
            "[{\"name\": \"A\", \"remote\": {\"functionName\": \"f\", \"maxRetries\": 11}}]"),
        "functions[0].remote.maxRetries: must be an integer from 0 to 10");
    ck_assert_str_eq(config_error("[{\"name\": \"A\", \"remote\": {\"functionName\": \"f\"}, "
                                  "\"memorySize\": 256}]"),
                     "functions[0].memorySize: unknown key for a remote function (local keys such "
                     "as codeDir do not apply)");
}
END_TEST

START_TEST(names_and_arns)
{
    char err[512];
    struct parley_config cfg;
    struct lambda_registry *reg = registry(
        "[{\"name\": \"BookFlight\", \"codeDir\": \"@SRC@/examples/functions/airline-bash\", "
        "\"handler\": \"function.handler\"},"
        " {\"name\": \"Remote\", \"remote\": {\"functionName\": "
        "\"arn:aws:lambda:eu-west-1:1:function:X\"}},"
        " {\"name\": \"myfunction\", \"remote\": {\"functionName\": \"f\"}}]",
        err, sizeof err, &cfg);
    ck_assert_msg(reg != NULL, "%s", err);
    ck_assert_str_eq(lambda_function_resolve(reg, "BookFlight"), "BookFlight");
    ck_assert_str_eq(
        lambda_function_resolve(reg, "arn:aws:lambda:us-east-1:123456789012:function:BookFlight"),
        "BookFlight");
    ck_assert_str_eq(lambda_function_resolve(
                         reg, "arn:aws:lambda:us-east-1:123456789012:function:BookFlight:$LATEST"),
                     "BookFlight");
    ck_assert_str_eq(lambda_function_resolve(reg, "123456789012:function:BookFlight"),
                     "BookFlight");
    ck_assert_str_eq(lambda_function_resolve(reg, "BookFlight:$LATEST"), "BookFlight");
    ck_assert_str_eq(lambda_function_resolve(reg, "Remote"), "Remote");
    ck_assert_str_eq(lambda_function_resolve(reg, "myfunction:$LATEST"), "myfunction");
    ck_assert_ptr_null(lambda_function_resolve(reg, "BookFlight:prod"));
    ck_assert_ptr_null(lambda_function_resolve(reg, "arn:aws:s3:::bucket"));
    ck_assert_ptr_null(lambda_function_resolve(reg, "Book"));
    ck_assert_ptr_null(lambda_function_resolve(reg, ""));
    lambda_registry_free(reg);
    config_release(&cfg);
}
END_TEST

static struct lambda_registry *protocol_registry(struct parley_config *cfg, const char *extra)
{
    char err[512], fns[2048];
    snprintf(fns, sizeof fns,
             "[{\"name\": \"Proto\", \"codeDir\": \"@SRC@/tests/integration/functions/protocol\", "
             "\"handler\": \"my.handler\", \"memorySize\": 256, \"region\": \"eu-west-3\", "
             "\"environment\": {\"CUSTOM\": \"custom value\"} %s}]",
             extra);
    struct lambda_registry *reg = registry(fns, err, sizeof err, cfg);
    ck_assert_msg(reg != NULL, "%s", err);
    return reg;
}

START_TEST(runtime_api_state_machine)
{
    struct parley_config cfg;
    struct lambda_registry *reg = protocol_registry(&cfg, "");
    struct lambda_owned_result res[2];
    struct lambda_invoke_opts o = {.log_tail = true};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(lambda_invoke_sync(reg, "Proto", "{\"n\":1}", 7, &o, &res[i]), 0);
        ck_assert_msg(res[i].r.outcome == LAMBDA_OK, "%s", res[i].r.payload);
    }
    cJSON *a = cJSON_Parse(res[0].r.payload), *b = cJSON_Parse(res[1].r.payload);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(json_string(a, "id"), res[0].r.request_id);
    ck_assert_int_eq(cJSON_GetObjectItem(a, "wrongId")->valueint, 400);
    ck_assert_int_eq(cJSON_GetObjectItem(a, "initAfterStart")->valueint, 403);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(a, "previousDuplicate")));
    /* the second invocation ran on the same (warm) worker, which saw its duplicate refused */
    ck_assert_int_eq(cJSON_GetObjectItem(b, "previousDuplicate")->valueint, 403);
    ck_assert_str_eq(json_string(a, "arn"), "arn:aws:lambda:eu-west-3:000000000000:function:Proto");
    ck_assert_ptr_nonnull(strstr(json_string(a, "trace"), "Root=1-"));
    double deadline = cJSON_GetObjectItem(a, "deadline")->valuedouble;
    ck_assert(deadline > (double)time_now_ms() && deadline < (double)time_now_ms() + 3500);
    const cJSON *env = cJSON_GetObjectItem(a, "env");
    ck_assert_str_eq(json_string(env, "name"), "Proto");
    ck_assert_str_eq(json_string(env, "handler"), "my.handler");
    ck_assert_ptr_nonnull(strstr(json_string(env, "root"), "tests/integration/functions/protocol"));
    ck_assert_str_eq(json_string(env, "memory"), "256");
    ck_assert_str_eq(json_string(env, "version"), "$LATEST");
    ck_assert_str_eq(json_string(env, "region"), "eu-west-3");
    ck_assert_str_eq(json_string(env, "custom"), "custom value");
    /* the log tail holds the function's stderr between START and REPORT */
    ck_assert_ptr_nonnull(res[0].r.log_tail);
    ck_assert_ptr_nonnull(strstr(res[0].r.log_tail, "START RequestId: "));
    ck_assert_ptr_nonnull(strstr(res[0].r.log_tail, "protocol: invocation "));
    ck_assert_ptr_nonnull(strstr(res[0].r.log_tail, "Memory Size: 256 MB"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    lambda_result_release(&res[0]);
    lambda_result_release(&res[1]);
    lambda_registry_free(reg);
    config_release(&cfg);
}
END_TEST

START_TEST(timeout_crash_and_not_found)
{
    if (_i == 1) /* the second run: as where pidfd_open is missing (old kernels, valgrind) */
        setenv("PARLEY_LAMBDA_POLL_EXITS", "1", 1);
    struct parley_config cfg;
    struct lambda_registry *reg = protocol_registry(&cfg, ", \"timeout\": 5");
    struct lambda_owned_result r;
    /* the caller's lower timeout wins (bots/ passes Lex's limit) */
    struct lambda_invoke_opts o = {.timeout_ms = 300};
    int64_t t0 = time_mono_us();
    ck_assert_int_eq(lambda_invoke_sync(reg, "Proto", "\"sleep\"", 7, &o, &r), 0);
    int64_t took = time_mono_us() - t0;
    ck_assert_int_eq(r.r.outcome, LAMBDA_TIMEOUT);
    ck_assert_str_eq(r.r.function_error, "Unhandled");
    ck_assert_ptr_nonnull(strstr(r.r.payload, "Task timed out after 0.30 seconds"));
    ck_assert(took >= 300000 && took < 3000000);
    lambda_result_release(&r);

    ck_assert_int_eq(lambda_invoke_sync(reg, "Proto", "\"exit\"", 6, NULL, &r), 0);
    ck_assert_int_eq(r.r.outcome, LAMBDA_FUNCTION_ERROR);
    ck_assert_ptr_nonnull(strstr(r.r.payload, "Runtime.ExitError"));
    ck_assert_ptr_nonnull(strstr(r.r.payload, "exit status 7"));
    lambda_result_release(&r);

    ck_assert_int_eq(lambda_invoke_sync(reg, "Proto", "{}", 2, NULL, &r), 0);
    ck_assert_int_eq(r.r.outcome, LAMBDA_OK); /* a new worker took over */
    lambda_result_release(&r);
    struct lambda_function_stats s;
    ck_assert_int_eq(lambda_function_stats(reg, 0, &s), 0);
    ck_assert_uint_eq(s.invocations, 3);
    ck_assert_uint_eq(s.errors, 2); /* the timeout and the crash */
    ck_assert_uint_eq(s.timeouts, 1);
    ck_assert_uint_eq(s.throttles, 0);
    ck_assert_msg(s.p99_ms >= 300 && s.p99_ms < 3000, "p99 %g", s.p99_ms);
    ck_assert_msg(s.p50_ms > 0 && s.p50_ms <= s.p99_ms, "p50 %g", s.p50_ms);

    ck_assert_int_eq(
        lambda_invoke_sync(reg, "arn:aws:lambda:us-east-1:1:function:Nope", "{}", 2, NULL, &r), 0);
    ck_assert_int_eq(r.r.outcome, LAMBDA_NOT_FOUND);
    ck_assert_int_eq(r.r.status, 404);
    ck_assert_str_eq(r.r.error_type, "ResourceNotFoundException");
    lambda_result_release(&r);

    struct lambda_invoke_opts ev = {.type = LAMBDA_EVENT};
    ck_assert_int_eq(lambda_invoke_sync(reg, "Proto", "{}", 2, &ev, &r), 0);
    ck_assert_int_eq(r.r.outcome, LAMBDA_SERVICE_ERROR); /* no store: no Event queue */
    lambda_result_release(&r);
    lambda_registry_free(reg);
    config_release(&cfg);
}
END_TEST

struct counter {
    pthread_mutex_t lock;
    int outcomes[6];
    int done;
};

static void count_done(const struct lambda_result *r, void *ud)
{
    struct counter *c = ud;
    pthread_mutex_lock(&c->lock);
    c->outcomes[r->outcome]++;
    c->done++;
    pthread_mutex_unlock(&c->lock);
}

START_TEST(throttling_past_concurrency_and_queue)
{
    struct parley_config cfg;
    struct lambda_registry *reg =
        protocol_registry(&cfg, ", \"reservedConcurrency\": 2, \"maxQueued\": 1, \"timeout\": 1");
    struct counter c = {.lock = PTHREAD_MUTEX_INITIALIZER};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(lambda_invoke(reg, "Proto", "\"sleep\"", 7, NULL, count_done, &c), 0);
    /* 3 admitted (2 running + 1 queued), 3 refused at once */
    pthread_mutex_lock(&c.lock);
    ck_assert_int_eq(c.outcomes[LAMBDA_THROTTLED], 3);
    pthread_mutex_unlock(&c.lock);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&c.lock);
        int done = c.done;
        pthread_mutex_unlock(&c.lock);
        if (done == 6)
            break;
        usleep(50000);
    }
    ck_assert_int_eq(c.done, 6);
    ck_assert_int_eq(c.outcomes[LAMBDA_TIMEOUT], 3);
    /* the statistics GraphQL shows: throttled calls are not invocations */
    ck_assert_uint_eq(lambda_function_count(reg), 1);
    struct lambda_function_stats s;
    ck_assert_int_eq(lambda_function_stats(reg, 0, &s), 0);
    ck_assert_str_eq(s.name, "Proto");
    ck_assert(!s.remote);
    ck_assert_uint_eq(s.reserved_concurrency, 2);
    ck_assert_uint_eq(s.invocations, 3);
    ck_assert_uint_eq(s.throttles, 3);
    ck_assert_uint_eq(s.timeouts, 3);
    ck_assert_uint_eq(s.errors, 3);
    /* each ran its 1 s timeout (the queued one waited for a slot first) */
    ck_assert_msg(s.p50_ms >= 1000 && s.p50_ms < 1100 * 2.5, "p50 %g", s.p50_ms);
    ck_assert_msg(s.p99_ms >= s.p50_ms, "p99 %g", s.p99_ms);
    ck_assert_int_eq(lambda_function_stats(reg, 1, &s), PARLEY_ENOTFOUND);
    lambda_registry_free(reg);
    config_release(&cfg);
}
END_TEST

START_TEST(shutdown_fails_what_runs_and_kills_workers)
{
    struct parley_config cfg;
    struct lambda_registry *reg = protocol_registry(&cfg, ", \"timeout\": 60");
    struct counter c = {.lock = PTHREAD_MUTEX_INITIALIZER};
    for (int i = 0; i < 3; i++)
        lambda_invoke(reg, "Proto", "\"sleep\"", 7, NULL, count_done, &c);
    usleep(300000);
    int64_t t0 = time_mono_us();
    lambda_registry_shutdown(reg, 100);
    ck_assert(time_mono_us() - t0 < 5000000);
    ck_assert_int_eq(c.done, 3);
    ck_assert_int_eq(c.outcomes[LAMBDA_SERVICE_ERROR], 3);
    struct lambda_owned_result r;
    lambda_invoke_sync(reg, "Proto", "{}", 2, NULL, &r);
    ck_assert_int_eq(r.r.outcome, LAMBDA_SERVICE_ERROR);
    ck_assert_int_eq(r.r.status, 503);
    lambda_result_release(&r);
    lambda_registry_free(reg);
    config_release(&cfg);
}
END_TEST

START_TEST(an_abandoned_next_is_replaced)
{
    struct parley_config cfg;
    char err[512];
    struct lambda_registry *reg = registry(
        "[{\"name\": \"Proto\", \"codeDir\": \"@SRC@/tests/integration/functions/protocol\", "
        "\"environment\": {\"ABANDON_NEXT\": \"1\"}}]",
        err, sizeof err, &cfg);
    ck_assert_msg(reg != NULL, "%s", err);
    struct lambda_owned_result r;
    for (int i = 0; i < 3; i++) {
        /* between calls, the worker's first GET /next times out on its side */
        ck_assert_int_eq(lambda_invoke_sync(reg, "Proto", "{}", 2, NULL, &r), 0);
        ck_assert_msg(r.r.outcome == LAMBDA_OK, "%s", r.r.payload);
        lambda_result_release(&r);
        usleep(700000);
    }
    lambda_registry_free(reg);
    config_release(&cfg);
}
END_TEST

START_TEST(airline_bash_through_the_c_api)
{
    char err[512];
    struct parley_config cfg;
    struct lambda_registry *reg = registry(
        "[{\"name\": \"BookFlight\", \"codeDir\": \"@SRC@/examples/functions/airline-bash\", "
        "\"handler\": \"function.handler\"}]",
        err, sizeof err, &cfg);
    ck_assert_msg(reg != NULL, "%s", err);
    const char *event =
        "{\"messageVersion\":\"1.0\",\"invocationSource\":\"FulfillmentCodeHook\","
        "\"currentIntent\":{\"name\":\"BookFlight\",\"slots\":{\"Origin\":\"Boston\","
        "\"Destination\":\"New \\\"York\\\"\",\"Date\":\"2026-12-01\"},\"slotDetails\":{},"
        "\"confirmationStatus\":\"None\"},\"sessionAttributes\":{\"Date\":\"old\",\"k\":\"v\"},"
        "\"requestAttributes\":null}";
    struct lambda_owned_result r;
    ck_assert_int_eq(lambda_invoke_sync(reg,
                                        "arn:aws:lambda:us-east-1:123456789012:function:BookFlight",
                                        event, strlen(event), NULL, &r),
                     0);
    ck_assert_msg(r.r.outcome == LAMBDA_OK, "%s", r.r.payload);
    cJSON *j = cJSON_Parse(r.r.payload);
    ck_assert_msg(j != NULL, "%s", r.r.payload);
    const cJSON *attrs = cJSON_GetObjectItem(j, "sessionAttributes");
    ck_assert_str_eq(json_string(attrs, "k"), "v");
    ck_assert_str_eq(json_string(attrs, "Date"), "2026-12-01");
    ck_assert_str_eq(json_string(attrs, "Destination"), "New \"York\"");
    const cJSON *da = cJSON_GetObjectItem(j, "dialogAction");
    ck_assert_str_eq(json_string(da, "type"), "Close");
    ck_assert_str_eq(json_string(da, "fulfillmentState"), "Fulfilled");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(da, "message"), "content"),
                     "We have booked your flight from Boston to New \"York\" on 2026-12-01");
    cJSON_Delete(j);
    lambda_result_release(&r);
    lambda_registry_free(reg);
    config_release(&cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lambda");
    TCase *tc = tcase_create("registry");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, config_errors);
    tcase_add_test(tc, names_and_arns);
    tcase_add_test(tc, runtime_api_state_machine);
    tcase_add_loop_test(tc, timeout_crash_and_not_found, 0, 2);
    tcase_add_test(tc, throttling_past_concurrency_and_queue);
    tcase_add_test(tc, shutdown_fails_what_runs_and_kills_workers);
    tcase_add_test(tc, an_abandoned_next_is_replaced);
    tcase_add_test(tc, airline_bash_through_the_c_api);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
