/**
 * The report bundle inside a DOM (happy-dom) with a recording stand-in for VS Code's webview API:
 * the message flow (ready, report, reveal, export, focusBehavior), state restore, and that dataset
 * markup is rendered as text.
 */
import { Window } from 'happy-dom';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HostToWebview, ReportPayload, WebviewToHost } from '../../src/shared/protocol.js';
import { buildReportAssets } from './report-assets.js';
import { fixturePayload, HOSTILE_NAME, HOSTILE_TEXT } from './report-fixture.js';

interface Page {
  window: Window;
  posted: WebviewToHost[];
  state: () => { payload?: ReportPayload; curveBehavior?: string } | undefined;
  send: (m: HostToWebview) => void;
  $: (selector: string) => Element | null;
  $$: (selector: string) => Element[];
}

let bundle = '';
const open: Window[] = [];

function boot(saved?: unknown): Page {
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
  w.__saved = saved === undefined ? undefined : JSON.parse(JSON.stringify(saved));
  // The same surface as acquireVsCodeApi(): postMessage, getState, setState.
  w.eval(`
    window.__posted = [];
    window.__state = window.__saved;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state,
      setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
    });
  `);
  w.eval(bundle);
  const doc = window.document;
  return {
    window,
    posted: w.__posted as WebviewToHost[],
    state: () => w.__state as ReturnType<Page['state']>,
    send: (m) => window.dispatchEvent(new window.MessageEvent('message', { data: m })),
    $: (s) => doc.querySelector(s) as unknown as Element | null,
    $$: (s) => [...doc.querySelectorAll(s)] as unknown as Element[],
  };
}

describe('report webview in VS Code', () => {
  const payload = fixturePayload({ hostile: true });

  beforeAll(async () => {
    bundle = (await buildReportAssets()).webviewJs;
  });

  afterEach(async () => {
    while (open.length) await open.pop()!.happyDOM.close();
  });

  it('says which files formed the mixture, as text', () => {
    const page = boot();
    const mixture = 'Mixture: <b>3 files</b> of the folder persona (same schema)';
    page.send({ type: 'report', payload: { ...payload, mixture } });
    expect(page.$('#mixture-line')!.textContent).toBe(mixture);
    expect(page.$('#mixture-line b')).toBeNull();
  });

  it('says ready, renders a report message and saves it as state', () => {
    const page = boot();
    expect(page.posted).toEqual([{ type: 'ready' }]);
    expect(page.$('#ranking-table')).toBeNull();
    page.send({ type: 'report', payload });
    const rows = page.$$('#ranking-table tbody tr');
    expect(rows.map((r) => r.getAttribute('data-behavior'))).toEqual(
      [...payload.report.behaviors]
        .sort((a, b) => b.distinguishability - a.distinguishability)
        .map((b) => b.name),
    );
    expect(page.$('body')!.getAttribute('data-ready')).toBe('true');
    // Flags follow the analysis' warnings, not a threshold of the webview's own.
    expect(
      page
        .$$('#ranking-table tbody tr td.low')
        .map((td) => td.parentElement!.getAttribute('data-behavior')),
    ).toEqual(
      rows
        .map((r) => r.getAttribute('data-behavior'))
        .filter((n) =>
          payload.report.behaviors
            .find((b) => b.name === n)!
            .warnings.some((w) => w.kind === 'deprioritized'),
        ),
    );
    expect(page.state()!.payload).toEqual(payload);
    expect(page.$('#model-line')!.textContent).toContain('Xenova/all-MiniLM-L6-v2');
    expect(page.$('#skipped-summary')!.textContent).toBe(
      '2 lines skipped: 1 invalid-json, 1 duplicate.',
    );
  });

  it('shows the report before its map is projected, then fills the map and the table in', () => {
    const page = boot();
    // What VS Code sends when the analysis ends: the report, the map still being projected.
    page.send({ type: 'report', payload: { ...payload, sidecar: null, mapPending: true } });
    expect(page.$('body')!.getAttribute('data-ready')).toBe('true');
    expect(page.$$('#ranking-table tbody tr')).toHaveLength(payload.report.behaviors.length);
    expect(page.$('#map-pending')!.textContent).toContain('Projecting the embedding map');
    expect(page.$('canvas#map')).toBeNull();
    expect(page.$('body')!.getAttribute('data-scatter-ready')).toBeNull();
    expect(page.$('#browse')!.textContent).toContain('once it is projected');
    // Then the full payload: the map holds every row of the sidecar.
    page.send({ type: 'report', payload });
    expect(page.$('#map-pending')).toBeNull();
    expect(page.$('body')!.getAttribute('data-scatter-ready')).toBe('true');
    expect(Number(page.$('canvas#map')!.getAttribute('data-rows'))).toBe(payload.sidecar!.rows);
    expect(page.state()!.payload).toEqual(payload);
  });

  it('shows markup in behavior names and example texts as text', () => {
    const page = boot();
    page.send({ type: 'report', payload });
    const row = page
      .$$('#ranking-table tbody tr')
      .find((r) => r.getAttribute('data-behavior') === HOSTILE_NAME)!;
    expect(row.querySelector('td.name')!.textContent).toBe(HOSTILE_NAME);
    expect(page.$$('#app b, #app script')).toHaveLength(0);
    page.send({ type: 'focusBehavior', behavior: HOSTILE_NAME });
    const suspect = page.$('#suspects-table tbody tr .example-text')!;
    expect(suspect.textContent).toBe(HOSTILE_TEXT);
    expect(page.$$('#suspects-table b, #suspects-table script')).toHaveLength(0);
  });

  it('sends reveal for a row and export for the buttons', () => {
    const page = boot();
    page.send({ type: 'report', payload });
    const b = payload.report.behaviors[2];
    const row = page.$(`#ranking-table tbody tr[data-behavior="${b.name}"]`) as HTMLElement | null;
    row!.click();
    expect(page.posted).toContainEqual({
      type: 'reveal',
      file: b.files[0].file,
      line: b.files[0].firstLine,
    });
    expect(row!.classList.contains('selected')).toBe(true);
    expect(page.state()!.curveBehavior).toBe(b.name);
    // The selected behavior's suspects offer "similar examples" (the host's nearest neighbours).
    (page.$('#suspects-table tbody tr button') as HTMLElement).click();
    const suspect = b.suspects[0];
    expect(page.posted.at(-1)).toEqual({
      type: 'openSimilar',
      behavior: b.name,
      file: suspect.file,
      line: suspect.line,
    });
    (page.$('#export-html') as HTMLElement).click();
    (page.$('#export-json') as HTMLElement).click();
    expect(page.posted.slice(-2)).toEqual([
      { type: 'export', format: 'html' },
      { type: 'export', format: 'json' },
    ]);
  });

  it('restores the saved report and selection after a reload, before the host answers', () => {
    const first = boot();
    first.send({ type: 'report', payload });
    first.send({ type: 'focusBehavior', behavior: payload.report.behaviors[1].name });
    const saved = first.state();
    const second = boot(saved);
    expect(second.$$('#ranking-table tbody tr')).toHaveLength(payload.report.behaviors.length);
    expect(second.$('#ranking-table tbody tr.selected')!.getAttribute('data-behavior')).toBe(
      payload.report.behaviors[1].name,
    );
    expect((second.$('#curve-behavior') as HTMLSelectElement).value).toBe(
      payload.report.behaviors[1].name,
    );
    expect(second.posted).toEqual([{ type: 'ready' }]);
  });

  it('shows progress and errors from the host', () => {
    const page = boot();
    page.send({ type: 'progress', message: 'Embedding 120 of 480', fraction: 0.25 });
    expect(page.$('#progress')!.textContent).toBe('Embedding 120 of 480');
    page.send({ type: 'error', message: 'Model <missing>' });
    expect(page.$('#error')!.textContent).toBe('Model <missing>');
    page.send({ type: 'report', payload });
    expect(page.$('#progress')).toBeNull();
    expect(page.$('#error')).toBeNull();
  });

  it('shows phi, excluded behaviors and the two-checkpoint table only when the report has them', () => {
    const plain = boot();
    plain.send({ type: 'report', payload });
    expect(plain.$$('#ranking-table th').map((th) => th.textContent)).not.toContain('φ');
    expect(plain.$('#excluded')).toBeNull();
    expect(plain.$('#two-model-table')).toBeNull();
    const rich = boot();
    rich.send({ type: 'report', payload: fixturePayload({ extras: true }) });
    expect(rich.$$('#ranking-table th').map((th) => th.textContent)).toContain('φ');
    expect(rich.$('#excluded')!.textContent).toContain('tiny-behavior: only 1 negative example');
    const two = rich.$$('#two-model-table tbody tr');
    expect(two.map((tr) => tr.getAttribute('data-behavior'))).toEqual([
      'narcissism',
      'agreeableness',
    ]);
    expect(two[0].textContent).toContain('1.250 → 2.500');
  });

  it("shows the rebalancing note, and each behavior's simulated accuracy before and after", () => {
    const payload = fixturePayload({});
    const rb = payload.report.rebalancing!;
    rb.suggested = true;
    rb.note = 'Upsampling raises the worst simulated accuracy from 0.61 to 0.66.';
    rb.perBehavior = Object.fromEntries(
      Object.keys(rb.weights).map((n) => [
        n,
        {
          weight: rb.weights[n],
          levelBefore: rb.levelsBefore[n],
          levelAfter: rb.levelsAfter[n],
          accuracyBefore: 0.5,
          accuracyAfter: 0.75,
        },
      ]),
    );
    const page = boot();
    page.send({ type: 'report', payload });
    expect(page.$('#rebalance-note')!.textContent).toBe(rb.note);
    const header = page.$$('#rebalance-table thead th').map((th) => th.textContent);
    expect(header).toContain('Accuracy before');
    const cells = page.$$('#rebalance-table tbody tr')[0].querySelectorAll('td');
    expect([...cells].slice(-2).map((c) => c.textContent)).toEqual(['0.500', '0.750']);

    // No suggestion: the note, and no table that could read as one.
    const none = fixturePayload({});
    none.report.rebalancing!.suggested = false;
    none.report.rebalancing!.note = 'No rebalancing suggested: nothing helped.';
    const page2 = boot();
    page2.send({ type: 'report', payload: none });
    expect(page2.$('#rebalance-note')!.textContent).toBe(
      'No rebalancing suggested: nothing helped.',
    );
    expect(page2.$('#rebalance-table')).toBeNull();
  });

  it('renders a one-behavior report without joint run, misalignment, rebalancing or map', () => {
    const single = fixturePayload({ behaviors: ['narcissism'] });
    single.report.simulation.joint = null;
    single.report.simulation.misalignment = [];
    single.report.rebalancing = null;
    single.sidecar = null;
    const page = boot();
    page.send({ type: 'report', payload: single });
    expect(page.$('body')!.getAttribute('data-ready')).toBe('true');
    expect(page.$('body')!.getAttribute('data-scatter-ready')).toBe('true');
    expect(page.$$('#ranking-table tbody tr')).toHaveLength(1);
    // One behavior: priority has nothing to compare, so no levels chart and no 1x1 heatmap.
    expect(page.$$('#gap-heatmap rect.cell')).toHaveLength(0);
    expect(page.$('#priority-not-meaningful')!.textContent).toContain(
      'Not meaningful with one behavior',
    );
    expect(page.$$('#ranking-table .bar')).toHaveLength(0);
    expect(page.$('#joint')!.textContent).toContain('No joint run in this report.');
    expect(page.$('#misalignment')!.textContent).toContain('No misalignment runs');
    expect(page.$('#rebalancing')!.textContent).toContain('No rebalancing suggestion');
    expect(page.$('#scatter-section')!.textContent).toContain('No embedding map');
  });
});
