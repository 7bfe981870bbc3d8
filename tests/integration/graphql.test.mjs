// Parley's GraphQL endpoint (/graphql) against the real server: postText
// drives the airline bot to the same outcomes as the Lex V1 API, the turn
// log pages newest first, missed utterances and function statistics appear,
// a site's release is rolled back and served at once, putIntent/addUtterance
// retrain immediately and persist, the admin token guards mutations and
// private data while introspection stays public (and rebuilds parley.graphql
// in graphql-js), configured public fields and limits apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildClientSchema, buildSchema, getIntrospectionQuery, lexicographicSortSchema,
         printSchema, validateSchema } from 'graphql';
import { startParley, runParley, tempDir, writeConfig, SOURCE_DIR } from './harness.mjs';

const TOKEN = 'test-admin-token-3f9a';
const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);

// A server with copies of the example bots (putIntent rewrites bot files), the bash
// BookFlight function and a site with one release; more config merged in.
async function fixture(extra = {}) {
  const root = tempDir('parley-gql-');
  mkdirSync(path.join(root, 'bots'));
  for (const b of ['airline.json', 'flowers.json'])
    copyFileSync(path.join(SOURCE_DIR, 'examples/bots', b), path.join(root, 'bots', b));
  const v1 = path.join(root, 'site-v1'), v2 = path.join(root, 'site-v2');
  mkdirSync(v1);
  mkdirSync(v2);
  writeFileSync(path.join(v1, 'index.html'), '<!doctype html><title>v1</title><p>release one</p>');
  writeFileSync(path.join(v2, 'index.html'), '<!doctype html><title>v2</title><p>release two</p>');
  writeFileSync(path.join(v2, 'app.js'), 'console.log("two");');
  const dataDir = path.join(root, 'data');
  const config = {
    server: { accessLog: 'off', port: 0 },
    dataDir,
    lex: { messageSeed: 7 },
    bots: [{ file: 'bots/airline.json', aliases: { prod: '1' } },
           { file: 'bots/flowers.json', aliases: { prod: '$LATEST' } }],
    functions: [{ name: 'BookFlight', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-bash'),
                  handler: 'function.handler', timeout: 10 }],
    sites: [{ name: 'web', root: 'site-v1', pathPrefix: '/' }],
    ...extra,
  };
  const cfgPath = writeConfig(root, config);
  const s = await startParley({ configPath: cfgPath, dataDir, env: { PARLEY_ADMIN_TOKEN: TOKEN } });
  return { s, root, cfgPath, dataDir, v2,
           done: async () => {
             const r = await s.stop();
             assert.equal(r.code, 0, s.stderr.slice(-3000));
             assert.doesNotMatch(s.stderr, /Sanitizer|runtime error/);
             s.cleanup();
           } };
}

// POSTs a GraphQL request; resolves {status, headers, body}.
async function gql(url, query, variables, { token = TOKEN, accept = 'application/json' } = {}) {
  const headers = { 'content-type': 'application/json', accept };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${url}/graphql`, { method: 'POST', headers,
                                            body: JSON.stringify({ query, variables }) });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

// The data of a request that must succeed without errors.
async function data(url, query, variables, opts) {
  const r = await gql(url, query, variables, opts);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
  return r.body.data;
}

const POST_TEXT = `mutation Say($bot: String!, $alias: String!, $user: String!, $text: String!,
                                $attrs: JSON) {
  postText(bot: $bot, alias: $alias, user: $user, text: $text, sessionAttributes: $attrs) {
    intentName nluIntentConfidence { score } alternativeIntents { intentName nluIntentConfidence { score } slots }
    slots sessionAttributes message messageFormat dialogState slotToElicit
    responseCard { version contentType genericAttachments { title subTitle buttons { text value } } }
    sessionId botVersion
  }
}`;

// What Lex V1 PostText answers for the same turn (Parley's REST API).
async function lexPostText(url, user, inputText, sessionAttributes) {
  const r = await fetch(`${url}/bot/AmazonianAirways/alias/prod/user/${user}/text`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputText, sessionAttributes }) });
  assert.equal(r.status, 200);
  return r.json();
}

// GraphQL's nulls stand for what Lex leaves out; the session ids differ by user. Scores are
// the same doubles, printed with 17 significant digits by GraphQL (as JavaScript would) and
// 15 by the Lex API (cJSON's printer): compared at 12.
function comparable(o) {
  if (typeof o === 'number') return Number(o.toPrecision(12));
  if (Array.isArray(o)) return o.map(comparable);
  if (o && typeof o === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(o))
      if (v !== null && k !== 'sessionId') out[k] = comparable(v);
    return out;
  }
  return o;
}

test('postText gives what Lex V1 PostText gives, turn by turn, and the turns are logged newest first', async () => {
  const f = await fixture();
  const url = f.s.url;
  try {
    const turns = [
      ['book a flight from Boston to Chicago tomorrow', { seat: 'aisle' }],
      ['no', undefined],
      ['I want to fly to Denver', undefined],
      ['from Seattle', undefined],
      [tomorrow, undefined],
      ['yes', undefined],
    ];
    let fulfilled = 0;
    for (const [text, attrs] of turns) {
      const g = await data(url, POST_TEXT,
        { bot: 'AmazonianAirways', alias: 'prod', user: 'gql-user', text, attrs });
      const lex = await lexPostText(url, 'lex-user', text, attrs);
      assert.deepEqual(comparable(g.postText), comparable(lex), `turn "${text}"`);
      if (g.postText.dialogState === 'Fulfilled') fulfilled++;
    }
    assert.equal(fulfilled, 1);

    // the log: newest first, paged with after = endCursor; the channel is recorded
    const Q = `query Turns($id: ID!, $after: String) {
      conversation(id: $id) { id bot alias user turnCount
        turns(first: 4, after: $after) {
          edges { cursor node { seq inputText dialogState fulfilled missed channel intentName } }
          pageInfo { hasNextPage hasPreviousPage endCursor } } } }`;
    let d = await data(url, Q, { id: 'AmazonianAirways/prod/gql-user' });
    assert.equal(d.conversation.turnCount, 6);
    assert.deepEqual(d.conversation.turns.edges.map((e) => e.node.seq), [6, 5, 4, 3]);
    assert.equal(d.conversation.turns.edges[0].node.inputText, 'yes');
    assert.equal(d.conversation.turns.edges[0].node.fulfilled, true);
    assert.equal(d.conversation.turns.edges[0].node.channel, 'graphql');
    assert.equal(d.conversation.turns.pageInfo.hasNextPage, true);
    d = await data(url, Q, { id: 'AmazonianAirways/prod/gql-user',
                             after: d.conversation.turns.pageInfo.endCursor });
    assert.deepEqual(d.conversation.turns.edges.map((e) => e.node.seq), [2, 1]);
    assert.equal(d.conversation.turns.pageInfo.hasNextPage, false);
    assert.equal(d.conversation.turns.pageInfo.hasPreviousPage, true);
    assert.equal(d.conversation.turns.edges[1].node.inputText, turns[0][0]);

    // turns from the Lex API are logged too; conversations list the bot's users
    d = await data(url, `{ conversation(id: "AmazonianAirways/prod/lex-user") {
      turns(first: 1) { nodes { channel inputText } } }
      conversations(bot: "AmazonianAirways") { nodes { id } pageInfo { hasNextPage } } }`);
    assert.deepEqual(d.conversation.turns.nodes, [{ channel: 'lex-v1', inputText: 'yes' }]);
    assert.deepEqual(d.conversations.nodes.map((n) => n.id).sort(),
      ['AmazonianAirways/prod/gql-user', 'AmazonianAirways/prod/lex-user']);

    // the session as Lex's GetSession shows it, and the function's statistics
    d = await data(url, `{ session(bot: "AmazonianAirways", alias: "prod", user: "gql-user") {
        dialogState intentName sessionAttributes lastActivity conversation { turnCount } }
      function(name: "arn:aws:lambda:us-east-1:123456789012:function:BookFlight") {
        name runtime handler invocations errors throttles durationP50Ms durationP99Ms } }`);
    assert.equal(d.session.dialogState, 'Fulfilled');
    assert.equal(d.session.conversation.turnCount, 6);
    // the handler copied the slots into the session attributes
    assert.deepEqual(Object.keys(d.session.sessionAttributes).sort(),
      ['Date', 'Destination', 'Origin', 'seat']);
    assert.equal(d.function.name, 'BookFlight');
    assert.equal(d.function.runtime, 'local');
    assert.equal(d.function.handler, 'function.handler');
    // both users' dialog hooks are none; each fulfilment called BookFlight once
    assert.equal(d.function.invocations, 2);
    assert.equal(d.function.errors, 0);
    assert.ok(d.function.durationP50Ms > 0 && d.function.durationP99Ms >= d.function.durationP50Ms,
      JSON.stringify(d.function));

    // deleteSession returns the session and then there is none
    d = await data(url, `mutation { deleteSession(bot: "AmazonianAirways", alias: "prod", user: "gql-user") { dialogState } }`);
    assert.equal(d.deleteSession.dialogState, 'Fulfilled');
    d = await data(url, `{ session(bot: "AmazonianAirways", alias: "prod", user: "gql-user") { sessionId } }`);
    assert.equal(d.session, null);
  } finally { await f.done(); }
});

test('errors of the mutations that drive a bot carry Lex V2\'s exception name as extensions.code', async () => {
  const f = await fixture();
  const url = f.s.url;
  try {
    const cases = [
      [{ bot: 'NoSuchBot', alias: '$LATEST', user: 'e-user', text: 'hi' }, 'ResourceNotFoundException', 404],
      [{ bot: 'AmazonianAirways', alias: '$LATEST', user: 'x', text: 'hi' }, 'ValidationException', 400],
      [{ bot: 'AmazonianAirways', alias: '$LATEST', user: 'e-user', text: 'hi', attrs: { n: 1 } },
        'ValidationException', 400],
    ];
    for (const [vars, code, lexStatus] of cases) {
      const r = await gql(url, POST_TEXT, vars);
      assert.equal(r.status, 200);
      assert.equal(r.body.data, null);
      assert.equal(r.body.errors.length, 1);
      assert.deepEqual(r.body.errors[0].path, ['postText']);
      assert.deepEqual(r.body.errors[0].extensions, { code }, JSON.stringify(r.body.errors[0]));
      // the same turn through the Lex V2 API fails with the same name
      const lex = await fetch(`${url}/bots/${vars.bot}/botAliases/TSTALIASID/botLocales/en_US/sessions/${vars.user}/text`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: vars.text, sessionState: { sessionAttributes: vars.attrs } }) });
      if (code === 'ResourceNotFoundException') {
        assert.equal(lex.status, lexStatus);
        assert.equal(lex.headers.get('x-amzn-errortype')?.split(':')[0], code);
      }
    }
  } finally { await f.done(); }
});

test('missed utterances: what fell to the clarification prompt, counted per text', async () => {
  const f = await fixture();
  const url = f.s.url;
  try {
    for (const [user, text] of [['m-user-1', 'purple monkey dishwasher'],
                                ['m-user-2', 'Purple  monkey DISHWASHER'],
                                ['m-user-3', 'the quantum zebra sings']]) {
      const d = await data(url, POST_TEXT, { bot: 'AmazonianAirways', alias: '$LATEST', user, text });
      assert.equal(d.postText.dialogState, 'ElicitIntent');
      assert.equal(d.postText.message, 'Sorry, I can book flights. Where would you like to fly?');
    }
    const d = await data(url, `{ missedUtterances(bot: "AmazonianAirways", first: 10) { utterance count firstSeen lastSeen }
      conversation(id: "AmazonianAirways/$LATEST/m-user-1") { turns { nodes { missed dialogState } } } }`);
    assert.deepEqual(d.missedUtterances.map((m) => [m.utterance, m.count]),
      [['Purple  monkey DISHWASHER', 2], ['the quantum zebra sings', 1]]);
    assert.ok(d.missedUtterances[0].firstSeen <= d.missedUtterances[0].lastSeen);
    assert.deepEqual(d.conversation.turns.nodes, [{ missed: true, dialogState: 'ElicitIntent' }]);
  } finally { await f.done(); }
});

test('putIntent and addUtterance retrain at once and are written to the bot file', async () => {
  const f = await fixture();
  const url = f.s.url;
  try {
    const say = async (user, text) => (await data(url, POST_TEXT,
      { bot: 'AmazonianAirways', alias: '$LATEST', user, text })).postText;
    assert.equal((await say('e-user-1', 'whisk me off to the seaside')).intentName, null);
    const d = await data(url, `mutation {
      addUtterance(bot: "AmazonianAirways", intent: "BookFlight", utterance: "whisk me off to the seaside") {
        name sampleUtterances } }`);
    assert.equal(d.addUtterance.name, 'BookFlight');
    assert.ok(d.addUtterance.sampleUtterances.includes('whisk me off to the seaside'));
    assert.equal((await say('e-user-2', 'whisk me off to the seaside')).intentName, 'BookFlight');
    // the pinned alias keeps version 1
    const prod = await data(url, POST_TEXT,
      { bot: 'AmazonianAirways', alias: 'prod', user: 'e-user-3', text: 'whisk me off to the seaside' });
    assert.equal(prod.postText.intentName, null);

    const put = await data(url, `mutation Put($intent: IntentInput!) {
      putIntent(bot: "AmazonianAirways", intent: $intent) {
        name sampleUtterances conclusionStatement { messages { contentType content } } fulfillmentActivity { type } } }`,
    { intent: { name: 'Baggage', sampleUtterances: ['how much baggage can I bring', 'baggage allowance',
                                                    'how many bags can I check'],
                conclusionStatement: { messages: [{ content: 'Two bags of 23 kg each.' }] } } });
    assert.equal(put.putIntent.fulfillmentActivity.type, 'ReturnIntent');
    assert.equal(put.putIntent.conclusionStatement.messages[0].contentType, 'PlainText');
    const r = await say('e-user-4', 'what is the baggage allowance');
    assert.equal(r.intentName, 'Baggage');
    assert.equal(r.dialogState, 'ReadyForFulfillment'); /* ReturnIntent: the client fulfils */

    // a slot type, and an intent the definition check refuses (nothing changes)
    const st = await data(url, `mutation { putSlotType(bot: "AmazonianAirways", slotType: {
      name: "CabinClass", enumerationValues: [{ value: "economy", synonyms: ["coach"] }, { value: "business" }] }) {
      name valueSelectionStrategy enumerationValues { value synonyms } } }`);
    assert.deepEqual(st.putSlotType.enumerationValues,
      [{ value: 'economy', synonyms: ['coach'] }, { value: 'business', synonyms: null }]);
    const bad = await gql(url, `mutation { putIntent(bot: "AmazonianAirways", intent: {
      name: "Broken", sampleUtterances: ["fly {Nowhere}"] }) { name } }`);
    assert.equal(bad.status, 200);
    assert.match(bad.body.errors[0].message, /\{Nowhere\}/);
    assert.deepEqual(bad.body.errors[0].path, ['putIntent']);

    const file = JSON.parse(readFileSync(path.join(f.root, 'bots/airline.json'), 'utf8'));
    const intents = Object.fromEntries(file.resource.intents.map((i) => [i.name, i]));
    assert.ok(intents.BookFlight.sampleUtterances.includes('whisk me off to the seaside'));
    assert.ok(intents.Baggage);
    assert.equal(intents.Broken, undefined);
    assert.equal(file.resource.slotTypes[0].name, 'CabinClass');

    // a restart keeps the change (the file is the definition of $LATEST)
    const r2 = await f.s.stop();
    assert.equal(r2.code, 0);
    const s2 = await startParley({ configPath: f.cfgPath, dataDir: f.dataDir,
                                   env: { PARLEY_ADMIN_TOKEN: TOKEN } });
    try {
      const again = await data(s2.url, POST_TEXT,
        { bot: 'AmazonianAirways', alias: '$LATEST', user: 'e-user-5', text: 'whisk me off to the seaside' });
      assert.equal(again.postText.intentName, 'BookFlight');
    } finally { await s2.stop(); s2.cleanup(); }
  } finally { await f.done(); }
});

test('sites: releases newest first, and activateRelease rolls back what is served at once', async () => {
  const f = await fixture();
  const url = f.s.url;
  try {
    let d = await data(url, '{ sites { name pathPrefix releases { id files active } activeRelease { id } } }');
    assert.equal(d.sites.length, 1);
    const first = d.sites[0].activeRelease.id;
    assert.deepEqual(d.sites[0].releases, [{ id: first, files: 1, active: true }]);
    assert.match(await (await fetch(`${url}/`)).text(), /release one/);

    const dep = await runParley(['deploy', 'web', f.v2, '--config', f.cfgPath, '--data-dir', f.dataDir]);
    assert.equal(dep.code, 0, dep.stderr);
    const second = dep.stdout.trim();
    d = await data(url, '{ site(name: "web") { releases { id files bytes active createdAt } activeRelease { id } } }');
    assert.deepEqual(d.site.releases.map((r) => [r.id, r.files, r.active]),
      [[second, 2, true], [first, 1, false]]);
    assert.ok(d.site.releases[0].bytes > 0 && !Number.isNaN(Date.parse(d.site.releases[0].createdAt)));

    d = await data(url, `mutation { activateRelease(site: "web", release: "${first}") { activeRelease { id } } }`);
    assert.equal(d.activateRelease.activeRelease.id, first);
    // served at once, not at the host's next tick
    assert.match(await (await fetch(`${url}/`)).text(), /release one/);
    // with no release named: the one before the active (none older: an error)
    const none = await gql(url, 'mutation { activateRelease(site: "web") { name } }');
    assert.match(none.body.errors[0].message, /Cannot activate the release/);
    d = await data(url, `mutation { activateRelease(site: "web", release: "${second}") { activeRelease { id } } }`);
    assert.match(await (await fetch(`${url}/`)).text(), /release two/);
    const unknown = await gql(url, 'mutation { activateRelease(site: "nope") { name } }');
    assert.match(unknown.body.errors[0].message, /no site named nope/);
  } finally { await f.done(); }
});

test('the admin token: mutations and private fields need it; introspection does not', async () => {
  const f = await fixture();
  const url = f.s.url;
  try {
    // introspection and __typename without a token
    const intro = await data(url, '{ __typename __schema { queryType { name } mutationType { name } } __type(name: "Turn") { fields { name } } }',
      undefined, { token: null });
    assert.equal(intro.__schema.queryType.name, 'Query');
    assert.ok(intro.__type.fields.some((x) => x.name === 'inputText'));
    // the full introspection (GraphiQL's) rebuilds, with graphql-js, the schema of parley.graphql
    const full = await data(url, getIntrospectionQuery({ descriptions: true, specifiedByUrl: true,
      directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }),
    undefined, { token: null });
    const client = buildClientSchema(full);
    assert.deepEqual(validateSchema(client), []);
    const sdl = readFileSync(path.join(SOURCE_DIR, 'graphql/parley.graphql'), 'utf8');
    assert.equal(printSchema(lexicographicSortSchema(client)),
                 printSchema(lexicographicSortSchema(buildSchema(sdl))));

    // a mutation without the token: an error, and nothing happened
    for (const [token, accept, status] of [[null, 'application/json', 200],
                                           ['wrong', 'application/json', 200],
                                           [null, 'application/graphql-response+json', 401]]) {
      const r = await gql(url, POST_TEXT, { bot: 'AmazonianAirways', alias: 'prod', user: 'intruder', text: 'book a flight' },
        { token, accept });
      assert.equal(r.status, status);
      assert.equal(r.body.data, undefined);
      assert.equal(r.body.errors[0].extensions.code, 'UNAUTHENTICATED');
      assert.match(r.body.errors[0].message, /PARLEY_ADMIN_TOKEN/);
      if (status === 401) assert.match(r.headers.get('www-authenticate'), /^Bearer/);
    }
    const d = await data(url, `{ session(bot: "AmazonianAirways", alias: "prod", user: "intruder") { sessionId }
      conversation(id: "AmazonianAirways/prod/intruder") { id } }`);
    assert.deepEqual(d, { session: null, conversation: null });

    // private data mixed with public fields: refused whole
    const mixed = await gql(url, '{ __typename bots { name } }', undefined, { token: null });
    assert.equal(mixed.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    // through a fragment too
    const frag = await gql(url, 'query { ...F } fragment F on Query { functions { name } }', undefined, { token: null });
    assert.equal(frag.body.errors[0].extensions.code, 'UNAUTHENTICATED');

    // a mutation over GET: 405, Allow: POST, even with the token
    const get = await fetch(`${url}/graphql?query=${encodeURIComponent('mutation { __typename }')}`,
      { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    // a query over GET works
    const ok = await fetch(`${url}/graphql?query=${encodeURIComponent('{ bots { name } }')}`,
      { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual((await ok.json()).data.bots.map((b) => b.name), ['AmazonianAirways', 'FlowerShop']);

    // what /metrics counts: the three refusals above, the mutation over GET, the cache
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const value = (name) => Number(metrics.match(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm'))?.[1]);
    assert.ok(value('parley_graphql_requests_total{status="unauthorized"}') >= 5, metrics);
    assert.equal(value('parley_graphql_requests_total{status="not_allowed"}'), 1);
    assert.ok(value('parley_graphql_document_cache_hits_total') >= 2);
    assert.ok(value('parley_graphql_document_cache_entries') >= 3);
    assert.equal(value('parley_graphql_subscriptions'), 0);
  } finally { await f.done(); }
});

test('configured public fields and limits', async () => {
  const f = await fixture({ graphql: { publicFields: ['Query.bots', '__typename'], maxDepth: 3,
                                       maxDocumentBytes: 2000 } });
  const url = f.s.url;
  try {
    const d = await data(url, '{ bots { name } }', undefined, { token: null });
    assert.equal(d.bots.length, 2);
    // introspection is no longer public
    const intro = await gql(url, '{ __schema { queryType { name } } }', undefined, { token: null });
    assert.equal(intro.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    // too deep, too long: request errors (400 with graphql-response+json)
    const deep = await gql(url, '{ bots { intents { slots { name } } } }', undefined,
      { accept: 'application/graphql-response+json' });
    assert.equal(deep.status, 400);
    assert.equal(deep.body.data, undefined);
    assert.match(deep.body.errors[0].message, /depth/i);
    const long = await gql(url, `{ bots { name ${'__typename '.repeat(200)} } }`);
    assert.equal(long.status, 200);
    assert.match(long.body.errors[0].message, /2000/);
  } finally { await f.done(); }
  // an unknown key or a field that is not a root field stops the server at start
  const root = tempDir('parley-gql-cfg-');
  for (const [graphql, want] of [[{ publicFields: ['Query.nope'] }, /graphql\.publicFields\[0\]: must name a root field/],
                                 [{ maxDepth: 0 }, /graphql\.maxDepth: must be an integer from 2 to 1000/],
                                 [{ adminToken: 'x' }, /graphql\.adminToken: unknown key/]]) {
    const cfgPath = writeConfig(root, { graphql });
    const r = await runParley(['serve', '--config', cfgPath, '--data-dir', path.join(root, 'data'), '--port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, want);
  }
});
