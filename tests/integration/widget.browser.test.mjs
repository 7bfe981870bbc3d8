// The chat widget in a real browser (issue 9): Chromium (playwright-core, Debian's
// /usr/bin/chromium) opens the demo site as the default config serves it, books a
// flight through the widget over WebSocket, reloads in the middle of the
// conversation and finishes it (the session id and transcript live in
// localStorage; the dialog state on the server), saves a screenshot, books again
// with WebSocket blocked (the widget falls back to Lex V1 PostText over HTTP), and
// checks that a page from an origin the config does not allow cannot open the socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startParley, tempDir, SOURCE_DIR } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const OUT = process.env.PARLEY_TEST_OUT ?? path.join(SOURCE_DIR, 'tests/out');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
              '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

async function launch(work, name) {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(path.join(work, name), {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1000, height: 760 },
  });
}

function watch(page) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  return problems;
}

async function send(page, text) {
  await page.fill('.parley-input', text);
  await page.press('.parley-input', 'Enter');
}

// The bot messages' texts, in order.
const botTexts = (page) => page.locator('.parley-bot .parley-text').allTextContents();

// The fulfilled booking, in either transport: through the widget, reloading in the middle.
async function book(page, url, transport) {
  await page.goto(url);
  await page.waitForSelector(`.parley-widget[data-transport="${transport}"]`);
  // keyboard: the launcher opens the panel and puts the focus in the input
  await page.focus('.parley-launcher');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.parley-panel:not([hidden])');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'parley-input');
  assert.equal(await page.getAttribute('.parley-launcher', 'aria-expanded'), 'true');
  assert.equal(await page.getAttribute('.parley-log', 'aria-live'), 'polite');

  await send(page, 'book a flight from Boston to Chicago tomorrow');
  await page.waitForSelector('.parley-bot[data-dialog-state="ConfirmIntent"]');
  assert.match((await botTexts(page)).at(-1), /Are you sure you want to book a flight from Boston to Chicago on \d{4}-\d{2}-\d{2}\?/);
  const session = await page.evaluate(() => localStorage.getItem('parley:AmazonianAirways:prod:session'));
  assert.match(session, /^[0-9a-zA-Z._:-]{2,100}$/);

  // reload: the transcript is back, the panel still open, and the server's session goes on
  await page.reload();
  await page.waitForSelector(`.parley-widget[data-transport="${transport}"]`);
  await page.waitForSelector('.parley-panel:not([hidden])');
  assert.equal(await page.locator('.parley-user').count(), 1);
  assert.match((await botTexts(page)).at(-1), /Are you sure/);
  assert.equal(await page.evaluate(() => localStorage.getItem('parley:AmazonianAirways:prod:session')), session);
  await send(page, 'yes');
  await page.waitForSelector('.parley-bot[data-dialog-state="Fulfilled"]');
  assert.match((await botTexts(page)).at(-1), /^We have booked your flight from Boston to Chicago on \d{4}-\d{2}-\d{2}$/);
  assert.equal(await page.isHidden('.parley-typing'), true);
  // Escape closes the panel and gives the focus back to the launcher
  await page.keyboard.press('Escape');
  await page.waitForSelector('.parley-panel[hidden]', { state: 'attached' });
  assert.equal(await page.evaluate(() => document.activeElement.className), 'parley-launcher');
  return session;
}

test('the chat widget in Chromium: a booking over WebSocket across a reload, the HTTP fallback, origins',
  { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`, timeout: 180000 }, async () => {
    const work = tempDir('parley-widget-');
    const s = await startParley({ configPath: path.join(SOURCE_DIR, 'examples/parley.json'),
                                  dataDir: path.join(work, 'data') });
    let browser = await launch(work, 'profile-ws');
    // a page on another origin (another loopback port), which the config does not allow
    let flowerShop = null; // a second Parley, for the page on another origin that embeds the widget
    const foreign = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(req.url === '/flowers.html'
        ? '<!doctype html><title>Flowers</title><h1>Flowers</h1><script src="' +
          `${flowerShop.url}/widget/parley-widget.js" data-bot="FlowerShop" data-open="true" defer></script>`
        : '<!doctype html><title>elsewhere</title><p>not Amazonian Airways</p>');
    });
    await new Promise((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const foreignOrigin = `http://127.0.0.1:${foreign.address().port}`;
    flowerShop = await startParley({ config: {
      bots: [{ file: path.join(SOURCE_DIR, 'examples/bots/flowers.json'), aliases: { prod: '$LATEST' } }],
      webchat: { bots: { FlowerShop: { allowedOrigins: [foreignOrigin] } } } } });
    try {
      // 1. over WebSocket
      let page = browser.pages()[0] ?? await browser.newPage();
      let problems = watch(page);
      const sockets = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      const session = await book(page, `${s.url}/`, 'websocket');
      assert.ok(sockets.length >= 2, 'a socket per page load');
      assert.ok(sockets.every((u) => u === `${s.url.replace('http', 'ws')}/webchat/AmazonianAirways/prod`));
      // the widget's files: served by Parley, cacheable
      const js = await page.evaluate(async () => {
        const r = await fetch('/widget/parley-widget.js');
        return { status: r.status, type: r.headers.get('content-type'), cache: r.headers.get('cache-control') };
      });
      assert.deepEqual(js, { status: 200, type: 'text/javascript; charset=utf-8', cache: 'public, max-age=300' });
      // the demo's theme reached the widget through its CSS variables
      assert.equal(await page.evaluate(() =>
        getComputedStyle(document.querySelector('.parley-launcher')).backgroundColor), 'rgb(11, 110, 79)');
      // phone-sized: the open panel fills the screen
      await page.setViewportSize({ width: 375, height: 667 });
      await page.click('.parley-launcher');
      const box = await page.locator('.parley-panel').boundingBox();
      assert.deepEqual([box.width, box.height], [375, 667]);
      await page.setViewportSize({ width: 1000, height: 760 });
      mkdirSync(OUT, { recursive: true });
      const shot = path.join(OUT, 'widget-booking.png');
      await page.screenshot({ path: shot });
      assert.ok(statSync(shot).size > 1000);
      // the same session is the Lex V1 user id: the conversation is visible over HTTP
      const lex = await page.evaluate(async (user) => {
        const r = await fetch(`/bot/AmazonianAirways/alias/prod/user/${user}/text`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ inputText: 'book a flight from Boston to Chicago tomorrow' }) });
        return r.json();
      }, session);
      assert.equal(lex.dialogState, 'ConfirmIntent');
      assert.deepEqual(problems, []); // no script error, no CSP violation (connect-src 'self')

      // 2. a page from a disallowed origin cannot open the socket
      const other = `http://127.0.0.1:${foreign.address().port}/`;
      await page.goto(other);
      const result = await page.evaluate((url) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        let opened = false;
        ws.onopen = () => { opened = true; };
        ws.onclose = (e) => resolve({ opened, code: e.code });
      }), `${s.url.replace('http', 'ws')}/webchat/AmazonianAirways/prod`);
      assert.deepEqual(result, { opened: false, code: 1006 });
      assert.match(problems.splice(0).join('\n'), /Unexpected response code: 403/);
      assert.match(s.stderr, /web socket refused \(403\): Pages from http:\/\/127\.0\.0\.1:\d+ may not chat/);

      // 3. a third-party page (another origin, allowed by its Parley) embeds the widget with one
      //    tag; response-card buttons render and answer
      await page.goto(`${foreignOrigin}/flowers.html`);
      await page.waitForSelector('.parley-widget[data-transport="websocket"]');
      await page.waitForSelector('.parley-panel:not([hidden])');
      await send(page, 'I would like to order some flowers');
      await page.waitForSelector('.parley-bot[data-dialog-state="ElicitSlot"] .parley-card');
      assert.equal(await page.textContent('.parley-card-title'), 'Flowers');
      assert.deepEqual(await page.locator('.parley-button').allTextContents(), ['Roses', 'Lilies', 'Tulips']);
      await page.click('.parley-button:text("Lilies")');
      await page.waitForFunction(() => document.querySelectorAll('.parley-bot').length === 2);
      assert.deepEqual(await page.locator('.parley-user .parley-text').allTextContents(),
                       ['I would like to order some flowers', 'Lilies']);
      assert.equal(await page.locator('.parley-button:disabled').count(), 3); // answered
      assert.equal(await page.evaluate(() => document.activeElement.className), 'parley-input');
      await page.screenshot({ path: path.join(OUT, 'widget-buttons.png') });
      assert.deepEqual(problems.filter((p) => !/favicon/.test(p)), []);
      await browser.close();

      // 4. WebSocket blocked (a proxy that drops the upgrade): the widget sends over HTTP
      browser = await launch(work, 'profile-http');
      await browser.routeWebSocket(/\/webchat\//, (ws) => ws.close({ code: 1011, reason: 'blocked' }));
      page = browser.pages()[0] ?? await browser.newPage();
      problems = watch(page);
      const posts = [];
      page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
      const session2 = await book(page, `${s.url}/`, 'http');
      assert.notEqual(session2, session);
      assert.deepEqual(posts, [`/bot/AmazonianAirways/alias/prod/user/${session2}/text`,
                               `/bot/AmazonianAirways/alias/prod/user/${session2}/text`]);
      await page.screenshot({ path: path.join(OUT, 'widget-http-fallback.png') });
      assert.deepEqual(problems, []);

    } finally {
      await browser.close().catch(() => {});
      foreign.close();
      if (flowerShop) {
        assert.equal((await flowerShop.stop()).code, 0, flowerShop.stderr.slice(-4000));
        flowerShop.cleanup();
      }
      const res = await s.stop();
      assert.equal(res.code, 0, s.stderr.slice(-4000));
      s.cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  });
