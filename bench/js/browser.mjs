// Drives bench/js/browser.html in headless Chromium (playwright-core + /usr/bin/chromium):
//   node bench/js/browser.mjs <ours|tfjs-cpu|tfjs-wasm> [--no-liftoff] [out.json]
//   (BENCH_MODELS=a,b limits the models, BENCH_SKIP=a,b leaves models out (listed as skipped);
//   BENCH_THREADS=n runs ours on n threads: the page is cross-origin isolated; BENCH_RELAXED=0
//   keeps ours on the SIMD128 module)
import { writeFileSync } from 'node:fs';

import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';

const args = process.argv.slice(2);
const noLiftoff = args.includes('--no-liftoff');
const [impl = 'ours', outFile] = args.filter((a) => a !== '--no-liftoff');
const server = await startServer(0);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', ...(noLiftoff ? ['--js-flags=--no-liftoff'] : [])],
});
try {
  const page = await browser.newPage();
  const threads = Number(process.env.BENCH_THREADS ?? 1);
  if (impl === 'tfjs-wasm' && threads > 1) {
    // TF.js' threaded module caps its pool at navigator.hardwareConcurrency / 2 (it assumes two
    // logical cores per physical one: init_with_threads_count clamps to num_logical_cores / 2),
    // so on this 2-core machine setThreadsCount(2) still runs 1 thread. Reporting twice the
    // threads asked for lets it run exactly that many.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setHardwareConcurrencyOverride', { hardwareConcurrency: 2 * threads });
  }
  page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
  const query = new URLSearchParams({ impl, ...(process.env.BENCH_MODELS ? { models: process.env.BENCH_MODELS } : {}),
    ...(process.env.BENCH_SKIP ? { skip: process.env.BENCH_SKIP } : {}),
    threads,
    ...(process.env.BENCH_RELAXED ? { relaxed: process.env.BENCH_RELAXED } : {}) });
  await page.goto(`http://127.0.0.1:${server.address().port}/bench/js/browser.html?${query}`);
  await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 600_000, polling: 500 });
  const error = await page.evaluate(() => window.benchError);
  if (error) throw new Error(`browser benchmark failed: ${error}`);
  const info = await page.evaluate(() => window.benchResult);
  info.impl = impl;
  info.flags = noLiftoff ? ['--js-flags=--no-liftoff'] : [];
  info.browserVersion = browser.version();
  for (const [key, r] of Object.entries(info.results)) {
    console.error(`chromium ${impl}${noLiftoff ? ' --no-liftoff' : ''}  ${key.padEnd(28)} median ${r.medianMs.toFixed(3)} ms  mean ${r.meanMs.toFixed(3)}  best ${r.bestMs.toFixed(3)}  (${r.runs} runs)`);
  }
  const json = JSON.stringify(info, null, 1);
  if (outFile) writeFileSync(outFile, json);
  else console.log(json);
} finally {
  await browser.close();
  server.close();
}
