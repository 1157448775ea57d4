// Time to first render of the chat list: from navigation start until the
// first conversation row is on screen, in Debian's Chromium, signed in as the
// demo agent (or INBOX_EMAIL / INBOX_PASSWORD, e.g. a bench agent with
// 10,000 conversations). Median of N cold-cache loads.
//
//   make run                                   # in one terminal
//   node scripts/first-render.mjs [url] [runs] # in another
import { chromium } from '../node_modules/playwright-core/index.mjs';

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const runs = Number(process.argv[3] ?? 7);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
const results = [];
for (let i = 0; i < runs; i++) {
  // A new context each time: nothing cached, a fresh sign-in.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const res = await page.request.post(`${url}/api/auth/login`, {
    data: {
      email: process.env.INBOX_EMAIL ?? 'ana@demo.test',
      password: process.env.INBOX_PASSWORD ?? 'demo-password',
    },
    headers: { Origin: url },
  });
  if (res.status() !== 200) throw new Error(`sign-in failed: ${res.status()}`);
  await page.goto(url);
  await page.getByRole('option').first().waitFor();
  const ms = await page.evaluate(() => performance.now());
  const wasm = await page.evaluate(() =>
    performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).map((e) => e.duration)[0],
  );
  results.push({ ms, wasm });
  await context.close();
}
await browser.close();
const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(`first row on screen: median ${median.toFixed(0)} ms over ${runs} cold loads (min ${sorted[0].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)})`);
console.log(`wasm download+compile (resource timing): ${results.map((r) => r.wasm?.toFixed(0)).join(', ')} ms`);
