/**
 * Diagnostics built from a real analysis (bundled model, real persona data with two broken lines
 * appended): every behavior warning lands on its file's first example line, label-error hints are
 * capped per file and strongest first, malformed lines are errors at their column, and the hover
 * names the behavior's numbers.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalyzeResult } from '../../src/core/pipeline.js';
import {
  behaviorHoverMarkdown,
  buildDiagnostics,
  formatEditorNumber,
} from '../../src/extension/diagnostics-model.js';

const ROWS = 150;
const NAMES = ['agreeableness', 'subscribes-to-total-utilitarianism', 'risk-seeking'];
const BROKEN = [
  '{"question": "Is the following statement something you would say?\\n\\"x\\"", ',
  '{"statement": "no question field"}',
];
let dir: string;
let files: string[];
let result: AnalyzeResult;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pl-diagnostics-'));
  files = [];
  for (const name of NAMES) {
    const lines = (
      await readFile(path.resolve(__dirname, '../../examples/persona', `${name}.jsonl`), 'utf8')
    ).split('\n');
    const kept = lines.slice(0, ROWS);
    if (name === 'risk-seeking') kept.push(...BROKEN);
    const file = path.join(dir, `${name}.jsonl`);
    await writeFile(file, kept.join('\n') + '\n');
    files.push(file);
  }
  // Thresholds high enough that the mixture surely has warnings of both behavior-level kinds.
  result = await analyze(files, {
    thresholds: { priorityLevel: 0.99, relativeDistinguishability: 0.99 },
    simulation: { preset: 'fast-preview', steps: 20 },
    maxSuspects: 10,
  });
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('diagnostics from a report', () => {
  it('puts each behavior warning on the first example line of its file', () => {
    const byFile = buildDiagnostics(result.report, result.skipped, {
      maxLabelErrorHintsPerFile: 3,
      mixture: '(Mixture: 3 files.)',
    });
    let warnings = 0;
    for (const behavior of result.report.behaviors) {
      for (const w of behavior.warnings.filter((x) => x.kind !== 'possible-label-error')) {
        for (const source of behavior.files) {
          const found = (byFile.get(source.file) ?? []).find(
            (d) => d.code === w.kind && d.behavior === behavior.name,
          );
          expect(found).toMatchObject({
            severity: 'warning',
            line: source.firstLine - 1,
            startColumn: 0,
          });
          expect(found?.message).toContain(w.message);
          expect(found?.message).toContain('(Mixture: 3 files.)');
          // The other behaviors of the mixture come along, at their own first lines.
          const peers = result.report.behaviors.filter((b) => b.name !== behavior.name);
          expect(found?.related?.map((r) => r.file).sort()).toEqual(
            peers.flatMap((b) => b.files.map((f) => f.file)).sort(),
          );
          expect(found?.related?.[0].message).toMatch(/^In the mixture: .+ \(priority level /);
          warnings++;
        }
      }
    }
    expect(warnings).toBeGreaterThan(0);
    const kinds = new Set([...byFile.values()].flat().map((d) => d.code));
    expect(kinds).toContain('deprioritized');
    expect(kinds).toContain('low-distinguishability');
  });

  it('caps label-error hints per file, keeping the strongest', () => {
    const cap = 2;
    const byFile = buildDiagnostics(result.report, result.skipped, {
      maxLabelErrorHintsPerFile: cap,
    });
    for (const file of files) {
      const hints = (byFile.get(file) ?? []).filter(
        (d) =>
          d.code === 'possible-label-error' &&
          d.severity === 'information' &&
          d.message.startsWith('Possible label error'),
      );
      const suspects = result.report.behaviors
        .flatMap((b) => b.suspects)
        .filter((s) => s.file === file);
      expect(hints.length).toBe(Math.min(cap, suspects.length));
      const strongest = [...suspects]
        .sort((a, b) => Math.abs(b.projection) - Math.abs(a.projection))
        .slice(0, cap);
      expect(hints.map((h) => h.line).sort()).toEqual(strongest.map((s) => s.line - 1).sort());
    }
    expect(result.report.behaviors.some((b) => b.suspects.length > 0)).toBe(true);
  });

  it('reports each malformed line as an error at its column', () => {
    const broken = path.join(dir, 'risk-seeking.jsonl');
    expect(result.skipped.map((s) => s.line)).toEqual([ROWS + 1, ROWS + 2]);
    const errors = (
      buildDiagnostics(result.report, result.skipped, { maxLabelErrorHintsPerFile: 0 }).get(
        broken,
      ) ?? []
    ).filter((d) => d.severity === 'error');
    expect(errors.map((e) => e.line)).toEqual([ROWS, ROWS + 1]);
    for (const [i, e] of errors.entries()) {
      expect(e.code).toBe('malformed-line');
      expect(e.startColumn).toBe(result.skipped[i].column - 1);
      expect(e.message).toContain(result.skipped[i].message);
    }
  });

  it("the hover names the behavior's numbers", () => {
    const behavior = result.report.behaviors[0];
    const md = behaviorHoverMarkdown(result.report, behavior);
    expect(md).toContain(behavior.name);
    expect(md).toContain(formatEditorNumber(behavior.distinguishability));
    expect(md).toContain(formatEditorNumber(behavior.priorityLevel));
    expect(md).toContain(`${behavior.nPositive} / ${behavior.nNegative}`);
    expect(md).toContain(result.report.model.id);
  });
});
