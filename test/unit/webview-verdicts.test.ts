/**
 * The verdicts in the report webview (happy-dom, the built bundle): an indistinguishable behavior's
 * level reads n/a, borderline flags are listed apart from the warnings, a mixture warning is
 * shown, the misalignment section says what a head-only run can show and the bound is labeled.
 */
import { Window } from 'happy-dom';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MISALIGNMENT_NOTE } from '../../src/shared/report-notes.js';
import { buildReportAssets } from './report-assets.js';
import { fixturePayload } from './report-fixture.js';

let bundle = '';
const open: Window[] = [];

function render(payload: ReturnType<typeof fixturePayload>): Window {
  const window = new Window({
    url: 'https://webview.test/index.html',
    settings: {
      enableJavaScriptEvaluation: true,
      suppressInsecureJavaScriptEnvironmentWarning: true,
    },
  });
  open.push(window);
  const w = window as unknown as { eval: (code: string) => unknown };
  window.document.body.innerHTML = '<div id="app"></div>';
  w.eval(`window.acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} });`);
  w.eval(bundle);
  window.dispatchEvent(new window.MessageEvent('message', { data: { type: 'report', payload } }));
  return window;
}

describe('verdicts in the report webview', () => {
  beforeAll(async () => {
    bundle = (await buildReportAssets()).webviewJs;
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.happyDOM.close();
  });

  it('shows indistinguishable, borderline, mixture warnings, the misalignment note and the bound status', () => {
    const payload = fixturePayload();
    const [noise, edge] = payload.report.behaviors;
    noise.priorityMeaningful = false;
    noise.pValue = 0.4;
    noise.pValueAdjusted = 0.52;
    noise.warnings = [
      { kind: 'indistinguishable', message: 'Indistinguishable from shuffled labels.' },
    ];
    edge.warnings = [{ kind: 'borderline', message: 'Borderline: deprioritized in only 60%.' }];
    edge.rankCI = [2, 4];
    payload.report.warnings = [{ kind: 'mixed-schemas', message: 'The inputs mix 2 schemas.' }];
    payload.report.simulation.misalignment[0].preferenceAtStart = false;
    payload.report.simulation.misalignment[0].stepsToBelowHalf = null;
    payload.report.simulation.boundCheck = {
      status: 'empirical',
      stepSizeProduct: 2.4,
      perBehavior: {},
    };
    const doc = render(payload).document;
    const row = doc.querySelector(`#ranking-table tr[data-behavior="${noise.name}"]`)!;
    expect(row.querySelector('td.not-meaningful')!.textContent).toMatch(/^n\/a \(/);
    expect(row.textContent).toContain('0.52');
    const edgeRow = doc.querySelector(`#ranking-table tr[data-behavior="${edge.name}"]`)!;
    expect(edgeRow.textContent).toContain('2–4');
    expect(doc.querySelector('#borderline-list')!.textContent).toContain(
      'deprioritized in only 60%',
    );
    expect(doc.querySelector('#warnings-list')!.textContent).not.toContain('Borderline');
    expect(doc.querySelector('#warnings-list')!.textContent).toContain('Indistinguishable');
    expect(doc.querySelector('#mixture-mixed-schemas')!.textContent).toContain('mix 2 schemas');
    expect(doc.querySelector('#misalignment')!.textContent).toContain(MISALIGNMENT_NOTE);
    expect(doc.querySelector('#misalignment-table')!.textContent).toContain(
      'no preference at start',
    );
    expect(doc.querySelector('#bound-status')!.textContent).toMatch(
      /^Theorem 4.1 bound: empirical/,
    );
  });

  it('names what pulls a deprioritized behavior down and sums up misalignment in the verdict', () => {
    const payload = fixturePayload();
    const [, , low] = payload.report.behaviors;
    low.warnings = [{ kind: 'deprioritized', message: 'Deprioritized.' }];
    low.conflicts = [
      { name: 'narcissism', cosine: -0.41, contribution: -0.02 },
      { name: 'risk-averse', cosine: -0.73, contribution: -0.09 },
    ];
    const aligned = payload.report.simulation.misalignment.filter((r) => r.start === 'aligned');
    aligned.forEach((r, i) => (r.stepsToBelowHalf = i === 0 ? null : 10 * i));
    const reached = aligned.length - 1;
    const text = render(payload).document.querySelector('#verdict')!.textContent!;
    // The larger contribution first.
    expect(text).toContain(
      `${low.name} (pulled down by risk-averse, cos -0.73; narcissism, cos -0.41)`,
    );
    expect(text).toContain(`falls below 50% in ${reached} of ${aligned.length} behaviors`);
    expect(text).toContain('needs --aligned-model');
  });

  it('names a non-default DPO loss under the bound, and nothing for the default', () => {
    const plain = render(fixturePayload()).document;
    expect(plain.querySelector('#loss-note')).toBeNull();
    const payload = fixturePayload();
    payload.report.simulation.loss = 'robust';
    payload.report.simulation.labelSmoothing = 0.2;
    payload.report.simulation.firstStepWeight = 0.5;
    const doc = render(payload).document;
    expect(doc.querySelector('#loss-note')!.textContent).toMatch(
      /^DPO loss: robust with label smoothing ε = 0.2 .*\(1 − ε\)\/\(1 − 2ε\) = 1\.333/,
    );
  });
});
