// harness.mjs — the test runner shared by run.mjs and journal.mjs: launches
// Debian's chromium, runs each test with a time limit, prints "ok"/"FAIL"
// lines (a screenshot per test when KF_SHOTS=dir), closes what each test
// opened, and ends with "N passed, N failed" and the exit status.
//   KF_ONLY=text   runs only the tests whose name contains text
//   CHROMIUM=path  another chromium binary
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const shots = process.env.KF_SHOTS || '';
const only = process.env.KF_ONLY || '';
const exe = process.env.CHROMIUM || '/usr/bin/chromium';

// tests: [{name, fn(t)}]; t = {cleanup: [], page, errors: []}.
// opts: {prefix: 'journal: ', timeoutMs, what: 'the browser tests',
//        onBrowser(browser)} — onBrowser hands the browser to the file's helpers.
export async function runSuite(tests, opts) {
  const prefix = opts.prefix || '';
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: exe,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             /* A name of another site that points at this computer, as a
              * DNS-rebinding page would make it (journal.mjs). */
             '--host-resolver-rules=MAP rebind.test 127.0.0.1']
    });
    opts.onBrowser(browser);
    let passed = 0, failed = 0;
    for (const tc of tests) {
      if (only && !tc.name.includes(only)) continue;
      const t = { cleanup: [], page: null, errors: [] };
      const t0 = Date.now();
      let timer;
      try {
        await Promise.race([
          tc.fn(t),
          new Promise((_, rej) => {
            timer = setTimeout(() => rej(new Error(`timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
          })
        ]);
        passed++;
        console.log(`ok   ${prefix}${tc.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${prefix}${tc.name}\n     ${String(e && e.message || e).split('\n').join('\n     ')}`);
        if (t.errors.length) console.log('     browser: ' + t.errors.join('\n     browser: '));
      } finally {
        clearTimeout(timer);
        if (shots && t.page) {
          try {
            fs.mkdirSync(shots, { recursive: true });
            const name = (prefix + tc.name).replace(/\W+/g, '_').slice(0, 70) + '.png';
            await t.page.screenshot({ path: path.join(shots, name), fullPage: true });
          } catch (e) { /* a screenshot is a nicety */ }
        }
        for (const c of t.cleanup.reverse()) { try { await c(); } catch (e) { /* closing */ } }
      }
    }
    await browser.close();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  } catch (e) {
    console.log(`FAIL could not run ${opts.what}: ` + (e && e.message || e));
    try { if (browser) await browser.close(); } catch (e2) { /* closing */ }
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
