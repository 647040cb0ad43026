/**
 * Cheap checks on the pairs themselves, the ones preference-data profilers run before training:
 * pairs whose two sides the model cannot tell apart (identical or near-identical vectors), texts
 * cut by the model's token limit, length bias (is "chosen" simply "longer"?), and prompts that
 * repeat within a behavior or appear in two behaviors. Linear in the rows (one dot product per
 * pair, one hash per prompt): a small fraction of the embedding time (bench/pair-checks.ts).
 */
import type { MixtureWarning, PairChecksReport, LengthBias } from './types.js';
import { HalfRows, readRow, type RowData } from '../io/half.js';

/** Defaults of the checks' thresholds (settings preferenceLens.checks.*, CLI options). */
export const DEFAULT_CHECK_THRESHOLDS = {
  /** Two sides of a pair at or above this cosine are near-identical (0.99: preflight's default). */
  nearIdenticalCosine: 0.99,
  /** Length bias: chosen longer in at least this fraction of the pairs (or at most 1 − it). */
  lengthBiasFraction: 0.65,
  /** Length bias: |correlation of the length difference with the label| at least this. */
  lengthBiasCorrelation: 0.3,
} as const;

export type CheckThresholds = { -readonly [K in keyof typeof DEFAULT_CHECK_THRESHOLDS]: number };

/** Fewer pairs (or unpaired rows) than this make no length-bias claim. */
const MIN_LENGTH_ROWS = 10;
/** file:line examples kept per warning (the count is always the total). */
export const MAX_CHECK_EXAMPLES = 20;

export interface CheckRow {
  behavior: string;
  label: 1 | -1;
  file: string;
  line: number;
  pair?: number;
}

export interface PairCheckInput {
  rows: readonly CheckRow[];
  /** Row vectors [rows, dim], C order. */
  data: RowData;
  dim: number;
  /** Per row: the length in characters of what its label is about (the response; an evals row's question). */
  responseLength: ArrayLike<number>;
  /** Per row: its prompt's identity (exact) and the identity of its normalized form (near), or null. */
  promptKeys: readonly ({ exact: string; near: string } | null)[];
  /** Per row: Embeddings.truncation (0 whole, 1 the prompt's start cut, 2 the response may be cut). */
  truncation?: Uint8Array;
  maxTokens?: number;
}

export interface PairCheckResult {
  report: PairChecksReport;
  warnings: MixtureWarning[];
}

type Where = { file: string; line: number };

/** A growing list of examples with its total count. */
class Finding {
  count = 0;
  readonly examples: Where[] = [];
  add(row: CheckRow): void {
    this.count += 1;
    if (this.examples.length < MAX_CHECK_EXAMPLES)
      this.examples.push({ file: row.file, line: row.line });
  }
}

const f2 = (x: number): string => x.toFixed(2);
const pct = (n: number, of: number): string =>
  of === 0 ? '0%' : `${((100 * n) / of).toFixed(n / of < 0.1 && n > 0 ? 1 : 0)}%`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** cos and exact equality of rows a and b. */
const compare = (stored: RowData, dim: number, a: number, b: number) => {
  // A half matrix's two rows as float32 (exact), at 0 and dim.
  const half = stored instanceof HalfRows;
  const data = half ? new Float32Array(2 * dim) : stored;
  if (half) {
    readRow(stored, dim, a, data.subarray(0, dim));
    readRow(stored, dim, b, data.subarray(dim));
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  let equal = true;
  const oa = half ? 0 : a * dim;
  const ob = half ? dim : b * dim;
  for (let k = 0; k < dim; k++) {
    const x = data[oa + k];
    const y = data[ob + k];
    dot += x * y;
    na += x * x;
    nb += y * y;
    if (x !== y) equal = false;
  }
  const norm = Math.sqrt(na * nb);
  return { cosine: norm > 0 ? dot / norm : equal ? 1 : 0, equal };
};

/** Accumulates one behavior's (or the mixture's) length statistics. */
class LengthTally {
  pairs = 0;
  chosenLonger = 0;
  ties = 0;
  /** Paired: sums of d = len(chosen) − len(rejected) and d². */
  sumD = 0;
  sumD2 = 0;
  /** Unpaired rows: sums for Pearson(length, label). */
  n = 0;
  sx = 0;
  sy = 0;
  sxx = 0;
  syy = 0;
  sxy = 0;

  addPair(d: number): void {
    this.pairs += 1;
    if (d > 0) this.chosenLonger += 1;
    else if (d === 0) this.ties += 1;
    this.sumD += d;
    this.sumD2 += d * d;
  }

  addRow(length: number, label: number): void {
    this.n += 1;
    this.sx += length;
    this.sy += label;
    this.sxx += length * length;
    this.syy += label * label;
    this.sxy += length * label;
  }

  result(): LengthBias {
    if (this.pairs > 0) {
      // Each pair as two rows (d, +1) and (−d, −1): both means are 0, so Pearson's r is
      // mean(d) / rms(d), the correlation of the length difference with the label.
      const rms = Math.sqrt(this.sumD2 / this.pairs);
      return {
        pairs: this.pairs,
        chosenLonger: this.chosenLonger,
        ties: this.ties,
        fractionChosenLonger: this.chosenLonger / this.pairs,
        correlation: rms > 0 ? this.sumD / this.pairs / rms : 0,
      };
    }
    const { n } = this;
    const cov = this.sxy / n - (this.sx / n) * (this.sy / n);
    const vx = this.sxx / n - (this.sx / n) ** 2;
    const vy = this.syy / n - (this.sy / n) ** 2;
    return {
      pairs: 0,
      rows: n,
      correlation: n > 0 && vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : 0,
    };
  }
}

const biased = (b: LengthBias, t: CheckThresholds): boolean => {
  if (b.pairs > 0) {
    if (b.pairs < MIN_LENGTH_ROWS) return false;
    const f = b.fractionChosenLonger ?? 0.5;
    return (
      f >= t.lengthBiasFraction ||
      f <= 1 - t.lengthBiasFraction ||
      Math.abs(b.correlation) >= t.lengthBiasCorrelation
    );
  }
  return (b.rows ?? 0) >= MIN_LENGTH_ROWS && Math.abs(b.correlation) >= t.lengthBiasCorrelation;
};

const describeBias = (name: string, b: LengthBias): string =>
  b.pairs > 0
    ? `${name}: chosen longer in ${pct(b.chosenLonger ?? 0, b.pairs)} of ${b.pairs} pairs, r = ${f2(b.correlation)}`
    : `${name}: r = ${f2(b.correlation)} over ${b.rows} rows`;

/** Runs every check; the warnings list only the checks that found something. */
export function runPairChecks(
  input: PairCheckInput,
  thresholds: Partial<CheckThresholds> = {},
): PairCheckResult {
  const t0 = performance.now();
  const t: CheckThresholds = { ...DEFAULT_CHECK_THRESHOLDS, ...thresholds };
  const { rows, data, dim } = input;

  // Pairs: the chosen (+1) row of each pair id against each of its rejected (−1) rows (a
  // multiple-choice record in option-text form can have several).
  const members = new Map<number, number[]>();
  rows.forEach((row, r) => {
    if (row.pair === undefined) return;
    const list = members.get(row.pair);
    if (list) list.push(r);
    else members.set(row.pair, [r]);
  });
  const pairs: [number, number][] = [];
  for (const list of members.values()) {
    const chosen = list.filter((r) => rows[r].label === 1);
    const rejected = list.filter((r) => rows[r].label === -1);
    for (const c of chosen) for (const r of rejected) pairs.push([c, r]);
  }
  const identical = new Finding();
  const near = new Finding();
  const overall = new LengthTally();
  const perBehavior = new Map<string, LengthTally>();
  const tally = (name: string) => {
    let b = perBehavior.get(name);
    if (!b) perBehavior.set(name, (b = new LengthTally()));
    return b;
  };
  const identicalTruncated = { count: 0 };
  for (const [c, r] of pairs) {
    const { cosine, equal } = compare(data, dim, c, r);
    if (equal) {
      identical.add(rows[c]);
      if (input.truncation && (input.truncation[c] || input.truncation[r]))
        identicalTruncated.count += 1;
    } else if (cosine >= t.nearIdenticalCosine) near.add(rows[c]);
    const d = input.responseLength[c] - input.responseLength[r];
    overall.addPair(d);
    tally(rows[c].behavior).addPair(d);
  }
  rows.forEach((row, r) => {
    if (row.pair !== undefined) return;
    overall.addRow(input.responseLength[r], row.label);
    tally(row.behavior).addRow(input.responseLength[r], row.label);
  });

  // Truncation: counts over rows, examples of the rows whose response may be cut.
  let truncatedRows = 0;
  let promptCutRows = 0;
  const responseCut = new Finding();
  if (input.truncation) {
    input.truncation.forEach((flag, r) => {
      if (flag === 0) return;
      truncatedRows += 1;
      if (flag === 1) promptCutRows += 1;
      else responseCut.add(rows[r]);
    });
  }

  // Prompts: one per record (a pair's two rows share theirs).
  const exactSeen = new Map<string, number>();
  const nearSeen = new Map<string, number>();
  const exactDup = new Finding();
  const nearDup = new Finding();
  const behaviorsOfPrompt = new Map<string, { behaviors: Set<string>; first: number[] }>();
  const records = new Set<number>();
  rows.forEach((row, r) => {
    const key = input.promptKeys[r];
    if (!key) return;
    if (row.pair !== undefined) {
      if (records.has(row.pair)) return;
      records.add(row.pair);
    }
    const exact = `${row.behavior}\u0000${key.exact}`;
    const normalized = `${row.behavior}\u0000${key.near}`;
    if (exactSeen.has(exact)) exactDup.add(row);
    else if (nearSeen.has(normalized)) nearDup.add(row);
    if (!exactSeen.has(exact)) exactSeen.set(exact, r);
    if (!nearSeen.has(normalized)) nearSeen.set(normalized, r);
    const shared = behaviorsOfPrompt.get(key.near);
    if (!shared)
      behaviorsOfPrompt.set(key.near, { behaviors: new Set([row.behavior]), first: [r] });
    else if (!shared.behaviors.has(row.behavior)) {
      shared.behaviors.add(row.behavior);
      shared.first.push(r);
    }
  });
  const crossBehavior = new Finding();
  const crossNames = new Set<string>();
  for (const { behaviors, first } of behaviorsOfPrompt.values()) {
    if (behaviors.size < 2) continue;
    // One count per prompt; its examples are its first line in each behavior.
    crossBehavior.count += 1;
    for (const r of first) {
      crossNames.add(rows[r].behavior);
      if (crossBehavior.examples.length < MAX_CHECK_EXAMPLES)
        crossBehavior.examples.push({ file: rows[r].file, line: rows[r].line });
    }
  }

  const lengthBias: PairChecksReport['lengthBias'] = {
    overall: overall.result(),
    perBehavior: Object.fromEntries([...perBehavior].map(([name, b]) => [name, b.result()])),
  };

  const warnings: MixtureWarning[] = [];
  const push = (kind: MixtureWarning['kind'], f: Finding, message: string) =>
    warnings.push({ kind, message, count: f.count, examples: f.examples });
  const n = pairs.length;
  if (identical.count > 0) {
    const why =
      identicalTruncated.count > 0
        ? ` ${plural(identicalTruncated.count, 'of them was', 'of them were')} cut at the model's ${input.maxTokens ?? ''} token limit.`
        : ' Their responses differ only in what the model does not see (case, accents, spacing, or text past its limit).';
    push(
      'identical-pairs',
      identical,
      `${plural(identical.count, 'pair')} of ${n} (${pct(identical.count, n)}) embed their chosen and rejected sides identically: they carry no preference signal for this model.${why}`,
    );
  }
  if (near.count > 0) {
    push(
      'near-identical-pairs',
      near,
      `${plural(near.count, 'pair')} of ${n} (${pct(near.count, n)}) have sides with cosine ≥ ${t.nearIdenticalCosine} (not identical): their preference is a small edit the model barely sees; check that they say what they should.`,
    );
  }
  if (responseCut.count > 0) {
    push(
      'truncated-texts',
      responseCut,
      `${plural(responseCut.count, 'text')} ${responseCut.count === 1 ? 'is' : 'are'} longer than the model's ${input.maxTokens ?? ''} tokens where the part that is compared may be cut (a response alone too long, or a text without a prompt boundary); ${truncatedRows} of ${rows.length} texts were cut in all (${promptCutRows} only at the start of their prompt, which keeps the compared response whole).`,
    );
  }
  const biasedNames = [...perBehavior.keys()].filter((name) =>
    biased(lengthBias.perBehavior[name], t),
  );
  const overallBiased = biased(lengthBias.overall, t);
  if (biasedNames.length > 0 || overallBiased) {
    const first = new Finding();
    first.count = biasedNames.length;
    for (const name of biasedNames) {
      const r = rows.findIndex((row) => row.behavior === name);
      if (r >= 0 && first.examples.length < MAX_CHECK_EXAMPLES)
        first.examples.push({ file: rows[r].file, line: rows[r].line });
    }
    const list = biasedNames
      .slice(0, 5)
      .map((name) => describeBias(name, lengthBias.perBehavior[name]));
    const more = biasedNames.length > 5 ? `; and ${biasedNames.length - 5} more` : '';
    push(
      'length-bias',
      first,
      `Length predicts the label (${describeBias('overall', lengthBias.overall)}; warned at a fraction ≥ ${f2(t.lengthBiasFraction)} or ≤ ${f2(1 - t.lengthBiasFraction)}, or |r| ≥ ${f2(t.lengthBiasCorrelation)})${list.length ? `: ${list.join('; ')}${more}` : ''}. A model can learn "longer is better" instead of the behavior.`,
    );
  }
  if (exactDup.count > 0) {
    push(
      'duplicate-prompts',
      exactDup,
      `${plural(exactDup.count, 'record')} repeat an earlier prompt of the same behavior exactly: several pairs per prompt are normal for DPO, but each repeat weighs the prompt again in the statistics and may state conflicting preferences.`,
    );
  }
  if (nearDup.count > 0) {
    push(
      'near-duplicate-prompts',
      nearDup,
      `${plural(nearDup.count, 'record')} repeat an earlier prompt of the same behavior up to case, spacing and punctuation.`,
    );
  }
  if (crossBehavior.count > 0) {
    const names = [...crossNames].slice(0, 4).join(', ');
    push(
      'shared-prompts',
      crossBehavior,
      `${plural(crossBehavior.count, 'prompt')} appear in two or more behaviors (${names}${crossNames.size > 4 ? ', …' : ''}): the behaviors overlap, so their statistics and priority levels are not independent.`,
    );
  }

  const report: PairChecksReport = {
    pairs: n,
    identicalPairs: identical.count,
    nearIdenticalPairs: near.count,
    truncation: {
      ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
      measured: input.truncation !== undefined,
      truncatedRows,
      promptCutRows,
      responseCutRows: responseCut.count,
    },
    lengthBias,
    prompts: {
      duplicate: exactDup.count,
      nearDuplicate: nearDup.count,
      sharedAcrossBehaviors: crossBehavior.count,
    },
    thresholds: t,
    ms: Math.round(performance.now() - t0),
  };
  return { report, warnings };
}

/**
 * What near-duplicate prompts share: Unicode-normalized (NFKC), lower-cased, with every run of
 * characters other than letters and digits turned into one space.
 */
export const normalizePrompt = (text: string): string =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
