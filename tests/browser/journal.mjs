// journal.mjs — browser tests of the journal view (web/journal.js) in
// headless Chromium.
//
//   node tests/browser/journal.mjs http://127.0.0.1:PORT/
//
// Needs a server on an EMPTY journal (run.sh starts one with --db on a
// fresh temporary file): the tests run in order and build on each other —
// first the empty journal (no consultation yet: a hint to describe the pain),
// then check-ins, then a consultation and the revised plan.
// The closing line is "N passed, N failed"; the exit status is 1 when any
// test failed.  KF_ONLY=text runs only the tests whose name contains it
// (later tests may then miss the state the earlier ones made); KF_SHOTS=dir
// saves a screenshot after each test.
import assert from 'node:assert/strict';
import http from 'node:http';
import { runSuite } from './harness.mjs';

const base = process.argv[2] || process.env.KF_BASE_URL;
if (!base) {
  console.error('usage: node journal.mjs BASE_URL');
  console.log('0 passed, 1 failed');
  process.exit(2);
}
const TEST_MS = 60000;

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
  /* A 404 or 422 the page expects still makes Chromium log "Failed to load
   * resource"; everything else logged as an error counts. */
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) t.errors.push('console: ' + m.text());
  });
  if (opts.clock) await page.clock.install();
  await page.goto(base + (opts.hash || ''));
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

async function openJournal(page) {
  await page.evaluate(() => document.body.removeAttribute('data-journal'));
  await page.click('#nav-journal');
  await journalReady(page);
}
async function journalReady(page) {
  await page.waitForSelector('body[data-view="journal"][data-journal="ready"]');
}
const saves = (page) => page.evaluate(() => Number(document.body.getAttribute('data-journal-saved') || 0));
async function save(page) {
  const n = await saves(page);
  await page.click('#jf-save');
  await page.waitForFunction((k) => Number(document.body.getAttribute('data-journal-saved') || 0) > k, n);
}
const journal = (page) => page.evaluate(() => fetch('/api/v1/journal').then((r) => r.json()));

/* Controls in the visible part of the page without a name a screen reader can say. */
const unnamed = (page) => page.evaluate(() => {
  const bad = [];
  document.querySelectorAll('button, input, select, textarea, a[href]').forEach((e) => {
    if (e.closest('[hidden]')) return;
    const name = e.getAttribute('aria-label') || (e.labels && e.labels.length && e.labels[0].textContent) ||
      e.textContent || e.getAttribute('aria-labelledby');
    if (!name || !name.trim()) bad.push(e.outerHTML.slice(0, 80));
  });
  return bad;
});

const zone = (region, side) =>
  `#start-map .kf-zone[data-region="${region}"][data-side="${side || ''}"]`;

/* Answers the interview ("no" to everything) until the result shows. */
async function answerUntilResult(page) {
  for (let k = 0; k < 15; k++) {
    await page.waitForSelector('body[data-view="question"], body[data-view="result"]');
    await page.waitForFunction(() => !document.body.hasAttribute('aria-busy'));
    if (await page.getAttribute('body', 'data-view') === 'result') return;
    const before = await page.textContent('#q-count');
    const kind = await page.getAttribute('#q-body', 'data-kind');
    if (kind === 'screen') await page.click('#q-body button[data-answer="none"]');
    else if (kind === 'finding') await page.click('#q-body button[data-answer="no"]');
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

/* A left medial-border knot of a left-handed mouse user, to the result
 * (which the server saves to the journal as a consultation). */
async function toResult(page) {
  await page.click(zone('medial_border', 'left'));
  await page.fill('#words', 'a knot between my spine and left shoulder blade; I use the mouse with my left hand all day at the computer');
  await page.selectOption('#hand', 'left');
  await page.click('#start-go');
  await answerUntilResult(page);
  await page.waitForSelector('#view-result:not([hidden])');
}

/* ---- the tests (in order: they share one journal) -------------------------- */

test('the journal opens from the header by keyboard; with nothing described yet it says to describe the pain first', async (t) => {
  const page = await openPage(t);
  const name = await page.evaluate(() => {
    const a = document.getElementById('nav-journal');
    return a.closest('nav').getAttribute('aria-label') + ' / ' + a.textContent;
  });
  assert.match(name, /Journal/);
  let onLink = false;
  for (let k = 0; k < 6 && !onLink; k++) {
    await page.keyboard.press('Tab');
    onLink = await page.evaluate(() => document.activeElement.id === 'nav-journal');
  }
  assert.ok(onLink, 'the journal link takes the focus with Tab');
  await page.keyboard.press('Enter');
  await journalReady(page);
  assert.match(page.url(), /#journal$/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'journal-title');
  assert.equal(await page.getAttribute('#nav-journal', 'aria-current'), 'page');
  assert.equal(await page.isHidden('#view-start'), true);
  /* No consultation saved yet: the server answers 404, the page a hint. */
  const hint = page.locator('#jp-none');
  await hint.waitFor();
  assert.match(await hint.textContent(), /nothing has been described/);
  assert.match(await page.textContent('#jl-body'), /No check-ins yet/);
  assert.match(await page.textContent('#jc-caption'), /No check-ins yet/);
  assert.deepEqual(await unnamed(page), []);
  assert.equal(await page.locator('#view-journal h1').count(), 1);
  /* The browser's Back returns to the start. */
  await page.goBack();
  await page.waitForSelector('body[data-view="start"]');
  assert.equal(await page.isHidden('#view-journal'), true);
  assert.equal(await page.getAttribute('#nav-journal', 'aria-current'), null);
  /* And the hint's button goes there too. */
  await openJournal(page);
  await page.click('#jp-describe');
  await page.waitForSelector('body[data-view="start"]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'start-title');
  assert.deepEqual(t.errors, []);
});

test('a valid check-in is saved and shows in the list and on the chart', async (t) => {
  const page = await openPage(t, { hash: '#journal' });
  await journalReady(page);
  const n0 = (await journal(page)).total_checkins;
  await page.fill('#jf-pain', '4');
  assert.equal(await page.textContent('#jf-pain-words'), '4 out of 10: moderate');
  assert.equal(await page.inputValue('#jf-pain-range'), '4', 'the slider follows the number');
  await page.selectOption('#jf-where', 'medial_border');
  assert.equal(await page.isVisible('#jf-side'), true, 'a sided region asks the side');
  await page.selectOption('#jf-side', 'right');
  await page.check('#jf-did input[value="heat"]');
  await page.fill('#jf-relief', '3');
  await page.click('#jf .kf-j-more summary');
  await page.fill('#jf-before', '6');
  await page.fill('#jf-note', 'after a hot shower <b>not bold</b>');
  await save(page);
  assert.match(await page.textContent('#jf-saved'), /Saved/);
  /* The list, newest first. */
  const item = page.locator('#jl-items > li').first();
  assert.equal(await item.getAttribute('data-pain'), '4');
  const text = await item.textContent();
  assert.match(text, /Right side: between the spine and the shoulder blade/);
  assert.match(text, /Relief lasted 3 hours/);
  assert.match(text, /was 6 before/);
  assert.match(text, /heat/);
  assert.equal(await item.locator('.kf-j-note').textContent(), 'after a hot shower <b>not bold</b>', 'the note is text, not markup');
  assert.equal(await item.locator('b').count(), 0);
  /* Stored as sent. */
  const j = await journal(page);
  assert.equal(j.total_checkins, n0 + 1);
  const c = j.checkins[j.checkins.length - 1];
  assert.deepEqual([c.pain, c.pain_before, c.where, c.side, c.did, c.relief_hours, c.via],
    [4, 6, 'medial_border', 'right', ['heat'], 3, 'web']);
  /* The chart: the server's SVG, inside the page, with today's point. */
  const svg = page.locator('#jc-figure svg.kf-j-svg');
  assert.equal(await svg.count(), 1);
  const points = await svg.locator('circle title').allTextContents();
  assert.ok(points.some((p) => /: 4\.0 \(1 check-in\)/.test(p)), 'a point for the day: ' + points.join(' | '));
  assert.equal(await svg.getAttribute('width'), null, 'the chart scales with the page');
  assert.match(await svg.getAttribute('aria-labelledby'), /^jc-svg-/, 'its ids cannot clash with the page');
  assert.match(await page.textContent('#jc-caption'), /averaged 4 out of 10/);
  await page.click('#jc-body .kf-j-numbers summary');
  assert.equal(await page.locator('#jc-body table tbody tr').count(), 1);
  /* The form is ready for the next one. */
  assert.equal(await page.inputValue('#jf-pain'), '');
  assert.deepEqual(t.errors, []);
});

test('out-of-range input: the server\'s message shows next to the right field', async (t) => {
  const page = await openPage(t, { hash: '#journal' });
  await journalReady(page);
  const n0 = (await journal(page)).total_checkins;
  const visibleErrors = () => page.$$eval('#jf .kf-field-error:not([hidden])', (es) => es.map((e) => e.id));

  await page.fill('#jf-pain', '11');
  assert.match(await page.textContent('#jf-pain-words'), /11 is outside 0 to 10/);
  await page.click('#jf-save');
  await page.waitForSelector('#jf-pain-err:not([hidden])');
  assert.match(await page.textContent('#jf-pain-err'), /^Pain must be a whole number from 0 \(none\) to 10/);
  assert.deepEqual(await visibleErrors(), ['jf-pain-err']);
  assert.equal(await page.getAttribute('#jf-pain', 'aria-invalid'), 'true');
  assert.match(await page.getAttribute('#jf-pain', 'aria-describedby'), /jf-pain-err/, 'a screen reader reads it with the field');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'jf-pain', 'the focus goes to the field');

  await page.fill('#jf-pain', '5');
  await page.fill('#jf-relief', '-2');
  await page.click('#jf-save');
  await page.waitForSelector('#jf-relief-err:not([hidden])');
  assert.match(await page.textContent('#jf-relief-err'), /cannot be negative \(got -2\)/);
  assert.deepEqual(await visibleErrors(), ['jf-relief-err'], 'the old error is gone');
  assert.equal(await page.getAttribute('#jf-pain', 'aria-invalid'), null);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'jf-relief');

  await page.fill('#jf-relief', '');
  await page.fill('#jf-pain', '');
  await page.click('#jf-save');
  await page.waitForSelector('#jf-pain-err:not([hidden])');
  assert.match(await page.textContent('#jf-pain-err'), /required/);

  /* A field inside "More": it opens to show the error. */
  await page.fill('#jf-pain', '5');
  await page.click('#jf .kf-j-more summary');
  await page.fill('#jf-before', '12');
  await page.click('#jf-save');
  await page.waitForSelector('#jf-before-err:not([hidden])');
  assert.match(await page.textContent('#jf-before-err'), /^Pain before must be a whole number/);
  assert.equal(await page.evaluate(() => document.querySelector('#jf .kf-j-more').open), true);

  assert.equal((await journal(page)).total_checkins, n0, 'nothing was saved');
  assert.deepEqual(t.errors, []);
});

test('a failed save says so, keeps what was typed, and can be sent again', async (t) => {
  const page = await openPage(t, { hash: '#journal' });
  await journalReady(page);
  await page.route('**/api/v1/journal/checkins', (route) => route.fulfill({
    status: 503, contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'db_unavailable', message: 'the journal file is locked by another program' } })
  }));
  await page.fill('#jf-pain', '3');
  await page.click('#jf-save');
  await page.waitForSelector('#jf-err:not([hidden])');
  assert.match(await page.textContent('#jf-err'), /Not saved: the journal file is locked/);
  assert.equal(await page.inputValue('#jf-pain'), '3');
  await page.unroute('**/api/v1/journal/checkins');
  await save(page);
  assert.equal(await page.locator('#jl-items > li').first().getAttribute('data-pain'), '3');
});

test('after a consultation and a check-in with short relief, the revised plan says what changed and why', async (t) => {
  const page = await openPage(t);
  await toResult(page);
  const firstCause = await page.getAttribute('.kf-causes > li >> nth=0', 'data-cause');
  await openJournal(page);
  /* The plan is there now; its steps are offered in the form. */
  await page.waitForSelector('#jp-steps > li');
  assert.equal(await page.locator('#jp-none').count(), 0);
  const steps = await page.$$eval('#jp-steps > li', (ls) => ls.map((l) => l.getAttribute('data-technique')));
  for (const s of steps) {
    assert.equal(await page.locator(`#jf-did input[data-technique="${s}"]`).count(), 1, 'the form offers ' + s);
  }
  /* Massage on the sore spot, relief gone in two hours. */
  await page.fill('#jf-pain', '6');
  await page.selectOption('#jf-where', 'medial_border');
  await page.selectOption('#jf-side', 'left');
  await page.check('#jf-did input[value="massage"]');
  await page.fill('#jf-relief', '2');
  await save(page);
  /* What changed and why, in plain words. */
  const why = page.locator('#jp-why li[data-finding="relief_short"]');
  assert.equal(await why.count(), 1, 'short relief is a finding now');
  assert.match(await why.textContent(), /faded within (hours|the day)/);
  const kinds = await page.$$eval('#jp-why > li', (ls) => ls.map((l) => l.getAttribute('data-kind')));
  assert.ok(kinds.includes('cause_up'), 'a cause moved up: ' + kinds.join(', '));
  assert.ok(await page.locator('#jp-causes > li[data-move="up"]').count() >= 1);
  const moved = await page.textContent('#jp-causes > li[data-move="up"] .kf-j-move');
  assert.match(moved, /up from \d+%/);
  assert.match(await page.textContent('#jp-basis'), /\d+ check-ins?\./);
  assert.ok(await page.locator('#jp-steps > li').count() >= 1);
  assert.ok(firstCause, 'the result had a first cause');
  /* "Log how it went" on a step of the revised plan fills in the form. */
  const step = page.locator('#jp-steps > li').first();
  const tech = await step.getAttribute('data-technique');
  await step.locator('.kf-j-log').click();
  await page.waitForSelector('#jf-prefilled');
  await journalReady(page);
  const ticks = await page.$$eval('#jf-did input', (cs) => cs.map((c) => c.value + (c.checked ? '+' : '')));
  assert.ok(ticks.includes(tech + '+'), `${tech} is ticked: ${ticks.join(' ')}`);
  assert.equal(await page.inputValue('#jf-where'), 'medial_border');
  assert.equal(await page.inputValue('#jf-side'), 'left');
  assert.deepEqual(await unnamed(page), []);
  assert.deepEqual(t.errors, []);
});

test('after a plan timer finishes, "How did it go?" opens the check-in form filled in with that step', async (t) => {
  const page = await openPage(t, { clock: true });
  await toResult(page);
  const step = page.locator('#r-body [data-kf="first-step"]:has(.kf-timer)').first();
  const tech = await step.getAttribute('data-technique');
  const name = await step.locator('h3').textContent();
  assert.equal(await step.locator('.kf-j-howdid').count(), 0, 'nothing offered before the timer ends');
  await step.locator('.kf-timer-start').click();
  await page.clock.runFor(2000);
  assert.equal(await step.locator('.kf-j-howdid').count(), 0, 'nor while it runs');
  await page.clock.runFor(3 * 3600 * 1000);
  assert.equal(await step.locator('.kf-timer').getAttribute('data-state'), 'done');
  const offer = step.locator('.kf-j-howdid');
  await offer.waitFor();
  assert.match(await offer.textContent(), /How did it go\?/);
  await offer.locator('button').click();
  await journalReady(page);
  const pre = await page.textContent('#jf-prefilled');
  assert.ok(pre.includes(name), `the form names the step: ${pre}`);
  assert.equal(await page.isChecked(`#jf-did input[data-technique="${tech}"]`), true, tech + ' is ticked');
  const ticked = await page.$$eval('#jf-did input:checked', (cs) => cs.map((c) => c.value));
  assert.deepEqual(ticked, [tech], 'and only it');
  assert.equal(await page.inputValue('#jf-where'), 'medial_border', 'where it hurts comes from the consultation');
  assert.equal(await page.inputValue('#jf-side'), 'left');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'jf-pain', 'ready to type the pain');
  await page.keyboard.type('3');
  await page.fill('#jf-relief', '0');
  await save(page);
  const j = await journal(page);
  const c = j.checkins[j.checkins.length - 1];
  assert.deepEqual([c.pain, c.did, c.relief_hours, c.where, c.side], [3, [tech], 0, 'medial_border', 'left']);
  const top = await page.textContent('#jl-items > li >> nth=0');
  assert.ok(top.includes(name), 'the list names the step: ' + top);
  assert.match(top, /No relief/);
  assert.equal(await page.locator('#jf-prefilled').count(), 0, 'the next check-in starts empty');
  /* Back returns to the result, timers and all. */
  await page.click('#j-back');
  await page.waitForSelector('body[data-view="result"]');
  assert.deepEqual(t.errors, []);
});

test('a check-in opened from the header starts on the place and side of the kept consultation, not "Not this time"', async (t) => {
  /* A consultation kept (medial_border, left: toResult), then a fresh page
   * with nothing described on it: the place comes from the journal. */
  await toResult(await openPage(t));
  const page = await openPage(t, { viewport: { width: 390, height: 844 }, touch: true });
  await openJournal(page);
  assert.equal(await page.locator('#jf-prefilled').count(), 0, 'not filled in for a step');
  assert.equal(await page.inputValue('#jf-where'), 'medial_border', 'where: the kept consultation\'s place');
  assert.equal(await page.isVisible('#jf-side'), true, 'the side is asked for a sided place');
  assert.equal(await page.inputValue('#jf-side'), 'left', 'and starts on its side');
  /* "Not this time" is still there to leave it out. */
  const first = await page.$eval('#jf-where option', (o) => [o.value, o.textContent]);
  assert.deepEqual(first, ['', 'Not this time']);
  await page.selectOption('#jf-where', '');
  assert.equal(await page.isVisible('#jf-side'), false);
  assert.deepEqual(t.errors, []);
});

test('the chart is read as SVG and cleaned: no scripts, no handlers, no outside links', async (t) => {
  const page = await openPage(t);
  const evil = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ' +
    'width="720" height="300" viewBox="0 0 720 300" onload="window.__bad=1" aria-labelledby="t"><title id="t">Pain</title>' +
    '<script>window.__bad=2</script><circle cx="10" cy="10" r="3" onclick="window.__bad=3" style="fill:url(http://x/y)"/>' +
    '<a href="javascript:window.__bad=4"><text x="1" y="1">link</text></a><image href="http://example.invalid/x.png"/>' +
    '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="window.__bad=5"/></div></foreignObject>' +
    '<use xlink:href="http://example.invalid/s.svg#a"/><rect width="5" height="5" fill="url(#g)"/></svg>';
  await page.route('**/api/v1/journal/history', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({ days: [{ day: '2026-01-02', n: 1, mean: 5, min: 5, max: 5, did: false }], svg: evil })
  }));
  await openJournal(page);
  const svg = page.locator('#jc-figure svg');
  assert.equal(await svg.count(), 1);
  const found = await page.evaluate(() => {
    const s = document.querySelector('#jc-figure svg');
    const all = [s, ...s.querySelectorAll('*')];
    return {
      bad: window.__bad || 0,
      tags: all.map((e) => e.localName).join(' '),
      attrs: all.flatMap((e) => [...e.attributes].map((a) => a.name + '=' + a.value))
    };
  });
  assert.equal(found.bad, 0);
  assert.doesNotMatch(found.tags, /script|foreignObject|image|use|\ba\b|img|div/);
  assert.ok(!found.attrs.some((a) => /^on|^style=|href/.test(a)), found.attrs.join(' '));
  assert.ok(found.attrs.includes('fill=url(#g)'), 'a reference inside the chart stays');
  assert.ok(found.attrs.includes('id=jc-svg-t'));
  /* Something that is not SVG at all: the numbers are still there. */
  await page.unroute('**/api/v1/journal/history');
  await page.route('**/api/v1/journal/history', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({ days: [{ day: '2026-01-02', n: 2, mean: 5.5, min: 5, max: 6, did: true }], svg: '<html><b>oops' })
  }));
  await page.click('#j-back');
  await page.waitForSelector('body[data-view="start"]');
  await openJournal(page);
  assert.equal(await page.locator('#jc-figure svg').count(), 0);
  assert.match(await page.textContent('#jc-figure'), /could not be drawn/);
  assert.equal(await page.locator('#jc-body table tbody tr').count(), 1);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
  assert.equal(await page.evaluate(() => window.__bad || 0), 0);
});

test('the journal on a phone: no sideways scrolling, named controls, big enough targets', async (t) => {
  const page = await openPage(t, { viewport: { width: 360, height: 740 }, touch: true, hash: '#journal' });
  await journalReady(page);
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 0, `the journal is ${over}px wider than the phone`);
  await page.tap('#nav-journal');
  /* Boxes to type in and lists are at least 40 px high; a tick box counts
   * with its label, which takes the tap too. */
  const small = await page.$$eval('#view-journal input[type="number"], #view-journal select, #view-journal textarea, ' +
    '#view-journal .kf-check, #nav-journal', (bs) => bs.filter((b) => {
    const r = b.getBoundingClientRect();
    return r.width > 0 && r.height < 40;
  }).map((b) => b.id || b.outerHTML.slice(0, 60)));
  assert.deepEqual(small, [], 'controls are big enough to tap');
  const buttons = await page.$$eval('#view-journal button', (bs) => bs.filter((b) => {
    const r = b.getBoundingClientRect();
    return r.width > 0 && (r.height < 36 || r.width < 36);
  }).map((b) => b.textContent));
  assert.deepEqual(buttons, [], 'buttons are at least 36 px');
  /* The chart keeps a readable size in its own sideways-scrolling box. */
  const chart = await page.evaluate(() => {
    const s = document.getElementById('jc-scroll');
    return { scrolls: s.scrollWidth > s.clientWidth, tab: s.getAttribute('tabindex'), label: s.getAttribute('aria-label') };
  });
  assert.deepEqual(chart, { scrolls: true, tab: '0', label: 'Pain chart; scroll sideways for earlier days' });
  /* The slider sets the pain with a thumb. */
  await page.locator('#jf-pain-range').fill('7');
  assert.equal(await page.inputValue('#jf-pain'), '7');
  assert.equal(await page.textContent('#jf-pain-words'), '7 out of 10: severe');
  assert.deepEqual(await unnamed(page), []);
  assert.deepEqual(t.errors, []);
});

test('a page of another site that points its name at this computer (DNS rebinding) can neither read nor write the journal', async (t) => {
  const page = await openPage(t);
  await page.evaluate(() => fetch('/api/v1/journal/checkins', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ pain: 4, note: 'mine alone' })
  }));
  const mine = await journal(page);
  assert.ok(mine.checkins.length > 0, 'there are check-ins to steal');
  /* The attacker's name points at 127.0.0.1 (harness.mjs maps rebind.test
   * there), so its page and its requests reach knotfinder as if knotfinder
   * were its own origin: same-origin to the browser, and no CORS stops the
   * page from reading the answers.  Only the server can tell. */
  const evil = 'http://rebind.test:' + new URL(base).port + '/';
  const ctx = await browser.newContext();
  t.cleanup.push(() => ctx.close());
  const bad = await ctx.newPage();
  await bad.goto(evil);
  const got = await bad.evaluate(async () => {
    const out = {};
    for (const path of ['/api/v1/journal', '/api/v1/journal/history', '/api/v1/journal/plan', '/']) {
      try {
        const r = await fetch(path);
        out[path] = { status: r.status, text: await r.text() };
      } catch (e) { out[path] = { status: 0, text: String(e) }; }
    }
    try {
      const r = await fetch('/api/v1/journal/checkins', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ pain: 9, note: 'written by another site' })
      });
      out.post = { status: r.status, text: await r.text() };
    } catch (e) { out.post = { status: 0, text: String(e) }; }
    return out;
  });
  for (const [what, r] of Object.entries(got)) {
    assert.equal(r.status, 421, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.ok(!/checkins|<svg|pain/.test(r.text.replace(/[^]*"message"/, '')),
              `${what} gave nothing of the journal away`);
  }
  const after = await journal(page);
  assert.deepEqual(after.checkins.map((c) => c.id), mine.checkins.map((c) => c.id),
                   'no check-in was added from the other site');
  assert.deepEqual(t.errors, []);
});

test('a hostile page on another origin can neither write nor read the journal (a form POST, fetches, an iframe), and the journal keeps what it had', async (t) => {
  const page = await openPage(t);
  await page.evaluate(() => fetch('/api/v1/journal/checkins', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ pain: 3, note: 'before the attack' })
  }));
  const mine = await journal(page);
  const api = base.replace(/\/$/, '');
  /* The attacker's own site: another web server on this computer (another
   * origin, and one the browser lets reach a loopback address), with a
   * form of every kind, fetches with and without CORS, and the app in a
   * frame. */
  const html = `<!doctype html>
    <form id="f1" method="post" action="${api}/api/v1/journal/checkins" enctype="text/plain" target="sink">
      <input name='{"pain":9,"note":"forged","x":"' value='"}'></form>
    <form id="f2" method="post" action="${api}/api/v1/journal/checkins" target="sink2"><input name="pain" value="9"></form>
    <form id="f3" method="post" action="${api}/api/v1/journal" target="sink3"><input name="_method" value="DELETE"></form>
    <iframe name="sink"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe>
    <iframe id="app" src="${api}/"></iframe>`;
  const evil = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(html); });
  await new Promise((ok) => evil.listen(0, '127.0.0.1', ok));
  t.cleanup.push(() => new Promise((ok) => evil.close(ok)));
  const ctx = await browser.newContext();
  t.cleanup.push(() => ctx.close());
  const bad = await ctx.newPage();
  const posts = [];
  let framedCsp = null;
  bad.on('response', (r) => {
    if (r.url().startsWith(api + '/api/')) posts.push(r.status());
    if (r.url() === api + '/') framedCsp = r.headers()['content-security-policy'] || '';
  });
  await bad.goto('http://localhost:' + evil.address().port + '/');
  for (const f of ['f1', 'f2', 'f3']) {
    await Promise.all([bad.waitForResponse((r) => r.url().startsWith(api + '/api/')), bad.evaluate((id) => document.getElementById(id).submit(), f)]);
  }
  const got = await bad.evaluate(async (api) => {
    const out = [];
    const tries = [
      [api + '/api/v1/journal/checkins', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{"pain":9}' }],
      [api + '/api/v1/journal/checkins', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"pain":9}' }],
      [api + '/api/v1/journal', { method: 'DELETE' }],
      [api + '/api/v1/journal', {}]
    ];
    for (const [u, o] of tries) {
      try { const r = await fetch(u, o); out.push(r.type === 'opaque' ? 'opaque' : r.status + ' ' + (await r.text()).slice(0, 80)); }
      catch (e) { out.push('refused: ' + e.message); }
    }
    return out;
  }, api);
  /* Every request that reached the server was refused with 403 or 415. */
  assert.ok(posts.length >= 3, 'the forms reached the server: ' + posts);
  for (const st of posts) assert.ok(st === 403 || st === 415, 'refused: ' + posts.join(','));
  for (const g of got) assert.ok(/^(opaque|refused)/.test(g), 'nothing read: ' + g);
  /* The app will not draw inside another site's frame. */
  const framed = bad.frames().find((f) => f.url().startsWith(api));
  const drawn = framed ? await framed.evaluate(() => !!document.getElementById('words')).catch(() => false) : false;
  assert.match(String(framedCsp), /frame-ancestors 'none'/, 'the framed page was answered, with frame-ancestors');
  assert.equal(drawn, false, 'frame-ancestors: the app is not shown in a frame');
  const after = await journal(page);
  assert.deepEqual(after.checkins.map((c) => c.id), mine.checkins.map((c) => c.id), 'nothing added or deleted');
  assert.deepEqual(after.consultations.map((c) => c.id), mine.consultations.map((c) => c.id));
  assert.deepEqual(t.errors, []);
});

test('the start page says what is kept and where; unticked, a consultation is not kept', async (t) => {
  const page = await openPage(t);
  await page.waitForFunction(() => document.getElementById('kept-path').textContent.includes('.db'));
  const line = await page.textContent('#kept-where');
  assert.match(line, /your words, what knotfinder understood/);
  assert.match(line, /\.db\)/, 'the journal file is named');
  assert.equal(await page.isChecked('#keep'), true, 'kept unless unticked');
  const n0 = (await journal(page)).consultations.length;
  await page.uncheck('#keep');
  await toResult(page);
  assert.equal((await journal(page)).consultations.length, n0, 'unticked: nothing kept');
  await page.click('#r-restart');
  await page.waitForSelector('body[data-view="start"]');
  await page.check('#keep');
  await page.fill('#words', 'a tight knot on top of my right shoulder from carrying my bag on that side every day');
  await page.click('#start-go');
  await answerUntilResult(page);
  assert.equal((await journal(page)).consultations.length, n0 + 1, 'ticked: kept');
  assert.deepEqual(t.errors, []);
});

test('Delete forgets one check-in or one consultation for good; Delete everything empties the journal', async (t) => {
  const page = await openPage(t);
  page.on('dialog', (d) => d.accept());
  await openJournal(page);
  const j0 = await journal(page);
  assert.ok(j0.checkins.length >= 2 && j0.consultations.length >= 1, 'something to delete');
  const ci = j0.checkins[j0.checkins.length - 1];
  await page.click(`#jl-items li[data-id="${ci.id}"] .kf-j-forget`);
  await page.waitForFunction((id) => !document.querySelector(`#jl-items li[data-id="${id}"]`) &&
    document.body.getAttribute('data-journal') === 'ready', ci.id);
  const j1 = await journal(page);
  assert.equal(j1.checkins.length, j0.checkins.length - 1);
  assert.ok(!j1.checkins.some((c) => c.id === ci.id), 'that check-in is gone');
  const co = j1.consultations[j1.consultations.length - 1];
  await page.click(`#jk-items li[data-id="${co.id}"] .kf-j-forget`);
  await page.waitForFunction((id) => !document.querySelector(`#jk-items li[data-id="${id}"]`) &&
    document.body.getAttribute('data-journal') === 'ready', co.id);
  const j2 = await journal(page);
  assert.equal(j2.consultations.length, j1.consultations.length - 1);
  assert.ok(!j2.consultations.some((c) => c.id === co.id), 'that consultation is gone');
  /* A "no" to the question deletes nothing. */
  page.removeAllListeners('dialog');
  page.on('dialog', (d) => d.dismiss());
  await page.click('#jk-all');
  assert.equal((await journal(page)).checkins.length, j2.checkins.length);
  page.removeAllListeners('dialog');
  page.on('dialog', (d) => d.accept());
  await page.click('#jk-all');
  await page.waitForSelector('#jk-none');
  await page.waitForSelector('#jl-none');
  const j3 = await journal(page);
  assert.deepEqual([j3.checkins.length, j3.consultations.length], [0, 0]);
  assert.deepEqual(await unnamed(page), []);
  assert.deepEqual(t.errors, []);
});

test('a warning sign written in a check-in\'s note leads the journal (focused, with the call button) and stands above the answer and the start page; an aside does not; deleting that check-in clears it', async (t) => {
  const page = await openPage(t, { viewport: { width: 390, height: 844 }, touch: true });
  page.on('dialog', (d) => d.accept());
  await toResult(page);
  assert.equal(await page.getAttribute('[data-kf="triage"]', 'data-level'), 'self_care');
  await openJournal(page);
  const warn = page.locator('[data-kf="journal-warning"]');
  /* An aside, a negation: nothing. */
  await page.fill('#jf-pain', '5');
  await page.click('#jf .kf-j-more summary');
  await page.fill('#jf-note', 'the ball helped, no numbness and no chest pain today');
  await save(page);
  assert.ok(!(await warn.isVisible()), 'an aside is no warning');
  /* Numb, weak legs written in the note. */
  await page.fill('#jf-pain', '7');
  await page.click('#jf .kf-j-more summary');
  await page.fill('#jf-note', 'since this morning my legs feel weak and numb');
  await save(page);
  assert.ok(await warn.isVisible(), 'the warning shows above the form');
  assert.equal(await warn.locator('.kf-banner').getAttribute('data-level'), 'emergency');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'j-warning-box', 'the warning takes the focus');
  const call = await warn.locator('[data-kf="emergency-call"]').boundingBox();
  const vy = await page.evaluate(() => window.scrollY);
  assert.ok(call && call.y >= 0 && call.y + call.height <= 844, 'the call button is on the screen after saving: ' + JSON.stringify(call) + ' scroll ' + vy);
  assert.match(await warn.textContent(), /legs/);
  assert.match(await warn.locator('[data-kf="warning-from"]').textContent(), /check-in/);
  assert.doesNotMatch(await warn.textContent(), /SEE A DOCTOR|EMERGENCY:/, 'no shouting title said twice');
  assert.match(await page.textContent('#jf-saved'), /warning sign/);
  /* The plan says it first, tagged as a warning sign; no second banner in the plan. */
  assert.equal(await page.getAttribute('#jp-why li:first-child', 'data-finding'), 'leg_weakness');
  assert.equal(await page.textContent('#jp-why li:first-child .kf-tag'), 'warning sign');
  assert.equal(await page.locator('#jp-body .kf-banner.kf-level-emergency').count(), 0);
  /* Back on the answer: the warning stands above it; its "no warning signs" is gone. */
  await page.click('#j-back');
  await page.waitForSelector('body[data-view="result"]');
  const later = page.locator('[data-kf="note-warning"]');
  assert.ok(await later.isVisible(), 'above the answer');
  assert.equal(await later.locator('.kf-banner').getAttribute('data-level'), 'emergency');
  assert.ok(await later.locator('[data-kf="emergency-call"]').count() === 1);
  assert.ok(!(await page.locator('[data-kf="triage"]').isVisible()), 'the answer\'s "self-care is fine" is not shown beside it');
  const lb = await later.boundingBox(), fs = await page.locator('[data-kf="first-steps"]').boundingBox();
  assert.ok(lb.y < fs.y, 'before the first steps');
  /* A new visit to the start page: it is there too. */
  const p2 = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  t.cleanup.push(() => p2.context().close());
  await p2.goto(base);
  await p2.waitForSelector('[data-kf="note-warning"]:not([hidden]) [data-kf="emergency-call"]');
  /* Deleting that check-in clears it. */
  await openJournal(page);
  const ci = (await journal(page)).checkins.slice(-1)[0];
  assert.match(ci.note, /legs/);
  await page.click(`#jl-items li[data-id="${ci.id}"] .kf-j-forget`);
  await page.waitForFunction((id) => !document.querySelector(`#jl-items li[data-id="${id}"]`) &&
    document.body.getAttribute('data-journal') === 'ready', ci.id);
  assert.ok(!(await warn.isVisible()), 'gone from the journal');
  await page.click('#j-back');
  await page.waitForSelector('body[data-view="result"]');
  assert.ok(!(await later.isVisible()), 'gone from the answer');
  assert.deepEqual(t.errors, []);
});

/* ---- runner ----------------------------------------------------------------- */

test('after a description with a warning sign, the journal says it first, above the form, with the call button; a later ordinary one clears it', async (t) => {
  const page = await openPage(t, { viewport: { width: 390, height: 844 }, touch: true });
  await page.fill('#words', "sudden crushing chest pain spreading to my left arm and I'm sweating");
  await page.click('#start-go');
  await page.waitForSelector('#view-result:not([hidden])');
  assert.equal(await page.getAttribute('[data-kf="triage"]', 'data-level'), 'emergency');
  await openJournal(page);
  const warn = page.locator('[data-kf="journal-warning"]');
  assert.ok(await warn.isVisible(), 'the warning shows');
  assert.equal(await warn.locator('.kf-banner').getAttribute('data-level'), 'emergency');
  const call = await warn.locator('[data-kf="emergency-call"]').boundingBox();
  const form = await page.locator('#j-form-card').boundingBox();
  assert.ok(call && call.y + call.height <= 844, 'the call button is in the first phone screen');
  assert.ok(form.y > call.y, 'above the check-in form');
  /* An ordinary description after it: no warning above the form. */
  await page.click('#j-back');
  await page.click('#r-restart');
  await toResult(page);
  await openJournal(page);
  assert.ok(!(await warn.isVisible()), 'no warning for an ordinary latest description');
});

runSuite(tests, { prefix: 'journal: ', timeoutMs: TEST_MS, what: 'the journal browser tests',
                  onBrowser: (b) => { browser = b; } });
