// Screenshots of each page against a running node: node tests/shots.mjs ws://… outdir
import { launchBrowser, serveStatic } from './harness.mjs';
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
const [ws, out = 'test-output/shots'] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const server = await serveStatic(resolve('dist'));
const { browser, stop } = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && console.log('console:', m.text()));
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  for (const p of (process.env.PAGES || 'network,reputation,market,governance').split(',')) {
    await page.goto(`${server.url}/?rpc=${encodeURIComponent(ws)}#${p}`);
    await page.waitForSelector('body[data-connected=yes]', { timeout: 20000 });
    await page.waitForTimeout(Number(process.env.WAIT || 5000));
    await page.screenshot({ path: `${out}/${p}.png`, fullPage: true });
    console.log(`${out}/${p}.png`);
  }
} finally {
  await stop();
  await server.stop();
}
