/**
 * A small report for the renderer and webview tests, built from real persona statements in
 * examples/persona (texts, files, lines, labels). The numbers are test data shaped like the
 * analysis output (curves decay at behavior-specific rates); no product code reads them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Curve, JointRun, Report } from '../../src/core/report/types.js';
import type { ReportPayload, ReportSidecar } from '../../src/shared/protocol.js';

export const HOSTILE_TEXT = '</script><script>alert(1)</script><b>bold</b> <!-- x';
export const HOSTILE_NAME = '<b>bold-behavior</b> & <script>';

const ROOT = resolve(__dirname, '../..');
const DEFAULT_BEHAVIORS = ['narcissism', 'risk-averse', 'interest-in-science', 'agreeableness'];

interface Row {
  file: string;
  line: number;
  label: 1 | -1;
  text: string;
}

function readPersona(name: string, limit: number): Row[] {
  const file = join(ROOT, 'examples/persona', `${name}.jsonl`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(0, limit)
    .filter((l) => l.trim())
    .map((l, i) => {
      const r = JSON.parse(l) as { statement: string; answer_matching_behavior: string };
      return {
        file,
        line: i + 1,
        label: r.answer_matching_behavior.trim() === 'Yes' ? 1 : -1,
        text: r.statement,
      };
    });
}

function curve(steps: number, rate: number, d: number, beta: number, lr: number): Curve {
  const step = Array.from({ length: steps + 1 }, (_, t) => t);
  const ln2 = Math.log(2);
  return {
    step,
    trainLoss: step.map((t) => ln2 * Math.exp(-rate * t) * (1 + 0.03 * Math.sin(t))),
    testLoss: step.map((t) => ln2 * Math.exp(-rate * 0.9 * t)),
    testAccuracy: step.map((t) => 1 - 0.5 * Math.exp(-rate * 3 * t)),
    headChange: step.map((t) => 0.8 * 6 * beta * lr * t * d * Math.exp(-rate * t * 0.5)),
    bound: step.map((t) => 6 * beta * lr * t * d),
    cosine: step.map((t) => 1 - Math.exp(-rate * 5 * t)),
  };
}

export interface FixtureOptions {
  behaviors?: string[];
  perBehavior?: number;
  /** Adds a behavior whose name and statement are markup, for the escaping tests. */
  hostile?: boolean;
  /** The optional parts of a causal-LM, two-model run: phi, excluded behaviors, twoModel. */
  extras?: boolean;
  /** Extra map rows beyond the fixture's own (copies of its rows at new positions). */
  mapRows?: number;
  /**
   * The sidecar's per-row columns of issue #12/#15: lengths (the texts' own), flags (two kinds,
   * on every 97th and every 89th row) and two clusters by side of the map (every 50th row in none).
   */
  rowColumns?: boolean;
}

export const FIXTURE_FLAG_KINDS = ['possible-label-error', 'identical-pair'];
export const FIXTURE_CLUSTERS = ['left side', 'right side'];

export function fixturePayload(options: FixtureOptions = {}): ReportPayload {
  const names = [...(options.behaviors ?? DEFAULT_BEHAVIORS)];
  const per = options.perBehavior ?? 60;
  const rows = names.map((n) => readPersona(n, per));
  if (options.hostile) {
    const base = readPersona('openness', 24);
    base[0] = { ...base[0], text: HOSTILE_TEXT };
    names.push(HOSTILE_NAME);
    rows.push(base);
  }
  const rng = xoroshiro128plus(42);
  const gauss = (): number =>
    Math.sqrt(-2 * Math.log(1 - uniformFloat64(rng))) * Math.cos(2 * Math.PI * uniformFloat64(rng));
  const sim = {
    beta: 0.01,
    lr: 1e-5,
    steps: 100,
    batchSize: 128 as const,
    testFraction: 0.1,
    seed: 1234,
  };
  const m = names.length;
  const dist = names.map((_, i) => 2.4 - (1.8 * i) / Math.max(1, m - 1));
  const levels = dist.map((d) => d / dist[0] - 0.15);
  const rates = dist.map((d) => 0.012 * d);
  const perBehavior: Record<string, Curve> = {};
  names.forEach(
    (n, i) => (perBehavior[n] = curve(sim.steps, rates[i], dist[i], sim.beta, 1e4 * sim.lr)),
  );
  const joint = (boost: number[]): JointRun => {
    const pb: Record<string, Curve> = {};
    names.forEach(
      (n, i) =>
        (pb[n] = curve(
          sim.steps,
          0.02 * Math.max(0.05, levels[i] * boost[i]),
          dist[i],
          sim.beta,
          1e4 * sim.lr,
        )),
    );
    return {
      behaviors: names,
      curve: curve(sim.steps, 0.015, dist[0], sim.beta, 1e4 * sim.lr),
      perBehavior: pb,
    };
  };
  const weights = Object.fromEntries(names.map((n, i) => [n, levels[i] < 0.3 ? 3 : 1]));
  const levelsAfter = levels.map((l) => (l < 0.3 ? l + 0.35 : l - 0.05));
  const misalignment = [names[0], names[m - 1]].flatMap((n) =>
    (['base', 'aligned'] as const).map((start) => {
      const speed = start === 'aligned' ? 0.05 : 0.025;
      const c = curve(sim.steps, speed, dist[0], sim.beta, 1e4 * sim.lr);
      const originalAccuracy = c.step.map(
        (t) => (start === 'aligned' ? 0.95 : 0.5) * Math.exp(-speed * t),
      );
      const below = originalAccuracy.findIndex((a) => a < 0.5);
      return {
        behavior: n,
        start,
        model: 'fixture-model',
        curve: c,
        stepsToBelowHalf: below < 0 ? null : below,
        originalAccuracy,
      };
    }),
  );
  const report: Report = {
    version: 1,
    createdAt: '2026-11-29T10:00:00.000Z',
    tool: { name: 'preference-lens', version: '0.1.0' },
    model: {
      id: 'Xenova/all-MiniLM-L6-v2',
      kind: 'sentence-embedding',
      dimension: 384,
      device: 'cpu',
      deviceReason: 'requested cpu',
      pooling: 'mean',
      sha256: 'ab'.repeat(32),
    },
    inputs: names.map((n, i) => ({
      file: rows[i][0].file,
      schema: 'evals' as const,
      rows: rows[i].length,
    })),
    behaviors: names.map((n, i) => {
      const pos = rows[i].filter((r) => r.label === 1);
      const neg = rows[i].filter((r) => r.label === -1);
      const deprioritized = levels[i] < 0.3;
      const suspect = rows[i][0];
      return {
        name: n,
        files: [{ file: rows[i][0].file, firstLine: 1 }],
        nPositive: pos.length,
        nNegative: neg.length,
        distinguishability: dist[i],
        distinguishabilityCI: [dist[i] * 0.9, dist[i] * 1.1] as [number, number],
        normalizedDistinguishability: dist[i] / 3,
        concentration: 0.4 + 0.1 * i,
        trace: 9 + i,
        priorityLevel: levels[i],
        warnings: deprioritized
          ? [
              {
                kind: 'deprioritized' as const,
                message: `Priority level ${levels[i].toFixed(2)} is below 0.3: DPO will learn ${n} last.`,
              },
            ]
          : [],
        suspects: [
          {
            file: suspect.file,
            line: suspect.line,
            label: suspect.label,
            projection: -0.12,
            text: suspect.text,
          },
        ],
      };
    }),
    priority: {
      names,
      gaps: names.map((_, i) => names.map((__, j) => levels[i] - levels[j])),
      levels,
    },
    simulation: {
      options: { ...sim, preset: 'reference' },
      perBehavior,
      joint: joint(names.map(() => 1)),
      misalignment,
    },
    rebalancing: {
      weights,
      levelsBefore: Object.fromEntries(names.map((n, i) => [n, levels[i]])),
      levelsAfter: Object.fromEntries(names.map((n, i) => [n, levelsAfter[i]])),
      jointBefore: joint(names.map(() => 1)),
      jointAfter: joint(levels.map((l) => (l < 0.3 ? 3 : 1))),
    },
    skipped: {
      total: 2,
      byReason: { 'invalid-json': 1, duplicate: 1 },
      lines: [
        {
          file: rows[0][0].file,
          line: 999,
          column: 1,
          reason: 'invalid-json',
          message: 'Unexpected token } in JSON',
        },
        {
          file: rows[0][0].file,
          line: 1000,
          column: 1,
          reason: 'duplicate',
          message: 'same statement as line 3',
        },
      ],
    },
    thresholds: { priorityLevel: 0.3, relativeDistinguishability: 0.5 },
    timings: { readMs: 120, embedMs: 5400, analysisMs: 800 },
  };
  if (options.extras) {
    report.behaviors.forEach((b, i) => (b.phi = 0.1 * (i + 1)));
    report.excluded = [{ name: 'tiny-behavior', reason: 'only 1 negative example (needs 2)' }];
    report.twoModel = misalignment
      .filter((r) => r.start === 'base')
      .map((r) => ({
        behavior: r.behavior,
        base: { distinguishability: 1.25, concentration: 0.5, trace: 9, run: r },
        aligned: {
          distinguishability: 2.5,
          concentration: 0.25,
          trace: 7,
          run: { ...r, model: 'fixture-model-dpo', stepsToBelowHalf: 7 },
        },
      }));
  }
  // The map's rows: every fixture row, then `mapRows` more drawn from them (a large mixture).
  const sidecar: ReportSidecar = {
    version: 1,
    rows: 0,
    projection: { method: 'pca', reason: 'fixture', seed: 1234, pcaDims: 2, pcaSample: 0, ms: 12 },
    behaviors: names,
    files: rows.map((r) => r[0].file),
    x: [],
    y: [],
    behavior: [],
    label: [],
    file: [],
    line: [],
    text: [],
  };
  const push = (b: number, r: Row): void => {
    sidecar.x.push((r.label * dist[b]) / 2 + 0.5 * gauss());
    sidecar.y.push(2 * b + 0.5 * gauss());
    sidecar.behavior.push(b);
    sidecar.label.push(r.label);
    sidecar.file.push(b);
    sidecar.line.push(r.line);
    sidecar.text.push(r.text);
  };
  rows.forEach((rs, b) => rs.forEach((r) => push(b, r)));
  for (let k = 0; k < (options.mapRows ?? 0); k++) {
    const b = k % rows.length;
    push(b, rows[b][Math.floor(k / rows.length) % rows[b].length]);
  }
  sidecar.rows = sidecar.x.length;
  if (options.rowColumns) {
    sidecar.length = sidecar.text.map((t) => t.length);
    sidecar.flagKinds = FIXTURE_FLAG_KINDS;
    sidecar.flags = sidecar.x.map((_, i) => (i % 97 === 0 ? 1 : 0) | (i % 89 === 0 ? 2 : 0));
    sidecar.clusters = FIXTURE_CLUSTERS;
    sidecar.cluster = sidecar.x.map((x, i) => (i % 50 === 0 ? -1 : x < 0 ? 0 : 1));
  }
  return { report, sidecar };
}
