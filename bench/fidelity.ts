/**
 * Fidelity of an embedder against the original fp32 model, in the unit the analysis reports:
 * each bundled persona behavior's distinguishability ||mu+ - mu-|| (examples/persona, the
 * `question` texts the analysis embeds) against the figures PyTorch fp32 sentence-transformers
 * gives (test/fixtures/embed/persona-distinguishability.json, tools/model/persona_reference.py).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Embedder } from '../src/core/embed/index.js';

const repo = join(__dirname, '..');

export interface PersonaBehavior {
  name: string;
  texts: string[];
  /** +1: the preferred answer is " Yes" (the statement matches the behavior); -1 otherwise. */
  labels: number[];
}

/** The bundled behaviors (all of examples/persona, or the named ones), in file-name order. */
export const personaBehaviors = (names?: readonly string[]): PersonaBehavior[] => {
  const dir = join(repo, 'examples', 'persona');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .filter((f) => !names || names.includes(basename(f, '.jsonl')));
  return files.map((f) => {
    const records = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { question: string; answer_matching_behavior: string });
    return {
      name: basename(f, '.jsonl'),
      texts: records.map((r) => r.question),
      labels: records.map((r) => (r.answer_matching_behavior.trim() === 'Yes' ? 1 : -1)),
    };
  });
};

/** The fp32 reference: behavior name -> distinguishability. */
export const fp32Distinguishability = (): Map<string, number> => {
  const file = join(repo, 'test', 'fixtures', 'embed', 'persona-distinguishability.json');
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as {
    behaviors: Record<string, { distinguishability: number }>;
  };
  return new Map(Object.entries(fixture.behaviors).map(([k, v]) => [k, v.distinguishability]));
};

/** ||mu+ - mu-|| of rows `data` (n x dim) with labels +1 / -1, summed in float64. */
export const distinguishability = (data: Float32Array, dim: number, labels: number[]): number => {
  const diff = new Float64Array(dim);
  const pos = labels.filter((l) => l > 0).length;
  const neg = labels.length - pos;
  labels.forEach((l, i) => {
    const w = l > 0 ? 1 / pos : -1 / neg;
    for (let k = 0; k < dim; k++) diff[k] += w * data[i * dim + k];
  });
  return Math.sqrt(diff.reduce((s, x) => s + x * x, 0));
};

/** Ranks 1..n, ties sharing their mean rank. */
const ranks = (values: number[]): number[] => {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let s = 0; s < order.length;) {
    let e = s;
    while (e + 1 < order.length && order[e + 1][0] === order[s][0]) e++;
    for (let k = s; k <= e; k++) out[order[k][1]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return out;
};

/** Spearman's rank correlation: Pearson's correlation of the ranks. */
export const spearman = (a: number[], b: number[]): number => {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  ra.forEach((x, i) => {
    num += (x - mean) * (rb[i] - mean);
    da += (x - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  });
  return num / Math.sqrt(da * db);
};

export interface Fidelity {
  behaviors: { name: string; reference: number; ours: number; relative: number }[];
  maxRelative: number;
  medianRelative: number;
  spearman: number;
}

/** Embeds the behaviors' texts with `embedder` and compares each distinguishability with fp32. */
export const measureFidelity = async (
  embedder: Embedder,
  behaviors: PersonaBehavior[] = personaBehaviors(),
): Promise<Fidelity> => {
  const reference = fp32Distinguishability();
  const rows: Fidelity['behaviors'] = [];
  for (const b of behaviors) {
    const ref = reference.get(b.name);
    if (ref === undefined) throw new Error(`No fp32 reference for the behavior ${b.name}.`);
    const out = await embedder.embed(b.texts);
    const ours = distinguishability(out.data, out.dim, b.labels);
    rows.push({ name: b.name, reference: ref, ours, relative: Math.abs(ours / ref - 1) });
  }
  const rel = rows.map((r) => r.relative).sort((x, y) => x - y);
  return {
    behaviors: rows,
    maxRelative: rel[rel.length - 1],
    medianRelative:
      rel.length % 2
        ? rel[(rel.length - 1) / 2]
        : (rel[rel.length / 2 - 1] + rel[rel.length / 2]) / 2,
    spearman: spearman(
      rows.map((r) => r.reference),
      rows.map((r) => r.ours),
    ),
  };
};
