// lambda/: local functions over the Lambda Runtime API (the tutorial's bash
// bootstrap and aws-lambda-ric, unmodified), the Invoke-compatible endpoint
// driven by @aws-sdk/client-lambda, concurrency, timeouts, crashes, init
// errors, logs, no zombies, the durable Event queue, and remote invoke with
// SigV4 (checked by a fake Lambda that recomputes the signature with
// @smithy/signature-v4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
import { startParley, runParley, tempDir, writeConfig, sleep, SOURCE_DIR } from './harness.mjs';

const FN_DIR = path.join(SOURCE_DIR, 'tests/integration/functions');
const RIC = path.join(SOURCE_DIR, 'examples/functions/airline-node/node_modules/.bin/aws-lambda-ric');
const dec = new TextDecoder();
const enc = new TextEncoder();

function nodeFn(name, handler, extra = {}) {
  return { name, codeDir: path.join(FN_DIR, 'node'), command: [RIC, `handlers.${handler}`],
           handler: `handlers.${handler}`, ...extra };
}

function client(s, opts = {}) {
  return new LambdaClient({ endpoint: s.url, region: 'us-east-1', maxAttempts: 1,
                            credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
                            ...opts });
}

async function invoke(c, name, payload, extra = {}) {
  const out = await c.send(new InvokeCommand({ FunctionName: name,
    Payload: enc.encode(JSON.stringify(payload)), ...extra }));
  const text = dec.decode(out.Payload ?? new Uint8Array());
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { out, text, json };
}

// Children of pid (direct) as [{pid, state}] from /proc.
function children(pid) {
  const out = [];
  for (const d of readdirSafe('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${d}/stat`, 'utf8'); } catch { continue; }
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[1]) === pid) out.push({ pid: Number(d), state: rest[0] });
  }
  return out;
}
import { readdirSync } from 'node:fs';
function readdirSafe(d) { try { return readdirSync(d); } catch { return []; } }
// Running (a zombie left to init after parley died counts as gone: it is not ours to reap).
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch { return false; }
}

// Stops s and checks that it exited 0 with no sanitizer report (LeakSanitizer runs at exit).
async function stopClean(s) {
  const { code } = await s.stop();
  assert.doesNotMatch(s.stderr, /Sanitizer|runtime error:/);
  assert.equal(code, 0, s.stderr.slice(-2000));
  s.cleanup();
}

const lexEvent = (source, slots, sessionAttributes = {}) => ({
  messageVersion: '1.0', invocationSource: source, userId: 'u1', outputDialogMode: 'Text',
  bot: { name: 'BookTrip', alias: '$LATEST', version: '$LATEST' }, inputTranscript: 'book it',
  currentIntent: { name: 'BookFlight', slots, slotDetails: {}, confirmationStatus: 'None',
                   nluIntentConfidenceScore: 0.9 },
  sessionAttributes, requestAttributes: null,
});
const slots = { Origin: 'Boston', Destination: 'Paris', Date: '2026-12-01' };
const closeReply = {
  sessionAttributes: { seat: 'aisle', ...slots },
  dialogAction: { type: 'Close', fulfillmentState: 'Fulfilled',
                  message: { contentType: 'PlainText',
                             content: 'We have booked your flight from Boston to Paris on 2026-12-01' } },
};

test('aws-lambda-ric is installed (scripts/install-deps.sh test runs npm ci in examples/functions/airline-node)', () => {
  assert.ok(existsSync(RIC), `${RIC} is missing: run scripts/install-deps.sh test`);
});

test('the tutorial bash bootstrap, unmodified, serves invocations and stays warm', async () => {
  const s = await startParley({ config: { functions: [
    { name: 'Echo', codeDir: path.join(FN_DIR, 'book-bash'), handler: 'function.handler',
      // Debian's /bin/sh is dash; the tutorial's #!/bin/sh script needs bash, as on Amazon Linux
      command: ['bash', 'bootstrap'] },
  ] } });
  try {
    const c = client(s);
    for (let i = 0; i < 3; i++) {
      const r = await invoke(c, 'Echo', { n: i }, { LogType: 'Tail' });
      assert.equal(r.out.StatusCode, 200);
      assert.equal(r.out.FunctionError, undefined);
      assert.equal(r.text, `Echoing request: '{"n":${i}}'`);
      const log = Buffer.from(r.out.LogResult, 'base64').toString();
      assert.match(log, /^START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
      assert.ok(log.includes(`{"n":${i}}`), log); // the handler's stderr, captured
      assert.match(log, /REPORT RequestId: .*Duration: [\d.]+ ms/);
    }
    // one worker served all three (it stays warm)
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /parley_lambda_cold_starts_total\{function="Echo"\} 1\n/);
    assert.match(metrics, /parley_lambda_invocations_total\{function="Echo",outcome="OK"\} 3\n/);
    // the function's output is in Parley's log, tagged with the request id
    assert.match(s.stderr, /"function":"Echo","requestId":"[0-9a-f-]{36}","stream":"stderr","msg":"\{\\"n\\":0\}"/);
  } finally { await stopClean(s); }
});

test('the airline handler: bash bootstrap and Node under aws-lambda-ric give the same replies', async () => {
  const s = await startParley({ config: { functions: [
    { name: 'BookFlightBash', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-bash'),
      handler: 'function.handler' },
    { name: 'BookFlightNode', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-node'),
      command: ['node_modules/.bin/aws-lambda-ric', 'index.handler'], handler: 'index.handler' },
  ] } });
  try {
    const c = client(s);
    for (const name of ['BookFlightBash', 'BookFlightNode']) {
      const f = await invoke(c, `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
                             lexEvent('FulfillmentCodeHook', slots, { seat: 'aisle', Origin: 'x' }));
      assert.equal(f.out.FunctionError, undefined, f.text);
      assert.deepEqual(f.json, closeReply, name);
      const d = await invoke(c, name, lexEvent('DialogCodeHook',
                                               { Origin: 'Boston', Destination: null, Date: null }));
      assert.deepEqual(d.json, { sessionAttributes: {}, dialogAction: { type: 'Delegate',
        slots: { Origin: 'Boston', Destination: null, Date: null } } }, name);
    }
  } finally { await stopClean(s); }
});

test('InvokeCommand: payload, Unhandled errors, unknown names, DryRun, environment', async () => {
  const s = await startParley({ config: { functions: [
    nodeFn('Echo', 'echo', { environment: { GREETING: 'hello' }, timeout: 7 }),
    nodeFn('Fail', 'fail'),
    nodeFn('Big', 'big'),
  ] } });
  try {
    const c = client(s);
    const r = await invoke(c, 'Echo', { hi: 1 });
    assert.equal(r.out.StatusCode, 200);
    assert.equal(r.out.ExecutedVersion, '$LATEST');
    assert.deepEqual(r.json.event, { hi: 1 });
    assert.equal(r.json.fn, 'Echo');
    assert.equal(r.json.greeting, 'hello');
    assert.match(r.json.requestId, /^[0-9a-f-]{36}$/);
    assert.ok(r.json.remainingMs > 5000 && r.json.remainingMs <= 7000, String(r.json.remainingMs));
    // X-Amz-Client-Context reaches the handler's context
    const cc = await invoke(c, 'Echo', {}, { ClientContext: Buffer.from(JSON.stringify(
      { custom: { channel: 'slack' }, env: {}, client: {} })).toString('base64') });
    assert.deepEqual(cc.json.clientContext.custom, { channel: 'slack' });
    // a response over 6 MB fails at once, as in Lambda
    const big = await invoke(c, 'Big', { bytes: 6 * 1024 * 1024 + 100 });
    assert.equal(big.out.FunctionError, 'Unhandled');
    assert.equal(big.json.errorType, 'Function.ResponseSizeTooLarge');
    assert.equal((await invoke(c, 'Big', { bytes: 1000 })).text.length, 1000);

    const f = await invoke(c, 'Fail', {}, { LogType: 'Tail' });
    assert.equal(f.out.StatusCode, 200);
    assert.equal(f.out.FunctionError, 'Unhandled');
    assert.equal(f.json.errorType, 'Error');
    assert.equal(f.json.errorMessage, 'the flight is full');
    assert.match(Buffer.from(f.out.LogResult, 'base64').toString(), /about to fail/);

    await assert.rejects(invoke(c, 'NoSuchFunction', {}), (e) => {
      assert.equal(e.name, 'ResourceNotFoundException');
      assert.equal(e.$metadata.httpStatusCode, 404);
      assert.match(e.message, /Function not found/);
      return true;
    });
    const dry = await c.send(new InvokeCommand({ FunctionName: 'Echo', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
    // a body that is not JSON is refused as Lambda does
    const bad = await fetch(`${s.url}/2015-03-31/functions/Echo/invocations`,
                            { method: 'POST', body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
  } finally { await stopClean(s); }
});

test('50 concurrent invocations with reserved concurrency 8 all complete on at most 8 workers', async () => {
  const s = await startParley({ config: { functions: [
    nodeFn('Sleep', 'sleep', { reservedConcurrency: 8, timeout: 30 }),
  ] } });
  try {
    const c = client(s);
    const results = await Promise.all(Array.from({ length: 50 }, () => invoke(c, 'Sleep', { ms: 150 })));
    for (const r of results) {
      assert.equal(r.out.FunctionError, undefined, r.text);
      assert.equal(r.json.slept, 150);
    }
    const pids = new Set(results.map((r) => r.json.pid));
    assert.ok(pids.size <= 8 && pids.size >= 2, `workers: ${pids.size}`);
    const m = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(m, /parley_lambda_invocations_total\{function="Sleep",outcome="OK"\} 50\n/);
  } finally { await stopClean(s); }
});

test('past reserved concurrency and the queue: TooManyRequestsException', async () => {
  const s = await startParley({ config: { functions: [
    nodeFn('Busy', 'sleep', { reservedConcurrency: 2, maxQueued: 0, timeout: 30 }),
  ] } });
  try {
    const c = client(s);
    const settled = await Promise.allSettled(Array.from({ length: 6 },
      () => invoke(c, 'Busy', { ms: 1500 })));
    const ok = settled.filter((x) => x.status === 'fulfilled');
    const throttled = settled.filter((x) => x.status === 'rejected');
    assert.equal(ok.length, 2);
    assert.equal(throttled.length, 4);
    for (const t of throttled) {
      assert.equal(t.reason.name, 'TooManyRequestsException');
      assert.equal(t.reason.$metadata.httpStatusCode, 429);
    }
  } finally { await stopClean(s); }
});

test('a handler past its timeout is killed and reported; the next call gets a new worker', async () => {
  const s = await startParley({ config: { functions: [nodeFn('Slow', 'sleep', { timeout: 1 })] } });
  try {
    const c = client(s);
    const warm = await invoke(c, 'Slow', { ms: 10 });
    const t0 = Date.now();
    const r = await invoke(c, 'Slow', { ms: 10000 }, { LogType: 'Tail' });
    const took = Date.now() - t0;
    assert.equal(r.out.FunctionError, 'Unhandled');
    assert.match(r.json.errorMessage, /Task timed out after 1\.00 seconds/);
    assert.ok(took >= 1000 && took < 3000, `took ${took} ms`);
    assert.match(Buffer.from(r.out.LogResult, 'base64').toString(), /Task timed out after 1\.00 seconds/);
    await sleep(200);
    assert.ok(!alive(warm.json.pid), 'the timed-out worker is gone');
    const again = await invoke(c, 'Slow', { ms: 10 });
    assert.notEqual(again.json.pid, warm.json.pid);
    const m = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(m, /parley_lambda_invocations_total\{function="Slow",outcome="Timeout"\} 1\n/);
  } finally { await stopClean(s); }
});

test('crashes and init errors are Unhandled function errors; crashed workers are replaced', async () => {
  const s = await startParley({ config: { functions: [
    nodeFn('Crash', 'crash'),
    nodeFn('Echo', 'echo'),
    { name: 'InitError', codeDir: path.join(FN_DIR, 'node-init-error'),
      command: [RIC, 'handlers.handler'] },
    { name: 'Missing', codeDir: path.join(FN_DIR, 'node'), command: ['no-such-program-here'] },
  ] } });
  try {
    const c = client(s);
    const r = await invoke(c, 'Crash', { code: 3 });
    assert.equal(r.out.FunctionError, 'Unhandled');
    assert.equal(r.json.errorType, 'Runtime.ExitError');
    assert.match(r.json.errorMessage, /Runtime exited with error: exit status 3/);
    const r2 = await invoke(c, 'Crash', { code: 4 }); // a new worker takes it
    assert.match(r2.json.errorMessage, /exit status 4/);

    const i = await invoke(c, 'InitError', {});
    assert.equal(i.out.FunctionError, 'Unhandled');
    assert.match(i.text, /cannot load the fare tables/);

    const m = await invoke(c, 'Missing', {});
    assert.equal(m.out.FunctionError, 'Unhandled');
    assert.equal(m.json.errorType, 'Runtime.InvalidEntrypoint');

    // Parley itself is fine
    assert.equal((await invoke(c, 'Echo', { ok: true })).json.event.ok, true);
  } finally { await stopClean(s); }
});

test('no zombies while running, and every child stops with parley', async () => {
  const s = await startParley({ config: { functions: [
    nodeFn('Echo', 'echo', { reservedConcurrency: 4 }), nodeFn('Crash', 'crash', { reservedConcurrency: 8 }),
    { name: 'Bash', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-bash'),
      handler: 'function.handler' },
  ] } });
  const pids = new Set();
  try {
    const c = client(s);
    const rs = await Promise.all(Array.from({ length: 8 }, () => invoke(c, 'Echo', {})));
    rs.forEach((r) => pids.add(r.json.pid));
    // churn: 30 overlapping crashes on 8 workers at most, each reported, each reaped
    const crashes = await Promise.all(Array.from({ length: 30 }, (_, i) => invoke(c, 'Crash', { code: 10 + (i % 5) })));
    for (const [i, r] of crashes.entries()) {
      assert.equal(r.out.FunctionError, 'Unhandled');
      assert.match(r.json.errorMessage, new RegExp(`exit status ${10 + (i % 5)}`));
    }
    await invoke(c, 'Bash', lexEvent('DialogCodeHook', slots));
    await sleep(300);
    const kids = children(s.proc.pid);
    assert.ok(kids.length >= 2, JSON.stringify(kids));
    assert.deepEqual(kids.filter((k) => k.state === 'Z'), []);
    kids.forEach((k) => pids.add(k.pid));
  } finally {
    await stopClean(s);
  }
  await sleep(100);
  for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} still there`);
});

test('SIGKILL of parley takes its workers down too (parent-death signal)', async () => {
  const s = await startParley({ config: { functions: [nodeFn('Echo', 'echo')] } });
  const c = client(s);
  const r = await invoke(c, 'Echo', {});
  await s.stop('SIGKILL');
  s.cleanup();
  await sleep(200);
  assert.ok(!alive(r.json.pid), 'the worker outlived parley');
});

test('config errors name the function key', async () => {
  const dir = tempDir();
  const cases = [
    [{ name: 'A', codeDir: '/nonexistent/dir' }, /functions\[0\]\.codeDir: .* is not a folder/],
    [{ name: 'A', codeDir: FN_DIR, command: 'x', timeout: 0 }, /functions\[0\]\.timeout: must be an integer from 1 to 900/],
    [{ name: 'bad name' }, /functions\[0\]\.name: must be/],
    [{ name: 'A', remote: { functionName: 'x' }, codeDir: FN_DIR }, /functions\[0\]: needs exactly one/],
    [{ name: 'A', codeDir: path.join(FN_DIR, 'node') }, /has no executable `bootstrap`/],
    [{ name: 'A', codeDir: FN_DIR, command: 'x', environment: { AWS_LAMBDA_RUNTIME_API: 'x' } },
     /functions\[0\]\.environment\.AWS_LAMBDA_RUNTIME_API: is set by Parley/],
    [{ name: 'A', remote: { functionName: 'x', endpointUrl: 'ftp://x' } }, /functions\[0\]\.remote\.endpointUrl: must start with/],
  ];
  for (const [fn, re] of cases) {
    const cfg = writeConfig(dir, { server: { port: 0 }, functions: [fn] });
    const r = await runParley(['serve', '--config', cfg, '--data-dir', path.join(dir, 'data')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, re);
  }
  rmSync(dir, { recursive: true, force: true });
});

// ---- remote functions: the Invoke API client ----

import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const CREDS = { accessKeyId: 'AKIDPARLEYTEST', secretAccessKey: 'c2VjcmV0IGtleSBmb3IgdGVzdHM', sessionToken: 'session-token-1' };

// A fake Lambda service on loopback: checks every request's SigV4 signature by
// recomputing it with the AWS SDK's own signer, and answers per function name.
async function fakeLambda() {
  const signer = new SignatureV4({ credentials: CREDS, region: 'eu-west-1', service: 'lambda',
                                   sha256: Sha256, applyChecksum: false });
  const state = { calls: {}, badSignatures: 0, lastHeaders: null };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const [rawPath] = req.url.split('?');
    const name = decodeURIComponent(rawPath.split('/')[3] ?? '').split(':').pop();
    state.calls[name] = (state.calls[name] ?? 0) + 1;
    state.lastHeaders = req.headers;
    const auth = req.headers.authorization ?? '';
    const m = auth.match(/SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/);
    let ok = false;
    if (m) {
      const headers = {};
      for (const h of m[1].split(';')) headers[h] = req.headers[h];
      const d = req.headers['x-amz-date'];
      const when = new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8),
                                     +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15)));
      const signed = await signer.sign({ method: req.method, protocol: 'http:', hostname: '127.0.0.1',
                                         path: rawPath, query: {}, headers, body }, { signingDate: when });
      ok = signed.headers.authorization === auth;
    }
    if (!ok) {
      state.badSignatures++;
      res.writeHead(403, { 'x-amzn-ErrorType': 'InvalidSignatureException', 'content-type': 'application/json' });
      return res.end(JSON.stringify({ message: 'The request signature we calculated does not match' }));
    }
    const json = (status, obj, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-RequestId': 'req-' + name, ...headers });
      res.end(JSON.stringify(obj));
    };
    switch (name) {
      case 'Echo':
        return json(200, { echo: JSON.parse(body.toString() || 'null') },
                    req.headers['x-amz-log-type'] === 'Tail'
                      ? { 'X-Amz-Log-Result': Buffer.from('remote log line\n').toString('base64') } : {});
      case 'Flaky':
        if (state.calls[name] <= 2) return json(503, { message: 'busy' }, { 'x-amzn-ErrorType': 'ServiceException' });
        return json(200, { attempts: state.calls[name] });
      case 'Throws':
        return json(200, { errorMessage: 'boom', errorType: 'Error' }, { 'X-Amz-Function-Error': 'Unhandled' });
      case 'Missing':
        return json(404, { Type: 'User', message: 'Function not found: Missing' },
                    { 'x-amzn-ErrorType': 'ResourceNotFoundException:http://internal.amazon.com/' });
      case 'Throttled':
        return json(429, { message: 'Rate Exceeded.' }, { 'x-amzn-ErrorType': 'TooManyRequestsException' });
      case 'Slow':
        await sleep(3000);
        return json(200, { late: true });
      default:
        return json(500, { message: 'unexpected' });
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${server.address().port}`;
  state.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return state;
}

test('remote functions: SigV4 checked by @smithy/signature-v4, retries, errors, timeouts', async () => {
  const fake = await fakeLambda();
  const remote = (name, fnName, extra = {}) => ({ name, timeout: 10, ...extra,
    remote: { functionName: fnName, region: 'eu-west-1', endpointUrl: fake.url, ...(extra.remote ?? {}) } });
  const s = await startParley({
    env: { AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
           AWS_SESSION_TOKEN: CREDS.sessionToken },
    config: { functions: [
      remote('Echo', 'arn:aws:lambda:eu-west-1:123456789012:function:Echo'),
      remote('Flaky', 'Flaky'),
      remote('Throws', 'Throws'),
      remote('Missing', 'Missing'),
      remote('Throttled', 'Throttled', { remote: { maxRetries: 2 } }),
      remote('Slow', 'Slow', { timeout: 1 }),
    ] } });
  try {
    const c = client(s);
    const e = await invoke(c, 'Echo', { to: 'Paris' }, { LogType: 'Tail' });
    assert.deepEqual(e.json, { echo: { to: 'Paris' } });
    assert.equal(Buffer.from(e.out.LogResult, 'base64').toString(), 'remote log line\n');
    assert.equal(fake.badSignatures, 0);
    assert.equal(fake.lastHeaders['x-amz-security-token'], CREDS.sessionToken);
    assert.match(fake.lastHeaders.authorization, /Credential=AKIDPARLEYTEST\/\d{8}\/eu-west-1\/lambda\/aws4_request/);

    const f = await invoke(c, 'Flaky', {});
    assert.deepEqual(f.json, { attempts: 3 }); // two 503s retried

    const t = await invoke(c, 'Throws', {});
    assert.equal(t.out.FunctionError, 'Unhandled');
    assert.equal(t.json.errorMessage, 'boom');

    await assert.rejects(invoke(c, 'Missing', {}), (err) => err.name === 'ResourceNotFoundException');
    await assert.rejects(invoke(c, 'Throttled', {}), (err) => err.name === 'TooManyRequestsException');
    assert.equal(fake.calls.Throttled, 3); // the first try and maxRetries = 2

    const t0 = Date.now();
    const slow = await invoke(c, 'Slow', {});
    assert.equal(slow.out.FunctionError, 'Unhandled');
    assert.match(slow.json.errorMessage, /within 1\.00 seconds/);
    assert.ok(Date.now() - t0 < 2500);
    const m = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(m, /parley_lambda_invocations_total\{function="Slow",outcome="Timeout"\} 1\n/);
    assert.match(m, /parley_lambda_invocations_total\{function="Throttled",outcome="Throttled"\} 1\n/);
    assert.equal(fake.badSignatures, 0);
  } finally { await stopClean(s); await fake.close(); }
});

test('a remote function served by a second parley runs its local handler', async () => {
  const back = await startParley({ config: { functions: [nodeFn('Echo', 'echo')] } });
  const front = await startParley({ config: { functions: [
    { name: 'BookFlight', remote: { functionName: 'Echo', endpointUrl: back.url } },
  ] } });
  try {
    const r = await invoke(client(front), 'BookFlight', { via: 'front' }, { LogType: 'Tail' });
    assert.equal(r.out.FunctionError, undefined, r.text);
    assert.deepEqual(r.json.event, { via: 'front' });
    assert.equal(r.json.fn, 'Echo');
    assert.match(Buffer.from(r.out.LogResult, 'base64').toString(), /echo \{"via":"front"\}/);
  } finally {
    await stopClean(front);
    await stopClean(back);
  }
});

// ---- Event invocations: queued durably, retried twice ----

async function until(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(50);
  }
}
const lines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

test('Event invocations: 202, run later, retried twice with the configured delay', async () => {
  const work = tempDir();
  const s = await startParley({ config: { functions: [
    nodeFn('Record', 'record', { eventRetryDelayMs: 100, reservedConcurrency: 2 }),
  ] } });
  try {
    const c = client(s);
    const ok = path.join(work, 'ok.txt'), flaky = path.join(work, 'flaky.txt'), bad = path.join(work, 'bad.txt');
    const r = await c.send(new InvokeCommand({ FunctionName: 'Record', InvocationType: 'Event',
      Payload: enc.encode(JSON.stringify({ file: ok, n: 1 })) }));
    assert.equal(r.StatusCode, 202);
    await c.send(new InvokeCommand({ FunctionName: 'Record', InvocationType: 'Event',
      Payload: enc.encode(JSON.stringify({ file: flaky, n: 2, failTimes: 2 })) }));
    await c.send(new InvokeCommand({ FunctionName: 'Record', InvocationType: 'Event',
      Payload: enc.encode(JSON.stringify({ file: bad, n: 3, failTimes: 99 })) }));
    assert.ok(await until(() => lines(ok).length === 1), 'the event ran');
    assert.ok(await until(() => lines(flaky).length === 3), `flaky: ${lines(flaky)}`); // 2 failures, then OK
    assert.ok(await until(() => lines(bad).length === 3), `bad: ${lines(bad)}`);
    await sleep(800);
    assert.equal(lines(bad).length, 3, 'no fourth attempt');
    assert.equal(lines(flaky).length, 3);
    assert.match(s.stderr, /moved to lambda_events_failed/);
    // an unknown function is refused before queueing
    await assert.rejects(c.send(new InvokeCommand({ FunctionName: 'Nope', InvocationType: 'Event' })),
                         (e) => e.name === 'ResourceNotFoundException');
  } finally { await stopClean(s); rmSync(work, { recursive: true, force: true }); }
});

test('queued Event invocations survive a restart', async () => {
  const work = tempDir();
  const file = path.join(work, 'events.txt');
  const config = { server: { port: 0, shutdownGraceMs: 0 }, functions: [
    nodeFn('Record', 'record', { reservedConcurrency: 1, timeout: 10 })] };
  const configPath = writeConfig(work, config);
  const dataDir = path.join(work, 'data');
  const s1 = await startParley({ configPath, dataDir });
  const c1 = client(s1);
  for (let n = 1; n <= 4; n++) {
    const r = await c1.send(new InvokeCommand({ FunctionName: 'Record', InvocationType: 'Event',
      Payload: enc.encode(JSON.stringify({ file, n, sleepMs: 400 })) }));
    assert.equal(r.StatusCode, 202);
  }
  await s1.stop('SIGKILL'); // nothing ran yet, or one at most
  const before = new Set(lines(file));
  assert.ok(before.size < 4, `all ran before the kill: ${[...before]}`);
  const s2 = await startParley({ configPath, dataDir });
  try {
    assert.ok(await until(() => new Set(lines(file)).size === 4), `after restart: ${lines(file)}`);
  } finally { await stopClean(s2); s1.cleanup(); rmSync(work, { recursive: true, force: true }); }
});

test('aws lambda invoke --endpoint-url (the AWS CLI, when installed) calls the default config\'s BookFlight', async (t) => {
  const probe = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) { t.skip('the AWS CLI is not installed'); return; }
  const work = tempDir();
  const s = await startParley({ configPath: path.join(SOURCE_DIR, 'examples/parley.json'),
                                dataDir: path.join(work, 'data') });
  try {
    const out = path.join(work, 'out.json'), payload = path.join(work, 'event.json');
    writeFileSync(payload, JSON.stringify(lexEvent('FulfillmentCodeHook', slots, { seat: 'aisle' })));
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y',
                  AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null' };
    const r = spawnSync('aws', ['lambda', 'invoke', '--endpoint-url', s.url, '--function-name',
      'arn:aws:lambda:us-east-1:123456789012:function:BookFlight', '--payload', `fileb://${payload}`, out],
      { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).StatusCode, 200);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), closeReply);
  } finally { await stopClean(s); rmSync(work, { recursive: true, force: true }); }
});

test('under valgrind (plain build; the Debian valgrind lacks pidfd_open, so exits are polled): no memory error, no leak', async (t) => {
  const ldd = spawnSync('ldd', [process.env.PARLEY_BIN ?? path.resolve('build/parley')], { encoding: 'utf8' });
  if (spawnSync('valgrind', ['--version']).status !== 0 || /libasan|libubsan/.test(ldd.stdout)) {
    t.skip('needs valgrind and a build without sanitizers');
    return;
  }
  const work = tempDir();
  const log = path.join(work, 'vg.log');
  const s = await startParley({
    wrapper: ['valgrind', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite,indirect',
              `--log-file=${log}`],
    startTimeoutMs: 60000,
    config: { functions: [
      { name: 'BookFlight', codeDir: path.join(SOURCE_DIR, 'examples/functions/airline-bash'),
        handler: 'function.handler' },
      nodeFn('Crash', 'crash', { timeout: 30 }),
    ] } });
  try {
    const c = client(s);
    const r = await invoke(c, 'BookFlight', lexEvent('FulfillmentCodeHook', slots, { seat: 'aisle' }));
    assert.deepEqual(r.json, closeReply);
    assert.match((await invoke(c, 'Crash', {})).json.errorMessage, /exit status 3/);
  } finally {
    const { code } = await s.stop('SIGTERM', 60000);
    const text = readFileSync(log, 'utf8');
    s.cleanup();
    rmSync(work, { recursive: true, force: true });
    assert.equal(code, 0, text);
    assert.match(text, /ERROR SUMMARY: 0 errors/);
  }
});
