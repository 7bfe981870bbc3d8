/*
 * The parts of every schema the specification defines: the five scalars,
 * the four directives graphql-js ships (@include, @skip, @deprecated,
 * @specifiedBy) and the introspection types. They are written as SDL and
 * built by the same code as a user's schema, so introspection describes
 * itself without special cases; execute.c and introspection.c resolve them.
 */
#include "graphql/internal.h"

const char gql_builtin_sdl[] =
    "\"The `Int` scalar type represents non-fractional signed whole numeric values. Int can "
    "represent values between -(2^31) and 2^31 - 1.\"\n"
    "scalar Int\n"
    "\"The `Float` scalar type represents signed double-precision fractional values as specified "
    "by [IEEE 754](https://en.wikipedia.org/wiki/IEEE_floating_point).\"\n"
    "scalar Float\n"
    "\"The `String` scalar type represents textual data, represented as UTF-8 character "
    "sequences. The String type is most often used by GraphQL to represent free-form "
    "human-readable text.\"\n"
    "scalar String\n"
    "\"The `Boolean` scalar type represents `true` or `false`.\"\n"
    "scalar Boolean\n"
    "\"The `ID` scalar type represents a unique identifier, often used to refetch an object or "
    "as key for a cache. The ID type appears in a JSON response as a String; however, it is not "
    "intended to be human-readable. When expected as an input type, any string (such as "
    "`\\\"4\\\"`) or integer (such as `4`) input value will be accepted as an ID.\"\n"
    "scalar ID\n"
    "\"Directs the executor to include this field or fragment only when the `if` argument is "
    "true.\"\n"
    "directive @include(\"Included when true.\" if: Boolean!) "
    "on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "\"Directs the executor to skip this field or fragment when the `if` argument is true.\"\n"
    "directive @skip(\"Skipped when true.\" if: Boolean!) "
    "on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "\"Marks an element of a GraphQL schema as no longer supported.\"\n"
    "directive @deprecated(\n"
    "  \"Explains why this element was deprecated, usually also including a suggestion for how "
    "to access supported similar data. Formatted using the Markdown syntax, as specified by "
    "[CommonMark](https://commonmark.org/).\"\n"
    "  reason: String = \"No longer supported\"\n"
    ") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE\n"
    "\"Exposes a URL that specifies the behavior of this scalar.\"\n"
    "directive @specifiedBy(\"The URL that specifies the behavior of this scalar.\" url: "
    "String!) on SCALAR\n";

const char gql_introspection_sdl[] =
    "\"A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all available "
    "types and directives on the server, as well as the entry points for query, mutation, and "
    "subscription operations.\"\n"
    "type __Schema {\n"
    "  description: String\n"
    "  \"A list of all types supported by this server.\"\n"
    "  types: [__Type!]!\n"
    "  \"The type that query operations will be rooted at.\"\n"
    "  queryType: __Type!\n"
    "  \"If this server supports mutation, the type that mutation operations will be rooted "
    "at.\"\n"
    "  mutationType: __Type\n"
    "  \"If this server support subscription, the type that subscription operations will be "
    "rooted at.\"\n"
    "  subscriptionType: __Type\n"
    "  \"A list of all directives supported by this server.\"\n"
    "  directives: [__Directive!]!\n"
    "}\n"
    "\"The fundamental unit of any GraphQL Schema is the type. There are many kinds of types in "
    "GraphQL as represented by the `__TypeKind` enum.\\n\\nDepending on the kind of a type, "
    "certain fields describe information about that type. Scalar types provide no information "
    "beyond a name, description and optional `specifiedByURL`, while Enum types provide their "
    "values. Object and Interface types provide the fields they describe. Abstract types, Union "
    "and Interface, provide the Object types possible at runtime. List and NonNull types compose "
    "other types.\"\n"
    "type __Type {\n"
    "  kind: __TypeKind!\n"
    "  name: String\n"
    "  description: String\n"
    "  specifiedByURL: String\n"
    "  fields(includeDeprecated: Boolean = false): [__Field!]\n"
    "  interfaces: [__Type!]\n"
    "  possibleTypes: [__Type!]\n"
    "  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]\n"
    "  inputFields(includeDeprecated: Boolean = false): [__InputValue!]\n"
    "  ofType: __Type\n"
    "}\n"
    "\"An enum describing what kind of type a given `__Type` is.\"\n"
    "enum __TypeKind {\n"
    "  \"Indicates this type is a scalar.\"\n"
    "  SCALAR\n"
    "  \"Indicates this type is an object. `fields` and `interfaces` are valid fields.\"\n"
    "  OBJECT\n"
    "  \"Indicates this type is an interface. `fields`, `interfaces`, and `possibleTypes` are "
    "valid fields.\"\n"
    "  INTERFACE\n"
    "  \"Indicates this type is a union. `possibleTypes` is a valid field.\"\n"
    "  UNION\n"
    "  \"Indicates this type is an enum. `enumValues` is a valid field.\"\n"
    "  ENUM\n"
    "  \"Indicates this type is an input object. `inputFields` is a valid field.\"\n"
    "  INPUT_OBJECT\n"
    "  \"Indicates this type is a list. `ofType` is a valid field.\"\n"
    "  LIST\n"
    "  \"Indicates this type is a non-null. `ofType` is a valid field.\"\n"
    "  NON_NULL\n"
    "}\n"
    "\"Object and Interface types are described by a list of Fields, each of which has a name, "
    "potentially a list of arguments, and a return type.\"\n"
    "type __Field {\n"
    "  name: String!\n"
    "  description: String\n"
    "  args(includeDeprecated: Boolean = false): [__InputValue!]!\n"
    "  type: __Type!\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "\"Arguments provided to Fields or Directives and the input fields of an InputObject are "
    "represented as Input Values which describe their type and optionally a default value.\"\n"
    "type __InputValue {\n"
    "  name: String!\n"
    "  description: String\n"
    "  type: __Type!\n"
    "  \"A GraphQL-formatted string representing the default value for this input value.\"\n"
    "  defaultValue: String\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "\"One possible value for a given Enum. Enum values are unique values, not a placeholder for "
    "a string or numeric value. However an Enum value is returned in a JSON response as a "
    "string.\"\n"
    "type __EnumValue {\n"
    "  name: String!\n"
    "  description: String\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "\"A Directive provides a way to describe alternate runtime execution and type validation "
    "behavior in a GraphQL document.\\n\\nIn some cases, you need to provide options to alter "
    "GraphQL's execution behavior in ways field arguments will not suffice, such as "
    "conditionally including or skipping a field. Directives provide this by describing "
    "additional information to the executor.\"\n"
    "type __Directive {\n"
    "  name: String!\n"
    "  description: String\n"
    "  isRepeatable: Boolean!\n"
    "  locations: [__DirectiveLocation!]!\n"
    "  args(includeDeprecated: Boolean = false): [__InputValue!]!\n"
    "}\n"
    "\"A Directive can be adjacent to many parts of the GraphQL language, a "
    "__DirectiveLocation describes one such possible adjacencies.\"\n"
    "enum __DirectiveLocation {\n"
    "  QUERY\n  MUTATION\n  SUBSCRIPTION\n  FIELD\n  FRAGMENT_DEFINITION\n  FRAGMENT_SPREAD\n"
    "  INLINE_FRAGMENT\n  VARIABLE_DEFINITION\n  SCHEMA\n  SCALAR\n  OBJECT\n"
    "  FIELD_DEFINITION\n  ARGUMENT_DEFINITION\n  INTERFACE\n  UNION\n  ENUM\n  ENUM_VALUE\n"
    "  INPUT_OBJECT\n  INPUT_FIELD_DEFINITION\n"
    "}\n";

const char *const gql_directive_location_names[GQL_NDIRECTIVE_LOCATIONS] = {
    "QUERY",
    "MUTATION",
    "SUBSCRIPTION",
    "FIELD",
    "FRAGMENT_DEFINITION",
    "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT",
    "VARIABLE_DEFINITION",
    "SCHEMA",
    "SCALAR",
    "OBJECT",
    "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION",
    "INTERFACE",
    "UNION",
    "ENUM",
    "ENUM_VALUE",
    "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION",
};
