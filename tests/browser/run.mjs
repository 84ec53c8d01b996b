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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

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

/* An error shown beside its control, or at the top when nothing caused it. */
const ERR = '.kf-field-error, #error:not([hidden])';

/* Shows the close-up that holds a zone (the map shows one at a time). */
async function reveal(page, sel) {
  const crop = await page.getAttribute(sel, 'data-crop');
  const [view, part] = crop.split('-');
  const root = sel.startsWith('#q-body') ? '#q-body' : '#start-map';
  await page.click(`${root} .kf-seg-btn[data-switch="${view}"]`);
  await page.click(`${root} .kf-seg-btn[data-switch="${part}"]`);
}
async function pick(page, sel, tap) {
  await reveal(page, sel);
  if (tap) await page.tap(sel); else await page.click(sel);
}

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

/* The words alone may already end the interview; if the warning screen
 * comes first, the person ticks what they described (`ticks`, those the
 * screen shows), then answers the rest as answerUntilResult does. */
async function tickThenAnswer(page, ticks, answerFinding) {
  await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
  if (await page.getAttribute('#q-body', 'data-kind') === 'screen' &&
      await page.getAttribute('body', 'data-view') === 'question') {
    for (const f of ticks) {
      const cb = page.locator(`#q-body input[data-finding="${f}"]`);
      if (await cb.count()) await cb.check();
    }
    await page.click('#q-body button[data-answer="ticked"]');
  }
  return answerUntilResult(page, answerFinding);
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
  assert.equal(svgs, 4, 'upper and lower close-ups of the back and the front');
  const shown = await page.$$eval('#start-map figure.kf-figure', (fs) => fs.filter((f) => !f.hidden).length);
  assert.equal(shown, 1, 'one figure at a time');
  assert.deepEqual(t.errors, []);
});

test('clicking zones marks them, each side separately, and clicking again unmarks', async (t) => {
  const page = await openPage(t);
  await pick(page, zone('medial_border', 'left'));
  await pick(page, zone('top_shoulder', 'right'));
  await pick(page, zone('chest', 'left'));
  assert.equal(await page.getAttribute(zone('medial_border', 'left'), 'aria-checked'), 'true');
  assert.equal(await page.getAttribute(zone('medial_border', 'right'), 'aria-checked'), 'false');
  assert.equal(await page.locator('.kf-chips li').count(), 3);
  const chips = await page.textContent('.kf-chips');
  assert.match(chips, /left side: between the spine and the shoulder blade/);
  assert.match(chips, /right side: the top of the shoulder/);
  /* The list view mirrors the map. */
  assert.equal(await page.isChecked('#start-map input[data-region="chest"][data-side="left"]'), true);
  await pick(page, zone('chest', 'left'));
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
  await page.waitForSelector(ERR);
  assert.match(await page.textContent(ERR), /Mark where it hurts/);
  /* next to the button that was pressed, not at the top of the page */
  const near = await page.evaluate(() => {
    const e = document.querySelector('.kf-field-error'), b = document.getElementById('start-go');
    const er = e && e.getBoundingClientRect(), br = b.getBoundingClientRect();
    return !!e && Math.min(Math.abs(er.top - br.bottom), Math.abs(er.bottom - br.top)) < 60;
  });
  assert.ok(near, 'the error is next to the button');
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
  assert.match(label, /The cause, /);
  const arrows = await page.locator('#r-picture .kf-arrow').count();
  const same = /right where it hurts/.test(label);
  assert.ok(arrows === 1 || same, 'an arrow from cause to pain (or the cause is the painful spot)');
  /* Another cause can be shown on the body. */
  await page.click('[data-kf="all-causes"] > summary');
  const buttons = page.locator('.kf-causes .kf-show-on-body');
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
  await page.waitForSelector(ERR);
  assert.match(await page.textContent(ERR), /Mark at least one spot/);
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
  assert.equal(await page.locator(ERR).count(), 0);
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
  await page.waitForSelector(ERR);
  assert.match(await page.textContent(ERR), /too many requests at once/);
  assert.equal(await page.textContent('#q-title'), title, 'the question stays');
  assert.equal(await page.textContent('#q-count'), 'Question 1');
  await page.unroute('**/api/v1/interview');
  await first.click();
  await page.waitForFunction(() => !document.body.hasAttribute('aria-busy') &&
    (document.body.getAttribute('data-view') === 'result' || document.getElementById('q-count').textContent === 'Question 2'));
  assert.equal(await page.locator(ERR).count(), 0, 'the error clears');
  /* Unreachable server. */
  await page.route('**/api/v1/**', (route) => route.abort());
  if (await page.getAttribute('body', 'data-view') === 'question') {
    await page.locator('#q-body button.kf-choice').first().click();
    await page.waitForSelector(ERR);
    assert.match(await page.textContent(ERR), /Could not reach the knotfinder server/);
  }
});

test('a failed request says so plainly and keeps what was typed: 413, a proxy\'s HTML page, no server', async (t) => {
  const page = await openPage(t, { viewport: { width: 390, height: 844 }, touch: true });
  const words = 'a knot under my right shoulder blade from the mouse';
  /* 413: the real server's answer to a body over 64 KB (the box's
   * maxlength is lifted, as a paste from elsewhere might be). */
  const long = words + ' ' + 'and it aches '.repeat(6000);
  await page.evaluate((v) => { const w = document.getElementById('words'); w.removeAttribute('maxlength'); w.value = v; }, long);
  await page.click('#start-go');
  await page.waitForSelector(ERR);
  assert.match(await page.textContent(ERR), /too long to send.*64 KB/);
  assert.doesNotMatch(await page.textContent(ERR), /bytes|body/, 'no server jargon');
  assert.equal(await page.inputValue('#words'), long, 'the words are all still there');
  assert.equal(await page.getAttribute('body', 'data-view'), 'start');
  /* An error page that is not JSON (a proxy in front, a server stopping). */
  await page.fill('#words', words);
  await page.route('**/api/v1/interview', (r) => r.fulfill({ status: 502, contentType: 'text/html',
                                                             body: '<html><body>Bad gateway</body></html>' }));
  await page.click('#start-go');
  await page.waitForFunction(() => /not answering properly/.test((document.querySelector('.kf-field-error') || {}).textContent || ''));
  const e502 = await page.textContent(ERR);
  assert.match(e502, /502/);
  assert.match(e502, /still here/);
  /* No server at all. */
  await page.unroute('**/api/v1/interview');
  await page.route('**/api/v1/interview', (r) => r.abort('connectionrefused'));
  await page.click('#start-go');
  await page.waitForFunction(() => /Could not reach/.test((document.querySelector('.kf-field-error') || {}).textContent || ''));
  assert.match(await page.textContent(ERR), /still here/);
  assert.equal(await page.inputValue('#words'), words);
  /* The error shows where the person is looking: in the first screen. */
  const box = await page.locator('.kf-field-error').boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 844, 'the error is in view: ' + JSON.stringify(box));
  await page.unroute('**/api/v1/interview');
  await page.click('#start-go');
  await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
  assert.equal(await page.locator(ERR).count(), 0, 'sent again, the error clears');
});

test('a consultation that was not kept says so under the answer, and why; a kept one says nothing', async (t) => {
  const page = await openPage(t, { viewport: { width: 390, height: 844 }, touch: true });
  await page.uncheck('#keep');
  await toResult(page);
  const note = page.locator('[data-kf="saved"]');
  assert.equal(await note.count(), 1, 'a line says it was not kept');
  assert.equal(await note.getAttribute('data-code'), 'not_asked');
  assert.match(await note.textContent(), /^Not saved to your journal: you asked for this one not to be kept\.$/);
  /* It comes after the first steps: they stay in the first phone screen. */
  await page.evaluate(() => window.scrollTo(0, 0));
  const step = await page.locator('[data-kf="first-step"]').first().boundingBox();
  const nb = await note.boundingBox();
  assert.ok(step.y + step.height <= 844, 'the first step is in the first screen');
  assert.ok(nb.y > step.y, 'the note comes after the first step');
  assert.ok(nb.y + nb.height <= 844, 'the note is in the first phone screen too: ' + JSON.stringify(nb));
  /* Over the server's save limit (the real answer, as a server over its
   * --save-limit words it): the line, and a button to ask again. */
  await page.route('**/api/v1/consult', async (r) => {
    const res = await r.fetch();
    const j = await res.json();
    j.saved = false;
    j.not_saved = { code: 'save_limit', message: 'this server keeps at most 30 consultations a minute, and that many came in just before this one; the answer is complete, ask again in a minute to keep it' };
    await r.fulfill({ response: res, json: j });
  });
  await page.click('#r-restart');
  await page.check('#keep');
  await page.fill('#words', 'a knot under my left shoulder blade from the mouse');
  await page.click('#start-go');
  await page.waitForSelector('body[data-view="question"]');
  await page.click('#q-skip');
  await page.waitForSelector('[data-kf="saved"][data-code="save_limit"]');
  assert.match(await page.textContent('[data-kf="saved"]'), /Not saved to your journal: this server keeps at most 30/);
  assert.equal(await page.locator('[data-kf="saved"] button').count(), 1, 'a button to ask again');
  await page.unroute('**/api/v1/consult');
  await page.click('[data-kf="saved"] button');
  await page.waitForFunction(() => !document.querySelector('[data-kf="saved"]'));
  /* Kept: no line (reload keeps the answer as it was). */
  await page.reload();
  await page.waitForSelector('#view-result:not([hidden])');
  assert.equal(await page.locator('[data-kf="saved"]').count(), 0);
});

test('a red flag outranks a note about saving: the emergency box first, the note last', async (t) => {
  const page = await openPage(t, { viewport: { width: 390, height: 844 }, touch: true });
  await page.uncheck('#keep');
  await page.fill('#words', "sudden crushing chest pain spreading to my left arm and I'm sweating");
  await page.click('#start-go');
  await page.waitForSelector('#view-result:not([hidden])');
  assert.equal(await page.getAttribute('[data-kf="triage"]', 'data-level'), 'emergency');
  const order = await page.evaluate(() => {
    const all = [...document.querySelectorAll('#view-result [data-kf]')].map((e) => e.getAttribute('data-kf'));
    return all;
  });
  assert.equal(order[0], 'triage', 'the triage comes first: ' + order.join(','));
  assert.ok(order.indexOf('saved') > order.indexOf('triage'), 'the note after the triage');
  const call = await page.locator('[data-kf="emergency-call"]').boundingBox();
  assert.ok(call && call.y + call.height <= 844, 'the call button is in the first screen');
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
    const ts = [...document.querySelectorAll('[data-kf="first-step"] .kf-timer')];
    let best = 0;
    ts.forEach((el, i) => { if (/round/.test(el.textContent) && !/round/.test(ts[best].textContent)) best = i; });
    return best;
  });
  const timer = page.locator('[data-kf="first-step"] .kf-timer').nth(idx);
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

test('a long pasted description is kept whole: a warning sign at its end still leads', async (t) => {
  /* The words box has no length cap of its own (the server's 64 KB limit
   * answers a longer one plainly): a cap would cut a paste without a word,
   * and the part cut off may be the one that matters. */
  const page = await openPage(t);
  const story = 'I have had a knot between my right shoulder blade and my spine for weeks, ' +
                'mostly after long days at the laptop on the sofa. ';
  const text = story.repeat(40) + 'Tonight there is a crushing weight on my chest going into my left arm and I am sweating.';
  assert.ok(text.length > 5000);
  await page.focus('#words');
  await page.keyboard.insertText(text);
  assert.equal((await page.inputValue('#words')).length, text.length, 'the paste is kept whole');
  await page.click('#start-go');
  await tickThenAnswer(page, ['chest_pressure', 'sweating'], 'no');
  assert.equal(await page.getAttribute('#r-banner .kf-banner', 'data-level'), 'emergency');
});

test('a red flag shows the emergency banner first', async (t) => {
  const page = await openPage(t);
  await page.click(zone('medial_border', 'left'));
  await page.fill('#words', 'crushing pressure in my chest and I am sweating, the pain goes down my left arm and into my jaw');
  await page.click('#start-go');
  await tickThenAnswer(page, ['chest_pressure', 'sweating'], 'yes');
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
  await pick(page, zone('medial_border', 'right'), true);
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

test('large text on a phone (text at 200%): no sideways scrolling, the header link stays a word, an emergency title breaks no word', async (t) => {
  const page = await openPage(t, { viewport: { width: 390, height: 844 }, touch: true });
  const big = () => page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
  await big();
  const over = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(await over() <= 0, `start page is ${await over()}px wider than the phone at 200% text`);
  /* "Journal" on one line, not a letter a line. */
  const nav = await page.evaluate(() => {
    const a = document.getElementById('nav-journal'), r = a.getBoundingClientRect();
    return { h: r.height, line: parseFloat(getComputedStyle(a).lineHeight) || parseFloat(getComputedStyle(a).fontSize) * 1.5 };
  });
  assert.ok(nav.h < 3 * nav.line, 'the Journal link is ' + nav.h + ' px tall');
  await page.fill('#words', "sudden crushing chest pain spreading to my left arm and I'm sweating");
  await page.click('#start-go');
  await page.waitForSelector('#view-result:not([hidden])');
  await big();
  assert.ok(await over() <= 0, `emergency answer is ${await over()}px wider than the phone at 200% text`);
  /* The title's longest word fits its line: no word is broken. */
  const broken = await page.evaluate(() => {
    const el = document.getElementById('banner-title');
    const range = document.createRange();
    const words = [];
    const text = el.firstChild;
    let at = 0;
    for (const w of text.textContent.split(' ')) {
      range.setStart(text, at); range.setEnd(text, at + w.length);
      if (range.getClientRects().length > 1) words.push(w);
      at += w.length + 1;
    }
    return words;
  });
  assert.deepEqual(broken, [], 'words broken across lines');
  assert.deepEqual(t.errors, []);
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

/* ---- issue 12: the first screen, the picture, state, emergencies ---------- */

const PHONE = { width: 390, height: 844 };
const DESK = { width: 1280, height: 800 };
const MOUSE = 'I have a knot in the crook of my right shoulder blade that keeps coming back. Massage helps ' +
  'for a few hours, then it returns. I play video games for hours with the mouse in my right hand.';

/* Words in, warning screen answered "none" (each of its checklists: at most
 * 8 lines come at a time), then straight to the result. */
async function wordsToResult(page, text) {
  await page.fill('#words', text);
  await page.click('#start-go');
  await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
  await page.waitForFunction(() => !document.body.hasAttribute('aria-busy'));
  for (let k = 0; k < 4 && await page.getAttribute('body', 'data-view') === 'question' &&
       await page.getAttribute('#q-body', 'data-kind') === 'screen'; k++) {
    const before = await page.textContent('#q-count');
    await page.click('#q-body button[data-answer="none"]');
    await page.waitForFunction((b) => !document.body.hasAttribute('aria-busy') &&
      (document.body.getAttribute('data-view') === 'result' || document.getElementById('q-count').textContent !== b), before);
  }
  if (await page.getAttribute('body', 'data-view') === 'question') {
    await page.click('#q-skip');
    await page.waitForSelector('body[data-view="result"]');
  }
  await page.waitForSelector('[data-kf="first-steps"], [data-kf="triage"]');
}

for (const [vpName, vp] of [['390x844', PHONE], ['1280x800', DESK]]) {
  test(`${vpName}: the first screen says what to do first`, async (t) => {
    const page = await openPage(t, { viewport: vp, touch: vp === PHONE });
    await wordsToResult(page, MOUSE);
    const tri = page.locator('[data-kf="triage"]');
    assert.equal(await tri.getAttribute('data-level'), 'self_care');
    const steps = page.locator('[data-kf="first-steps"] [data-kf="first-step"]');
    const n = await steps.count();
    assert.ok(n >= 1 && n <= 3, `1 to 3 first steps, got ${n}`);
    const cause = await page.textContent('[data-kf="likely-cause"]');
    assert.match(cause, /mouse/, cause);
    /* Everything of "Do this first" is within the first screen. */
    const H = vp.height;
    const within = async (sel) => page.$$eval(sel, (els, h) => els.map((e) => e.getBoundingClientRect().bottom <= h), H);
    assert.deepEqual((await within('[data-kf="triage"]')), [true], 'triage in the first screen');
    assert.ok((await within('[data-kf="likely-cause"]')).every(Boolean), 'the likely cause in the first screen');
    for (let i = 0; i < n; i++) {
      const st = steps.nth(i);
      const timed = await st.locator('.kf-timer-start').count();
      if (timed) {
        const b = await st.locator('.kf-timer-start').boundingBox();
        assert.ok(b.y + b.height <= H, `step ${i + 1}'s Start button is in the first screen (bottom ${b.y + b.height})`);
      }
    }
    if (await page.locator('[data-kf="question"]').count()) {
      const q = await page.locator('[data-kf="question"] .kf-choice').first().boundingBox();
      assert.ok(q.y + q.height <= H, 'the one question is in the first screen');
    }
    /* The rest is folded. */
    for (const k of ['all-causes', 'full-plan']) {
      assert.equal(await page.locator(`details[data-kf="${k}"]`).count(), 1, k + ' is there');
      assert.equal(await page.locator(`details[data-kf="${k}"][open]`).count(), 0, k + ' is folded');
    }
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(over <= 0, `no sideways scrolling (${over}px)`);
    assert.deepEqual(t.errors, []);
  });

  test(`${vpName}: the picture shows the mouse habit's muscle away from the pain, arrow along its pull`, async (t) => {
    const page = await openPage(t, { viewport: vp, touch: vp === PHONE });
    await wordsToResult(page, MOUSE);
    const pic = page.locator('[data-kf="picture"]');
    const cause = await pic.getAttribute('data-cause');
    const pain = await pic.getAttribute('data-pain');
    assert.equal(pain, 'medial_border', 'the zone that hurts');
    assert.equal(await pic.getAttribute('data-habit'), 'mouse_reach', 'the habit that keeps it short');
    const r = await page.evaluate(() => JSON.parse(sessionStorage.getItem('knotfinder.page.v1')).result);
    const keeps = r.causes.find((c) => c.id === 'mouse_reach').keeps;
    assert.ok(keeps.includes(cause), `${cause} is a muscle the mouse habit keeps short`);
    /* The cause drawn is away from the pain. */
    const zones = await page.$$eval('[data-kf="picture"] .kf-cause-zone', (zs) => zs.map((z) => z.getAttribute('data-region')));
    assert.ok(zones.length && zones.some((z) => z !== 'medial_border'), 'cause zones away from the pain: ' + zones);
    /* The arrow runs from a cause zone to the painful zone (its own pull),
     * checked in the SVG's own coordinates. */
    const geo = await page.evaluate(() => {
      const svg = document.querySelector('[data-kf="picture"] svg');
      const a = svg.querySelector('.kf-arrow');
      if (!a) return null;
      const len = a.getTotalLength(), p0 = a.getPointAtLength(0), p1 = a.getPointAtLength(len);
      const near = (sel, p) => [...svg.querySelectorAll(sel)].map((z) => {
        const b = z.getBBox(), m = z.parentNode.transform.baseVal.consolidate();
        const dx = m ? m.matrix.e : 0;
        return { id: z.getAttribute('data-region'), d: Math.hypot(Math.max(b.x + dx - p.x, 0, p.x - b.x - dx - b.width),
                                                                  Math.max(b.y - p.y, 0, p.y - b.y - b.height)) };
      }).sort((x, y) => x.d - y.d)[0];
      return { start: near('.kf-cause-zone', p0), end: near('.kf-pain-zone', p1) };
    });
    assert.ok(geo, 'an arrow is drawn');
    assert.equal(geo.end.id, 'medial_border');
    assert.ok(geo.end.d <= 4, 'the arrow ends on the painful zone: ' + JSON.stringify(geo));
    assert.ok(geo.start.d <= 4 && geo.start.id !== 'medial_border', 'the arrow starts on the cause: ' + JSON.stringify(geo));
    const cap = await page.textContent('[data-kf="picture"] .kf-picture-words');
    assert.match(cap, /kept short by reaching for a mouse/);
    assert.match(cap, /pulls on/);
    /* "Show on the body" brings the picture into view. */
    await page.click('.kf-to-picture');
    await page.waitForFunction(() => {
      const b = document.querySelector('[data-kf="picture"]').getBoundingClientRect();
      return b.top < window.innerHeight && b.bottom > 0;
    });
  });
}

/* The same first-screen promise on other stories: every self-care answer
 * fits "Do this first" (triage, cause, steps with Start, the question) in
 * 390x844. */
const STORIES = [
  'sore spot on top of my left shoulder after carrying my toddler on my left hip every day, it eases with a hot shower',
  'tight knot under the right shoulder blade, I drive a truck ten hours a day',
  'my neck and the back of my head ache after long days at a laptop on the couch',
  'a knot low between my shoulder blades on both sides, I do a lot of rowing at the gym',
  'burning ache along the inner edge of my left shoulder blade, I sleep on my left side and hold the phone with my left hand'
];
test('390x844: other stories fit "Do this first" in the first screen when self-care is the answer', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  let checked = 0;
  for (const story of STORIES) {
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]');
    await wordsToResult(page, story);
    await page.evaluate(() => window.scrollTo(0, 0));
    const lv = await page.getAttribute('[data-kf="triage"]', 'data-level');
    if (lv !== 'self_care') continue;
    checked++;
    const bottoms = await page.evaluate(() => {
      const els = [...document.querySelectorAll('[data-kf="first-steps"] h2, [data-kf="likely-cause"], ' +
        '[data-kf="first-step"] h3, [data-kf="first-step"] .kf-timer-start, [data-kf="question"] .kf-choice')];
      return els.map((e) => [e.className || e.tagName, Math.round(e.getBoundingClientRect().bottom)]);
    });
    for (const [what, b] of bottoms) assert.ok(b <= PHONE.height, `"${story.slice(0, 40)}…": ${what} ends at ${b}px`);
  }
  assert.ok(checked >= 3, `at least three self-care answers checked (${checked})`);
});

test('390x844: a doctor step says when to go and what to tell the doctor; the banner does not repeat its title in capitals', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  await wordsToResult(page, 'a hard lump under my right shoulder blade that keeps growing, and I lost weight without trying');
  assert.equal(await page.getAttribute('[data-kf="triage"]', 'data-level'), 'doctor_soon');
  const title = await page.textContent('#r-banner .kf-banner-title');
  assert.match(title, /^See a doctor/);
  const msgs = await page.$$eval('#r-banner .kf-banner-msg', (ps) => ps.map((p) => p.textContent));
  for (const m of msgs) assert.doesNotMatch(m, /SEE A DOCTOR/, 'no title again in capitals: ' + m);
  assert.ok(msgs.some((m) => /before trying self-care/.test(m)), 'what is left of the message stays: ' + msgs.join(' | '));
  const step = page.locator('[data-kf="first-step"][data-technique="see_doctor"]');
  assert.equal(await step.count(), 1, 'the doctor step leads');
  const line = await step.locator('.kf-first-dose').textContent();
  assert.doesNotMatch(line, /As the result says/);
  assert.match(line, /in the next few days/i, 'when: ' + line);
  assert.match(line, /Tell the doctor where it hurts, how and when it started/, 'what to tell: ' + line);
  assert.match(line, /losing weight without trying/, 'the warning signs said: ' + line);
  assert.deepEqual(t.errors, []);
});

test('a side only for a muscle or a one-sided habit: none on sitting, posture, the desk or the car seat', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  await wordsToResult(page, 'I have a knot under my right shoulder blade, I sit at a desk all day and drive a lot');
  const res = await page.evaluate(() => KF.App.state.result);
  const sided = new Set(['muscle']);
  for (const c of res.causes) if (c.side && !sided.has(c.kind)) assert.fail(`${c.id} (${c.kind}) has side ${c.side}`);
  for (const s of res.plan) {
    if (['car_setup', 'workstation_setup', 'sitting_posture', 'laptop_setup'].includes(s.technique))
      assert.equal(s.side, '', s.technique + ' has no side');
  }
  /* On the page: no side tag or side word on a step for sitting or setup. */
  const bad = await page.$$eval('[data-kf="first-step"], .kf-step', (ls) => ls
    .filter((l) => /setup|sitting_posture/.test(l.getAttribute('data-technique') || ''))
    .filter((l) => l.hasAttribute('data-side') || /(Left|Right) side|Both sides/.test(l.textContent))
    .map((l) => l.getAttribute('data-technique')));
  assert.deepEqual(bad, []);
  const cards = await page.$$eval('.kf-cause', (ls) => ls.filter((l) => /prolonged_sitting|posture|rounded/.test(l.getAttribute('data-cause')))
    .map((l) => [...l.querySelectorAll('.kf-tag')].map((x) => x.textContent).join(',')));
  for (const c of cards) assert.doesNotMatch(c, /left|right|both/i, 'no side on a posture or sitting card: ' + c);
  /* A muscle keeps its side. */
  assert.ok(res.plan.some((s) => s.side === 'right'), 'the muscle steps keep the right side');
  assert.deepEqual(t.errors, []);
});

/* Elements of `sel` on the page smaller than 44 x 44 px, as "text WxH". */
async function under44(page, sel) {
  return page.$$eval(sel, (es) => es.filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (r.width < 44 || r.height < 44);
  }).map((e) => e.textContent.trim().slice(0, 30) + ' ' + Math.round(e.getBoundingClientRect().width) + 'x' +
    Math.round(e.getBoundingClientRect().height)));
}

test('390x844: Show on the body, Start, the emergency numbers and the tick rows are 44 px targets', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  await wordsToResult(page, MOUSE);
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
  assert.ok(await page.locator('.kf-show-on-body, .kf-to-picture').count() >= 1);
  assert.ok(await page.locator('.kf-timer-start').count() >= 1);
  assert.deepEqual(await under44(page, '.kf-show-on-body, .kf-to-picture, .kf-timer-start, .kf-timer-buttons .kf-btn'), []);
  /* The warning-sign screen: each tick row is the target, not the 22 px box. */
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#words', 'a knot under my shoulder blade');
  await page.click('#start-go');
  await page.waitForSelector('#q-body[data-kind="screen"]');
  const rows = page.locator('#q-body .kf-check');
  assert.ok(await rows.count() >= 1);
  assert.deepEqual(await under44(page, '#q-body .kf-check'), []);
  /* a tap at the row's far right end and at its top edge, off the words,
   * ticks its box */
  const row = rows.first();
  const box = await row.boundingBox();
  await page.touchscreen.tap(box.x + box.width - 4, box.y + box.height / 2);
  assert.equal(await row.locator('input').isChecked(), true, 'the row ticks its box');
  await page.touchscreen.tap(box.x + box.width / 2, box.y + 2);
  assert.equal(await row.locator('input').isChecked(), false, 'and its top edge unticks it');
  /* The emergency numbers. */
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#words', 'crushing pressure in my chest and I am sweating, the pain goes down my left arm');
  await page.click('#start-go');
  await tickThenAnswer(page, ['chest_pressure', 'sweating'], 'yes');
  assert.equal(await page.getAttribute('#r-banner .kf-banner', 'data-level'), 'emergency');
  assert.equal(await page.locator('.kf-call-others a').count(), 3);
  assert.deepEqual(await under44(page, '.kf-call a'), []);
  assert.deepEqual(t.errors, []);
});

test('first steps for more than one cause each name what it is for, the leading cause\'s too', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  let mixed = 0;
  for (const story of [MOUSE, 'a knot at the top of my right shoulder blade near my neck, it hurts to turn my head',
                       'I have a knot under my right shoulder blade, I use the mouse all day']) {
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]');
    await wordsToResult(page, story);
    const steps = await page.$$eval('[data-kf="first-step"]', (ls) => ls.map((l) =>
      [l.getAttribute('data-technique'), l.getAttribute('data-for'), (l.querySelector('.kf-first-for') || {}).textContent || '']));
    assert.ok(steps.length >= 1, story);
    const lead = await page.evaluate(() => (KF.App.state.result.causes[0] || {}).id);
    if (!steps.some(([tech, fo]) => tech !== 'see_doctor' && fo && fo !== lead)) continue;
    mixed++;
    for (const [tech, fo, txt] of steps) {
      if (tech === 'see_doctor' || !fo) continue;
      assert.match(txt, /(—|^) ?[Ff]or \S/, `${tech} (for ${fo}) names what it is for: "${txt}"`);
    }
  }
  assert.ok(mixed >= 1, 'at least one answer with first steps for more than one cause');
  assert.deepEqual(t.errors, []);
});

test('a neck muscle that refers pain: the arrow goes to the spot it names', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  await wordsToResult(page, 'pain at the inner edge of my right shoulder blade, my hand tingles at night, no neck pain');
  const pic = page.locator('[data-kf="picture"]');
  const cause = await pic.getAttribute('data-cause');
  const r = await page.evaluate(() => JSON.parse(sessionStorage.getItem('knotfinder.page.v1')).result);
  const c = r.causes.find((x) => x.id === cause) || {};
  const painAt = await pic.getAttribute('data-pain');
  const link = (c.reasons || []).find((x) => x.state === 'present' && /refers|pulls/.test(x.mechanism) &&
                                          x.finding === 'pain_' + painAt);
  assert.ok(link, `the picture's arrow follows a link of ${cause}`);
  assert.equal(await pic.getAttribute('data-pain'), 'medial_border');
});

/* The consultation's own first_steps, cause_sentence, left_out and an
 * "unknown" triage with its screen (fields other modules add to the JSON)
 * are used as they come: the real answers with those fields put in. */
async function withFields(page, edit) {
  for (const ep of ['**/api/v1/interview', '**/api/v1/consult']) {
    await page.route(ep, async (route) => {
      const res = await route.fetch();
      const doc = await res.json();
      const r = doc.result || (doc.causes ? doc : null);
      if (r) edit(r);
      await route.fulfill({ response: res, body: JSON.stringify(doc) });
    });
  }
}
test('first_steps, cause_sentence and left_out from the consultation lead the result', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  let chosen = null;
  await withFields(page, (r) => {
    const p = r.plan.find((s) => s.timer && s.order > 1) || r.plan[0];
    chosen = p.technique;
    r.first_steps = [{ order: 1, technique: p.technique, name: p.name, kind: p.kind, dose: p.dose,
                       timer: 'knotfinder do ' + p.technique, for: p.for, for_name: 'the test muscle (testus)', side: p.side }];
    r.cause_sentence = 'It hurts here because the test muscle pulls on it.';
    r.left_out = [{ technique: 'tennis_ball', name: 'Tennis-ball pressure', person: 'thin_bones', why: 'No pressure on thin bones.', instead: null }];
  });
  await wordsToResult(page, MOUSE);
  const steps = page.locator('[data-kf="first-step"]');
  assert.equal(await steps.count(), 1);
  assert.equal(await steps.first().getAttribute('data-technique'), chosen);
  assert.match(await steps.first().textContent(), /for the test muscle/);
  assert.equal(await page.textContent('[data-kf="likely-cause"] >> nth=0').then((x) => x.startsWith('It hurts here because the test muscle')), true);
  assert.match(await page.textContent('[data-kf="left-out"]'), /Tennis-ball pressure \(no pressure on thin bones\)/);
  const timed = await page.evaluate((tech) => {
    const r = JSON.parse(sessionStorage.getItem('knotfinder.page.v1')).result;
    return !!(r.plan.find((s) => s.technique === tech) || {}).timer;
  }, chosen);
  if (timed) assert.equal(await steps.first().locator('.kf-timer-start').count(), 1, 'the plan step\'s timer, not the command');
});

test('triage "unknown" from the server: could not screen, with its screen questions', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  await withFields(page, (r) => {
    r.triage = { level: 'unknown', message: 'Could not screen for warning signs.', flags: [],
                 screen: [{ finding: 'chest_pressure', text: 'Do you feel pressure in your chest?' },
                          { finding: 'fever', text: 'Do you have a fever?' }] };
  });
  await wordsToResult(page, MOUSE);
  assert.equal(await page.getAttribute('[data-kf="triage"]', 'data-level'), 'unknown');
  assert.equal(await page.locator('.kf-level-self_care').count(), 0);
  const items = await page.$$eval('[data-kf="screen"] input[data-finding]', (cs) => cs.map((c) => c.getAttribute('data-finding')));
  assert.deepEqual(items, ['chest_pressure', 'fever']);
});

test('reload and Back keep the result; Back from the print page returns to it', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  await wordsToResult(page, MOUSE);
  assert.equal(new URL(page.url()).hash, '#result');
  const first = await page.textContent('[data-kf="first-steps"]');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.getAttribute('body', 'data-view'), 'result', 'the result survives a reload');
  assert.equal(await page.textContent('[data-kf="first-steps"]'), first);
  await page.click('#r-print');
  await page.waitForSelector('#view-print:not([hidden])');
  assert.equal(new URL(page.url()).hash, '#print');
  await page.goBack();
  await page.waitForSelector('#view-result:not([hidden])');
  assert.equal(new URL(page.url()).hash, '#result');
  await page.click('#r-print');
  await page.waitForSelector('#view-print:not([hidden])');
  await page.click('#p-back');
  await page.waitForSelector('#view-result:not([hidden])');
  await page.click('#r-restart');
  await page.waitForSelector('#view-start:not([hidden])');
  await page.goBack();
  await page.waitForSelector('#view-result:not([hidden])');
  assert.equal(await page.textContent('[data-kf="first-steps"]'), first, 'Back after Start over finds the result');
  /* Reload on the print page shows the print page. */
  await page.click('#r-print');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.getAttribute('body', 'data-view'), 'print');
});

const CHEST = 'crushing pressure in my chest and I am sweating, the pain goes down my left arm and into my jaw';
for (const [locale, num] of [['en-US', '911'], ['en-GB', '999'], ['de-DE', '112']]) {
  test(`emergency (${locale}): a tap-to-call ${num} button, no self-care text in the box`, async (t) => {
    const ctx = await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true, locale });
    t.cleanup.push(() => ctx.close());
    const page = await ctx.newPage();
    t.page = page;
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#words', CHEST);
    await page.click('#start-go');
    await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
    if (await page.getAttribute('body', 'data-view') === 'question') {
      await page.click('#q-skip');
      await page.waitForSelector('body[data-view="result"]');
    }
    const tri = page.locator('[data-kf="triage"]');
    assert.equal(await tri.getAttribute('data-level'), 'emergency');
    const call = page.locator('[data-kf="emergency-call"]');
    assert.equal(await call.getAttribute('href'), 'tel:' + num);
    const b = await call.boundingBox();
    assert.ok(b.y + b.height <= PHONE.height && b.height >= 44, 'the call button is big and in the first screen');
    const all = await page.$$eval('[data-kf="triage"] a[href^="tel:"]', (as) => as.map((a) => a.getAttribute('href')));
    for (const n of ['112', '911', '999']) assert.ok(all.includes('tel:' + n), `${n} is listed`);
    const text = await tri.textContent();
    assert.doesNotMatch(text, /self-care is fine|self-care is a reasonable|stretch|tennis/i, 'no self-care in the box');
    assert.equal(await page.locator('#r-body > details.kf-later[open]').count(), 0, 'self-care folded away');
  });
}

for (const [what, text] of [['gibberish', 'asdf qwer zxcv blorp'], ['the screen skipped', null]]) {
  test(`no false reassurance: ${what}`, async (t) => {
    const page = await openPage(t, { viewport: PHONE, touch: true });
    if (text) {
      await page.fill('#words', text);
      await page.click('#start-go');
      await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
    } else {
      await pick(page, zone('medial_border', 'right'), true);
      await page.click('#start-go');
      await page.waitForSelector('body[data-view="question"]');
      assert.equal(await page.getAttribute('#q-body', 'data-kind'), 'screen');
    }
    if (await page.getAttribute('body', 'data-view') === 'question') await page.click('#q-skip');
    await page.waitForSelector('body[data-view="result"]');
    const tri = page.locator('[data-kf="triage"]');
    assert.equal(await tri.getAttribute('data-level'), 'unknown');
    assert.equal(await page.locator('.kf-level-self_care').count(), 0, 'no green banner');
    assert.doesNotMatch(await tri.textContent(), /no warning signs|self-care is (fine|a reasonable)/i);
    assert.equal(await page.locator('[data-kf="screen"]').count(), 1, 'the screen is offered');
    if (!text) {
      /* Answering it here gives the reassurance that was missing. */
      assert.ok(await page.locator('[data-kf="screen"] input[type="checkbox"]').count() >= 3, 'the screen questions shown');
      await page.click('[data-kf="screen"] button[data-answer="none"]');
      await answerUntilResult(page);
      await page.waitForFunction(() => (document.querySelector('[data-kf="triage"]') || {}).dataset?.level !== 'unknown');
      assert.equal(await page.getAttribute('[data-kf="triage"]', 'data-level'), 'self_care');
    }
  });
}

test('390x844: every body-map zone is at least 24x24 px, the most used at least 44', async (t) => {
  const page = await openPage(t, { viewport: PHONE, touch: true });
  const MOST = ['medial_border', 'between_blades', 'upper_inner_blade', 'top_shoulder'];
  let seen = 0;
  for (const view of ['back', 'front']) {
    for (const part of ['upper', 'lower']) {
      await page.click(`#start-map .kf-seg-btn[data-switch="${view}"]`);
      await page.click(`#start-map .kf-seg-btn[data-switch="${part}"]`);
      const sizes = await page.$$eval('#start-map [data-kf="zone"]', (zs) => zs.map((z) => {
        const r = z.getBoundingClientRect();
        return { id: z.getAttribute('data-region'), w: r.width, h: r.height };
      }).filter((x) => x.w > 0));
      seen += sizes.length;
      for (const z of sizes) {
        const min = MOST.includes(z.id) ? 44 : 24;
        assert.ok(z.w >= min && z.h >= min, `${view} ${part}: ${z.id} is ${z.w.toFixed(1)}x${z.h.toFixed(1)} px (needs ${min})`);
      }
    }
  }
  const total = await page.locator('#start-map [data-kf="zone"]').count();
  assert.equal(seen, total, 'every zone is a target in one close-up');
  /* A tap names the place, and a marked zone shows a focus ring. */
  await page.click('#start-map .kf-seg-btn[data-switch="back"]');
  await page.click('#start-map .kf-seg-btn[data-switch="upper"]');
  await page.tap(zone('medial_border', 'left'));
  assert.match(await page.textContent('#start-map .kf-tap-label'), /left side: between the spine and the shoulder blade/);
  const ring = await page.$eval(zone('medial_border', 'left'), (z) => {
    const cs = getComputedStyle(z);
    return { focused: document.activeElement === z, stroke: cs.stroke, width: parseFloat(cs.strokeWidth) };
  });
  assert.ok(ring.focused && ring.width >= 2, 'a focus ring on the marked zone: ' + JSON.stringify(ring));
  /* The words box and the button are within about one screen. */
  const go = await page.locator('#start-go').boundingBox();
  assert.ok(go.y + go.height <= PHONE.height * 1.4, `the button at ${go.y + go.height}px`);
  /* An empty submit says so next to the button. */
  await page.tap(zone('medial_border', 'left'));
  await page.tap('#start-go');
  const err = page.locator('.kf-field-error');
  await err.waitFor();
  const eb = await err.boundingBox();
  assert.ok(eb.y >= 0 && eb.y < PHONE.height, 'the error is on screen');
});

test('static files come gzip-compressed with Vary', async (t) => {
  const page = await openPage(t, { viewport: DESK });
  for (const f of ['app.js', 'bodymap.js', 'style.css', '']) {
    const res = await page.request.get(base + f, { headers: { 'Accept-Encoding': 'gzip' } });
    const hd = res.headers();
    assert.equal(hd['content-encoding'], 'gzip', f + ' compressed');
    assert.equal(hd.vary, 'Accept-Encoding', f + ' Vary');
    assert.ok((await res.body()).length > 100, f + ' decodes');
  }
  const plain = await page.request.get(base + 'app.js', { headers: { 'Accept-Encoding': 'identity' } });
  assert.equal(plain.headers()['content-encoding'], undefined);
});

test('the therapist\'s page fits one A4 page and its figure shows every muscle of the table', async (t) => {
  const page = await openPage(t, { viewport: DESK });
  await wordsToResult(page, MOUSE + ' I sleep on my side and my neck is stiff.');
  await page.click('#r-print');
  await page.waitForSelector('#view-print:not([hidden])');
  const muscles = await page.$$eval('#p-body table.kf-massage tbody tr', (rs) => rs.map((r) => r.getAttribute('data-muscle')));
  const r = await page.evaluate(() => JSON.parse(sessionStorage.getItem('knotfinder.page.v1')).result);
  for (const m of muscles) {
    const where = (r.massage.find((x) => x.muscle === m) || {}).where || [];
    const drawn = await page.$$eval('#p-picture .kf-cause-zone', (zs, w) => zs.some((z) => w.includes(z.getAttribute('data-region'))), where);
    assert.ok(drawn, `${m} is drawn on the figure`);
  }
  const why = await page.$$eval('#p-body table.kf-massage td:last-child', (ts) => ts.map((x) => x.textContent));
  assert.ok(why.every((w) => w.length > 0 && w.split(/[.!?](\s|$)/).filter((x) => x && x.trim()).length <= 1), 'one sentence each');
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: false });
  let pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  /* pdfinfo (poppler-utils) counts them properly when it is installed. */
  const tmpPdf = path.join(os.tmpdir(), `kf-print-${process.pid}.pdf`);
  fs.writeFileSync(tmpPdf, pdf);
  try {
    const info = execFileSync('pdfinfo', [tmpPdf], { encoding: 'utf8' });
    pages = Number((/^Pages:\s*(\d+)/m.exec(info) || [])[1]);
  } catch (e) { /* no pdfinfo: the count above */ } finally { fs.rmSync(tmpPdf, { force: true }); }
  assert.equal(pages, 1, `the print page is ${pages} A4 pages`);
});

/* axe-core, from the node_modules of this folder, on every main view. */
import { createRequire } from 'node:module';
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
async function axe(page, what) {
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const v = res.violations.map((x) => `${x.id} (${x.nodes.length}): ${x.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(v, [], `axe on ${what}`);
}
for (const [vpName, vp] of [['390x844', PHONE], ['1280x800', DESK]]) {
  test(`${vpName}: axe-core finds no violations on the start, result, print and emergency views`, async (t) => {
    const ctx = await browser.newContext({ viewport: vp, hasTouch: vp === PHONE, isMobile: vp === PHONE, bypassCSP: true });
    t.cleanup.push(() => ctx.close());
    const page = await ctx.newPage();
    t.page = page;
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]');
    await axe(page, 'start');
    await wordsToResult(page, MOUSE);
    await page.click('[data-kf="all-causes"] > summary');
    await axe(page, 'result');
    await page.click('#r-print');
    await page.waitForSelector('#view-print:not([hidden])');
    await axe(page, 'print');
    await page.click('#p-back');
    await page.click('#r-restart');
    await page.fill('#words', CHEST);
    await page.click('#start-go');
    await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
    if (await page.getAttribute('body', 'data-view') === 'question') {
      await page.click('#q-skip');
      await page.waitForSelector('body[data-view="result"]');
    }
    await page.waitForSelector('[data-kf="emergency-call"]');
    await axe(page, 'emergency');
  });
}

/* ---- runner ----------------------------------------------------------------- */

runSuite(tests, { prefix: '', timeoutMs: TEST_MS, what: 'the browser tests',
                  onBrowser: (b) => { browser = b; } });
