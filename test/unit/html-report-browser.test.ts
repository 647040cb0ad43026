/**
 * Opens a generated standalone report in headless Chromium and checks that it draws: charts,
 * heatmap, the UMAP scatter (computed in the worker), with dataset markup shown as text and no
 * console errors or CSP violations. Set PL_REPORT_SCREENSHOT=path to save a screenshot.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/core/report/html.js';
import { buildReportAssets } from './report-assets.js';
import { fixturePayload, HOSTILE_NAME, HOSTILE_TEXT } from './report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`html-report-browser: skipped, ${CHROMIUM} is absent (apt-get install -y chromium)`);
}

describe.skipIf(!hasChromium)('standalone HTML report in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const payload = fixturePayload({ hostile: true });

  beforeAll(async () => {
    const assets = await buildReportAssets();
    const dir = mkdtempSync(join(tmpdir(), 'pl-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(payload, assets));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(file|blob|data):/.test(r.url())) problems.push(`network: ${r.url()}`);
    });
    // Browser-side code as strings: this test compiles without the DOM library.
    await page.addInitScript(`
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
      window.alert = (m) => window.__violations.push('alert(' + m + ')');
    `);
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.waitForSelector('body[data-scatter-ready="true"]', { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('draws every chart and the heatmap', async () => {
    // A drawn chart has non-transparent pixels.
    const charts = await page.evaluate<{ id: string; width: number; inked: number }[]>(`
      [...document.querySelectorAll('canvas')].map((c) => {
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
        return { id: c.id, width: c.width, inked };
      })
    `);
    const ids = charts.map((c) => c.id);
    for (const id of [
      'chart-priority',
      'chart-loss-all',
      'chart-loss-selected',
      'chart-head-bound',
      'chart-joint-loss',
      'chart-joint-accuracy',
      'chart-misalignment',
      'chart-rebalance-levels',
      'chart-rebalance-joint',
    ]) {
      expect(ids).toContain(id);
    }
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.inked, c.id).toBeGreaterThan(500);
    }
    const n = payload.report.priority.names.length;
    expect(await page.locator('#gap-heatmap rect.cell').count()).toBe(n * n);
    expect(await page.locator('#ranking-table tbody tr').count()).toBe(
      payload.report.behaviors.length,
    );
  });

  it('runs UMAP in the worker and plots every point of the behavior', async () => {
    const svg = page.locator('svg#scatter');
    expect(await svg.getAttribute('data-state')).toBe('umap');
    const behavior = (await svg.getAttribute('data-behavior'))!;
    const b = payload.scatter!.behaviors.indexOf(behavior);
    const expected = payload.scatter!.behavior.filter((x) => x === b).length;
    expect(await page.locator('svg#scatter circle').count()).toBe(expected);
    expect(Number(await svg.getAttribute('data-points'))).toBe(expected);
    expect(await page.locator('#scatter-count').textContent()).toContain(
      `of ${payload.scatter!.total} rows`,
    );
  });

  it('shows markup in names and texts literally', async () => {
    const row = page.locator('#ranking-table tbody tr').filter({ hasText: 'bold-behavior' });
    expect(await row.locator('td.name').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('#ranking-table b, #ranking-table script').count()).toBe(0);
    // Select the hostile behavior in the scatter, hover its markup statement.
    await page.selectOption('#scatter-behavior', HOSTILE_NAME);
    await page.waitForSelector(
      `svg#scatter[data-state="umap"][data-behavior="${HOSTILE_NAME.replace(/"/g, '\\"')}"]`,
      {
        timeout: 60_000,
      },
    );
    const hostile = payload.scatter!.text.indexOf(HOSTILE_TEXT);
    await page.locator(`svg#scatter circle[data-index="${hostile}"]`).hover({ force: true });
    const tooltip = page.locator('#scatter-tooltip .tooltip-text');
    await expect.poll(() => tooltip.textContent()).toBe(HOSTILE_TEXT);
    expect(await page.locator('#scatter-tooltip b, #scatter-tooltip script').count()).toBe(0);
    expect(await page.evaluate<string[]>('window.__violations')).toEqual([]);
  });

  it('handles clicks locally: a row reveal becomes a notice, the selection follows', async () => {
    const first = payload.report.behaviors[1];
    await page.locator(`#ranking-table tbody tr[data-behavior="${first.name}"]`).click();
    await expect
      .poll(() => page.locator('#toast').textContent())
      .toContain(`${first.files[0].file}:1`);
    expect(await page.locator('#curve-behavior').inputValue()).toBe(first.name);
    expect(await page.locator('#scatter-behavior').inputValue()).toBe(first.name);
    const shot = process.env.PL_REPORT_SCREENSHOT;
    if (shot) {
      await page.waitForSelector('body[data-scatter-ready="true"]');
      await page.screenshot({ path: shot, fullPage: true });
    }
  });

  it('turns a click on a scatter point into a reveal of its line', async () => {
    const point = page.locator('svg#scatter circle').first();
    const file = (await point.getAttribute('data-file'))!;
    const line = (await point.getAttribute('data-line'))!;
    await point.click({ force: true });
    await expect.poll(() => page.locator('#toast').textContent()).toContain(`${file}:${line}`);
  });

  it('redraws with the new colors when the theme changes', async () => {
    // The heatmap diagonal (gap 0) is drawn in the background color, read at render time.
    const diagonal = 'svg#gap-heatmap rect.cell[data-gap="0"]';
    const before = await page.locator(diagonal).first().getAttribute('fill');
    const charts = await page.locator('body').getAttribute('data-charts');
    await page.evaluate(`
      document.documentElement.style.setProperty('--vscode-editor-background', 'rgb(30, 30, 30)');
      document.body.classList.add('vscode-dark');
    `);
    await expect
      .poll(() => page.locator(diagonal).first().getAttribute('fill'))
      .toBe('rgb(30, 30, 30)');
    expect(before).toBe('rgb(255, 255, 255)');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('body').getAttribute('data-charts')).toBe(charts);
  });

  it('logged no errors, CSP violations or network requests', async () => {
    const violations = await page.evaluate<string[]>('window.__violations');
    expect([...problems, ...violations]).toEqual([]);
  });
});
