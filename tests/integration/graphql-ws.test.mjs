// GraphQL over WebSocket (graphql-transport-ws at /graphql, graphql/ws.c): the npm
// `graphql-ws` client subscribes to a conversation's turns while the test drives that
// conversation through the GraphQL postText mutation over HTTP and through the Lex V1
// PostText API, and gets every turn, in order, with the content each channel answered;
// queries and mutations over the socket; then the protocol's failure modes with the
// raw `ws` client, each with its close code (4400, 4401, 4403, 4408, 4409, 4429), and
// the refusal of a handshake without the subprotocol.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { startParley, SOURCE_DIR, sleep } from './harness.mjs';

const TOKEN = 'ws-test-token-0123456789';
const flowers = { file: path.join(SOURCE_DIR, 'examples/bots/flowers.json'), aliases: { prod: '$LATEST' } };

let s, wsUrl;
let lingering; // a socket with a live subscription when the server stops: told 1001
before(async () => {
  s = await startParley({ config: { bots: [flowers] },
                          env: { PARLEY_ADMIN_TOKEN: TOKEN } });
  wsUrl = `${s.url.replace('http', 'ws')}/graphql`;
});
after(async () => {
  const r = await s.stop();
  assert.equal(r.code, 0, s.stderr.slice(-3000));
  if (lingering) assert.deepEqual(await lingering.then((x) => [x.code, x.reason]), [1001, 'server shutting down']);
  s.cleanup();
});

async function gqlHttp(query, variables) {
  const r = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

async function lexV1(bot, alias, user, inputText) {
  const r = await fetch(`${s.url}/bot/${bot}/alias/${alias}/user/${user}/text`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputText }),
  });
  assert.equal(r.status, 200);
  return r.json();
}

// A graphql-ws subscription whose results are collected; until(n) waits for n of them.
function collect(client, payload) {
  const results = [];
  let error = null, completed = false, wake = () => {};
  const stop = client.subscribe(payload, {
    next: (r) => { results.push(r); wake(); },
    error: (e) => { error = e; wake(); },
    complete: () => { completed = true; wake(); },
  });
  const until = async (n, ms = 15000) => {
    const deadline = Date.now() + ms;
    while (results.length < n && !error && !completed) {
      if (Date.now() > deadline) throw new Error(`timed out with ${JSON.stringify(results)}`);
      await new Promise((r) => { wake = r; setTimeout(r, 100); });
    }
    if (error) throw new Error(`subscription failed: ${JSON.stringify(error)}`);
    return results;
  };
  return { results, until, stop, get completed() { return completed; }, get error() { return error; } };
}

// One query or mutation over the socket: resolves with its single result.
function once(client, payload) {
  return new Promise((resolve, reject) => {
    let result;
    client.subscribe(payload, { next: (r) => (result = r), error: reject, complete: () => resolve(result) });
  });
}

const TURN_FIELDS = 'seq conversationId channel inputText intentName dialogState message slotToElicit';

test('graphql-ws: the turns of a conversation arrive live and in order, from any channel', { timeout: 60000 }, async () => {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false,
                                connectionParams: { Authorization: `Bearer ${TOKEN}` } });
  try {
    const user = `ws-${Date.now()}`;
    const conversation = `FlowerShop/prod/${user}`;
    const conv = collect(client, {
      query: `subscription Live($c: ID!) { turns(bot: "FlowerShop", conversation: $c) { ${TURN_FIELDS} } }`,
      variables: { c: conversation },
    });
    const whole = collect(client, { query: `subscription { turns(bot: "FlowerShop") { conversationId inputText } }` });
    // A subscription is registered before the next message on its socket is read: once this
    // query's answer is back, both listen.
    const typename = await once(client, { query: '{ __typename }' });
    assert.deepEqual(typename, { data: { __typename: 'Query' } });

    const post = `mutation Post($user: String!, $text: String!) {
      postText(bot: "FlowerShop", alias: "prod", user: $user, text: $text) { dialogState intentName message slotToElicit } }`;
    const said = [];
    // 1: GraphQL over HTTP
    let out = (await gqlHttp(post, { user, text: 'I would like to order some flowers' })).postText;
    said.push({ channel: 'graphql', inputText: 'I would like to order some flowers', ...out });
    // 2: Lex V1 PostText
    let lex = await lexV1('FlowerShop', 'prod', user, 'roses');
    said.push({ channel: 'lex-v1', inputText: 'roses', dialogState: lex.dialogState, intentName: lex.intentName,
                message: lex.message, slotToElicit: lex.slotToElicit ?? null });
    // another conversation of the same bot: not on the conversation's stream, on the bot's
    await lexV1('FlowerShop', 'prod', `${user}-other`, 'order flowers');
    // 3: GraphQL over HTTP again
    out = (await gqlHttp(post, { user, text: 'tomorrow' })).postText;
    said.push({ channel: 'graphql', inputText: 'tomorrow', ...out });

    const got = (await conv.until(3)).map((r) => {
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      return r.data.turns;
    });
    assert.equal(got.length, 3);
    for (let i = 0; i < 3; i++) {
      const t = got[i], want = said[i];
      assert.equal(t.conversationId, conversation);
      assert.equal(t.channel, want.channel);
      assert.equal(t.inputText, want.inputText);
      assert.equal(t.intentName, want.intentName);
      assert.equal(t.dialogState, want.dialogState);
      assert.equal(t.message, want.message);
      assert.equal(t.slotToElicit, want.slotToElicit);
      if (i) assert.ok(t.seq > got[i - 1].seq, `seq ${t.seq} after ${got[i - 1].seq}`);
    }
    assert.equal(got[0].intentName, 'OrderFlowers');
    assert.equal(got[0].dialogState, 'ElicitSlot');
    // the bot-wide stream saw all four turns, in order
    const all = (await whole.until(4)).map((r) => r.data.turns);
    assert.deepEqual(all.map((t) => t.inputText), ['I would like to order some flowers', 'roses', 'order flowers', 'tomorrow']);
    assert.equal(all[2].conversationId, `FlowerShop/prod/${user}-other`);

    // complete from the client: no more events for it, the other stream goes on
    conv.stop();
    await once(client, { query: '{ __typename }' }); // the complete has been read
    await lexV1('FlowerShop', 'prod', user, 'at noon');
    await whole.until(5);
    await sleep(200);
    assert.equal(conv.results.length, 3);
    assert.equal(whole.results[4].data.turns.inputText, 'at noon');
    whole.stop();

    // a mutation over the socket: one result, then complete; its turn is logged as graphql-ws
    const m = await once(client, { query: post, variables: { user: `${user}-m`, text: 'order flowers' } });
    assert.equal(m.data.postText.intentName, 'OrderFlowers');
    const logged = await gqlHttp(`query($id: ID!) { conversation(id: $id) { turns(first: 5) { nodes { channel inputText } } } }`,
                                 { id: `FlowerShop/prod/${user}-m` });
    assert.deepEqual(logged.conversation.turns.nodes, [{ channel: 'graphql-ws', inputText: 'order flowers' }]);
  } finally {
    await client.dispose();
  }
});

test('graphql-ws: request errors are an error message with the errors array', { timeout: 30000 }, async () => {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0,
                                connectionParams: { token: TOKEN } });
  try {
    const bad = await new Promise((resolve) => {
      client.subscribe({ query: 'subscription { turns(bot: "FlowerShop") { nope } }' },
                       { next: () => resolve('next'), error: resolve, complete: () => resolve('complete') });
    });
    assert.ok(Array.isArray(bad), JSON.stringify(bad));
    assert.match(bad[0].message, /Cannot query field "nope" on type "Turn"/);
    assert.deepEqual(bad[0].locations, [{ line: 1, column: 43 }]); // the "nope"
    const syntax = await new Promise((resolve) => {
      client.subscribe({ query: '{ bots { ' }, { next: () => resolve('next'), error: resolve, complete: () => resolve('complete') });
    });
    assert.match(syntax[0].message, /^Syntax Error/);
    // a query's field errors are data, in a next message
    const ok = await once(client, { query: '{ bot(name: "NoSuchBot") { name } }' });
    assert.deepEqual(ok, { data: { bot: null } });
  } finally {
    await client.dispose();
  }
});

test('graphql-ws: without a token, private fields are refused per operation; public ones run', { timeout: 30000 }, async () => {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  try {
    const err = await new Promise((resolve) => {
      client.subscribe({ query: 'subscription { turns(bot: "FlowerShop") { inputText } }' },
                       { next: () => resolve('next'), error: resolve, complete: () => resolve('complete') });
    });
    assert.ok(Array.isArray(err), JSON.stringify(err));
    assert.match(err[0].message, /token/i);
    assert.deepEqual(await once(client, { query: '{ __typename }' }), { data: { __typename: 'Query' } });
  } finally {
    await client.dispose();
  }
});

// ---- the raw protocol ----

// Opens a socket with the subprotocol, sends msgs, and resolves with what came back and how it closed.
function raw(msgs, { protocol = 'graphql-transport-ws', waitMs = 1500, onMessage, url = wsUrl } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol ?? undefined);
    const got = [];
    let timer;
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.on('open', () => {
      for (const m of msgs) ws.send(typeof m === 'string' ? m : JSON.stringify(m));
      timer = setTimeout(() => ws.close(1000), waitMs);
    });
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      got.push(m);
      onMessage?.(m, ws);
    });
    ws.on('close', (code, reason) => { clearTimeout(timer); resolve({ got, code, reason: String(reason), protocol: ws.protocol }); });
    ws.on('error', (e) => {
      // the server may hang up right after its close frame (shutdown): 'close' follows
      if (!String(e.message).includes('Unexpected server response') && e.code !== 'ECONNRESET') reject(e);
    });
  });
}

const init = { type: 'connection_init', payload: { Authorization: `Bearer ${TOKEN}` } };

test('graphql-transport-ws: ack, ping/pong, and the close codes', { timeout: 60000 }, async () => {
  let r = await raw([init, { type: 'ping', payload: { n: 1 } }, { type: 'pong' }], { waitMs: 300 });
  // the token as GraphiQL sends it: its headers in the payload
  const viaHeaders = await raw([{ type: 'connection_init', payload: { headers: { Authorization: `Bearer ${TOKEN}` } } },
    { type: 'subscribe', id: 'p', payload: { query: 'subscription { turns(bot: "FlowerShop") { seq } }' } },
    { type: 'subscribe', id: 'q', payload: { query: '{ __typename }' } }], { waitMs: 500 });
  assert.deepEqual(viaHeaders.got.map((m) => m.type), ['connection_ack', 'next', 'complete']); // no error for p
  assert.equal(r.protocol, 'graphql-transport-ws');
  assert.deepEqual(r.got, [{ type: 'connection_ack' }, { type: 'pong', payload: { n: 1 } }]);
  assert.equal(r.code, 1000);

  const cases = [
    ['not JSON', ['{oops'], 4400, /Invalid message/],
    ['no type', [{ id: '1' }], 4400, /Invalid message/],
    ['an unknown type', [init, { type: 'start', id: '1', payload: { query: '{__typename}' } }], 4400, /Unexpected message of type start/],
    ['a server message from the client', [init, { type: 'next', id: '1', payload: {} }], 4400, /Unexpected message of type next/],
    ['subscribe without an id', [init, { type: 'subscribe', payload: { query: '{__typename}' } }], 4400, /id/],
    ['subscribe without a query', [init, { type: 'subscribe', id: '1', payload: {} }], 4400, /payload/],
    ['variables that are not an object', [init, { type: 'subscribe', id: '1', payload: { query: '{__typename}', variables: [1] } }], 4400, /payload/],
    ['an init payload that is not an object', [{ type: 'connection_init', payload: 'x' }], 4400, /payload/],
    ['subscribe before the ack', [{ type: 'subscribe', id: '1', payload: { query: '{__typename}' } }], 4401, /Unauthorized/],
    ['a wrong token', [{ type: 'connection_init', payload: { Authorization: 'Bearer wrong' } }], 4403, /Forbidden/],
    ['a wrong token key', [{ type: 'connection_init', payload: { token: 'wrong' } }], 4403, /Forbidden/],
    ['a wrong token in headers (GraphiQL)', [{ type: 'connection_init', payload: { headers: { authorization: 'Bearer wrong' } } }], 4403, /Forbidden/],
    ['two inits', [init, init], 4429, /Too many initialisation requests/],
    ['a subscription id in use', [init,
      { type: 'subscribe', id: 'dup', payload: { query: 'subscription { turns(bot: "FlowerShop") { seq } }' } },
      { type: 'subscribe', id: 'dup', payload: { query: 'subscription { turns(bot: "FlowerShop") { seq } }' } }],
    4409, /Subscriber for dup already exists/],
  ];
  for (const [what, msgs, code, reason] of cases) {
    r = await raw(msgs);
    assert.equal(r.code, code, `${what}: ${JSON.stringify(r)}`);
    assert.match(r.reason, reason, what);
  }

  // an id may be used again once its operation is over (a query completes at once)
  r = await raw([init, { type: 'subscribe', id: 'q', payload: { query: '{ __typename }' } }], {
    waitMs: 3000,
    onMessage: (m, ws) => {
      if (m.type === 'complete' && !ws.again) {
        ws.again = true;
        ws.send(JSON.stringify({ type: 'subscribe', id: 'q', payload: { query: '{ __typename }' } }));
      }
    },
  });
  assert.deepEqual(r.got.filter((m) => m.type !== 'connection_ack'), [
    { id: 'q', type: 'next', payload: { data: { __typename: 'Query' } } }, { id: 'q', type: 'complete' },
    { id: 'q', type: 'next', payload: { data: { __typename: 'Query' } } }, { id: 'q', type: 'complete' },
  ]);

  // at most 100 operations at once per connection: the 101st is refused, the socket stays
  const many = [init];
  for (let i = 0; i < 101; i++)
    many.push({ type: 'subscribe', id: `m${i}`, payload: { query: 'subscription { turns(bot: "FlowerShop") { seq } }' } });
  many.push({ type: 'complete', id: 'm0' }, { type: 'subscribe', id: 'after', payload: { query: '{ __typename }' } });
  r = await raw(many, { waitMs: 1500 });
  assert.equal(r.code, 1000, JSON.stringify(r).slice(0, 500));
  const refused = r.got.filter((m) => m.type === 'error');
  assert.deepEqual(refused.map((m) => m.id), ['m100']);
  assert.match(refused[0].payload[0].message, /already runs 100 operations/);
  assert.deepEqual(r.got.at(-1), { id: 'after', type: 'complete' }); // m0's place was free again

  // a message past the size cap (256 KiB): 1009
  r = await raw([init, { type: 'subscribe', id: 'big', payload: { query: `{ __typename }${' '.repeat(300000)}` } }]);
  assert.equal(r.code, 1009, JSON.stringify(r));

  // no connection_init within 3 s: 4408
  const t0 = Date.now();
  r = await raw([], { waitMs: 10000 });
  assert.equal(r.code, 4408, JSON.stringify(r));
  assert.match(r.reason, /Connection initialisation timeout/);
  assert.ok(Date.now() - t0 >= 2900, `closed after ${Date.now() - t0} ms`);

  // the handshake must offer the subprotocol: refused before any socket
  for (const protocol of [null, 'graphql-ws']) {
    r = await raw([], { protocol });
    assert.equal(r.status, 400, JSON.stringify(r));
    assert.match(JSON.parse(r.body).error, /graphql-transport-ws/);
  }
  // only /graphql
  const wrongPath = await new Promise((resolve) => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/graphql/x`, 'graphql-transport-ws');
    ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
    ws.on('error', () => {});
  });
  assert.equal(wrongPath, 404);
});

test('graphql-transport-ws: the init timeout and the operation cap come from the config', { timeout: 30000 }, async () => {
  const t = await startParley({ config: { bots: [flowers], graphql: { wsInitTimeoutMs: 500, wsMaxOperations: 2 } },
                                env: { PARLEY_ADMIN_TOKEN: TOKEN } });
  try {
    const url = `${t.url.replace('http', 'ws')}/graphql`;
    const t0 = Date.now();
    let r = await raw([], { url, waitMs: 5000 });
    const ms = Date.now() - t0;
    assert.equal(r.code, 4408, JSON.stringify(r));
    assert.ok(ms >= 450 && ms < 2500, `closed after ${ms} ms`);
    const sub = (id) => ({ type: 'subscribe', id, payload: { query: 'subscription { turns(bot: "FlowerShop") { seq } }' } });
    r = await raw([init, sub('a'), sub('b'), sub('c')], { url, waitMs: 700 });
    assert.equal(r.code, 1000, JSON.stringify(r));
    const refused = r.got.filter((m) => m.type === 'error');
    assert.deepEqual(refused.map((m) => m.id), ['c']);
    assert.match(refused[0].payload[0].message, /already runs 2 operations/);
  } finally {
    await t.stop();
    t.cleanup();
  }
  // out of range: refused at start, naming the key
  await assert.rejects(startParley({ config: { graphql: { wsMaxOperations: 5000 } } }), /wsMaxOperations/);
});

test('graphql-transport-ws: a client that closes mid-subscription leaves nothing behind', { timeout: 30000 }, async () => {
  // many subscriptions on sockets that close (or are cut) while turns are flowing; the server
  // keeps serving, and LeakSanitizer (ASan build) checks at exit that every one was freed
  const sockets = [];
  for (let i = 0; i < 5; i++) {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify(init));
    for (let j = 0; j < 5; j++)
      ws.send(JSON.stringify({ type: 'subscribe', id: `s${j}`, payload: { query: 'subscription { turns(bot: "FlowerShop") { seq inputText } }' } }));
    sockets.push(ws);
  }
  const drive = lexV1('FlowerShop', 'prod', `leak-${Date.now()}`, 'order flowers');
  for (const [i, ws] of sockets.entries()) (i % 2 ? ws.terminate() : ws.close(1000));
  await drive;
  await lexV1('FlowerShop', 'prod', `leak-${Date.now()}`, 'order flowers');
  const r = await raw([init, { type: 'subscribe', id: '1', payload: { query: '{ __typename }' } }], { waitMs: 500 });
  assert.deepEqual(r.got.at(-1), { id: '1', type: 'complete' });
  // one left open, subscribed, for the server's shutdown (see after())
  let acked;
  const ack = new Promise((resolve) => (acked = resolve));
  lingering = raw([init, { type: 'subscribe', id: 'l', payload: { query: 'subscription { turns(bot: "FlowerShop") { seq } }' } }],
                  { waitMs: 600000, onMessage: (m) => m.type === 'connection_ack' && acked() });
  await ack;
});
