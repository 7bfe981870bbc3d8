/*
 * Unit tests of graphql/validate*.c, one per family of rules, so a
 * regression shows without node: the document-level rules (operations,
 * fragments, variables), the field and directive rules, literal values,
 * overlapping fields, the optional rules, and the guards (the error cap,
 * fragment cycles and chains thousands long, thousands of repeated fields).
 * The expected errors (message, first location, number of locations) are
 * what graphql-js 16 reports for the same schema and documents.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graphql/graphql.h"

struct expected {
    const char *rule;
    const char *message;
    uint32_t line, column;
    size_t nlocations;
};

static const char sdl[] =
    "\n"
    "directive @onField on FIELD\n"
    "directive @rep repeatable on FIELD\n"
    "directive @req(x: Int!) on FIELD | QUERY\n"
    "interface Pet { name: String }\n"
    "type Dog implements Pet { name: String nickname: String barkVolume: Int owner: Human "
    "doesKnow(cmd: Command!): Boolean old: String @deprecated(reason: \"Use name.\") }\n"
    "type Cat implements Pet { name: String meows: Boolean }\n"
    "union CatOrDog = Cat | Dog\n"
    "type Human { name: String pets: [Pet] relatives: [Human] }\n"
    "enum Command { SIT HEEL DOWN }\n"
    "input Filter { name: String! limit: Int = 10 tags: [String!] }\n"
    "type Query { dog: Dog pet: Pet human(id: ID!): Human search(filter: Filter, n: Int): "
    "[CatOrDog] }\n"
    "type Subscription { a: String b: String }\n"
    "";

static const char q_valid[] =
    "query Q($id: ID!, $f: Filter = {name: \"x\"}, $skip: Boolean!) {\n"
    "  dog { name ...D @skip(if: $skip) doesKnow(cmd: SIT) owner { relatives { name } } }\n"
    "  human(id: $id) { pets { name ... on Dog { barkVolume } } }\n"
    "  search(filter: $f, n: 3) { ... on Cat { meows } ... on Pet { name } __typename }\n"
    "}\n"
    "fragment D on Dog { nickname name }\n"
    "subscription S { a }";

static const char q_document[] = "query A { dog { name } }\n"
                                 "query A { dog { ...X } }\n"
                                 "{ dog { ...Cyc } }\n"
                                 "fragment Unused on Dog { name }\n"
                                 "fragment Cyc on Dog { owner { pets { ...Cyc2 } } }\n"
                                 "fragment Cyc2 on Dog { ...Cyc }\n"
                                 "query V($u: Int, $id: String, $d: Int, $d: Int) { human(id: $id) "
                                 "{ name } pet { name ... on Dog { doesKnow(cmd: $cmd) } } }\n"
                                 "subscription { a b }";

static const struct expected e_document[] = {
    {"UniqueOperationNamesRule", "There can be only one operation named \"A\".", 1, 7, 2},
    {"KnownFragmentNamesRule", "Unknown fragment \"X\".", 2, 20, 1},
    {"LoneAnonymousOperationRule", "This anonymous operation must be the only defined operation.",
     3, 1, 1},
    {"NoFragmentCyclesRule", "Cannot spread fragment \"Cyc\" within itself via \"Cyc2\".", 5, 38,
     2},
    {"UniqueVariableNamesRule", "There can be only one variable named \"$d\".", 7, 32, 2},
    {"NoUndefinedVariablesRule", "Variable \"$cmd\" is not defined by operation \"V\".", 7, 113, 2},
    {"NoUnusedVariablesRule", "Variable \"$u\" is never used in operation \"V\".", 7, 9, 1},
    {"NoUnusedVariablesRule", "Variable \"$d\" is never used in operation \"V\".", 7, 31, 1},
    {"NoUnusedVariablesRule", "Variable \"$d\" is never used in operation \"V\".", 7, 40, 1},
    {"VariablesInAllowedPositionRule",
     "Variable \"$id\" of type \"String\" used in position expecting type \"ID!\".", 7, 18, 2},
    {"LoneAnonymousOperationRule", "This anonymous operation must be the only defined operation.",
     8, 1, 1},
    {"SingleFieldSubscriptionsRule", "Anonymous Subscription must select only one top level field.",
     8, 18, 1},
    {"NoUnusedFragmentsRule", "Fragment \"Unused\" is never used.", 4, 1, 1},
};

static const char q_fields[] =
    "{ dog { nam } pet { meows } human { name { x } } dog { owner } dog { doesKnow(cmd: SIT, cmd: "
    "HEEL, cnd: SIT) @onField @onField @rep @rep @nope @req }\n"
    "  pet { ... on Human { name } ... on Command { x } } }\n"
    "fragment F on Int { x }\n"
    "query @onField { dog { name } }";

static const struct expected e_fields[] = {
    {"LoneAnonymousOperationRule", "This anonymous operation must be the only defined operation.",
     1, 1, 1},
    {"FieldsOnCorrectTypeRule",
     "Cannot query field \"nam\" on type \"Dog\". Did you mean \"name\"?", 1, 9, 1},
    {"FieldsOnCorrectTypeRule",
     "Cannot query field \"meows\" on type \"Pet\". Did you mean to use an inline fragment on "
     "\"Cat\"?",
     1, 21, 1},
    {"ScalarLeafsRule",
     "Field \"name\" must not have a selection since type \"String\" has no subfields.", 1, 42, 1},
    {"ProvidedRequiredArgumentsRule",
     "Field \"human\" argument \"id\" of type \"ID!\" is required, but it was not provided.", 1, 29,
     1},
    {"ScalarLeafsRule",
     "Field \"owner\" of type \"Human\" must have a selection of subfields. Did you mean \"owner { "
     "... }\"?",
     1, 56, 1},
    {"UniqueDirectivesPerLocationRule",
     "The directive \"@onField\" can only be used once at this location.", 1, 110, 2},
    {"UniqueArgumentNamesRule", "There can be only one argument named \"cmd\".", 1, 79, 2},
    {"KnownArgumentNamesRule",
     "Unknown argument \"cnd\" on field \"Dog.doesKnow\". Did you mean \"cmd\"?", 1, 100, 1},
    {"KnownDirectivesRule", "Unknown directive \"@nope\".", 1, 138, 1},
    {"ProvidedRequiredArgumentsRule",
     "Directive \"@req\" argument \"x\" of type \"Int!\" is required, but it was not provided.", 1,
     144, 1},
    {"PossibleFragmentSpreadsRule",
     "Fragment cannot be spread here as objects of type \"Pet\" can never be of type \"Human\".", 2,
     9, 1},
    {"FragmentsOnCompositeTypesRule",
     "Fragment cannot condition on non composite type \"Command\".", 2, 38, 1},
    {"FragmentsOnCompositeTypesRule",
     "Fragment \"F\" cannot condition on non composite type \"Int\".", 3, 15, 1},
    {"LoneAnonymousOperationRule", "This anonymous operation must be the only defined operation.",
     4, 1, 1},
    {"KnownDirectivesRule", "Directive \"@onField\" may not be used on QUERY.", 4, 7, 1},
    {"NoUnusedFragmentsRule", "Fragment \"F\" is never used.", 3, 1, 1},
};

static const char q_values[] =
    "{ dog { a: doesKnow(cmd: SITT) b: doesKnow(cmd: \"SIT\") c: doesKnow(cmd: null) }\n"
    "  search(n: 2147483648, filter: {limit: \"ten\", nme: \"x\", limit: 1, tags: [null, \"a\"]}) "
    "{ __typename }\n"
    "  human(id: 4.5) { name } x: search(filter: [{name: \"a\"}], n: [1]) { __typename } }";

static const struct expected e_values[] = {
    {"ValuesOfCorrectTypeRule",
     "Value \"SITT\" does not exist in \"Command\" enum. Did you mean the enum value \"SIT\"?", 1,
     26, 1},
    {"ValuesOfCorrectTypeRule",
     "Enum \"Command\" cannot represent non-enum value: \"SIT\". Did you mean the enum value "
     "\"SIT\"?",
     1, 49, 1},
    {"ValuesOfCorrectTypeRule", "Expected value of type \"Command!\", found null.", 1, 73, 1},
    {"ValuesOfCorrectTypeRule", "Int cannot represent non 32-bit signed integer value: 2147483648",
     2, 13, 1},
    {"ValuesOfCorrectTypeRule",
     "Field \"Filter.name\" of required type \"String!\" was not provided.", 2, 33, 1},
    {"ValuesOfCorrectTypeRule", "Int cannot represent non-integer value: \"ten\"", 2, 41, 1},
    {"ValuesOfCorrectTypeRule",
     "Field \"nme\" is not defined by type \"Filter\". Did you mean \"name\"?", 2, 48, 1},
    {"UniqueInputFieldNamesRule", "There can be only one input field named \"limit\".", 2, 34, 2},
    {"ValuesOfCorrectTypeRule", "Expected value of type \"String!\", found null.", 2, 75, 1},
    {"ValuesOfCorrectTypeRule", "ID cannot represent a non-string and non-integer value: 4.5", 3,
     13, 1},
    {"ValuesOfCorrectTypeRule", "Expected value of type \"Filter\", found [{name: \"a\"}].", 3, 45,
     1},
    {"ValuesOfCorrectTypeRule", "Int cannot represent non-integer value: [1]", 3, 63, 1},
};

static const char q_overlap[] =
    "{ dog { name: nickname name } dog { owner { n: name } owner { n: relatives { name } } } pet { "
    "... on Dog { barkVolume } ... on Cat { barkVolume: meows } } }\n"
    "{ dog { doesKnow(cmd: SIT) doesKnow(cmd: HEEL) ...O } }\n"
    "fragment O on Dog { doesKnow: name }";

static const struct expected e_overlap[] = {
    {"LoneAnonymousOperationRule", "This anonymous operation must be the only defined operation.",
     1, 1, 1},
    {"OverlappingFieldsCanBeMergedRule",
     "Fields \"name\" conflict because \"nickname\" and \"name\" are different fields. Use "
     "different aliases on the fields to fetch both if this was intentional.",
     1, 9, 2},
    {"OverlappingFieldsCanBeMergedRule",
     "Fields \"owner\" conflict because subfields \"n\" conflict because \"name\" and "
     "\"relatives\" are different fields. Use different aliases on the fields to fetch both if "
     "this was intentional.",
     1, 37, 4},
    {"OverlappingFieldsCanBeMergedRule",
     "Fields \"barkVolume\" conflict because they return conflicting types \"Int\" and "
     "\"Boolean\". Use different aliases on the fields to fetch both if this was intentional.",
     1, 108, 2},
    {"LoneAnonymousOperationRule", "This anonymous operation must be the only defined operation.",
     2, 1, 1},
    {"OverlappingFieldsCanBeMergedRule",
     "Fields \"doesKnow\" conflict because they have differing arguments. Use different aliases on "
     "the fields to fetch both if this was intentional.",
     2, 9, 2},
    {"OverlappingFieldsCanBeMergedRule",
     "Fields \"doesKnow\" conflict because \"doesKnow\" and \"name\" are different fields. Use "
     "different aliases on the fields to fetch both if this was intentional.",
     2, 9, 2},
    {"OverlappingFieldsCanBeMergedRule",
     "Fields \"doesKnow\" conflict because \"doesKnow\" and \"name\" are different fields. Use "
     "different aliases on the fields to fetch both if this was intentional.",
     2, 28, 2},
};

static const char q_custom[] = "{ dog { old doesKnow(cmd: SIT) } __schema { types { name } } }";

static const struct expected e_custom[] = {
    {"NoDeprecatedCustomRule", "The field Dog.old is deprecated. Use name.", 1, 9, 1},
    {"NoSchemaIntrospectionCustomRule",
     "GraphQL introspection has been disabled, but the requested query contained the field "
     "\"__schema\".",
     1, 34, 1},
    {"NoSchemaIntrospectionCustomRule",
     "GraphQL introspection has been disabled, but the requested query contained the field "
     "\"types\".",
     1, 45, 1},
};

static struct gql_schema *schema;

static void setup(void)
{
    struct gql_errors errs = GQL_ERRORS_INIT;
    int rc = gql_schema_new(sdl, strlen(sdl), &schema, &errs);
    ck_assert_msg(rc == GQL_OK, "schema: %s", errs.n ? errs.items[0].message : "?");
    gql_errors_release(&errs);
}

static void teardown(void)
{
    gql_schema_free(schema);
    schema = NULL;
}

/* Parses and validates src; returns gql_validate_ex's code, errors in *errs. */
static int run(const char *src, unsigned options, struct gql_errors *errs)
{
    struct gql_document *doc = NULL;
    int rc = gql_parse(src, strlen(src), NULL, &doc, errs);
    ck_assert_msg(rc == GQL_OK, "parse: %s", errs->n ? errs->items[0].message : "?");
    rc = gql_validate_ex(schema, doc, options, errs);
    gql_document_free(doc);
    return rc;
}

/* Exactly the expected errors, in any order. */
static void expect(const char *src, unsigned options, const struct expected *want, size_t n)
{
    struct gql_errors errs = GQL_ERRORS_INIT;
    int rc = run(src, options, &errs);
    ck_assert_int_eq(rc, n == 0 ? GQL_OK : GQL_EINVALID);
    for (size_t i = 0; errs.n != n && i < errs.n; i++)
        fprintf(stderr, "  got %s: %s at %u:%u\n", errs.items[i].rule ? errs.items[i].rule : "-",
                errs.items[i].message,
                errs.items[i].nlocations ? errs.items[i].locations[0].line : 0,
                errs.items[i].nlocations ? errs.items[i].locations[0].column : 0);
    ck_assert_uint_eq(errs.n, n);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < errs.n && !found; j++) {
            const struct gql_error *e = &errs.items[j];
            found = e->rule != NULL && strcmp(e->rule, want[i].rule) == 0 &&
                    strcmp(e->message, want[i].message) == 0 &&
                    e->nlocations == want[i].nlocations && e->locations[0].line == want[i].line &&
                    e->locations[0].column == want[i].column;
        }
        ck_assert_msg(found, "missing %s: %s at %u:%u", want[i].rule, want[i].message, want[i].line,
                      want[i].column);
    }
    gql_errors_release(&errs);
}

#define EXPECT(src, options, arr) expect(src, options, arr, sizeof arr / sizeof arr[0])

START_TEST(test_valid)
{
    expect(q_valid, 0, NULL, 0);
    expect(q_valid, GQL_VALIDATE_NO_DEPRECATED | GQL_VALIDATE_NO_SCHEMA_INTROSPECTION, NULL, 0);
}
END_TEST

START_TEST(test_document_rules)
{
    EXPECT(q_document, 0, e_document);
}
END_TEST

START_TEST(test_field_rules)
{
    EXPECT(q_fields, 0, e_fields);
}
END_TEST

START_TEST(test_value_rules)
{
    EXPECT(q_values, 0, e_values);
}
END_TEST

START_TEST(test_overlap)
{
    EXPECT(q_overlap, 0, e_overlap);
    /* the same fields through fragments on different object types may differ */
    expect("{ pet { ...A ...B } } fragment A on Dog { x: nickname } fragment B on Cat { x: name }",
           0, NULL, 0);
}
END_TEST

START_TEST(test_custom_rules)
{
    /* off by default: NoDeprecated and NoSchemaIntrospection are graphql-js's optional rules */
    expect(q_custom, 0, NULL, 0);
    EXPECT(q_custom, GQL_VALIDATE_NO_DEPRECATED | GQL_VALIDATE_NO_SCHEMA_INTROSPECTION, e_custom);
}
END_TEST

/* A document of n copies of unit (with %d replaced by the index) between head and tail. */
static char *repeat(const char *head, const char *unit, const char *tail, int n)
{
    size_t cap = strlen(head) + strlen(tail) + (size_t)n * (strlen(unit) + 24) + 1, len = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    len += (size_t)snprintf(s + len, cap - len, "%s", head);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, unit, i, i + 1);
    snprintf(s + len, cap - len, "%s", tail);
    return s;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(test_error_cap)
{
    char *src = repeat("{ dog { ", "f%d ", "} }", 150);
    struct gql_errors errs = GQL_ERRORS_INIT;
    ck_assert_int_eq(run(src, 0, &errs), GQL_EINVALID);
    ck_assert_uint_eq(errs.n, 101);
    ck_assert_str_eq(errs.items[100].message,
                     "Too many validation errors, error limit reached. Validation aborted.");
    gql_errors_release(&errs);
    free(src);
}
END_TEST

START_TEST(test_fragment_chains)
{
    /* a cycle through 3000 fragments: the error names the path, no deep recursion; comparing
       the chain's fields then exceeds graphql-js's complexity budget for the overlap rule, and
       validation stops there as graphql-js's does */
    char *src = repeat("{ dog { ...F0 } }\n", "fragment F%d on Dog { name ...F%d }\n",
                       "fragment F3000 on Dog { ...F0 }", 3000);
    struct gql_errors errs = GQL_ERRORS_INIT;
    ck_assert_int_eq(run(src, 0, &errs), GQL_EINVALID);
    ck_assert_uint_eq(errs.n, 2);
    ck_assert_str_eq(errs.items[0].rule, "NoFragmentCyclesRule");
    ck_assert_uint_eq(errs.items[0].nlocations, 3001);
    ck_assert(strncmp(errs.items[0].message,
                      "Cannot spread fragment \"F0\" within itself via \"F1\", \"F2\",", 55) == 0);
    ck_assert_str_eq(errs.items[1].message, "Validation aborted.");
    gql_errors_release(&errs);
    free(src);
    /* a chain of 200 without the cycle is valid */
    src = repeat("{ dog { ...F0 } }\n", "fragment F%d on Dog { name ...F%d }\n",
                 "fragment F200 on Dog { name }", 200);
    ck_assert_int_eq(run(src, 0, &errs), GQL_OK);
    gql_errors_release(&errs);
    free(src);
}
END_TEST

START_TEST(test_repeated_fields_linear)
{
    /* 20000 identical fields and 3000 identical sub-selections: graphql-js compares every pair
       (hundreds of millions of comparisons); classes of identical fields make it one pass */
    char *leaves = repeat("{ dog { ", "name ", "} }", 20000);
    char *subs = repeat("{ ", "dog { name owner { name } } ", "}", 3000);
    struct gql_errors errs = GQL_ERRORS_INIT;
    double t0 = seconds();
    ck_assert_int_eq(run(leaves, 0, &errs), GQL_OK);
    ck_assert_int_eq(run(subs, 0, &errs), GQL_OK);
    double t1 = seconds();
    ck_assert_msg(t1 - t0 < 1.0, "took %.3f s", t1 - t0);
    /* a conflict among the copies is still found, once per pair that differs */
    char *mixed = repeat("{ dog { ", "name ", "name: nickname } }", 500);
    ck_assert_int_eq(run(mixed, 0, &errs), GQL_EINVALID);
    ck_assert_uint_eq(errs.n, 101); /* 500 conflicts, capped */
    ck_assert_str_eq(errs.items[0].rule, "OverlappingFieldsCanBeMergedRule");
    gql_errors_release(&errs);
    free(leaves);
    free(subs);
    free(mixed);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gql_validate");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_valid);
    tcase_add_test(tc, test_document_rules);
    tcase_add_test(tc, test_field_rules);
    tcase_add_test(tc, test_value_rules);
    tcase_add_test(tc, test_overlap);
    tcase_add_test(tc, test_custom_rules);
    suite_add_tcase(s, tc);
    tc = tcase_create("guards");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_error_cap);
    tcase_add_test(tc, test_fragment_chains);
    tcase_add_test(tc, test_repeated_fields_linear);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
