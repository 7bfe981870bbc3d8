/*
 * bench/lambda load generator: P threads, each with its own keep-alive
 * connection, invoke FUNCTION through Parley's Invoke endpoint N times in
 * all and print "p50_us p99_us calls_per_s". Usage: load URL FUNCTION N P
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *url;
static long per_thread;
static long *lat;
static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    return s * n;
}

static void *worker(void *arg)
{
    long base = (long)(intptr_t)arg * per_thread;
    CURL *c = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: application/json");
    hs = curl_slist_append(hs, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"bench\":true}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    for (long i = 0; i < per_thread; i++) {
        long t0 = now_us();
        CURLcode rc = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        lat[base + i] = now_us() - t0;
        if (rc != CURLE_OK || code != 200) {
            pthread_mutex_lock(&lock);
            failures++;
            pthread_mutex_unlock(&lock);
        }
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: load URL FUNCTION N P\n");
        return 2;
    }
    static char u[1024];
    snprintf(u, sizeof u, "%s/2015-03-31/functions/%s/invocations", argv[1], argv[2]);
    url = u;
    long n = strtol(argv[3], NULL, 10);
    int p = (int)strtol(argv[4], NULL, 10);
    per_thread = n / p;
    n = per_thread * p;
    lat = calloc((size_t)n, sizeof *lat);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_t t[256];
    long t0 = now_us();
    for (int i = 0; i < p; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < p; i++)
        pthread_join(t[i], NULL);
    long total = now_us() - t0;
    qsort(lat, (size_t)n, sizeof *lat, cmp);
    printf("%ld %ld %.0f %d\n", lat[n / 2], lat[(n * 99) / 100], (double)n * 1e6 / (double)total,
           failures);
    return failures ? 1 : 0;
}
