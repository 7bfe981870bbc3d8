/*
 * What every folder of Parley shares: the error codes, the capped growable
 * buffer, logging and a few cJSON helpers. Nothing here knows about HTTP,
 * bots or storage.
 */
#ifndef PARLEY_COMMON_H
#define PARLEY_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* ---- errors: one enum, one table of messages (parley_strerror) ---- */

#define PARLEY_ERRNO_MAP(XX)                                                                       \
    XX(ENOMEM, -1, "out of memory")                                                                \
    XX(EINVAL, -2, "invalid argument")                                                             \
    XX(ENOTFOUND, -3, "not found")                                                                 \
    XX(ETOOBIG, -4, "too large")                                                                   \
    XX(ECONFLICT, -5, "version conflict")                                                          \
    XX(EIO, -6, "input/output error")                                                              \
    XX(ETIMEDOUT, -7, "timed out")                                                                 \
    XX(EBUSY, -8, "busy")                                                                          \
    XX(ECORRUPT, -9, "stored data is corrupt or from a newer version")

enum parley_err {
    PARLEY_OK = 0,
#define XX(name, code, msg) PARLEY_##name = code,
    PARLEY_ERRNO_MAP(XX)
#undef XX
};

/* A static sentence for an error code; never NULL. */
const char *parley_strerror(int err);

/* ---- buf: a growable byte buffer that never grows past its cap ---- */

struct buf {
    char *data; /* always NUL-terminated when non-NULL; owned by the buf */
    size_t len;
    size_t cap;
    size_t max; /* hard limit on len; appends past it fail with PARLEY_ETOOBIG */
};

#define BUF_INIT(max_bytes)                                                                        \
    {                                                                                              \
        NULL, 0, 0, (max_bytes)                                                                    \
    }

void buf_init(struct buf *b, size_t max);
/* Frees the memory; the buf can be used again (it keeps its max). */
void buf_release(struct buf *b);
/* Returns the data (caller frees with free()) and empties the buf; "" if empty. */
char *buf_detach(struct buf *b, size_t *len);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
/* Appends s as a JSON string literal, quotes included. */
int buf_json_string(struct buf *b, const char *s, size_t len);

/* ---- logging: one JSON object per line on stderr ---- */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min);
/* msg is formatted printf-style and written as the "msg" field. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
/* Writes one finished line (a JSON object, no newline) to stream atomically. */
void log_line(void *stream, const char *line, size_t len);

/* ---- time ---- */

int64_t time_now_ms(void);  /* wall clock, ms since the epoch */
int64_t time_mono_us(void); /* monotonic clock, µs */
/* The current UTC time as 2026-11-26T18:27:13.116Z into out (log lines). */
void time_iso_now(char out[32]);

/* ---- cJSON helpers: borrowed results, NULL/default when absent or of another type ---- */

const char *json_string(const cJSON *obj, const char *key);
bool json_number(const cJSON *obj, const char *key, double *out);
/* Prints json unformatted into a malloc'd string (caller frees), NULL on OOM. */
char *json_print(const cJSON *json, size_t *len);
/*
 * A deep copy of json in one allocation, for a tree that is read many times
 * and never changed: the members of each object sit side by side, then
 * the names and strings, so reading it walks memory in order. Freed with
 * free(); nothing in it may be changed, detached or given to cJSON_Delete
 * (copy it with cJSON_Duplicate, refer to it with cJSON_Create*Reference).
 * Member names found in names (static strings: they must outlive every
 * copy) are not copied but point there, marked cJSON_StringIsConst, so that
 * all the copies share them. NULL when out of memory.
 */
cJSON *json_freeze(const cJSON *json, const char *const *names, size_t nnames);
/* json_freeze's objects and arrays carry both bits: their members are consecutive nodes,
   which graphql/'s executor indexes (GQL_JSON_CONSECUTIVE, the same value). */
#define JSON_CONSECUTIVE ((1 << 12) | cJSON_IsReference)

/* ---- sigv4.c: AWS Signature Version 4 (signing Lambda calls, checking Lex callers) ---- */

struct sigv4_header {
    const char *name; /* any case; signed lowercased */
    const char *value;
};

struct sigv4_request {
    const char *method;
    const char *path;  /* as sent on the wire (already percent-encoded) */
    const char *query; /* as sent, without '?', or NULL */
    const struct sigv4_header *headers;
    size_t nheaders; /* every header to sign, Host and X-Amz-Date included */
    const void *payload;
    size_t payload_len;
    const char *region;
    const char *service;
    const char *access_key;
    const char *secret_key;
    const char *amz_date; /* YYYYMMDDTHHMMSSZ, the same as the X-Amz-Date header */
    bool double_encode;   /* every service but S3 */
};

/*
 * Fills out with the Authorization header's value. canonical and
 * string_to_sign (may be NULL) receive those texts, for tests and debugging.
 * 0 or PARLEY_ENOMEM/EINVAL.
 */
int sigv4_sign(const struct sigv4_request *rq, struct buf *out, struct buf *canonical,
               struct buf *string_to_sign);
/* Lowercase hex SHA-256 of data into out[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* Formats t (seconds since the epoch) as YYYYMMDDTHHMMSSZ into out[17]. */
void sigv4_amz_date(int64_t t, char out[17]);

/* ---- base64.c ---- */

/* Base64 of data (malloc'd, NUL-terminated; caller frees), NULL on OOM. */
char *base64_encode(const void *data, size_t len);
/* The decoded bytes (malloc'd, NUL-terminated), *outlen set; NULL when malformed. */
char *base64_decode(const char *text, size_t *outlen);

#include "common/banned.h"

#endif
