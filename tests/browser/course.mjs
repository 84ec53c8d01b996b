// course.mjs — the hosted course's page (course.html) against a real
// `serve --hosted` server: signing up (consent required), a lesson marked
// done, a question asked, the therapist's queue with knotfinder's draft,
// publishing, the asker seeing the answer, the public Q&A, the header at
// phone width (no sideways scrolling, tappable links, the page one is on),
// a consultation saved or not from the main page, changing the password
// (the current one asked again, other sessions signed out), export and
// deleting the account (the password asked again); at phone size.
//
//   node tests/browser/course.mjs http://127.0.0.1:PORT/
// KF_ADMIN: a command that, given an email as its last argument, grants
// the therapist role (run.sh passes "knotfinder --db … admin therapist").
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { runSuite } from './harness.mjs';

const base = (process.argv[2] || '').replace(/#.*$/, '').replace(/\/?$/, '/');
const admin = (process.env.KF_ADMIN || '').split(' ').filter(Boolean);
const tests = [];
let browser;
const test = (name, fn) => tests.push({ name, fn });
const stamp = Date.now().toString(36);
const PW0 = 'correct horse battery staple ' + stamp;
let PW = PW0;

async function page(t) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  t.cleanup.push(() => ctx.close());
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  p.on('pageerror', (e) => t.errors.push(String(e)));
  t.page = p;
  await p.goto(base + 'course.html');
  await p.waitForSelector('#view-signin:not([hidden]), #view-lessons:not([hidden])');
  return p;
}

async function signUp(p, email) {
  await p.fill('#su-email', email);
  await p.fill('#su-password', PW);
  await p.check('#su-consent');
  await p.click('#su-go');
  await p.waitForSelector('#view-lessons:not([hidden]) #l-list .kf-card');
}

async function signIn(p, email) {
  await p.fill('#si-email', email);
  await p.fill('#si-password', PW);
  await p.click('#si-go');
  await p.waitForSelector('#view-lessons:not([hidden])');
}

const asker = `reader-${stamp}@example.org`;
const therapist = `therapist-${stamp}@example.org`;
const question = 'I get a knot under my right shoulder blade after long days at the computer mouse; ' +
  'massage helps for a few hours and then it comes back. What is causing it?';

test('sign-up needs consent and a long password, then shows the lessons with a next lesson', async (t) => {
  const p = await page(t);
  await p.fill('#su-email', asker);
  await p.fill('#su-password', 'short');
  await p.check('#su-consent');
  await p.click('#su-go');
  assert.match(await p.textContent('#error'), /12 characters/);
  await p.fill('#su-password', PW);
  await p.uncheck('#su-consent');
  await p.click('#su-go');
  assert.match(await p.textContent('#error'), /consent/);
  await signUp(p, asker);
  assert.ok((await p.$$('#l-list li')).length >= 5, 'a course has lessons');
  assert.match(await p.textContent('#l-next'), /next lesson/i);
  assert.deepEqual(t.errors, []);
});

test('a lesson opens, reads at phone width and can be marked done', async (t) => {
  const p = await page(t);
  await signIn(p, asker);
  await p.click('#l-next a');
  await p.waitForSelector('#view-lesson:not([hidden]) #lesson-body p');
  const title = (await p.textContent('#lesson-title')).trim();
  assert.ok(title.length > 3, 'the lesson has a title');
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, 'no sideways scrolling at phone width: ' + width);
  await p.click('#lesson-done');
  await p.waitForSelector('#view-lessons:not([hidden]) #l-list .kf-done');
  const done = await p.$$eval('#l-list li.kf-done a', (as) => as.map((a) => a.textContent.trim()));
  assert.ok(done.includes(title), `"${title}" is marked done: ${done.join(', ')}`);
});

test('a question is sent, and waits for the therapist', async (t) => {
  const p = await page(t);
  await signIn(p, asker);
  await p.click('a[href="#ask"]');
  await p.waitForSelector('#view-ask:not([hidden])');
  await p.fill('#ask-text', question);
  await p.check('#ask-public');
  await p.click('#ask-go');
  await p.waitForSelector('#ask-list .kf-card');
  assert.match(await p.textContent('#ask-list'), /Waiting for the therapist/);
});

test("the therapist's queue shows the question with a drafted long-distance guess, and publishing reaches the asker and the Q&A", async (t) => {
  assert.ok(admin.length, 'KF_ADMIN names the admin command');
  const p = await page(t);
  await signUp(p, therapist);
  execFileSync(admin[0], [...admin.slice(1), therapist], { stdio: 'pipe' });
  await p.reload();
  await p.waitForSelector('#c-nav a[href="#queue"]:not([hidden])');
  await p.click('#c-nav a[href="#queue"]');
  await p.waitForSelector('#queue-list .kf-card textarea');
  const draft = await p.inputValue('#queue-list .kf-card textarea');
  const words = draft.split(/\s+/).filter(Boolean).length;
  assert.ok(words >= 100 && words <= 350, 'a drafted reply of about 150-300 words: ' + words);
  assert.match(draft, /guess/i, 'the draft gives a long-distance guess');
  await p.fill('#queue-list .kf-card textarea', draft + '\n\nLet me know how it goes.');
  await p.click('#queue-list .kf-card button');
  await p.waitForSelector('#queue-list >> text=Nothing is waiting');

  const a = await page(t);
  await signIn(a, asker);
  await a.click('a[href="#ask"]');
  await a.waitForSelector('#ask-list .kf-card h3');
  assert.match(await a.textContent('#ask-list'), /Let me know how it goes/);
  await a.click('a[href="#qa"]');
  await a.waitForSelector('#qa-list .kf-card');
  const qa = await a.textContent('#qa-list');
  assert.match(qa, /Let me know how it goes/);
  assert.ok(!qa.includes(asker), 'the Q&A never shows an email');
});

test('a question that reads as an emergency says so at once, above the form, with the call button', async (t) => {
  const p = await page(t);
  await signIn(p, asker);
  await p.click('a[href="#ask"]');
  await p.waitForSelector('#view-ask:not([hidden])');
  await p.fill('#ask-text', "sudden crushing chest pain spreading to my left arm and I'm sweating — is it the knot?");
  await p.click('#ask-go');
  await p.waitForSelector('#ask-warning [data-kf="question-warning"]');
  assert.equal(await p.getAttribute('#ask-warning [data-kf="question-warning"]', 'data-level'), 'emergency');
  assert.match(await p.textContent('#ask-warning'), /Call emergency services now.*do not wait/s);
  const call = await p.locator('#ask-warning [data-kf="emergency-call"]').boundingBox();
  assert.ok(call && call.y >= 0 && call.y + call.height <= 844, 'the call button is on screen: ' + JSON.stringify(call));
  const form = await p.locator('#ask-form').boundingBox();
  assert.ok(form.y > call.y, 'above the form');
  /* Its card in the list says it too, until an answer comes. */
  await p.waitForSelector('#ask-list [data-kf="question-warning"][data-level="emergency"]');
});

test('the header fits a phone, its links are big enough to tap and say which page is open', async (t) => {
  const p = await page(t);
  await signIn(p, asker);
  const links = await p.$$eval('#c-nav a:not([hidden])', (as) => as.map((a) => {
    const r = a.getBoundingClientRect();
    return { t: a.textContent.trim(), w: r.width, h: r.height, cur: a.getAttribute('aria-current') };
  }));
  assert.ok(links.length >= 4, 'the signed-in links show');
  for (const l of links) assert.ok(l.h >= 44 && l.w >= 44, `"${l.t}" is ${Math.round(l.w)}x${Math.round(l.h)}`);
  assert.deepEqual(links.filter((l) => l.cur === 'page').map((l) => l.t), ['Lessons']);
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth) <= 390, 'no sideways scrolling');
  /* The main page, signed in: the course link does not spell the address
   * out (it pushed the page sideways), screen readers still hear it. */
  await p.click('#c-nav a[href="./"]');
  await p.waitForSelector('body[data-ready="true"]');
  await p.waitForSelector('#nav-course:not([hidden])');
  await p.waitForFunction(() => /signed in as/.test(document.getElementById('nav-course').textContent));
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth) <= 390, 'the main page: no sideways scrolling');
  /* A consultation from the main page goes into this account's journal,
   * and the answer says so when it does not. */
  await p.fill('#words', 'a knot under my right shoulder blade from the mouse, massage helps for a few hours');
  await p.uncheck('#keep');
  await p.click('#start-go');
  await p.waitForSelector('body[data-view="question"], body[data-view="result"]');
  if (await p.getAttribute('body', 'data-view') === 'question') await p.click('#q-skip');
  await p.waitForSelector('[data-kf="saved"]');
  assert.match(await p.textContent('[data-kf="saved"]'), /Not saved to your journal: you asked/);
});

test('the password is changed with the current one; a wrong one says so beside the form and keeps what was typed', async (t) => {
  const p = await page(t);
  await signIn(p, asker);
  const other = await page(t);         /* another browser, signed in too */
  await signIn(other, asker);
  await p.click('a[href="#account"]');
  await p.waitForSelector('#view-account:not([hidden])');
  const labels = await p.$$eval('#view-account input', (is) => is.map((i) => i.labels && i.labels.length ? i.labels[0].textContent.trim() : ''));
  assert.ok(labels.every(Boolean), 'every field has a label: ' + labels.join(' | '));
  const next = PW0 + ' changed';
  await p.fill('#pw-current', 'not the password at all');
  await p.fill('#pw-new', next);
  await p.click('#pw-go');
  await p.waitForSelector('#pw-form .kf-field-error');
  assert.match(await p.textContent('#pw-form .kf-field-error'), /current password is wrong/);
  assert.equal(await p.inputValue('#pw-new'), next, 'the new password typed is kept');
  assert.equal(await p.evaluate(() => document.activeElement.id), 'pw-current', 'the wrong field has the focus');
  await p.fill('#pw-current', PW);
  await p.fill('#pw-new', 'Password1234');
  await p.click('#pw-go');
  await p.waitForSelector('#pw-form .kf-field-error');
  assert.match(await p.textContent('#pw-form .kf-field-error'), /common|breach|guess/i);
  await p.fill('#pw-new', next);
  await p.click('#pw-go');
  await p.waitForSelector('[data-kf="password-changed"]');
  PW = next;
  /* Every earlier test's sign-in of this reader, and the other browser. */
  assert.match(await p.textContent('[data-kf="password-changed"]'), /changed\. \d+ other sessions? (was|were) signed out/);
  assert.equal(await p.inputValue('#pw-current'), '', 'the fields are emptied');
  /* This browser is still in, with its new CSRF token. */
  await p.click('a[href="#lessons"]');
  await p.click('#l-next a');
  await p.click('#lesson-done');
  await p.waitForSelector('#view-lessons:not([hidden]) #l-list .kf-done');
  /* The other one is out. */
  const st = await other.evaluate(() => fetch('/api/v1/journal').then((r) => r.status));
  assert.equal(st, 401, 'the other session ended');
});

test('axe-core finds no violations on the sign-in, lessons, lesson, ask and account views (an error shown), at phone size', async (t) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
                                         bypassCSP: true });
  t.cleanup.push(() => ctx.close());
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  t.page = p;
  const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  const axe = async (what) => {
    await p.addScriptTag({ path: axePath });
    const res = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const v = res.violations.map((x) => `${x.id} (${x.nodes.length}): ${x.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(v, [], `axe on ${what}`);
  };
  await p.goto(base + 'course.html');
  await p.waitForSelector('#view-signin:not([hidden])');
  await axe('sign-in');
  await signIn(p, asker);
  await p.waitForSelector('#l-list .kf-card');
  await axe('lessons');
  await p.click('#l-next a');
  await p.waitForSelector('#view-lesson:not([hidden]) #lesson-body p');
  await axe('a lesson');
  await p.click('#c-nav a[href="#ask"]');
  await p.waitForSelector('#view-ask:not([hidden])');
  await axe('ask');
  await p.click('#c-nav a[href="#account"]');
  await p.waitForSelector('#view-account:not([hidden])');
  await p.fill('#pw-current', 'not the password at all');
  await p.fill('#pw-new', 'some other long passphrase');
  await p.click('#pw-go');
  await p.waitForSelector('#pw-form .kf-field-error');
  await axe('account, with an error');
});

test('the account page exports everything and deletes the account for good, with the password asked again', async (t) => {
  const p = await page(t);
  await signIn(p, asker);
  await p.click('a[href="#account"]');
  await p.waitForSelector('#view-account:not([hidden])');
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#acct-export')]);
  const path = await dl.path();
  const fs = await import('node:fs');
  const data = JSON.parse(fs.readFileSync(path, 'utf8'));
  assert.ok(JSON.stringify(data).includes('computer mouse'), 'the export holds the question');
  let dialogs = 0;
  p.on('dialog', (d) => { dialogs++; d.accept(); });
  await p.click('#acct-delete');
  await p.waitForSelector('#del-form .kf-field-error');
  assert.match(await p.textContent('#del-form .kf-field-error'), /password to confirm/);
  assert.equal(dialogs, 0, 'nothing is asked before the password is given');
  await p.fill('#del-password', 'not the password at all');
  await p.click('#acct-delete');
  await p.waitForSelector('#del-form .kf-field-error');
  assert.match(await p.textContent('#del-form .kf-field-error'), /current password is wrong/);
  assert.ok(await p.isVisible('#view-account'), 'still signed in, nothing deleted');
  await p.fill('#del-password', PW);
  await p.click('#acct-delete');
  await p.waitForSelector('#view-signin:not([hidden])');
  assert.equal(dialogs, 2, 'each delete was confirmed');
  await p.fill('#si-email', asker);
  await p.fill('#si-password', PW);
  await p.click('#si-go');
  await p.waitForSelector('#error:not([hidden])');
  assert.ok(!(await p.isVisible('#view-lessons')), 'a deleted account cannot sign in');
});

runSuite(tests, { prefix: 'course: ', timeoutMs: 60000, what: 'the course browser tests',
                  onBrowser: (b) => { browser = b; } });
