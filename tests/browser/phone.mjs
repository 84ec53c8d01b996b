// phone.mjs — the journal view on a phone (390 x 844, touch) in headless
// Chromium: the page never scrolls sideways (not with the long path of the
// journal file, nor with a long unbroken word in a note), the revised plan
// comes before the check-in form and starts on the first screen (after the
// warning, when the latest description has one), and its steps are the
// revision's own first steps (the ones the CLI's `plan` prints) with no CLI
// command on the page.
//
//   node tests/browser/phone.mjs http://127.0.0.1:PORT/
//
// Needs a server on an EMPTY journal kept at a long path (run.sh starts one).
// The closing line is "N passed, N failed".
import assert from 'node:assert/strict';
import { runSuite } from './harness.mjs';

const base = process.argv[2] || process.env.KF_BASE_URL;
if (!base) {
  console.error('usage: node phone.mjs BASE_URL');
  console.log('0 passed, 1 failed');
  process.exit(2);
}
const PHONE = { width: 390, height: 844 };
let browser;
const tests = [];
function test(name, fn) { tests.push({ name, fn }); }

async function openPhone(t) {
  const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  t.cleanup.push(() => ctx.close());
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  t.page = page;
  page.on('pageerror', (e) => t.errors.push('page error: ' + e.message));
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}
async function openJournal(page) {
  await page.evaluate(() => document.body.removeAttribute('data-journal'));
  await page.click('#nav-journal');
  await page.waitForSelector('body[data-view="journal"][data-journal="ready"]');
}
/* A consultation kept in the journal, then check-ins (hours apart). */
async function seed(page, text, checkins) {
  await page.evaluate(async ([text, checkins]) => {
    const post = (path, b) => fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                            body: JSON.stringify(b) }).then((r) => { if (!r.ok) throw new Error(path + ' ' + r.status); });
    await post('/api/v1/consult', { text, keep: true });
    for (let i = 0; i < checkins.length; i++)
      await post('/api/v1/journal/checkins', Object.assign({
        at: new Date(Date.now() - (checkins.length - i) * 3 * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z') }, checkins[i]));
  }, [text, checkins]);
}
/* The page's width and what sticks out past the screen's right edge. */
const overflow = (page) => page.evaluate(() => ({
  sw: document.documentElement.scrollWidth,
  wide: Array.from(document.querySelectorAll('body *')).filter((e) => {
    if (e.closest('.kf-j-scroll, .kf-j-numbers, [hidden]')) return false;   /* scrolls inside its own box */
    const r = e.getBoundingClientRect();
    return r.width && r.right > window.innerWidth + 1;
  }).slice(0, 5).map((e) => e.tagName + '.' + e.className + '#' + e.id)
}));
const top = (page, sel) => page.evaluate((s) => {
  const e = document.querySelector(s);
  if (!e || e.closest('[hidden]')) return null;
  return Math.round(e.getBoundingClientRect().top + window.scrollY);
}, sel);

test('no sideways scrolling, the plan above the form, its steps the revision\'s first steps', async (t) => {
  const page = await openPhone(t);
  await seed(page, 'I sit hunched at a desk all day with rounded shoulders and have a knot between my shoulder blades',
    [1, 2, 3, 4, 5, 6].map(() => ({ pain: 6, where: 'between_blades', did: ['doorway_chest_stretch'], relief_hours: 3,
                                     note: 'https://example.org/a_very_long_address_without_any_space_or_hyphen_in_it_at_all' })));
  await openJournal(page);
  const kept = await page.innerText('#jk-body');
  assert.ok(/\/\S{60,}\.db/.test(kept), 'the page names the journal file by its long path: ' + kept.slice(0, 200));
  const o = await overflow(page);
  assert.ok(o.sw <= PHONE.width, `the page is ${o.sw} px wide on a ${PHONE.width} px screen: ${o.wide.join(', ')}`);
  assert.deepEqual(o.wide, [], 'nothing sticks out past the screen');
  const plan = await top(page, '#j-plan'), form = await top(page, '#j-form-card'), steps = await top(page, '#jp-steps');
  assert.ok(plan !== null && form !== null && steps !== null, 'the plan, its steps and the form are shown');
  assert.ok(plan < form && steps < form, `the revised plan (${plan}, steps ${steps}) comes before the check-in form (${form})`);
  assert.ok(plan < PHONE.height, `the revised plan starts on the first screen (at ${plan} px)`);
  /* The first step itself is on the first screen; what changed and why comes after the steps. */
  const step1 = await top(page, '#jp-steps > li'), why = await top(page, '#jp-why');
  assert.ok(step1 !== null && step1 < PHONE.height - 60, `the first revised step is on the first screen (at ${step1} px)`);
  assert.ok(why === null || why > steps, `the steps (${steps}) come before what changed (${why})`);
  const rev = await page.evaluate(() => fetch('/api/v1/journal/plan').then((r) => r.json()));
  const want = rev.result.first_steps.map((s) => s.technique);
  const shown = await page.$$eval('#jp-steps > li', (ls) => ls.map((l) => l.getAttribute('data-technique')));
  assert.deepEqual(shown, want, 'the steps shown are the revision\'s first steps, in order');
  assert.ok(!shown.includes('doorway_chest_stretch'), 'the stretch whose relief did not last is not among them');
  const text = await page.innerText('#j-plan');
  assert.ok(!/knotfinder\s+(do|log|plan)\b/.test(text), 'no CLI command on the web page');
  assert.ok(!/\b[a-z]+_[a-z_]+\b/.test(await page.innerText('#jp-why')), 'the changes name techniques, never their ids');
  for (const c of rev.changes.filter((c) => c.kind === 'plan_add'))
    assert.ok(want.includes(c.technique), `"New in the plan" ${c.technique} is one of the steps shown`);
  assert.deepEqual(t.errors, []);
});

test('a warning first, then the plan, then the form', async (t) => {
  const page = await openPhone(t);
  await seed(page, 'knot between my shoulder blades and now chest pain spreading to my left arm', []);
  await openJournal(page);
  const warn = await top(page, '#j-warning'), plan = await top(page, '#j-plan'), form = await top(page, '#j-form-card');
  assert.ok(warn !== null, 'the warning is shown');
  assert.ok(warn < plan && plan < form, `warning (${warn}) < plan (${plan}) < form (${form})`);
  assert.ok(warn < PHONE.height, 'the warning is on the first screen');
  const o = await overflow(page);
  assert.ok(o.sw <= PHONE.width, `the page is ${o.sw} px wide: ${o.wide.join(', ')}`);
  assert.deepEqual(t.errors, []);
});

/* An empty journal first: check-ins of earlier tests would join the story. */
async function forgetAll(page) {
  const st = await page.evaluate(() => fetch('/api/v1/journal', { method: 'DELETE',
    headers: { 'Content-Type': 'application/json' } }).then((r) => r.status));
  assert.ok(st >= 200 && st < 300, 'the journal is forgotten: ' + st);
}

test('after check-ins: the first step\'s Start on the first screen, its timer runs, no tag said twice', async (t) => {
  const page = await openPhone(t);
  await forgetAll(page);
  await seed(page, 'knot between my right shoulder blade and spine, I use the mouse all day with my right hand',
    [2, 2, 3].map((h) => ({ pain: 5, did: ['lat_pinch'], relief_hours: h })));
  await openJournal(page);
  const first = page.locator('#jp-steps > li').first();
  const start = first.locator('button', { hasText: 'Start' }).first();
  const box = await start.boundingBox();
  assert.ok(box && box.y + box.height <= PHONE.height, `the first step's Start is on the first screen (${box && Math.round(box.y)} px)`);
  const before = await first.innerText();
  await start.click();
  await page.waitForTimeout(2300);
  const after = await first.innerText();
  const secs = (txt) => { const m = txt.match(/(\d+):(\d\d)/); return m ? 60 * +m[1] + +m[2] : null; };
  assert.ok(secs(after) !== null && secs(after) < secs(before), `the timer counts down: ${secs(before)} -> ${secs(after)}`);
  /* the care note stays with the step, right under its timer */
  assert.ok(/Careful:/.test(after), 'the care note is in the step');
  const twice = await page.$$eval('#jp-why li', (lis) => lis.filter((li) => {
    const tag = li.querySelector('.kf-tag');
    return tag && li.textContent.slice(tag.textContent.length).toLowerCase().includes(tag.textContent.toLowerCase());
  }).map((li) => li.textContent.slice(0, 80)));
  assert.deepEqual(twice, [], 'no change says its tag twice');
  const why = await page.innerText('#jp-why');
  assert.ok(!/keeps? the lat/i.test(await page.innerText('#j-plan')), 'the revised plan does not give the ruled-out lat as the chain');
  assert.ok(/ruled out|not what keeps/i.test(why), 'what changed says the lat was ruled out');
  assert.deepEqual(t.errors, []);
});

test('a note\'s warning settled by a doctor: no warning above the plan, the change tagged settled', async (t) => {
  const page = await openPhone(t);
  await forgetAll(page);
  await seed(page, 'knot between my right shoulder blade and spine, I use the mouse all day with my right hand', [
    { pain: 5, note: 'this morning my legs went weak and numb' },
    { pain: 4, note: 'saw my GP about the leg weakness, she examined me and said it is nothing serious' }]);
  await openJournal(page);
  const rev = await page.evaluate(() => fetch('/api/v1/journal/plan').then((r) => r.json()));
  assert.equal(rev.result.triage.level, 'self_care');
  assert.equal(rev.note_settled.length, 1);
  assert.equal(await top(page, '#j-warning'), null, 'no warning above the plan');
  const tags = await page.$$eval('#jp-why .kf-j-tag-settled', (x) => x.length);
  assert.equal(tags, 1, 'the settled warning is tagged so');
  assert.deepEqual(t.errors, []);
});

test('thin bones, after the doctor\'s all-clear: self-care steps with their "For you" line, no banner said twice', async (t) => {
  const page = await openPhone(t);
  await forgetAll(page);
  await seed(page, "I'm 58 with osteoporosis (on tablets for it). Nagging knot between my right shoulder blade and spine " +
    'for a few months now, I spend the afternoons hunched over my sewing machine',
    [{ pain: 6, note: 'went to my GP, she examined my back and said there is no fracture, it is a muscle knot' }]);
  await openJournal(page);
  const first = page.locator('#jp-steps > li').first();
  assert.notEqual(await first.getAttribute('data-technique'), 'see_doctor', 'the steps start after the visit');
  assert.match(await first.innerText(), /For you: .*thin bones/s, 'the step says how to do it with thin bones');
  const banner = await page.locator('#jp-body .kf-banner').allInnerTexts();
  assert.ok(banner.every((b) => (b.match(/mention this to your doctor/gi) || []).length <= 1), 'the banner says it once: ' + banner);
  assert.deepEqual(t.errors, []);
});

runSuite(tests, { prefix: 'phone: ', timeoutMs: 90000, what: 'the phone browser tests',
                  onBrowser: (b) => { browser = b; } });
