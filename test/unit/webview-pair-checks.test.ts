/**
 * The pair checks in the report webview (happy-dom, the built bundle): a mixture warning's
 * file:line examples are links that reveal their line, and the truncation line is shown.
 */
import { Window } from 'happy-dom';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildReportAssets } from './report-assets.js';
import { fixturePayload } from './report-fixture.js';

let bundle = '';
const open: Window[] = [];

function render(payload: ReturnType<typeof fixturePayload>): { window: Window; posted: unknown[] } {
  const window = new Window({
    url: 'https://webview.test/index.html',
    settings: {
      enableJavaScriptEvaluation: true,
      suppressInsecureJavaScriptEnvironmentWarning: true,
    },
  });
  open.push(window);
  const w = window as unknown as { eval: (code: string) => unknown; posted?: unknown[] };
  window.document.body.innerHTML = '<div id="app"></div>';
  w.eval(
    `window.posted = []; window.acquireVsCodeApi = () => ({ postMessage(m) { window.posted.push(m); }, getState() {}, setState() {} });`,
  );
  w.eval(bundle);
  window.dispatchEvent(new window.MessageEvent('message', { data: { type: 'report', payload } }));
  return { window, posted: w.posted! };
}

describe('pair checks in the report webview', () => {
  beforeAll(async () => {
    bundle = (await buildReportAssets()).webviewJs;
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.happyDOM.close();
  });

  it('lists the examples of a pair check as links to their lines, and the truncation line', () => {
    const payload = fixturePayload();
    const file = '/data/harmless.jsonl';
    payload.report.warnings = [
      {
        kind: 'identical-pairs',
        message: '7 pairs of 299 (2.3%) embed their chosen and rejected sides identically.',
        count: 7,
        examples: [3, 9, 12, 40, 51, 77, 90].map((line) => ({ file, line })),
      },
    ];
    payload.report.pairChecks = {
      pairs: 299,
      identicalPairs: 7,
      nearIdenticalPairs: 0,
      truncation: {
        maxTokens: 256,
        measured: true,
        truncatedRows: 90,
        promptCutRows: 87,
        responseCutRows: 3,
      },
      lengthBias: { overall: { pairs: 299, correlation: 0 }, perBehavior: {} },
      prompts: { duplicate: 0, nearDuplicate: 0, sharedAcrossBehaviors: 0 },
      thresholds: {
        nearIdenticalCosine: 0.99,
        lengthBiasFraction: 0.65,
        lengthBiasCorrelation: 0.3,
      },
      ms: 1,
    };
    const { window, posted } = render(payload);
    const doc = window.document;
    const callout = doc.getElementById('mixture-identical-pairs')!;
    const links = [...callout.querySelectorAll('button.example-line')];
    expect(links.map((l) => l.textContent)).toEqual([
      'harmless.jsonl:3',
      'harmless.jsonl:9',
      'harmless.jsonl:12',
      'harmless.jsonl:40',
      'harmless.jsonl:51',
    ]);
    expect(callout.querySelector('.examples')!.textContent).toContain('(7 in all)');
    (links[1] as unknown as { click(): void }).click();
    expect(posted).toContainEqual({ type: 'reveal', file, line: 9 });
    const rows = payload.report.inputs.reduce((n, input) => n + input.rows, 0);
    expect(doc.getElementById('truncation-note')!.textContent).toBe(
      `Truncation: 90 of ${rows} texts are longer than 256 tokens; 87 lost only the start of their prompt (the compared response kept whole), 3 may have lost compared text.`,
    );
  });
});
