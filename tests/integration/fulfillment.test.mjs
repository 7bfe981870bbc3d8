// The airline conversation fulfilled through each kind of function, as the
// AWS SDK sees it: the book's bash custom runtime, the Node.js handler under
// aws-lambda-ric, and a remote Invoke-compatible endpoint (a second Parley,
// reached with SigV4-signed Invoke calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { LexRuntimeServiceClient, PostTextCommand } from '@aws-sdk/client-lex-runtime-service';
import { LexRuntimeV2Client, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { startParley, SOURCE_DIR } from './harness.mjs';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const airline = { file: path.join(SOURCE_DIR, 'examples/bots/airline.json'), aliases: { prod: '1' } };
const bash = { name: 'BookFlight', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-bash'),
               handler: 'function.handler', timeout: 10 };
const node = { name: 'BookFlight', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-node'),
               command: ['node_modules/.bin/aws-lambda-ric', 'index.handler'], handler: 'index.handler',
               timeout: 10 };
const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);

async function bookWithV1(url, user) {
  const lex = new LexRuntimeServiceClient({ endpoint: url, region: 'us-east-1', credentials });
  const say = (inputText, sessionAttributes) => lex.send(new PostTextCommand({
    botName: 'AmazonianAirways', botAlias: 'prod', userId: user, inputText, sessionAttributes }));
  let r = await say('book a flight from Boston to Chicago tomorrow', { seat: 'aisle' });
  assert.equal(r.dialogState, 'ConfirmIntent');
  r = await say('yes');
  assert.equal(r.dialogState, 'Fulfilled');
  assert.equal(r.message, `We have booked your flight from Boston to Chicago on ${tomorrow}`);
  // the handler copied the slots into the session attributes and kept the others
  assert.deepEqual(r.sessionAttributes,
    { seat: 'aisle', Origin: 'Boston', Destination: 'Chicago', Date: tomorrow });
}

async function bookWithV2(url, sessionId) {
  const lex = new LexRuntimeV2Client({ endpoint: url, region: 'us-east-1', credentials });
  const ids = { botId: 'AmazonianAirways', botAliasId: 'prod', localeId: 'en_US', sessionId };
  await lex.send(new RecognizeTextCommand({ ...ids, text: 'book a flight from Boston to Chicago tomorrow' }));
  const r = await lex.send(new RecognizeTextCommand({ ...ids, text: 'yes' }));
  assert.equal(r.sessionState.intent.state, 'Fulfilled');
  assert.equal(r.sessionState.intent.confirmationState, 'Confirmed');
  assert.equal(r.messages[0].content, `We have booked your flight from Boston to Chicago on ${tomorrow}`);
}

test('fulfilled by the bash custom runtime (the book\'s bootstrap)', async () => {
  const s = await startParley({ config: { bots: [airline], functions: [bash] } });
  try {
    await bookWithV1(s.url, 'bash-user');
    await bookWithV2(s.url, 'bash-user-v2');
  } finally { await s.stop(); s.cleanup(); }
});

test('fulfilled by the Node.js handler under aws-lambda-ric', async () => {
  const s = await startParley({ config: { bots: [airline], functions: [node] } });
  try {
    await bookWithV1(s.url, 'node-user');
  } finally { await s.stop(); s.cleanup(); }
});

test('fulfilled through a remote Invoke endpoint (a second Parley, SigV4-signed)', async () => {
  const backend = await startParley({ config: { functions: [bash] } });
  const front = await startParley({
    config: { bots: [airline], functions: [{ name: 'BookFlight',
      remote: { functionName: 'BookFlight', region: 'us-east-1', endpointUrl: backend.url } }] },
    env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-for-test' },
  });
  try {
    await bookWithV1(front.url, 'remote-user');
    // the Invoke really went to the backend, signed
    const log = backend.stdout.split('\n').filter((l) => l.includes('/2015-03-31/functions/BookFlight/invocations'));
    assert.ok(log.length >= 1, 'the backend served the Invoke call');
  } finally {
    await front.stop(); await backend.stop(); front.cleanup(); backend.cleanup();
  }
});

test('a failing code hook is a DependencyFailedException', async () => {
  const s = await startParley({ config: { bots: [airline], functions: [{ name: 'BookFlight', codeDir: path.join(SOURCE_DIR, 'tests/integration/functions/crashing'), timeout: 5 }] } });
  try {
    const lex = new LexRuntimeServiceClient({ endpoint: s.url, region: 'us-east-1', credentials });
    const say = (inputText) => lex.send(new PostTextCommand({
      botName: 'AmazonianAirways', botAlias: 'prod', userId: 'fail-user', inputText }));
    await say('book a flight from Boston to Chicago tomorrow');
    await assert.rejects(say('yes'), (e) => e.name === 'DependencyFailedException' && e.$metadata.httpStatusCode === 424);
  } finally { await s.stop(); s.cleanup(); }
});
