// token.mjs — the journal behind a token (serve --token, and any address but
// a loopback one): the page opened with the address the server printed
// (".../#token=HEX") keeps the token, drops it from the address bar and
// sends it, so the journal works; the same page opened without it gets the
// server's own words for why not, and nothing of the journal.
//
//   node tests/browser/token.mjs http://127.0.0.1:PORT/#token=HEX
import assert from 'node:assert/strict';
import { runSuite } from './harness.mjs';

const withToken = process.argv[2] || '';
const tests = [];
let browser;
const test = (name, fn) => tests.push({ name, fn });

async function page(t, url) {
  const ctx = await browser.newContext();
  t.cleanup.push(() => ctx.close());
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  t.page = p;
  await p.goto(url);
  await p.waitForSelector('body[data-ready="true"]');
  return p;
}

test('opened with the address the server printed, the page keeps the token and the journal works', async (t) => {
  assert.match(withToken, /#token=[0-9a-f]{32}$/, 'run.sh passes the address with its token');
  const p = await page(t, withToken);
  assert.ok(!p.url().includes('token'), 'the token left the address bar: ' + p.url());
  assert.match(await p.textContent('#kept-path'), /token\.db/);
  await p.evaluate(() => document.body.removeAttribute('data-journal'));
  await p.click('#nav-journal');
  await p.waitForSelector('body[data-journal="ready"]');
  assert.deepEqual(await p.$$eval('#j-body .kf-error', (e) => e.map((x) => x.textContent)), []);
  /* A reload without the fragment still has it (kept for this address). */
  await p.goto(withToken.replace(/#.*/, '') + '#journal');
  await p.waitForSelector('body[data-journal="ready"]');
  assert.deepEqual(await p.$$eval('#j-body .kf-error', (e) => e.map((x) => x.textContent)), []);
});

test('opened without the token, the journal says it needs one and shows nothing of it', async (t) => {
  const p = await page(t, withToken.replace(/#.*/, ''));
  await p.click('#nav-journal');
  await p.waitForSelector('body[data-journal="ready"]');
  const errs = await p.$$eval('#j-body .kf-error', (e) => e.map((x) => x.textContent));
  assert.ok(errs.length > 0 && errs.every((e) => /token/.test(e)), errs.join(' | '));
  const got = await p.evaluate(() => fetch('/api/v1/journal').then((r) => r.status));
  assert.equal(got, 401);
});

test('opened without the token, a consultation is answered and says it was not kept, and why', async (t) => {
  const p = await page(t, withToken.replace(/#.*/, ''));
  await p.fill('#words', "a knot under my right shoulder blade from the mouse");
  await p.click('#start-go');
  await p.waitForSelector('body[data-view="question"], body[data-view="result"]');
  if (await p.getAttribute('body', 'data-view') === 'question') await p.click('#q-skip');
  await p.waitForSelector('[data-kf="saved"]');
  assert.equal(await p.getAttribute('[data-kf="saved"]', 'data-code'), 'token_required');
  assert.match(await p.textContent('[data-kf="saved"]'), /^Not saved to your journal: this page was not opened with the address the server printed/);
});

runSuite(tests, { prefix: 'token: ', timeoutMs: 60000, what: 'the token browser tests',
                  onBrowser: (b) => { browser = b; } });
