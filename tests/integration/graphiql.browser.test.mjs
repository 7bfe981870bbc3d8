// GraphiQL (npm `graphiql`, web/graphiql/) served by Parley as a site, in a real
// browser: the test builds the site from web/graphiql/node_modules (installed by
// scripts/install-deps.sh test), deploys it through the `sites` config at
// /graphiql/ next to /graphql, and Chromium (playwright-core, Debian's
// /usr/bin/chromium) loads it, introspects Parley's schema (graphql-js's
// getIntrospectionQuery, which our engine answers), opens the Docs explorer and
// finds Parley's types there (Query, Bot), types a query, runs it and reads the
// data in the result pane; then runs a subscription from GraphiQL (over WebSocket,
// graphql-transport-ws) and sees a turn driven through the Lex V1 API arrive in it.
// Screenshots go to tests/out/graphiql.png and graphiql-subscription.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startParley, tempDir, SOURCE_DIR } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const OUT = process.env.PARLEY_TEST_OUT ?? path.join(SOURCE_DIR, 'tests/out');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
              '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const GRAPHIQL = path.join(SOURCE_DIR, 'web/graphiql');
const TOKEN = 'graphiql-test-token-42';
const flowers = { file: path.join(SOURCE_DIR, 'examples/bots/flowers.json'), aliases: { prod: '$LATEST' } };

const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}`
  : !existsSync(path.join(GRAPHIQL, 'node_modules/graphiql')) ? 'web/graphiql/node_modules is missing (scripts/install-deps.sh test)'
    : false;

test('GraphiQL from Parley in Chromium: the schema in the Docs explorer, a query run', { skip, timeout: 180000 }, async () => {
  const work = tempDir('parley-graphiql-');
  const site = path.join(work, 'graphiql');
  const built = spawnSync(process.execPath, [path.join(GRAPHIQL, 'build.mjs'), site], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);

  const s = await startParley({
    config: {
      bots: [flowers],
      sites: [{ name: 'graphiql', root: site, pathPrefix: '/graphiql' }],
    },
    env: { PARLEY_ADMIN_TOKEN: TOKEN },
  });
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 },
  });
  try {
    const page = ctx.pages()[0] ?? await ctx.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    const introspected = page.waitForResponse((r) => r.url().endsWith('/graphql') &&
      (r.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(`${s.url}/graphiql/`);
    await page.waitForSelector('.graphiql-container');
    const intro = await introspected;
    assert.equal(intro.status(), 200);
    const introBody = await intro.json();
    assert.equal(introBody.errors, undefined, JSON.stringify(introBody.errors));
    assert.equal(introBody.data.__schema.queryType.name, 'Query');

    // The Docs explorer: the root types, then Query's fields and the Bot type.
    await page.click('button[aria-label="Show Documentation Explorer"]');
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.waitFor();
    await docs.getByText('Query', { exact: true }).first().waitFor();
    const rootText = await docs.innerText();
    assert.match(rootText, /query:\s*Query/);
    assert.match(rootText, /mutation:\s*Mutation/);
    assert.match(rootText, /subscription:\s*Subscription/);
    await docs.locator('a.graphiql-doc-explorer-type-name', { hasText: /^Query$/ }).first().click();
    await docs.locator('.graphiql-doc-explorer-title', { hasText: 'Query' }).waitFor();
    const queryDocs = await docs.innerText();
    for (const field of ['bots', 'bot', 'conversation', 'missedUtterances', 'functions', 'sites'])
      assert.match(queryDocs, new RegExp(`\\b${field}\\b`), `Query.${field} in the docs`);
    await docs.locator('a.graphiql-doc-explorer-type-name', { hasText: /^Bot$/ }).first().click();
    await docs.locator('.graphiql-doc-explorer-title', { hasText: 'Bot' }).waitFor();
    assert.match(await docs.innerText(), /intents/);

    // The token in the Headers tab, then a query typed into the editor and run.
    await page.click('button[data-name="headers"]');
    const headers = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').last();
    await headers.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(`{"Authorization": "Bearer ${TOKEN}"`);
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // CodeMirror closes brackets itself: type the opening ones and let it overtype the closing ones.
    await page.keyboard.type('query Bots { bots { name locale intents { name } } }');
    const typed = await page.evaluate(() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue());
    assert.match(typed.replace(/\s+/g, ' '), /^query Bots \{ bots \{ name locale intents \{ name \} \} \}\s*$/, typed);
    await page.click('button[aria-label^="Prettify query"]'); // and a readable screenshot
    const ran = page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('query Bots'));
    await page.click('.graphiql-execute-button');
    const res = await ran;
    assert.equal(res.status(), 200, await res.text());
    const result = page.locator('.graphiql-response .CodeMirror');
    await result.getByText('"FlowerShop"').waitFor({ timeout: 15000 });
    const shown = await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue());
    assert.deepEqual(JSON.parse(shown), {
      data: { bots: [{ name: 'FlowerShop', locale: 'en-US', intents: [{ name: 'OrderFlowers' }] }] },
    });

    mkdirSync(OUT, { recursive: true });
    const shot = path.join(OUT, 'graphiql.png');
    await page.screenshot({ path: shot });
    assert.ok(statSync(shot).size > 10000);

    // A subscription from GraphiQL, over WebSocket with the Headers tab's token: a turn
    // driven through the Lex V1 API shows up in the result pane.
    const socket = page.waitForEvent('websocket', { timeout: 20000 });
    socket.catch(() => {}); // awaited below
    const acked = socket.then((ws) => new Promise((resolve) => ws.on('framereceived', (f) => {
      if (String(f.payload).includes('connection_ack')) resolve();
    })));
    const subscribed = socket.then((ws) => new Promise((resolve) => ws.on('framesent', (f) => {
      if (String(f.payload).includes('"subscribe"')) resolve();
    })));
    // typed, as a user would: GraphiQL picks the operation to run (Live) as the text changes
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('subscription Live { turns(bot: "FlowerShop") { channel inputText intentName } }');
    await page.keyboard.press('Escape'); // no completion popup in the way
    const typedSub = await page.evaluate(() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue());
    assert.match(typedSub, /^subscription Live \{ turns\(bot: "FlowerShop"\) \{ channel inputText intentName \} \}\s*$/, typedSub);
    // GraphiQL re-parses the document (and so picks the operation to run) a moment after the
    // last keystroke, and stores the name; running before that would send the old one.
    await page.waitForFunction(() => localStorage.getItem('graphiql:operationName') === 'Live');
    await page.click('.graphiql-execute-button');
    assert.match((await socket).url(), /^ws:\/\/127\.0\.0\.1:\d+\/graphql$/);
    await acked;
    await subscribed;
    // The subscription starts before the socket's next message is read; one round trip more
    // (a Lex call takes longer than that) and it listens.
    const lex = await fetch(`${s.url}/bot/FlowerShop/alias/prod/user/graphiql-user/text`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputText: 'I would like to order some flowers' }),
    });
    assert.equal(lex.status, 200);
    await result.getByText('"I would like to order some flowers"').waitFor({ timeout: 15000 });
    const live = await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue());
    assert.deepEqual(JSON.parse(live), {
      data: { turns: { channel: 'lex-v1', inputText: 'I would like to order some flowers', intentName: 'OrderFlowers' } },
    });
    await page.screenshot({ path: path.join(OUT, 'graphiql-subscription.png') });
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
    const r = await s.stop();
    assert.equal(r.code, 0, s.stderr.slice(-3000));
    s.cleanup();
  }
});
