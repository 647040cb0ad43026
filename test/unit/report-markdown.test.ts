import { describe, expect, it } from 'vitest';
import { escapeMarkdown, formatNumber, renderMarkdown } from '../../src/shared/markdown.js';
import { fixturePayload, HOSTILE_NAME, HOSTILE_TEXT } from './report-fixture.js';

describe('renderMarkdown', () => {
  const { report } = fixturePayload({ hostile: true });
  const md = renderMarkdown(report);

  it('ranks behaviors by distinguishability with their numbers', () => {
    const ranked = [...report.behaviors].sort(
      (a, b) => b.distinguishability - a.distinguishability,
    );
    const positions = ranked.map((b) =>
      md.indexOf(`| ${escapeMarkdown(b.name)} | ${b.nPositive} |`),
    );
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const b of report.behaviors) {
      expect(md).toContain(
        `${formatNumber(b.distinguishability)} [${formatNumber(b.distinguishabilityCI[0])}, ${formatNumber(b.distinguishabilityCI[1])}]`,
      );
      expect(md).toContain(formatNumber(b.priorityLevel));
    }
  });

  it('lists warnings, the gap matrix, simulation results, rebalancing and skipped lines', () => {
    const warned = report.behaviors.find((b) => b.warnings.length)!;
    expect(md).toContain(escapeMarkdown(warned.warnings[0].message));
    const g = report.priority.gaps[0][1];
    expect(md).toContain(formatNumber(g, 2));
    const c = report.simulation.perBehavior[report.behaviors[0].name];
    expect(md).toContain(formatNumber(c.testLoss[c.testLoss.length - 1]));
    expect(md).toContain(formatNumber(c.testAccuracy[c.testAccuracy.length - 1]));
    for (const m of report.simulation.misalignment) {
      expect(md).toContain(
        `| ${escapeMarkdown(m.behavior)} | ${m.model} | ${m.start} | ${m.stepsToBelowHalf ?? 'never'} |`,
      );
    }
    const [name, weight] = Object.entries(report.rebalancing!.weights).find(([, w]) => w !== 1)!;
    expect(md).toContain(`| ${escapeMarkdown(name)} | ×${formatNumber(weight, 2)} |`);
    expect(md).toContain('2 line(s) skipped.');
    expect(md).toContain('| invalid-json | 1 |');
    expect(md).toContain('Xenova/all-MiniLM-L6-v2');
  });

  it('neutralizes markup and table pipes in dataset text', () => {
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('<b>');
    expect(md).not.toContain(HOSTILE_NAME);
    expect(md).toContain('&lt;b&gt;bold-behavior&lt;/b&gt; &amp; &lt;script&gt;');
    expect(md).toContain(escapeMarkdown(HOSTILE_TEXT));
    expect(escapeMarkdown('a | b\nc *d*')).toBe('a \\| b c \\*d\\*');
  });

  it('adds phi, excluded behaviors and the two-checkpoint comparison when present', () => {
    const plain = renderMarkdown(fixturePayload().report);
    expect(plain).not.toContain('| φ |');
    expect(plain).not.toContain('Base vs aligned checkpoint');
    const rich = renderMarkdown(fixturePayload({ extras: true }).report);
    expect(rich).toMatch(/\| Trace \| φ \| Priority level \|/);
    expect(rich).toContain('| 0.400 |');
    expect(rich).toContain('- **tiny-behavior**: only 1 negative example (needs 2)');
    expect(rich).toContain('| narcissism | 1.250 → 2.500 | 0.500 → 0.250 | 9.000 → 7.000 |');
  });

  it('shows the rebalancing note and simulated accuracies, or only the note without a suggestion', () => {
    const { report: r } = fixturePayload({});
    const rb = r.rebalancing!;
    const [name] = Object.keys(rb.weights);
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
    const out = renderMarkdown(r);
    expect(out).toContain(rb.note);
    expect(out).toContain('| Accuracy before | Accuracy after |');
    expect(out).toContain(
      `| ${escapeMarkdown(name)} | ×${formatNumber(rb.weights[name], 2)} | ${formatNumber(rb.levelsBefore[name])} | ${formatNumber(rb.levelsAfter[name])} | 0.500 | 0.750 |`,
    );
    rb.suggested = false;
    rb.note = 'No rebalancing suggested: nothing helped.';
    const none = renderMarkdown(r);
    expect(none).toContain(
      '## Rebalancing suggestion\n\nNo rebalancing suggested: nothing helped.',
    );
    expect(none).not.toContain('| Upsampling weight |');
  });

  it('renders a one-behavior report without the optional sections', () => {
    const single = fixturePayload({ behaviors: ['narcissism'] }).report;
    single.simulation.joint = null;
    single.simulation.misalignment = [];
    single.rebalancing = null;
    single.skipped = { total: 0, byReason: {}, lines: [] };
    const out = renderMarkdown(single);
    expect(out).toContain('| 1 | narcissism |');
    expect(out).not.toContain('### Joint training');
    expect(out).not.toContain('## Rebalancing suggestion');
    expect(out).toContain('No lines were skipped.');
  });

  it('orders the gap matrix by priority level, highest first, as the HTML heatmap does', () => {
    // Levels in an order unlike the input order: the matrix must follow the levels.
    const { report: r } = fixturePayload({
      behaviors: ['narcissism', 'risk-averse', 'interest-in-science'],
    });
    r.priority.levels = [0.2, 0.9, 0.5];
    r.priority.gaps = r.priority.levels.map((a) => r.priority.levels.map((b) => a - b));
    const out = renderMarkdown(r);
    const gaps = out.slice(out.indexOf('## Pairwise priority gaps'));
    const rows = [...gaps.matchAll(/^\| (\d)\. ([a-z-]+) \|/gm)].map((m) => m[2]);
    expect(rows).toEqual(['risk-averse', 'interest-in-science', 'narcissism']);
    // Row risk-averse, column narcissism (3rd): 0.9 - 0.2.
    expect(gaps).toContain(
      `| 1. risk-averse | · | ${formatNumber(0.4, 2)} | ${formatNumber(0.7, 2)} |`,
    );
  });

  it('says the gap matrix is not meaningful for one behavior', () => {
    const { report: r } = fixturePayload({ behaviors: ['narcissism'] });
    expect(renderMarkdown(r)).toContain('Not meaningful with one behavior');
  });

  it('opens with the verdict: the order, what pulls a deprioritized behavior down, misalignment', () => {
    const { report: r } = fixturePayload();
    const low = r.behaviors[2];
    low.warnings = [{ kind: 'deprioritized', message: 'Deprioritized.' }];
    low.conflicts = [{ name: 'narcissism', cosine: -0.41, contribution: -0.02 }];
    const out = renderMarkdown(r);
    const verdict = out.slice(out.indexOf('## Verdict'), out.indexOf('## Warnings'));
    expect(out.indexOf('## Verdict')).toBeGreaterThan(0);
    const first = [...r.behaviors].sort((a, b) => b.distinguishability - a.distinguishability)[0];
    expect(verdict).toContain(
      `- Predicted learning order (most distinguishable first): ${first.name}`,
    );
    expect(verdict).toContain(
      `- Deprioritized by DPO on this mixture: ${low.name} (pulled down by narcissism, cos -0.41)`,
    );
    expect(verdict).toContain('Misalignment (flipped labels, head only)');
  });
});
