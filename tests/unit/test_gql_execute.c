/*
 * graphql/prepare.c, coerce.c, execute.c, introspection.c: a test schema
 * in SDL with C resolvers and a JSON root value, run through gql_prepare
 * and gql_execute; each test compares the whole response (printed JSON)
 * with what graphql-js answers for the same schema and document.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "graphql/graphql.h"

static const char sdl[] =
    "\"The test schema\"\n"
    "schema { query: Query mutation: Mutation subscription: Subscription }\n"
    "interface Named { name: String! }\n"
    "interface Aged { age: Int }\n"
    "\"A person\"\n"
    "type Person implements Named & Aged {\n"
    "  name: String!\n  age: Int\n  friends: [Person!]\n  pet: Pet\n  best: Person!\n"
    "}\n"
    "type Dog implements Named { name: String! barks: Boolean! nick: String }\n"
    "type Cat implements Named { name: String! lives: Int }\n"
    "union Pet = Dog | Cat\n"
    "enum Color { RED \"green\" GREEN BLUE @deprecated(reason: \"Use RED.\") OLD @deprecated }\n"
    "input Filter { color: Color = RED min: Int! tags: [String!] nested: Filter }\n"
    "input Defaults { s: String = \"a\\\"b\" f: Float = 1 l: [Int] = 3 "
    "o: Filter = {min: 2, tags: \"x\"} i: ID = 12 e: Color = GREEN }\n"
    "scalar JSON @specifiedBy(url: \"https://example.com/json\")\n"
    "type Query {\n"
    "  hello(name: String = \"world\"): String\n"
    "  int(v: Int): Int\n  float(v: Float): Float\n  id(v: ID): ID\n  list(v: [Int]): [Int]\n"
    "  nnlist(v: [Int!]!): [Int!]!\n  color(v: Color): Color\n  json(v: JSON): JSON\n"
    "  filter(f: Filter): JSON\n  defaults(d: Defaults): JSON\n  args(a: Int, b: String = \"x\"): "
    "JSON\n"
    "  people: [Person]\n  person: Person\n  strictPerson: Person!\n"
    "  pets: [Pet]\n  named: [Named]\n"
    "  badInt: Int\n  bigInt: Int\n  badEnum: Color\n  strictItems: [Int!]\n"
    "  strictAll: [Int!]!\n  boom: String\n  boomNN: String!\n  slow: Int\n  notList: [Int]\n"
    "  old: String @deprecated\n  older(x: Int): String @deprecated(reason: \"gone\")\n"
    "  typeless: Pet\n"
    "}\n"
    "type Mutation { append(s: String!): [String!]! }\n"
    "type Subscription { tick(n: Int = 1): Tick }\n"
    "type Tick { n: Int label: String }\n";

static const char root_json[] =
    "{\"people\":[{\"name\":\"Ann\",\"age\":30,\"friends\":[{\"name\":\"Bob\"}],"
    "\"pet\":{\"__typename\":\"Dog\",\"name\":\"Rex\",\"barks\":true},"
    "\"best\":{\"name\":\"Cy\",\"age\":null}},"
    "{\"name\":\"Bob\",\"age\":25,\"friends\":[{\"name\":\"Ann\"},{\"name\":null}],"
    "\"pet\":{\"__typename\":\"Cat\",\"name\":\"Tom\",\"lives\":9},\"best\":null}],"
    "\"person\":{\"name\":null,\"age\":1},"
    "\"strictPerson\":{\"name\":null},"
    "\"pets\":[{\"__typename\":\"Dog\",\"name\":\"Rex\",\"barks\":true,\"nick\":\"R\"},"
    "{\"__typename\":\"Cat\",\"name\":\"Tom\",\"lives\":9}],"
    "\"named\":[{\"__typename\":\"Person\",\"name\":\"Ann\",\"age\":30},"
    "{\"__typename\":\"Dog\",\"name\":\"Rex\",\"barks\":false}],"
    "\"badInt\":1.5,\"bigInt\":2147483648,\"badEnum\":\"PURPLE\","
    "\"strictItems\":[1,null,3],\"strictAll\":[1,null],\"notList\":7,"
    "\"typeless\":{\"name\":\"x\"},\"old\":\"o\",\"older\":\"p\"}";

static struct gql_schema *schema;
static cJSON *root;

static cJSON *arg_v(const struct gql_resolve_info *info, char **error)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(info->args, "v");
    return v ? cJSON_Duplicate(v, true) : cJSON_CreateNull();
}

static cJSON *all_args(const struct gql_resolve_info *info, char **error)
{
    return cJSON_Duplicate(info->args, true);
}

static cJSON *hello(const struct gql_resolve_info *info, char **error)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(info->args, "name");
    char buf[128];
    snprintf(buf, sizeof buf, "Hello, %s!", cJSON_IsString(name) ? name->valuestring : "?");
    return cJSON_CreateString(buf);
}

static cJSON *boom(const struct gql_resolve_info *info, char **error)
{
    *error = strdup("boom");
    return NULL;
}

/* A field error with extensions (graphql-js: new GraphQLError("boom", {extensions})). */
static cJSON *boom_coded(const struct gql_resolve_info *info, char **error)
{
    *info->extensions = cJSON_CreateObject();
    cJSON_AddStringToObject(*info->extensions, "code", "BOOM");
    *error = strdup("boom");
    return NULL;
}

static int slow_calls;

static cJSON *slow(const struct gql_resolve_info *info, char **error)
{
    slow_calls++;
    usleep(3000);
    return cJSON_CreateNumber(1);
}

/* Mutation.append: the context is the log; each call sees the calls before it. */
static cJSON *append(const struct gql_resolve_info *info, char **error)
{
    cJSON *log = info->context;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(info->args, "s");
    cJSON_AddItemToArray(log, cJSON_CreateString(s->valuestring));
    return cJSON_Duplicate(log, true);
}

static cJSON *never(const struct gql_resolve_info *info, char **error)
{
    *error = strdup("the subscription's resolver must not run for events");
    return NULL;
}

static void build_schema(void)
{
    struct gql_errors errs = GQL_ERRORS_INIT;
    int rc = gql_schema_new(sdl, strlen(sdl), &schema, &errs);
    if (rc != GQL_OK) {
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "schema: %s\n", errs.items[i].message);
        abort();
    }
    static const char *const v_fields[] = {"int", "float", "id", "list", "nnlist", "color", "json"};
    for (size_t i = 0; i < sizeof v_fields / sizeof v_fields[0]; i++)
        gql_schema_set_resolver(schema, "Query", v_fields[i], arg_v, NULL);
    gql_schema_set_resolver(schema, "Query", "filter", all_args, NULL);
    gql_schema_set_resolver(schema, "Query", "defaults", all_args, NULL);
    gql_schema_set_resolver(schema, "Query", "args", all_args, NULL);
    gql_schema_set_resolver(schema, "Query", "hello", hello, NULL);
    gql_schema_set_resolver(schema, "Query", "boom", boom, NULL);
    gql_schema_set_resolver(schema, "Query", "boomNN", boom_coded, NULL);
    gql_schema_set_resolver(schema, "Query", "slow", slow, NULL);
    gql_schema_set_resolver(schema, "Mutation", "append", append, NULL);
    gql_schema_set_resolver(schema, "Subscription", "tick", never, NULL);
    root = cJSON_Parse(root_json);
    if (root == NULL)
        abort();
}

/* Prepares and executes; the response printed (or the prepare errors as {"errors":..}). */
static char *run_full(const char *query, const char *vars, const char *op,
                      const struct gql_limits *limits, int64_t budget_us, void *context, int *rc,
                      bool *request_error)
{
    struct gql_prepared *p = NULL;
    struct gql_errors errs = GQL_ERRORS_INIT;
    char *out;
    *rc = gql_prepare(schema, query, strlen(query), op, limits, &p, &errs);
    if (*rc != GQL_OK) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "errors", gql_errors_to_json(&errs));
        out = cJSON_PrintUnformatted(e);
        cJSON_Delete(e);
        gql_errors_release(&errs);
        return out;
    }
    cJSON *v = vars ? cJSON_Parse(vars) : NULL;
    ck_assert(vars == NULL || v != NULL);
    struct gql_exec_args args = {
        .variables = v, .root_value = root, .context = context, .time_budget_us = budget_us};
    bool reqerr = false;
    cJSON *resp = gql_execute(p, &args, &reqerr);
    ck_assert_ptr_nonnull(resp);
    if (request_error)
        *request_error = reqerr;
    out = cJSON_PrintUnformatted(resp);
    cJSON_Delete(resp);
    if (context == NULL && budget_us == 0) {
        /* the same response with the data as text (a cJSON_Raw), or parsed: it prints the same */
        args.raw_data = true;
        resp = gql_execute(p, &args, &reqerr);
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(resp, "data");
        ck_assert(data == NULL || cJSON_IsRaw(data) || cJSON_IsNull(data));
        char *raw = cJSON_PrintUnformatted(resp);
        ck_assert_str_eq(raw, out);
        free(raw);
        cJSON_Delete(resp);
    }
    cJSON_Delete(v);
    gql_prepared_free(p);
    return out;
}

static char *run(const char *query, const char *vars)
{
    int rc;
    return run_full(query, vars, NULL, NULL, 0, NULL, &rc, NULL);
}

#define ck_run(query, vars, expected)                                                              \
    do {                                                                                           \
        char *got_ = run(query, vars);                                                             \
        const char *exp_ = expected;                                                               \
        if (exp_ == NULL || strcmp(got_, exp_) != 0)                                               \
            fprintf(stderr, "line %d got: %s\n", __LINE__, got_);                                  \
        ck_assert_str_eq(got_, exp_ ? exp_ : "?");                                                 \
        free(got_);                                                                                \
    } while (0)

/* ---- basics ---- */

START_TEST(hello_and_defaults)
{
    ck_run("{ hello }", NULL, "{\"data\":{\"hello\":\"Hello, world!\"}}");
    ck_run("{ a: hello(name: \"Ann\") hello }", NULL,
           "{\"data\":{\"a\":\"Hello, Ann!\",\"hello\":\"Hello, world!\"}}");
    ck_run("query($n: String) { hello(name: $n) }", "{}",
           "{\"data\":{\"hello\":\"Hello, world!\"}}");
    ck_run("query($n: String) { hello(name: $n) }", "{\"n\":null}",
           "{\"data\":{\"hello\":\"Hello, ?!\"}}");
    ck_run("query($n: String = \"Bo\") { hello(name: $n) }", NULL,
           "{\"data\":{\"hello\":\"Hello, Bo!\"}}");
    ck_run("{ args }", NULL, "{\"data\":{\"args\":{\"b\":\"x\"}}}");
    ck_run("{ args(a: null, b: null) }", NULL, "{\"data\":{\"args\":{\"a\":null,\"b\":null}}}");
    ck_run("{ __typename }", NULL, "{\"data\":{\"__typename\":\"Query\"}}");
}
END_TEST

START_TEST(aliases_and_merging)
{
    /* more than 16 fields: merged through a hash table, still in first-seen order */
    char q[1024], want[2048];
    size_t o = (size_t)snprintf(q, sizeof q, "{");
    size_t w = (size_t)snprintf(want, sizeof want, "{\"data\":{");
    for (int i = 0; i < 30; i++) {
        o += (size_t)snprintf(q + o, sizeof q - o, " a%d: hello", i % 20);
        if (i < 20)
            w += (size_t)snprintf(want + w, sizeof want - w, "%s\"a%d\":\"Hello, world!\"",
                                  i ? "," : "", i);
    }
    snprintf(q + o, sizeof q - o, " }");
    snprintf(want + w, sizeof want - w, "}}");
    ck_run(q, NULL, want);
    ck_run("{ people { name } people { age } p: person { age } }", NULL,
           "{\"data\":{\"people\":[{\"name\":\"Ann\",\"age\":30},{\"name\":\"Bob\",\"age\":25}],"
           "\"p\":{\"age\":1}}}");
    ck_run("{ b: hello(name: \"B\") a: hello(name: \"A\") ...F } fragment F on Query { b: "
           "hello(name: \"B\") }",
           NULL, "{\"data\":{\"b\":\"Hello, B!\",\"a\":\"Hello, A!\"}}");
}
END_TEST

/* ---- null propagation ---- */

START_TEST(null_propagation)
{
    /* a non-null leaf's null nulls its object, which is nullable */
    ck_run("{ person { name age } }", NULL,
           "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field Person.name.\","
           "\"locations\":[{\"line\":1,\"column\":12}],\"path\":[\"person\",\"name\"]}],"
           "\"data\":{\"person\":null}}");
    /* up a chain of non-null fields to data */
    ck_run("{ hello strictPerson { name } }", NULL,
           "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field Person.name.\","
           "\"locations\":[{\"line\":1,\"column\":24}],\"path\":[\"strictPerson\",\"name\"]}],"
           "\"data\":null}");
    /* through a list with non-null items: the list's item nulls, the nullable field becomes
       null */
    ck_run("{ people { name best { name } } }", NULL,
           "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field Person.best.\","
           "\"locations\":[{\"line\":1,\"column\":17}],\"path\":[\"people\",1,\"best\"]}],"
           "\"data\":{\"people\":[{\"name\":\"Ann\",\"best\":{\"name\":\"Cy\"}},null]}}");
    ck_run("{ people { friends { name } } }", NULL,
           "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field Person.name.\","
           "\"locations\":[{\"line\":1,\"column\":22}],\"path\":[\"people\",1,\"friends\",1,"
           "\"name\"]}],\"data\":{\"people\":[{\"friends\":[{\"name\":\"Bob\"}]},"
           "{\"friends\":null}]}}");
    ck_run("{ strictItems }", NULL,
           "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
           "Query.strictItems.\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":"
           "[\"strictItems\",1]}],\"data\":{\"strictItems\":null}}");
    ck_run("{ strictAll hello }", NULL,
           "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
           "Query.strictAll.\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":"
           "[\"strictAll\",1]}],\"data\":null}");
}
END_TEST

START_TEST(field_errors)
{
    ck_run("{ boom hello }", NULL,
           "{\"errors\":[{\"message\":\"boom\",\"locations\":[{\"line\":1,\"column\":3}],"
           "\"path\":[\"boom\"]}],\"data\":{\"boom\":null,\"hello\":\"Hello, world!\"}}");
    ck_run("{ x: boomNN }", NULL,
           "{\"errors\":[{\"message\":\"boom\",\"locations\":[{\"line\":1,\"column\":3}],"
           "\"path\":[\"x\"],\"extensions\":{\"code\":\"BOOM\"}}],\"data\":null}");
    ck_run("{ badInt }", NULL,
           "{\"errors\":[{\"message\":\"Int cannot represent non-integer value: 1.5\","
           "\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"badInt\"]}],"
           "\"data\":{\"badInt\":null}}");
    ck_run("{ bigInt }", NULL,
           "{\"errors\":[{\"message\":\"Int cannot represent non 32-bit signed integer value: "
           "2147483648\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"bigInt\"]}],"
           "\"data\":{\"bigInt\":null}}");
    ck_run(
        "{ badEnum }", NULL,
        "{\"errors\":[{\"message\":\"Enum \\\"Color\\\" cannot represent value: \\\"PURPLE\\\"\","
        "\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"badEnum\"]}],"
        "\"data\":{\"badEnum\":null}}");
    ck_run("{ notList }", NULL,
           "{\"errors\":[{\"message\":\"Expected Iterable, but did not find one for field "
           "\\\"Query.notList\\\".\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":"
           "[\"notList\"]}],\"data\":{\"notList\":null}}");
    ck_run("{ typeless { __typename } }", NULL,
           "{\"errors\":[{\"message\":\"Abstract type \\\"Pet\\\" must resolve to an Object type "
           "at runtime for field \\\"Query.typeless\\\". Either the \\\"Pet\\\" type should "
           "provide a \\\"resolveType\\\" function or each possible type should provide an "
           "\\\"isTypeOf\\\" function.\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":"
           "[\"typeless\"]}],\"data\":{\"typeless\":null}}");
    /* merged nodes: every location */
    ck_run("{ boom\n boom }", NULL,
           "{\"errors\":[{\"message\":\"boom\",\"locations\":[{\"line\":1,\"column\":3},"
           "{\"line\":2,\"column\":2}],\"path\":[\"boom\"]}],\"data\":{\"boom\":null}}");
}
END_TEST

/* ---- variables ---- */

START_TEST(variable_coercion)
{
    const char *q = "query($v: Int) { int(v: $v) }";
    ck_run(q, "{\"v\":2147483647}", "{\"data\":{\"int\":2147483647}}");
    ck_run(q, "{\"v\":-2147483648}", "{\"data\":{\"int\":-2147483648}}");
    ck_run(q, "{\"v\":1.0}", "{\"data\":{\"int\":1}}");
    ck_run(q, "{\"v\":2147483648}",
           "{\"errors\":[{\"message\":\"Variable \\\"$v\\\" got invalid value 2147483648; Int "
           "cannot represent non 32-bit signed integer value: 2147483648\",\"locations\":"
           "[{\"line\":1,\"column\":7}]}]}");
    ck_run(q, "{\"v\":\"abc\"}",
           "{\"errors\":[{\"message\":\"Variable \\\"$v\\\" got invalid value \\\"abc\\\"; Int "
           "cannot represent non-integer value: \\\"abc\\\"\",\"locations\":[{\"line\":1,"
           "\"column\":7}]}]}");
    ck_run(q, "{\"v\":1.5}",
           "{\"errors\":[{\"message\":\"Variable \\\"$v\\\" got invalid value 1.5; Int cannot "
           "represent non-integer value: 1.5\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    ck_run(q, "{}", "{\"data\":{\"int\":null}}");
    ck_run(q, "{\"v\":null}", "{\"data\":{\"int\":null}}");
    ck_run("query($v: Int!) { int(v: $v) }", "{}",
           "{\"errors\":[{\"message\":\"Variable \\\"$v\\\" of required type \\\"Int!\\\" was "
           "not provided.\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    ck_run("query($v: Int!) { int(v: $v) }", "{\"v\":null}",
           "{\"errors\":[{\"message\":\"Variable \\\"$v\\\" of non-null type \\\"Int!\\\" must "
           "not be null.\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    ck_run("query($v: Int = 5) { int(v: $v) }", "{}", "{\"data\":{\"int\":5}}");
    ck_run("query($v: Int = 5) { int(v: $v) }", "{\"v\":null}", "{\"data\":{\"int\":null}}");
    /* ID from an integer, Float from an integer */
    ck_run("query($v: ID) { id(v: $v) }", "{\"v\":42}", "{\"data\":{\"id\":\"42\"}}");
    ck_run("query($v: ID) { id(v: $v) }", "{\"v\":4.2}",
           "{\"errors\":[{\"message\":\"Variable \\\"$v\\\" got invalid value 4.2; ID cannot "
           "represent value: 4.2\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    ck_run("query($v: Float) { float(v: $v) }", "{\"v\":3}", "{\"data\":{\"float\":3}}");
    /* numbers read as cJSON prints them, in the data as text and as a tree alike */
    ck_run("query($v: Float) { float(v: $v) }", "{\"v\":0.30000000000000004}",
           "{\"data\":{\"float\":0.3}}");
    ck_run("query($v: Float) { float(v: $v) }", "{\"v\":0.3333333333333333}",
           "{\"data\":{\"float\":0.33333333333333331}}");
    ck_run("query($v: Float) { float(v: $v) }", "{\"v\":-1.25e-5}",
           "{\"data\":{\"float\":-1.25e-05}}");
    /* lists: a single value wraps */
    ck_run("query($v: [Int]) { list(v: $v) }", "{\"v\":7}", "{\"data\":{\"list\":[7]}}");
    ck_run("query($v: [Int]) { list(v: $v) }", "{\"v\":[1,null,3]}",
           "{\"data\":{\"list\":[1,null,3]}}");
    ck_run("query($v: [Int!]!) { nnlist(v: $v) }", "{\"v\":[1,null,\"x\"]}",
           "{\"errors\":[{\"message\":\"Variable \\\"$v\\\" got invalid value null at "
           "\\\"v[1]\\\"; Expected non-nullable type \\\"Int!\\\" not to be null.\","
           "\"locations\":[{\"line\":1,\"column\":7}]},{\"message\":\"Variable \\\"$v\\\" got "
           "invalid value \\\"x\\\" at \\\"v[2]\\\"; Int cannot represent non-integer value: "
           "\\\"x\\\"\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    /* enums by name */
    ck_run("query($v: Color) { color(v: $v) }", "{\"v\":\"GREEN\"}",
           "{\"data\":{\"color\":\"GREEN\"}}");
    ck_run("query($v: Color) { color(v: $v) }", "{\"v\":\"GREN\"}",
           "{\"errors\":[{\"message\":\"Variable \\\"$v\\\" got invalid value \\\"GREN\\\"; Value "
           "\\\"GREN\\\" does not exist in \\\"Color\\\" enum. Did you mean the enum value "
           "\\\"GREEN\\\" or \\\"RED\\\"?\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    /* custom scalars pass through */
    ck_run("query($v: JSON) { json(v: $v) }", "{\"v\":{\"a\":[1,{\"b\":null}]}}",
           "{\"data\":{\"json\":{\"a\":[1,{\"b\":null}]}}}");
}
END_TEST

START_TEST(input_objects)
{
    const char *q = "query($f: Filter) { filter(f: $f) }";
    ck_run(q, "{\"f\":{\"min\":1}}",
           "{\"data\":{\"filter\":{\"f\":{\"color\":\"RED\",\"min\":1}}}}");
    ck_run(q, "{\"f\":{\"min\":1,\"tags\":\"a\",\"nested\":{\"min\":2,\"color\":null}}}",
           "{\"data\":{\"filter\":{\"f\":{\"color\":\"RED\",\"min\":1,\"tags\":[\"a\"],"
           "\"nested\":{\"color\":null,\"min\":2}}}}}");
    ck_run(q, "{\"f\":{\"min\":1,\"colour\":\"RED\"}}",
           "{\"errors\":[{\"message\":\"Variable \\\"$f\\\" got invalid value { min: 1, colour: "
           "\\\"RED\\\" }; Field \\\"colour\\\" is not defined by type \\\"Filter\\\". Did you "
           "mean \\\"color\\\"?\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    ck_run(q, "{\"f\":{\"nested\":{\"min\":1,\"nested\":{}}, \"min\":3}}",
           "{\"errors\":[{\"message\":\"Variable \\\"$f\\\" got invalid value {} at "
           "\\\"f.nested.nested\\\"; Field \\\"min\\\" of required type \\\"Int!\\\" was not "
           "provided.\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    ck_run(q, "{\"f\":[1]}",
           "{\"errors\":[{\"message\":\"Variable \\\"$f\\\" got invalid value [1]; Expected type "
           "\\\"Filter\\\" to be an object.\",\"locations\":[{\"line\":1,\"column\":7}]}]}");
    /* literals with variables inside, absent variables fall back to defaults */
    ck_run("query($m: Int!, $c: Color) { filter(f: {min: $m, color: $c, tags: [\"t\"]}) }",
           "{\"m\":4}",
           "{\"data\":{\"filter\":{\"f\":{\"color\":\"RED\",\"min\":4,\"tags\":"
           "[\"t\"]}}}}");
    ck_run("{ filter(f: {min: 1, nested: {min: 2, tags: \"x\"}}) }", NULL,
           "{\"data\":{\"filter\":{\"f\":{\"color\":\"RED\",\"min\":1,\"nested\":{\"color\":"
           "\"RED\",\"min\":2,\"tags\":[\"x\"]}}}}}");
    /* request errors have no data */
    int rc;
    bool reqerr = false;
    char *got = run_full(q, "{\"f\":{}}", NULL, NULL, 0, NULL, &rc, &reqerr);
    ck_assert(reqerr);
    ck_assert_ptr_null(strstr(got, "\"data\""));
    free(got);
}
END_TEST

/* ---- fragments, directives ---- */

START_TEST(fragments_on_abstract_types)
{
    ck_run("{ pets { __typename ... on Dog { barks } ... on Cat { lives } ...N } } "
           "fragment N on Named { name }",
           NULL,
           "{\"data\":{\"pets\":[{\"__typename\":\"Dog\",\"barks\":true,\"name\":\"Rex\"},"
           "{\"__typename\":\"Cat\",\"lives\":9,\"name\":\"Tom\"}]}}");
    ck_run("{ named { name ... on Aged { age } ... on Person { ... on Named { ... on Dog { barks } "
           "} } ... on Dog { ... on Named { n2: name } nick } } }",
           NULL,
           "{\"data\":{\"named\":[{\"name\":\"Ann\",\"age\":30},{\"name\":\"Rex\",\"n2\":\"Rex\","
           "\"nick\":null}]}}");
    ck_run("{ people { pet { ...D ...C } } } fragment D on Dog { barks } fragment C on Cat { "
           "lives ...N } fragment N on Named { ... on Dog { barks } }",
           NULL, "{\"data\":{\"people\":[{\"pet\":{\"barks\":true}},{\"pet\":{\"lives\":9}}]}}");
}
END_TEST

START_TEST(skip_and_include)
{
    const char *q = "query($s: Boolean!, $i: Boolean!) { a: hello @skip(if: $s) b: hello "
                    "@include(if: $i) ... @include(if: $i) { c: hello } ...F @skip(if: $s) } "
                    "fragment F on Query { d: hello }";
    ck_run(q, "{\"s\":true,\"i\":false}", "{\"data\":{}}");
    ck_run(q, "{\"s\":false,\"i\":true}",
           "{\"data\":{\"a\":\"Hello, world!\",\"b\":\"Hello, world!\",\"c\":\"Hello, world!\","
           "\"d\":\"Hello, world!\"}}");
    ck_run("{ hello @skip(if: true) @include(if: true) x: hello @skip(if: false) @include(if: "
           "true) }",
           NULL, "{\"data\":{\"x\":\"Hello, world!\"}}");
}
END_TEST

/* ---- operations ---- */

START_TEST(operation_selection)
{
    int rc;
    char *got =
        run_full("query A { hello } query B { __typename }", NULL, "B", NULL, 0, NULL, &rc, NULL);
    ck_assert_str_eq(got, "{\"data\":{\"__typename\":\"Query\"}}");
    free(got);
    got = run_full("query A { hello } query B { hello }", NULL, NULL, NULL, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_EOPERATION);
    ck_assert_str_eq(got, "{\"errors\":[{\"message\":\"Must provide operation name if query "
                          "contains multiple operations.\"}]}");
    free(got);
    got = run_full("query A { hello }", NULL, "C", NULL, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_EOPERATION);
    ck_assert_str_eq(got, "{\"errors\":[{\"message\":\"Unknown operation named \\\"C\\\".\"}]}");
    free(got);
    got = run_full("{ hello", NULL, NULL, NULL, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_ESYNTAX);
    free(got);
}
END_TEST

START_TEST(serial_mutations)
{
    int rc;
    cJSON *log = cJSON_CreateArray();
    char *got = run_full("mutation { a: append(s: \"1\") b: append(s: \"2\") c: append(s: \"3\") }",
                         NULL, NULL, NULL, 0, log, &rc, NULL);
    ck_assert_str_eq(got, "{\"data\":{\"a\":[\"1\"],\"b\":[\"1\",\"2\"],\"c\":[\"1\",\"2\","
                          "\"3\"]}}");
    free(got);
    cJSON_Delete(log);
}
END_TEST

/* ---- limits ---- */

START_TEST(limit_bytes_and_tokens)
{
    int rc;
    struct gql_limits lim = {.max_document_bytes = 10};
    char *got = run_full("{ hello hello }", NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_ELIMIT);
    ck_assert_str_eq(got, "{\"errors\":[{\"message\":\"Document of 15 bytes exceeds the limit "
                          "of 10 bytes.\"}]}");
    free(got);
    struct gql_limits tok = {.max_tokens = 5};
    got = run_full("{ a: hello b: hello }", NULL, NULL, &tok, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_ELIMIT);
    free(got);
    got = run_full("{ hello }", NULL, NULL, &tok, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_OK);
    free(got);
}
END_TEST

START_TEST(limit_depth)
{
    int rc;
    struct gql_limits lim = {.max_depth = 3};
    const char *q3 = "{ people { friends { name } } }";
    const char *q4 = "{ people { friends { pet { ... on Dog { name } } } } }";
    char *got = run_full(q3, NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_OK);
    free(got);
    got = run_full(q4, NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_ELIMIT);
    ck_assert_str_eq(got, "{\"errors\":[{\"message\":\"Query depth 4 exceeds the limit of 3.\"}]}");
    free(got);
    /* through fragments */
    got = run_full("{ people { ...F } } fragment F on Person { friends { pet { __typename } } }",
                   NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_ELIMIT);
    free(got);
    /* measured before validation: an invalid document over the limit is refused for the limit */
    got = run_full("{ people { friends { pet { nope } } } }", NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_ELIMIT);
    free(got);
    got = run_full("{ people { nope } }", NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_EINVALID);
    free(got);
}
END_TEST

START_TEST(limit_fields_and_fragment_bomb)
{
    int rc;
    struct gql_limits lim = {.max_fields = 4};
    char *got = run_full("{ people { name age } hello }", NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_OK);
    free(got);
    got = run_full("{ people { name age } hello a: hello }", NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_ELIMIT);
    ck_assert_str_eq(got, "{\"errors\":[{\"message\":\"Query has 5 fields (fragments expanded), "
                          "which exceeds the limit of 4.\"}]}");
    free(got);
    /* 2^40 fields once expanded: measured without expanding */
    char bomb[8192];
    size_t o = (size_t)snprintf(bomb, sizeof bomb, "{ ...F0 }");
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(bomb + o, sizeof bomb - o, " fragment F%d on Query { ...F%d ...F%d }",
                              i, i + 1, i + 1);
    snprintf(bomb + o, sizeof bomb - o, " fragment F40 on Query { hello }");
    struct gql_limits big = {.max_fields = 100000};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    got = run_full(bomb, NULL, NULL, &big, 0, NULL, &rc, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_eq(rc, GQL_ELIMIT);
    ck_assert_str_eq(got, "{\"errors\":[{\"message\":\"Query has 1099511627776 fields (fragments "
                          "expanded), which exceeds the limit of 100000.\"}]}");
    ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec), 500000000L);
    free(got);
}
END_TEST

START_TEST(limit_time_budget)
{
    int rc;
    slow_calls = 0;
    char q[4096];
    size_t o = (size_t)snprintf(q, sizeof q, "{");
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(q + o, sizeof q - o, " s%d: slow", i);
    snprintf(q + o, sizeof q - o, " }");
    char *got = run_full(q, NULL, NULL, NULL, 20000, NULL, &rc, NULL);
    ck_assert_int_eq(rc, GQL_OK);
    ck_assert_ptr_nonnull(strstr(got, "\"message\":\"Query exceeded its time budget of 20 ms.\""));
    ck_assert_ptr_nonnull(strstr(got, "\"path\":[\"s99\"]"));
    ck_assert_int_le(slow_calls, 8); /* the clock is read before each resolver: ~7 * 3 ms */
    free(got);
    /* the budget from the limits works too, and a non-null field propagates */
    struct gql_limits lim = {.time_budget_us = 1000};
    got = run_full("{ a: slow b: slow c: slow d: slow e: slow f: slow g: slow h: slow i: slow j: "
                   "slow k: slow l: slow m: slow n: slow o: slow p: slow q: slow boomNN }",
                   NULL, NULL, &lim, 0, NULL, &rc, NULL);
    ck_assert_ptr_nonnull(strstr(got, "time budget of 1 ms."));
    ck_assert_ptr_nonnull(strstr(got, "\"data\":null"));
    free(got);
}
END_TEST

/* ---- introspection ---- */

START_TEST(introspection_small)
{
    ck_run("{ __type(name: \"Color\") { kind name enumValues { name isDeprecated } all: "
           "enumValues(includeDeprecated: true) { name deprecationReason } } }",
           NULL,
           "{\"data\":{\"__type\":{\"kind\":\"ENUM\",\"name\":\"Color\",\"enumValues\":"
           "[{\"name\":\"RED\",\"isDeprecated\":false},{\"name\":\"GREEN\",\"isDeprecated\":"
           "false}],\"all\":[{\"name\":\"RED\",\"deprecationReason\":null},{\"name\":\"GREEN\","
           "\"deprecationReason\":null},{\"name\":\"BLUE\",\"deprecationReason\":\"Use RED.\"},"
           "{\"name\":\"OLD\",\"deprecationReason\":\"No longer supported\"}]}}}");
    ck_run(
        "{ __type(name: \"Defaults\") { inputFields { name defaultValue type { name } } } }", NULL,
        "{\"data\":{\"__type\":{\"inputFields\":[{\"name\":\"s\",\"defaultValue\":"
        "\"\\\"a\\\\\\\"b\\\"\",\"type\":{\"name\":\"String\"}},{\"name\":\"f\",\"defaultValue\":"
        "\"1\",\"type\":{\"name\":\"Float\"}},{\"name\":\"l\",\"defaultValue\":\"[3]\",\"type\":"
        "{\"name\":null}},{\"name\":\"o\",\"defaultValue\":\"{color: RED, min: 2, tags: "
        "[\\\"x\\\"]}\",\"type\":{\"name\":\"Filter\"}},{\"name\":\"i\",\"defaultValue\":"
        "\"12\",\"type\":{\"name\":\"ID\"}},{\"name\":\"e\",\"defaultValue\":\"GREEN\","
        "\"type\":{\"name\":\"Color\"}}]}}}");
    ck_run("{ __type(name: \"Person\") { name description fields { name type { kind ofType { "
           "kind ofType { name } } } } interfaces { name } } }",
           NULL,
           "{\"data\":{\"__type\":{\"name\":\"Person\",\"description\":\"A person\",\"fields\":"
           "[{\"name\":\"name\",\"type\":{\"kind\":\"NON_NULL\",\"ofType\":{\"kind\":\"SCALAR\","
           "\"ofType\":null}}},{\"name\":\"age\",\"type\":{\"kind\":\"SCALAR\",\"ofType\":null}},"
           "{\"name\":\"friends\",\"type\":{\"kind\":\"LIST\",\"ofType\":{\"kind\":\"NON_NULL\","
           "\"ofType\":{\"name\":\"Person\"}}}},{\"name\":\"pet\",\"type\":{\"kind\":\"UNION\","
           "\"ofType\":null}},{\"name\":\"best\",\"type\":{\"kind\":\"NON_NULL\",\"ofType\":"
           "{\"kind\":\"OBJECT\",\"ofType\":null}}}],\"interfaces\":[{\"name\":\"Named\"},"
           "{\"name\":\"Aged\"}]}}}");
    /* deprecated fields are left out unless asked for */
    char *got = run("{ __type(name: \"Query\") { fields { name } f: fields(includeDeprecated: "
                    "true) { name isDeprecated deprecationReason args { name } } } }",
                    NULL);
    ck_assert_ptr_nonnull(strstr(got, "{\"name\":\"notList\"},{\"name\":\"typeless\"}]"));
    ck_assert_ptr_nonnull(strstr(got,
                                 "{\"name\":\"old\",\"isDeprecated\":true,"
                                 "\"deprecationReason\":\"No longer supported\",\"args\":[]},"
                                 "{\"name\":\"older\",\"isDeprecated\":true,"
                                 "\"deprecationReason\":\"gone\",\"args\":[{\"name\":\"x\"}]}"));
    ck_assert_ptr_nonnull(strstr(got,
                                 "{\"name\":\"hello\",\"isDeprecated\":false,"
                                 "\"deprecationReason\":null,\"args\":[{\"name\":\"name\"}]}"));
    free(got);
    ck_run("{ __schema { description queryType { name } mutationType { name } subscriptionType "
           "{ name } directives { name isRepeatable locations args { name defaultValue } } } "
           "j: __type(name: \"JSON\") { specifiedByURL } pet: __type(name: \"Pet\") { "
           "possibleTypes { name } } n: __type(name: \"Named\") { possibleTypes { name } } "
           "none: __type(name: \"Nope\") { name } }",
           NULL,
           "{\"data\":{\"__schema\":{\"description\":\"The test schema\",\"queryType\":"
           "{\"name\":\"Query\"},\"mutationType\":{\"name\":\"Mutation\"},\"subscriptionType\":"
           "{\"name\":\"Subscription\"},\"directives\":[{\"name\":\"include\",\"isRepeatable\":"
           "false,\"locations\":[\"FIELD\",\"FRAGMENT_SPREAD\",\"INLINE_FRAGMENT\"],\"args\":"
           "[{\"name\":\"if\",\"defaultValue\":null}]},{\"name\":\"skip\",\"isRepeatable\":false,"
           "\"locations\":[\"FIELD\",\"FRAGMENT_SPREAD\",\"INLINE_FRAGMENT\"],\"args\":"
           "[{\"name\":\"if\",\"defaultValue\":null}]},{\"name\":\"deprecated\",\"isRepeatable\":"
           "false,\"locations\":[\"FIELD_DEFINITION\",\"ARGUMENT_DEFINITION\","
           "\"INPUT_FIELD_DEFINITION\",\"ENUM_VALUE\"],\"args\":[{\"name\":\"reason\","
           "\"defaultValue\":"
           "\"\\\"No longer supported\\\"\"}]},{\"name\":\"specifiedBy\",\"isRepeatable\":false,"
           "\"locations\":[\"SCALAR\"],\"args\":[{\"name\":\"url\",\"defaultValue\":null}]}]},"
           "\"j\":{\"specifiedByURL\":\"https://example.com/json\"},\"pet\":{\"possibleTypes\":"
           "[{\"name\":\"Dog\"},{\"name\":\"Cat\"}]},\"n\":{\"possibleTypes\":[{\"name\":"
           "\"Person\"},{\"name\":\"Dog\"},{\"name\":\"Cat\"}]},\"none\":null}}");
    ck_run("{ people { __typename } __schema { queryType { __typename } } }", NULL,
           "{\"data\":{\"people\":[{\"__typename\":\"Person\"},{\"__typename\":\"Person\"}],"
           "\"__schema\":{\"queryType\":{\"__typename\":\"__Type\"}}}}");
}
END_TEST

START_TEST(introspection_cached_result_is_stable)
{
    struct gql_prepared *p = NULL;
    struct gql_errors errs = GQL_ERRORS_INIT;
    const char *q = "{ __schema { types { name fields { name } } } }";
    ck_assert_int_eq(gql_prepare(schema, q, strlen(q), NULL, NULL, &p, &errs), GQL_OK);
    struct gql_exec_args args = {0};
    bool reqerr;
    cJSON *a = gql_execute(p, &args, &reqerr);
    cJSON *b = gql_execute(p, &args, &reqerr);
    char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
    ck_assert_str_eq(sa, sb);
    ck_assert_ptr_nonnull(strstr(sa, "{\"name\":\"Person\",\"fields\":[{\"name\":\"name\"}"));
    ck_assert_ptr_null(strstr(sa, "\"__typename\""));
    free(sa);
    free(sb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    gql_prepared_free(p);
}
END_TEST

/* ---- subscriptions ---- */

START_TEST(subscription_source_and_event)
{
    struct gql_prepared *p = NULL;
    struct gql_errors errs = GQL_ERRORS_INIT;
    const char *q = "subscription S($n: Int) { t: tick(n: $n) { n label __typename } }";
    ck_assert_int_eq(gql_prepare(schema, q, strlen(q), NULL, NULL, &p, &errs), GQL_OK);
    ck_assert_int_eq(gql_prepared_operation(p), GQL_SUBSCRIPTION);
    cJSON *vars = cJSON_Parse("{\"n\":5}");
    struct gql_exec_args args = {.variables = vars};
    const char *name = NULL;
    cJSON *fargs = NULL;
    ck_assert_int_eq(gql_subscription_source(p, &args, &name, &fargs, &errs), GQL_OK);
    ck_assert_str_eq(name, "tick");
    char *s = cJSON_PrintUnformatted(fargs);
    ck_assert_str_eq(s, "{\"n\":5}");
    free(s);
    cJSON_Delete(fargs);
    cJSON *ev = cJSON_Parse("{\"n\":5,\"label\":\"five\",\"extra\":1}");
    cJSON *resp = gql_execute_event(p, &args, ev);
    s = cJSON_PrintUnformatted(resp);
    ck_assert_str_eq(s, "{\"data\":{\"t\":{\"n\":5,\"label\":\"five\",\"__typename\":\"Tick\"}}}");
    free(s);
    cJSON_Delete(resp);
    cJSON_Delete(ev);
    /* absent variable: the argument's default */
    struct gql_exec_args none = {0};
    ck_assert_int_eq(gql_subscription_source(p, &none, &name, &fargs, &errs), GQL_OK);
    s = cJSON_PrintUnformatted(fargs);
    ck_assert_str_eq(s, "{\"n\":1}");
    free(s);
    cJSON_Delete(fargs);
    /* bad variables: a request error */
    cJSON *bad = cJSON_Parse("{\"n\":\"x\"}");
    struct gql_exec_args badargs = {.variables = bad};
    ck_assert_int_eq(gql_subscription_source(p, &badargs, &name, &fargs, &errs), GQL_EINVALID);
    ck_assert_uint_eq(errs.n, 1);
    ck_assert_str_eq(errs.items[0].message, "Variable \"$n\" got invalid value \"x\"; Int cannot "
                                            "represent non-integer value: \"x\"");
    ck_assert_ptr_null(fargs);
    gql_errors_release(&errs);
    cJSON_Delete(bad);
    cJSON_Delete(vars);
    gql_prepared_free(p);
}
END_TEST

/* ---- abstract types through a type resolver ---- */

static const struct gql_type *everything_is_a_cat(const struct gql_type *abstract,
                                                  const cJSON *value, void *context, void *data)
{
    return gql_schema_type(schema, data);
}

START_TEST(type_resolver)
{
    ck_assert_int_eq(gql_schema_set_type_resolver(schema, "Pet", everything_is_a_cat, "Cat"),
                     GQL_OK);
    ck_run("{ pets { __typename ... on Cat { name lives } } }", NULL,
           "{\"data\":{\"pets\":[{\"__typename\":\"Cat\",\"name\":\"Rex\",\"lives\":null},"
           "{\"__typename\":\"Cat\",\"name\":\"Tom\",\"lives\":9}]}}");
    gql_schema_set_type_resolver(schema, "Pet", everything_is_a_cat, "Person");
    ck_run("{ pets { __typename } }", NULL,
           "{\"errors\":[{\"message\":\"Runtime Object type \\\"Person\\\" is not a possible "
           "type for \\\"Pet\\\".\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":"
           "[\"pets\",0]},{\"message\":\"Runtime Object type \\\"Person\\\" is not a possible "
           "type for \\\"Pet\\\".\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":"
           "[\"pets\",1]}],\"data\":{\"pets\":[null,null]}}");
}
END_TEST

/* ---- one prepared document, many threads ---- */

struct shared_run {
    const struct gql_prepared *p;
    const char *expected;
    bool raw;
    int mismatches;
};

/* Strings are written eight bytes at a time: escapes at every position of every length. */
START_TEST(string_escapes_at_every_position)
{
    static const char escapes[] = {'"', '\\', '\n', '\t', '\x01', '\x1f', (char)0xc3};
    char s[48];
    for (size_t len = 0; len < 40; len++)
        for (size_t e = 0; e < sizeof escapes; e++)
            for (size_t at = 0; at <= len; at++) { /* at == len: none */
                for (size_t i = 0; i < len; i++)
                    s[i] = (char)('a' + (i * 7 + at) % 26);
                if (at < len)
                    s[at] = escapes[e];
                if (at + 1 < len && escapes[e] == (char)0xc3)
                    s[at + 1] = (char)0xa9; /* é: bytes over 0x7f are no escape */
                s[len] = '\0';
                cJSON *vars = cJSON_CreateObject(), *want = cJSON_CreateObject();
                cJSON_AddStringToObject(vars, "v", s);
                cJSON_AddStringToObject(cJSON_AddObjectToObject(want, "data"), "json", s);
                char *v = cJSON_PrintUnformatted(vars), *w = cJSON_PrintUnformatted(want);
                ck_run("query($v: JSON) { json(v: $v) }", v, w);
                free(v);
                free(w);
                cJSON_Delete(vars);
                cJSON_Delete(want);
            }
}
END_TEST

/* Numbers are written without printf where that gives the same text as cJSON's printer. */
START_TEST(numbers_print_as_cjson_prints_them)
{
    static const double fixed[] = {0.1,
                                   0.5,
                                   1.0 / 3,
                                   2.0 / 3,
                                   9.9999999999999995,
                                   0.9839387536138,
                                   999999999999999.9,
                                   99999999999999.99,
                                   1e-5,
                                   1.5e-5,
                                   1.2345e-4,
                                   0.00099999999999999999,
                                   123456789012345.6,
                                   2147483648.5,
                                   -0.25,
                                   -1e-7,
                                   1e15 + 0.5,
                                   1e300,
                                   5e-324,
                                   0.30000000000000004};
    unsigned long long x = 88172645463325252ull;
    for (int i = 0; i < 6000; i++) {
        double d;
        if (i < (int)(sizeof fixed / sizeof *fixed)) {
            d = fixed[i];
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: the same values every run */
            double mant = (double)(x >> 11) / 9007199254740992.0;
            int exp10 = (int)(x % 41) - 20;
            d = mant * pow(10, exp10) * ((x >> 5) & 1 ? -1 : 1);
            if (i % 7 == 0) /* a few decimals */
                d = round(d * 1000) / 1000;
            if (d == 0) /* -0: cJSON writes "-0", JSON.stringify and the engine "0" */
                d = 0;
        }
        cJSON *vars = cJSON_CreateObject();
        cJSON_AddNumberToObject(vars, "v", d);
        char *v = cJSON_PrintUnformatted(vars);
        cJSON *parsed = cJSON_Parse(v); /* the value the engine gets */
        char *num = cJSON_PrintUnformatted(cJSON_GetObjectItem(parsed, "v"));
        char want[128];
        snprintf(want, sizeof want, "{\"data\":{\"json\":%s}}", num);
        ck_run("query($v: JSON) { json(v: $v) }", v, want);
        free(num);
        free(v);
        cJSON_Delete(parsed);
        cJSON_Delete(vars);
    }
}
END_TEST

/* Members in consecutive nodes (GQL_JSON_CONSECUTIVE, json_freeze's layout) are read by position.
 */
START_TEST(consecutive_members_by_position)
{
    cJSON nodes[4];
    memset(nodes, 0, sizeof nodes);
    static const char *const names[] = {"x", "age", "friends", "name"}; /* name: the last */
    for (int i = 0; i < 4; i++) {
        nodes[i].string = (char *)names[i];
        nodes[i].type = cJSON_NULL | cJSON_StringIsConst;
        nodes[i].next = i < 3 ? &nodes[i + 1] : NULL;
        nodes[i].prev = &nodes[i ? i - 1 : 3];
    }
    nodes[1].type = cJSON_Number | cJSON_StringIsConst;
    nodes[1].valuedouble = 7;
    nodes[1].valueint = 7;
    nodes[3].type = cJSON_String | cJSON_StringIsConst;
    nodes[3].valuestring = "Zed";
    cJSON person = {.type = cJSON_Object | GQL_JSON_CONSECUTIVE, .child = nodes};
    cJSON *saved = root;
    root = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(root, "person", &person);
    cJSON *plain = cJSON_Duplicate(&person, true); /* a copy is a list like any other */
    ck_assert_int_ne(plain->type & GQL_JSON_CONSECUTIVE, GQL_JSON_CONSECUTIVE);
    cJSON_AddItemToObject(root, "people", cJSON_CreateArray());
    cJSON_AddItemToArray(cJSON_GetObjectItem(root, "people"), plain);
    /* out of order, twice (the remembered positions), a member that is absent (pet) */
    ck_run("{ person { name age pet { __typename } friends { name } name2: name } "
           "people { age name pet { __typename } } }",
           NULL,
           "{\"data\":{\"person\":{\"name\":\"Zed\",\"age\":7,\"pet\":null,\"friends\":null,"
           "\"name2\":\"Zed\"},\"people\":[{\"age\":7,\"name\":\"Zed\",\"pet\":null}]}}");
    cJSON_Delete(root);
    root = saved;
}
END_TEST

static void *run_many(void *arg)
{
    struct shared_run *r = arg;
    for (int i = 0; i < 50; i++) {
        struct gql_exec_args args = {.root_value = root, .raw_data = r->raw};
        bool reqerr;
        cJSON *resp = gql_execute(r->p, &args, &reqerr);
        char *s = cJSON_PrintUnformatted(resp);
        if (s == NULL || strcmp(s, r->expected) != 0)
            r->mismatches++;
        free(s);
        cJSON_Delete(resp);
    }
    return NULL;
}

START_TEST(threads_share_a_prepared_document)
{
    static const char *const queries[] = {
        "{ __schema { types { name kind fields(includeDeprecated: true) { name } } } }",
        "{ people { name friends { name } pet { ... on Dog { barks } } } boom }",
    };
    for (size_t q = 0; q < 2; q++) {
        struct gql_prepared *p = NULL;
        struct gql_errors errs = GQL_ERRORS_INIT;
        ck_assert_int_eq(gql_prepare(schema, queries[q], strlen(queries[q]), NULL, NULL, &p, &errs),
                         GQL_OK);
        /* the expected answer, computed once before the threads start... for the first query
           the threads then race to fill the prepared document's cache */
        struct gql_prepared *ref = NULL;
        ck_assert_int_eq(
            gql_prepare(schema, queries[q], strlen(queries[q]), NULL, NULL, &ref, &errs), GQL_OK);
        struct gql_exec_args args = {.root_value = root};
        bool reqerr;
        cJSON *resp = gql_execute(ref, &args, &reqerr);
        char *expected = cJSON_PrintUnformatted(resp);
        cJSON_Delete(resp);
        gql_prepared_free(ref);
        pthread_t th[4];
        struct shared_run runs[4];
        for (int i = 0; i < 4; i++) {
            runs[i] = (struct shared_run){p, expected, i % 2 == 0, 0};
            pthread_create(&th[i], NULL, run_many, &runs[i]);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            ck_assert_int_eq(runs[i].mismatches, 0);
        }
        free(expected);
        gql_prepared_free(p);
    }
}
END_TEST

int main(void)
{
    build_schema();
    Suite *s = suite_create("gql_execute");
    TCase *tc = tcase_create("execute");
    tcase_add_test(tc, hello_and_defaults);
    tcase_add_test(tc, aliases_and_merging);
    tcase_add_test(tc, null_propagation);
    tcase_add_test(tc, field_errors);
    tcase_add_test(tc, variable_coercion);
    tcase_add_test(tc, input_objects);
    tcase_add_test(tc, fragments_on_abstract_types);
    tcase_add_test(tc, skip_and_include);
    tcase_add_test(tc, operation_selection);
    tcase_add_test(tc, serial_mutations);
    tcase_add_test(tc, limit_bytes_and_tokens);
    tcase_add_test(tc, limit_depth);
    tcase_add_test(tc, limit_fields_and_fragment_bomb);
    tcase_add_test(tc, limit_time_budget);
    tcase_add_test(tc, introspection_small);
    tcase_add_test(tc, introspection_cached_result_is_stable);
    tcase_add_test(tc, subscription_source_and_event);
    tcase_add_test(tc, type_resolver);
    tcase_add_test(tc, threads_share_a_prepared_document);
    tcase_add_test(tc, string_escapes_at_every_position);
    tcase_add_test(tc, numbers_print_as_cjson_prints_them);
    tcase_add_test(tc, consecutive_members_by_position);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    gql_schema_free(schema);
    cJSON_Delete(root);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
