/*
 * The function registry: the config's `functions` list read and checked into
 * struct lambda_function records, name and ARN resolution, and the one path
 * every invocation takes.
 *
 * lambda_invoke admits an invocation (or refuses it: unknown name, shutting
 * down, DryRun), wraps it in a struct invocation and hands it to local.c or
 * remote.c; whichever finishes it fills the result fields and calls
 * invocation_finish, which counts it in the metrics, calls the caller's done
 * exactly once and frees it. `active` counts admitted invocations so that a
 * shutdown can wait for them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "lambda/lambda_internal.h"
#include "server/config.h"
#include "server/http.h"

static const double bucket_bounds[LAMBDA_NBUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

const char *lambda_outcome_name(enum lambda_outcome o)
{
    static const char *names[LAMBDA_NOUTCOMES] = {"OK",        "FunctionError", "Timeout",
                                                  "Throttled", "NotFound",      "ServiceError"};
    return (unsigned)o < LAMBDA_NOUTCOMES ? names[o] : "ServiceError";
}

/* ---- config ---- */

struct cfg_ctx {
    const char *file;
    char *err;
    size_t errlen;
    char key[128];
};

static int bad(struct cfg_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct cfg_ctx *c, const char *key, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s%s%s: %s", c->file, c->key, key ? "." : "", key ? key : "",
             what);
    return PARLEY_EINVAL;
}

static int get_int(struct cfg_ctx *c, const cJSON *obj, const char *key, long min, long max,
                   long dflt, unsigned *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        *out = (unsigned)dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble ||
        v->valuedouble < (double)min || v->valuedouble > (double)max)
        return bad(c, key, "must be an integer from %ld to %ld", min, max);
    *out = (unsigned)v->valuedouble;
    return 0;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

static bool valid_env_key(const char *s)
{
    if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* Variables Parley sets for every worker; a function's environment may not override them. */
static const char *reserved_env[] = {"AWS_LAMBDA_RUNTIME_API",
                                     "_HANDLER",
                                     "LAMBDA_TASK_ROOT",
                                     "LAMBDA_RUNTIME_DIR",
                                     "AWS_LAMBDA_FUNCTION_NAME",
                                     "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                     "AWS_LAMBDA_FUNCTION_VERSION",
                                     "AWS_LAMBDA_LOG_GROUP_NAME",
                                     "AWS_LAMBDA_LOG_STREAM_NAME",
                                     "AWS_LAMBDA_INITIALIZATION_TYPE",
                                     NULL};

static void free_strv(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static void function_release(struct lambda_function *f)
{
    free(f->name);
    free(f->arn);
    free(f->region);
    free(f->code_dir);
    free_strv(f->argv);
    free(f->handler);
    free_strv(f->env);
    free(f->remote_name);
    free(f->endpoint);
}

static const char *local_keys[] = {"name",
                                   "description",
                                   "$comment",
                                   "codeDir",
                                   "command",
                                   "handler",
                                   "environment",
                                   "timeout",
                                   "memorySize",
                                   "region",
                                   "reservedConcurrency",
                                   "maxQueued",
                                   "initTimeout",
                                   "eventRetryDelayMs",
                                   NULL};
static const char *remote_fn_keys[] = {"name",    "description",       "$comment", "remote",
                                       "timeout", "eventRetryDelayMs", NULL};
static const char *remote_keys[] = {"functionName", "region",           "endpointUrl",
                                    "maxRetries",   "connectTimeoutMs", NULL};

static int check_keys(struct cfg_ctx *c, const cJSON *obj, const char **allowed, const char *what)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        bool ok = false;
        for (const char **k = allowed; *k && !ok; k++)
            ok = strcmp(*k, it->string) == 0;
        if (!ok)
            return bad(c, it->string, "unknown key for %s", what);
    }
    return 0;
}

static int parse_remote(struct cfg_ctx *c, const cJSON *fo, struct lambda_function *f)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(fo, "remote");
    if (!cJSON_IsObject(r))
        return bad(c, "remote", "must be an object");
    if (check_keys(c, fo, remote_fn_keys,
                   "a remote function (local keys such as codeDir "
                   "do not apply)"))
        return PARLEY_EINVAL;
    size_t n = strlen(c->key);
    snprintf(c->key + n, sizeof c->key - n, ".remote");
    int rc = check_keys(c, r, remote_keys, "remote");
    if (rc)
        return rc;
    const char *fname = json_string(r, "functionName");
    if (!fname || !*fname || strlen(fname) > 170)
        return bad(c, "functionName", "must be a function name or ARN (1 to 170 characters)");
    const char *region = json_string(r, "region");
    if (!region && cJSON_GetObjectItemCaseSensitive(r, "region"))
        return bad(c, "region", "must be a string such as \"us-east-1\"");
    /* the region of an ARN wins over the default */
    char arn_region[32] = "";
    if (strncmp(fname, "arn:aws:lambda:", 15) == 0) {
        const char *rs = fname + 15, *re = strchr(rs, ':');
        if (re && (size_t)(re - rs) < sizeof arn_region)
            snprintf(arn_region, sizeof arn_region, "%.*s", (int)(re - rs), rs);
    }
    if (!region)
        region = arn_region[0] ? arn_region : "us-east-1";
    for (const char *p = region; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return bad(c, "region", "must be a region name such as \"us-east-1\"");
    const char *ep = json_string(r, "endpointUrl");
    if (!ep && cJSON_GetObjectItemCaseSensitive(r, "endpointUrl"))
        return bad(c, "endpointUrl", "must be a URL string");
    if (ep && strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
        return bad(c, "endpointUrl", "must start with http:// or https://");
    if (get_int(c, r, "maxRetries", 0, 10, 3, &f->max_retries) ||
        get_int(c, r, "connectTimeoutMs", 100, 60000, 3000, &f->connect_timeout_ms))
        return PARLEY_EINVAL;
    c->key[n] = '\0';
    f->remote = true;
    f->remote_name = strdup(fname);
    f->region = strdup(region);
    struct buf b = BUF_INIT(4096);
    if (ep) {
        buf_puts(&b, ep);
        while (b.len && b.data[b.len - 1] == '/')
            b.data[--b.len] = '\0';
    } else {
        buf_printf(&b, "https://lambda.%s.amazonaws.com", region);
    }
    f->endpoint = buf_detach(&b, NULL);
    if (strncmp(fname, "arn:", 4) == 0)
        f->arn = strdup(fname);
    else
        f->arn = NULL; /* filled below from the name */
    return f->remote_name && f->region && f->endpoint ? 0 : PARLEY_ENOMEM;
}

static char **strv_new(size_t n)
{
    return calloc(n + 1, sizeof(char *));
}

static int parse_local(struct cfg_ctx *c, const struct parley_config *cfg, const cJSON *fo,
                       struct lambda_function *f)
{
    if (check_keys(c, fo, local_keys, "a local function"))
        return PARLEY_EINVAL;
    const char *dir = json_string(fo, "codeDir");
    if (!dir || !*dir)
        return bad(c, "codeDir", "must be the folder of the function's code");
    f->code_dir = config_path_resolve(cfg, dir);
    if (!f->code_dir)
        return PARLEY_ENOMEM;
    char *real = realpath(f->code_dir, NULL);
    struct stat st;
    if (!real || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(real);
        return bad(c, "codeDir", "%s is not a folder", f->code_dir);
    }
    free(f->code_dir);
    f->code_dir = real;

    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(fo, "command");
    if (!cmd) {
        f->argv = strv_new(1);
        if (!f->argv || !(f->argv[0] = strdup("./bootstrap")))
            return PARLEY_ENOMEM;
        struct buf p = BUF_INIT(8192);
        buf_printf(&p, "%s/bootstrap", f->code_dir);
        bool ok = p.data && access(p.data, X_OK) == 0;
        buf_release(&p);
        if (!ok)
            return bad(c, "codeDir", "%s has no executable `bootstrap`; add one or set `command`",
                       f->code_dir);
    } else if (cJSON_IsString(cmd) && *cmd->valuestring) {
        f->argv = strv_new(1);
        if (!f->argv || !(f->argv[0] = strdup(cmd->valuestring)))
            return PARLEY_ENOMEM;
    } else if (cJSON_IsArray(cmd) && cJSON_GetArraySize(cmd) > 0 && cJSON_GetArraySize(cmd) < 64) {
        f->argv = strv_new((size_t)cJSON_GetArraySize(cmd));
        if (!f->argv)
            return PARLEY_ENOMEM;
        size_t i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, cmd)
        {
            if (!cJSON_IsString(it) || (i == 0 && !*it->valuestring))
                return bad(c, "command", "must be a program and its arguments, all strings");
            if (!(f->argv[i++] = strdup(it->valuestring)))
                return PARLEY_ENOMEM;
        }
    } else {
        return bad(c, "command",
                   "must be a program (string) or a program and its arguments (array)");
    }

    const char *handler = json_string(fo, "handler");
    if (!handler && cJSON_GetObjectItemCaseSensitive(fo, "handler"))
        return bad(c, "handler", "must be a string such as \"index.handler\"");
    f->handler = strdup(handler ? handler : "handler");

    const cJSON *env = cJSON_GetObjectItemCaseSensitive(fo, "environment");
    if (env && !cJSON_IsObject(env))
        return bad(c, "environment", "must be an object of string values");
    f->env = strv_new(env ? (size_t)cJSON_GetArraySize(env) : 0);
    if (!f->env || !f->handler)
        return PARLEY_ENOMEM;
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, env)
    {
        char k[200];
        snprintf(k, sizeof k, "environment.%s", it->string);
        if (!valid_env_key(it->string))
            return bad(c, k, "is not a valid variable name");
        for (const char **r = reserved_env; *r; r++)
            if (strcmp(*r, it->string) == 0)
                return bad(c, k, "is set by Parley for every function and cannot be overridden");
        if (!cJSON_IsString(it))
            return bad(c, k, "must be a string");
        struct buf b = BUF_INIT(1u << 20);
        if (buf_printf(&b, "%s=%s", it->string, it->valuestring))
            return bad(c, k, "is too long");
        f->env[i++] = buf_detach(&b, NULL);
    }

    const char *region = json_string(fo, "region");
    if (!region && cJSON_GetObjectItemCaseSensitive(fo, "region"))
        return bad(c, "region", "must be a string such as \"us-east-1\"");
    f->region = strdup(region ? region : "us-east-1");
    unsigned init_s;
    if (get_int(c, fo, "memorySize", 128, 10240, 128, &f->memory_mb) ||
        get_int(c, fo, "reservedConcurrency", 1, 1000, 10, &f->reserved) ||
        get_int(c, fo, "maxQueued", 0, 100000, 100, &f->max_queued) ||
        get_int(c, fo, "initTimeout", 1, 900, 10, &init_s))
        return PARLEY_EINVAL;
    f->init_timeout_ms = init_s * 1000;
    return f->region ? 0 : PARLEY_ENOMEM;
}

static int parse_function(struct cfg_ctx *c, const struct parley_config *cfg, const cJSON *fo,
                          struct lambda_function *f)
{
    if (!cJSON_IsObject(fo))
        return bad(c, NULL, "must be an object with a `name`");
    const char *name = json_string(fo, "name");
    if (!name || !valid_name(name))
        return bad(c, "name", "must be 1 to 64 letters, digits, '-' or '_'");
    f->name = strdup(name);
    if (!f->name)
        return PARLEY_ENOMEM;
    bool has_remote = cJSON_GetObjectItemCaseSensitive(fo, "remote") != NULL;
    bool has_local = cJSON_GetObjectItemCaseSensitive(fo, "codeDir") != NULL;
    if (has_remote == has_local)
        return bad(c, NULL,
                   "needs exactly one of `codeDir` (a local function) or `remote` (an Invoke "
                   "API endpoint)");
    int rc = has_remote ? parse_remote(c, fo, f) : parse_local(c, cfg, fo, f);
    if (rc)
        return rc;
    unsigned timeout_s;
    if (get_int(c, fo, "timeout", 1, 900, has_remote ? 30 : 3, &timeout_s) ||
        get_int(c, fo, "eventRetryDelayMs", 0, 3600000, 60000, &f->event_retry_delay_ms))
        return PARLEY_EINVAL;
    f->timeout_ms = timeout_s * 1000;
    if (!f->arn) {
        struct buf b = BUF_INIT(1024);
        buf_printf(&b, "arn:aws:lambda:%s:%s:function:%s", f->region, LAMBDA_ACCOUNT, f->name);
        f->arn = buf_detach(&b, NULL);
    }
    return f->arn ? 0 : PARLEY_ENOMEM;
}

int lambda_registry_new(const struct parley_config *cfg, struct store *st,
                        struct lambda_registry **out, char *err, size_t errlen)
{
    *out = NULL;
    struct lambda_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return PARLEY_ENOMEM;
    pthread_mutex_init(&reg->lock, NULL);
    pthread_mutex_init(&reg->metrics_lock, NULL);
    pthread_cond_init(&reg->idle, NULL);
    reg->st = st;
    reg->config_path = strdup(cfg->path ? cfg->path : "config");
    int rc = reg->config_path ? 0 : PARLEY_ENOMEM;
    const cJSON *list = cfg->doc ? cJSON_GetObjectItemCaseSensitive(cfg->doc, "functions") : NULL;
    size_t n = cJSON_IsArray(list) ? (size_t)cJSON_GetArraySize(list) : 0;
    if (rc == 0 && list && !cJSON_IsArray(list)) {
        snprintf(err, errlen, "%s: functions: must be an array", reg->config_path);
        rc = PARLEY_EINVAL;
    }
    if (rc == 0 && n) {
        reg->fns = calloc(n, sizeof *reg->fns);
        if (!reg->fns)
            rc = PARLEY_ENOMEM;
    }
    const cJSON *fo;
    size_t i = 0;
    if (rc == 0 && n) {
        cJSON_ArrayForEach(fo, list)
        {
            struct cfg_ctx c = {.file = reg->config_path, .err = err, .errlen = errlen};
            snprintf(c.key, sizeof c.key, "functions[%zu]", i);
            reg->nfns = i + 1;
            rc = parse_function(&c, cfg, fo, &reg->fns[i]);
            if (rc == PARLEY_ENOMEM)
                snprintf(err, errlen, "%s: %s: out of memory", c.file, c.key);
            for (size_t j = 0; rc == 0 && j < i; j++)
                if (strcmp(reg->fns[j].name, reg->fns[i].name) == 0)
                    rc = bad(&c, "name", "\"%s\" is already the name of functions[%zu]",
                             reg->fns[i].name, j);
            if (rc)
                break;
            i++;
        }
    }
    if (rc == 0)
        rc = local_runtime_start(reg, err, errlen);
    if (rc == 0)
        rc = remote_pool_start(reg, err, errlen);
    if (rc) {
        lambda_registry_free(reg);
        return rc;
    }
    *out = reg;
    return 0;
}

void lambda_registry_shutdown(struct lambda_registry *reg, unsigned grace_ms)
{
    if (!reg)
        return;
    pthread_mutex_lock(&reg->lock);
    if (reg->shut_down) {
        pthread_mutex_unlock(&reg->lock);
        return;
    }
    reg->shut_down = true;
    pthread_mutex_unlock(&reg->lock);

    /* Events first: the queue stops dispatching; what is stored stays for the next start. */
    event_queue_stop(reg);

    pthread_mutex_lock(&reg->lock);
    reg->stopping = true;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    uint64_t ns = (uint64_t)deadline.tv_nsec + (uint64_t)grace_ms * 1000000ull;
    deadline.tv_sec += (time_t)(ns / 1000000000ull);
    deadline.tv_nsec = (long)(ns % 1000000000ull);
    while (reg->active > 0)
        if (pthread_cond_timedwait(&reg->idle, &reg->lock, &deadline) == ETIMEDOUT)
            break;
    unsigned left = reg->active;
    pthread_mutex_unlock(&reg->lock);
    if (left)
        log_warn("lambda: %u invocation(s) still running after %u ms; stopping them", left,
                 grace_ms);
    local_runtime_stop(reg);
    remote_pool_stop(reg);
}

void lambda_registry_free(struct lambda_registry *reg)
{
    if (!reg)
        return;
    lambda_registry_shutdown(reg, 0);
    event_queue_free(reg);
    for (size_t i = 0; i < reg->nfns; i++)
        function_release(&reg->fns[i]);
    free(reg->fns);
    free(reg->config_path);
    pthread_cond_destroy(&reg->idle);
    pthread_mutex_destroy(&reg->lock);
    pthread_mutex_destroy(&reg->metrics_lock);
    free(reg);
}

/* ---- names ---- */

struct lambda_function *lambda_function_find(const struct lambda_registry *reg,
                                             const char *function)
{
    if (!function)
        return NULL;
    /* arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], ACCOUNT:function:NAME, NAME[:Q] */
    const char *name = function;
    const char *p = strstr(function, ":function:");
    if (strncmp(function, "arn:", 4) == 0) {
        if (!p || strncmp(function, "arn:aws:lambda:", 15) != 0)
            return NULL;
        name = p + 10;
    } else if (p && p > function && strspn(function, "0123456789") == (size_t)(p - function)) {
        name = p + 10; /* ACCOUNT:function:NAME */
    }
    size_t n = strcspn(name, ":");
    if (name[n] == ':' && strcmp(name + n + 1, "$LATEST") != 0)
        return NULL; /* versions and aliases other than $LATEST are not kept */
    for (size_t i = 0; i < reg->nfns; i++)
        if (strlen(reg->fns[i].name) == n && strncmp(reg->fns[i].name, name, n) == 0)
            return &reg->fns[i];
    return NULL;
}

const char *lambda_function_resolve(const struct lambda_registry *reg, const char *function)
{
    struct lambda_function *f = lambda_function_find(reg, function);
    return f ? f->name : NULL;
}

/* ---- invocations ---- */

void lambda_uuid(char out[37])
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t t = (uint64_t)time_mono_us() ^ ((uint64_t)getpid() << 32);
        for (int i = 0; i < 16; i++)
            r[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(i * 37);
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
             r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
             r[14], r[15]);
}

struct invocation *invocation_new(struct lambda_registry *reg, struct lambda_function *fn,
                                  const char *payload, size_t len,
                                  const struct lambda_invoke_opts *opts, lambda_done_fn done,
                                  void *ud)
{
    struct invocation *inv = calloc(1, sizeof *inv);
    if (!inv)
        return NULL;
    inv->reg = reg;
    inv->fn = fn;
    lambda_uuid(inv->id);
    inv->payload = malloc(len + 1);
    if (!inv->payload) {
        free(inv);
        return NULL;
    }
    memcpy(inv->payload, payload, len);
    inv->payload[len] = '\0';
    inv->len = len;
    if (opts && opts->client_context)
        inv->client_context = strdup(opts->client_context);
    inv->timeout_ms = fn ? fn->timeout_ms : 0;
    if (opts && opts->timeout_ms && (!fn || opts->timeout_ms < fn->timeout_ms))
        inv->timeout_ms = opts->timeout_ms;
    inv->want_log = opts && opts->log_tail;
    buf_init(&inv->log, 4 * LAMBDA_LOG_TAIL);
    inv->start_us = time_mono_us();
    inv->done = done;
    inv->ud = ud;
    return inv;
}

void invocation_log(struct invocation *inv, const char *text, size_t len)
{
    struct buf *b = &inv->log;
    if (len > LAMBDA_LOG_TAIL) {
        text += len - LAMBDA_LOG_TAIL;
        len = LAMBDA_LOG_TAIL;
    }
    if (b->len + len > b->max) {
        size_t keep = LAMBDA_LOG_TAIL - len;
        if (keep > b->len)
            keep = b->len;
        memmove(b->data, b->data + b->len - keep, keep);
        b->len = keep;
        b->data[keep] = '\0';
    }
    buf_append(b, text, len);
}

void invocation_set_result(struct invocation *inv, enum lambda_outcome o, const char *ferr,
                           const char *payload, size_t len)
{
    inv->outcome = o;
    inv->status = 200;
    inv->function_error = ferr;
    free(inv->result);
    inv->result = malloc(len + 1);
    if (inv->result) {
        memcpy(inv->result, payload, len);
        inv->result[len] = '\0';
        inv->result_len = len;
    } else {
        inv->result_len = 0;
    }
}

void invocation_set_error(struct invocation *inv, enum lambda_outcome o, int status,
                          const char *type, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    inv->outcome = o;
    inv->status = status;
    inv->function_error = NULL;
    free(inv->error_type);
    free(inv->message);
    inv->error_type = strdup(type);
    inv->message = strdup(msg);
    /* the payload of a service error is Lambda's error body */
    struct buf b = BUF_INIT(4096);
    buf_puts(&b, "{\"Type\":\"User\",\"message\":");
    buf_json_string(&b, msg, strlen(msg));
    buf_puts(&b, "}");
    free(inv->result);
    inv->result = buf_detach(&b, &inv->result_len);
}

static const double duration_base_us = 100.0, duration_growth = 1.1;

static int duration_bucket(int64_t us)
{
    if (us <= duration_base_us)
        return 0;
    int i = (int)ceil(log((double)us / duration_base_us) / log(duration_growth));
    return i < LAMBDA_DURATION_BUCKETS ? i : LAMBDA_DURATION_BUCKETS - 1;
}

/* The upper bound of the bucket holding the q-quantile, in ms; -1 when there is no data. */
static double duration_quantile_ms(const uint64_t *b, double q)
{
    uint64_t total = 0;
    for (int i = 0; i < LAMBDA_DURATION_BUCKETS; i++)
        total += b[i];
    if (!total)
        return -1;
    uint64_t rank = (uint64_t)ceil(q * (double)total), seen = 0;
    if (rank == 0)
        rank = 1;
    for (int i = 0; i < LAMBDA_DURATION_BUCKETS; i++) {
        seen += b[i];
        if (seen >= rank)
            return duration_base_us * pow(duration_growth, i) / 1000.0;
    }
    return -1;
}

size_t lambda_function_count(const struct lambda_registry *reg)
{
    return reg ? reg->nfns : 0;
}

int lambda_function_stats(struct lambda_registry *reg, size_t i, struct lambda_function_stats *out)
{
    if (!reg || i >= reg->nfns)
        return PARLEY_ENOTFOUND;
    struct lambda_function *f = &reg->fns[i];
    memset(out, 0, sizeof *out);
    out->name = f->name;
    out->remote = f->remote;
    out->handler = f->remote ? NULL : f->handler;
    out->arn = f->arn;
    out->timeout_ms = f->timeout_ms;
    out->reserved_concurrency = f->remote ? 0 : f->reserved;
    pthread_mutex_lock(&reg->metrics_lock);
    for (int o = 0; o < LAMBDA_NOUTCOMES; o++) {
        if (o == LAMBDA_THROTTLED || o == LAMBDA_NOT_FOUND)
            continue;
        out->invocations += f->outcomes[o];
    }
    out->errors = f->outcomes[LAMBDA_FUNCTION_ERROR] + f->outcomes[LAMBDA_TIMEOUT] +
                  f->outcomes[LAMBDA_SERVICE_ERROR];
    out->throttles = f->outcomes[LAMBDA_THROTTLED];
    out->timeouts = f->outcomes[LAMBDA_TIMEOUT];
    out->p50_ms = duration_quantile_ms(f->durations, 0.50);
    out->p99_ms = duration_quantile_ms(f->durations, 0.99);
    pthread_mutex_unlock(&reg->metrics_lock);
    return 0;
}

static void count(struct lambda_registry *reg, struct lambda_function *fn, enum lambda_outcome o,
                  int64_t us)
{
    if (!fn)
        return;
    double s = (double)us / 1e6;
    pthread_mutex_lock(&reg->metrics_lock);
    fn->outcomes[(unsigned)o < LAMBDA_NOUTCOMES ? o : LAMBDA_SERVICE_ERROR]++;
    for (int i = 0; i < LAMBDA_NBUCKETS; i++)
        if (s <= bucket_bounds[i])
            fn->buckets[i]++;
    fn->count++;
    fn->sum_s += s;
    if (o != LAMBDA_THROTTLED && o != LAMBDA_NOT_FOUND)
        fn->durations[duration_bucket(us)]++;
    pthread_mutex_unlock(&reg->metrics_lock);
}

void invocation_finish(struct invocation *inv)
{
    struct lambda_result r = {
        .outcome = inv->outcome,
        .status = inv->status ? inv->status : 200,
        .function_error = inv->function_error,
        .error_type = inv->error_type,
        .message = inv->message,
        .payload = inv->result ? inv->result : "",
        .len = inv->result ? inv->result_len : 0,
        .request_id = inv->id,
        .duration_us = time_mono_us() - inv->start_us,
    };
    if ((r.outcome == LAMBDA_FUNCTION_ERROR || r.outcome == LAMBDA_TIMEOUT) && !r.function_error)
        r.function_error = "Unhandled";
    if (inv->want_log && inv->log.data) {
        size_t off = inv->log.len > LAMBDA_LOG_TAIL ? inv->log.len - LAMBDA_LOG_TAIL : 0;
        r.log_tail = inv->log.data + off;
        r.log_tail_len = inv->log.len - off;
    }
    count(inv->reg, inv->fn, r.outcome, r.duration_us);
    if (inv->done)
        inv->done(&r, inv->ud);

    struct lambda_registry *reg = inv->reg;
    bool admitted = inv->fn != NULL;
    buf_release(&inv->log);
    free(inv->payload);
    free(inv->client_context);
    free(inv->error_type);
    free(inv->message);
    free(inv->result);
    free(inv);
    if (admitted) {
        pthread_mutex_lock(&reg->lock);
        if (--reg->active == 0)
            pthread_cond_broadcast(&reg->idle);
        pthread_mutex_unlock(&reg->lock);
    }
}

/* Answers done right away for an invocation that is not admitted. */
static void refuse(lambda_done_fn done, void *ud, enum lambda_outcome o, int status,
                   const char *type, const char *msg)
{
    struct invocation tmp = {0};
    lambda_uuid(tmp.id);
    invocation_set_error(&tmp, o, status, type, "%s", msg);
    struct lambda_result r = {.outcome = o,
                              .status = status,
                              .error_type = tmp.error_type,
                              .message = tmp.message,
                              .payload = tmp.result ? tmp.result : "",
                              .len = tmp.result ? tmp.result_len : 0,
                              .request_id = tmp.id};
    done(&r, ud);
    free(tmp.error_type);
    free(tmp.message);
    free(tmp.result);
}

int lambda_invoke(struct lambda_registry *reg, const char *function, const char *payload,
                  size_t len, const struct lambda_invoke_opts *opts, lambda_done_fn done, void *ud)
{
    if (!reg || !function || (!payload && len) || !done)
        return PARLEY_EINVAL;
    if (!payload)
        payload = "";
    struct lambda_function *fn = lambda_function_find(reg, function);
    char msg[512];
    if (!fn) {
        snprintf(msg, sizeof msg, "Function not found: %s", function);
        refuse(done, ud, LAMBDA_NOT_FOUND, 404, "ResourceNotFoundException", msg);
        return 0;
    }
    enum lambda_invocation_type type = opts ? opts->type : LAMBDA_REQUEST_RESPONSE;
    size_t limit = type == LAMBDA_EVENT ? LAMBDA_EVENT_PAYLOAD_MAX : LAMBDA_PAYLOAD_MAX;
    if (len > limit) {
        snprintf(msg, sizeof msg, "Request must be smaller than %zu bytes for the %s operation",
                 limit, type == LAMBDA_EVENT ? "InvokeAsync" : "Invoke");
        refuse(done, ud, LAMBDA_SERVICE_ERROR, 413, "RequestTooLargeException", msg);
        return 0;
    }
    pthread_mutex_lock(&reg->lock);
    bool stopping = reg->stopping || reg->shut_down;
    pthread_mutex_unlock(&reg->lock);
    if (stopping) {
        refuse(done, ud, LAMBDA_SERVICE_ERROR, 503, "ServiceException",
               "Parley is shutting down; the function was not invoked.");
        return 0;
    }
    if (type == LAMBDA_DRY_RUN) {
        struct lambda_result r = {.outcome = LAMBDA_OK, .status = 204, .payload = ""};
        char id[37];
        lambda_uuid(id);
        r.request_id = id;
        done(&r, ud);
        return 0;
    }
    if (type == LAMBDA_EVENT) {
        char id[40];
        int rc = event_enqueue(reg, fn, payload, len, opts ? opts->client_context : NULL, id);
        if (rc) {
            snprintf(msg, sizeof msg, "The event could not be queued: %s.", parley_strerror(rc));
            refuse(done, ud, LAMBDA_SERVICE_ERROR, rc == PARLEY_EINVAL ? 400 : 500,
                   rc == PARLEY_EINVAL ? "InvalidParameterValueException" : "ServiceException",
                   msg);
            return 0;
        }
        struct lambda_result r = {.outcome = LAMBDA_OK, .status = 202, .payload = ""};
        r.request_id = id;
        done(&r, ud);
        return 0;
    }
    struct invocation *inv = invocation_new(reg, fn, payload, len, opts, done, ud);
    if (!inv) {
        refuse(done, ud, LAMBDA_SERVICE_ERROR, 500, "ServiceException", "Out of memory.");
        return 0;
    }
    pthread_mutex_lock(&reg->lock);
    reg->active++;
    pthread_mutex_unlock(&reg->lock);
    if (fn->remote)
        remote_invoke(reg, inv);
    else
        local_invoke(reg, inv);
    return 0;
}

/* ---- the blocking form ---- */

struct sync_wait {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    struct lambda_owned_result *out;
};

static char *dup_opt(const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static void sync_done(const struct lambda_result *r, void *ud)
{
    struct sync_wait *w = ud;
    struct lambda_owned_result *o = w->out;
    o->r = *r;
    o->payload = dup_opt(r->payload, r->len);
    o->log_tail = dup_opt(r->log_tail, r->log_tail_len);
    o->request_id = dup_opt(r->request_id, r->request_id ? strlen(r->request_id) : 0);
    o->function_error =
        dup_opt(r->function_error, r->function_error ? strlen(r->function_error) : 0);
    o->error_type = dup_opt(r->error_type, r->error_type ? strlen(r->error_type) : 0);
    o->message = dup_opt(r->message, r->message ? strlen(r->message) : 0);
    o->r.payload = o->payload ? o->payload : "";
    o->r.len = o->payload ? r->len : 0;
    o->r.log_tail = o->log_tail;
    o->r.request_id = o->request_id;
    o->r.function_error = o->function_error;
    o->r.error_type = o->error_type;
    o->r.message = o->message;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int lambda_invoke_sync(struct lambda_registry *reg, const char *function, const char *payload,
                       size_t len, const struct lambda_invoke_opts *opts,
                       struct lambda_owned_result *out)
{
    memset(out, 0, sizeof *out);
    struct sync_wait w = {.out = out};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    int rc = lambda_invoke(reg, function, payload, len, opts, sync_done, &w);
    if (rc == 0) {
        pthread_mutex_lock(&w.lock);
        while (!w.done)
            pthread_cond_wait(&w.cond, &w.lock);
        pthread_mutex_unlock(&w.lock);
    }
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
    return rc;
}

void lambda_result_release(struct lambda_owned_result *res)
{
    if (!res)
        return;
    free(res->payload);
    free(res->log_tail);
    free(res->request_id);
    free(res->function_error);
    free(res->error_type);
    free(res->message);
    memset(res, 0, sizeof *res);
}

/* ---- logging a function's output ---- */

void lambda_log_output(const char *function, const char *request_id, const char *stream,
                       const char *line, size_t len)
{
    char ts[32];
    time_iso_now(ts);
    struct buf b = BUF_INIT(64 * 1024);
    buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"info\",\"function\":", ts);
    buf_json_string(&b, function, strlen(function));
    if (request_id) {
        buf_puts(&b, ",\"requestId\":");
        buf_json_string(&b, request_id, strlen(request_id));
    }
    buf_printf(&b, ",\"stream\":\"%s\",\"msg\":", stream);
    buf_json_string(&b, line, len);
    buf_puts(&b, "}");
    if (b.data && buf_puts(&b, "") == 0)
        log_line(stderr, b.data, b.len);
    buf_release(&b);
}

/* ---- metrics ---- */

static void metrics_source(struct buf *out, void *ud)
{
    struct lambda_registry *reg = ud;
    buf_puts(out, "# HELP parley_lambda_invocations_total Lambda invocations by function and "
                  "outcome.\n# TYPE parley_lambda_invocations_total counter\n");
    pthread_mutex_lock(&reg->metrics_lock);
    for (size_t i = 0; i < reg->nfns; i++)
        for (int o = 0; o < LAMBDA_NOUTCOMES; o++)
            buf_printf(out,
                       "parley_lambda_invocations_total{function=\"%s\",outcome=\"%s\"} %llu\n",
                       reg->fns[i].name, lambda_outcome_name((enum lambda_outcome)o),
                       (unsigned long long)reg->fns[i].outcomes[o]);
    buf_puts(out, "# HELP parley_lambda_invocation_duration_seconds Time from invoke to result.\n"
                  "# TYPE parley_lambda_invocation_duration_seconds histogram\n");
    for (size_t i = 0; i < reg->nfns; i++) {
        const struct lambda_function *f = &reg->fns[i];
        for (int b = 0; b < LAMBDA_NBUCKETS; b++)
            buf_printf(out,
                       "parley_lambda_invocation_duration_seconds_bucket{function=\"%s\",le=\"%g\"}"
                       " %llu\n",
                       f->name, bucket_bounds[b], (unsigned long long)f->buckets[b]);
        buf_printf(out,
                   "parley_lambda_invocation_duration_seconds_bucket{function=\"%s\",le=\"+Inf\"} "
                   "%llu\n",
                   f->name, (unsigned long long)f->count);
        buf_printf(out, "parley_lambda_invocation_duration_seconds_sum{function=\"%s\"} %.6f\n",
                   f->name, f->sum_s);
        buf_printf(out, "parley_lambda_invocation_duration_seconds_count{function=\"%s\"} %llu\n",
                   f->name, (unsigned long long)f->count);
    }
    pthread_mutex_unlock(&reg->metrics_lock);
    local_metrics(reg, out);
}

int lambda_routes_add(struct lambda_registry *reg, struct http_server *srv)
{
    int rc = endpoint_routes_add(reg, srv);
    if (rc)
        return rc;
    http_metrics_source_add(srv, metrics_source, reg);
    return event_queue_start(reg);
}
