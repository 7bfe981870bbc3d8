// A fake Slack Web API for the Slack channel's tests: a real HTTP server on
// loopback that records every call (chat.postMessage, response_url posts)
// and answers {ok: true}, or what the test planned (a 429 with Retry-After,
// a 500). Also signs requests the way Slack does.
import http from 'node:http';
import { createHmac } from 'node:crypto';

export function slackSign(secret, timestamp, body) {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

// Starts the fake; resolves {url, apiUrl, calls, plan, waitFor, stop}.
//   calls: [{path, headers, body (parsed JSON or raw text), at (ms)}]
//   plan:  responses to give before the default, e.g. [{status: 429, headers: {'Retry-After': '1'}}]
export async function startFakeSlack() {
  const fake = { calls: [], plan: [] };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = raw;
      try { body = JSON.parse(raw); } catch { /* keep the text */ }
      fake.calls.push({ path: req.url, method: req.method, headers: req.headers, body, at: Date.now() });
      const next = fake.plan.shift();
      if (next) {
        res.writeHead(next.status, { 'content-type': 'application/json', ...(next.headers ?? {}) });
        res.end(JSON.stringify(next.body ?? { ok: false, error: 'planned' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel: body?.channel, ts: `${Date.now() / 1000}` }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.apiUrl = `${fake.url}/api`;
  // Waits until pred(calls) is true; throws after timeoutMs.
  fake.waitFor = async (pred, timeoutMs = 20000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pred(fake.calls)) {
      if (Date.now() > deadline) throw new Error(`fake Slack: timed out; calls: ${JSON.stringify(fake.calls.map((c) => [c.path, c.body]))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  fake.posts = (pred = () => true) => fake.calls.filter((c) => c.path === '/api/chat.postMessage' && pred(c));
  fake.stop = () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); });
  return fake;
}
