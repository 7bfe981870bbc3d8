// Bots beyond the SDK conversations: hot reload (file change and SIGHUP)
// without dropping a conversation in flight, a broken edit that keeps the
// old version serving, API keys, `parley chat` and `parley export`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startParley, runParley, tempDir, writeConfig, sleep, SOURCE_DIR, PARLEY_BIN } from './harness.mjs';

const flowers = path.join(SOURCE_DIR, 'examples/bots/flowers.json');

async function postText(url, bot, user, inputText, headers = {}) {
  const r = await fetch(`${url}/bot/${bot}/alias/$LATEST/user/${user}/text`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ inputText }),
  });
  return { status: r.status, type: r.headers.get('x-amzn-errortype'), body: await r.json() };
}

async function until(fn, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(100);
  }
}

test('a changed bot file is retrained and swapped in; the conversation goes on', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'flowers.json');
  copyFileSync(flowers, file);
  const s = await startParley({ config: { bots: [{ file }] } });
  try {
    let r = await postText(s.url, 'FlowerShop', 'reload-user', 'I would like to order some flowers');
    assert.equal(r.body.slotToElicit, 'FlowerType');
    // change the date prompt while the user is half-way through
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.resource.intents[0].slots[1].valueElicitationPrompt.messages[0].content = 'When should the {FlowerType} be ready?';
    writeFileSync(file, JSON.stringify(doc));
    await until(() => s.stderr.includes('reloaded bot FlowerShop'));
    r = await postText(s.url, 'FlowerShop', 'reload-user', 'tulips');
    assert.equal(r.status, 200);
    assert.equal(r.body.slots.FlowerType, 'tulips'); // the session survived the swap
    assert.equal(r.body.message, 'When should the tulips be ready?');

    // a broken edit is refused and the running version keeps serving
    writeFileSync(file, '{"metadata": {"importType": "LEX", "importFormat": "JSON"}, "resource": {"name": "FlowerShop", "intents": []}}');
    await until(() => s.stderr.includes('resource.intents: must be a non-empty array'));
    r = await postText(s.url, 'FlowerShop', 'reload-user-2', 'I would like to order some flowers');
    assert.equal(r.body.slotToElicit, 'FlowerType');

    // SIGHUP reloads too
    doc.resource.intents[0].slots[0].valueElicitationPrompt = {
      messages: [{ contentType: 'PlainText', content: 'Roses, lilies or tulips?' }], maxAttempts: 2 };
    writeFileSync(file, JSON.stringify(doc));
    s.proc.kill('SIGHUP');
    await until(async () => (await postText(s.url, 'FlowerShop', `hup-${Date.now()}`,
      'I would like to order some flowers')).body.message === 'Roses, lilies or tulips?');
  } finally { await s.stop(); s.cleanup(); }
});

test('with lex.auth apiKey, requests need a key from the environment', async () => {
  const s = await startParley({
    config: { bots: [{ file: flowers }], lex: { auth: 'apiKey', apiKeysEnv: 'TEST_LEX_KEYS' } },
    env: { TEST_LEX_KEYS: 'k-one,k-two' },
  });
  try {
    let r = await postText(s.url, 'FlowerShop', 'key-user', 'order flowers');
    assert.equal(r.status, 403);
    assert.equal(r.type, 'AccessDeniedException');
    r = await postText(s.url, 'FlowerShop', 'key-user', 'order flowers', { 'x-api-key': 'k-on' });
    assert.equal(r.status, 403);
    r = await postText(s.url, 'FlowerShop', 'key-user', 'order flowers', { 'x-api-key': 'k-two' });
    assert.equal(r.status, 200);
    assert.ok(!s.stdout.includes('k-two') && !s.stderr.includes('k-two')); // never logged
  } finally { await s.stop(); s.cleanup(); }
  // a missing variable is a config error naming the key
  const dir = tempDir();
  const cfg = writeConfig(dir, { bots: [{ file: flowers }], lex: { auth: 'apiKey', apiKeysEnv: 'NOPE_UNSET' } });
  const bad = await runParley(['serve', '--config', cfg, '--data-dir', `${dir}/data`]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /lex\.apiKeysEnv: must name an environment variable/);
});

test('with lex.auth sigv4, the AWS SDK\'s signatures are checked (V1 over HTTP/1.1, V2 over h2c)', async () => {
  const { LexRuntimeServiceClient, PostTextCommand } = await import('@aws-sdk/client-lex-runtime-service');
  const { LexRuntimeV2Client, RecognizeTextCommand } = await import('@aws-sdk/client-lex-runtime-v2');
  const s = await startParley({
    config: { bots: [{ file: flowers }],
              lex: { auth: 'sigv4', accessKeyIdEnv: 'TEST_LEX_ID', secretAccessKeyEnv: 'TEST_LEX_SECRET' } },
    env: { TEST_LEX_ID: 'AKIDPARLEYTEST', TEST_LEX_SECRET: 'the-real-secret' },
  });
  const v1 = (accessKeyId, secretAccessKey) => new LexRuntimeServiceClient({
    endpoint: s.url, region: 'eu-west-1', credentials: { accessKeyId, secretAccessKey } });
  const v2 = (accessKeyId, secretAccessKey) => new LexRuntimeV2Client({
    endpoint: s.url, region: 'eu-west-1', credentials: { accessKeyId, secretAccessKey } });
  const post = (c) => c.send(new PostTextCommand({ botName: 'FlowerShop', botAlias: '$LATEST',
    userId: 'signed-user', inputText: 'order flowers', sessionAttributes: { a: 'b c' } }));
  const recognize = (c) => c.send(new RecognizeTextCommand({ botId: 'FlowerShop', botAliasId: 'TSTALIASID',
    localeId: 'en_US', sessionId: 'signed-user-2', text: 'order flowers' }));
  try {
    assert.equal((await post(v1('AKIDPARLEYTEST', 'the-real-secret'))).slotToElicit, 'FlowerType');
    assert.equal((await recognize(v2('AKIDPARLEYTEST', 'the-real-secret'))).sessionState.dialogAction.slotToElicit, 'FlowerType');
    await assert.rejects(post(v1('AKIDPARLEYTEST', 'a-wrong-secret')),
      (e) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403);
    await assert.rejects(recognize(v2('AKIDPARLEYTEST', 'a-wrong-secret')),
      (e) => e.name === 'InvalidSignatureException');
    await assert.rejects(post(v1('AKIDSOMEONEELSE', 'the-real-secret')),
      (e) => e.name === 'UnrecognizedClientException');
    const unsigned = await postText(s.url, 'FlowerShop', 'unsigned-user', 'order flowers');
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.type, 'MissingAuthenticationTokenException');
    assert.ok(!s.stdout.includes('the-real-secret') && !s.stderr.includes('the-real-secret'));
  } finally { await s.stop(); s.cleanup(); }
});

test('lex.messageSeed makes the choice among a prompt\'s messages reproducible', async () => {
  // FlowerShop's FlowerType prompt has two messages in one group
  const firstPrompt = async (seed) => {
    const s = await startParley({ config: { bots: [{ file: flowers }], lex: { messageSeed: seed } } });
    try {
      const a = await postText(s.url, 'FlowerShop', 'seed-user-a', 'I would like to order some flowers');
      const b = await postText(s.url, 'FlowerShop', 'seed-user-b', 'I would like to order some flowers');
      assert.equal(a.body.message, b.body.message); // same seed, same turn: same choice
      return a.body.message;
    } finally { await s.stop(); s.cleanup(); }
  };
  const bySeed = [];
  for (const seed of [1, 2, 3, 4, 5, 6]) bySeed.push(await firstPrompt(seed));
  assert.equal(await firstPrompt(3), bySeed[2]); // a restart with the same seed repeats it
  assert.equal(new Set(bySeed).size, 2, `both messages are chosen across seeds: ${bySeed}`);
});

test('a bot file with a mistake stops serve with the file and the JSON path', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'broken.json');
  const doc = JSON.parse(readFileSync(flowers, 'utf8'));
  doc.resource.intents[0].slots[2].slotType = 'AMAZON.Nonsense';
  writeFileSync(file, JSON.stringify(doc));
  const cfg = writeConfig(dir, { bots: [{ file }] });
  const r = await runParley(['serve', '--config', cfg, '--data-dir', `${dir}/data`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), /broken\.json: resource\.intents: the language model cannot be trained: .*Nonsense/);
});

test('parley chat talks to a bot through the dialog manager; parley export prints Lex JSON', async () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, { bots: [{ file: flowers }] });
  const out = await new Promise((resolve) => {
    const p = spawn(PARLEY_BIN, ['chat', 'FlowerShop', '--config', cfg, '--data-dir', `${dir}/data`]);
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    p.on('close', () => resolve(text));
    p.stdin.end('I would like to order some roses\ntomorrow\n');
  });
  assert.match(out, /FlowerShop> What day do you want the roses to be picked up\?/);
  assert.match(out, /\[ElicitSlot PickupDate intent=OrderFlowers slots=\{"FlowerType":"roses",/);
  assert.match(out, /confidence=0\.\d\d|confidence=1\.00/);
  assert.match(out, /\[ElicitSlot PickupTime /);
  // a code hook in the terminal runs through the same functions as the server's
  const cfg2 = writeConfig(tempDir(), { bots: [{ file: path.join(SOURCE_DIR, 'examples/bots/airline.json') }],
    functions: [{ name: 'BookFlight', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-bash'),
                  handler: 'function.handler' }] });
  const booked = await new Promise((resolve) => {
    const p = spawn(PARLEY_BIN, ['chat', 'AmazonianAirways', '--config', cfg2, '--data-dir', `${dir}/data2`]);
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    let errText = '';
    p.stderr.on('data', (d) => (errText += d));
    p.on('close', (code) => resolve({ text, code, errText }));
    p.stdin.end('book a flight from Boston to Chicago tomorrow\nyes\n');
  });
  assert.equal(booked.code, 0, booked.errText);
  assert.match(booked.text, /AmazonianAirways> We have booked your flight from Boston to Chicago on \d{4}-\d\d-\d\d/);
  assert.match(booked.text, /\[Fulfilled intent=BookFlight /);
  const ex = await runParley(['export', 'FlowerShop', '--config', cfg, '--data-dir', `${dir}/data`]);
  assert.equal(ex.code, 0);
  const doc = JSON.parse(ex.stdout);
  assert.equal(doc.metadata.importType, 'LEX');
  assert.equal(doc.resource.name, 'FlowerShop');
  assert.deepEqual(doc.resource.slotTypes, JSON.parse(readFileSync(flowers, 'utf8')).resource.slotTypes);
});
