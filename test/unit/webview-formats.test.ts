/**
 * The report bundle (happy-dom, as in webview-host.test.ts) on a report of Parquet rows with
 * UltraFeedback-style score margins: positions read "row N", margins are shown, reveal sends the
 * row's line (row index + 1) for the host to open the row view.
 */
import { Window } from 'happy-dom';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReportPayload, WebviewToHost } from '../../src/shared/protocol.js';
import { buildReportAssets } from './report-assets.js';
import { fixturePayload } from './report-fixture.js';

let bundle = '';
const open: Window[] = [];

function boot(payload: ReportPayload) {
  const window = new Window({
    url: 'https://webview.test/index.html',
    settings: {
      enableJavaScriptEvaluation: true,
      suppressInsecureJavaScriptEnvironmentWarning: true,
    },
  });
  open.push(window);
  const w = window as unknown as Record<string, unknown> & { eval: (code: string) => unknown };
  window.document.body.innerHTML = '<div id="app"></div>';
  w.eval(`
    window.__posted = [];
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => undefined,
      setState: () => {},
    });
  `);
  w.eval(bundle);
  window.dispatchEvent(new window.MessageEvent('message', { data: { type: 'report', payload } }));
  const doc = window.document;
  return {
    posted: w.__posted as WebviewToHost[],
    $: (s: string) => doc.querySelector(s) as unknown as HTMLElement | null,
    $$: (s: string) => [...doc.querySelectorAll(s)] as unknown as HTMLElement[],
  };
}

/** The fixture report with its first behavior's rows in a Parquet file and score margins. */
function parquetPayload(): ReportPayload {
  const payload = fixturePayload();
  const b = payload.report.behaviors[0];
  b.scoreMargin = { pairs: 20, mean: 2.5, median: 3, min: -1.25, max: 9, nonPositive: 2 };
  b.suspects = b.suspects.map((s, i) => ({
    ...s,
    file: '/data/uf.parquet',
    line: 18 + i,
    ...(i === 0 ? { scoreMargin: -1.25 } : {}),
  }));
  return payload;
}

describe('report webview: Parquet rows and score margins', () => {
  beforeAll(async () => {
    bundle = (await buildReportAssets()).webviewJs;
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.happyDOM.close();
  });

  it('names Parquet rows, shows the margins and reveals the row', () => {
    const payload = parquetPayload();
    const b = payload.report.behaviors[0];
    const page = boot(payload);
    (page.$(`#ranking-table tbody tr[data-behavior="${b.name}"]`) as HTMLElement).click();
    const first = page.$('#suspects-table tbody tr')!;
    const cells = [...first.querySelectorAll('td')].map((td) => td.textContent);
    expect(cells[0]).toBe('uf.parquet row 17');
    expect(cells[4]).toBe('-1.250');
    expect(page.$('#score-margins')!.textContent).toBe(
      'Score margins (score_chosen − score_rejected) of its 20 pairs: mean 2.500, median 3.000, min -1.250; 2 at or below 0.',
    );
    first.click();
    expect(page.posted.at(-1)).toEqual({ type: 'reveal', file: '/data/uf.parquet', line: 18 });
  });

  it('shows no margin column for a behavior without score fields', () => {
    const payload = fixturePayload();
    const b = payload.report.behaviors[0];
    const page = boot(payload);
    (page.$(`#ranking-table tbody tr[data-behavior="${b.name}"]`) as HTMLElement).click();
    expect(page.$('#score-margins')!.hidden).toBe(true);
    const header = page
      .$$('#suspects-table thead th')
      .find((th) => th.textContent === 'Score margin');
    expect(header!.hidden).toBe(true);
    const first = page.$('#suspects-table tbody tr')!;
    expect(first.querySelectorAll('td')).toHaveLength(6);
  });
});
