/*
 * What the engine's files share and users of graphql/graphql.h do not see:
 * the arena every document and schema allocates from, the built-in SDL,
 * and the entry points one file of the engine offers another.
 */
#ifndef PARLEY_GRAPHQL_INTERNAL_H
#define PARLEY_GRAPHQL_INTERNAL_H

#include "graphql/graphql.h"

/* ---- arena.c: a bump allocator; everything is freed at once ---- */

struct gql_arena *gql_arena_new(void);
void gql_arena_free(struct gql_arena *arena);
/* size bytes, zeroed, aligned for any type; NULL when out of memory. */
void *gql_arena_alloc(struct gql_arena *arena, size_t size);
/* A NUL-terminated copy of len bytes of s; NULL when out of memory. */
char *gql_arena_strndup(struct gql_arena *arena, const char *s, size_t len);
size_t gql_arena_used(const struct gql_arena *arena); /* bytes handed out (limits, tests) */

/* ---- builtins.c ---- */

/* SDL of the built-in scalars and directives, added to every schema. */
extern const char gql_builtin_sdl[];
/* SDL of the introspection types (__Schema, __Type, ...), added to every schema. */
extern const char gql_introspection_sdl[];
/* DirectiveLocation names, index i for bit 1u << i of enum gql_directive_location. */
#define GQL_NDIRECTIVE_LOCATIONS 19
extern const char *const gql_directive_location_names[GQL_NDIRECTIVE_LOCATIONS];

#endif
