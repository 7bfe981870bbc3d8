// spa-host in a real browser: Chromium (playwright-core, Debian's /usr/bin/chromium)
// opens the demo site from web/ as the default config serves it, follows
// client-side routes, goes back, reloads on a deep link, runs under the
// default Content-Security-Policy without a violation, and gets a real 404
// for a missing hashed asset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startParley, tempDir, SOURCE_DIR } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

test('the demo site in Chromium: client-side routes, deep-link reload, CSP, 404 for a missing asset',
  { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`, timeout: 120000 }, async () => {
    const { chromium } = await import('playwright-core');
    const work = tempDir('parley-browser-');
    const s = await startParley({ configPath: path.join(SOURCE_DIR, 'examples/parley.json'),
                                  dataDir: path.join(work, 'data') });
    const browser = await chromium.launchPersistentContext(path.join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = browser.pages()[0] ?? await browser.newPage();
      const problems = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(String(e)));
      const responses = [];
      page.on('response', (r) => responses.push(r));

      let r = await page.goto(`${s.url}/`);
      assert.equal(r.status(), 200);
      assert.equal(r.headers()['cache-control'], 'no-cache');
      await page.waitForSelector('#view[data-route="/"]');
      assert.match(await page.title(), /Amazonian Airways/);
      // the fingerprinted assets loaded, immutable
      const assets = responses.filter((x) => /\/assets\/(app|style)\.[0-9a-f]{8}\.(js|css)$/.test(x.url()));
      assert.equal(assets.length, 2);
      for (const a of assets) {
        assert.equal(a.status(), 200);
        assert.equal(a.headers()['cache-control'], 'public, max-age=31536000, immutable');
      }
      // the styles applied: the stylesheet passed the CSP
      const bg = await page.evaluate(() => getComputedStyle(document.querySelector('header')).backgroundColor);
      assert.equal(bg, 'rgb(11, 110, 79)');

      // client-side navigation: no document load, the marker survives
      await page.evaluate(() => { window.__spaMarker = 'still-here'; });
      const navs = [];
      page.on('framenavigated', (fr) => { if (fr === page.mainFrame()) navs.push(fr.url()); });
      await page.click('nav a[href="/flights"]');
      await page.waitForSelector('#view[data-route="/flights"]');
      assert.equal(new URL(page.url()).pathname, '/flights');
      assert.equal(await page.locator('tr.flight').count(), 5);
      await page.fill('#flight-filter', 'manaus');
      assert.equal(await page.locator('tr.flight').count(), 2);
      await page.click('nav a[href="/about"]');
      await page.waitForSelector('#view[data-route="/about"]');
      assert.equal(await page.evaluate(() => window.__spaMarker), 'still-here');
      await page.goBack();
      await page.waitForSelector('#view[data-route="/flights"]');
      assert.equal(await page.evaluate(() => window.__spaMarker), 'still-here');

      // reload on a deep link: the server answers with the index (fallback), the app routes
      r = await page.reload();
      assert.equal(r.status(), 200);
      assert.match(r.headers()['content-type'], /^text\/html/);
      await page.waitForSelector('#view[data-route="/flights"]');
      assert.equal(await page.evaluate(() => window.__spaMarker), undefined); // a fresh document
      r = await page.goto(`${s.url}/about`);
      assert.equal(r.status(), 200);
      await page.waitForSelector('#view[data-route="/about"]');
      r = await page.goto(`${s.url}/no/such/page`);
      assert.equal(r.status(), 200);
      await page.waitForSelector('#view[data-route="not-found"]');

      // a missing hashed asset is a real 404, never the index page
      r = await page.goto(`${s.url}/assets/app.0badf00d.js`);
      assert.equal(r.status(), 404);
      assert.doesNotMatch(await page.content(), /Amazonian Airways<\/span>/);
      const fetched = await page.evaluate(async () => {
        const res = await fetch('/assets/style.00000000.css');
        return { status: res.status, type: res.headers.get('content-type') };
      });
      assert.equal(fetched.status, 404);

      // no script error and no CSP violation anywhere (the 404s above log a console error each)
      const unexpected = problems.filter((p) => !/404/.test(p));
      assert.deepEqual(unexpected, []);
    } finally {
      await browser.close();
      const res = await s.stop();
      assert.equal(res.code, 0, s.stderr.slice(-4000));
      s.cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  });
