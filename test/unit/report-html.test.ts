import { beforeAll, describe, expect, it } from 'vitest';
import {
  escapeRawText,
  jsonForHtml,
  renderHtml,
  type ReportAssets,
} from '../../src/core/report/html.js';
import { buildReportAssets } from './report-assets.js';
import { fixturePayload, HOSTILE_TEXT } from './report-fixture.js';

const BREAKOUT = '</script><script>alert(1)</script>';

describe('renderHtml', () => {
  let assets: ReportAssets;
  beforeAll(async () => {
    assets = await buildReportAssets();
  });

  it('embeds the payload so that no dataset text can end the script element', () => {
    const payload = fixturePayload({ hostile: true });
    payload.report.behaviors[0].name = BREAKOUT;
    payload.report.createdAt = `2026-01-01 ${BREAKOUT}`;
    const html = renderHtml(payload, assets, { nonce: 'n0nce' });
    // Exactly the two script elements the template writes: payload (with the projected map), webview.
    expect(html.match(/<script\b/gi)).toHaveLength(2);
    expect(html.match(/<\/script>/gi)).toHaveLength(2);
    expect(html).not.toContain(BREAKOUT);
    const json = /<script type="application\/json" id="payload">([\s\S]*?)<\/script>/.exec(
      html,
    )![1];
    expect(json).not.toMatch(/[<>]/);
    expect(JSON.parse(json)).toEqual(payload);
    expect(html).toContain(jsonForHtml(HOSTILE_TEXT).slice(1, -1));
  });

  it('runs only nonce-carrying code under a strict CSP and needs no network', () => {
    const html = renderHtml(fixturePayload(), assets, { nonce: 'abc123' });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'nonce-abc123'");
    // The map arrives projected: the page starts no worker, so none may be started.
    expect(csp).not.toContain('worker-src');
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(html).toMatch(/<script nonce="abc123">/);
    expect(html).toMatch(/<style nonce="abc123">/);
    // No resource is loaded from anywhere: no src/href/url()/@import pointing at a server.
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('a random nonce differs per render', () => {
    const a = /nonce-([^']+)'/.exec(renderHtml(fixturePayload(), assets))![1];
    const b = /nonce-([^']+)'/.exec(renderHtml(fixturePayload(), assets))![1];
    expect(a).not.toBe(b);
    expect(a.length).toBeGreaterThanOrEqual(16);
  });

  it('escapes raw-text terminators in inline code', () => {
    expect(escapeRawText('x="</script>";y="<!--"', 'script')).toBe('x="<\\/script>";y="<\\!--"');
    expect(escapeRawText('a{}</STYLE>', 'style')).toBe('a{}<\\/STYLE>');
  });
});
