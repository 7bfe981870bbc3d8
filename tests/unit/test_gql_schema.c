/*
 * graphql/schema.c, schema_validate.c, types.c: a schema with every kind of
 * type builds with the right structure, each invalid SDL is refused with
 * graphql-js's message, the type predicates answer as the spec says, and
 * wrapper types are unique (also when made from several threads at once).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql.h"

static const char full_sdl[] =
    "\"The root\"\n"
    "schema { query: Root mutation: Mut }\n"
    "\"\"\"A thing with an id\"\"\"\n"
    "interface Node { id: ID! }\n"
    "interface Named implements Node { id: ID! name(upper: Boolean = false): String }\n"
    "type Dog implements Named & Node {\n"
    "  \"the id\" id: ID!\n"
    "  name(upper: Boolean = false, \"a BCP 47 tag\" lang: String): String\n"
    "  bark: Int @deprecated\n"
    "  volume: Int @deprecated(reason: \"too loud\")\n"
    "  friends: [Dog!]!\n"
    "}\n"
    "type Cat implements Node & Named { id: ID! name(upper: Boolean = false): String }\n"
    "union Pet = Dog | Cat\n"
    "enum Color { \"red!\" RED GREEN @deprecated BLUE @deprecated(reason: \"use RED\") }\n"
    "input Filter {\n"
    "  \"\"\"\n  Which color\n  \"\"\"\n  color: Color = RED\n"
    "  limit: Int! = 10\n"
    "  old: String @deprecated(reason: \"gone\")\n"
    "  nested: [Filter!]\n"
    "}\n"
    "scalar Date @specifiedBy(url: \"https://tools.ietf.org/html/rfc3339\")\n"
    "type Root {\n"
    "  pets(filter: Filter, old: Int @deprecated): [Pet]\n"
    "  node(id: ID!): Node\n"
    "  today: Date\n"
    "}\n"
    "type Mut { adopt(id: ID!): Pet }\n"
    "extend type Root { color: Color }\n"
    "extend enum Color { BLACK }\n"
    "extend input Filter { after: Date }\n"
    "extend union Pet = Bird\n"
    "type Bird implements Node { id: ID! wings: Int }\n"
    "extend interface Named @onIface\n"
    "directive @onIface(n: Int = 1) repeatable on INTERFACE | OBJECT | SCALAR\n"
    "extend scalar Date @onIface\n"
    "extend schema { subscription: Sub }\n"
    "type Sub { ticks: Int }\n";

static struct gql_schema *build(const char *sdl)
{
    struct gql_schema *s = NULL;
    struct gql_errors errs = GQL_ERRORS_INIT;
    int rc = gql_schema_new(sdl, strlen(sdl), &s, &errs);
    if (rc != GQL_OK)
        fprintf(stderr, "unexpected: %s\n", errs.n ? errs.items[0].message : "?");
    ck_assert_int_eq(rc, GQL_OK);
    ck_assert_uint_eq(errs.n, 0);
    gql_errors_release(&errs);
    ck_assert_ptr_nonnull(s);
    return s;
}

static const struct gql_type *type_of(const struct gql_schema *s, const char *name)
{
    const struct gql_type *t = gql_schema_type(s, name);
    ck_assert_msg(t != NULL, "no type %s", name);
    return t;
}

static const struct gql_field *field_of(const struct gql_schema *s, const char *type,
                                        const char *field)
{
    const struct gql_field *f = gql_type_field(s, type_of(s, type), field);
    ck_assert_msg(f != NULL, "no field %s.%s", type, field);
    return f;
}

static const char *printed(const struct gql_type *t)
{
    static char buf[128];
    return gql_type_print(t, buf, sizeof buf);
}

START_TEST(full_schema_structure)
{
    struct gql_schema *s = build(full_sdl);
    ck_assert_str_eq(s->description, "The root");
    ck_assert_ptr_eq(s->query, type_of(s, "Root"));
    ck_assert_ptr_eq(s->mutation, type_of(s, "Mut"));
    ck_assert_ptr_eq(s->subscription, type_of(s, "Sub"));

    /* types in definition order, the built-ins after the user's */
    ck_assert_str_eq(s->types[0]->name, "Node");
    ck_assert_str_eq(s->types[1]->name, "Named");
    ck_assert_str_eq(s->types[2]->name, "Dog");
    size_t i_sub = 0, i_string = 0, i_schema = 0;
    for (size_t i = 0; i < s->ntypes; i++) {
        if (strcmp(s->types[i]->name, "Sub") == 0)
            i_sub = i;
        if (strcmp(s->types[i]->name, "String") == 0)
            i_string = i;
        if (strcmp(s->types[i]->name, "__Schema") == 0)
            i_schema = i;
        ck_assert_ptr_eq(gql_schema_type(s, s->types[i]->name), s->types[i]);
    }
    ck_assert_uint_eq(s->ntypes, 12 + 5 + 8);
    ck_assert_uint_lt(i_sub, i_string);
    ck_assert_uint_lt(i_string, i_schema);

    /* interfaces implementing interfaces */
    const struct gql_type *node = type_of(s, "Node"), *named = type_of(s, "Named");
    const struct gql_type *dog = type_of(s, "Dog"), *cat = type_of(s, "Cat");
    const struct gql_type *bird = type_of(s, "Bird");
    ck_assert_int_eq(named->kind, GQL_KIND_INTERFACE);
    ck_assert_uint_eq(named->ninterfaces, 1);
    ck_assert_ptr_eq(named->interfaces[0], node);
    ck_assert_str_eq(node->description, "A thing with an id");
    /* possible types: implementing objects in definition order, not interfaces */
    ck_assert_uint_eq(node->npossible_types, 3);
    ck_assert_ptr_eq(node->possible_types[0], dog);
    ck_assert_ptr_eq(node->possible_types[1], cat);
    ck_assert_ptr_eq(node->possible_types[2], bird);
    ck_assert_uint_eq(named->npossible_types, 2);

    /* fields, args, defaults, deprecation */
    ck_assert_uint_eq(dog->nfields, 5);
    ck_assert_str_eq(dog->fields[4].name, "friends");
    ck_assert_str_eq(printed(dog->fields[4].type), "[Dog!]!");
    const struct gql_field *name = field_of(s, "Dog", "name");
    ck_assert_uint_eq(name->nargs, 2);
    ck_assert_str_eq(name->args[0].name, "upper");
    ck_assert_ptr_nonnull(name->args[0].default_value);
    ck_assert_int_eq(name->args[0].default_value->kind, GQL_VALUE_BOOLEAN);
    ck_assert_ptr_null(name->args[1].default_value);
    ck_assert_ptr_null(name->args[0].description);
    ck_assert_str_eq(name->args[1].description, "a BCP 47 tag");
    ck_assert_str_eq(field_of(s, "Dog", "id")->description, "the id");
    ck_assert_ptr_null(name->description);
    const struct gql_field *bark = field_of(s, "Dog", "bark");
    ck_assert(bark->deprecated);
    ck_assert_str_eq(bark->deprecation_reason, "No longer supported");
    const struct gql_field *volume = field_of(s, "Dog", "volume");
    ck_assert(volume->deprecated);
    ck_assert_str_eq(volume->deprecation_reason, "too loud");
    ck_assert(!field_of(s, "Dog", "id")->deprecated);
    ck_assert_ptr_null(field_of(s, "Dog", "id")->deprecation_reason);
    const struct gql_field *pets = field_of(s, "Root", "pets");
    ck_assert(pets->args[1].deprecated);
    ck_assert_str_eq(pets->args[1].deprecation_reason, "No longer supported");
    ck_assert(!pets->args[0].deprecated);

    /* union members in order, extension last */
    const struct gql_type *pet = type_of(s, "Pet");
    ck_assert_uint_eq(pet->npossible_types, 3);
    ck_assert_ptr_eq(pet->possible_types[0], dog);
    ck_assert_ptr_eq(pet->possible_types[1], cat);
    ck_assert_ptr_eq(pet->possible_types[2], bird);

    /* enum with deprecated values and an extension */
    const struct gql_type *color = type_of(s, "Color");
    ck_assert_uint_eq(color->nenum_values, 4);
    ck_assert_str_eq(color->enum_values[0].name, "RED");
    ck_assert(!color->enum_values[0].deprecated);
    ck_assert_str_eq(color->enum_values[0].description, "red!");
    ck_assert_ptr_null(color->enum_values[1].description);
    ck_assert(color->enum_values[1].deprecated);
    ck_assert_str_eq(color->enum_values[1].deprecation_reason, "No longer supported");
    ck_assert_str_eq(color->enum_values[2].deprecation_reason, "use RED");
    ck_assert_str_eq(color->enum_values[3].name, "BLACK");

    /* input object with defaults and an extension */
    const struct gql_type *filter = type_of(s, "Filter");
    ck_assert_int_eq(filter->kind, GQL_KIND_INPUT_OBJECT);
    ck_assert_uint_eq(filter->ninput_fields, 5);
    ck_assert_str_eq(filter->input_fields[0].default_value->text, "RED");
    ck_assert_str_eq(filter->input_fields[0].description, "Which color");
    ck_assert_int_eq(filter->input_fields[0].default_value->kind, GQL_VALUE_ENUM);
    ck_assert_str_eq(filter->input_fields[1].default_value->text, "10");
    ck_assert_str_eq(printed(filter->input_fields[1].type), "Int!");
    ck_assert(filter->input_fields[2].deprecated);
    ck_assert_str_eq(filter->input_fields[2].deprecation_reason, "gone");
    ck_assert_str_eq(printed(filter->input_fields[3].type), "[Filter!]");
    ck_assert_str_eq(filter->input_fields[4].name, "after");
    ck_assert_ptr_eq(filter->input_fields[4].type, type_of(s, "Date"));

    /* custom scalar, root extension */
    ck_assert_str_eq(type_of(s, "Date")->specified_by_url, "https://tools.ietf.org/html/rfc3339");
    ck_assert_ptr_null(type_of(s, "Int")->specified_by_url);
    ck_assert_ptr_eq(field_of(s, "Root", "color")->type, color);

    /* directives: the built-ins first */
    ck_assert_uint_eq(s->ndirectives, 5);
    ck_assert_str_eq(s->directives[0].name, "include");
    ck_assert_str_eq(s->directives[1].name, "skip");
    ck_assert_str_eq(s->directives[2].name, "deprecated");
    ck_assert_str_eq(s->directives[3].name, "specifiedBy");
    const struct gql_directive_def *on = gql_schema_directive(s, "onIface");
    ck_assert_ptr_eq(on, &s->directives[4]);
    ck_assert(on->repeatable);
    ck_assert_uint_eq(on->locations, GQL_DL_INTERFACE | GQL_DL_OBJECT | GQL_DL_SCALAR);
    ck_assert_uint_eq(on->nargs, 1);
    const struct gql_directive_def *skip = gql_schema_directive(s, "skip");
    ck_assert(!skip->repeatable);
    ck_assert_uint_eq(skip->locations,
                      GQL_DL_FIELD | GQL_DL_FRAGMENT_SPREAD | GQL_DL_INLINE_FRAGMENT);
    ck_assert_str_eq(printed(skip->args[0].type), "Boolean!");
    ck_assert_ptr_null(gql_schema_directive(s, "nope"));
    const struct gql_directive_def *dep = gql_schema_directive(s, "deprecated");
    ck_assert_str_eq(dep->args[0].default_value->text, "No longer supported");

    /* introspection types are there and described */
    const struct gql_type *type_t = type_of(s, "__Type");
    ck_assert_ptr_nonnull(type_t->description);
    ck_assert_str_eq(printed(field_of(s, "__Type", "fields")->type), "[__Field!]");
    ck_assert_uint_eq(type_of(s, "__TypeKind")->nenum_values, 8);
    gql_schema_free(s);
}
END_TEST

START_TEST(meta_fields)
{
    struct gql_schema *s = build(full_sdl);
    const struct gql_type *root = s->query;
    const struct gql_field *tn = gql_type_field(s, type_of(s, "Pet"), "__typename");
    ck_assert_ptr_nonnull(tn);
    ck_assert_str_eq(printed(tn->type), "String!");
    ck_assert_ptr_eq(gql_type_field(s, type_of(s, "Node"), "__typename"), tn);
    ck_assert_ptr_eq(gql_type_field(s, root, "__typename"), tn);
    ck_assert_ptr_null(gql_type_field(s, type_of(s, "Color"), "__typename"));
    ck_assert_ptr_null(gql_type_field(s, type_of(s, "Filter"), "__typename"));
    const struct gql_field *sf = gql_type_field(s, root, "__schema");
    ck_assert_ptr_nonnull(sf);
    ck_assert_str_eq(printed(sf->type), "__Schema!");
    const struct gql_field *tf = gql_type_field(s, root, "__type");
    ck_assert_ptr_nonnull(tf);
    ck_assert_str_eq(printed(tf->type), "__Type");
    ck_assert_uint_eq(tf->nargs, 1);
    ck_assert_str_eq(tf->args[0].name, "name");
    ck_assert_str_eq(printed(tf->args[0].type), "String!");
    /* only on the query root */
    ck_assert_ptr_null(gql_type_field(s, s->mutation, "__schema"));
    ck_assert_ptr_null(gql_type_field(s, type_of(s, "Dog"), "__type"));
    /* not in the declared fields (introspection lists those) */
    for (size_t i = 0; i < root->nfields; i++)
        ck_assert(root->fields[i].name[0] != '_');
    /* ordinary lookups, misses, wrong kinds */
    ck_assert_ptr_null(gql_type_field(s, root, "nope"));
    ck_assert_ptr_null(gql_type_field(s, type_of(s, "Pet"), "id"));
    ck_assert_ptr_null(gql_type_field(s, type_of(s, "Filter"), "color"));
    ck_assert_ptr_null(gql_type_field(s, NULL, "id"));
    ck_assert_ptr_null(gql_schema_type(s, "Nope"));
    gql_schema_free(s);
}
END_TEST

START_TEST(many_fields_hash)
{
    /* a type with 300 fields: every one found by its name, none by another */
    size_t cap = 300 * 32 + 64;
    char *sdl = malloc(cap);
    size_t pos = (size_t)snprintf(sdl, cap, "type Query {");
    for (int i = 0; i < 300; i++)
        pos += (size_t)snprintf(sdl + pos, cap - pos, " f%d: Int", i);
    snprintf(sdl + pos, cap - pos, " constructor: String }");
    struct gql_schema *s = build(sdl);
    free(sdl);
    ck_assert_uint_eq(s->query->nfields, 301);
    char name[16];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "f%d", i);
        const struct gql_field *f = gql_type_field(s, s->query, name);
        ck_assert_ptr_nonnull(f);
        ck_assert_str_eq(f->name, name);
        ck_assert_ptr_eq(f, &s->query->fields[i]);
    }
    ck_assert_ptr_nonnull(gql_type_field(s, s->query, "constructor"));
    ck_assert_ptr_null(gql_type_field(s, s->query, "f300"));
    ck_assert_ptr_null(gql_type_field(s, s->query, "f"));
    gql_schema_free(s);
}
END_TEST

START_TEST(default_roots)
{
    struct gql_schema *s = build("type Query { a: Int } type Mutation { b: Int }\n"
                                 "type Subscription { c: Int }");
    ck_assert_str_eq(s->query->name, "Query");
    ck_assert_str_eq(s->mutation->name, "Mutation");
    ck_assert_str_eq(s->subscription->name, "Subscription");
    ck_assert_ptr_null(s->description);
    gql_schema_free(s);

    /* with a schema definition the default names mean nothing */
    s = build("schema { query: Q } type Q { a: Int } type Mutation { b: Int }");
    ck_assert_str_eq(s->query->name, "Q");
    ck_assert_ptr_null(s->mutation);
    gql_schema_free(s);

    /* "extend schema" without a definition: the default names still count */
    s = build("type Query { a: Int } type Sub { c: Int } extend schema { subscription: Sub }");
    ck_assert_str_eq(s->query->name, "Query");
    ck_assert_str_eq(s->subscription->name, "Sub");
    gql_schema_free(s);

    /* a user's "scalar String" is the standard one */
    s = build("scalar String type Query { a: String }");
    ck_assert_ptr_eq(field_of(s, "Query", "a")->type, type_of(s, "String"));
    ck_assert_ptr_nonnull(type_of(s, "String")->description);
    gql_schema_free(s);
}
END_TEST

START_TEST(type_refs_are_unique)
{
    struct gql_schema *s = build(full_sdl);
    const struct gql_type *dog = type_of(s, "Dog");
    const struct gql_field *friends = field_of(s, "Dog", "friends");
    struct gql_type_ref named = {.kind = GQL_TYPE_NAMED, .name = "Dog"};
    struct gql_type_ref nn = {.kind = GQL_TYPE_NON_NULL, .of = &named};
    struct gql_type_ref list = {.kind = GQL_TYPE_LIST, .of = &nn};
    struct gql_type_ref list_nn = {.kind = GQL_TYPE_NON_NULL, .of = &list};
    ck_assert_ptr_eq(gql_schema_type_ref(s, &named), dog);
    const struct gql_type *t1 = gql_schema_type_ref(s, &list_nn);
    ck_assert_ptr_eq(t1, friends->type); /* the same object as the SDL's [Dog!]! */
    ck_assert_ptr_eq(gql_schema_type_ref(s, &list_nn), t1);
    ck_assert_int_eq(t1->kind, GQL_KIND_NON_NULL);
    ck_assert_int_eq(t1->of_type->kind, GQL_KIND_LIST);
    ck_assert_ptr_eq(t1->of_type->of_type->of_type, dog);
    ck_assert_ptr_null(t1->name);
    /* a combination no SDL spelled: [[Color]!] */
    struct gql_type_ref c = {.kind = GQL_TYPE_NAMED, .name = "Color"};
    struct gql_type_ref cl = {.kind = GQL_TYPE_LIST, .of = &c};
    struct gql_type_ref cln = {.kind = GQL_TYPE_NON_NULL, .of = &cl};
    struct gql_type_ref clnl = {.kind = GQL_TYPE_LIST, .of = &cln};
    const struct gql_type *t2 = gql_schema_type_ref(s, &clnl);
    ck_assert_ptr_nonnull(t2);
    ck_assert_ptr_eq(gql_schema_type_ref(s, &clnl), t2);
    ck_assert_str_eq(printed(t2), "[[Color]!]");
    /* unknown names */
    struct gql_type_ref bad = {.kind = GQL_TYPE_NAMED, .name = "Nope"};
    struct gql_type_ref badl = {.kind = GQL_TYPE_LIST, .of = &bad};
    ck_assert_ptr_null(gql_schema_type_ref(s, &bad));
    ck_assert_ptr_null(gql_schema_type_ref(s, &badl));
    gql_schema_free(s);
}
END_TEST

struct race {
    struct gql_schema *s;
    const struct gql_type *got[64];
};

static void *race_run(void *arg)
{
    struct race *r = arg;
    static const char *const names[] = {"Int",    "String", "Dog", "Color",
                                        "Filter", "Date",   "Pet", "Node"};
    for (int i = 0; i < 64; i++) {
        struct gql_type_ref n = {.kind = GQL_TYPE_NAMED, .name = names[i % 8]};
        struct gql_type_ref l1 = {.kind = GQL_TYPE_LIST, .of = &n};
        struct gql_type_ref l2 = {.kind = GQL_TYPE_LIST, .of = &l1};
        struct gql_type_ref l3 = {.kind = GQL_TYPE_NON_NULL, .of = &l2};
        struct gql_type_ref l4 = {.kind = GQL_TYPE_LIST, .of = &l3};
        r->got[i] = gql_schema_type_ref(r->s, i < 32 ? &l4 : &l3);
    }
    return NULL;
}

START_TEST(type_refs_from_threads)
{
    struct gql_schema *s = build(full_sdl);
    struct race races[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        races[i].s = s;
        ck_assert_int_eq(pthread_create(&th[i], NULL, race_run, &races[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int j = 0; j < 64; j++) {
        ck_assert_ptr_nonnull(races[0].got[j]);
        for (int i = 1; i < 4; i++)
            ck_assert_ptr_eq(races[i].got[j], races[0].got[j]);
    }
    ck_assert_str_eq(printed(races[0].got[0]), "[[[Int]]!]");
    ck_assert_ptr_eq(races[0].got[40]->of_type->of_type->of_type, gql_schema_type(s, "Int"));
    gql_schema_free(s);
}
END_TEST

static const struct gql_type *ref(const struct gql_schema *s, const char *spelled)
{
    /* "[Int!]!" and the like, parsed by hand */
    struct gql_type_ref refs[8];
    size_t n = 0, open = 0;
    while (spelled[open] == '[')
        open++;
    size_t len = strcspn(spelled + open, "!]");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)len, spelled + open);
    refs[n++] = (struct gql_type_ref){.kind = GQL_TYPE_NAMED, .name = name};
    for (const char *p = spelled + open + len; *p != '\0'; p++) {
        refs[n] = (struct gql_type_ref){.kind = *p == '!' ? GQL_TYPE_NON_NULL : GQL_TYPE_LIST,
                                        .of = &refs[n - 1]};
        n++;
    }
    const struct gql_type *t = gql_schema_type_ref(s, &refs[n - 1]);
    ck_assert_msg(t != NULL, "no type %s", spelled);
    ck_assert_str_eq(printed(t), spelled);
    return t;
}

START_TEST(predicates)
{
    struct gql_schema *s = build(full_sdl);
    struct {
        const char *type;
        bool input, output, leaf, abstract;
    } rows[] = {
        {"Int", true, true, true, false},        {"Color", true, true, true, false},
        {"Date", true, true, true, false},       {"Filter", true, false, false, false},
        {"Dog", false, true, false, false},      {"Node", false, true, false, true},
        {"Pet", false, true, false, true},       {"[Int!]!", true, true, true, false},
        {"[Filter]", true, false, false, false}, {"[Pet!]", false, true, false, true},
        {"Dog!", false, true, false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct gql_type *t = ref(s, rows[i].type);
        ck_assert_msg(gql_type_is_input(t) == rows[i].input, "input %s", rows[i].type);
        ck_assert_msg(gql_type_is_output(t) == rows[i].output, "output %s", rows[i].type);
        ck_assert_msg(gql_type_is_leaf(t) == rows[i].leaf, "leaf %s", rows[i].type);
        ck_assert_msg(gql_type_is_abstract(t) == rows[i].abstract, "abstract %s", rows[i].type);
    }
    ck_assert_ptr_eq(gql_type_named(ref(s, "[[Dog!]]!")), type_of(s, "Dog"));
    ck_assert(!gql_type_is_input(NULL));

    struct {
        const char *sub, *super;
        bool yes;
    } subs[] = {
        {"Int", "Int", true},       {"Int!", "Int", true},      {"Int", "Int!", false},
        {"[Int!]!", "[Int]", true}, {"[Int]", "[Int!]", false}, {"[Int]", "Int", false},
        {"Int", "[Int]", false},    {"Dog", "Node", true},      {"Dog", "Named", true},
        {"Named", "Node", true}, /* an interface implementing one */
        {"Node", "Named", false},   {"Dog", "Pet", true},       {"Bird", "Named", false},
        {"[Dog!]", "[Pet]", true},  {"Dog!", "Pet!", true},     {"Pet", "Dog", false},
        {"Dog", "Cat", false},      {"Int", "Float", false},    {"[[Cat]!]!", "[[Node]]", true},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        ck_assert_msg(gql_type_is_subtype(s, ref(s, subs[i].sub), ref(s, subs[i].super)) ==
                          subs[i].yes,
                      "%s <: %s", subs[i].sub, subs[i].super);

    struct {
        const char *a, *b;
        bool yes;
    } overlaps[] = {
        {"Dog", "Dog", true},     {"Dog", "Cat", false},    {"Dog", "Pet", true},
        {"Pet", "Dog", true},     {"Node", "Pet", true},    {"Named", "Pet", true},
        {"Bird", "Named", false}, {"Named", "Bird", false}, {"Root", "Node", false},
        {"Node", "Named", true},
    };
    for (size_t i = 0; i < sizeof overlaps / sizeof overlaps[0]; i++)
        ck_assert_msg(gql_types_overlap(s, type_of(s, overlaps[i].a), type_of(s, overlaps[i].b)) ==
                          overlaps[i].yes,
                      "overlap %s %s", overlaps[i].a, overlaps[i].b);
    gql_schema_free(s);
}
END_TEST

START_TEST(print_truncates)
{
    struct gql_schema *s = build(full_sdl);
    const struct gql_type *t = ref(s, "[[Filter!]]!");
    char buf[8];
    ck_assert_str_eq(gql_type_print(t, buf, sizeof buf), "[[Filte");
    ck_assert_str_eq(gql_type_print(t, buf, 1), "");
    ck_assert_str_eq(gql_type_print(ref(s, "Int!"), buf, sizeof buf), "Int!");
    gql_schema_free(s);
}
END_TEST

static cJSON *resolve_x(const struct gql_resolve_info *info, char **error)
{
    return cJSON_CreateNull();
}

static const struct gql_type *pick(const struct gql_type *abstract, const cJSON *value,
                                   void *context, void *data)
{
    return NULL;
}

START_TEST(resolvers)
{
    struct gql_schema *s = build(full_sdl);
    int tag;
    ck_assert_int_eq(gql_schema_set_resolver(s, "Root", "pets", resolve_x, &tag), GQL_OK);
    const struct gql_field *f = field_of(s, "Root", "pets");
    ck_assert_ptr_eq(f->resolve, resolve_x);
    ck_assert_ptr_eq(f->resolve_data, &tag);
    ck_assert_ptr_null(field_of(s, "Root", "node")->resolve);
    ck_assert_int_eq(gql_schema_set_resolver(s, "Root", "nope", resolve_x, NULL), GQL_EARG);
    ck_assert_int_eq(gql_schema_set_resolver(s, "Nope", "pets", resolve_x, NULL), GQL_EARG);
    ck_assert_int_eq(gql_schema_set_resolver(s, "Color", "RED", resolve_x, NULL), GQL_EARG);
    ck_assert_int_eq(gql_schema_set_type_resolver(s, "Pet", pick, &tag), GQL_OK);
    ck_assert_ptr_eq(type_of(s, "Pet")->resolve_type, pick);
    ck_assert_ptr_eq(type_of(s, "Pet")->resolve_type_data, &tag);
    ck_assert_int_eq(gql_schema_set_type_resolver(s, "Node", pick, NULL), GQL_OK);
    ck_assert_int_eq(gql_schema_set_type_resolver(s, "Dog", pick, NULL), GQL_EARG);
    gql_schema_free(s);
}
END_TEST

/* ---- invalid SDL: the code and graphql-js's first message ---- */

static const struct {
    const char *sdl;
    const char *message;
} invalid[] = {
    {"type Query { a: Foo }", "Unknown type \"Foo\"."},
    {"type Query { a(x: [Foo!]): Int }", "Unknown type \"Foo\"."},
    {"type Query { a: Int } type Query { b: Int }", "There can be only one type named \"Query\"."},
    {"type Query { a: Int } enum Int { A }", "There can be only one type named \"Int\"."},
    {"type Query { a: Int a: String }", "Field \"Query.a\" can only be defined once."},
    {"type Query { a: Int } extend type Query { a: Int }",
     "Field \"Query.a\" can only be defined once."},
    {"type Query { a(x: Int, x: Int): Int }", "Argument \"Query.a(x:)\" can only be defined once."},
    {"directive @d(x: Int, x: Int) on FIELD type Query { a: Int }",
     "Argument \"@d(x:)\" can only be defined once."},
    {"type Query { a: Int } enum E { A B A }", "Enum value \"E.A\" can only be defined once."},
    {"type Query { a: Int } input I { a: Int a: Int }", "Field \"I.a\" can only be defined once."},
    {"type Query", "Type Query must define one or more fields."},
    {"type Query { a: Int } interface I", "Type I must define one or more fields."},
    {"type Query { a: Int } enum E", "Enum type E must define one or more values."},
    {"type Query { a: Int } input I", "Input Object type I must define one or more fields."},
    {"type Query { a: Int } union U", "Union type U must define one or more member types."},
    {"interface I { a: Int b(x: Int): String } type Query implements I { a: Int }",
     "Interface field I.b expected but Query does not provide it."},
    {"interface I { a: Int } type Query implements I { a: String }",
     "Interface field I.a expects type Int but Query.a is type String."},
    {"interface I { a: Int! } type Query implements I { a: Int }",
     "Interface field I.a expects type Int! but Query.a is type Int."},
    {"interface I { a(x: Int): Int } type Query implements I { a: Int }",
     "Interface field argument I.a(x:) expected but Query.a does not provide it."},
    {"interface I { a(x: Int): Int } type Query implements I { a(x: Int!): Int }",
     "Interface field argument I.a(x:) expects type Int but Query.a(x:) is type Int!."},
    {"interface I { a: Int } type Query implements I { a(y: Int!): Int }",
     "Object field Query.a includes required argument y that is missing from the Interface "
     "field I.a."},
    {"interface I { a: Int } interface J implements I { a: Int } "
     "type Query implements J { a: Int }",
     "Type Query must implement I because it is implemented by J."},
    {"type Query implements Query { a: Int }",
     "Type Query must only implement Interface types, it cannot implement Query."},
    {"interface I implements I { a: Int } type Query { a: I }",
     "Type I cannot implement itself because it would create a circular reference."},
    {"interface I { a: Int } type Query implements I & I { a: Int }",
     "Type Query can only implement I once."},
    {"type Query { a: In } input In { x: Int }",
     "The type of Query.a must be Output Type but got: In."},
    {"type Query { a(x: Query): Int }",
     "The type of Query.a(x:) must be Input Type but got: Query."},
    {"type Query { a: Int } type O { b: Int } input In { o: [O] }",
     "The type of In.o must be Input Type but got: [O]."},
    {"type Query { a: Int } interface I { a: Int } union U = Query | I",
     "Union type U can only include Object types, it cannot include I."},
    {"type Query { a: Int } union U = Query | Query",
     "Union type U can only include type Query once."},
    {"type Query { a: Int } type __Foo { a: Int }",
     "Name \"__Foo\" must not begin with \"__\", which is reserved by GraphQL introspection."},
    {"type Query { __a: Int }",
     "Name \"__a\" must not begin with \"__\", which is reserved by GraphQL introspection."},
    {"type Query { a(__x: Int): Int }",
     "Name \"__x\" must not begin with \"__\", which is reserved by GraphQL introspection."},
    {"type Query { a: Int } enum E { __A }",
     "Name \"__A\" must not begin with \"__\", which is reserved by GraphQL introspection."},
    {"directive @__d on FIELD type Query { a: Int }",
     "Name \"__d\" must not begin with \"__\", which is reserved by GraphQL introspection."},
    {"schema { query: Q } enum Q { A }", "Query root type must be Object type, it cannot be Q."},
    {"schema { query: Q mutation: In } type Q { a: Int } input In { a: Int }",
     "Mutation root type must be Object type if provided, it cannot be In."},
    {"schema { query: Q } type Q { a: Int } schema { query: Q }",
     "Must provide only one schema definition."},
    {"schema { query: Q query: Q } type Q { a: Int }",
     "There can be only one query type in schema."},
    {"schema { query: Nope } type Q { a: Int }", "Unknown type \"Nope\"."},
    {"type Foo { a: Int }", "Query root type must be provided."},
    {"type Query { a: Int } extend type Foo { b: Int }",
     "Cannot extend type \"Foo\" because it is not defined."},
    {"type Query { a: Int } extend type __Type { x: Int }",
     "Name \"__Type\" must not begin with \"__\", which is reserved by GraphQL introspection."},
    {"type Query { a: Int } extend union Query = Query", "Cannot extend non-union type \"Query\"."},
    {"type Query { a: Int @nope }", "Unknown directive \"@nope\"."},
    {"type Query { a: Int @skip(if: true) }",
     "Directive \"@skip\" may not be used on FIELD_DEFINITION."},
    {"type Query { a: Int @deprecated @deprecated }",
     "The directive \"@deprecated\" can only be used once at this location."},
    {"type Query { a: Int @deprecated(why: \"x\") }",
     "Unknown argument \"why\" on directive \"@deprecated\"."},
    {"type Query { a: Int } scalar D @specifiedBy",
     "Directive \"@specifiedBy\" argument \"url\" of type \"String!\" is required, but it was not "
     "provided."},
    {"type Query { a(x: Int! @deprecated): Int }",
     "Required argument Query.a(x:) cannot be deprecated."},
    {"type Query { a: Int } input I { x: Int! @deprecated }",
     "Required input field I.x cannot be deprecated."},
    {"type Query { a: Int } input A { b: B! } input B { a: A! }",
     "Cannot reference Input Object \"A\" within itself through a series of non-null fields: "
     "\"b.a\"."},
    {"type Query { a: Int } input A { self: A! }",
     "Cannot reference Input Object \"A\" within itself through a series of non-null fields: "
     "\"self\"."},
    {"directive @d on FIELD directive @d on FIELD type Query { a: Int }",
     "There can be only one directive named \"@d\"."},
    {"type Query { a(x: Int = \"no\"): Int }",
     "Argument \"Query.a(x:)\" has invalid default value: \"no\"."},
    {"type Query { a(x: Int = 3000000000): Int }",
     "Argument \"Query.a(x:)\" has invalid default value: 3000000000."},
    {"type Query { a(x: [Int!] = [1, null]): Int }",
     "Argument \"Query.a(x:)\" has invalid default value: [1, null]."},
    {"type Query { a: Int } input I { c: Color = PURPLE } enum Color { RED }",
     "Input field \"I.c\" has invalid default value: PURPLE."},
    {"type Query { a(i: I = {b: 1}): Int } input I { a: Int! b: Int }",
     "Argument \"Query.a(i:)\" has invalid default value: {b: 1}."},
    {"type Query { a(i: I = {c: 1}): Int } input I { b: Int }",
     "Argument \"Query.a(i:)\" has invalid default value: {c: 1}."},
    {"directive @d(x: Boolean = 1) on FIELD type Query { a: Int }",
     "Argument \"@d(x:)\" has invalid default value: 1."},
    {"type Query { a: Int @deprecated(reason: 5) }",
     "Argument \"@deprecated(reason:)\" has invalid value 5."},
    {"type Query { a: Int } scalar D @specifiedBy(url: null)",
     "Argument \"@specifiedBy(url:)\" has invalid value null."},
    {"type Query { a: Int } query { a }",
     "A schema holds type system definitions only, not operations."},
};

START_TEST(invalid_sdl)
{
    const char *sdl = invalid[_i].sdl;
    struct gql_schema *s = (struct gql_schema *)1;
    struct gql_errors errs = GQL_ERRORS_INIT;
    int rc = gql_schema_new(sdl, strlen(sdl), &s, &errs);
    ck_assert_msg(rc == GQL_EINVALID, "rc %d for %s", rc, sdl);
    ck_assert_ptr_null(s);
    ck_assert_uint_ge(errs.n, 1);
    ck_assert_msg(strcmp(errs.items[0].message, invalid[_i].message) == 0,
                  "for %s\n  got:  %s\n  want: %s", sdl, errs.items[0].message,
                  invalid[_i].message);
    gql_errors_release(&errs);
}
END_TEST

/* these are valid despite looking odd */
static const char *const valid[] = {
    "type Query { a: Int } input A { b: [A!]! c: A }", /* cycle through a list */
    "interface I { a(x: Int): I } type Query implements I { a(x: Int, y: Int): Query }",
    "type Query { a: Int } extend scalar Int @specifiedBy(url: \"x\")",
    "directive @deprecated(reason: String = \"gone\") on FIELD_DEFINITION\n"
    "type Query { a: Int @deprecated }",
    "type Query { a: Int } union U = Query extend union U = Sub type Sub { b: Int }",
    /* defaults and directive arguments that coerce (lists from one item, Int as Float or
       ID, anything for a custom scalar, an enum defined after its use) */
    "type Query { a(x: [Int] = 1, y: Float = 1, z: ID = 5, w: In = {a: [1, 2]}, v: J = "
    "{any: [true]}, u: String = null): Int }\n"
    "input In { a: [Int!]! b: String = \"\\\"q\\\"\" } scalar J\n"
    "directive @c(v: Color, f: [Float!]) on FIELD_DEFINITION\n"
    "type T { a: Int @c(v: RED, f: [1, 2.5]) } enum Color { RED }",
    /* a redefined built-in directive whose argument uses @deprecated */
    "directive @include(if: Boolean @deprecated(reason: \"x\")) on FIELD type Query { a: Int }",
};

START_TEST(valid_sdl)
{
    struct gql_schema *s = build(valid[_i]);
    if (_i == 3) {
        ck_assert_str_eq(field_of(s, "Query", "a")->deprecation_reason, "gone");
        ck_assert_uint_eq(s->ndirectives, 4);
        ck_assert_uint_eq(gql_schema_directive(s, "deprecated")->locations,
                          GQL_DL_FIELD_DEFINITION);
    }
    if (_i == 6) {
        const struct gql_directive_def *inc = gql_schema_directive(s, "include");
        ck_assert_ptr_eq(inc, &s->directives[0]);
        ck_assert(inc->args[0].deprecated);
        ck_assert_str_eq(inc->args[0].deprecation_reason, "x");
    }
    gql_schema_free(s);
}
END_TEST

START_TEST(error_details)
{
    /* locations of both definitions, all errors collected */
    const char *sdl = "type Query { a: Foo b: Bar }\ntype Query { c: Int }";
    struct gql_schema *s;
    struct gql_errors errs = GQL_ERRORS_INIT;
    ck_assert_int_eq(gql_schema_new(sdl, strlen(sdl), &s, &errs), GQL_EINVALID);
    ck_assert_uint_eq(errs.n, 3);
    ck_assert_str_eq(errs.items[0].message, "There can be only one type named \"Query\".");
    ck_assert_uint_eq(errs.items[0].nlocations, 2);
    ck_assert_uint_eq(errs.items[0].locations[0].line, 1);
    ck_assert_uint_eq(errs.items[0].locations[0].column, 6);
    ck_assert_uint_eq(errs.items[0].locations[1].line, 2);
    ck_assert_uint_eq(errs.items[0].locations[1].column, 6);
    ck_assert_str_eq(errs.items[1].message, "Unknown type \"Foo\".");
    ck_assert_uint_eq(errs.items[1].locations[0].column, 17);
    ck_assert_str_eq(errs.items[2].message, "Unknown type \"Bar\".");
    gql_errors_release(&errs);

    /* a syntax error is GQL_ESYNTAX */
    sdl = "type Query { a: }";
    ck_assert_int_eq(gql_schema_new(sdl, strlen(sdl), &s, &errs), GQL_ESYNTAX);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(errs.n, 1);
    ck_assert(strncmp(errs.items[0].message, "Syntax Error", 12) == 0);
    gql_errors_release(&errs);

    /* an empty SDL has no query root (graphql-js: a syntax error) */
    ck_assert_int_lt(gql_schema_new("", 0, &s, &errs), 0);
    ck_assert_ptr_null(s);
    ck_assert_uint_ge(errs.n, 1);
    gql_errors_release(&errs);

    /* no error list: still refused */
    ck_assert_int_eq(gql_schema_new("type Q { a: Int }", 17, &s, NULL), GQL_EINVALID);
    ck_assert_int_eq(gql_schema_new("x", 1, NULL, NULL), GQL_EARG);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gql_schema");
    TCase *tc = tcase_create("build");
    tcase_add_test(tc, full_schema_structure);
    tcase_add_test(tc, meta_fields);
    tcase_add_test(tc, many_fields_hash);
    tcase_add_test(tc, default_roots);
    tcase_add_test(tc, type_refs_are_unique);
    tcase_add_test(tc, type_refs_from_threads);
    tcase_add_test(tc, predicates);
    tcase_add_test(tc, print_truncates);
    tcase_add_test(tc, resolvers);
    tcase_add_loop_test(tc, valid_sdl, 0, sizeof valid / sizeof valid[0]);
    tcase_add_loop_test(tc, invalid_sdl, 0, sizeof invalid / sizeof invalid[0]);
    tcase_add_test(tc, error_details);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
