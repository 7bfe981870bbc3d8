// spa-host: static single-page apps served by the real parley, checked with
// raw HTTP requests — conditional requests, ranges, HEAD, 405, encodings,
// the SPA fallback and its cache policy, dotfiles, a traversal attack list,
// redirects and rewrites, deploy/rollback atomicity under load, and the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { mkdirSync, writeFileSync, readFileSync, readdirSync, symlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startParley, runParley, tempDir, writeConfig, sleep, SOURCE_DIR } from './harness.mjs';

// ---- helpers ----

function request(url, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// One request with the path exactly as given (no client normalization at all).
function raw(port, rawPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    sock.on('connect', () => sock.write(Buffer.concat([
      Buffer.from('GET '), Buffer.from(rawPath, 'latin1'),
      Buffer.from(` HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`)])));
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1');
      const status = Number(head.split(' ')[1]);
      resolve({ status, head, body: all.subarray(split + 4) });
    });
  });
}

function write(dir, rel, content) {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
}

const sha8 = (buf) => crypto.createHash('sha256').update(buf).digest('hex').slice(0, 8);

// A site folder with a bit of everything. Returns {dir, files, names}.
function makeSite(root, marker = 'v1') {
  const dir = path.join(root, `site-${marker}`);
  const js = Buffer.from(`// app ${marker}\n` + 'console.log("Amazonian Airways");\n'.repeat(40));
  const css = Buffer.from(`/* ${marker} */\n` + 'body { color: #0b6e4f; margin: 0 auto; }\n'.repeat(30));
  const names = { js: `assets/app.${sha8(js)}.js`, css: `assets/style.${sha8(css)}.css` };
  const index = Buffer.from(`<!doctype html><html data-release="${marker}"><head>` +
    `<script src="/${names.js}"></script><link rel="stylesheet" href="/${names.css}"></head>` +
    `<body>${'<p>Fly over the rainforest.</p>'.repeat(20)}</body></html>`);
  const big = Buffer.alloc(600 * 1024, `${marker}-big-`); // past memoryFileMaxBytes: sent from a file
  const png = crypto.randomBytes(2048);
  const files = {
    'index.html': index,
    [names.js]: js,
    [names.css]: css,
    'logo.png': png,
    'big.bin': big,
    'robots.txt': Buffer.from('User-agent: *\nAllow: /\n'),
    'about.html': Buffer.from(`<!doctype html><title>about ${marker}</title>`),
    'docs/index.html': Buffer.from(`<!doctype html><title>docs ${marker}</title>`),
    '404.html': Buffer.from(`<!doctype html><title>not found ${marker}</title>`),
    '.well-known/security.txt': Buffer.from('Contact: mailto:security@example.com\n'),
    'fonts/a.woff2': crypto.randomBytes(512),
  };
  for (const [rel, content] of Object.entries(files)) write(dir, rel, content);
  // never served
  write(dir, '.env', 'SECRET=dotenv-secret');
  write(dir, '.git/config', '[core] secret = git-secret');
  write(dir, 'assets/.hidden.js', 'hidden');
  symlinkSync('/etc/passwd', path.join(dir, 'passwd.txt'));
  symlinkSync(root, path.join(dir, 'up'));
  return { dir, files, names };
}

function siteConfig(root, extra = {}) {
  return {
    dataDir: path.join(root, 'data'),
    sites: [{
      name: 'web',
      errorDocument: '404.html',
      memoryFileMaxBytes: 262144,
      cache: [{ glob: 'fonts/*', value: 'public, max-age=604800' }],
      headers: { 'X-Frame-Options': 'DENY', 'Permissions-Policy': 'camera=()' },
      redirects: [{ from: '/old-flights', to: '/flights', status: 301 },
                  { from: '/blog/*', to: 'https://blog.example.com/*', status: 302 }],
      rewrites: [{ from: '/about-us', to: '/about.html' }],
      ...extra,
    }],
  };
}

async function deploy(cfgPath, dataDir, dir, site = 'web') {
  const r = await runParley(['deploy', site, dir, '--config', cfgPath, '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

// A server with the fixture site deployed from the CLI before it starts.
async function fixture(extra) {
  const root = tempDir('parley-spa-');
  writeFileSync(path.join(root, 'secret.txt'), 'TOP-SECRET-OUTSIDE-ROOT');
  const site = makeSite(root);
  const config = siteConfig(root, extra);
  const cfgPath = writeConfig(root, { ...config, server: { accessLog: 'off', port: 0 } });
  const id = await deploy(cfgPath, config.dataDir, site.dir);
  const s = await startParley({ configPath: cfgPath, dataDir: config.dataDir });
  return { s, root, site, cfgPath, dataDir: config.dataDir, id,
           done: async () => { await stopClean(s); s.cleanup(); rmSync(root, { recursive: true, force: true }); } };
}

// Stops a server and checks it exited cleanly (no sanitizer report in ASan builds).
async function stopClean(s) {
  const res = await s.stop();
  assert.equal(res.code, 0, s.stderr.slice(-4000));
  assert.doesNotMatch(s.stderr, /Sanitizer|runtime error/);
}

function assertSecurityHeaders(h) {
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h['referrer-policy'], 'strict-origin-when-cross-origin');
  assert.match(h['content-security-policy'], /default-src 'self'/);
}

// ---- serving ----

test('files: type, length, strong ETag, Last-Modified, cache policy, security headers', async () => {
  const f = await fixture();
  try {
    const { files, names } = f.site;
    const r = await request(`${f.s.url}/${names.js}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, files[names.js]);
    assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(Number(r.headers['content-length']), files[names.js].length);
    assert.match(r.headers.etag, /^"[0-9a-f]{32}"$/);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(r.headers['last-modified'], /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assertSecurityHeaders(r.headers);
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(r.headers['permissions-policy'], 'camera=()');
    // the ETag is the content's hash: the same bytes elsewhere have the same tag prefix
    const sha = crypto.createHash('sha256').update(files[names.js]).digest('hex');
    assert.equal(r.headers.etag, `"${sha.slice(0, 32)}"`);

    const html = await request(`${f.s.url}/`);
    assert.equal(html.status, 200);
    assert.deepEqual(html.body, files['index.html']);
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(html.headers['cache-control'], 'no-cache');
    assert.equal((await request(`${f.s.url}/index.html`)).headers['cache-control'], 'no-cache');
    assert.equal((await request(`${f.s.url}/${names.css}`)).headers['content-type'], 'text/css; charset=utf-8');
    assert.equal((await request(`${f.s.url}/logo.png`)).headers['content-type'], 'image/png');
    assert.equal((await request(`${f.s.url}/logo.png`)).headers['cache-control'], 'no-cache');
    const font = await request(`${f.s.url}/fonts/a.woff2`);
    assert.equal(font.headers['content-type'], 'font/woff2');
    assert.equal(font.headers['cache-control'], 'public, max-age=604800'); // the site's glob rule
    // a large file (sent from its descriptor, not memory) is byte-identical
    const big = await request(`${f.s.url}/big.bin`);
    assert.equal(big.status, 200);
    assert.ok(big.body.equals(files['big.bin']));
    assert.match(big.headers.etag, /^"[0-9a-f]{32}"$/);
  } finally { await f.done(); }
});

test('conditional requests: If-None-Match → 304, If-Modified-Since → 304, precedence, If-Match → 412', async () => {
  const f = await fixture();
  try {
    const url = `${f.s.url}/${f.site.names.css}`;
    const first = await request(url);
    const etag = first.headers.etag;
    const lm = first.headers['last-modified'];
    let r = await request(url, { headers: { 'If-None-Match': etag } });
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers.etag, etag);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assertSecurityHeaders(r.headers);
    assert.equal((await request(url, { headers: { 'If-None-Match': `"nope", W/${etag}` } })).status, 304);
    assert.equal((await request(url, { headers: { 'If-None-Match': '*' } })).status, 304);
    assert.equal((await request(url, { headers: { 'If-None-Match': '"other"' } })).status, 200);
    // a tag from another coding of the same file also revalidates (the client had the br body)
    const br = await request(url, { headers: { 'Accept-Encoding': 'br' } });
    assert.notEqual(br.headers.etag, etag);
    r = await request(url, { headers: { 'If-None-Match': br.headers.etag, 'Accept-Encoding': 'br' } });
    assert.equal(r.status, 304);
    assert.equal(r.headers.etag, br.headers.etag);
    // Last-Modified
    r = await request(url, { headers: { 'If-Modified-Since': lm } });
    assert.equal(r.status, 304);
    const later = new Date(Date.parse(lm) + 3600e3).toUTCString();
    const earlier = new Date(Date.parse(lm) - 3600e3).toUTCString();
    assert.equal((await request(url, { headers: { 'If-Modified-Since': later } })).status, 304);
    assert.equal((await request(url, { headers: { 'If-Modified-Since': earlier } })).status, 200);
    assert.equal((await request(url, { headers: { 'If-Modified-Since': 'garbage' } })).status, 200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert.equal((await request(url, { headers: { 'If-None-Match': '"other"', 'If-Modified-Since': later } })).status, 200);
    // HEAD revalidates too
    assert.equal((await request(url, { method: 'HEAD', headers: { 'If-None-Match': etag } })).status, 304);
    // If-Match / If-Unmodified-Since
    assert.equal((await request(url, { headers: { 'If-Match': '"other"' } })).status, 412);
    assert.equal((await request(url, { headers: { 'If-Match': etag } })).status, 200);
    assert.equal((await request(url, { headers: { 'If-Unmodified-Since': earlier } })).status, 412);
    // the fallback revalidates with the index's tag
    const idx = await request(`${f.s.url}/`);
    r = await request(`${f.s.url}/flights/42`, { headers: { 'If-None-Match': idx.headers.etag } });
    assert.equal(r.status, 304);
    assert.equal(r.headers['cache-control'], 'no-cache');
  } finally { await f.done(); }
});

test('ranges: 206 with Content-Range, suffix, open end, 416, If-Range, several ranges, from a file', async () => {
  const f = await fixture();
  try {
    const body = f.site.files['robots.txt'];
    const url = `${f.s.url}/robots.txt`;
    let r = await request(url, { headers: { Range: 'bytes=0-9' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 0-9/${body.length}`);
    assert.equal(Number(r.headers['content-length']), 10);
    assert.deepEqual(r.body, body.subarray(0, 10));
    r = await request(url, { headers: { Range: 'bytes=-5' } });
    assert.equal(r.status, 206);
    assert.deepEqual(r.body, body.subarray(body.length - 5));
    r = await request(url, { headers: { Range: 'bytes=4-' } });
    assert.deepEqual(r.body, body.subarray(4));
    assert.equal(r.headers['content-range'], `bytes 4-${body.length - 1}/${body.length}`);
    r = await request(url, { headers: { Range: `bytes=${body.length}-` } });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], `bytes */${body.length}`);
    assert.equal((await request(url, { headers: { Range: 'bytes=-0' } })).status, 416);
    // several ranges, or a malformed one: the whole file (allowed, and never wrong)
    assert.equal((await request(url, { headers: { Range: 'bytes=0-1,4-5' } })).status, 200);
    assert.equal((await request(url, { headers: { Range: 'bytes=z-' } })).status, 200);
    // If-Range with the current tag or date → 206; with a stale one → 200 and the whole file
    const full = await request(url);
    assert.equal((await request(url, { headers: { Range: 'bytes=0-1', 'If-Range': full.headers.etag } })).status, 206);
    assert.equal((await request(url, { headers: { Range: 'bytes=0-1', 'If-Range': full.headers['last-modified'] } })).status, 206);
    r = await request(url, { headers: { Range: 'bytes=0-1', 'If-Range': '"stale"' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, body);
    // ranges ignore Accept-Encoding: always of the identity bytes
    r = await request(`${f.s.url}/${f.site.names.js}`, { headers: { Range: 'bytes=0-7', 'Accept-Encoding': 'br, gzip' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.deepEqual(r.body, f.site.files[f.site.names.js].subarray(0, 8));
    // a range of a large file (sendfile from an offset)
    const big = f.site.files['big.bin'];
    r = await request(`${f.s.url}/big.bin`, { headers: { Range: 'bytes=300000-300999' } });
    assert.equal(r.status, 206);
    assert.deepEqual(r.body, big.subarray(300000, 301000));
  } finally { await f.done(); }
});

test('HEAD has the GET headers and no body; other methods are 405 with Allow', async () => {
  const f = await fixture();
  try {
    for (const p of ['/', `/${f.site.names.js}`, '/big.bin', '/flights']) {
      const g = await request(`${f.s.url}${p}`);
      const h = await request(`${f.s.url}${p}`, { method: 'HEAD' });
      assert.equal(h.status, g.status);
      assert.equal(h.body.length, 0);
      for (const k of ['content-type', 'content-length', 'etag', 'last-modified', 'cache-control', 'vary'])
        assert.equal(h.headers[k], g.headers[k], `${p} ${k}`);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await request(`${f.s.url}/index.html`, { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
    assert.equal((await request(`${f.s.url}/flights`, { method: 'POST' })).status, 405);
  } finally { await f.done(); }
});

test('encodings: br and gzip by q-value, identity otherwise, Vary, bodies decode to the file', async () => {
  const f = await fixture();
  try {
    const url = `${f.s.url}/${f.site.names.js}`;
    const original = f.site.files[f.site.names.js];
    const cases = [
      [undefined, undefined],
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0.5, gzip;q=0.9', 'gzip'],
      ['br;q=1, gzip;q=1', 'br'],
      ['gzip;q=0, br;q=0', undefined],
      ['identity', undefined],
      ['*', 'br'],
      ['br;q=0, *;q=0.5', 'gzip'],
      ['deflate', undefined],
    ];
    for (const [ae, expected] of cases) {
      const r = await request(url, { headers: ae === undefined ? {} : { 'Accept-Encoding': ae } });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], expected, `Accept-Encoding: ${ae}`);
      assert.equal(r.headers.vary, 'Accept-Encoding');
      const body = expected === 'br' ? zlib.brotliDecompressSync(r.body)
        : expected === 'gzip' ? zlib.gunzipSync(r.body) : r.body;
      assert.deepEqual(body, original, `Accept-Encoding: ${ae}`);
      if (expected) assert.ok(r.body.length < original.length);
      if (expected) assert.equal(r.headers.etag.slice(-4), expected === 'br' ? '-br"' : '-gz"');
    }
    // binary formats are never compressed, tiny files neither (no gain)
    assert.equal((await request(`${f.s.url}/logo.png`, { headers: { 'Accept-Encoding': 'br, gzip' } })).headers['content-encoding'], undefined);
    assert.equal((await request(`${f.s.url}/robots.txt`, { headers: { 'Accept-Encoding': 'br, gzip' } })).headers['content-encoding'], undefined);
    // HTML (and so the fallback) is compressed too
    const fb = await request(`${f.s.url}/flights`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(fb.headers['content-encoding'], 'gzip');
    assert.deepEqual(zlib.gunzipSync(fb.body), f.site.files['index.html']);
  } finally { await f.done(); }
});

test('SPA fallback: route-like paths get the index with HTML cache policy; missing assets are real 404s', async () => {
  const f = await fixture();
  try {
    const index = f.site.files['index.html'];
    for (const p of ['/flights', '/flights/', '/flights/AA101', '/deep/link/to/a/route', '/about-us-team']) {
      const r = await request(`${f.s.url}${p}`);
      assert.equal(r.status, 200, p);
      assert.deepEqual(r.body, index, p);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['cache-control'], 'no-cache', p); // never an asset's policy
      assertSecurityHeaders(r.headers);
    }
    // a missing hashed asset: 404 (the error document), never index.html, never immutable
    for (const p of ['/assets/app.0badf00d.js', '/assets/style.deadbeef.css', '/missing.png',
                     '/img/photo.webp', '/fonts/x.woff2', '/app.js.map', '/data.json']) {
      for (const accept of ['*/*', 'text/html,application/xhtml+xml']) {
        const r = await request(`${f.s.url}${p}`, { headers: { Accept: accept } });
        assert.equal(r.status, 404, `${p} ${accept}`);
        assert.ok(!r.body.equals(index), p);
        assert.equal(r.headers['cache-control'], 'no-cache');
        assert.doesNotMatch(r.headers['cache-control'], /immutable/);
      }
    }
    const nf = await request(`${f.s.url}/assets/app.0badf00d.js`);
    assert.deepEqual(nf.body, f.site.files['404.html']); // errorDocument
    // an unknown extension falls back only for a navigation (Accept: text/html)
    assert.equal((await request(`${f.s.url}/users/john.doe`, { headers: { Accept: 'text/html' } })).status, 200);
    assert.equal((await request(`${f.s.url}/users/john.doe`, { headers: { Accept: '*/*' } })).status, 404);
    // HEAD gets the fallback too
    const h = await request(`${f.s.url}/flights`, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(Number(h.headers['content-length']), index.length);
  } finally { await f.done(); }
});

test('fallback off: route-like paths are 404; no error document: plain 404', async () => {
  const f = await fixture({ fallback: false, errorDocument: undefined });
  try {
    const r = await request(`${f.s.url}/flights`);
    assert.equal(r.status, 404);
    assert.match(r.headers['content-type'], /^text\/plain/);
    assert.equal((await request(`${f.s.url}/`)).status, 200);
  } finally { await f.done(); }
});

test('dotfiles are hidden, .well-known is served, symlinks leaving the folder were never deployed', async () => {
  const f = await fixture();
  try {
    for (const p of ['/.env', '/.git/config', '/.git/', '/assets/.hidden.js', '/.env.local', '/a/.htaccess']) {
      const r = await request(`${f.s.url}${p}`);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body.toString(), /secret|hidden/, p);
    }
    assert.equal((await request(`${f.s.url}/.well-known/security.txt`)).status, 200);
    for (const p of ['/passwd.txt', '/up/secret.txt', '/up/site-v1/index.html']) {
      const r = await request(`${f.s.url}${p}`);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body.toString(), /root:|TOP-SECRET/, p);
    }
  } finally { await f.done(); }
});

test('traversal: 40 encoded attack paths never serve anything outside the release', async () => {
  const f = await fixture();
  try {
    const index = f.site.files['index.html'];
    const attacks = [
      '/../secret.txt', '/../../etc/passwd', '/../../../../../../etc/passwd',
      '/%2e%2e/secret.txt', '/%2e%2e/%2e%2e/etc/passwd', '/%2E%2E/%2E%2E/etc/passwd',
      '/.%2e/secret.txt', '/%2e./secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt',
      '/%252e%252e/secret.txt', '/%252e%252e%252fsecret.txt', '/%25252e%25252e/etc/passwd',
      '/..%2fsecret.txt', '/..%2Fsecret.txt', '/%2e%2e%2fsecret.txt', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/..\\secret.txt', '/..%5csecret.txt', '/%2e%2e%5csecret.txt', '/assets\\..\\..\\secret.txt',
      '/..%255csecret.txt', '/%c0%ae%c0%ae/secret.txt', '/%c0%ae%c0%ae%c0%afsecret.txt',
      '/%e0%80%ae%e0%80%ae/secret.txt', '/%f0%80%80%ae%f0%80%80%ae/secret.txt', '/%c1%9c..%c1%9csecret.txt',
      '/%uff0e%uff0e/secret.txt', '/..%c0%afsecret.txt', '/%2e%2e%00/secret.txt', '/index.html%00.js',
      '/%00', '/secret.txt%00', '/....//secret.txt', '/..;/secret.txt', '/./../secret.txt',
      '//../secret.txt', '/assets/../../secret.txt', '/%2e%2e//%2e%2e//etc/passwd',
      '/.%00./secret.txt', '/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fproc%2fself%2fenviron',
      '/up/secret.txt', '/passwd.txt', '/%2f%2e%2e%2fsecret.txt', '/%5c..%5csecret.txt',
    ];
    assert.ok(attacks.length >= 40);
    for (const p of attacks) {
      const r = await raw(f.s.port, p);
      const text = r.body.toString('latin1');
      assert.doesNotMatch(text, /TOP-SECRET|root:x:0|SECRET=|git-secret|PATH=/, p);
      // Either refused (400/404) or the site's own index through the fallback — nothing else.
      assert.ok([400, 404].includes(r.status) || (r.status === 200 && r.body.equals(index)),
                `${p}: ${r.status}`);
    }
    // the server is still fine
    assert.equal((await request(`${f.s.url}/healthz`)).status, 200);
  } finally { await f.done(); }
});

test('redirects, rewrites, folders with an index, API routes still win', async () => {
  const f = await fixture();
  try {
    let r = await request(`${f.s.url}/old-flights`);
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/flights');
    r = await request(`${f.s.url}/blog/2024/hello`);
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'https://blog.example.com/2024/hello');
    // what a prefix matched is percent-encoded in the Location: no header injection, valid URL
    r = await raw(f.s.port, '/blog/caf%C3%A9%20au%20lait/%0d%0aSet-Cookie:x');
    assert.equal(r.status, 400); // a control character never gets that far
    r = await raw(f.s.port, '/blog/caf%C3%A9%20au%20lait');
    assert.equal(r.status, 302);
    assert.match(r.head, /\r\nLocation: https:\/\/blog\.example\.com\/caf%C3%A9%20au%20lait\r\n/);
    r = await request(`${f.s.url}/about-us`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, f.site.files['about.html']);
    r = await request(`${f.s.url}/docs`);
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/docs/');
    r = await request(`${f.s.url}/docs/`);
    assert.deepEqual(r.body, f.site.files['docs/index.html']);
    const h = await request(`${f.s.url}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(JSON.parse(h.body).status, 'ok');
    const m = await request(`${f.s.url}/metrics`);
    assert.match(m.body.toString(), /parley_spa_files\{site="web"\} 11/);
  } finally { await f.done(); }
});

test('sites by Host and path prefix', async () => {
  const root = tempDir('parley-spa-');
  try {
    const a = makeSite(root, 'a');
    const b = makeSite(root, 'b');
    const dataDir = path.join(root, 'data');
    const cfgPath = writeConfig(root, { server: { accessLog: 'off' }, sites: [
      { name: 'main', root: a.dir },
      { name: 'docs', root: b.dir, pathPrefix: '/handbook' },
      { name: 'shop', root: b.dir, hosts: ['shop.example.com', '*.shop.test'] },
    ] });
    const s = await startParley({ configPath: cfgPath, dataDir });
    try {
      const get = (p, host) => request(`${s.url}${p}`, { headers: host ? { Host: host } : {} });
      assert.match((await get('/')).body.toString(), /data-release="a"/);
      assert.match((await get('/handbook/')).body.toString(), /data-release="b"/);
      assert.equal((await get('/handbook')).headers.location, '/handbook/');
      assert.match((await get('/handbook/some/route')).body.toString(), /data-release="b"/);
      assert.match((await get('/', 'shop.example.com')).body.toString(), /data-release="b"/);
      assert.match((await get('/', 'SHOP.example.com:8080')).body.toString(), /data-release="b"/);
      assert.match((await get('/', 'eu.shop.test')).body.toString(), /data-release="b"/);
      assert.match((await get('/', 'other.example.com')).body.toString(), /data-release="a"/);
      // first start deployed every site from its root
      const rel = await runParley(['releases', 'docs', '--config', cfgPath, '--data-dir', dataDir]);
      assert.equal(rel.code, 0, rel.stderr);
      assert.match(rel.stdout, /^\* \d{8}-\d{6}-\d{3}/);
    } finally { await stopClean(s); s.cleanup(); }
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('nothing cached: files sent from kept-open descriptors and, past 256, opened per request', async () => {
  const root = tempDir('parley-spa-');
  try {
    const dir = path.join(root, 'many');
    for (let i = 0; i < 300; i++) write(dir, `f/${i}.txt`, `file ${i}\n`.repeat(i % 7 + 1));
    write(dir, 'index.html', '<!doctype html><title>many</title>');
    const dataDir = path.join(root, 'data');
    const cfgPath = writeConfig(root, { server: { accessLog: 'off' },
      sites: [{ name: 'many', root: dir, memoryCacheBytes: 0, memoryFileMaxBytes: 0 }] });
    const s = await startParley({ configPath: cfgPath, dataDir });
    try {
      assert.match(s.stderr, /0 bytes in memory, 256 open/);
      for (let i = 0; i < 300; i++) {
        const r = await request(`${s.url}/f/${i}.txt`, { headers: i % 2 ? { Range: 'bytes=1-3' } : {} });
        const want = Buffer.from(`file ${i}\n`.repeat(i % 7 + 1));
        assert.equal(r.status, i % 2 ? 206 : 200);
        assert.deepEqual(r.body, i % 2 ? want.subarray(1, 4) : want, `f/${i}.txt`);
      }
    } finally { await stopClean(s); s.cleanup(); }
  } finally { rmSync(root, { recursive: true, force: true }); }
});

// ---- releases ----

test('deploy and rollback under load: readers only ever see complete old or new releases', async () => {
  const f = await fixture({ keepReleases: 3 });
  try {
    const v2 = makeSite(f.root, 'v2');
    const versions = [f.site, v2];
    const paths = ['index.html', 'robots.txt', 'big.bin', 'about.html'];
    const expected = Object.fromEntries(paths.map((p) => [p, versions.map((v) => v.files[p])]));
    let stop = false;
    let seen = { v1: 0, v2: 0 };
    const failures = [];
    const reader = async (n) => {
      for (let i = 0; !stop; i++) {
        const p = paths[(i + n) % paths.length];
        const r = await request(`${f.s.url}/${p}`);
        if (r.status !== 200) { failures.push(`${p}: ${r.status}`); continue; }
        const k = expected[p].findIndex((b) => b.equals(r.body));
        if (k < 0) failures.push(`${p}: a body that is neither release (${r.body.length} bytes)`);
        else if (p === 'index.html') seen[k ? 'v2' : 'v1']++;
        const sha = crypto.createHash('sha256').update(r.body).digest('hex').slice(0, 32);
        if (r.headers.etag !== `"${sha}"`) failures.push(`${p}: ETag of another body`);
      }
    };
    const readers = [0, 1, 2, 3, 4, 5].map(reader);
    const ids = [f.id];
    for (let i = 0; i < 6; i++) {
      ids.push(await deploy(f.cfgPath, f.dataDir, versions[(i + 1) % 2].dir));
      await sleep(150);
      // a deploy that fails half-way changes nothing
      const bad = path.join(f.root, `bad-${i}`);
      write(bad, 'index.html', 'broken');
      write(bad, 'd/'.repeat(40) + 'f.txt', 'too deep');
      const r = await runParley(['deploy', 'web', bad, '--config', f.cfgPath, '--data-dir', f.dataDir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /deeper than .* \(nothing was changed\)/);
      const rb = await runParley(['rollback', 'web', '--config', f.cfgPath, '--data-dir', f.dataDir]);
      assert.equal(rb.code, 0, rb.stderr);
      await sleep(150);
    }
    stop = true;
    await Promise.all(readers);
    assert.deepEqual(failures, []);
    assert.ok(seen.v1 > 0 && seen.v2 > 0, JSON.stringify(seen));
    // activation is visible without a restart, within the watcher's period
    await deploy(f.cfgPath, f.dataDir, v2.dir);
    await sleep(600);
    assert.match((await request(`${f.s.url}/`)).body.toString(), /data-release="v2"/);
    const rb = await runParley(['rollback', 'web', '--config', f.cfgPath, '--data-dir', f.dataDir]);
    assert.equal(rb.code, 0);
    await sleep(600);
    assert.match((await request(`${f.s.url}/`)).body.toString(), /data-release="v1"/);
    // keepReleases: 3 kept on disk
    const list = await runParley(['releases', 'web', '--config', f.cfgPath, '--data-dir', f.dataDir]);
    assert.equal(list.stdout.trim().split('\n').length, 3);
    assert.equal(list.stdout.split('\n').filter((l) => l.startsWith('*')).length, 1);
  } finally { await f.done(); }
});

test('a request in flight finishes on the release it started with', async () => {
  const root = tempDir('parley-spa-');
  try {
    const v1 = makeSite(root, 'v1');
    const v2 = makeSite(root, 'v2');
    const huge1 = Buffer.alloc(8 << 20, 'old-release-');
    const huge2 = Buffer.alloc(8 << 20, 'new-release-');
    write(v1.dir, 'huge.bin', huge1);
    write(v2.dir, 'huge.bin', huge2);
    const dataDir = path.join(root, 'data');
    const cfgPath = writeConfig(root, { server: { accessLog: 'off' },
      sites: [{ name: 'web', root: v1.dir, keepReleases: 1 }] });
    const s = await startParley({ configPath: cfgPath, dataDir });
    try {
      // start a download, read a little, then deploy (pruning the old release from disk)
      const body = await new Promise((resolve, reject) => {
        const req = http.get(`${s.url}/huge.bin`, { agent: false, highWaterMark: 16384 }, (res) => {
          const chunks = [];
          let paused = false;
          res.on('data', async (c) => {
            chunks.push(c);
            if (!paused) {
              paused = true;
              res.pause();
              await deploy(cfgPath, dataDir, v2.dir);
              await sleep(700);
              const now = await request(`${s.url}/huge.bin`);
              assert.ok(now.body.equals(huge2), 'new requests see the new release');
              res.resume();
            }
          });
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      assert.ok(body.equals(huge1), 'the old download completed with the old bytes');
      const list = await runParley(['releases', 'web', '--config', cfgPath, '--data-dir', dataDir]);
      assert.equal(list.stdout.trim().split('\n').length, 1); // the old one is gone from disk
    } finally { await stopClean(s); s.cleanup(); }
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('a release damaged after deploy (planted symlink) is refused; the old one stays active', async () => {
  const f = await fixture();
  try {
    const v2 = makeSite(f.root, 'v2');
    const id2 = await deploy(f.cfgPath, f.dataDir, v2.dir);
    await sleep(600);
    assert.match((await request(`${f.s.url}/`)).body.toString(), /data-release="v2"/);
    // plant a symlink in release 1, then roll back to it
    const target = path.join(f.dataDir, 'sites/web/releases', f.id, 'files/robots.txt');
    rmSync(target);
    symlinkSync('/etc/passwd', target);
    const rb = await runParley(['rollback', 'web', f.id, '--config', f.cfgPath, '--data-dir', f.dataDir]);
    assert.equal(rb.code, 0);
    await sleep(700);
    const r = await request(`${f.s.url}/robots.txt`);
    assert.doesNotMatch(r.body.toString(), /root:/);
    assert.match((await request(`${f.s.url}/`)).body.toString(), /data-release="v2"/);
    assert.match(f.s.stderr, new RegExp(`release ${f.id} not activated, still serving ${id2}.*symlink`));
  } finally { await f.done(); }
});

test('CLI: releases, rollback errors, deploy errors, config errors are one line', async () => {
  const f = await fixture();
  try {
    const run = (args) => runParley([...args, '--config', f.cfgPath, '--data-dir', f.dataDir]);
    let r = await run(['releases', 'web']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^\\* ${f.id}\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+11 files`, 'm'));
    r = await run(['rollback', 'web']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no release older than the current one/);
    r = await run(['rollback', 'web', 'no-such-release']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no complete release 'no-such-release'/);
    r = await run(['deploy', 'nosite', f.site.dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no site named 'nosite'/);
    r = await run(['deploy', 'web', '/no/such/folder']);
    assert.equal(r.code, 1);
    r = await run(['deploy', 'web']);
    assert.equal(r.code, 2);
    // skipped files are reported
    r = await run(['deploy', 'web', f.site.dir]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /skipped passwd.txt: a symlink that leaves the site folder/);
    assert.match(r.stderr, /skipped .env: dotfiles are never served/);
  } finally { await f.done(); }
  const dir = tempDir();
  try {
    const cfg = writeConfig(dir, { sites: [{ name: 'a', cache: [{ glob: '*.js', value: 'no-cache' }, { glob: 7, value: 'x' }] }] });
    const r = await runParley(['serve', '--config', cfg, '--data-dir', path.join(dir, 'd'), '--port', '0']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `parley: ${cfg}: sites[0].cache[1].glob: must be a string`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the default config serves the demo from web/ at / next to the API, deployed on first start', async () => {
  const dir = tempDir();
  const s = await startParley({ configPath: path.join(SOURCE_DIR, 'examples/parley.json'),
                                dataDir: path.join(dir, 'data') });
  try {
    assert.match(s.stderr, /site demo: first start, deployed/);
    const index = readFileSync(path.join(SOURCE_DIR, 'web/demo/index.html'));
    const r = await request(`${s.url}/`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, index);
    for (const route of ['/flights', '/about']) assert.deepEqual((await request(`${s.url}${route}`)).body, index);
    // every fingerprinted asset the page names exists, matches its fingerprint and is immutable
    const assets = [...index.toString().matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.length >= 2);
    for (const a of assets) {
      const res = await request(`${s.url}/${a}`);
      assert.equal(res.status, 200, a);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', a);
      assert.equal(a.match(/\.([0-9a-f]{8})\.\w+$/)[1], sha8(res.body), `${a} fingerprint`);
    }
    assert.equal((await request(`${s.url}/healthz`)).status, 200);
    assert.equal((await request(`${s.url}/assets/app.00000000.js`)).status, 404);
    for (const f of readdirSync(path.join(SOURCE_DIR, 'web/demo/assets')))
      assert.ok(assets.includes(`assets/${f}`), `web/demo/assets/${f} is referenced by index.html`);
  } finally { await stopClean(s); s.cleanup(); rmSync(dir, { recursive: true, force: true }); }
});
