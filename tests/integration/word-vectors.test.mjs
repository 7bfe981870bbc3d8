// The config's intents.wordVectors reaches the served bots: a bot whose
// samples say "movie" and "taxi" in the same carrier phrases ("I want a ...")
// understands "film" and "cab" (words it never saw) when the vectors put them
// side by side, and cannot tell the two intents apart without them; a
// vector file that does not read, or an unknown key under "intents", stops
// the start with one line naming the key. The vector file is the test's own,
// a few words in the format of intents/vectors.c, so the test neither needs
// nor depends on the 36 MB GloVe file.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { LexRuntimeV2Client, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { startParley, runParley, tempDir, writeConfig } from './harness.mjs';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const DIM = 8;

// "PARLEYV1", uint32 n_words, uint32 dim (little-endian), int8 vectors row by
// row, float32 scale per word, then each word as a length byte and its bytes;
// most frequent first.
function vectorFile(words) {
  const n = words.length;
  const names = words.map(([w]) => Buffer.from(w, 'utf8'));
  const buf = Buffer.alloc(16 + n * DIM + n * 4 + names.reduce((s, b) => s + 1 + b.length, 0));
  buf.write('PARLEYV1', 0, 'latin1');
  buf.writeUInt32LE(n, 8);
  buf.writeUInt32LE(DIM, 12);
  words.forEach(([, v], i) => v.forEach((x, d) => buf.writeInt8(x, 16 + i * DIM + d)));
  words.forEach((_, i) => buf.writeFloatLE(0.01, 16 + n * DIM + i * 4));
  let at = 16 + n * DIM + n * 4;
  for (const b of names) {
    buf.writeUInt8(b.length, at);
    b.copy(buf, at + 1);
    at += 1 + b.length;
  }
  return buf;
}

// two directions, films and cabs; words not in the file count for nothing
const WORDS = [
  ['please', [0, 0, 0, 0, 60, 0, 0, 0]],
  ['movie', [120, 10, 0, 0, 0, 0, 0, 0]],
  ['taxi', [0, 0, 120, 10, 0, 0, 0, 0]],
  ['film', [110, 20, 0, 0, 0, 0, 0, 0]],
  ['cab', [0, 0, 110, 20, 0, 0, 0, 0]],
];

const bot = {
  metadata: { schemaVersion: '1.0', importType: 'LEX', importFormat: 'JSON' },
  resource: {
    name: 'NightOut',
    locale: 'en-US',
    childDirected: false,
    clarificationPrompt: { messages: [{ contentType: 'PlainText', content: 'Sorry?' }], maxAttempts: 2 },
    abortStatement: { messages: [{ contentType: 'PlainText', content: 'Bye.' }] },
    intents: [
      {
        name: 'WatchMovie',
        sampleUtterances: ['I want a movie', 'a movie for me please', 'can I have a movie', 'movie now please'],
        slots: [],
        fulfillmentActivity: { type: 'ReturnIntent' },
      },
      {
        name: 'GetTaxi',
        sampleUtterances: ['I want a taxi', 'a taxi for me please', 'can I have a taxi', 'taxi now please'],
        slots: [],
        fulfillmentActivity: { type: 'ReturnIntent' },
      },
    ],
  },
};

let dir, botFile, vecFile;
before(() => {
  dir = tempDir();
  botFile = path.join(dir, 'nightout.json');
  writeFileSync(botFile, JSON.stringify(bot));
  vecFile = path.join(dir, 'tiny.pvec');
  writeFileSync(vecFile, vectorFile(WORDS));
});

// The intent each text gets (and the top-ranked interpretation) from a server started with
// wordVectors.
async function intentsWith(wordVectors, texts) {
  const s = await startParley({ config: { bots: [{ file: botFile }], intents: { wordVectors } } });
  try {
    const v2 = new LexRuntimeV2Client({ endpoint: s.url, region: 'us-east-1', credentials });
    const out = [], top = [];
    for (const [i, text] of texts.entries()) {
      const r = await v2.send(new RecognizeTextCommand({
        botId: 'NightOut', botAliasId: 'TSTALIASID', localeId: 'en_US', sessionId: `u${i}`, text }));
      out.push(r.sessionState.intent?.name);
      top.push(r.interpretations[0].intent.name);
    }
    return { out, top, stderr: s.stderr };
  } finally { await s.stop(); s.cleanup(); }
}

test('the served bot uses the configured word vectors: unseen synonyms are understood', async () => {
  const texts = ['I want a film please', 'can I have a cab', 'I want a movie', 'a taxi for me please'];
  const withVectors = await intentsWith(vecFile, texts);
  assert.match(withVectors.stderr, /word vectors: .*tiny\.pvec \(5 words, 8 dimensions\)/);
  assert.deepEqual(withVectors.out, ['WatchMovie', 'GetTaxi', 'WatchMovie', 'GetTaxi']);
  const without = await intentsWith('none', texts);
  assert.doesNotMatch(without.stderr, /word vectors/);
  // a tie between the two intents, under the confidence threshold: AMAZON.FallbackIntent
  assert.notEqual(without.out[0], 'WatchMovie');
  assert.notEqual(without.out[1], 'GetTaxi');
  assert.deepEqual(without.top.slice(2), ['WatchMovie', 'GetTaxi']); // the samples still work
});

test('a published version and a reloaded $LATEST are trained with the vectors too', async () => {
  const own = path.join(tempDir(), 'nightout.json');
  writeFileSync(own, JSON.stringify(bot));
  const s = await startParley({ config: { bots: [{ file: own, aliases: { prod: '1' } }],
    intents: { wordVectors: vecFile } } });
  try {
    const v2 = new LexRuntimeV2Client({ endpoint: s.url, region: 'us-east-1', credentials });
    const say = async (botAliasId, sessionId, text) => (await v2.send(new RecognizeTextCommand({
      botId: 'NightOut', botAliasId, localeId: 'en_US', sessionId, text }))).sessionState.intent?.name;
    assert.equal(await say('prod', 'p1', 'I want a film please'), 'WatchMovie');
    const changed = structuredClone(bot);
    changed.resource.intents[1].sampleUtterances.push('a taxi please');
    writeFileSync(own, JSON.stringify(changed));
    s.proc.kill('SIGHUP');
    for (const end = Date.now() + 10000; !s.stderr.includes('reloaded bot NightOut');) {
      assert.ok(Date.now() < end, 'no reload');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await say('TSTALIASID', 'l1', 'can I have a cab'), 'GetTaxi');
    assert.equal(await say('TSTALIASID', 'l2', 'I want a film please'), 'WatchMovie');
  } finally { await s.stop(); s.cleanup(); }
});

test('a wordVectors path is relative to the config file', async () => {
  const texts = ['I want a film please'];
  const r = await intentsWith('tiny.pvec', texts).catch((e) => e);
  // the harness writes the config into a folder of its own: tiny.pvec is not there
  assert.match(String(r), /intents\.wordVectors: word vectors .*tiny\.pvec: No such file/);
  const cfgDir = tempDir();
  writeFileSync(path.join(cfgDir, 'tiny.pvec'), vectorFile(WORDS));
  const cfg = writeConfig(cfgDir, { bots: [{ file: botFile }], intents: { wordVectors: 'tiny.pvec' },
    server: { port: 0 } });
  const s = await startParley({ configPath: cfg });
  try {
    assert.match(s.stderr, /word vectors: .*tiny\.pvec \(5 words/);
  } finally { await s.stop(); s.cleanup(); }
});

test('a word-vector file that does not read, or an unknown key under intents, stops the start', async () => {
  const cases = [
    [{ wordVectors: path.join(dir, 'missing.pvec') }, /: intents\.wordVectors: word vectors .*missing\.pvec: No such file or directory/],
    [{ wordVectors: botFile }, /: intents\.wordVectors: word vectors .*nightout\.json: not a Parley word-vector file/],
    [{ wordVectors: 7 }, /: intents\.wordVectors: must be the path of a word-vector file or "none"/],
    [{ wordVector: vecFile }, /: intents\.wordVector: unknown key/],
  ];
  for (const [intents, want] of cases) {
    const cfgDir = tempDir();
    const cfg = writeConfig(cfgDir, { bots: [{ file: botFile }], intents });
    const r = await runParley(['serve', '--config', cfg, '--data-dir', path.join(cfgDir, 'data'), '--port', '0'],
      { timeoutMs: 20000 });
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, want);
  }
  const cfgDir = tempDir();
  const cfg = writeConfig(cfgDir, { intents: 'none' });
  const r = await runParley(['serve', '--config', cfg, '--data-dir', path.join(cfgDir, 'data'), '--port', '0']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /: intents: must be an object/);
});
