// run.mjs — browser tests of the knotfinder web app in headless Chromium.
//
//   node tests/browser/run.mjs http://127.0.0.1:PORT/
//
// Drives Debian's /usr/bin/chromium through playwright-core (no browser
// download).  Each test gets a fresh browser context; playwright gives the
// browser its own temporary profile directory and removes it at the end.
// The closing line is "N passed, N failed"; the exit status is 1 when any
// test failed.  Set KF_SHOTS=dir to save a screenshot after each test.
import assert from 'node:assert/strict';
import { runSuite } from './harness.mjs';

const base = process.argv[2] || process.env.KF_BASE_URL;
if (!base) {
  console.error('usage: node run.mjs BASE_URL');
  console.log('0 passed, 1 failed');
  process.exit(2);
}
const TEST_MS = 45000;

const tests = [];
function test(name, fn) { tests.push({ name, fn }); }

/* ---- helpers ------------------------------------------------------------- */

let browser;
async function openPage(t, opts = {}) {
  const ctx = await browser.newContext({
    viewport: opts.viewport || { width: 1024, height: 800 },
    hasTouch: !!opts.touch, isMobile: !!opts.touch
  });
  t.cleanup.push(() => ctx.close());
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  t.page = page;
  t.errors = [];
  page.on('pageerror', (e) => t.errors.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') t.errors.push('console: ' + m.text()); });
  if (opts.clock) await page.clock.install();
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

const zone = (region, side) =>
  `#start-map .kf-zone[data-region="${region}"][data-side="${side || ''}"]`;

/* Answers whatever the interview asks (a plausible "no" to warnings, "no"
 * to the rest) until the result shows; returns how many questions it saw. */
async function answerUntilResult(page, answerFinding = 'no') {
  let seen = 0;
  for (let k = 0; k < 15; k++) {
    await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
    await page.waitForFunction(() => !document.body.hasAttribute('aria-busy'));
    const view = await page.getAttribute('body', 'data-view');
    if (view === 'result') return seen;
    seen++;
    const before = await page.textContent('#q-count');
    const kind = await page.getAttribute('#q-body', 'data-kind');
    if (kind === 'screen') await page.click('#q-body button[data-answer="none"]');
    else if (kind === 'finding') await page.click(`#q-body button[data-answer="${answerFinding}"]`);
    else if (kind === 'clarify') await page.click('#q-body button.kf-choice >> nth=0');
    else if (kind === 'where') {
      await page.click('#q-body .kf-zone[data-region="medial_border"][data-side="left"]');
      await page.click('#q-body button[data-answer="where"]');
    } else throw new Error('unknown question kind ' + kind);
    await page.waitForFunction((b) => document.body.getAttribute('data-view') === 'result' ||
      (document.getElementById('q-count').textContent !== b && !document.body.hasAttribute('aria-busy')), before);
  }
  throw new Error('the interview did not end within 15 questions');
}

/* The usual case: left medial-border knot, a mouse user, through to the result. */
async function toResult(page) {
  await page.click(zone('medial_border', 'left'));
  await page.fill('#words', 'a knot between my spine and left shoulder blade; I use the mouse with my left hand all day at the computer');
  await page.selectOption('#hand', 'left');
  await page.click('#start-go');
  const n = await answerUntilResult(page);
  await page.waitForSelector('#view-result:not([hidden])');
  return n;
}

/* ---- the tests ------------------------------------------------------------ */

test('the page loads without errors and draws every region of the API', async (t) => {
  const page = await openPage(t);
  const regions = await page.evaluate(() => fetch('/api/v1/regions').then((r) => r.json()));
  assert.ok(regions.regions.length >= 10, 'regions from the API');
  for (const r of regions.regions) {
    const sides = r.sided ? ['left', 'right'] : [''];
    for (const s of sides) {
      const n = await page.locator(zone(r.id, s)).count();
      assert.equal(n, 1, `zone ${r.id} ${s || '(unsided)'} drawn once`);
      const label = await page.getAttribute(zone(r.id, s), 'aria-label');
      assert.ok(label.includes(r.label), `zone ${r.id} labelled with "${r.label}"`);
      if (s) assert.ok(label.startsWith(s + ' side'), `zone ${r.id} names its side: ${label}`);
    }
  }
  const svgs = await page.locator('#start-map svg.kf-bodymap').count();
  assert.equal(svgs, 2, 'back and front views');
  assert.deepEqual(t.errors, []);
});

test('clicking zones marks them, each side separately, and clicking again unmarks', async (t) => {
  const page = await openPage(t);
  await page.click(zone('medial_border', 'left'));
  await page.click(zone('top_shoulder', 'right'));
  await page.click(zone('chest', 'left'));
  assert.equal(await page.getAttribute(zone('medial_border', 'left'), 'aria-checked'), 'true');
  assert.equal(await page.getAttribute(zone('medial_border', 'right'), 'aria-checked'), 'false');
  assert.equal(await page.locator('.kf-chips li').count(), 3);
  const chips = await page.textContent('.kf-chips');
  assert.match(chips, /left side: between the spine and the shoulder blade/);
  assert.match(chips, /right side: the top of the shoulder/);
  /* The list view mirrors the map. */
  assert.equal(await page.isChecked('#start-map input[data-region="chest"][data-side="left"]'), true);
  await page.click(zone('chest', 'left'));
  assert.equal(await page.getAttribute(zone('chest', 'left'), 'aria-checked'), 'false');
  await page.click('.kf-chip-x[aria-label^="Remove right side"]');
  assert.equal(await page.getAttribute(zone('top_shoulder', 'right'), 'aria-checked'), 'false');
  assert.equal(await page.locator('.kf-chips li').count(), 1);
});

test('the body map works from the keyboard alone', async (t) => {
  const page = await openPage(t);
  let onZone = false;
  for (let k = 0; k < 12 && !onZone; k++) {
    await page.keyboard.press('Tab');
    onZone = await page.evaluate(() => document.activeElement.classList.contains('kf-zone'));
  }
  assert.ok(onZone, 'a zone takes the focus with Tab');
  const first = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  await page.keyboard.press('ArrowRight');
  const second = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  assert.notEqual(first, second, 'arrow keys move between zones');
  await page.keyboard.press('Space');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-checked')), 'true');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-checked')), 'false');
  await page.keyboard.press('Space');
  /* Tab leaves the map (one stop per view), and the form can be sent by keyboard. */
  await page.focus('#words');
  await page.keyboard.type('it aches and I sit at a desk all day');
  await page.focus('#start-go');
  await page.keyboard.press('Enter');
  await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
});

test('nothing marked and nothing said gives a clear message', async (t) => {
  const page = await openPage(t);
  await page.click('#start-go');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /Mark where it hurts/);
  assert.equal(await page.getAttribute('body', 'data-view'), 'start');
});

test('describe, answer a question, and see the causes and the body picture', async (t) => {
  const page = await openPage(t);
  const n = await toResult(page);
  assert.ok(n >= 1, 'at least one question was asked and answered');
  /* Banner first, then the picture and the causes. */
  const order = await page.evaluate(() => {
    const b = document.querySelector('#r-banner .kf-banner');
    const c = document.querySelector('.kf-causes');
    return b && c ? !!(b.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING) : null;
  });
  assert.equal(order, true, 'the triage banner comes before the causes');
  const causes = await page.locator('.kf-causes > li').count();
  assert.ok(causes >= 1 && causes <= 5, `1 to 5 causes, got ${causes}`);
  const why = await page.locator('.kf-causes .kf-why li').count();
  assert.ok(why >= 1, 'causes carry their why');
  /* The picture: where it hurts, where the cause is, and the arrow between. */
  assert.ok(await page.locator('#r-picture .kf-pain-zone[data-region="medial_border"][data-side="left"]').count() >= 1,
    'the pain spot is drawn');
  assert.ok(await page.locator('#r-picture .kf-cause-zone').count() >= 1, 'the cause is drawn');
  const label = await page.getAttribute('#r-picture svg', 'aria-label');
  assert.match(label, /It hurts at left side: between the spine and the shoulder blade/);
  assert.match(label, /likely cause/);
  const arrows = await page.locator('#r-picture .kf-arrow').count();
  const same = /right where it hurts/.test(label);
  assert.ok(arrows === 1 || same, 'an arrow from cause to pain (or the cause is the painful spot)');
  /* Another cause can be shown on the body. */
  const buttons = page.locator('.kf-show-on-body');
  if (await buttons.count() > 1) {
    await buttons.nth(1).click();
    assert.equal(await buttons.nth(1).getAttribute('aria-pressed'), 'true');
    assert.equal(await buttons.nth(0).getAttribute('aria-pressed'), 'false');
  }
  assert.deepEqual(t.errors, []);
});

test('words alone: the interview asks where, on the body map, and goes on', async (t) => {
  const page = await openPage(t);
  await page.fill('#words', 'it really aches');
  await page.click('#start-go');
  await page.waitForSelector('body[data-view="question"]');
  assert.equal(await page.getAttribute('#q-body', 'data-kind'), 'where');
  /* Nothing marked: a clear message, and the question stays. */
  await page.click('#q-body button[data-answer="where"]');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /Mark at least one spot/);
  await page.click('#q-body .kf-zone[data-region="top_shoulder"][data-side="right"]');
  await page.click('#q-body button[data-answer="where"]');
  await page.waitForFunction(() => document.getElementById('q-count').textContent !== 'Question 1' ||
    document.body.getAttribute('data-view') === 'result');
  await answerUntilResult(page);
  assert.ok(await page.locator('#r-picture .kf-pain-zone[data-region="top_shoulder"][data-side="right"]').count() >= 1);
});

test('a question can be answered in free words', async (t) => {
  const page = await openPage(t);
  await page.click(zone('medial_border', 'right'));
  await page.click('#start-go');
  await page.waitForSelector('body[data-view="question"]');
  await page.fill('#q-words', 'no, none of that; I sit at a laptop all day with my head forward');
  await page.press('#q-words', 'Enter');
  await page.waitForFunction(() => document.body.getAttribute('data-view') === 'result' ||
    (document.getElementById('q-count').textContent === 'Question 2' && !document.body.hasAttribute('aria-busy')));
  assert.equal(await page.locator('#error:not([hidden])').count(), 0);
  await answerUntilResult(page);
  assert.ok(await page.locator('.kf-causes > li').count() >= 1);
});

test('skip the questions, then answer one more from the result page', async (t) => {
  const page = await openPage(t);
  await page.click(zone('medial_border', 'left'));
  await page.click('#start-go');
  await page.waitForSelector('body[data-view="question"]');
  await page.click('#q-skip');
  await page.waitForSelector('body[data-view="result"]');
  assert.ok(await page.locator('.kf-causes > li').count() >= 1);
  const box = page.locator('.kf-sharpen');
  assert.equal(await box.count(), 1, 'the result offers its next question');
  const q = await box.locator('p').textContent();
  assert.ok(q.length > 5);
  await box.locator('button[data-answer="yes"]').click();
  await page.waitForFunction((old) => !document.body.hasAttribute('aria-busy') &&
    (document.body.getAttribute('data-view') === 'question' ||
     (document.querySelector('.kf-sharpen p') || {}).textContent !== old), q);
  await answerUntilResult(page);
  const said = await page.$$eval('.kf-understood li', (li) => li.map((x) => x.textContent));
  assert.ok(said.some((x) => x.startsWith('yes')), 'the answer is among what was understood');
});

test('a server error is shown plainly and the answer can be sent again', async (t) => {
  const page = await openPage(t);
  await page.click(zone('medial_border', 'left'));
  await page.click('#start-go');
  await page.waitForSelector('body[data-view="question"]');
  const title = await page.textContent('#q-title');
  await page.route('**/api/v1/interview', (route) => route.fulfill({
    status: 503, contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'busy', message: 'too many requests at once; try again' } })
  }));
  const first = page.locator('#q-body button.kf-choice').first();
  await first.click();
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /too many requests at once/);
  assert.equal(await page.textContent('#q-title'), title, 'the question stays');
  assert.equal(await page.textContent('#q-count'), 'Question 1');
  await page.unroute('**/api/v1/interview');
  await first.click();
  await page.waitForFunction(() => !document.body.hasAttribute('aria-busy') &&
    (document.body.getAttribute('data-view') === 'result' || document.getElementById('q-count').textContent === 'Question 2'));
  assert.equal(await page.isHidden('#error'), true, 'the error clears');
  /* Unreachable server. */
  await page.route('**/api/v1/**', (route) => route.abort());
  if (await page.getAttribute('body', 'data-view') === 'question') {
    await page.locator('#q-body button.kf-choice').first().click();
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error'), /Could not reach the knotfinder server/);
  }
});

test('a plan timer starts, counts down, pauses, resets', async (t) => {
  const page = await openPage(t);
  await toResult(page);
  const timer = page.locator('.kf-timer').first();
  await timer.waitFor();
  const clock = timer.locator('.kf-timer-clock');
  const start = await clock.textContent();
  assert.match(start, /^\d+:\d\d$/);
  await timer.locator('.kf-timer-start').click();
  assert.equal(await timer.getAttribute('data-state'), 'running');
  assert.equal(await timer.locator('.kf-timer-start').textContent(), 'Pause');
  await page.waitForFunction((s) => document.querySelector('.kf-timer .kf-timer-clock').textContent !== s,
    start, { timeout: 5000 });
  await timer.locator('.kf-timer-start').click();
  assert.equal(await timer.getAttribute('data-state'), 'paused');
  const paused = await clock.textContent();
  assert.notEqual(paused, start, 'the countdown moved');
  await page.waitForTimeout(1300);
  assert.equal(await clock.textContent(), paused, 'a paused timer stands still');
  assert.equal(await timer.locator('.kf-timer-start').textContent(), 'Resume');
  await timer.locator('.kf-timer-reset').click();
  assert.equal(await clock.textContent(), start);
  assert.equal(await timer.getAttribute('data-state'), 'ready');
});

test('a timer runs through its rounds to the end and beeps', async (t) => {
  const page = await openPage(t, { clock: true });
  await toResult(page);
  /* The timer with the most phases exercises rest and rounds. */
  const idx = await page.evaluate(() => {
    const ts = [...document.querySelectorAll('.kf-timer')];
    let best = 0;
    ts.forEach((el, i) => { if (/round/.test(el.textContent) && !/round/.test(ts[best].textContent)) best = i; });
    return best;
  });
  const timer = page.locator('.kf-timer').nth(idx);
  const summary = await timer.locator('.kf-timer-summary').textContent();
  await timer.locator('.kf-timer-start').click();
  await page.clock.runFor(2000);
  assert.equal(await timer.getAttribute('data-state'), 'running');
  await page.clock.runFor(3 * 3600 * 1000);
  assert.equal(await timer.getAttribute('data-state'), 'done', 'finished: ' + summary);
  assert.equal(await timer.locator('.kf-timer-clock').textContent(), '0:00');
  const beeps = Number(await page.getAttribute('body', 'data-beeps'));
  assert.ok(beeps >= 1, 'a beep at the end');
  assert.equal(await timer.locator('.kf-timer-start').textContent(), 'Again');
});

test('the print page for a massage therapist lists muscles by side, with print CSS', async (t) => {
  const page = await openPage(t);
  await toResult(page);
  await page.click('#r-print');
  await page.waitForSelector('#view-print:not([hidden])');
  assert.equal(await page.textContent('#print-title'), 'For my massage therapist');
  const rows = await page.locator('#p-body table.kf-massage tbody tr').count();
  assert.ok(rows >= 1, 'at least one muscle to work on');
  const sides = await page.$$eval('#p-body table.kf-massage tbody', (bs) => bs.map((b) => b.getAttribute('data-side')));
  assert.ok(sides.length >= 1);
  const why = await page.$$eval('#p-body table.kf-massage tbody tr td:last-child', (tds) => tds.map((d) => d.textContent));
  assert.ok(why.every((w) => w.length > 0), 'each muscle says why');
  /* Printing hides the app around it. */
  await page.emulateMedia({ media: 'print' });
  const hidden = await page.evaluate(() => ['.kf-header', '.kf-footer', '#view-print .kf-no-print']
    .map((s) => getComputedStyle(document.querySelector(s)).display));
  assert.deepEqual(hidden, ['none', 'none', 'none']);
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.querySelector('.kf-massage')).display), 'none');
  await page.emulateMedia({ media: 'screen' });
  /* The print button calls the browser's print. */
  await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
  await page.click('#p-print');
  assert.equal(await page.evaluate(() => window.__printed), 1);
  /* And back to the results. */
  await page.click('#p-back');
  await page.waitForSelector('#view-result:not([hidden])');
});

test('a red flag shows the emergency banner first', async (t) => {
  const page = await openPage(t);
  await page.click(zone('medial_border', 'left'));
  await page.fill('#words', 'crushing pressure in my chest and I am sweating, the pain goes down my left arm and into my jaw');
  await page.click('#start-go');
  /* The words alone may already end the interview; if the warning screen
   * comes first, the person ticks what they described. */
  await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
  if (await page.getAttribute('#q-body', 'data-kind') === 'screen' &&
      await page.getAttribute('body', 'data-view') === 'question') {
    for (const f of ['chest_pressure', 'sweating']) {
      const cb = page.locator(`#q-body input[data-finding="${f}"]`);
      if (await cb.count()) await cb.check();
    }
    await page.click('#q-body button[data-answer="ticked"]');
  }
  await answerUntilResult(page, 'yes');
  const banner = page.locator('#r-banner .kf-banner');
  assert.equal(await banner.getAttribute('data-level'), 'emergency');
  assert.equal(await banner.getAttribute('role'), 'alert');
  assert.equal(await page.textContent('#r-banner .kf-banner-title'), 'Call emergency services now');
  /* The banner is the first thing in the result, and the focus goes to it. */
  const first = await page.evaluate(() => [...document.querySelector('#view-result').children]
    .find((e) => e.getBoundingClientRect().height > 2).id);
  assert.equal(first, 'r-banner');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'banner-title');
  /* Self-care is tucked away behind it, not in front of it. */
  const later = await page.locator('#r-body > details.kf-later').count();
  const causes = await page.locator('#r-body .kf-causes').count();
  assert.ok(later === 1 || causes === 0, 'self-care is not shown ahead of the emergency');
});

test('readable on a phone: no sideways scrolling, tappable zones, big enough buttons', async (t) => {
  const page = await openPage(t, { viewport: { width: 360, height: 740 }, touch: true });
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 0, `page is ${over}px wider than the phone`);
  await page.tap(zone('medial_border', 'right'));
  assert.equal(await page.getAttribute(zone('medial_border', 'right'), 'aria-checked'), 'true');
  const small = await page.$$eval('button:not([hidden])', (bs) => bs.filter((b) => {
    const r = b.getBoundingClientRect();
    return r.width > 0 && (r.height < 36 || r.width < 36);
  }).map((b) => b.textContent));
  assert.deepEqual(small, [], 'buttons are at least 36 px');
  await toResult(page);
  const over2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over2 <= 0, `result page is ${over2}px wider than the phone`);
});

test('every control has a name a screen reader can say', async (t) => {
  const page = await openPage(t);
  const check = () => page.evaluate(() => {
    const bad = [];
    document.querySelectorAll('button, input, select, textarea, [role="checkbox"]').forEach((e) => {
      if (e.closest('[hidden]')) return;
      const name = e.getAttribute('aria-label') || (e.labels && e.labels.length && e.labels[0].textContent) ||
        e.textContent || e.getAttribute('aria-labelledby');
      if (!name || !name.trim()) bad.push(e.outerHTML.slice(0, 80));
    });
    return bad;
  });
  assert.deepEqual(await check(), []);
  await toResult(page);
  assert.deepEqual(await check(), []);
  const lang = await page.getAttribute('html', 'lang');
  assert.equal(lang, 'en');
  const h1 = await page.locator('#view-result h1').count();
  assert.equal(h1, 1);
});

/* ---- runner ----------------------------------------------------------------- */

runSuite(tests, { prefix: '', timeoutMs: TEST_MS, what: 'the browser tests',
                  onBrowser: (b) => { browser = b; } });
