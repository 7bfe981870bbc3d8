/*
 * Local functions: handler processes fed over the Lambda Runtime API.
 *
 * A worker is one handler process plus its own Runtime API listener on
 * 127.0.0.1 (an ephemeral port, given to the process as
 * AWS_LAMBDA_RUNTIME_API), so that every request on that listener is known
 * to come from that worker. Its states:
 *
 *   STARTING --GET next--> IDLE --invocation--> BUSY --POST response/error--> RESTING
 *                           ^                                                   |
 *                           +--------------------GET next-----------------------+
 *
 * IDLE holds the suspended GET /next request; handing it an invocation is
 * answering that request. Invocations wait in a FIFO per function; a new
 * worker is started when the queue is longer than the workers about to be
 * free (STARTING + RESTING), up to the reserved concurrency. Past the
 * reserved concurrency plus `maxQueued`, an invocation is refused
 * (TooManyRequestsException).
 *
 * One monitor thread owns the children: it forks them (so that
 * PR_SET_PDEATHSIG, which follows the forking thread, lasts as long as the
 * registry), reads every worker's stdout and stderr through one epoll set,
 * learns of exits through pidfds (where pidfd_open is missing, by polling
 * waitid(WNOWAIT) on its own pids; never a SIGCHLD handler, so the server's
 * signal handling stays untouched), reaps them with waitpid on their own pid,
 * and enforces deadlines: an invocation past its timeout, or a worker that
 * does not ask for work within initTimeout, has its process group killed
 * with SIGKILL. Each child leads its own process group so that its own
 * children die with it. A worker is freed only by the monitor, after its
 * process is reaped and its listener stopped.
 *
 * All state is under reg->lock. Results are collected in a list under the
 * lock and delivered (invocation_finish) after it is released.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lambda/lambda_internal.h"
#include "server/http.h"

#define LINE_MAX_BYTES (16 * 1024)
#define RESPONSE_MARGIN (2u * 1024u * 1024u)
#define POLL_MS 20 /* how often exits are checked without pidfds */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

enum wstate { W_STARTING, W_IDLE, W_BUSY, W_RESTING, W_DEAD };
enum kill_reason { KILL_NONE, KILL_TIMEOUT, KILL_INIT_TIMEOUT, KILL_INIT_ERROR, KILL_SHUTDOWN };
enum watch_kind { WATCH_WAKE, WATCH_PID, WATCH_OUT, WATCH_ERR };

struct watch {
    enum watch_kind kind;
    struct worker *w;
};

struct worker {
    struct worker *next;
    struct lambda_registry *reg;
    struct lambda_function *fn;
    unsigned id;
    pid_t pid;
    int pidfd;
    int fd[2]; /* stdout, stderr read ends; -1 once closed */
    struct watch wpid, wout, werr;
    struct http_server *srv;
    int port;
    enum wstate state;
    struct http_request *next_req; /* IDLE: the suspended GET /next */
    struct invocation *current;    /* BUSY */
    int64_t deadline_us;           /* BUSY: the invocation's; STARTING: init's; 0 = none */
    int64_t spawn_us;
    enum kill_reason killed;
    char *init_error; /* body of POST /runtime/init/error, or an exec failure */
    struct buf line[2];
    struct buf init_log;
    unsigned invocations;
};

struct local_runtime {
    pthread_t thread;
    bool started;
    int epfd, evfd;
    struct watch wake;
    bool stop;
    int64_t next_wake_us; /* when the monitor will wake by itself; INT64_MAX = never */
    bool polling;         /* pidfd_open failed: exits are found with waitid(WNOWAIT) */
};

static const char *state_names[] = {"starting", "idle", "busy", "resting", "dead"};

static void wake(struct local_runtime *lr)
{
    uint64_t one = 1;
    if (write(lr->evfd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_warn("lambda: cannot wake the monitor: %s", strerror(errno));
}

static void push(struct invocation **list, struct invocation *inv)
{
    inv->next = *list;
    *list = inv;
}

static void finish_list(struct invocation *list)
{
    while (list) {
        struct invocation *next = list->next;
        invocation_finish(list);
        list = next;
    }
}

/* An invocation leaves its function (queue or worker): count it out and collect it. */
static void complete(struct invocation *inv, struct invocation **list)
{
    inv->fn->running--;
    push(list, inv);
}

static void log_report(struct invocation *inv, struct lambda_function *fn)
{
    char line[512];
    double ms = (double)(time_mono_us() - inv->run_start_us) / 1000.0;
    int n = snprintf(line, sizeof line,
                     "END RequestId: %s\nREPORT RequestId: %s\tDuration: %.2f ms\tBilled "
                     "Duration: %.0f ms\tMemory Size: %u MB\t\n",
                     inv->id, inv->id, ms, ms < 1 ? 1 : ms + 0.5, fn->memory_mb);
    if (n > 0)
        invocation_log(inv, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ---- output ---- */

static void emit_line(struct worker *w, int stream, const char *line, size_t len)
{
    struct invocation *inv = w->current;
    lambda_log_output(w->fn->name, inv ? inv->id : NULL, stream ? "stderr" : "stdout", line, len);
    if (inv) {
        invocation_log(inv, line, len);
        invocation_log(inv, "\n", 1);
    } else if (w->state == W_STARTING) {
        /* keep the init phase's tail for a failed start */
        struct buf *b = &w->init_log;
        if (b->len + len + 1 > b->max && b->len) {
            size_t keep = b->len / 2;
            memmove(b->data, b->data + b->len - keep, keep);
            b->len = keep;
        }
        buf_append(b, line, len > LAMBDA_LOG_TAIL ? LAMBDA_LOG_TAIL : len);
        buf_append(b, "\n", 1);
    }
}

static void flush_partial(struct worker *w, int stream)
{
    struct buf *lb = &w->line[stream];
    if (lb->len) {
        emit_line(w, stream, lb->data, lb->len);
        buf_reset(lb);
    }
}

/* Reads what the pipe holds (non-blocking) and emits complete lines. Under reg->lock. */
static void read_pipe(struct worker *w, int stream)
{
    int fd = w->fd[stream];
    if (fd < 0)
        return;
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) { /* EOF or error: the process closed it */
            flush_partial(w, stream);
            epoll_ctl(w->reg->local->epfd, EPOLL_CTL_DEL, fd, NULL);
            close(fd);
            w->fd[stream] = -1;
            return;
        }
        struct buf *lb = &w->line[stream];
        const char *p = chunk, *end = chunk + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t take = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (lb->len + take > LINE_MAX_BYTES) {
                flush_partial(w, stream);
                if (take > LINE_MAX_BYTES)
                    take = LINE_MAX_BYTES;
            }
            if (lb->len == 0 && nl) {
                emit_line(w, stream, p, take); /* the common case: no copy */
            } else {
                buf_append(lb, p, take);
                if (nl)
                    flush_partial(w, stream);
            }
            p += take + (nl && p + take == nl ? 1 : 0);
        }
    }
}

/* ---- the Runtime API ---- */

static void runtime_reply(struct http_request *req, int status, const char *type, const char *msg)
{
    struct http_response *r = http_response_new(status);
    struct buf b = BUF_INIT(4096);
    if (type) {
        buf_puts(&b, "{\"errorMessage\":");
        buf_json_string(&b, msg, strlen(msg));
        buf_printf(&b, ",\"errorType\":\"%s\"}", type);
    } else {
        buf_puts(&b, "{\"status\":\"OK\"}");
    }
    if (r) {
        http_response_header(r, "Content-Type", "application/json");
        size_t len;
        char *body = buf_detach(&b, &len);
        if (body)
            http_response_body_take(r, body, len);
    }
    buf_release(&b);
    http_respond(req, r);
}

static void trace_id(char out[96])
{
    char u[37], v[37];
    lambda_uuid(u);
    lambda_uuid(v);
    snprintf(out, 96, "Root=1-%08llx-%.8s%.4s%.4s%.8s;Parent=%.16s;Sampled=0",
             (unsigned long long)(time_now_ms() / 1000), u, u + 9, u + 14, u + 24, v + 19);
    for (char *p = out; *p; p++)
        if (*p == '-' && p[1] == '\0')
            *p = '0';
}

/* Hands inv to the idle worker w: answers its GET /next. Under reg->lock. */
static void assign(struct worker *w, struct invocation *inv)
{
    struct local_runtime *lr = w->reg->local;
    struct http_request *req = w->next_req;
    w->next_req = NULL;
    w->current = inv;
    w->state = W_BUSY;
    w->invocations++;
    inv->run_start_us = time_mono_us();
    w->deadline_us = inv->run_start_us + (int64_t)inv->timeout_ms * 1000;
    if (w->deadline_us < lr->next_wake_us) {
        lr->next_wake_us = w->deadline_us;
        wake(lr);
    }
    char line[128];
    int n = snprintf(line, sizeof line, "START RequestId: %s Version: $LATEST\n", inv->id);
    invocation_log(inv, line, (size_t)n);

    struct http_response *r = http_response_new(200);
    if (!r) {
        http_respond(req, NULL);
        return;
    }
    char deadline[32], tid[96];
    snprintf(deadline, sizeof deadline, "%lld",
             (long long)(time_now_ms() + (int64_t)inv->timeout_ms));
    trace_id(tid);
    http_response_header(r, "Content-Type", "application/json");
    http_response_header(r, "Lambda-Runtime-Aws-Request-Id", inv->id);
    http_response_header(r, "Lambda-Runtime-Deadline-Ms", deadline);
    http_response_header(r, "Lambda-Runtime-Invoked-Function-Arn", w->fn->arn);
    http_response_header(r, "Lambda-Runtime-Trace-Id", tid);
    if (inv->client_context) {
        size_t len;
        char *json = base64_decode(inv->client_context, &len);
        if (json && !memchr(json, '\n', len) && !memchr(json, '\r', len))
            http_response_header(r, "Lambda-Runtime-Client-Context", json);
        free(json);
    }
    http_response_body(r, inv->payload, inv->len);
    http_respond(req, r);
}

/* Matches queued invocations with idle workers; asks the monitor for more workers. */
static void schedule(struct lambda_registry *reg, struct lambda_function *fn)
{
    while (fn->qhead) {
        struct worker *w = fn->workers;
        while (w && !(w->state == W_IDLE && w->next_req))
            w = w->next;
        if (!w)
            break;
        struct invocation *inv = fn->qhead;
        fn->qhead = inv->next;
        if (!fn->qhead)
            fn->qtail = NULL;
        fn->nqueued--;
        inv->next = NULL;
        assign(w, inv);
    }
    if (!fn->qhead)
        return;
    unsigned soon = 0;
    for (struct worker *w = fn->workers; w; w = w->next)
        if (w->state == W_STARTING || w->state == W_RESTING)
            soon++;
    if (fn->nqueued > soon && fn->nworkers < fn->reserved)
        wake(reg->local);
}

static struct worker *worker_of(void *ud)
{
    return ud;
}

static void handle_next(struct http_request *req, void *ud)
{
    struct worker *w = worker_of(ud);
    struct lambda_registry *reg = w->reg;
    struct invocation *done = NULL;
    pthread_mutex_lock(&reg->lock);
    if (w->state == W_DEAD || w->killed || reg->local->stop) {
        pthread_mutex_unlock(&reg->lock);
        runtime_reply(req, 410, "Runtime.Stopped", "This worker is being stopped.");
        return;
    }
    /* A runtime waits on one GET /next at a time: a second one means it gave up on the first
       (a client timeout, a new connection); the newer one is the one it reads. */
    struct http_request *abandoned = w->next_req;
    w->next_req = NULL;
    if (w->current) {
        struct invocation *inv = w->current;
        w->current = NULL;
        const char *e = "{\"errorType\":\"Runtime.NoResponse\",\"errorMessage\":\"The runtime "
                        "asked for the next invocation without answering this one.\"}";
        invocation_set_result(inv, LAMBDA_FUNCTION_ERROR, "Unhandled", e, strlen(e));
        complete(inv, &done);
    }
    if (w->state == W_STARTING) {
        pthread_mutex_lock(&reg->metrics_lock);
        w->fn->cold_starts++;
        pthread_mutex_unlock(&reg->metrics_lock);
        w->fn->last_cold_start_us = time_mono_us() - w->spawn_us;
        log_debug("lambda: %s worker %u ready after %.1f ms", w->fn->name, w->id,
                  (double)w->fn->last_cold_start_us / 1000.0);
        buf_release(&w->init_log);
    }
    w->state = W_IDLE;
    w->deadline_us = 0;
    w->next_req = req;
    schedule(reg, w->fn);
    pthread_mutex_unlock(&reg->lock);
    if (abandoned)
        runtime_reply(abandoned, 409, "InvalidStateTransition",
                      "A newer GET /runtime/invocation/next replaced this one.");
    finish_list(done);
}

/* POST /runtime/invocation/{id}/response and /error. */
static void handle_result(struct http_request *req, struct worker *w, bool error)
{
    struct lambda_registry *reg = w->reg;
    const char *id = http_request_param(req, "id");
    size_t len;
    const char *body = http_request_body(req, &len);
    struct invocation *done = NULL;
    pthread_mutex_lock(&reg->lock);
    struct invocation *inv = w->current;
    if (!inv || !id || strcmp(id, inv->id) != 0) {
        pthread_mutex_unlock(&reg->lock);
        runtime_reply(req, inv ? 400 : 403, inv ? "InvalidRequestID" : "InvalidStateTransition",
                      inv ? "That is not the id of this worker's invocation."
                          : "This worker has no invocation to answer.");
        return;
    }
    /* what the handler printed before answering is in the pipes already */
    read_pipe(w, 0);
    read_pipe(w, 1);
    w->current = NULL;
    w->state = W_RESTING;
    w->deadline_us = 0;
    bool too_large = len > LAMBDA_PAYLOAD_MAX;
    if (too_large) {
        char e[256];
        snprintf(e, sizeof e,
                 "{\"errorType\":\"Function.ResponseSizeTooLarge\",\"errorMessage\":\"Response "
                 "payload size (%zu bytes) exceeded maximum allowed payload size (%u bytes).\"}",
                 len, LAMBDA_PAYLOAD_MAX);
        invocation_set_result(inv, LAMBDA_FUNCTION_ERROR, "Unhandled", e, strlen(e));
    } else if (!error) {
        invocation_set_result(inv, LAMBDA_OK, NULL, body, len);
    } else if (len && body[0] == '{') {
        invocation_set_result(inv, LAMBDA_FUNCTION_ERROR, "Unhandled", body, len);
    } else {
        const char *type = http_request_header(req, "Lambda-Runtime-Function-Error-Type");
        struct buf b = BUF_INIT(LAMBDA_PAYLOAD_MAX);
        buf_puts(&b, "{\"errorMessage\":");
        buf_json_string(&b, body, len);
        buf_puts(&b, ",\"errorType\":");
        buf_json_string(&b, type ? type : "Unhandled", strlen(type ? type : "Unhandled"));
        buf_puts(&b, "}");
        invocation_set_result(inv, LAMBDA_FUNCTION_ERROR, "Unhandled", b.data ? b.data : "{}",
                              b.data ? b.len : 2);
        buf_release(&b);
    }
    log_report(inv, w->fn);
    complete(inv, &done);
    pthread_mutex_unlock(&reg->lock);
    if (too_large)
        runtime_reply(req, 413, "RequestEntityTooLarge",
                      "The response is larger than the 6 MB limit.");
    else
        runtime_reply(req, 202, NULL, NULL);
    finish_list(done);
}

static void handle_response(struct http_request *req, void *ud)
{
    handle_result(req, worker_of(ud), false);
}

static void handle_error(struct http_request *req, void *ud)
{
    handle_result(req, worker_of(ud), true);
}

static void kill_worker(struct worker *w, enum kill_reason why)
{
    if (w->killed)
        return;
    w->killed = why;
    if (kill(-w->pid, SIGKILL) != 0 && errno != ESRCH)
        kill(w->pid, SIGKILL);
}

static void handle_init_error(struct http_request *req, void *ud)
{
    struct worker *w = worker_of(ud);
    struct lambda_registry *reg = w->reg;
    size_t len;
    const char *body = http_request_body(req, &len);
    pthread_mutex_lock(&reg->lock);
    if (w->state != W_STARTING) {
        pthread_mutex_unlock(&reg->lock);
        runtime_reply(req, 403, "InvalidStateTransition",
                      "The runtime has already asked for an invocation.");
        return;
    }
    free(w->init_error);
    w->init_error = NULL;
    if (len && body[0] == '{')
        w->init_error = strdup(body);
    log_warn("lambda: %s worker %u reported an init error: %.*s", w->fn->name, w->id,
             (int)(len > 500 ? 500 : len), body);
    pthread_mutex_unlock(&reg->lock);
    runtime_reply(req, 202, NULL, NULL);
    /* Lambda discards a sandbox whose init failed: stop it once the runtime had its answer. */
    pthread_mutex_lock(&reg->lock);
    kill_worker(w, KILL_INIT_ERROR);
    pthread_mutex_unlock(&reg->lock);
}

/* ---- spawning ---- */

/* Finds prog on path (colon-separated); malloc'd, or NULL. */
static char *path_search(const char *prog, const char *path)
{
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        struct buf b = BUF_INIT(8192);
        buf_printf(&b, "%.*s/%s", (int)n, path, prog);
        if (b.data && access(b.data, X_OK) == 0)
            return buf_detach(&b, NULL);
        buf_release(&b);
        path = colon ? colon + 1 : NULL;
    }
    return NULL;
}

static char *env_entry(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *env_entry(const char *fmt, ...)
{
    struct buf b = BUF_INIT(1u << 20);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return buf_detach(&b, NULL);
}

static char **build_env(struct worker *w, const char **path_out)
{
    struct lambda_function *fn = w->fn;
    size_t nextra = 0;
    while (fn->env[nextra])
        nextra++;
    char **env = calloc(nextra + 24, sizeof *env);
    if (!env)
        return NULL;
    size_t n = 0;
    const char *path = DEFAULT_PATH;
    bool has_path = false, has_lang = false, has_tz = false;
    for (size_t i = 0; i < nextra; i++) {
        if (strncmp(fn->env[i], "PATH=", 5) == 0) {
            has_path = true;
            path = fn->env[i] + 5;
        }
        has_lang |= strncmp(fn->env[i], "LANG=", 5) == 0;
        has_tz |= strncmp(fn->env[i], "TZ=", 3) == 0;
        env[n++] = strdup(fn->env[i]);
    }
    if (!has_path)
        env[n++] = env_entry("PATH=%s", DEFAULT_PATH);
    if (!has_lang)
        env[n++] = env_entry("LANG=C.UTF-8");
    if (!has_tz)
        env[n++] = env_entry("TZ=:UTC");
    env[n++] = env_entry("AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d", w->port);
    env[n++] = env_entry("_HANDLER=%s", fn->handler);
    env[n++] = env_entry("LAMBDA_TASK_ROOT=%s", fn->code_dir);
    env[n++] = env_entry("LAMBDA_RUNTIME_DIR=%s", fn->code_dir);
    env[n++] = env_entry("AWS_LAMBDA_FUNCTION_NAME=%s", fn->name);
    env[n++] = env_entry("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%u", fn->memory_mb);
    env[n++] = env_entry("AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
    env[n++] = env_entry("AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", fn->name);
    env[n++] = env_entry("AWS_LAMBDA_LOG_STREAM_NAME=parley/%u", w->id);
    env[n++] = env_entry("AWS_LAMBDA_INITIALIZATION_TYPE=on-demand");
    env[n++] = env_entry("AWS_REGION=%s", fn->region);
    env[n++] = env_entry("AWS_DEFAULT_REGION=%s", fn->region);
    for (size_t i = 0; i < n; i++)
        if (!env[i]) {
            for (size_t j = 0; j < n; j++)
                free(env[j]);
            free(env);
            return NULL;
        }
    *path_out = path;
    return env;
}

static void free_env(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++)
        free(*p);
    free(env);
}

static void worker_free(struct worker *w)
{
    if (!w)
        return;
    if (w->srv)
        http_server_free(w->srv);
    for (int i = 0; i < 2; i++) {
        if (w->fd[i] >= 0)
            close(w->fd[i]);
        buf_release(&w->line[i]);
    }
    if (w->pidfd >= 0)
        close(w->pidfd);
    buf_release(&w->init_log);
    free(w->init_error);
    free(w);
}

static int add_routes(struct worker *w)
{
    /* a response a little past 6 MB still reaches the handler, which fails the invocation at
       once (past the margin, the core answers 413 and the invocation runs into its timeout) */
    struct http_route_opts o = {.errors = HTTP_ERRORS_AWS,
                                .max_body_bytes = LAMBDA_PAYLOAD_MAX + RESPONSE_MARGIN};
    int rc =
        http_route_add(w->srv, "GET", "/2018-06-01/runtime/invocation/next", &o, handle_next, w);
    rc = rc ? rc
            : http_route_add(w->srv, "POST", "/2018-06-01/runtime/invocation/{id}/response", &o,
                             handle_response, w);
    rc = rc ? rc
            : http_route_add(w->srv, "POST", "/2018-06-01/runtime/invocation/{id}/error", &o,
                             handle_error, w);
    rc = rc ? rc
            : http_route_add(w->srv, "POST", "/2018-06-01/runtime/init/error", &o,
                             handle_init_error, w);
    return rc;
}

/* Starts one worker of fn. Monitor thread, under reg->lock. */
static int spawn_worker(struct lambda_registry *reg, struct lambda_function *fn,
                        struct invocation **done)
{
    struct local_runtime *lr = reg->local;
    char err[512] = "out of memory";
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return PARLEY_ENOMEM;
    w->reg = reg;
    w->fn = fn;
    w->id = ++fn->next_worker_id;
    w->pidfd = w->fd[0] = w->fd[1] = -1;
    buf_init(&w->line[0], LINE_MAX_BYTES + 1);
    buf_init(&w->line[1], LINE_MAX_BYTES + 1);
    buf_init(&w->init_log, 2 * LAMBDA_LOG_TAIL + 2);
    w->spawn_us = time_mono_us();

    struct http_server_options ho = {.host = "127.0.0.1",
                                     .port = 0,
                                     .threads = 1,
                                     .max_body_bytes = LAMBDA_PAYLOAD_MAX + RESPONSE_MARGIN,
                                     .shutdown_grace_ms = 100,
                                     .connection_timeout_s = 3600,
                                     .access_log = "off"};
    int pout[2] = {-1, -1}, perr[2] = {-1, -1}, pstat[2] = {-1, -1}, devnull = -1;
    char **env = NULL;
    char *exe = NULL;
    int rc = PARLEY_EIO;
    w->srv = http_server_new(&ho, err, sizeof err);
    if (!w->srv || add_routes(w) || http_server_start(w->srv, err, sizeof err) != 0) {
        log_error("lambda: %s: cannot open a Runtime API listener: %s", fn->name, err);
        goto fail;
    }
    w->port = http_server_port(w->srv);
    const char *path = DEFAULT_PATH;
    env = build_env(w, &path);
    const char *prog = fn->argv[0];
    if (strchr(prog, '/'))
        exe = prog[0] == '/' ? strdup(prog) : env_entry("%s/%s", fn->code_dir, prog);
    else
        exe = path_search(prog, path);
    if (!env || (!exe && strchr(prog, '/'))) {
        rc = PARLEY_ENOMEM;
        goto fail;
    }
    if (pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC) || pipe2(pstat, O_CLOEXEC) ||
        (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        log_error("lambda: %s: cannot create pipes: %s", fn->name, strerror(errno));
        goto fail;
    }
    pid_t parent = getpid();
    pid_t pid = exe ? fork() : -2;
    if (pid == 0) {
        /* the child: only async-signal-safe calls until execve */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(126);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        for (int s = 1; s < 32; s++)
            if (s != SIGKILL && s != SIGSTOP)
                sigaction(s, &dfl, NULL);
        if (dup2(devnull, 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0)
            _exit(126);
        if (chdir(fn->code_dir) != 0)
            _exit(126);
        close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        execve(exe, fn->argv, env);
        int e = errno;
        ssize_t wr = write(pstat[1], &e, sizeof e);
        (void)wr;
        _exit(127);
    }
    if (pid < 0) {
        if (pid == -1)
            log_error("lambda: %s: fork failed: %s", fn->name, strerror(errno));
        else
            log_error("lambda: %s: %s is not on the PATH (%s)", fn->name, prog, path);
        w->init_error = env_entry(
            "{\"errorType\":\"Runtime.InvalidEntrypoint\",\"errorMessage\":\"%s\"}",
            pid == -1 ? "Parley could not start a process" : "The command is not on the PATH");
        goto fail;
    }
    setpgid(pid, pid);
    w->pid = pid;
    close(pout[1]);
    close(perr[1]);
    close(pstat[1]);
    pout[1] = perr[1] = pstat[1] = -1;
    int child_errno = 0;
    ssize_t got;
    do
        got = read(pstat[0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof child_errno) {
        log_error("lambda: %s: cannot run %s: %s", fn->name, exe, strerror(child_errno));
        free(w->init_error);
        w->init_error = env_entry("{\"errorType\":\"Runtime.InvalidEntrypoint\",\"errorMessage\":"
                                  "\"cannot run the command: %s\"}",
                                  strerror(child_errno));
    }
    w->fd[0] = pout[0];
    w->fd[1] = perr[0];
    pout[0] = perr[0] = -1;
    fcntl(w->fd[0], F_SETFL, O_NONBLOCK);
    fcntl(w->fd[1], F_SETFL, O_NONBLOCK);
    w->pidfd = lr->polling ? -1 : pidfd_open(pid, 0);
    if (w->pidfd < 0 && !lr->polling) {
        /* old kernels, valgrind, some seccomp profiles: poll with waitid instead */
        log_info("lambda: pidfd_open is not available (%s); watching workers by polling",
                 strerror(errno));
        lr->polling = true;
    }
    w->wpid = (struct watch){WATCH_PID, w};
    w->wout = (struct watch){WATCH_OUT, w};
    w->werr = (struct watch){WATCH_ERR, w};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->wpid};
    if (w->pidfd >= 0)
        epoll_ctl(lr->epfd, EPOLL_CTL_ADD, w->pidfd, &ev);
    ev.data.ptr = &w->wout;
    epoll_ctl(lr->epfd, EPOLL_CTL_ADD, w->fd[0], &ev);
    ev.data.ptr = &w->werr;
    epoll_ctl(lr->epfd, EPOLL_CTL_ADD, w->fd[1], &ev);
    w->state = W_STARTING;
    w->deadline_us = w->spawn_us + (int64_t)fn->init_timeout_ms * 1000;
    w->next = fn->workers;
    fn->workers = w;
    fn->nworkers++;
    log_debug("lambda: %s worker %u started (pid %d, runtime API 127.0.0.1:%d)", fn->name, w->id,
              (int)pid, w->port);
    rc = 0;
    goto out;
fail:
    /* fail the invocation that wanted this worker, or it would wait for ever */
    if (fn->qhead) {
        struct invocation *inv = fn->qhead;
        fn->qhead = inv->next;
        if (!fn->qhead)
            fn->qtail = NULL;
        fn->nqueued--;
        inv->next = NULL;
        if (w->init_error)
            invocation_set_result(inv, LAMBDA_FUNCTION_ERROR, "Unhandled", w->init_error,
                                  strlen(w->init_error));
        else
            invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 500, "ServiceException",
                                 "Parley could not start a worker for %s; see its log.", fn->name);
        complete(inv, done);
    }
    worker_free(w);
out:
    for (int i = 0; i < 2; i++) {
        if (pout[i] >= 0)
            close(pout[i]);
        if (perr[i] >= 0)
            close(perr[i]);
        if (pstat[i] >= 0)
            close(pstat[i]);
    }
    if (devnull >= 0)
        close(devnull);
    free_env(env);
    free(exe);
    return rc;
}

/* ---- the monitor ---- */

static void timeout_result(struct invocation *inv, bool init)
{
    char ts[32], msg[512];
    time_iso_now(ts);
    snprintf(msg, sizeof msg, "%s %s Task timed out after %.2f seconds%s", ts, inv->id,
             (double)(init ? inv->fn->init_timeout_ms : inv->timeout_ms) / 1000.0,
             init ? " (the runtime did not ask for an invocation in time)" : "");
    struct buf b = BUF_INIT(4096);
    buf_puts(&b, "{\"errorMessage\":");
    buf_json_string(&b, msg, strlen(msg));
    buf_puts(&b, "}");
    invocation_set_result(inv, LAMBDA_TIMEOUT, "Unhandled", b.data ? b.data : "{}",
                          b.data ? b.len : 2);
    buf_release(&b);
    invocation_log(inv, msg, strlen(msg));
    invocation_log(inv, "\n", 1);
}

static void exit_result(struct invocation *inv, int status, const char *init_error)
{
    if (init_error && *init_error) {
        invocation_set_result(inv, LAMBDA_FUNCTION_ERROR, "Unhandled", init_error,
                              strlen(init_error));
        return;
    }
    char why[64], msg[256];
    if (WIFEXITED(status))
        snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "signal: %s", strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "status %d", status);
    snprintf(msg, sizeof msg, "RequestId: %s Error: Runtime exited with error: %s", inv->id, why);
    struct buf b = BUF_INIT(4096);
    buf_puts(&b, "{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":");
    buf_json_string(&b, msg, strlen(msg));
    buf_puts(&b, "}");
    invocation_set_result(inv, LAMBDA_FUNCTION_ERROR, "Unhandled", b.data ? b.data : "{}",
                          b.data ? b.len : 2);
    buf_release(&b);
}

/* The worker's process exited: reap it, settle its invocation, free it. Monitor thread. */
static void reap(struct lambda_registry *reg, struct worker *w)
{
    struct invocation *done = NULL;
    pthread_mutex_lock(&reg->lock);
    kill(-w->pid, SIGKILL); /* what the process left behind in its group goes too */
    int status = 0;
    pid_t r;
    do
        r = waitpid(w->pid, &status, 0);
    while (r < 0 && errno == EINTR);
    read_pipe(w, 0);
    read_pipe(w, 1);
    for (int i = 0; i < 2; i++) {
        flush_partial(w, i);
        if (w->fd[i] >= 0) {
            epoll_ctl(reg->local->epfd, EPOLL_CTL_DEL, w->fd[i], NULL);
            close(w->fd[i]);
            w->fd[i] = -1;
        }
    }
    if (w->pidfd >= 0)
        epoll_ctl(reg->local->epfd, EPOLL_CTL_DEL, w->pidfd, NULL);
    enum wstate prev = w->state;
    w->state = W_DEAD;
    struct lambda_function *fn = w->fn;
    for (struct worker **p = &fn->workers; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    fn->nworkers--;
    struct invocation *inv = w->current;
    w->current = NULL;
    if (!inv && prev == W_STARTING && w->killed != KILL_SHUTDOWN && fn->qhead) {
        /* a failed start fails the invocation that was waiting for it, as in Lambda */
        inv = fn->qhead;
        fn->qhead = inv->next;
        if (!fn->qhead)
            fn->qtail = NULL;
        fn->nqueued--;
        inv->next = NULL;
        if (w->init_log.len)
            invocation_log(inv, w->init_log.data, w->init_log.len);
    }
    if (inv) {
        if (w->killed == KILL_TIMEOUT || w->killed == KILL_INIT_TIMEOUT)
            timeout_result(inv, w->killed == KILL_INIT_TIMEOUT);
        else if (w->killed == KILL_SHUTDOWN)
            invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 503, "ServiceException",
                                 "Parley stopped while the function was running.");
        else
            exit_result(inv, status, w->init_error);
        if (inv->run_start_us == 0)
            inv->run_start_us = w->spawn_us;
        log_report(inv, fn);
        complete(inv, &done);
    }
    if (!w->killed && prev != W_STARTING)
        log_warn("lambda: %s worker %u (pid %d) exited unexpectedly after %u invocation(s)",
                 fn->name, w->id, (int)w->pid, w->invocations);
    else if (prev == W_STARTING && w->killed != KILL_SHUTDOWN)
        log_warn("lambda: %s worker %u (pid %d) failed to start", fn->name, w->id, (int)w->pid);
    struct http_request *req = w->next_req;
    w->next_req = NULL;
    schedule(reg, fn);
    pthread_mutex_unlock(&reg->lock);
    if (req)
        runtime_reply(req, 410, "Runtime.Stopped", "This worker has stopped.");
    worker_free(w); /* stops its listener: handlers still running see W_DEAD and answer */
    finish_list(done);
}

static void *monitor_main(void *arg)
{
    struct lambda_registry *reg = arg;
    struct local_runtime *lr = reg->local;
    struct epoll_event evs[64];
    for (;;) {
        struct invocation *done = NULL;
        pthread_mutex_lock(&reg->lock);
        int64_t now = time_mono_us(), next = INT64_MAX;
        bool any = false;
        for (size_t i = 0; i < reg->nfns; i++) {
            struct lambda_function *fn = &reg->fns[i];
            if (fn->remote)
                continue;
            if (lr->stop) {
                while (fn->qhead) {
                    struct invocation *inv = fn->qhead;
                    fn->qhead = inv->next;
                    fn->nqueued--;
                    invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 503, "ServiceException",
                                         "Parley stopped before the function could run.");
                    complete(inv, &done);
                }
                fn->qtail = NULL;
            }
            /* start workers for what waits, up to the reserved concurrency */
            unsigned soon = 0;
            for (struct worker *w = fn->workers; w; w = w->next)
                if (w->state == W_STARTING || w->state == W_RESTING)
                    soon++;
            while (!lr->stop && fn->nqueued > soon && fn->nworkers < fn->reserved) {
                /* a failed start fails the invocation it was for, so this loop ends */
                if (spawn_worker(reg, fn, &done) == 0)
                    soon++;
            }
            for (struct worker *w = fn->workers; w; w = w->next) {
                any = true;
                if (lr->stop) {
                    kill_worker(w, KILL_SHUTDOWN);
                    continue;
                }
                if (!w->deadline_us || w->killed)
                    continue;
                if (now >= w->deadline_us) {
                    log_warn("lambda: %s worker %u: %s; killing process group %d", fn->name, w->id,
                             w->state == W_STARTING ? "init timed out" : "invocation timed out",
                             (int)w->pid);
                    kill_worker(w, w->state == W_STARTING ? KILL_INIT_TIMEOUT : KILL_TIMEOUT);
                } else if (w->deadline_us < next) {
                    next = w->deadline_us;
                }
            }
        }
        lr->next_wake_us = next;
        bool exit_now = lr->stop && !any;
        pthread_mutex_unlock(&reg->lock);
        finish_list(done);
        if (exit_now)
            break;
        int timeout = next == INT64_MAX ? -1 : (int)((next - now + 999) / 1000);
        if (timeout > 60000)
            timeout = 60000;
        if (lr->polling && any && (timeout < 0 || timeout > POLL_MS))
            timeout = POLL_MS;
        int n = epoll_wait(lr->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("lambda: epoll_wait: %s", strerror(errno));
            struct timespec ms = {0, 10000000};
            nanosleep(&ms, NULL);
            continue;
        }
        /* output and wake-ups first, exits last: an exit frees its worker (and its watches) */
        struct worker *exited[64];
        int nexited = 0;
        for (int i = 0; i < n; i++) {
            struct watch *wt = evs[i].data.ptr;
            if (wt->kind == WATCH_WAKE) {
                uint64_t v;
                ssize_t r = read(lr->evfd, &v, sizeof v);
                (void)r;
            } else if (wt->kind == WATCH_OUT || wt->kind == WATCH_ERR) {
                pthread_mutex_lock(&reg->lock);
                read_pipe(wt->w, wt->kind == WATCH_OUT ? 0 : 1);
                pthread_mutex_unlock(&reg->lock);
            } else if (wt->kind == WATCH_PID) {
                exited[nexited++] = wt->w;
            }
        }
        if (lr->polling) {
            /* workers without a pidfd: has one exited? (WNOWAIT leaves the zombie for reap, so
               its pid and process group cannot be reused before reap kills the group) */
            pthread_mutex_lock(&reg->lock);
            for (size_t f = 0; f < reg->nfns; f++)
                for (struct worker *w = reg->fns[f].workers; w && nexited < 64; w = w->next) {
                    if (w->pidfd >= 0)
                        continue;
                    siginfo_t si;
                    memset(&si, 0, sizeof si);
                    if (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                        si.si_pid == w->pid)
                        exited[nexited++] = w;
                }
            pthread_mutex_unlock(&reg->lock);
        }
        for (int i = 0; i < nexited; i++)
            reap(reg, exited[i]);
    }
    return NULL;
}

/* ---- entry points ---- */

int local_runtime_start(struct lambda_registry *reg, char *err, size_t errlen)
{
    bool any = false;
    for (size_t i = 0; i < reg->nfns; i++)
        any |= !reg->fns[i].remote;
    if (!any)
        return 0;
    struct local_runtime *lr = calloc(1, sizeof *lr);
    if (!lr)
        return PARLEY_ENOMEM;
    reg->local = lr;
    lr->next_wake_us = INT64_MAX;
    /* for tests: behave as where pidfd_open does not exist */
    const char *poll_env = getenv("PARLEY_LAMBDA_POLL_EXITS");
    lr->polling = poll_env && strcmp(poll_env, "1") == 0;
    lr->epfd = epoll_create1(EPOLL_CLOEXEC);
    lr->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (lr->epfd < 0 || lr->evfd < 0) {
        snprintf(err, errlen, "lambda: cannot create the monitor's epoll set: %s", strerror(errno));
        return PARLEY_EIO;
    }
    lr->wake = (struct watch){WATCH_WAKE, NULL};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &lr->wake};
    epoll_ctl(lr->epfd, EPOLL_CTL_ADD, lr->evfd, &ev);
    if (pthread_create(&lr->thread, NULL, monitor_main, reg) != 0) {
        snprintf(err, errlen, "lambda: cannot start the monitor thread");
        return PARLEY_EIO;
    }
    lr->started = true;
    return 0;
}

void local_invoke(struct lambda_registry *reg, struct invocation *inv)
{
    struct lambda_function *fn = inv->fn;
    struct local_runtime *lr = reg->local;
    pthread_mutex_lock(&reg->lock);
    if (!lr || lr->stop) {
        pthread_mutex_unlock(&reg->lock);
        invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 503, "ServiceException",
                             "Parley is shutting down; the function was not invoked.");
        invocation_finish(inv);
        return;
    }
    if (fn->running >= fn->reserved + fn->max_queued) {
        unsigned reserved = fn->reserved, queued = fn->max_queued;
        pthread_mutex_unlock(&reg->lock);
        invocation_set_error(inv, LAMBDA_THROTTLED, 429, "TooManyRequestsException",
                             "Rate Exceeded. %s already runs %u invocation(s) (its reserved "
                             "concurrency) and has %u waiting (its maxQueued).",
                             fn->name, reserved, queued);
        invocation_finish(inv);
        return;
    }
    fn->running++;
    if (fn->qtail)
        fn->qtail->next = inv;
    else
        fn->qhead = inv;
    fn->qtail = inv;
    inv->next = NULL;
    fn->nqueued++;
    schedule(reg, fn);
    pthread_mutex_unlock(&reg->lock);
}

void local_runtime_stop(struct lambda_registry *reg)
{
    struct local_runtime *lr = reg->local;
    if (!lr)
        return;
    pthread_mutex_lock(&reg->lock);
    lr->stop = true;
    pthread_mutex_unlock(&reg->lock);
    if (lr->started) {
        wake(lr);
        pthread_join(lr->thread, NULL);
        lr->started = false;
    }
    if (lr->epfd >= 0)
        close(lr->epfd);
    if (lr->evfd >= 0)
        close(lr->evfd);
    free(lr);
    reg->local = NULL;
}

void local_metrics(struct lambda_registry *reg, struct buf *out)
{
    if (!reg->local)
        return;
    buf_puts(out, "# HELP parley_lambda_workers Local worker processes by function and state.\n"
                  "# TYPE parley_lambda_workers gauge\n");
    pthread_mutex_lock(&reg->lock);
    for (size_t i = 0; i < reg->nfns; i++) {
        struct lambda_function *fn = &reg->fns[i];
        if (fn->remote)
            continue;
        unsigned counts[5] = {0};
        for (struct worker *w = fn->workers; w; w = w->next)
            counts[w->state]++;
        for (int s = 0; s < 4; s++)
            buf_printf(out, "parley_lambda_workers{function=\"%s\",state=\"%s\"} %u\n", fn->name,
                       state_names[s], counts[s]);
    }
    pthread_mutex_unlock(&reg->lock);
    buf_puts(out, "# HELP parley_lambda_cold_starts_total Workers that became ready.\n"
                  "# TYPE parley_lambda_cold_starts_total counter\n");
    pthread_mutex_lock(&reg->metrics_lock);
    for (size_t i = 0; i < reg->nfns; i++)
        if (!reg->fns[i].remote)
            buf_printf(out, "parley_lambda_cold_starts_total{function=\"%s\"} %llu\n",
                       reg->fns[i].name, (unsigned long long)reg->fns[i].cold_starts);
    pthread_mutex_unlock(&reg->metrics_lock);
}
