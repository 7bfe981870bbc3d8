// Introspection is complete and correct: graphql-js's own client
// (buildClientSchema + validateSchema) accepts what our engine answers to
// getIntrospectionQuery(), the schema it rebuilds prints exactly as the
// SDL we started from, and the answer equals graphql-js's answer for the
// same SDL (types compared by name: the order of __schema.types is the
// type map's, which graphql-js builds by walking from the roots; @tag's
// locations are written out of DirectiveLocation order, and come back as
// written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  buildClientSchema, buildSchema, getIntrospectionQuery, graphqlSync, printSchema, validateSchema,
} from 'graphql';
import { SOURCE_DIR } from './harness.mjs';

const GQL_EXEC_BIN = process.env.GQL_EXEC_BIN ?? path.resolve('build/tests/gql_exec');

const sdl = `
"""The schema's description"""
schema { query: Root mutation: Mut subscription: Sub }

"An ISO-8601 date"
scalar Date @specifiedBy(url: "https://tools.ietf.org/html/rfc3339")
scalar JSON

"Something with an id"
interface Node { id: ID! }

interface Named implements Node {
  id: ID!
  "The name, maybe in capitals"
  name(upper: Boolean = false): String
}

"""
A dog.
Multi-line description with "quotes".
"""
type Dog implements Named & Node {
  id: ID!
  name(upper: Boolean = false): String
  born: Date
  bark(times: Int = 2, loud: Boolean, tone: Tone = LOW): String @deprecated
  volume: Float @deprecated(reason: "Too \\"loud\\".")
  friends(first: Int = 10, after: String = "", old: Int @deprecated): [Dog!]!
}

type Cat implements Node & Named { id: ID! name(upper: Boolean = false): String lives: Int! }

union Pet = Dog | Cat

enum Tone { LOW "High pitched" HIGH @deprecated(reason: "Scares cats") SHRILL @deprecated }

input Filter {
  "which tone"
  tone: Tone = HIGH
  limit: Int! = 10
  ratio: Float = 1
  ids: [ID!] = [1, "a"]
  tags: [String] = "one"
  range: Range = {lo: 2, tags: ["x", "y"], tone: LOW}
  nested: Filter
  old: String @deprecated(reason: "gone")
  data: JSON
}

input Range { lo: Int! hi: Int = 100 tone: Tone tags: [String!] = [] }

directive @cost(weight: Int = 1, "why" reason: String = "because\\n") repeatable on OBJECT | FIELD_DEFINITION
directive @tag(name: String!) on INPUT_OBJECT | QUERY | ARGUMENT_DEFINITION | FIELD

type Root @cost(weight: 2) {
  pets(filter: Filter = {limit: 5}, first: Int): [Pet] @cost
  node(id: ID!): Node
  today: Date
  tone(t: Tone = SHRILL): Tone
  matrix: [[Int!]]!
}

type Mut { adopt(id: ID!, filter: Filter): Pet }
type Sub { born: Dog }
`;

function execute(schemaSdl, query) {
  const r = spawnSync(GQL_EXEC_BIN, [], { input: JSON.stringify({ schema: schemaSdl, query }) });
  assert.equal(r.status, 0, `gql_exec failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

const options = {
  descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true,
  inputValueDeprecation: true,
};

// The specified directives and the introspection types differ between
// graphql-js releases (16.x added DIRECTIVE_DEFINITION to @deprecated's
// locations, descriptions to __DirectiveLocation): the schema's own are compared.
const specified = new Set(['include', 'skip', 'deprecated', 'specifiedBy', 'oneOf']);

function byName(result) {
  const copy = structuredClone(result);
  copy.data.__schema.types = copy.data.__schema.types.filter(t => !t.name.startsWith('__'))
    .sort((a, b) => a.name.localeCompare(b.name));
  copy.data.__schema.directives = copy.data.__schema.directives.filter(d => !specified.has(d.name));
  return copy;
}

function check(schemaSdl) {
  const query = getIntrospectionQuery(options);
  const ours = execute(schemaSdl, query);
  assert.equal(ours.errors, undefined, JSON.stringify(ours.errors));
  const client = buildClientSchema(ours.data);
  assert.deepEqual(validateSchema(client).map(e => e.message), []);
  const reference = buildSchema(schemaSdl);
  assert.equal(printSchema(client), printSchema(reference));
  const theirs = graphqlSync({ schema: reference, source: query });
  assert.deepEqual(byName(ours), byName(JSON.parse(JSON.stringify(theirs))));
}

test('introspection of a schema with every kind of type rebuilds it exactly', () => {
  check(sdl);
});

test('the introspection of a small query matches graphql-js field for field', () => {
  const query = '{ __type(name: "Filter") { inputFields(includeDeprecated: true) { name defaultValue isDeprecated deprecationReason } } __typename t: __type(name: "Tone") { enumValues { name } } }';
  const ours = execute(sdl, query);
  const theirs = graphqlSync({ schema: buildSchema(sdl), source: query });
  assert.deepEqual(ours, JSON.parse(JSON.stringify(theirs)));
});

test('introspection of Parley\'s own schema', { skip: !existsSync(path.join(SOURCE_DIR, 'graphql/parley.graphql')) }, () => {
  check(readFileSync(path.join(SOURCE_DIR, 'graphql/parley.graphql'), 'utf8'));
});
