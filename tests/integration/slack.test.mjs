// The Slack channel against a fake Slack Web API (fake-slack.mjs): signed
// events, slash commands and button clicks in; chat.postMessage and
// response_url posts out. The bot is the book's ConfigBot with its real
// Node.js handler (examples/functions/configbot) under aws-lambda-ric.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startParley, runParley, tempDir, writeConfig, SOURCE_DIR, sleep } from './harness.mjs';
import { startFakeSlack, slackSign, nowSeconds } from './fake-slack.mjs';

const SECRET = 'test-signing-secret-0123456789abcdef';
const TOKEN = 'xoxb-test-token-42';
const BOT_USER = 'UCONFIGBOT';
const QUESTION = 'what are the open ports for i-06dd90c34b8f87d76?';
const ANSWER = 'The open ports for i-06dd90c34b8f87d76 are 22, 80, 443, 8000--8080.';

const configbot = { file: path.join(SOURCE_DIR, 'examples/bots/configbot.json') };
const flowers = { file: path.join(SOURCE_DIR, 'examples/bots/flowers.json') };
function portsFunction(delayMs = 0) {
  return {
    name: 'ConfigBotPorts', codeDir: path.join(SOURCE_DIR, 'examples/functions/configbot'),
    command: ['../airline-node/node_modules/.bin/aws-lambda-ric', 'index.handler'],
    handler: 'index.handler', timeout: 15, reservedConcurrency: 4,
    environment: { CONFIGBOT_DELAY_MS: String(delayMs) },
  };
}
function slackConfig(fake, extra = {}) {
  const common = { signingSecretEnv: 'T_SLACK_SECRET', botTokenEnv: 'T_SLACK_TOKEN', botUserId: BOT_USER,
                   apiUrl: fake.apiUrl, events: ['app_mention', 'message.im'] };
  return { bots: [{ bot: 'ConfigBot', ...common }, { bot: 'FlowerShop', ...common }], ...extra };
}
const env = { T_SLACK_SECRET: SECRET, T_SLACK_TOKEN: TOKEN };

let seq = 0;
function mention(text, { channel = 'C0PORTS', user = 'U0ALICE', threadTs, eventId } = {}) {
  seq++;
  const ts = `${nowSeconds()}.${String(100000 + seq).slice(1)}`;
  const event = { type: 'app_mention', user, text, ts, channel, event_ts: ts, team: 'T0TEAM' };
  if (threadTs) event.thread_ts = threadTs;
  return { token: 'unused', team_id: 'T0TEAM', api_app_id: 'A0APP', type: 'event_callback',
           event_id: eventId ?? `Ev${Date.now()}${seq}`, event_time: nowSeconds(), event };
}

async function postSigned(url, body, { contentType = 'application/json', headers = {}, secret = SECRET } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const ts = String(nowSeconds());
  const started = Date.now();
  const r = await fetch(url, { method: 'POST', body: text, headers: {
    'content-type': contentType, 'x-slack-request-timestamp': ts,
    'x-slack-signature': slackSign(secret, ts, text), ...headers } });
  const answer = await r.text();
  return { status: r.status, text: answer, ms: Date.now() - started };
}

function form(fields) {
  return new URLSearchParams(fields).toString();
}

let fake, s;
before(async () => {
  fake = await startFakeSlack();
  s = await startParley({ config: { bots: [configbot, flowers], functions: [portsFunction()], slack: slackConfig(fake) }, env });
});
// A clean exit (0) also means no leak under LeakSanitizer (the ASan build).
async function stopClean(server) {
  const { code, signal } = await server.stop();
  assert.equal(code, 0, `parley exited ${code ?? signal}: ${server.stderr.slice(-3000)}`);
}

after(async () => {
  if (s) await stopClean(s);
  await fake?.stop();
  s?.cleanup();
});

test('url_verification echoes the challenge; unsigned, unknown and misrouted requests are refused', async () => {
  const r = await postSigned(`${s.url}/slack/ConfigBot/events`, { type: 'url_verification', challenge: 'ch4llenge', token: 'x' });
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.text).challenge, 'ch4llenge');
  const unsigned = await fetch(`${s.url}/slack/ConfigBot/events`, { method: 'POST', body: JSON.stringify(mention(QUESTION)) });
  assert.equal(unsigned.status, 401);
  const wrong = await postSigned(`${s.url}/slack/ConfigBot/events`, mention(QUESTION), { secret: 'not-the-secret' });
  assert.equal(wrong.status, 401);
  const unknown = await postSigned(`${s.url}/slack/NoSuchBot/events`, { type: 'url_verification', challenge: 'x' });
  assert.equal(unknown.status, 404);
  await sleep(500);
  assert.equal(fake.posts().length, 0, 'nothing reached the bot');
});

test('the ConfigBot answers the book\'s question in the thread: one chat.postMessage with token, channel, thread and text', async () => {
  const ev = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0BOOK' });
  const r = await postSigned(`${s.url}/slack/ConfigBot/events`, ev);
  assert.equal(r.status, 200);
  assert.ok(r.ms < 3000, `acknowledged in ${r.ms} ms`);
  await fake.waitFor(() => fake.posts((c) => c.body.channel === 'C0BOOK').length >= 1, 30000);
  await sleep(1000);
  const posts = fake.posts((c) => c.body.channel === 'C0BOOK');
  assert.equal(posts.length, 1);
  const p = posts[0];
  assert.equal(p.headers.authorization, `Bearer ${TOKEN}`);
  assert.match(p.headers['content-type'], /^application\/json; ?charset=utf-8$/i);
  assert.equal(p.body.channel, 'C0BOOK');
  assert.equal(p.body.thread_ts, ev.event.ts);
  assert.equal(p.body.text, ANSWER);
  // the token is never logged
  assert.ok(!s.stdout.includes(TOKEN) && !s.stderr.includes(TOKEN), 'the bot token is not in the logs');
  assert.ok(!s.stdout.includes(SECRET) && !s.stderr.includes(SECRET), 'the signing secret is not in the logs');
});

test('an event retried three times (X-Slack-Retry-Num) is answered once, also after a restart', async () => {
  const ev = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0RETRY' });
  assert.equal((await postSigned(`${s.url}/slack/ConfigBot/events`, ev)).status, 200);
  for (let n = 1; n <= 3; n++) {
    const r = await postSigned(`${s.url}/slack/ConfigBot/events`, ev,
      { headers: { 'x-slack-retry-num': String(n), 'x-slack-retry-reason': 'http_timeout' } });
    assert.equal(r.status, 200);
  }
  await fake.waitFor(() => fake.posts((c) => c.body.channel === 'C0RETRY').length >= 1, 30000);
  await sleep(1500);
  assert.equal(fake.posts((c) => c.body.channel === 'C0RETRY').length, 1);

  // the same server restarted on the same data: the claim survived
  await stopClean(s);
  const restarted = await startParley({ configPath: s.configPath, dataDir: s.dataDir, env });
  try {
    const r = await postSigned(`${restarted.url}/slack/ConfigBot/events`, ev,
      { headers: { 'x-slack-retry-num': '3', 'x-slack-retry-reason': 'http_error' } });
    assert.equal(r.status, 200);
    await sleep(2000);
    assert.equal(fake.posts((c) => c.body.channel === 'C0RETRY').length, 1);
  } finally {
    await stopClean(restarted);
  }
  s = await startParley({ configPath: s.configPath, dataDir: s.dataDir, env });
});

test('messages from bots, from ourselves, and edits are ignored', async () => {
  const fromBot = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0IGNORE' });
  fromBot.event.bot_id = 'B0OTHER';
  const fromSelf = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0IGNORE', user: BOT_USER });
  const edited = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0IGNORE' });
  edited.event.subtype = 'message_changed';
  const im = mention(QUESTION, { channel: 'D0IGNORE' });
  im.event.type = 'message'; im.event.channel_type = 'im'; im.event.bot_id = 'B0SELF';
  for (const ev of [fromBot, fromSelf, edited, im])
    assert.equal((await postSigned(`${s.url}/slack/ConfigBot/events`, ev)).status, 200);
  await sleep(2500);
  assert.equal(fake.posts((c) => ['C0IGNORE', 'D0IGNORE'].includes(c.body.channel)).length, 0);
});

test('a direct message (message.im) is answered in the conversation', async () => {
  const ev = mention(QUESTION, { channel: 'D0DIRECT' });
  ev.event.type = 'message'; ev.event.channel_type = 'im';
  assert.equal((await postSigned(`${s.url}/slack/ConfigBot/events`, ev)).status, 200);
  await fake.waitFor(() => fake.posts((c) => c.body.channel === 'D0DIRECT').length >= 1, 30000);
  const p = fake.posts((c) => c.body.channel === 'D0DIRECT')[0];
  assert.equal(p.body.text, ANSWER);
  assert.equal(p.body.thread_ts, undefined);
});

test('a 429 with Retry-After: 1 is retried after a second', async () => {
  fake.plan.push({ status: 429, headers: { 'Retry-After': '1' }, body: { ok: false, error: 'ratelimited' } });
  const ev = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0LIMIT' });
  assert.equal((await postSigned(`${s.url}/slack/ConfigBot/events`, ev)).status, 200);
  await fake.waitFor(() => fake.posts((c) => c.body.channel === 'C0LIMIT').length >= 2, 30000);
  await sleep(1000);
  const posts = fake.posts((c) => c.body.channel === 'C0LIMIT');
  assert.equal(posts.length, 2, 'one refused, one accepted');
  const gap = posts[1].at - posts[0].at;
  assert.ok(gap >= 950 && gap < 5000, `retried after ${gap} ms`);
  assert.equal(posts[1].body.text, ANSWER);
});

test('slash commands: ssl_check, a direct answer within 3 s, and an empty text hint', async () => {
  const url = `${s.url}/slack/ConfigBot/commands`;
  const ssl = await postSigned(url, form({ ssl_check: '1', token: 'x' }), { contentType: 'application/x-www-form-urlencoded' });
  assert.equal(ssl.status, 200);
  assert.equal(ssl.text, '');
  const unsignedSsl = await fetch(url, { method: 'POST', body: form({ ssl_check: '1', token: 'x' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(unsignedSsl.status, 200);
  assert.equal(await unsignedSsl.text(), '');
  // warm the handler up so the answer comes in time
  await fetch(`${s.url}/bot/ConfigBot/alias/$LATEST/user/warmup/text`, { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputText: QUESTION }) });
  const fields = { command: '/ports', text: QUESTION, user_id: 'U0BOB', channel_id: 'C0SLASH', team_id: 'T0TEAM',
                   response_url: `${fake.url}/response/slash1`, trigger_id: 't' };
  const r = await postSigned(url, form(fields), { contentType: 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 200);
  assert.ok(r.ms < 3000, `answered in ${r.ms} ms`);
  const body = JSON.parse(r.text);
  assert.equal(body.text, ANSWER);
  assert.equal(body.response_type, 'in_channel');
  const empty = await postSigned(url, form({ ...fields, text: '' }), { contentType: 'application/x-www-form-urlencoded' });
  assert.equal(empty.status, 200);
  assert.match(JSON.parse(empty.text).text, /\/ports/);
  const bad = await fetch(url, { method: 'POST', body: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(bad.status, 401);
});

test('buttons: a response card becomes blocks, and a click is the next turn', async () => {
  const ev = mention(`<@${BOT_USER}> I would like to order some flowers`, { channel: 'C0FLOWERS' });
  assert.equal((await postSigned(`${s.url}/slack/FlowerShop/events`, ev)).status, 200);
  await fake.waitFor(() => fake.posts((c) => c.body.channel === 'C0FLOWERS').length >= 1);
  const first = fake.posts((c) => c.body.channel === 'C0FLOWERS')[0].body;
  const actions = first.blocks.find((b) => b.type === 'actions');
  assert.ok(actions, `blocks: ${JSON.stringify(first.blocks)}`);
  assert.deepEqual(actions.elements.map((e) => e.value), ['roses', 'lilies', 'tulips']);
  assert.equal(actions.elements[0].text.text, 'Roses');
  const payload = {
    type: 'block_actions', team: { id: 'T0TEAM' }, user: { id: 'U0ALICE', team_id: 'T0TEAM' },
    channel: { id: 'C0FLOWERS' }, container: { type: 'message', channel_id: 'C0FLOWERS', message_ts: '1.2', thread_ts: ev.event.ts },
    message: { ts: '1.2', thread_ts: ev.event.ts }, response_url: `${fake.url}/response/click`,
    actions: [{ type: 'button', action_id: actions.elements[0].action_id, value: 'roses' }],
  };
  const r = await postSigned(`${s.url}/slack/FlowerShop/interactions`, form({ payload: JSON.stringify(payload) }),
    { contentType: 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 200);
  assert.ok(r.ms < 3000);
  await fake.waitFor(() => fake.posts((c) => c.body.channel === 'C0FLOWERS').length >= 2);
  const second = fake.posts((c) => c.body.channel === 'C0FLOWERS')[1].body;
  assert.equal(second.thread_ts, ev.event.ts);
  assert.match(second.text, /roses/);
  const unsigned = await fetch(`${s.url}/slack/FlowerShop/interactions`, { method: 'POST', body: form({ payload: JSON.stringify(payload) }) });
  assert.equal(unsigned.status, 401);
});

test('a body over the cap is refused with 413 and nothing reaches the bot', async () => {
  const ev = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0HUGE' });
  ev.padding = 'x'.repeat(1100000);
  const r = await postSigned(`${s.url}/slack/ConfigBot/events`, ev);
  assert.equal(r.status, 413);
  await sleep(1500);
  assert.equal(fake.posts((c) => c.body.channel === 'C0HUGE').length, 0);
});

test('with a code hook taking 5 s every event is still acknowledged in under 3 s', async () => {
  const slowFake = await startFakeSlack();
  const slow = await startParley({ config: { bots: [configbot], functions: [portsFunction(5000)],
                                             slack: { bots: [slackConfig(slowFake).bots[0]] } }, env });
  try {
    const events = [1, 2, 3].map((i) => mention(`<@${BOT_USER}> ${QUESTION}`, { channel: `C0SLOW${i}` }));
    const started = Date.now();
    for (const ev of events) {
      const r = await postSigned(`${slow.url}/slack/ConfigBot/events`, ev);
      assert.equal(r.status, 200);
      assert.ok(r.ms < 3000, `acknowledged in ${r.ms} ms`);
    }
    // a slash command past its 3 s: acknowledged, answered later at response_url
    const fields = { command: '/ports', text: QUESTION, user_id: 'U0SLOW', channel_id: 'C0SLOWCMD', team_id: 'T0TEAM',
                     response_url: `${slowFake.url}/response/slow`, trigger_id: 't' };
    const c = await postSigned(`${slow.url}/slack/ConfigBot/commands`, form(fields), { contentType: 'application/x-www-form-urlencoded' });
    assert.equal(c.status, 200);
    assert.ok(c.ms < 3000, `slash command acknowledged in ${c.ms} ms`);
    await slowFake.waitFor((calls) => calls.filter((x) => x.path === '/api/chat.postMessage').length >= 3 &&
                                       calls.some((x) => x.path === '/response/slow'), 60000);
    for (const p of slowFake.posts()) assert.equal(p.body.text, ANSWER);
    assert.ok(slowFake.posts()[0].at - started >= 4500, 'the replies came after the slow hook');
    const late = slowFake.calls.find((x) => x.path === '/response/slow');
    assert.equal(late.body.text, ANSWER);
    assert.equal(late.body.response_type, 'in_channel');
  } finally {
    await stopClean(slow); slow.cleanup(); await slowFake.stop();
  }
});

test('the default config starts without the Slack variables: a warning, and 503', async () => {
  const d = await startParley({ configPath: path.join(SOURCE_DIR, 'examples/parley.json'),
    env: { SLACK_SIGNING_SECRET: '', SLACK_BOT_TOKEN: '', SLACK_BOT_USER_ID: '', SLACK_API_URL: '' } });
  try {
    const r = await postSigned(`${d.url}/slack/ConfigBot/events`, { type: 'url_verification', challenge: 'x' });
    assert.equal(r.status, 503);
    assert.match(d.stderr, /SLACK_SIGNING_SECRET\) is not set/);
  } finally { await d.stop(); d.cleanup(); }
});

test('a mistake in the slack section stops parley with one line naming the key', async () => {
  const dir = tempDir();
  const cases = [
    [{ bots: [{ bot: 'ConfigBot' }] }, /slack\.bots\[0\]\.signingSecretEnv: needs exactly one of/],
    [{ bots: [{ bot: 'NoSuchBot', signingSecretEnv: 'X' }] }, /slack\.bots\[0\]\.bot: no bot NoSuchBot/],
    [{ bots: [{ bot: 'ConfigBot', signingSecretEnv: 'X', events: ['reaction_added'] }] }, /slack\.bots\[0\]\.events: only/],
    [{ bots: [{ bot: 'ConfigBot', signingSecretEnv: 'X', apiUrl: 'ftp://x' }] }, /slack\.bots\[0\]\.apiUrl: must be an http/],
    [{ bots: [], colour: 'red' }, /slack\.colour: unknown key/],
  ];
  try {
    for (const [slack, re] of cases) {
      const file = writeConfig(dir, { server: { port: 0 }, bots: [configbot], slack });
      const r = await runParley(['serve', '--config', file, '--data-dir', path.join(dir, 'data'), '--port', '0']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, re);
    }
  } finally { (await import('node:fs')).rmSync(dir, { recursive: true, force: true }); }
});

test('the ConfigBot understands the book\'s sentence and checks instance ids (Lex V1 API)', async () => {
  const say = async (user, inputText) => {
    const r = await fetch(`${s.url}/bot/ConfigBot/alias/$LATEST/user/${user}/text`, { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputText }) });
    assert.equal(r.status, 200);
    return r.json();
  };
  let r = await say('lex-book', QUESTION);
  assert.equal(r.intentName, 'GetOpenPorts');
  assert.equal(r.slots.InstanceId, 'i-06dd90c34b8f87d76');
  assert.equal(r.dialogState, 'Fulfilled');
  assert.equal(r.message, ANSWER);
  r = await say('lex-bad', 'what are the open ports for i-zzz?');
  assert.equal(r.dialogState, 'ElicitSlot');
  assert.equal(r.slotToElicit, 'InstanceId');
  r = await say('lex-bad', 'i-0f1e2d3c4b5a69788');
  assert.equal(r.dialogState, 'Fulfilled');
  assert.equal(r.message, 'No ports are open on i-0f1e2d3c4b5a69788.');
  r = await say('lex-unknown', 'which ports are open on i-0123456789abcdef0');
  assert.equal(r.dialogState, 'Failed');
  assert.equal(r.message, 'I do not know the instance i-0123456789abcdef0.');
});

test('/metrics counts Slack requests and replies by outcome (promtool-clean)', async () => {
  const ev = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0METRICS' });
  await postSigned(`${s.url}/slack/ConfigBot/events`, ev);
  await postSigned(`${s.url}/slack/ConfigBot/events`, ev, { headers: { 'x-slack-retry-num': '1' } });
  await postSigned(`${s.url}/slack/ConfigBot/events`, ev, { secret: 'wrong' });
  await fake.waitFor(() => fake.posts((c) => c.body.channel === 'C0METRICS').length >= 1, 30000);
  await sleep(300);
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const value = (family, outcome) => Number(text.match(new RegExp(
    `^parley_slack_${family}_total\\{bot="ConfigBot",outcome="${outcome}"\\} (\\d+)$`, 'm'))?.[1]);
  assert.ok(value('requests', 'event') >= 1);
  assert.ok(value('requests', 'duplicate') >= 1);
  assert.ok(value('requests', 'refused') >= 1);
  assert.ok(value('replies', 'posted') >= 1);
  const { spawnSync } = await import('node:child_process');
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (!lint.error) assert.equal(lint.status, 0, lint.stdout + lint.stderr);
});

test('stopping with a turn in flight still posts its reply, then exits cleanly', async () => {
  const f = await startFakeSlack();
  const p = await startParley({ config: { bots: [configbot], functions: [portsFunction(1500)],
                                          slack: { bots: [slackConfig(f).bots[0]] } }, env });
  try {
    const ev = mention(`<@${BOT_USER}> ${QUESTION}`, { channel: 'C0STOP' });
    assert.equal((await postSigned(`${p.url}/slack/ConfigBot/events`, ev)).status, 200);
    await sleep(200);
    await stopClean(p);
    assert.equal(f.posts((c) => c.body.channel === 'C0STOP').length, 1);
    assert.equal(f.posts()[0].body.text, ANSWER);
  } finally { p.cleanup(); await f.stop(); }
});
