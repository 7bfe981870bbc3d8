// The web chat channel's WebSocket protocol (docs/webchat.md), driven with the `ws`
// client: a conversation to a fulfilled booking, response-card buttons, the same
// session as Lex V1 PostText, typing and ping/pong, origin refusal (HTTP 403 before
// any socket), the size cap, the rate limit, errors, config errors, and that plain
// HTTP on the same port is untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { startParley, runParley, tempDir, writeConfig, SOURCE_DIR } from './harness.mjs';

const airline = { file: path.join(SOURCE_DIR, 'examples/bots/airline.json'), aliases: { prod: '1' } };
const flowers = { file: path.join(SOURCE_DIR, 'examples/bots/flowers.json'), aliases: { prod: '$LATEST' } };
const bash = { name: 'BookFlight', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-bash'),
               handler: 'function.handler', timeout: 10 };
const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
const webchat = {
  maxMessageBytes: 512,
  rateLimit: { messagesPerSecond: 2, burst: 4 },
  bots: {
    AmazonianAirways: { allowedOrigins: ['https://www.example.com', 'self'] },
    FlowerShop: { allowedOrigins: ['*'] },
  },
};

let s;
before(async () => {
  s = await startParley({ config: { bots: [airline, flowers], functions: [bash], webchat } });
});
after(async () => {
  const r = await s.stop();
  assert.equal(r.code, 0, s.stderr.slice(-3000));
  s.cleanup();
});

// A client that collects every message and can wait for the next one matching a predicate.
function connect(pathname, { origin = 'https://www.example.com' } = {}) {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}${pathname}`, origin ? { origin } : {});
  const got = [];
  const waiters = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    got.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  });
  const next = (pred, ms = 15000) => {
    const seen = got.find((m) => pred(m) && !m.__taken);
    if (seen) { seen.__taken = true; return Promise.resolve(seen); }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(got)}`)), ms);
      waiters.push({ pred: (m) => pred(m) && (m.__taken = true), resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  };
  const opened = new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
    });
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const send = (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  return { ws, got, next, opened, closed, send };
}

const AIR = '/webchat/AmazonianAirways/prod';

test('a conversation: hello, typing, the bot\'s replies, fulfilled by the code hook', async () => {
  const c = connect(AIR);
  await c.opened;
  assert.deepEqual(await c.next((m) => m.type === 'hello'),
    { type: 'hello', bot: 'AmazonianAirways', alias: 'prod', maxMessageBytes: 512, __taken: true });
  c.send({ type: 'text', id: 'a1', sessionId: 'wc-user-1', text: 'book a flight from Boston to Chicago tomorrow' });
  await c.next((m) => m.type === 'typing' && m.id === 'a1');
  let r = await c.next((m) => m.type === 'bot' && m.id === 'a1');
  assert.equal(r.dialogState, 'ConfirmIntent');
  assert.equal(r.intentName, 'BookFlight');
  assert.equal(r.sessionId, 'wc-user-1');
  assert.deepEqual(r.slots, { Origin: 'Boston', Destination: 'Chicago', Date: tomorrow });
  c.send({ type: 'text', id: 2, sessionId: 'wc-user-1', text: 'yes' });
  r = await c.next((m) => m.type === 'bot' && m.id === 2);
  assert.equal(r.dialogState, 'Fulfilled');
  assert.equal(r.message, `We have booked your flight from Boston to Chicago on ${tomorrow}`);
  // ping/pong at the application level (browsers cannot send WebSocket pings)
  c.send({ type: 'ping', id: 'p' });
  assert.deepEqual(await c.next((m) => m.type === 'pong'), { type: 'pong', id: 'p', __taken: true });
  c.ws.close(1000);
  assert.equal((await c.closed).code, 1000);
});

test('the session is the Lex V1 session: begun over WebSocket, finished over PostText, and back', async () => {
  const c = connect(AIR);
  await c.opened;
  c.send({ type: 'text', id: 1, sessionId: 'wc-shared', text: 'book a flight from Boston to Chicago tomorrow' });
  assert.equal((await c.next((m) => m.type === 'bot')).dialogState, 'ConfirmIntent');
  const res = await fetch(`${s.url}/bot/AmazonianAirways/alias/prod/user/wc-shared/text`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputText: 'yes' }) });
  assert.equal((await res.json()).dialogState, 'Fulfilled');
  c.ws.close();
});

test('response-card buttons: the card arrives, a button value answers it', async () => {
  const c = connect('/webchat/FlowerShop/prod', { origin: 'https://anywhere.example' });
  await c.opened;
  c.send({ type: 'text', id: 1, sessionId: 'wc-flowers', text: 'I would like to order some flowers' });
  const r = await c.next((m) => m.type === 'bot');
  assert.equal(r.dialogState, 'ElicitSlot');
  assert.equal(r.slotToElicit, 'FlowerType');
  const card = r.responseCard.genericAttachments[0];
  assert.equal(card.title, 'Flowers');
  assert.deepEqual(card.buttons.map((b) => b.value), ['roses', 'lilies', 'tulips']);
  c.send({ type: 'button', id: 2, sessionId: 'wc-flowers', value: card.buttons[1].value });
  const r2 = await c.next((m) => m.type === 'bot' && m.id === 2);
  assert.equal(r2.slots.FlowerType, 'lilies');
  assert.notEqual(r2.slotToElicit, 'FlowerType');
  c.ws.close();
});

test('origins: a page from a disallowed origin gets HTTP 403 and no socket; "self" and no Origin pass', async () => {
  let c = connect(AIR, { origin: 'https://evil.example' });
  const e = await c.opened.then(() => null, (err) => err);
  assert.equal(e.status, 403);
  assert.match(JSON.parse(e.body).error, /Pages from https:\/\/evil\.example may not chat with AmazonianAirways \(webchat\.bots\.AmazonianAirways\.allowedOrigins\)/);
  // "self": the page came from this server
  c = connect(AIR, { origin: s.url });
  await c.opened;
  c.ws.close();
  // another port of the same host is another origin
  c = connect(AIR, { origin: `http://127.0.0.1:${s.port + 1}` });
  assert.equal((await c.opened.then(() => null, (err) => err)).status, 403);
  // no Origin at all: not a browser (origins protect browser users)
  c = connect(AIR, { origin: null });
  await c.opened;
  c.ws.close();
  // a bot not in webchat.bots, and a malformed path
  for (const p of ['/webchat/OtherBot/prod', '/webchat/AmazonianAirways', '/webchat/A/b/c']) {
    c = connect(p);
    assert.equal((await c.opened.then(() => null, (err) => err)).status, 404, p);
  }
});

test('the size cap: a longer message gets MessageTooLarge and the connection closes with 1009', async () => {
  const c = connect(AIR);
  await c.opened;
  c.send({ type: 'text', id: 1, sessionId: 'wc-big', text: 'x'.repeat(600) });
  const err = await c.next((m) => m.type === 'error');
  assert.equal(err.code, 'MessageTooLarge');
  assert.match(err.message, /at most 512 bytes/);
  assert.equal((await c.closed).code, 1009);
  // a message just under the cap is fine
  const d = connect(AIR);
  await d.opened;
  const small = { type: 'text', id: 1, sessionId: 'wc-big2', text: 'hello' };
  small.pad = 'y'.repeat(512 - JSON.stringify(small).length - 9);
  assert.ok(JSON.stringify(small).length <= 512);
  d.send(small);
  assert.equal((await d.next((m) => m.id === 1 && m.type !== 'typing')).type, 'bot');
  d.ws.close();
});

test('the rate limit: past the burst, messages are refused with RateLimited, then allowed again', async () => {
  const c = connect(AIR);
  await c.opened;
  for (let i = 0; i < 7; i++) c.send({ type: 'ping', id: i });
  const replies = () => c.got.filter((m) => m.type === 'pong' || m.code === 'RateLimited');
  for (let t = 0; replies().length < 7 && t < 200; t++) await new Promise((r) => setTimeout(r, 25));
  const pongs = c.got.filter((m) => m.type === 'pong').length;
  const limited = c.got.filter((m) => m.type === 'error' && m.code === 'RateLimited');
  assert.equal(pongs + limited.length, 7);
  assert.ok(pongs >= 4 && pongs <= 5, `${pongs} pongs`); // the burst (plus a refill on a slow machine)
  assert.ok(limited.length >= 2);
  assert.match(limited[0].message, /wait \d+ ms/);
  await new Promise((r) => setTimeout(r, 700)); // 2 per second refill
  c.send({ type: 'ping', id: 'later' });
  await c.next((m) => m.type === 'pong' && m.id === 'later');
  c.ws.close();
});

test('errors come back as {type:"error", code, message} and the connection stays open', async () => {
  const c = connect(AIR);
  await c.opened;
  const cases = [
    ['not json', 'BadMessage'],
    [{ type: 'dance', id: 1 }, 'BadMessage'],
    [{ type: 'text', id: 2, sessionId: 'x', text: 'hi' }, 'BadSessionId'],
    [{ type: 'text', id: 3, sessionId: 'bad id!', text: 'hi' }, 'BadSessionId'],
    [{ type: 'text', id: 4, sessionId: 'wc-err' }, 'BadMessage'],
  ];
  for (const [m, code] of cases) {
    c.send(m);
    const e = await c.next((x) => x.type === 'error');
    assert.equal(e.code, code, JSON.stringify(m));
    assert.ok(e.message.length > 10);
    await new Promise((r) => setTimeout(r, 510)); // stay under the rate limit
  }
  c.ws.close();
  // an alias that does not exist: the turn fails with NotFound
  const d = connect('/webchat/AmazonianAirways/nosuchalias');
  await d.opened;
  d.send({ type: 'text', id: 9, sessionId: 'wc-err', text: 'hello' });
  const e = await d.next((x) => x.type === 'error' && x.id === 9);
  assert.equal(e.code, 'NotFound');
  d.ws.close();
});

test('plain HTTP on the same port is untouched: the widget files, keep-alive requests', async () => {
  const r = await fetch(`${s.url}/widget/parley-widget.js`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/javascript/);
  const etag = r.headers.get('etag');
  assert.match(await r.text(), /parley-widget/);
  const again = await fetch(`${s.url}/widget/parley-widget.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  // gzip for clients that take it (fetch asks for it and decodes), plain otherwise
  assert.equal(r.headers.get('content-encoding'), 'gzip');
  assert.match(etag, /-gz"$/);
  const plain = await new Promise((resolve) => http.get(`${s.url}/widget/parley-widget.js`, (res) => {
    let n = 0;
    res.on('data', (d) => (n += d.length));
    res.on('end', () => resolve({ n, enc: res.headers['content-encoding'], etag: res.headers.etag }));
  }));
  assert.equal(plain.enc, undefined);
  assert.ok(plain.n > 10000 && plain.etag !== etag);
  const css = await fetch(`${s.url}/widget/parley-widget.css`);
  assert.match(css.headers.get('content-type'), /^text\/css/);
  assert.equal((await fetch(`${s.url}/widget/other.js`)).status, 404);
  // a GET with an Upgrade header that is not websocket goes to the HTTP core
  const h = await fetch(`${s.url}/healthz`, { headers: { Upgrade: 'h2c', Connection: 'Upgrade' } }).catch(() => null);
  if (h) assert.equal(h.status, 200);
});

test('/metrics counts connections, refusals and messages', async () => {
  const c = connect(AIR);
  await c.opened;
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const value = (series) => Number(text.match(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm'))?.[1]);
  assert.ok(value('parley_webchat_connections') >= 1, text);
  assert.ok(value('parley_webchat_handshakes_refused_total{status="403"}') >= 2);
  assert.ok(value('parley_webchat_handshakes_refused_total{status="404"}') >= 3);
  assert.ok(value('parley_webchat_messages_total{result="turn"}') >= 5);
  assert.ok(value('parley_webchat_messages_total{result="rate_limited"}') >= 3);
  assert.ok(value('parley_webchat_messages_total{result="too_large"}') >= 1);
  assert.match(text, /# TYPE parley_webchat_messages_total counter/);
  c.ws.close();
});

test('config errors are one line naming the key', async () => {
  const work = tempDir('parley-wc-cfg-');
  const bad = [
    [{ bots: { AmazonianAirways: { allowedOrigins: ['http://x.example/path'] } } },
      /webchat\.bots\.AmazonianAirways\.allowedOrigins\[0\]: must be/],
    [{ bots: { AmazonianAirways: { allowedOrigins: [] } } }, /webchat\.bots\.AmazonianAirways\.allowedOrigins: must be a non-empty array/],
    [{ bots: { NoSuchBot: { allowedOrigins: ['*'] } } }, /webchat\.bots\.NoSuchBot: there is no bot by that name/],
    [{ maxMessageBytes: 1 }, /webchat\.maxMessageBytes: must be a number from 64/],
    [{ rateLimit: { burst: 0 } }, /webchat\.rateLimit\.burst: must be a number from 1/],
    [{ colour: 'red' }, /webchat\.colour: unknown key/],
  ];
  for (const [wc, re] of bad) {
    const cfg = writeConfig(work, { server: { port: 0 }, bots: [airline], webchat: wc });
    const r = await runParley(['serve', '--config', cfg, '--data-dir', path.join(work, 'data'), '--port', '0']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('{'));
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].startsWith(`parley: ${cfg}: webchat.`), lines[0]);
  }
});

test('on SIGTERM, open sockets are closed with 1001 (going away) and parley exits cleanly', async () => {
  const t = await startParley({ config: { bots: [airline], functions: [bash],
                                          webchat: { bots: { AmazonianAirways: { allowedOrigins: ['*'] } } } } });
  try {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}${AIR}`);
    await new Promise((resolve, reject) => { ws.on('message', resolve); ws.on('error', reject); }); // hello
    // a turn with a code hook in flight while the server stops
    ws.send(JSON.stringify({ type: 'text', id: 1, sessionId: 'wc-stop', text: 'book a flight from Boston to Chicago tomorrow' }));
    const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    const res = await t.stop();
    assert.deepEqual(await closed, { code: 1001, reason: 'server shutting down' });
    assert.equal(res.code, 0, t.stderr.slice(-3000));
  } finally { t.cleanup(); }
});
