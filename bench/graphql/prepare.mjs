// bench/graphql: the data and the requests for run.sh.
//
//   node prepare.mjs seed    PARLEY_URL TOKEN OUT   100 turns, data.json and the request bodies
//   node prepare.mjs compare PARLEY_URL NODE_URL TOKEN OUT   both answer each body the same
//
// seed drives one FlowerShop conversation to TURNS turns (default 100) through
// the GraphQL postText mutation and Lex V1 PostText, then exports everything the
// Node server serves with one GraphQL query whose selection is generated from
// the schema (every field without required arguments, to any depth, stopping at
// a type already on the path), and writes OUT/data.json plus one request body per
// benchmark row (OUT/typename.json, OUT/small.json, OUT/conversation.json,
// OUT/introspection.json).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { buildSchema, getIntrospectionQuery, getNamedType, isLeafType, isNonNullType, isObjectType } from 'graphql';

const here = path.dirname(fileURLToPath(import.meta.url));
const SDL = readFileSync(path.join(here, '../../graphql/parley.graphql'), 'utf8');
const BOT = 'FlowerShop', ALIAS = 'prod', USER = 'bench-user';
const CONVERSATION = `${BOT}/${ALIAS}/${USER}`;
const TURNS = Number(process.env.TURNS ?? 100);

export const ROWS = {
  // the least a request can ask: each server's fixed cost (HTTP, the JSON body, the cache)
  typename: { query: '{ __typename }' },
  small: { query: `{ bot(name: "${BOT}") { name locale intents { name } } }` },
  conversation: {
    query: `query Conversation($id: ID!) {
  conversation(id: $id) {
    id bot alias user turnCount
    turns(first: 100) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id seq at channel inputText intentName confidence slots dialogState slotToElicit message messageFormat fulfilled missed } }
    }
  }
}`,
    variables: { id: CONVERSATION },
    operationName: 'Conversation',
  },
  introspection: { query: getIntrospectionQuery(), operationName: 'IntrospectionQuery' },
};

async function post(url, token, body) {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${text.slice(0, 500)}`);
  const j = JSON.parse(text);
  if (j.errors) throw new Error(`${url}: ${JSON.stringify(j.errors).slice(0, 500)}`);
  return j;
}

// The selection set of every field of type without required arguments, recursively.
function selection(type, onPath, extra = {}) {
  const parts = [];
  for (const f of Object.values(type.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const named = getNamedType(f.type);
    const args = extra[`${type.name}.${f.name}`] ?? '';
    if (isLeafType(named)) parts.push(f.name + args);
    else if (isObjectType(named) && !onPath.includes(named.name))
      parts.push(`${f.name}${args} { ${selection(named, [...onPath, named.name], extra)} }`);
  }
  return parts.join(' ');
}

async function seed(url, token, out) {
  const texts = ['I would like to order some flowers', 'roses', 'tomorrow', 'at 10 am', 'yes'];
  const postText = `mutation($text: String!) { postText(bot: "${BOT}", alias: "${ALIAS}", user: "${USER}", text: $text) { dialogState } }`;
  for (let i = 0; i < TURNS; i++) {
    const text = texts[i % texts.length];
    if (i % 2 === 0) {
      await post(url, token, { query: postText, variables: { text } });
    } else {
      const r = await fetch(`${url}/bot/${BOT}/alias/${ALIAS}/user/${USER}/text`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputText: text }),
      });
      if (r.status !== 200) throw new Error(`Lex PostText: ${r.status} ${await r.text()}`);
    }
  }
  const schema = buildSchema(SDL);
  const Q = schema.getQueryType();
  const extra = { 'Conversation.turns': '(first: 200)' };
  const exportQuery = `query Export($id: ID!) {
  bots { ${selection(getNamedType(Q.getFields().bots.type), ['Query', 'Bot'], extra)} }
  conversation(id: $id) { ${selection(schema.getType('Conversation'), ['Query', 'Conversation'], extra)} }
  functions { ${selection(schema.getType('Function'), ['Query', 'Function'], extra)} }
  sites { ${selection(schema.getType('Site'), ['Query', 'Site'], extra)} }
}`;
  const { data } = await post(url, token, { query: exportQuery, variables: { id: CONVERSATION } });
  const c = data.conversation;
  if (!c || c.turnCount < TURNS) throw new Error(`the conversation has ${c?.turnCount} turns, expected ${TURNS}`);
  c.turnList = c.turns.edges.map((e) => ({ ...e.node, __cursor: e.cursor }));
  delete c.turns;
  writeFileSync(path.join(out, 'data.json'), JSON.stringify({ bots: data.bots, conversations: [c], functions: data.functions, sites: data.sites }));
  for (const [name, body] of Object.entries(ROWS)) writeFileSync(path.join(out, `${name}.json`), JSON.stringify(body));
  console.log(`prepare: ${c.turnCount} turns in ${CONVERSATION}; data.json ${JSON.stringify(data).length} bytes`);
}

// Introspection lists types and directives in each server's own order: compare them by name.
// The introspection types themselves (__Type, __InputValue, ...) are left out: Parley's are
// the October 2021 edition's, graphql-js 16 adds isDeprecated/deprecationReason to
// __InputValue and includeDeprecated to __Field.args and __Directive.args (later editions).
// What is compared is everything that describes Parley's own schema.
function byName(r) {
  const s = r?.data?.__schema;
  if (!s) return r;
  const sort = (xs) => [...xs].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const types = sort(s.types.filter((t) => !t.name.startsWith('__')));
  // So are the built-in directives: graphql-js 16.15 adds @oneOf, and DIRECTIVE_DEFINITION to
  // @deprecated's locations. Parley's schema declares no directive of its own.
  const directives = s.directives.filter((d) => !['skip', 'include', 'deprecated', 'specifiedBy', 'oneOf'].includes(d.name));
  return { data: { __schema: { ...s, types, directives } } };
}

async function compare(parley, node, token) {
  for (const [name, body] of Object.entries(ROWS)) {
    const a0 = await post(parley, token, body), b0 = await post(node, null, body);
    const [a, b] = name === 'introspection' ? [byName(a0), byName(b0)] : [a0, b0];
    if (!isDeepStrictEqual(a, b)) {
      const diff = (x, y, p = '') => {
        if (isDeepStrictEqual(x, y)) return null;
        if (typeof x !== 'object' || typeof y !== 'object' || !x || !y) return `${p}: ${JSON.stringify(x)?.slice(0, 200)} vs ${JSON.stringify(y)?.slice(0, 200)}`;
        for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) { const d = diff(x[k], y[k], `${p}.${k}`); if (d) return d; }
        return `${p}: key order`;
      };
      throw new Error(`prepare: Parley and graphql-js answer ${name} differently at ${diff(a, b)}`);
    }
    const sizes = [JSON.stringify(a0).length, JSON.stringify(b0).length];
    console.log(`prepare: ${name}: same answer from both (${sizes[0] === sizes[1] ? sizes[0] : sizes.join(' and ')} bytes)`);
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'seed') await seed(args[0], args[1], args[2]);
else if (mode === 'compare') await compare(args[0], args[1], args[2]);
else {
  console.error('usage: node prepare.mjs seed PARLEY_URL TOKEN OUT | compare PARLEY_URL NODE_URL TOKEN');
  process.exit(2);
}
