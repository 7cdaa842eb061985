// The wasm GEMM harness (bench/wasm/gemm_bench.cpp, SIMD128 and relaxed-SIMD builds) in headless
// Chromium: each single-file program runs as a classic script on a blank page that is cross-origin
// isolated (scripts/serve.mjs), so performance.now() has 5 us steps, not 100 us (the harness
// times ~0.5 ms rounds); its JSON line is its last console message.
//   node bench/js/gemm-browser.mjs <seconds per shape> <out.json>
import { readFileSync, writeFileSync } from 'node:fs';

import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';

const [seconds = '0.3', outFile] = process.argv.slice(2);
const programs = { simd128: 'build/wasm/attn_wasm_gemm_bench.cjs', relaxed: 'build/wasm/attn_wasm_gemm_bench_relaxed.cjs' };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const server = await startServer(0);
const out = { browserVersion: browser.version() };
try {
  for (const [name, path] of Object.entries(programs)) {
    const page = await browser.newPage();
    const lines = [];
    page.on('console', (m) => lines.push(m.text()));
    page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${server.address().port}/bench/js/blank.html`);
    if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('the GEMM page is not cross-origin isolated');
    await page.addScriptTag({ content: `var Module = { arguments: [${JSON.stringify(seconds)}] };` });
    await page.addScriptTag({ content: readFileSync(path, 'utf8') });
    await page.waitForFunction(() => window.Module?.calledRun, null, { timeout: 300_000 });
    const json = lines.reverse().find((l) => l.startsWith('{'));
    if (!json) throw new Error(`${path} printed no result in Chromium:\n${lines.reverse().join('\n')}`);
    out[name] = JSON.parse(json);
    console.error(`chromium gemm ${name}: ${out[name].gemm_gflops.filter((g) => g.n === 256).map((g) => `${g.variant} ${g.gflops_best}`).join(', ')} GFLOP/s at n=256`);
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
if (outFile) writeFileSync(outFile, JSON.stringify(out, null, 1));
else console.log(JSON.stringify(out, null, 1));
