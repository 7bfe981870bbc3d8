// Execution matches graphql-js: the same SDL, root value and requests run
// through our engine alone (tests/tools/gql_exec) and through graphql-js's
// graphql(); the responses (data, errors with messages, locations and
// paths) must be deep-equal. The root value is plain data, so both sides
// use their default resolvers and "__typename" for abstract types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildSchema, graphqlSync, parse, validate } from 'graphql';

const GQL_EXEC_BIN = process.env.GQL_EXEC_BIN ?? path.resolve('build/tests/gql_exec');

const sdl = `
interface Named { name: String! }
type Person implements Named { name: String! age: Int friends: [Person!] pet: Pet best: Person! tags: [String]! }
type Dog implements Named { name: String! barks: Boolean! }
type Cat implements Named { name: String! lives: Int }
union Pet = Dog | Cat
enum Color { RED GREEN BLUE }
input Filter { color: Color = RED, min: Int!, tags: [String!] }
type Query {
  people(filter: Filter, first: Int = 10): [Person]
  person(id: ID): Person
  strict: Person!
  pets: [Pet]
  named: [Named!]
  numbers: [Int!]
  floats: [Float]
  strings: [String]
  bools: [Boolean]
  ids: [ID]
  color: Color
  colors: [Color!]!
  matrix: [[Int]]
}
`;

const rootValue = {
  people: [
    { name: 'Ann', age: 30, friends: [{ name: 'Bob', tags: [] }], pet: { __typename: 'Dog', name: 'Rex', barks: true },
      best: { name: 'Cy', tags: ['a'] }, tags: ['x', null] },
    { name: 'Bob', age: 25.5, friends: [{ name: null, tags: [] }], pet: { __typename: 'Cat', name: 'Tom', lives: 9 },
      best: null, tags: null },
    null,
  ],
  person: { name: 'Dee', age: 2147483648, tags: [1, true, 2.5] },
  strict: { name: 'Eve', best: { name: null } },
  pets: [{ __typename: 'Dog', name: 'Rex', barks: 1 }, { __typename: 'Cat', name: 'Tom' }, { __typename: 'Fish' }, { name: 'x' }],
  named: [{ __typename: 'Person', name: 'Ann', tags: [] }, { __typename: 'Dog', name: null, barks: false }],
  numbers: [1, 2, '3', true],
  // Numbers print as cJSON prints them everywhere in Parley (15 significant
  // digits when they read back within an epsilon, else 17): the same values
  // as JavaScript's except where cJSON's epsilon rounds (0.1 + 0.2 is 0.3).
  floats: [1.5, '2.5', 'abc', false, 1e300, 1e-7, 0.0001, 123456789012345680000, -0.5, 1e21,
    2 ** 53 + 2, 0.87, 0.0001234, 99.99, 1 / 3, 1.005, 1234567.891, -12.5e-3, 3.14159265, 5e-324, -0],
  strings: ['a', 1, 2.5, true, 1e21, 1e-7, 0.000001],
  bools: [true, 0, 1, 'yes'],
  ids: ['a', 1, 1.5],
  color: 'PURPLE',
  colors: ['RED', 'GREEN'],
  matrix: [[1, null], null, [3]],
};

function ours(query, variables, operationName) {
  const r = spawnSync(GQL_EXEC_BIN, [], {
    input: JSON.stringify({ schema: sdl, query, variables, operationName, rootValue }),
  });
  assert.equal(r.status, 0, `gql_exec failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

const schema = buildSchema(sdl);

function theirs(query, variables, operationName) {
  return JSON.parse(JSON.stringify(graphqlSync({ schema, source: query, rootValue, variableValues: variables, operationName })));
}

const cases = [
  ['{ people { name age } }'],
  ['{ people { name friends { name } best { name } tags } }'],
  ['{ person { name age tags } }'],
  ['{ strict { name best { name } } }'],
  ['{ a: people { n: name } b: people { name ...on Person { age } } }'],
  ['{ pets { __typename ... on Dog { barks } ... on Named { name } } }'],
  ['{ named { name ... on Person { age } } }'],
  ['{ numbers floats strings bools ids }'],
  ['{ color colors matrix }'],
  ['query($c: Boolean!) { people { name @skip(if: $c) age @include(if: $c) } }', { c: true }],
  ['query($c: Boolean!) { people { ...F @include(if: $c) } } fragment F on Person { name }', { c: false }],
  ['query($f: Filter) { people(filter: $f) { name } }', { f: { min: 1, tags: 'a' } }],
  ['query($f: Filter) { people(filter: $f) { name } }', { f: { color: 'PINK', min: '1', extra: 1 } }],
  ['query($f: Filter!, $n: Int) { people(filter: $f, first: $n) { name } }', {}],
  ['query($n: Int) { people(first: $n) { name } }', { n: 2147483648 }],
  ['query($id: ID) { person(id: $id) { name } }', { id: 12 }],
  ['query($id: ID) { person(id: $id) { name } }', { id: true }],
  ['query A { color } query B { colors }', {}, 'B'],
  ['query A { color } query B { colors }', {}],
  ['query A { color }', {}, 'C'],
  ['{ __typename people { __typename } pets { __typename } }'],
];

for (const [query, variables, operationName] of cases) {
  test(`same response as graphql-js: ${query}${variables ? ' ' + JSON.stringify(variables) : ''}`, () => {
    assert.deepEqual(ours(query, variables, operationName), theirs(query, variables, operationName));
  });
}

// Random documents (a fixed seed, so failures reproduce): nested selections,
// aliases that merge or collide, inline fragments on objects, interfaces and
// unions, @skip/@include with literals and a variable. Only documents
// graphql-js finds valid are run.
test('200 random queries answer as graphql-js does', () => {
  let seed = 20261126;
  const rnd = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; return (seed >>> 16) % n; };
  const pick = (a) => a[rnd(a.length)];
  const fieldsOf = {
    Query: ['people', 'person', 'strict', 'pets', 'named', 'numbers', 'floats', 'strings', 'bools', 'ids',
      'color', 'colors', 'matrix', '__typename'],
    Person: ['name', 'age', 'friends', 'pet', 'best', 'tags', '__typename'],
    Dog: ['name', 'barks', '__typename'], Cat: ['name', 'lives', '__typename'],
    Named: ['name', '__typename'], Pet: ['__typename'],
  };
  const typeOf = { people: 'Person', person: 'Person', strict: 'Person', pets: 'Pet', named: 'Named',
    friends: 'Person', pet: 'Pet', best: 'Person' };
  const conditions = { Person: ['Person', 'Named'], Dog: ['Dog', 'Named', 'Pet'], Cat: ['Cat', 'Named', 'Pet'],
    Named: ['Person', 'Dog', 'Cat', 'Named'], Pet: ['Dog', 'Cat', 'Pet'], Query: ['Query'] };
  const selection = (type, depth) => {
    const out = [];
    for (let i = 1 + rnd(4); i > 0; i--) {
      const dir = rnd(6) === 0 ? pick([' @skip(if: true)', ' @skip(if: false)', ' @include(if: $b)', ' @skip(if: $b)']) : '';
      if (rnd(10) < 2 && depth < 4) {
        const c = pick(conditions[type]);
        out.push(`... on ${c}${dir} { ${selection(c, depth + 1)} }`);
        continue;
      }
      const f = pick(fieldsOf[type]);
      const alias = rnd(5) === 0 ? pick(['a', 'b', 'x']) + ': ' : '';
      const sub = typeOf[f];
      out.push(sub ? `${alias}${f}${dir} { ${depth < 4 ? selection(sub, depth + 1) : '__typename'} }` : `${alias}${f}${dir}`);
    }
    return out.join(' ');
  };
  let ran = 0;
  while (ran < 200) {
    const query = `query($b: Boolean = ${pick(['true', 'false'])}) { ${selection('Query', 0)} ... @include(if: $b) { __typename } }`;
    if (validate(schema, parse(query)).length > 0)
      continue;
    ran++;
    assert.deepEqual(ours(query), theirs(query), query);
  }
});

// Random variables against every kind of input type: scalars out of range or
// of the wrong kind, enums, lists (wrapped or not), nested input objects with
// missing, unknown and defaulted fields. The error messages (inspect()'d
// values, paths, "Did you mean") must be graphql-js's.
test('300 random variable values coerce as graphql-js coerces them', () => {
  const inputSdl = `enum Color { RED GREEN BLUE }
input Inner { x: Int! y: [String] = ["d"] }
input Filter { color: Color = RED, min: Int!, tags: [String!], inner: Inner, list: [Inner!] }
type Query { f(i: Int, fl: Float, s: String, b: Boolean, id: ID, c: Color, li: [Int], lnn: [Int!]!, o: Filter, lo: [Filter], nn: Int!): Int }`;
  const inputSchema = buildSchema(inputSdl);
  let seed = 42;
  const rnd = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; return (seed >>> 16) % n; };
  const pick = (a) => a[rnd(a.length)];
  const scalar = () => pick([0, 1, -1, 1.5, 2147483647, 2147483648, -2147483649, 1e100, 'RED', 'abc', '', '12',
    true, false, null, 'GREEN', 'RDE']);
  const value = (d) => {
    const r = rnd(10);
    if (d > 2 || r < 5) return scalar();
    if (r < 7) { const a = []; for (let i = rnd(4); i > 0; i--) a.push(value(d + 1)); return a; }
    const o = {};
    for (const k of pick([['min'], ['min', 'color'], ['x'], ['x', 'y'], ['min', 'inner'], ['bogus'], ['min', 'list'], ['min', 'tags'], []]))
      o[k] = k === 'inner' ? { x: value(d + 1) } : k === 'list' ? [{ x: 1 }, value(d + 1)] : value(d + 1);
    return o;
  };
  const vars = [['i', 'Int'], ['fl', 'Float'], ['s', 'String'], ['b', 'Boolean'], ['id', 'ID'], ['c', 'Color'],
    ['li', '[Int]'], ['lnn', '[Int!]!'], ['o', 'Filter'], ['lo', '[Filter]'], ['nn', 'Int!']];
  for (let i = 0; i < 300; i++) {
    const [name, type] = pick(vars);
    const others = vars.filter(v => v[1].endsWith('!') && v[0] !== name);
    const query = `query($v: ${type}${others.map(o => `, $${o[0]}: ${o[1]}`).join('')}) { f(${name}: $v${others.map(o => `, ${o[0]}: $${o[0]}`).join('')}) }`;
    const variables = rnd(8) === 0 ? {} : { v: value(0), lnn: [1], nn: 1 };
    const r = spawnSync(GQL_EXEC_BIN, [], { input: JSON.stringify({ schema: inputSdl, query, variables, rootValue: { f: 1 } }) });
    const theirs = graphqlSync({ schema: inputSchema, source: query, variableValues: variables, rootValue: { f: 1 } });
    assert.deepEqual(JSON.parse(r.stdout.toString()), JSON.parse(JSON.stringify(theirs)), `${query} ${JSON.stringify(variables)}`);
  }
});
