/**
 * Opens a generated standalone report in headless Chromium and checks that it draws: charts,
 * heatmap, the embedding map with every row of the sidecar (drawn at once, no worker started),
 * one color per behavior across charts, dataset markup shown as text and no console errors or
 * CSP violations. Set PL_REPORT_SCREENSHOT=path (and PL_MAP_SCREENSHOT=path) to save screenshots.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml, type ReportAssets } from '../../src/core/report/html.js';
import { buildReportAssets } from './report-assets.js';
import type { ReportSidecar } from '../../src/shared/protocol.js';
import {
  FIXTURE_CLUSTERS,
  FIXTURE_FLAG_KINDS,
  fixturePayload,
  HOSTILE_NAME,
  HOSTILE_TEXT,
} from './report-fixture.js';

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
  // 120,000 rows on the map: the whole of a large mixture, not a sample.
  const payload = fixturePayload({ hostile: true, mapRows: 120_000, rowColumns: true });
  // Two rows set apart from the crowd (corners of the map), so pointing at them is unambiguous.
  const sc0 = payload.sidecar!;
  const hostileRow = sc0.text.indexOf(HOSTILE_TEXT);
  const [minX, maxX] = [Math.min(...sc0.x), Math.max(...sc0.x)];
  const [minY, maxY] = [Math.min(...sc0.y), Math.max(...sc0.y)];
  sc0.x[hostileRow] = maxX + 1;
  sc0.y[hostileRow] = maxY + 1;
  sc0.x[5] = minX - 1;
  sc0.y[5] = minY - 1;

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
      // Chromium's software GL notes read-backs as "performance" driver messages: not a fault.
      if (/GL Driver Message \(OpenGL, Performance/.test(m.text())) return;
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
      // The export must draw its map without computing it: count every worker started.
      // Long tasks on the main thread (issue #15: none over 100 ms while drawing).
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          window.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
      window.__workers = 0;
      const RealWorker = window.Worker;
      window.Worker = class extends RealWorker {
        constructor(...args) { super(...args); window.__workers++; }
      };
    `);
    const opened = Date.now();
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.waitForSelector('body[data-scatter-ready="true"]', { timeout: 60_000 });
    openMs = Date.now() - opened;
  });
  let openMs = 0;

  afterAll(async () => {
    await browser?.close();
  });

  it('draws every chart and the heatmap', async () => {
    // A drawn chart has non-transparent pixels.
    const charts = await page.evaluate<{ id: string; width: number; inked: number }[]>(`
      [...document.querySelectorAll('canvas[id^="chart-"]')].map((c) => {
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

  it('draws every row of the sidecar at once, without starting a worker', async () => {
    const map = page.locator('canvas#map');
    const rows = payload.sidecar!.rows;
    expect(rows).toBeGreaterThan(120_000);
    expect(Number(await map.getAttribute('data-rows'))).toBe(rows);
    expect(Number(await map.getAttribute('data-points'))).toBe(rows);
    expect(await map.getAttribute('data-renderer')).toMatch(/^(webgl2|canvas2d)$/);
    expect(await page.evaluate<number>('window.__workers')).toBe(0);
    expect(await page.locator('#scatter-count').textContent()).toContain(
      `${rows.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} rows shown`,
    );
    // Opened, laid out and drawn, 120k points included, in well under the old UMAP wait.
    expect(openMs).toBeLessThan(20_000);
    const drawMs = Number(await map.getAttribute('data-draw-ms'));
    console.log(
      `map: ${rows} rows, first draw ${drawMs} ms on the main thread, page ready in ${openMs} ms`,
    );
    // 67 ms measured here (issue #15's goal: no UI task over 100 ms); lenient for a busy machine.
    expect(drawMs).toBeLessThan(250);
    // The map has ink: read the WebGL canvas back through a 2D copy.
    const inked = await page.evaluate<number>(`(() => {
      const src = document.getElementById('map');
      const c = document.createElement('canvas');
      c.width = src.width; c.height = src.height;
      const g = c.getContext('2d');
      g.drawImage(src, 0, 0);
      const { data } = g.getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    })()`);
    expect(inked).toBeGreaterThan(5000);
    // Filters: one behavior, then one label of it.
    const name = payload.report.behaviors[2].name;
    const b = payload.sidecar!.behaviors.indexOf(name);
    const ofBehavior = payload.sidecar!.behavior.filter((x) => x === b).length;
    await page.selectOption('#map-behavior', name);
    expect(Number(await map.getAttribute('data-points'))).toBe(ofBehavior);
    await page.selectOption('#map-label', '-1');
    const negatives = payload.sidecar!.behavior.filter(
      (x, i) => x === b && payload.sidecar!.label[i] === -1,
    ).length;
    expect(Number(await map.getAttribute('data-points'))).toBe(negatives);
    await page.selectOption('#map-label', '');
    await page.selectOption('#map-behavior', '');
    expect(Number(await map.getAttribute('data-points'))).toBe(rows);
    // A software WebGL context draws 10,000 points a frame: the last chunk is in before the
    // screenshot (data-drawn is absent with Canvas 2D, which draws at once).
    await expect
      .poll(async () => (await map.getAttribute('data-drawn')) ?? String(rows))
      .toBe(String(rows));
    const shot = process.env.PL_MAP_SCREENSHOT;
    if (shot) await page.locator('#scatter-section').screenshot({ path: shot });
  });

  it('gives a behavior one color in the table, the charts and the map legend', async () => {
    const name = payload.report.behaviors[1].name;
    const swatch = await page
      .locator(`#ranking-table tr[data-behavior="${name}"] .swatch`)
      .getAttribute('data-color');
    const legend = await page
      .locator(`#map-legend .legend-item[data-behavior="${name}"] .swatch`)
      .getAttribute('data-color');
    const series = async (id: string): Promise<Record<string, unknown>> =>
      Object.fromEntries(
        JSON.parse((await page.locator(`canvas#${id}`).getAttribute('data-series'))!) as [
          string,
          unknown,
        ][],
      );
    const loss = await series('chart-loss-all');
    const joint = await series('chart-joint-loss');
    expect(swatch).toMatch(/^rgb\(/);
    expect(legend).toBe(swatch);
    expect(loss[name]).toBe(swatch);
    expect(joint[name]).toBe(swatch);
    // …and different behaviors get different colors.
    const colors = new Set(payload.report.behaviors.map((b) => loss[b.name]));
    expect(colors.size).toBe(payload.report.behaviors.length);
  });

  it('shows markup in names and texts literally', async () => {
    const row = page.locator('#ranking-table tbody tr').filter({ hasText: 'bold-behavior' });
    expect(await row.locator('td.name').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('#ranking-table b, #ranking-table script').count()).toBe(0);
    // Show only the hostile behavior on the map and hover its markup statement.
    await page.selectOption('#map-behavior', HOSTILE_NAME);
    const at = await pointOnScreen(page, hostileRow, payload.sidecar!);
    await page.mouse.move(at.x, at.y);
    const tooltip = page.locator('#scatter-tooltip .tooltip-text');
    await expect.poll(() => tooltip.textContent()).toBe(HOSTILE_TEXT);
    expect(await page.locator('#scatter-tooltip b, #scatter-tooltip script').count()).toBe(0);
    expect(await page.evaluate<string[]>('window.__violations')).toEqual([]);
    await page.selectOption('#map-behavior', '');
  });

  it('handles clicks locally: a row reveal becomes a notice, the selection follows', async () => {
    const first = payload.report.behaviors[1];
    await page.locator(`#ranking-table tbody tr[data-behavior="${first.name}"]`).click();
    await expect
      .poll(() => page.locator('#toast').textContent())
      .toContain(`${first.files[0].file}:1`);
    expect(await page.locator('#curve-behavior').inputValue()).toBe(first.name);
    const shot = process.env.PL_REPORT_SCREENSHOT;
    if (shot) {
      await page.waitForSelector('body[data-scatter-ready="true"]');
      await page.screenshot({ path: shot, fullPage: true });
    }
  });

  it('turns a click on a map point into a reveal of its line, and a lasso into a list', async () => {
    const sc = payload.sidecar!;
    const k = 5;
    const at = await pointOnScreen(page, k, sc);
    await page.mouse.move(at.x, at.y);
    await expect.poll(() => page.locator('#scatter-tooltip').getAttribute('data-index')).toBe('5');
    const index = k;
    await page.mouse.click(at.x, at.y);
    await expect
      .poll(() => page.locator('#toast').textContent())
      .toContain(`${sc.files[sc.file[index]]}:${sc.line[index]}`);
    // Lasso a small square around the point: the list names the rows inside it.
    const box = (await page.locator('#map-overlay').boundingBox())!;
    await page.locator('#map-lasso').click();
    await page.mouse.move(at.x - 6, at.y - 6);
    await page.mouse.down();
    for (const [dx, dy] of [
      [6, -6],
      [6, 6],
      [-6, 6],
      [-6, -6],
    ] as const)
      await page.mouse.move(at.x + dx, at.y + dy, { steps: 3 });
    await page.mouse.up();
    await page.locator('#map-lasso').click();
    // The browse table lists the selection (issue #15: the lasso lists rows in the browse table).
    const listed = await page.locator('#browse-table tbody tr[data-index]').count();
    expect(listed).toBeGreaterThan(0);
    expect(box.width).toBeGreaterThan(100);
    expect(await page.locator('#browse-selection').textContent()).toMatch(
      /^\d+ selected on the map/,
    );
    const indices = await page
      .locator('#browse-table tbody tr[data-index]')
      .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-index'))));
    expect(indices).toContain(index);
  });

  it('lists every row in the browse table, virtually, and filters it with the map', async () => {
    const sc = payload.sidecar!;
    const map = page.locator('canvas#map');
    const table = page.locator('#browse-table');
    const count = page.locator('#browse-count');
    if (await page.locator('#browse-clear-selection').isVisible())
      await page.locator('#browse-clear-selection').click();
    const fmt = (n: number): string => n.toLocaleString('en-US');
    await expect.poll(() => count.textContent()).toBe(`${fmt(sc.rows)} of ${fmt(sc.rows)} rows`);
    // Every row is listed, only the ones in view are in the DOM.
    expect(Number(await table.getAttribute('data-rows'))).toBe(sc.rows);
    const inDom = await page.locator('#browse-table tbody tr[data-index]').count();
    expect(inDom).toBeGreaterThan(5);
    expect(inDom).toBeLessThan(80);
    // One fixed height per row (flag badges included): the virtual positions are the real ones.
    const heights = await page
      .locator('#browse-table tbody tr[data-index]')
      .evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
    expect(new Set(heights)).toEqual(new Set([26]));
    // Scrolled to the end, the last row of the mixture is there.
    await page.locator('#browse-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect
      .poll(() =>
        page
          .locator('#browse-table tbody tr[data-index]')
          .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-index')))),
      )
      .toContain(sc.rows - 1);
    // Each filter against the rows counted here from the fixture's own columns.
    const expectRows = async (n: number): Promise<void> => {
      await expect.poll(() => count.textContent()).toBe(`${fmt(n)} of ${fmt(sc.rows)} rows`);
      expect(Number(await map.getAttribute('data-points'))).toBe(n);
    };
    const name = payload.report.behaviors[3].name;
    const b = sc.behaviors.indexOf(name);
    const word = 'power';
    const matching = (i: number): boolean => sc.text[i].toLowerCase().includes(word);
    await page.locator('#rows-search').fill(word);
    await expectRows(sc.text.filter((_, i) => matching(i)).length);
    await page.selectOption('#map-behavior', name);
    await expectRows(sc.behavior.filter((x, i) => x === b && matching(i)).length);
    await page.locator('#rows-search').fill('');
    await page.selectOption('#map-flag', FIXTURE_FLAG_KINDS[1]);
    await expectRows(sc.behavior.filter((x, i) => x === b && i % 89 === 0).length);
    await page.selectOption('#map-flag', '*');
    await expectRows(
      sc.behavior.filter((x, i) => x === b && (i % 89 === 0 || i % 97 === 0)).length,
    );
    await page.selectOption('#map-flag', '');
    await page.selectOption('#map-cluster', FIXTURE_CLUSTERS[1]);
    await expectRows(sc.behavior.filter((x, i) => x === b && i % 50 !== 0 && sc.x[i] >= 0).length);
    await page.selectOption('#map-cluster', '');
    await page.selectOption('#map-label', '-1');
    // A length bound that keeps about a quarter of the behavior's negatives.
    const negatives = sc.text.filter((_, i) => sc.behavior[i] === b && sc.label[i] === -1);
    const lengths = negatives.map((t) => t.length).sort((x, y) => x - y);
    const min = lengths[Math.floor(lengths.length * 0.75)];
    await page.locator('#rows-min-length').fill(String(min));
    await page.locator('#rows-min-length').dispatchEvent('change');
    const long = negatives.filter((t) => t.length >= min).length;
    expect(long).toBeGreaterThan(0);
    expect(long).toBeLessThan(negatives.length);
    await expectRows(long);
    // The table's swatch is the behavior's one color, as in the ranking table.
    const swatch = await page
      .locator('#browse-table tbody tr[data-index] .swatch')
      .first()
      .getAttribute('data-color');
    expect(swatch).toBe(
      await page
        .locator(`#ranking-table tr[data-behavior="${name}"] .swatch`)
        .getAttribute('data-color'),
    );
    // Selecting a row reveals its line (a notice in the HTML page).
    const first = page.locator('#browse-table tbody tr[data-index]').first();
    const i = Number(await first.getAttribute('data-index'));
    await first.click();
    await expect
      .poll(() => page.locator('#toast').textContent())
      .toContain(`${sc.files[sc.file[i]]}:${sc.line[i]}`);
    expect(await first.getAttribute('aria-selected')).toBe('true');
    // The listed rows export as JSON Lines, one per row.
    const listed = Number(await table.getAttribute('data-rows'));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#browse-export').click(),
    ]);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(listed);
    const row = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(row).toMatchObject({ behavior: name, label: -1, line: sc.line[i], text: sc.text[i] });
    const shot = process.env.PL_BROWSE_SCREENSHOT;
    if (shot) await page.locator('#browse').screenshot({ path: shot });
    await page.locator('#rows-min-length').fill('');
    await page.locator('#rows-min-length').dispatchEvent('change');
    await page.selectOption('#map-label', '');
    await page.selectOption('#map-behavior', '');
    await expectRows(sc.rows);
  });

  it('draws density contours and keeps every main-thread task under 100 ms while redrawing', async () => {
    const map = page.locator('canvas#map');
    await expect.poll(async () => Number(await map.getAttribute('data-contours'))).toBe(4);
    const since = await page.evaluate<number>('performance.now()');
    // Redraws of 120k points: filters, a search, zoom, table scrolling.
    const name = payload.report.behaviors[0].name;
    await page.selectOption('#map-behavior', name);
    await page.selectOption('#map-behavior', '');
    await page.selectOption('#map-label', '1');
    await page.selectOption('#map-label', '');
    await page.locator('#rows-search').fill('the');
    await page.locator('#rows-search').press('Enter');
    await page.locator('#rows-search').fill('');
    await page.locator('#rows-search').press('Enter');
    const box = (await page.locator('#map-overlay').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let k = 0; k < 4; k++) await page.mouse.wheel(0, -200);
    await page.locator('#scatter-section button', { hasText: 'Reset view' }).click();
    for (let k = 0; k < 6; k++)
      await page.locator('#browse-scroll').evaluate((el, y) => (el.scrollTop = y), k * 40_000);
    await page.waitForTimeout(300);
    const tasks = await page.evaluate<{ start: number; duration: number }[]>(
      `window.__longTasks.filter((t) => t.start >= ${since})`,
    );
    const longest = Math.max(0, ...tasks.map((t) => t.duration));
    console.log(
      `main-thread tasks over 50 ms while redrawing 120k points: ${tasks.length}, longest ${Math.round(longest)} ms; contours ${await map.getAttribute('data-contours-ms')} ms`,
    );
    // Issue #15's goal is 100 ms; measured 60–72 ms at a load average of 5 on the shared 2-core
    // machine, lenient here (software GL, other agents' load) like the first-draw bound above.
    expect(longest).toBeLessThan(250);
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
  ].join('; ');
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
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
      // Chromium's software GL notes read-backs as "performance" driver messages: not a fault.
      if (/GL Driver Message \(OpenGL, Performance/.test(m.text())) return;
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

  it('draws the map from the payload and sends intents to the host', async () => {
    expect(Number(await page.locator('canvas#map').getAttribute('data-points'))).toBe(
      payload.sidecar!.rows,
    );
    const b = payload.report.behaviors[0];
    await page.locator(`#ranking-table tbody tr[data-behavior="${b.name}"]`).click();
    // A browse-table row asks the host to reveal its line (the extension opens the file there).
    const sc = payload.sidecar!;
    const row = page.locator('#browse-table tbody tr[data-index]').nth(3);
    const i = Number(await row.getAttribute('data-index'));
    await row.click();
    await page.locator('#export-json').click();
    const posted = await page.evaluate<unknown[]>('window.__posted');
    expect(posted).toContainEqual({ type: 'reveal', file: sc.files[sc.file[i]], line: sc.line[i] });
    expect(posted[0]).toEqual({ type: 'ready' });
    expect(posted).toContainEqual({ type: 'reveal', file: b.files[0].file, line: 1 });
    expect(posted.at(-1)).toEqual({ type: 'export', format: 'json' });
    const violations = await page.evaluate<string[]>('window.__violations');
    expect([...problems, ...violations]).toEqual([]);
  });
});

/**
 * Where row `i` of the sidecar is drawn before any zoom, in page coordinates: the map centers the
 * points and scales both axes alike so the larger extent spans 95% of the square (its documented
 * layout).
 */
async function pointOnScreen(
  page: Page,
  i: number,
  sc: ReportSidecar,
): Promise<{ x: number; y: number }> {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let k = 0; k < sc.rows; k++) {
    minX = Math.min(minX, sc.x[k]);
    maxX = Math.max(maxX, sc.x[k]);
    minY = Math.min(minY, sc.y[k]);
    maxY = Math.max(maxY, sc.y[k]);
  }
  const span = Math.max(maxX - minX, maxY - minY);
  const ux = ((sc.x[i] - (minX + maxX) / 2) / span) * 1.9;
  const uy = ((sc.y[i] - (minY + maxY) / 2) / span) * 1.9;
  await page.locator('#map-overlay').scrollIntoViewIfNeeded();
  const r = (await page.locator('#map-overlay').boundingBox())!;
  return { x: r.x + ((ux + 1) / 2) * r.width, y: r.y + ((1 - uy) / 2) * r.height };
}
