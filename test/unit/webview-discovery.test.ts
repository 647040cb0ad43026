/**
 * Discovered behaviors in the report webview and the HTML report (happy-dom, the built bundle):
 * the header says the behaviors were discovered, how, and lists each cluster with its terms.
 */
import { Window } from 'happy-dom';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryReport } from '../../src/core/report/types.js';
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

describe('discovered behaviors in the report webview', () => {
  beforeAll(async () => {
    bundle = (await buildReportAssets()).webviewJs;
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.happyDOM.close();
  });

  it('shows no discovery callout for named behaviors', () => {
    const doc = render(fixturePayload()).document;
    expect(doc.querySelector('#discovery')).toBeNull();
  });

  it('says the behaviors were discovered and lists each cluster with its terms', () => {
    const payload = fixturePayload();
    const names = payload.report.behaviors.map((b) => b.name);
    const discovery: DiscoveryReport = {
      method: 'spherical-kmeans',
      reason: 'unlabeled',
      k: names.length,
      kRange: [2, 12],
      criterion: 'silhouette',
      scores: [{ k: names.length, silhouette: 0.41 }],
      seed: 1234,
      unit: 'pair',
      prompts: 400,
      selectionSample: 400,
      fitSample: 400,
      embedMs: 900,
      clusterMs: 120,
      clusters: names.map((name, i) => ({
        name,
        terms: [`term${i}a`, `term${i}b`],
        size: 100,
        examples: [],
      })),
    };
    payload.report.discovery = discovery;
    payload.report.timings.discoveryMs = 1020;
    const doc = render(payload).document;
    const callout = doc.querySelector('#discovery')!;
    expect(callout.textContent).toContain(
      `Behaviors discovered (the input names no behaviors): ${names.length} clusters of 400 pair prompts`,
    );
    expect(callout.textContent).toContain(`k = ${names.length} by silhouette in 2..12, seed 1234`);
    const items = [...callout.querySelectorAll('li')];
    expect(items.map((li) => li.getAttribute('data-behavior'))).toEqual(names);
    expect(items[1].textContent).toContain('term1a, term1b');
    expect(doc.body.textContent).toContain('behavior discovery 1.0 s');
  });
});
