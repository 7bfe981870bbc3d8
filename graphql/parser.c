/*
 * The GraphQL parser: recursive descent over the October 2021 grammar,
 * executable documents and the type system (definitions and extensions)
 * alike, one token of lookahead, building graphql/ast.h's tree in the
 * document's arena. As graphql-js 16 (and the September 2025 spec) it also
 * takes descriptions on operations, fragments and variable definitions; a
 * variable's is read and dropped (the tree has no place for it).
 *
 * Lists in the tree are arrays, but their lengths are only known at their
 * closing token. Each list is therefore gathered on one scratch stack the
 * parser owns (4 KB in gql_parse's frame, then a malloc'd buffer that grows
 * by doubling): an item is built in a local variable, pushed when complete
 * (nested lists below it have already been copied out and popped), and at
 * the end of the list the items are copied into the arena in one piece and
 * popped. Names and numbers are copied into the lexer's text chunks. So the
 * cost is one arena bump per list or node and no malloc per token.
 *
 * Recursion follows nesting (selection sets, list and object values, list
 * types); a fixed maximum depth (GQL_PARSE_MAX_DEPTH) stops a hostile
 * document before it can exhaust the C stack.
 *
 * Error messages are graphql-js's: "Syntax Error: Expected Name, found
 * <EOF>.", "Syntax Error: Unexpected \"}\".". Only the first error is
 * reported; every function returns GQL_OK or a negative code that the
 * callers pass up unchanged, and gql_parse drops the arena.
 *
 * Locations: a definition's loc is its first token (the keyword, or "{" of
 * a shorthand query; never the description) and name_loc its name; field,
 * argument, enum value and input value definitions are located at their
 * name; a fragment spread at its "..." with name_loc its name; a schema's
 * root operation at its type's name; a non-null type at the start of the
 * type it wraps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/lexer.h"

#define GQL_PARSE_MAX_DEPTH 256

struct parser {
    struct gql_lexer lx;
    struct gql_arena *arena;
    struct gql_errors *errs;
    unsigned char *stack; /* the scratch stack of list items: first, then malloc'd */
    size_t slen, scap;
    unsigned char first[4096]; /* most documents never need more */
    unsigned depth;
};

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        int try_rc_ = (expr);                                                                      \
        if (try_rc_ < 0)                                                                           \
            return try_rc_;                                                                        \
    } while (0)

#define TOK (&p->lx.tok)

static int oom(struct parser *p)
{
    gql_errors_add(p->errs, NULL, NULL, 0, "Out of memory while parsing the document.");
    return GQL_ENOMEM;
}

static int advance(struct parser *p)
{
    return gql_lexer_next(&p->lx);
}

static bool peek(const struct parser *p, enum gql_tok kind)
{
    return p->lx.tok.kind == kind;
}

/* Is the current token the name kw? */
static bool is_kw(const struct parser *p, const char *kw, size_t len)
{
    return TOK->kind == GQL_TOK_NAME && TOK->len == len && memcmp(TOK->start, kw, len) == 0;
}

#define IS_KW(p, kw) is_kw(p, kw, sizeof kw - 1)

/* ---- errors ---- */

/* graphql-js's getTokenDesc: the kind, and the value of names, numbers and strings. */
static int token_error(struct parser *p, const struct gql_token *t, const char *before,
                       const char *after)
{
    const char *kind = gql_tok_kind_desc(t->kind);
    const char *val = NULL;
    size_t vlen = 0;
    switch (t->kind) {
    case GQL_TOK_NAME:
    case GQL_TOK_INT:
    case GQL_TOK_FLOAT:
        val = t->start, vlen = t->len;
        break;
    case GQL_TOK_STRING:
    case GQL_TOK_BLOCK_STRING:
        val = t->value, vlen = t->value_len;
        break;
    default:
        break;
    }
    if (val != NULL)
        return gql_lexer_error(&p->lx, GQL_ESYNTAX, t->start, "%s%s \"%.*s\"%s", before, kind,
                               (int)vlen, val, after);
    return gql_lexer_error(&p->lx, GQL_ESYNTAX, t->start, "%s%s%s", before, kind, after);
}

static int unexpected(struct parser *p)
{
    return token_error(p, TOK, "Unexpected ", ".");
}

static int expect(struct parser *p, enum gql_tok kind)
{
    if (TOK->kind == kind)
        return advance(p);
    char before[32];
    snprintf(before, sizeof before, "Expected %s, found ", gql_tok_kind_desc(kind));
    return token_error(p, TOK, before, ".");
}

/* 1 if the current token is kind (and it is consumed), 0 if not, or an error. */
static int expect_optional(struct parser *p, enum gql_tok kind)
{
    if (TOK->kind != kind)
        return 0;
    TRY(advance(p));
    return 1;
}

static int expect_kw(struct parser *p, const char *kw)
{
    if (is_kw(p, kw, strlen(kw)))
        return advance(p);
    char before[48];
    snprintf(before, sizeof before, "Expected \"%s\", found ", kw);
    return token_error(p, TOK, before, ".");
}

static int enter(struct parser *p)
{
    if (++p->depth > GQL_PARSE_MAX_DEPTH)
        return gql_lexer_error(&p->lx, GQL_ELIMIT, TOK->start,
                               "Document is nested deeper than %d levels (selection sets, lists, "
                               "objects or list types).",
                               GQL_PARSE_MAX_DEPTH);
    return GQL_OK;
}

/* ---- the scratch stack ---- */

static int grow(struct parser *p, size_t size)
{
    size_t cap = p->scap * 2;
    while (cap - p->slen < size)
        cap *= 2;
    unsigned char *s = p->stack == p->first ? malloc(cap) : realloc(p->stack, cap);
    if (s == NULL)
        return oom(p);
    if (p->stack == p->first)
        memcpy(s, p->first, p->slen);
    p->stack = s;
    p->scap = cap;
    return GQL_OK;
}

/* Inlined so that the copy of a fixed-size item is a few moves, not a call. */
static inline __attribute__((always_inline)) int push(struct parser *p, const void *item,
                                                      size_t size)
{
    if (p->scap - p->slen < size)
        TRY(grow(p, size));
    memcpy(p->stack + p->slen, item, size);
    p->slen += size;
    return GQL_OK;
}

/* Moves the items pushed since mark into a new arena array: *items and *n. */
static int pop(struct parser *p, size_t mark, size_t size, void *items, size_t *n)
{
    size_t bytes = p->slen - mark;
    void *arr = NULL;
    if (bytes > 0) {
        arr = gql_arena_alloc(p->arena, bytes);
        if (arr == NULL)
            return oom(p);
        memcpy(arr, p->stack + mark, bytes);
    }
    memcpy(items, &arr, sizeof arr);
    *n = bytes / size;
    p->slen = mark;
    return GQL_OK;
}

/* ---- names, values, types ---- */

static int parse_name(struct parser *p, const char **name, struct gql_loc *loc)
{
    if (TOK->kind != GQL_TOK_NAME)
        return expect(p, GQL_TOK_NAME);
    char *s = gql_lexer_copy(&p->lx, TOK->start, TOK->len);
    if (s == NULL)
        return oom(p);
    *name = s;
    if (loc != NULL)
        *loc = TOK->loc;
    return advance(p);
}

static int parse_value(struct parser *p, bool is_const, struct gql_value *v);

static int parse_list_value(struct parser *p, bool is_const, struct gql_value *v)
{
    TRY(enter(p));
    TRY(advance(p)); /* [ */
    size_t mark = p->slen;
    int rc;
    while ((rc = expect_optional(p, GQL_TOK_BRACKET_R)) == 0) {
        struct gql_value item;
        memset(&item, 0, sizeof item);
        TRY(parse_value(p, is_const, &item));
        TRY(push(p, &item, sizeof item));
    }
    TRY(rc);
    p->depth--;
    return pop(p, mark, sizeof(struct gql_value), &v->items, &v->nitems);
}

static int parse_object_value(struct parser *p, bool is_const, struct gql_value *v)
{
    TRY(enter(p));
    TRY(advance(p)); /* { */
    size_t mark = p->slen;
    int rc;
    while ((rc = expect_optional(p, GQL_TOK_BRACE_R)) == 0) {
        struct gql_object_field f;
        memset(&f, 0, sizeof f);
        TRY(parse_name(p, &f.name, &f.loc));
        TRY(expect(p, GQL_TOK_COLON));
        TRY(parse_value(p, is_const, &f.value));
        TRY(push(p, &f, sizeof f));
    }
    TRY(rc);
    p->depth--;
    return pop(p, mark, sizeof(struct gql_object_field), &v->fields, &v->nfields);
}

static int parse_value(struct parser *p, bool is_const, struct gql_value *v)
{
    v->loc = TOK->loc;
    switch (TOK->kind) {
    case GQL_TOK_BRACKET_L:
        v->kind = GQL_VALUE_LIST;
        return parse_list_value(p, is_const, v);
    case GQL_TOK_BRACE_L:
        v->kind = GQL_VALUE_OBJECT;
        return parse_object_value(p, is_const, v);
    case GQL_TOK_INT:
    case GQL_TOK_FLOAT:
        v->kind = TOK->kind == GQL_TOK_INT ? GQL_VALUE_INT : GQL_VALUE_FLOAT;
        v->text = gql_lexer_copy(&p->lx, TOK->start, TOK->len);
        if (v->text == NULL)
            return oom(p);
        v->len = TOK->len;
        return advance(p);
    case GQL_TOK_STRING:
    case GQL_TOK_BLOCK_STRING:
        v->kind = GQL_VALUE_STRING;
        v->block = TOK->kind == GQL_TOK_BLOCK_STRING;
        v->text = TOK->value;
        v->len = TOK->value_len;
        return advance(p);
    case GQL_TOK_NAME:
        if (IS_KW(p, "true") || IS_KW(p, "false")) {
            v->kind = GQL_VALUE_BOOLEAN;
            v->boolean = TOK->len == 4;
            v->text = v->boolean ? "true" : "false";
            v->len = TOK->len;
            return advance(p);
        }
        if (IS_KW(p, "null")) {
            v->kind = GQL_VALUE_NULL;
            v->text = "null";
            v->len = 4;
            return advance(p);
        }
        v->kind = GQL_VALUE_ENUM;
        v->len = TOK->len;
        return parse_name(p, &v->text, NULL);
    case GQL_TOK_DOLLAR:
        if (is_const) {
            struct gql_token dollar = *TOK;
            TRY(advance(p));
            if (TOK->kind == GQL_TOK_NAME)
                return gql_lexer_error(&p->lx, GQL_ESYNTAX, dollar.start,
                                       "Unexpected variable \"$%.*s\" in constant value.",
                                       (int)TOK->len, TOK->start);
            return token_error(p, &dollar, "Unexpected ", ".");
        }
        v->kind = GQL_VALUE_VARIABLE;
        TRY(advance(p));
        if (TOK->kind == GQL_TOK_NAME)
            v->len = TOK->len;
        return parse_name(p, &v->text, NULL);
    default:
        return unexpected(p);
    }
}

static int parse_type_ref(struct parser *p, struct gql_type_ref **out)
{
    struct gql_type_ref *t = gql_arena_alloc(p->arena, sizeof *t);
    if (t == NULL)
        return oom(p);
    t->loc = TOK->loc;
    if (peek(p, GQL_TOK_BRACKET_L)) {
        TRY(enter(p));
        TRY(advance(p));
        t->kind = GQL_TYPE_LIST;
        TRY(parse_type_ref(p, &t->of));
        TRY(expect(p, GQL_TOK_BRACKET_R));
        p->depth--;
    } else {
        t->kind = GQL_TYPE_NAMED;
        TRY(parse_name(p, &t->name, NULL));
    }
    if (peek(p, GQL_TOK_BANG)) {
        struct gql_type_ref *nn = gql_arena_alloc(p->arena, sizeof *nn);
        if (nn == NULL)
            return oom(p);
        nn->kind = GQL_TYPE_NON_NULL;
        nn->loc = t->loc;
        nn->of = t;
        t = nn;
        TRY(advance(p));
    }
    *out = t;
    return GQL_OK;
}

/* ---- arguments and directives ---- */

static int parse_arguments(struct parser *p, bool is_const, struct gql_argument **args, size_t *n)
{
    if (!peek(p, GQL_TOK_PAREN_L))
        return GQL_OK;
    TRY(advance(p));
    size_t mark = p->slen;
    int rc;
    do {
        struct gql_argument a;
        memset(&a, 0, sizeof a);
        TRY(parse_name(p, &a.name, &a.loc));
        TRY(expect(p, GQL_TOK_COLON));
        TRY(parse_value(p, is_const, &a.value));
        TRY(push(p, &a, sizeof a));
    } while ((rc = expect_optional(p, GQL_TOK_PAREN_R)) == 0);
    TRY(rc);
    return pop(p, mark, sizeof **args, args, n);
}

static int parse_directives(struct parser *p, bool is_const, struct gql_directive **dirs, size_t *n)
{
    if (!peek(p, GQL_TOK_AT))
        return GQL_OK;
    size_t mark = p->slen;
    while (peek(p, GQL_TOK_AT)) {
        struct gql_directive d;
        memset(&d, 0, sizeof d);
        d.loc = TOK->loc;
        TRY(advance(p));
        TRY(parse_name(p, &d.name, NULL));
        TRY(parse_arguments(p, is_const, &d.args, &d.nargs));
        TRY(push(p, &d, sizeof d));
    }
    return pop(p, mark, sizeof **dirs, dirs, n);
}

/* ---- executable definitions ---- */

static int parse_selection_set(struct parser *p, struct gql_selection_set **out);
static int parse_description(struct parser *p, const char **desc);

static int parse_selection(struct parser *p, struct gql_selection *s)
{
    s->loc = TOK->loc;
    if (peek(p, GQL_TOK_SPREAD)) {
        TRY(advance(p));
        bool on = IS_KW(p, "on");
        if (!on && peek(p, GQL_TOK_NAME)) {
            s->kind = GQL_SEL_FRAGMENT_SPREAD;
            TRY(parse_name(p, &s->name, &s->name_loc));
            return parse_directives(p, false, &s->directives, &s->ndirectives);
        }
        s->kind = GQL_SEL_INLINE_FRAGMENT;
        if (on) {
            TRY(advance(p));
            TRY(parse_name(p, &s->type_condition, &s->type_condition_loc));
        }
        TRY(parse_directives(p, false, &s->directives, &s->ndirectives));
        return parse_selection_set(p, &s->selection_set);
    }
    s->kind = GQL_SEL_FIELD;
    TRY(parse_name(p, &s->name, NULL));
    if (peek(p, GQL_TOK_COLON)) {
        TRY(advance(p));
        s->alias = s->name;
        TRY(parse_name(p, &s->name, NULL));
    }
    TRY(parse_arguments(p, false, &s->args, &s->nargs));
    TRY(parse_directives(p, false, &s->directives, &s->ndirectives));
    if (peek(p, GQL_TOK_BRACE_L))
        return parse_selection_set(p, &s->selection_set);
    return GQL_OK;
}

static int parse_selection_set(struct parser *p, struct gql_selection_set **out)
{
    struct gql_selection_set *ss = gql_arena_alloc(p->arena, sizeof *ss);
    if (ss == NULL)
        return oom(p);
    ss->loc = TOK->loc;
    if (peek(p, GQL_TOK_BRACE_L))
        TRY(enter(p));
    TRY(expect(p, GQL_TOK_BRACE_L));
    size_t mark = p->slen;
    int rc;
    do {
        struct gql_selection s;
        memset(&s, 0, sizeof s);
        TRY(parse_selection(p, &s));
        TRY(push(p, &s, sizeof s));
    } while ((rc = expect_optional(p, GQL_TOK_BRACE_R)) == 0);
    TRY(rc);
    p->depth--;
    TRY(pop(p, mark, sizeof(struct gql_selection), &ss->items, &ss->n));
    *out = ss;
    return GQL_OK;
}

/* Like graphql-js, the token after the keyword is read before the keyword is judged. */
static int parse_operation_type(struct parser *p, enum gql_operation_type *op)
{
    if (TOK->kind != GQL_TOK_NAME)
        return expect(p, GQL_TOK_NAME);
    struct gql_token t = *TOK;
    bool known = true;
    if (IS_KW(p, "query"))
        *op = GQL_QUERY;
    else if (IS_KW(p, "mutation"))
        *op = GQL_MUTATION;
    else if (IS_KW(p, "subscription"))
        *op = GQL_SUBSCRIPTION;
    else
        known = false;
    TRY(advance(p));
    return known ? GQL_OK : token_error(p, &t, "Unexpected ", ".");
}

/* An operation; its description, if any, has been read into d. */
static int parse_operation(struct parser *p, struct gql_definition *d)
{
    d->kind = GQL_DEF_OPERATION;
    d->loc = TOK->loc;
    if (peek(p, GQL_TOK_BRACE_L)) {
        d->operation = GQL_QUERY;
        d->shorthand = true;
        return parse_selection_set(p, &d->selection_set);
    }
    TRY(parse_operation_type(p, &d->operation));
    if (peek(p, GQL_TOK_NAME))
        TRY(parse_name(p, &d->name, &d->name_loc));
    if (peek(p, GQL_TOK_PAREN_L)) {
        TRY(advance(p));
        size_t mark = p->slen;
        int rc;
        do {
            struct gql_variable_def v;
            memset(&v, 0, sizeof v);
            const char *unused; /* a variable's description is read and dropped */
            if (peek(p, GQL_TOK_STRING) || peek(p, GQL_TOK_BLOCK_STRING))
                v.description_loc = TOK->loc;
            TRY(parse_description(p, &unused));
            v.loc = TOK->loc;
            TRY(expect(p, GQL_TOK_DOLLAR));
            TRY(parse_name(p, &v.name, NULL));
            TRY(expect(p, GQL_TOK_COLON));
            TRY(parse_type_ref(p, &v.type));
            if (peek(p, GQL_TOK_EQUALS)) {
                TRY(advance(p));
                v.default_value = gql_arena_alloc(p->arena, sizeof *v.default_value);
                if (v.default_value == NULL)
                    return oom(p);
                TRY(parse_value(p, true, v.default_value));
            }
            TRY(parse_directives(p, true, &v.directives, &v.ndirectives));
            TRY(push(p, &v, sizeof v));
        } while ((rc = expect_optional(p, GQL_TOK_PAREN_R)) == 0);
        TRY(rc);
        TRY(pop(p, mark, sizeof(struct gql_variable_def), &d->variables, &d->nvariables));
    }
    TRY(parse_directives(p, false, &d->directives, &d->ndirectives));
    return parse_selection_set(p, &d->selection_set);
}

static int parse_fragment(struct parser *p, struct gql_definition *d)
{
    d->kind = GQL_DEF_FRAGMENT;
    d->loc = TOK->loc;
    TRY(advance(p)); /* fragment */
    if (IS_KW(p, "on"))
        return unexpected(p);
    TRY(parse_name(p, &d->name, &d->name_loc));
    TRY(expect_kw(p, "on"));
    TRY(parse_name(p, &d->type_condition, &d->type_condition_loc));
    TRY(parse_directives(p, false, &d->directives, &d->ndirectives));
    return parse_selection_set(p, &d->selection_set);
}

/* ---- type system ---- */

/* An optional description: the string's value, or NULL. */
static int parse_description(struct parser *p, const char **desc)
{
    *desc = NULL;
    if (peek(p, GQL_TOK_STRING) || peek(p, GQL_TOK_BLOCK_STRING)) {
        *desc = TOK->value;
        return advance(p);
    }
    return GQL_OK;
}

static int parse_input_value_def(struct parser *p, struct gql_input_value_def *iv)
{
    TRY(parse_description(p, &iv->description));
    TRY(parse_name(p, &iv->name, &iv->loc));
    TRY(expect(p, GQL_TOK_COLON));
    TRY(parse_type_ref(p, &iv->type));
    if (peek(p, GQL_TOK_EQUALS)) {
        TRY(advance(p));
        iv->default_value = gql_arena_alloc(p->arena, sizeof *iv->default_value);
        if (iv->default_value == NULL)
            return oom(p);
        TRY(parse_value(p, true, iv->default_value));
    }
    return parse_directives(p, true, &iv->directives, &iv->ndirectives);
}

/* (open InputValueDefinition+ close)? — argument definitions and input fields. */
static int parse_input_value_defs(struct parser *p, enum gql_tok open, enum gql_tok close,
                                  struct gql_input_value_def **out, size_t *n)
{
    if (!peek(p, open))
        return GQL_OK;
    TRY(advance(p));
    size_t mark = p->slen;
    int rc;
    do {
        struct gql_input_value_def iv;
        memset(&iv, 0, sizeof iv);
        TRY(parse_input_value_def(p, &iv));
        TRY(push(p, &iv, sizeof iv));
    } while ((rc = expect_optional(p, close)) == 0);
    TRY(rc);
    return pop(p, mark, sizeof **out, out, n);
}

static int parse_fields_def(struct parser *p, struct gql_definition *d)
{
    if (!peek(p, GQL_TOK_BRACE_L))
        return GQL_OK;
    TRY(advance(p));
    size_t mark = p->slen;
    int rc;
    do {
        struct gql_field_def f;
        memset(&f, 0, sizeof f);
        TRY(parse_description(p, &f.description));
        TRY(parse_name(p, &f.name, &f.loc));
        TRY(parse_input_value_defs(p, GQL_TOK_PAREN_L, GQL_TOK_PAREN_R, &f.args, &f.nargs));
        TRY(expect(p, GQL_TOK_COLON));
        TRY(parse_type_ref(p, &f.type));
        TRY(parse_directives(p, true, &f.directives, &f.ndirectives));
        TRY(push(p, &f, sizeof f));
    } while ((rc = expect_optional(p, GQL_TOK_BRACE_R)) == 0);
    TRY(rc);
    return pop(p, mark, sizeof(struct gql_field_def), &d->fields, &d->nfields);
}

/* What a directive may be defined "on". */
static bool is_directive_location(const char *name)
{
    for (size_t i = 0; i < GQL_NDIRECTIVE_LOCATIONS; i++)
        if (strcmp(name, gql_directive_location_names[i]) == 0)
            return true;
    return false;
}

/*
 * Name (delim Name)* with an optional leading delimiter, into d->names;
 * with locations, each must be a directive location (judged after the next
 * token is read, as graphql-js does).
 */
static int parse_names(struct parser *p, enum gql_tok delim, struct gql_definition *d,
                       bool locations)
{
    size_t mark = p->slen;
    TRY(expect_optional(p, delim));
    int rc;
    do {
        struct gql_name nm;
        struct gql_token t = *TOK;
        TRY(parse_name(p, &nm.name, &nm.loc));
        if (locations && !is_directive_location(nm.name))
            return token_error(p, &t, "Unexpected ", ".");
        TRY(push(p, &nm, sizeof nm));
    } while ((rc = expect_optional(p, delim)) == 1);
    TRY(rc);
    return pop(p, mark, sizeof(struct gql_name), &d->names, &d->nnames);
}

static int parse_implements(struct parser *p, struct gql_definition *d)
{
    if (!IS_KW(p, "implements"))
        return GQL_OK;
    TRY(advance(p));
    return parse_names(p, GQL_TOK_AMP, d, false);
}

static int parse_union_members(struct parser *p, struct gql_definition *d)
{
    if (!peek(p, GQL_TOK_EQUALS))
        return GQL_OK;
    TRY(advance(p));
    return parse_names(p, GQL_TOK_PIPE, d, false);
}

/* true, false, null: graphql-js also refuses them as the value of a String token here. */
static bool is_reserved_enum_name(const struct parser *p)
{
    const char *s = NULL;
    size_t n = 0;
    if (TOK->kind == GQL_TOK_NAME)
        s = TOK->start, n = TOK->len;
    else if (TOK->kind == GQL_TOK_STRING || TOK->kind == GQL_TOK_BLOCK_STRING)
        s = TOK->value, n = TOK->value_len;
    return s != NULL &&
           ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
            (n == 4 && memcmp(s, "null", 4) == 0));
}

static int parse_enum_values(struct parser *p, struct gql_definition *d)
{
    if (!peek(p, GQL_TOK_BRACE_L))
        return GQL_OK;
    TRY(advance(p));
    size_t mark = p->slen;
    int rc;
    do {
        struct gql_enum_value_def ev;
        memset(&ev, 0, sizeof ev);
        TRY(parse_description(p, &ev.description));
        if (is_reserved_enum_name(p))
            return token_error(p, TOK, "", " is reserved and cannot be used for an enum value.");
        TRY(parse_name(p, &ev.name, &ev.loc));
        TRY(parse_directives(p, true, &ev.directives, &ev.ndirectives));
        TRY(push(p, &ev, sizeof ev));
    } while ((rc = expect_optional(p, GQL_TOK_BRACE_R)) == 0);
    TRY(rc);
    return pop(p, mark, sizeof(struct gql_enum_value_def), &d->enum_values, &d->nenum_values);
}

static int parse_root_operations(struct parser *p, struct gql_definition *d)
{
    TRY(expect(p, GQL_TOK_BRACE_L));
    size_t mark = p->slen;
    int rc;
    do {
        struct gql_root_operation r;
        memset(&r, 0, sizeof r);
        TRY(parse_operation_type(p, &r.operation));
        TRY(expect(p, GQL_TOK_COLON));
        TRY(parse_name(p, &r.type_name, &r.loc));
        TRY(push(p, &r, sizeof r));
    } while ((rc = expect_optional(p, GQL_TOK_BRACE_R)) == 0);
    TRY(rc);
    return pop(p, mark, sizeof(struct gql_root_operation), &d->roots, &d->nroots);
}

/*
 * A type-system definition (description already read) or extension
 * ("extend" already read: d->extension), the keyword being the current
 * token. An extension must add something: else the next token is
 * unexpected, as graphql-js says.
 */
static int parse_type_system(struct parser *p, struct gql_definition *d)
{
    bool ext = d->extension;
    if (!ext)
        d->loc = TOK->loc;
    if (IS_KW(p, "schema")) {
        d->kind = GQL_DEF_SCHEMA;
        TRY(advance(p));
        TRY(parse_directives(p, true, &d->directives, &d->ndirectives));
        if (!ext || peek(p, GQL_TOK_BRACE_L))
            TRY(parse_root_operations(p, d));
        if (ext && d->ndirectives == 0 && d->nroots == 0)
            return unexpected(p);
        return GQL_OK;
    }
    if (IS_KW(p, "directive") && !ext) {
        d->kind = GQL_DEF_DIRECTIVE;
        TRY(advance(p));
        TRY(expect(p, GQL_TOK_AT));
        TRY(parse_name(p, &d->name, &d->name_loc));
        TRY(parse_input_value_defs(p, GQL_TOK_PAREN_L, GQL_TOK_PAREN_R, &d->input_values,
                                   &d->ninput_values));
        if (IS_KW(p, "repeatable")) {
            d->repeatable = true;
            TRY(advance(p));
        }
        TRY(expect_kw(p, "on"));
        return parse_names(p, GQL_TOK_PIPE, d, true);
    }
    bool more;
    if (IS_KW(p, "scalar")) {
        d->kind = GQL_DEF_SCALAR;
        TRY(advance(p));
        TRY(parse_name(p, &d->name, &d->name_loc));
        TRY(parse_directives(p, true, &d->directives, &d->ndirectives));
        more = d->ndirectives > 0;
    } else if (IS_KW(p, "type") || IS_KW(p, "interface")) {
        d->kind = IS_KW(p, "type") ? GQL_DEF_OBJECT : GQL_DEF_INTERFACE;
        TRY(advance(p));
        TRY(parse_name(p, &d->name, &d->name_loc));
        TRY(parse_implements(p, d));
        TRY(parse_directives(p, true, &d->directives, &d->ndirectives));
        TRY(parse_fields_def(p, d));
        more = d->nnames > 0 || d->ndirectives > 0 || d->nfields > 0;
    } else if (IS_KW(p, "union")) {
        d->kind = GQL_DEF_UNION;
        TRY(advance(p));
        TRY(parse_name(p, &d->name, &d->name_loc));
        TRY(parse_directives(p, true, &d->directives, &d->ndirectives));
        TRY(parse_union_members(p, d));
        more = d->ndirectives > 0 || d->nnames > 0;
    } else if (IS_KW(p, "enum")) {
        d->kind = GQL_DEF_ENUM;
        TRY(advance(p));
        TRY(parse_name(p, &d->name, &d->name_loc));
        TRY(parse_directives(p, true, &d->directives, &d->ndirectives));
        TRY(parse_enum_values(p, d));
        more = d->ndirectives > 0 || d->nenum_values > 0;
    } else if (IS_KW(p, "input")) {
        d->kind = GQL_DEF_INPUT_OBJECT;
        TRY(advance(p));
        TRY(parse_name(p, &d->name, &d->name_loc));
        TRY(parse_directives(p, true, &d->directives, &d->ndirectives));
        TRY(parse_input_value_defs(p, GQL_TOK_BRACE_L, GQL_TOK_BRACE_R, &d->input_values,
                                   &d->ninput_values));
        more = d->ndirectives > 0 || d->ninput_values > 0;
    } else {
        return unexpected(p);
    }
    if (ext && !more)
        return unexpected(p);
    return GQL_OK;
}

static bool is_type_system_kw(const struct parser *p)
{
    return IS_KW(p, "schema") || IS_KW(p, "scalar") || IS_KW(p, "type") || IS_KW(p, "interface") ||
           IS_KW(p, "union") || IS_KW(p, "enum") || IS_KW(p, "input") || IS_KW(p, "directive");
}

static int parse_definition(struct parser *p, struct gql_definition *d)
{
    if (peek(p, GQL_TOK_BRACE_L))
        return parse_operation(p, d);
    const char *desc_at = NULL;
    if (peek(p, GQL_TOK_STRING) || peek(p, GQL_TOK_BLOCK_STRING)) {
        desc_at = TOK->start;
        d->description_loc = TOK->loc;
        TRY(parse_description(p, &d->description));
    }
    if (desc_at != NULL && peek(p, GQL_TOK_BRACE_L))
        return gql_lexer_error(
            &p->lx, GQL_ESYNTAX, desc_at,
            "Unexpected description, descriptions are not supported on shorthand queries.");
    if (peek(p, GQL_TOK_NAME)) {
        if (is_type_system_kw(p))
            return parse_type_system(p, d);
        if (IS_KW(p, "fragment"))
            return parse_fragment(p, d);
        if (IS_KW(p, "query") || IS_KW(p, "mutation") || IS_KW(p, "subscription"))
            return parse_operation(p, d);
        if (desc_at != NULL)
            return gql_lexer_error(
                &p->lx, GQL_ESYNTAX, desc_at,
                "Unexpected description, only GraphQL definitions support descriptions.");
        if (IS_KW(p, "extend")) {
            d->loc = TOK->loc;
            d->extension = true;
            TRY(advance(p));
            if (IS_KW(p, "directive") || !peek(p, GQL_TOK_NAME))
                return unexpected(p);
            return parse_type_system(p, d);
        }
    }
    return unexpected(p);
}

static int parse_document(struct parser *p, struct gql_document *doc)
{
    TRY(advance(p));
    size_t mark = p->slen;
    do {
        struct gql_definition d;
        memset(&d, 0, sizeof d);
        TRY(parse_definition(p, &d));
        TRY(push(p, &d, sizeof d));
    } while (!peek(p, GQL_TOK_EOF));
    return pop(p, mark, sizeof(struct gql_definition), &doc->definitions, &doc->n);
}

int gql_parse(const char *source, size_t len, const struct gql_limits *limits,
              struct gql_document **out, struct gql_errors *errs)
{
    *out = NULL;
    if (source == NULL && len > 0)
        return GQL_EARG;
    if (errs == NULL) { /* the caller wants the code only */
        struct gql_errors none = GQL_ERRORS_INIT;
        int rc = gql_parse(source, len, limits, out, &none);
        gql_errors_release(&none);
        return rc;
    }
    if (limits != NULL && limits->max_document_bytes != 0 && len > limits->max_document_bytes) {
        gql_errors_add(errs, NULL, NULL, 0,
                       "The document is %zu bytes, over the limit of %zu bytes.", len,
                       limits->max_document_bytes);
        return GQL_ELIMIT;
    }
    struct gql_arena *arena = gql_arena_new();
    struct gql_document *doc = arena ? gql_arena_alloc(arena, sizeof *doc) : NULL;
    if (doc == NULL) {
        gql_arena_free(arena);
        gql_errors_add(errs, NULL, NULL, 0, "Out of memory while parsing the document.");
        return GQL_ENOMEM;
    }
    doc->arena = arena;
    struct parser p; /* not zeroed whole: first[] is scratch */
    p.slen = 0;
    p.depth = 0;
    p.arena = arena;
    p.errs = errs;
    p.stack = p.first;
    p.scap = sizeof p.first;
    gql_lexer_init(&p.lx, source ? source : "", len, arena, errs,
                   limits != NULL ? limits->max_tokens : 0);
    int rc = parse_document(&p, doc);
    if (p.stack != p.first)
        free(p.stack);
    if (rc < 0) {
        gql_arena_free(arena);
        return rc;
    }
    doc->tokens = p.lx.ntokens;
    *out = doc;
    return GQL_OK;
}

void gql_document_free(struct gql_document *doc)
{
    if (doc != NULL)
        gql_arena_free(doc->arena); /* the document itself lives in its arena */
}
