// course.mjs — the hosted course's page (web/course.html) against a real
// `serve --hosted` server on an SQLite file: sign-up with consent, a lesson
// marked done, a question asked, the therapist's queue with the drafted
// reply edited and answered, the answer seen by the asker, the data
// downloaded, and the account deleted.
//
//   KF_BIN=build/knotfinder KF_KB=kb KF_DB=FILE node tests/browser/course.mjs URL
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runSuite } from './harness.mjs';

const base = (process.argv[2] || '').replace(/#.*/, '');
const tests = [];
let browser;
const test = (name, fn) => tests.push({ name, fn });
const PW = 'a long passphrase for the page';

async function page(t) {
  const ctx = await browser.newContext({ acceptDownloads: true });
  t.cleanup.push(() => ctx.close());
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  p.on('pageerror', (e) => t.errors.push(String(e)));
  t.page = p;
  await p.goto(base + 'course.html');
  await p.waitForSelector('body[data-ready="true"]');
  return p;
}

async function signUp(p, email) {
  await p.fill('#c-su-email', email);
  await p.fill('#c-su-pw', PW);
  await p.check('#c-su-consent');
  await p.click('#c-signup button[type=submit]');
  await p.waitForSelector('#c-signed-in:not([hidden])');
}

test('sign-up needs the consent box, then signs in', async (t) => {
  const p = await page(t);
  await p.fill('#c-su-email', 'page-consent@example.org');
  await p.fill('#c-su-pw', PW);
  await p.click('#c-signup button[type=submit]');
  await p.waitForSelector('#error:not([hidden])');
  assert.match(await p.textContent('#error'), /consent/);
  await p.fill('#c-su-pw', 'password1234');
  await p.check('#c-su-consent');
  await p.click('#c-signup button[type=submit]');
  await p.waitForFunction(() => /common/.test(document.getElementById('error').textContent));
  await signUp(p, 'page-consent@example.org');
  assert.equal(await p.textContent('[data-kf="me"]'), 'page-consent@example.org');
});

test('a lesson, a question, the therapist answers, the asker reads it; then the account goes', async (t) => {
  const p = await page(t);
  await signUp(p, 'page-asker@example.org');
  /* a lesson */
  await p.waitForSelector('[data-kf="next-lesson"] [data-kf="lesson"]');
  await p.click('[data-kf="next-lesson"] [data-kf="lesson-done"]');
  await p.waitForFunction(() => /^1 of \d+ lessons done/.test(document.getElementById('c-lessons').textContent));
  /* a question (the honeypot stays empty) */
  await p.fill('#c-ask-text', 'The knot under my right shoulder blade comes back two hours after the ball. What now?');
  await p.fill('#c-ask-name', 'Page');
  await p.check('#c-ask-public');
  await p.click('#c-ask button[type=submit]');
  await p.waitForSelector('[data-kf="my-question"]');
  /* the therapist */
  const tctx = await browser.newContext();
  t.cleanup.push(() => tctx.close());
  const tp = await tctx.newPage();
  tp.setDefaultTimeout(15000);
  await tp.goto(base + 'course.html');
  await tp.waitForSelector('body[data-ready="true"]');
  await tp.fill('#c-su-email', 'page-therapist@example.org');
  await tp.fill('#c-su-pw', PW);
  await tp.check('#c-su-consent');
  await tp.click('#c-signup button[type=submit]');
  await tp.waitForSelector('#c-signed-in:not([hidden])');
  execFileSync(process.env.KF_BIN, ['--kb', process.env.KF_KB, 'admin', 'therapist', 'page-therapist@example.org',
                                    '--db', process.env.KF_DB], { stdio: 'ignore' });
  await tp.reload();
  await tp.waitForSelector('#c-queue-box:not([hidden]) [data-kf="queued"]');
  const draft = await tp.inputValue('[data-kf="queued"] [data-kf="draft"]');
  assert.ok(draft.split(/\s+/).length >= 100, 'a drafted reply of 100+ words: ' + draft.slice(0, 80));
  await tp.fill('[data-kf="queued"] [data-kf="draft"]', 'My best long-distance guess: the lat. ' + draft);
  await tp.click('[data-kf="queued"] [data-kf="answer-send"]');
  await tp.waitForSelector('[data-kf="queue"] >> text=The queue is empty.');
  /* the asker reads it, and so does the public page */
  await p.reload();
  await p.waitForSelector('[data-kf="my-question"] [data-kf="answer"]');
  assert.match(await p.textContent('[data-kf="my-question"] [data-kf="answer"]'), /best long-distance guess/);
  await p.waitForSelector('[data-kf="qa-item"]');
  assert.match(await p.textContent('[data-kf="qa"]'), /Page:/);
  /* the data, then the account */
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click('[data-kf="export"]')]);
  const fs = await import('node:fs');
  const saved = await dl.path();
  const exp = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.equal(exp.account.email, 'page-asker@example.org');
  assert.equal(exp.questions.length, 1);
  p.once('dialog', (d) => d.accept());
  await p.click('[data-kf="delete-account"]');
  await p.waitForSelector('#c-signed-out:not([hidden])');
  assert.equal(await p.evaluate(() => fetch('/api/v1/journal').then((r) => r.status)), 401);
  assert.deepEqual(t.errors, []);
});

runSuite(tests, { prefix: 'course: ', timeoutMs: 90000, what: 'the course browser tests',
                  onBrowser: (b) => { browser = b; } });
