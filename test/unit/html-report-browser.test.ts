/**
 * Opens a generated standalone report in headless Chromium and checks that it draws: charts,
 * heatmap, the UMAP scatter (computed in the worker), with dataset markup shown as text and no
 * console errors or CSP violations. Set PL_REPORT_SCREENSHOT=path to save a screenshot.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml, type ReportAssets } from '../../src/core/report/html.js';
import { buildReportAssets } from './report-assets.js';
import { fixturePayload, HOSTILE_NAME, HOSTILE_TEXT } from './report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`html-report-browser: skipped, ${CHROMIUM} is absent (apt-get install -y chromium)`);
}

const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

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
      args: LAUNCH_ARGS,
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

/**
 * The VS Code face: a page shaped like the extension's panel (same CSP, worker named by a meta
 * tag, bundle loaded by URL) and a stand-in for acquireVsCodeApi. The worker must be fetched and
 * started from a blob URL, since a webview cannot start a worker from its resource origin.
 */
function panelHtml(): string {
  const nonce = 'panelnonce';
  const csp = [
    "default-src 'none'",
    "img-src 'self' data: blob:",
    `style-src 'self' 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    'worker-src blob:',
    "connect-src 'self'",
  ].join('; ');
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="preference-lens-worker" content="/umap-worker.js">
<link rel="stylesheet" href="/report.css"></head>
<body class="vscode-light"><div id="app"><p>waiting…</p></div>
<script nonce="${nonce}">
  window.__posted = [];
  let state;
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__posted.push(m),
    getState: () => state,
    setState: (s) => { state = s; },
  });
</script>
<script nonce="${nonce}" src="/webview.js"></script></body></html>`;
}

describe.skipIf(!hasChromium)('report webview page in Chromium (VS Code face)', () => {
  let browser: Browser;
  let server: Server;
  let page: Page;
  const problems: string[] = [];
  const payload = fixturePayload();

  beforeAll(async () => {
    const assets: ReportAssets = await buildReportAssets();
    const files: Record<string, [string, string]> = {
      '/index.html': [panelHtml(), 'text/html'],
      '/webview.js': [assets.webviewJs, 'text/javascript'],
      '/umap-worker.js': [assets.workerJs, 'text/javascript'],
      '/report.css': [assets.css, 'text/css'],
    };
    server = createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (req.url === '/favicon.ico') return void res.writeHead(204).end();
      res.writeHead(file ? 200 : 404, { 'content-type': file?.[1] ?? 'text/plain' });
      res.end(file?.[0] ?? 'not found');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !/^(blob|data):/.test(r.url()))
        problems.push(`network: ${r.url()}`);
    });
    await page.addInitScript(`
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    `);
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction('window.__posted.length > 0');
    await page.evaluate(
      (p) =>
        (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(
          { type: 'report', payload: p },
          '*',
        ),
      payload,
    );
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.waitForSelector('body[data-scatter-ready="true"]', { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
  });

  it('starts the UMAP worker from the fetched script and sends intents to the host', async () => {
    expect(await page.locator('svg#scatter').getAttribute('data-state')).toBe('umap');
    const b = payload.report.behaviors[0];
    await page.locator(`#ranking-table tbody tr[data-behavior="${b.name}"]`).click();
    await page.locator('#export-json').click();
    const posted = await page.evaluate<unknown[]>('window.__posted');
    expect(posted[0]).toEqual({ type: 'ready' });
    expect(posted).toContainEqual({ type: 'reveal', file: b.files[0].file, line: 1 });
    expect(posted.at(-1)).toEqual({ type: 'export', format: 'json' });
    const violations = await page.evaluate<string[]>('window.__violations');
    expect([...problems, ...violations]).toEqual([]);
  });
});
