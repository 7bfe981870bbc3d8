/*
 * The arena: a document's or a schema's nodes are many small objects that
 * live and die together, so they come from chunks that grow geometrically
 * (4 KB, doubling up to 1 MB) and are freed in one pass — no per-node
 * free, no fragmentation, and a parse error just drops the arena (the h2o
 * mem pool idea).
 */
#include <stdlib.h>
#include <string.h>

#include "graphql/internal.h"

#define ARENA_FIRST_CHUNK 4096
#define ARENA_MAX_CHUNK (1u << 20)
#define ARENA_ALIGN 16

struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct gql_arena {
    struct chunk *head;
    size_t next_size;
    size_t used;
};

struct gql_arena *gql_arena_new(void)
{
    struct gql_arena *a = calloc(1, sizeof *a);
    if (a != NULL)
        a->next_size = ARENA_FIRST_CHUNK;
    return a;
}

void gql_arena_free(struct gql_arena *arena)
{
    if (arena == NULL)
        return;
    struct chunk *c = arena->head;
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(arena);
}

void *gql_arena_alloc(struct gql_arena *arena, size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < size)
        return NULL;
    struct chunk *c = arena->head;
    if (c == NULL || c->size - c->used < need) {
        size_t csize = arena->next_size;
        while (csize < need)
            csize *= 2;
        c = malloc(sizeof *c + csize);
        if (c == NULL)
            return NULL;
        c->size = csize;
        c->used = 0;
        c->next = arena->head;
        arena->head = c;
        if (arena->next_size < ARENA_MAX_CHUNK)
            arena->next_size *= 2;
    }
    void *p = c->data + c->used;
    c->used += need;
    arena->used += need;
    memset(p, 0, need);
    return p;
}

char *gql_arena_strndup(struct gql_arena *arena, const char *s, size_t len)
{
    char *p = gql_arena_alloc(arena, len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

size_t gql_arena_used(const struct gql_arena *arena)
{
    return arena->used;
}
