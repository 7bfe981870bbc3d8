/*
 * Logging as JSON lines. Each line is formatted into a buffer first and
 * written with one fwrite under the stream's lock, so lines from different
 * threads never interleave.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"

static enum log_level min_level = LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level min)
{
    min_level = min;
}

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void time_iso_now(char out[32])
{
    int64_t now = time_now_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(now % 1000));
}

void log_line(void *stream, const char *line, size_t len)
{
    FILE *f = stream;
    flockfile(f);
    fwrite(line, 1, len, f);
    fputc('\n', f);
    fflush(f);
    funlockfile(f);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char ts[32];
    time_iso_now(ts);

    struct buf b = BUF_INIT(8192);
    buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
    buf_json_string(&b, msg, strlen(msg));
    buf_puts(&b, "}");
    if (b.data)
        log_line(stderr, b.data, b.len);
    buf_release(&b);
}
