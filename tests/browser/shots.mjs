// shots.mjs — a look at the web app and the hosted course as their users
// meet them: screenshots at phone (390x844) and desktop (1280x800) sizes of
// the first page, an ordinary answer, a red-flag answer, the journal with
// check-ins, the course's pages and the page's errors, with the figures a
// demanding user would check printed beside them (where the first step
// sits, how many words the first screen holds, sideways scrolling, the
// focus ring, unlabelled fields).  Not a test: it prints what it saw.
//
//   node tests/browser/shots.mjs LOCAL_URL HOSTED_URL OUT_DIR
// LOCAL_URL a `knotfinder serve` on a throw-away journal; HOSTED_URL a
// `serve --hosted` on a throw-away database (or "-" to skip the course).
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [local, hosted, out] = process.argv.slice(2);
if (!local || !out) {
  console.error('usage: node shots.mjs LOCAL_URL HOSTED_URL|- OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };
const ORDINARY = 'a knot between my spine and right shoulder blade; I use the mouse with my right hand ' +
  'all day at the computer, massage helps for a few hours and then it comes back';
const REDFLAG = "sudden crushing chest pain spreading to my left arm and I'm sweating";
const report = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run']
});

async function open(size, url) {
  const ctx = await browser.newContext({ viewport: SIZES[size], isMobile: size === 'phone',
                                         hasTouch: size === 'phone' });
  const p = await ctx.newPage();
  p.setDefaultTimeout(20000);
  p.errors = [];
  p.on('pageerror', (e) => p.errors.push(String(e)));
  await p.goto(url);
  return p;
}

/* What a person sees: the figures of the first screen. */
async function look(p) {
  return p.evaluate(() => {
    const vh = window.innerHeight;
    const visible = (e) => { const r = e.getBoundingClientRect(); return r.height > 0 && r.top < vh && r.bottom > 0; };
    const box = (sel) => { const e = document.querySelector(sel); if (!e) return null;
      const r = e.getBoundingClientRect(); return r.height ? { top: Math.round(r.top), bottom: Math.round(r.bottom) } : null; };
    // words on the first screen: text nodes whose box is in view
    let words = 0;
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('[hidden], script, style, .kf-sr-only, details:not([open]) > :not(summary)')) continue;
      const range = document.createRange(); range.selectNodeContents(n);
      const r = range.getBoundingClientRect();
      if (r.height && r.top < vh && r.bottom > 0) words += n.textContent.split(/\s+/).filter(Boolean).length;
    }
    const main = document.querySelector('#view-result:not([hidden])');
    let resultWords = 0;
    if (main) {
      const w2 = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
      for (let n = w2.nextNode(); n; n = w2.nextNode()) {
        const el = n.parentElement;
        if (!el || el.closest('[hidden], details:not([open]) > :not(summary), .kf-sr-only, svg')) continue;
        resultWords += n.textContent.split(/\s+/).filter(Boolean).length;
      }
    }
    const fsEl = document.querySelector('[data-kf="first-steps"]');
    const firstStepsWords = fsEl ? fsEl.innerText.split(/\s+/).filter(Boolean).length : 0;
    const unlabelled = Array.from(document.querySelectorAll('input, textarea, select')).filter((e) => {
      if (e.type === 'hidden' || e.closest('[hidden], .kf-hp')) return false;
      return !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby');
    }).map((e) => e.id || e.name || e.outerHTML.slice(0, 60));
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
             firstScreenWords: words, resultWords, firstStepsWords,
             triage: box('[data-kf="triage"]'), firstStep: box('[data-kf="first-step"]'),
             firstSteps: box('[data-kf="first-steps"]'), notSaved: box('[data-kf="saved"]'),
             unlabelled, visibleError: Array.from(document.querySelectorAll('.kf-error')).filter(visible)
               .map((e) => e.textContent.trim()).slice(0, 3) };
  });
}

/* Tabs a few times and says whether the focused element shows an outline. */
async function focusRing(p, presses = 4) {
  const seen = [];
  for (let i = 0; i < presses; i++) {
    await p.keyboard.press('Tab');
    seen.push(await p.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return 'body';
      const cs = getComputedStyle(e);
      const ring = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
      return (e.id || e.tagName.toLowerCase()) + (ring ? ':ring' : ':NO-RING');
    }));
  }
  return seen;
}

async function shot(p, name, extra = {}) {
  const file = path.join(out, name + '.png');
  await p.screenshot({ path: file, fullPage: !!extra.full });
  const figures = await look(p);
  report.push({ name, ...figures, ...extra.note, errors: p.errors });
  console.log(name, JSON.stringify({ ...figures, ...extra.note, errors: p.errors }));
}

async function answerUntilResult(p) {
  for (let k = 0; k < 15; k++) {
    await p.waitForSelector('body[data-view="question"], body[data-view="result"]');
    await p.waitForFunction(() => !document.body.hasAttribute('aria-busy'));
    if ((await p.getAttribute('body', 'data-view')) === 'result') return;
    const before = await p.textContent('#q-count');
    const kind = await p.getAttribute('#q-body', 'data-kind');
    if (kind === 'screen') await p.click('#q-body button[data-answer="none"]');
    else if (kind === 'finding') await p.click('#q-body button[data-answer="no"]');
    else if (kind === 'clarify') await p.click('#q-body button.kf-choice >> nth=0');
    else if (kind === 'where') {
      await p.click('#q-body .kf-zone[data-region="medial_border"][data-side="right"]');
      await p.click('#q-body button[data-answer="where"]');
    }
    await p.waitForFunction((b) => document.body.getAttribute('data-view') === 'result' ||
      (document.getElementById('q-count').textContent !== b && !document.body.hasAttribute('aria-busy')), before);
  }
}

async function describe(p, words) {
  await p.waitForSelector('body[data-ready="true"]');
  await p.fill('#words', words);
  await p.click('#start-go');
  await answerUntilResult(p);
  await p.waitForSelector('#view-result:not([hidden])');
  await p.evaluate(() => window.scrollTo(0, 0));
}

for (const size of Object.keys(SIZES)) {
  // 1. The first page.
  let p = await open(size, local);
  await p.waitForSelector('body[data-ready="true"]');
  await shot(p, `${size}-1-start`, { note: { focus: await focusRing(p, 5) } });
  await p.context().close();

  // 2. An ordinary knot.
  p = await open(size, local);
  await describe(p, ORDINARY);
  await shot(p, `${size}-2-ordinary`);
  await shot(p, `${size}-2-ordinary-full`, { full: true });
  await p.context().close();

  // 2b. An ordinary knot the server did not keep (the box unticked).
  p = await open(size, local);
  await p.waitForSelector('body[data-ready="true"]');
  await p.uncheck('#keep');
  await describe(p, ORDINARY + ', on both sides');
  await shot(p, `${size}-2b-not-saved`);
  await p.context().close();

  // 3. A red flag.
  p = await open(size, local);
  await describe(p, REDFLAG);
  await shot(p, `${size}-3-redflag`);
  await shot(p, `${size}-3-redflag-full`, { full: true });
  await p.context().close();

  // 4. The journal with check-ins.
  p = await open(size, local);
  await p.waitForSelector('body[data-ready="true"]');
  await p.evaluate(async () => {
    const post = (b) => fetch('/api/v1/journal/checkins', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                           body: JSON.stringify(b) });
    const day = 86400e3;
    for (let i = 6; i >= 0; i--)
      await post({ pain: 7 - Math.floor(i / 2), where: 'medial_border:right', did: ['tennis_ball'], relief_hours: 2,
                   at: new Date(Date.now() - i * day).toISOString().replace(/\.\d+Z$/, 'Z') });
  });
  await p.click('#nav-journal');
  await p.waitForSelector('body[data-journal="ready"]');
  await shot(p, `${size}-4-journal`);
  await shot(p, `${size}-4-journal-full`, { full: true });
  await p.context().close();

  // 5. Errors: the server answers what is not JSON (a proxy's page), and a 413.
  p = await open(size, local);
  await p.waitForSelector('body[data-ready="true"]');
  await p.route('**/api/v1/interview', (r) => r.fulfill({ status: 502, contentType: 'text/html',
                                                          body: '<html><body>Bad gateway</body></html>' }));
  await p.fill('#words', ORDINARY);
  await p.click('#start-go');
  await p.waitForSelector('.kf-field-error, #error:not([hidden])');
  await shot(p, `${size}-5-error-502-html`, { note: { kept: await p.inputValue('#words') === ORDINARY } });
  await p.unroute('**/api/v1/interview');
  await p.route('**/api/v1/interview', (r) => r.abort('connectionrefused'));
  await p.click('#start-go');
  await p.waitForFunction(() => /reach/i.test(document.body.innerText));
  await shot(p, `${size}-5-error-server-down`, { note: { kept: await p.inputValue('#words') === ORDINARY } });
  await p.unroute('**/api/v1/interview');
  await p.evaluate(() => { const t = document.getElementById('words'); t.removeAttribute('maxlength');
                           t.value = 'knot '.repeat(14000); });
  await p.click('#start-go');
  await p.waitForFunction(() => /large|limit|long/i.test(document.body.innerText));
  await shot(p, `${size}-5-error-413`, { note: { kept: (await p.inputValue('#words')).length } });
  await p.context().close();
}

// 6. The hosted course.
if (hosted && hosted !== '-') {
  const email = 'shots-' + Date.now().toString(36) + '@example.org';
  const PW = 'a long and quiet passphrase';
  for (const size of Object.keys(SIZES)) {
    const p = await open(size, hosted + 'course.html');
    await p.waitForSelector('#view-signin:not([hidden]), #view-lessons:not([hidden])');
    await shot(p, `${size}-6-course-signin`, { note: { focus: await focusRing(p, 4) } });
    if (size === 'phone') {
      await p.fill('#su-email', email);
      await p.fill('#su-password', PW);
      await p.check('#su-consent');
      await p.click('#su-go');
    } else {
      await p.fill('#si-email', email);
      await p.fill('#si-password', PW);
      await p.click('#si-go');
    }
    await p.waitForSelector('#view-lessons:not([hidden]) #l-list .kf-card');
    await shot(p, `${size}-6-course-lessons`);
    await p.click('#l-next a');
    await p.waitForSelector('#view-lesson:not([hidden]) #lesson-body p');
    await shot(p, `${size}-6-course-lesson`);
    await p.click('#c-nav a[href="#ask"]');
    await p.waitForSelector('#view-ask:not([hidden])');
    await shot(p, `${size}-6-course-ask`);
    await p.click('#c-nav a[href="#account"]');
    await p.waitForSelector('#view-account:not([hidden])');
    if (await p.$('#pw-current')) {
      await p.fill('#pw-current', 'not my password at all');
      await p.fill('#pw-new', 'another long passphrase');
      await p.click('#pw-go');
      await p.waitForSelector('.kf-field-error, #error:not([hidden])');
    }
    await shot(p, `${size}-6-course-account`, { full: true });
    await p.click('#c-nav a[href="./"]');
    await p.waitForSelector('body[data-ready="true"]');
    await describe(p, ORDINARY);
    await shot(p, `${size}-6-course-consult`);
    await p.context().close();
  }
}
fs.writeFileSync(path.join(out, 'figures.json'), JSON.stringify(report, null, 1));
await browser.close();
