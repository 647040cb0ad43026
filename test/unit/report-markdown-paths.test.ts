import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/shared/markdown.js';
import type { Report } from '../../src/core/report/types.js';
import { fixturePayload } from './report-fixture.js';

// A file name may hold anything but '/' and NUL: newlines that end a code span and a paragraph,
// then raw HTML that a Markdown renderer with HTML enabled (markdown-it's html: true, as in many
// PR-comment and docs pipelines) turns into elements.
const HOSTILE_PATH =
  'data/evil`\n\n<img src=x onerror=alert(1)>\n\n| a | b |\n<script>alert(2)</script>\x1b]0;title\x07.jsonl';

/** The report with every file path and the model id replaced by the hostile one. */
const hostileReport = (): Report => {
  const report = structuredClone(fixturePayload({ hostile: true, extras: true }).report);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object')
      for (const [key, v] of Object.entries(value)) {
        if (key === 'file' && typeof v === 'string')
          (value as Record<string, unknown>)[key] = HOSTILE_PATH;
        else visit(v);
      }
  };
  visit(report);
  report.model.id = HOSTILE_PATH;
  report.skipped = {
    total: 1,
    byReason: { 'invalid-json': 1 },
    lines: [
      { file: HOSTILE_PATH, line: 3, column: 1, reason: 'invalid-json', message: 'unexpected end' },
    ],
  };
  return report;
};

const allTokens = (tokens: Token[]): Token[] =>
  tokens.flatMap((t) => [t, ...allTokens(t.children ?? [])]);

describe('Markdown report: file paths', () => {
  const md = renderMarkdown(hostileReport());
  const renderer = new MarkdownIt({ html: true });

  it('render as text with a real Markdown renderer: no raw HTML element comes out', () => {
    const tokens = allTokens(renderer.parse(md, {}));
    expect(tokens.filter((t) => t.type === 'html_block' || t.type === 'html_inline')).toEqual([]);
    const html = renderer.render(md);
    expect(html).not.toMatch(/<img|<script/i);
    expect(html.includes('\x1b')).toBe(false);
    // The path is still there to read, its newlines written as \n.
    expect(html).toContain('evil`\\n\\n&lt;img src=x onerror=alert(1)&gt;');
  });
});
