// The foundation: health, metrics, body caps, errors, request ids, the
// access log, graceful shutdown, durability under kill -9, and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { startParley, runParley, tempDir, writeConfig, sleep } from './harness.mjs';

const debugConfig = { server: { debugRoutes: true } };

// A raw request with node's http client (fetch hides some of what we check).
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.end(body); else req.end();
  });
}

test('healthz answers 200 with a request id', async () => {
  const s = await startParley();
  try {
    const r = await fetch(`${s.url}/healthz`);
    assert.equal(r.status, 200);
    assert.equal((await r.json()).status, 'ok');
    assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
    const r2 = await fetch(`${s.url}/healthz`);
    assert.notEqual(r2.headers.get('x-request-id'), r.headers.get('x-request-id'));
    // a sane caller-supplied id is kept for tracing; a hostile one is replaced
    const r3 = await fetch(`${s.url}/healthz`, { headers: { 'X-Request-Id': 'trace-abc.1' } });
    assert.equal(r3.headers.get('x-request-id'), 'trace-abc.1');
    const r4 = await fetch(`${s.url}/healthz`, { headers: { 'X-Request-Id': 'a"b{}' } });
    assert.match(r4.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
  } finally { await s.stop(); s.cleanup(); }
});

// Sample lines of the text format: name{labels} value.
function samples(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

test('metrics pass promtool and count requests by route and status', async () => {
  const s = await startParley();
  try {
    for (let i = 0; i < 3; i++) await fetch(`${s.url}/healthz`);
    await fetch(`${s.url}/no/such/route`);
    const r = await fetch(`${s.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    // Prometheus's own linter reads it: exit 0 and no complaint
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.equal((lint.stdout + lint.stderr).trim(), '');
    const all = samples(text);
    const find = (name, labels) => all.find((m) => m.name === name &&
      Object.entries(labels).every(([k, v]) => m.labels[k] === v));
    // three here and one from the harness's wait for /healthz
    assert.equal(find('parley_http_requests_total', { route: '/healthz', status: '200' }).value, 4);
    assert.equal(find('parley_http_requests_total', { route: 'unmatched', status: '404' }).value, 1);
    assert.equal(find('parley_http_request_duration_seconds_count', { route: '/healthz' }).value, 4);
    assert.equal(find('parley_http_request_duration_seconds_bucket', { route: '/healthz', le: '+Inf' }).value, 4);
    const buckets = all.filter((m) => m.name === 'parley_http_request_duration_seconds_bucket' &&
                                      m.labels.route === '/healthz').map((m) => m.value);
    assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b)); // cumulative
    assert.equal(find('parley_http_requests_in_flight', {}).value, 1); // this scrape
  } finally { await s.stop(); s.cleanup(); }
});

test('a 10 MB body gets 413 and the server keeps serving', async () => {
  const s = await startParley({ config: debugConfig });
  try {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
    // with Expect: 100-continue the answer comes before the body is sent
    const withExpect = await request(`${s.url}/debug/store/big`, {
      method: 'PUT', body: big, headers: { Expect: '100-continue', 'Content-Length': big.length },
    }).catch((e) => ({ error: e }));
    if (!withExpect.error) assert.equal(withExpect.status, 413);
    // without it, the body is read and dropped, then 413
    const r = await request(`${s.url}/debug/store/big`, { method: 'PUT', body: big });
    assert.equal(r.status, 413);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.match(JSON.parse(r.body).detail, /larger than the limit of 1048576 bytes/);
    // to a route that does not exist, too
    const r2 = await request(`${s.url}/anything`, { method: 'POST', body: big });
    assert.equal(r2.status, 413);
    // nothing was stored, and the server still answers
    assert.equal((await fetch(`${s.url}/debug/store/big`)).status, 404);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    const ok = await request(`${s.url}/debug/store/small`, { method: 'PUT', body: 'x'.repeat(1000) });
    assert.equal(ok.status, 200);
  } finally { await s.stop(); s.cleanup(); }
});

test('unknown routes are 404 and wrong methods 405 with Allow, as problem JSON', async () => {
  const s = await startParley({ config: debugConfig });
  try {
    const r = await fetch(`${s.url}/nope`);
    assert.equal(r.status, 404);
    const p = await r.json();
    assert.equal(p.status, 404);
    assert.equal(p.title, 'Not Found');
    const r2 = await fetch(`${s.url}/healthz`, { method: 'DELETE' });
    assert.equal(r2.status, 405);
    assert.equal(r2.headers.get('allow'), 'GET, HEAD');
    const r3 = await fetch(`${s.url}/debug/store/k`, { method: 'POST' });
    assert.equal(r3.status, 405);
    assert.match(r3.headers.get('allow'), /PUT/);
    assert.match(r3.headers.get('allow'), /GET/);
    // HEAD of a GET route: headers, no body
    const h = await request(`${s.url}/healthz`, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
    // a malformed escape or an encoded NUL in a path parameter is a 400
    assert.equal((await request(`${s.url}/debug/store/a%00b`)).status, 400);
    assert.equal((await request(`${s.url}/debug/store/a%zz`)).status, 400);
    // parameters are decoded once: %2F stays inside its segment
    await request(`${s.url}/debug/store/a%2Fb`, { method: 'PUT', body: 'slash' });
    assert.equal((await request(`${s.url}/debug/store/a%2Fb`)).body.toString(), 'slash');
    assert.equal((await request(`${s.url}/debug/store/a/b`)).status, 404);
  } finally { await s.stop(); s.cleanup(); }
});

test('the access log has one JSON line per request, without the query string', async () => {
  const s = await startParley({ config: debugConfig });
  try {
    const r = await fetch(`${s.url}/debug/sleep?ms=1&token=secret-value`);
    assert.equal(r.status, 200);
    const id = r.headers.get('x-request-id');
    await sleep(100);
    const lines = s.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const line = lines.find((l) => l.id === id);
    assert.ok(line, 'access log line for the request');
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/debug/sleep');
    assert.equal(line.route, '/debug/sleep');
    assert.equal(line.status, 200);
    assert.ok(line.bytes > 65536);
    assert.ok(line.us >= 1000);
    assert.ok(!s.stdout.includes('secret-value'));
  } finally { await s.stop(); s.cleanup(); }
});

test('SIGTERM under load: exit 0, every started response completes, new connections refused', async () => {
  const s = await startParley({ config: debugConfig });
  const slow = [];
  for (let i = 0; i < 16; i++)
    slow.push(request(`${s.url}/debug/sleep?ms=${600 + i * 20}`));
  let fastDone = 0, stopping = false;
  const fast = (async () => {
    while (!stopping) {
      try { const r = await fetch(`${s.url}/healthz`); if (r.status === 200) fastDone++; }
      catch { break; }
    }
  })();
  await sleep(250);
  const stopped = s.stop('SIGTERM');
  await sleep(100);
  stopping = true;
  await assert.rejects(request(`${s.url}/healthz`)); // the listener is closed
  const results = await Promise.all(slow);
  for (const r of results) {
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body.toString()); // whole JSON: nothing cut mid-response
    assert.equal(body.pad.length, 65536);
  }
  await fast;
  assert.ok(fastDone > 0);
  const { code, signal } = await stopped;
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.match(s.stderr, /"stopped"/);
  s.cleanup();
});

test('kill -9 while writing loses nothing that was confirmed', async () => {
  const s = await startParley({ config: debugConfig });
  const confirmed = new Map();
  let n = 0, killed = false;
  const writer = (async () => {
    const agent = new http.Agent({ keepAlive: true });
    while (!killed) {
      const key = `k${n++}`;
      const value = `value-${key}-${'z'.repeat(n % 500)}`;
      try {
        const r = await new Promise((resolve, reject) => {
          const req = http.request(`${s.url}/debug/store/${key}`, { method: 'PUT', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          });
          req.on('error', reject);
          req.end(value);
        });
        if (r === 200) confirmed.set(key, value);
      } catch { break; }
    }
    agent.destroy();
  })();
  await sleep(700);
  s.proc.kill('SIGKILL');
  killed = true;
  await writer;
  const { signal } = await s.exited;
  assert.equal(signal, 'SIGKILL');
  assert.ok(confirmed.size > 20, `only ${confirmed.size} writes confirmed`);

  const s2 = await startParley({ configPath: s.configPath, dataDir: s.dataDir });
  try {
    for (const [key, value] of confirmed) {
      const r = await fetch(`${s2.url}/debug/store/${key}`);
      assert.equal(r.status, 200, `confirmed ${key} lost`);
      assert.equal(await r.text(), value);
    }
  } finally { await s2.stop(); s.cleanup(); s2.cleanup(); }
});

test('a bad config exits non-zero with one line naming the file, the key and the problem', async () => {
  const dir = tempDir();
  const cases = [
    [{ server: { port: 'eighty' } }, /: server\.port: must be an integer from 0 to 65535$/],
    [{ server: { prot: 8080 } }, /: server\.prot: unknown key/],
    [{ sites: {} }, /: sites: must be an array$/],
    [{ server: { logLevel: 'loud' } }, /: server\.logLevel: must be debug, info, warn or error$/],
    [{ bogus: 1 }, /: bogus: unknown key/],
  ];
  for (const [config, pattern] of cases) {
    const file = writeConfig(dir, config);
    const r = await runParley(['serve', '--config', file, '--data-dir', `${dir}/data`]);
    assert.equal(r.code, 1, JSON.stringify(config));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].includes(file), lines[0]);
    assert.match(lines[0], pattern);
  }
  const bad = `${dir}/broken.json`;
  (await import('node:fs')).writeFileSync(bad, '{\n  "server": {\n    "port": 80,,\n  }\n}\n');
  const r = await runParley(['serve', '--config', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), /broken\.json: line 3, column \d+: not valid JSON$/);
  const missing = await runParley(['serve', '--config', `${dir}/nope.json`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.json: cannot read the config file: No such file/);
  (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
});

test('the CLI: --help, version, unknown commands and options', async () => {
  const help = await runParley(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /serve/);
  assert.match(help.stdout, /--config FILE/);
  const v = await runParley(['version']);
  assert.match(v.stdout, /^parley \d+\.\d+\.\d+\n$/);
  const serveHelp = await runParley(['serve', '--help']);
  assert.match(serveHelp.stdout, /--data-dir DIR/);
  const bad = await runParley(['frobnicate']);
  assert.equal(bad.code, 2);
  const badOpt = await runParley(['serve', '--bogus']);
  assert.equal(badOpt.code, 2);
  assert.match(badOpt.stderr, /unknown option --bogus/);
  const badPort = await runParley(['serve', '--port', '99999']);
  assert.equal(badPort.code, 2);
});

test('the default config serves on the README port settings', async () => {
  // examples/parley.json is what `parley serve` reads by default
  const r = await runParley(['serve', '--help']);
  assert.match(r.stdout, /examples\/parley\.json/);
  const s = await startParley({ configPath: 'examples/parley.json' });
  try {
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  } finally { await s.stop(); s.cleanup(); }
});
