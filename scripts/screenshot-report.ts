/**
 * Screenshots of a standalone HTML report for the docs (headless Chromium, light theme):
 *   npx tsx scripts/screenshot-report.ts out/demo-report.html docs
 * writes docs/report.png (the page's first screen and a half: header, verdict, ranking) and
 * docs/map.png (the embedding map section).
 */
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [html, outDir = 'docs'] = process.argv.slice(2);
if (!html) throw new Error('usage: tsx scripts/screenshot-report.ts <report.html> [outDir]');
const main = async (): Promise<void> => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage({ viewport: { width: 1360, height: 1300 } });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`file://${resolve(html)}`);
  await page.waitForSelector('body[data-scatter-ready="true"]', { timeout: 60_000 });
  await page.screenshot({ path: resolve(outDir, 'report.png') });
  await page.locator('#scatter-section').screenshot({ path: resolve(outDir, 'map.png') });
  await browser.close();
};

void main();
