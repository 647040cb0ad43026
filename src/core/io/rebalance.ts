import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Rng } from '../analysis/rng.js';
import { isJsonArrayFile } from '../dataset/json-array.js';
import { readLines } from '../dataset/lines.js';
import { formatOfPath } from '../dataset/position.js';
import { REBALANCE_MARKER } from '../dataset/read.js';
import type { DatasetFile } from '../dataset/types.js';
import { writeAtomically } from './atomic-write.js';

export interface RebalanceWriteOptions {
  /** Seed of the choice of which records get the extra copy of a fractional weight. */
  seed?: number;
  /** The same overlays the files were read with, so the copied lines are the analyzed ones. */
  overlays?: ReadonlyMap<string, string>;
  signal?: AbortSignal;
}

export interface RebalanceBehaviorCount {
  weight: number;
  /** Records kept by the reader for this behavior. */
  records: number;
  /** Lines written for them (copies included). */
  written: number;
}

export interface RebalanceWriteResult {
  /** The files written: `out` itself, or one file per source inside the folder `out`. */
  files: string[];
  lines: number;
  behaviors: Record<string, RebalanceBehaviorCount>;
}

/** FNV-1a, to give each behavior its own random stream whatever the other behaviors are. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * How many times each record is written: the integer part of its behavior's weight, plus one
 * for exactly round(fraction x records) of them, chosen by a seeded partial shuffle, so that the
 * written count matches the weight as closely as whole records allow (no binomial noise).
 */
export function recordCopies(
  records: number,
  weight: number,
  seed: number,
  behavior: string,
): Uint32Array {
  if (!Number.isFinite(weight) || weight < 0) {
    throw new Error(`weight of "${behavior}" must be a finite number >= 0, got ${weight}`);
  }
  const whole = Math.floor(weight);
  const extra = Math.round((weight - whole) * records);
  const copies = new Uint32Array(records).fill(whole);
  const order = Array.from({ length: records }, (_, i) => i);
  const rng = new Rng(Math.imul(seed | 0, 0x9e3779b1) ^ hashName(behavior));
  for (let i = 0; i < extra; i++) {
    const j = i + rng.int(records - i);
    [order[i], order[j]] = [order[j], order[i]];
    copies[order[i]] += 1;
  }
  return copies;
}

function isFolderTarget(out: string, isDirectory: boolean): boolean {
  return isDirectory || !/\.jsonl$/i.test(out);
}

/**
 * The line with the marker field appended (REBALANCE_MARKER): its behavior, so that one merged
 * file keeps persona behaviors (named after their files) apart, and which copy it is, so that
 * re-analyzing the output keeps the copies instead of dropping them as duplicates. The original
 * fields stay verbatim; the line is a JSON object (the reader kept it).
 */
export function markLine(text: string, behavior: string, copy: number): string {
  const t = text.trimEnd();
  const body = t.slice(0, -1);
  const empty = /\{\s*$/.test(body);
  return `${body}${empty ? '' : ', '}"${REBALANCE_MARKER}": ${JSON.stringify({ behavior, copy })}}`;
}

/**
 * Writes a rebalanced copy of the analyzed datasets: every kept record's original JSONL line
 * repeated per its behavior's weight (behaviors absent from `weights` keep weight 1; skipped
 * lines are left out), each line marked with its behavior and copy number (markLine), and the
 * lines of each output file in a seeded random order: trainers that read in order (or take the
 * first N lines) would otherwise see each record's copies back to back and the behaviors one
 * after another.
 *
 * `out` ending in ".jsonl" is one file holding all sources (behaviors kept by the marker).
 * Otherwise `out` is a folder that gets one file per source under the source's name.
 *
 * The sources must be unchanged since they were read (the line count is checked).
 */
export async function writeRebalancedJsonl(
  out: string,
  files: readonly DatasetFile[],
  weights: Readonly<Record<string, number>>,
  options: RebalanceWriteOptions = {},
): Promise<RebalanceWriteResult> {
  for (const f of files) {
    // The writer copies lines: a Parquet row or a JSON array element is not one.
    const format = formatOfPath(f.file);
    if (
      format === 'parquet' ||
      (format === 'json' && (await isJsonArrayFile(f.file, options.overlays?.get(f.file))))
    ) {
      throw new Error(
        `--rebalance-out copies JSONL lines, and ${f.file} is ${format === 'parquet' ? 'a Parquet file' : 'a JSON array'}; convert it to JSONL first (e.g. pandas: read_parquet / read_json, then to_json(lines=True, orient="records"))`,
      );
    }
  }
  const seed = options.seed ?? 0;
  const byBehavior = new Map<string, Array<{ file: number; line: number }>>();
  files.forEach((dataset, index) => {
    let previous = -1;
    for (const example of dataset.examples) {
      if (example.line === previous) continue; // the second row of a pair
      previous = example.line;
      const list = byBehavior.get(example.behavior) ?? [];
      list.push({ file: index, line: example.line });
      byBehavior.set(example.behavior, list);
    }
  });
  const copiesPerFile = files.map(() => new Map<number, { copies: number; behavior: string }>());
  const behaviors: Record<string, RebalanceBehaviorCount> = {};
  for (const [behavior, records] of byBehavior) {
    const weight = weights[behavior] ?? 1;
    const copies = recordCopies(records.length, weight, seed, behavior);
    let written = 0;
    records.forEach((record, i) => {
      copiesPerFile[record.file].set(record.line, { copies: copies[i], behavior });
      written += copies[i];
    });
    behaviors[behavior] = { weight, records: records.length, written };
  }

  const existing = await stat(out).catch(() => null);
  const folder = isFolderTarget(out, existing?.isDirectory() ?? false);
  const targets = folder ? files.map((f) => path.join(out, path.basename(f.file))) : [out];
  if (new Set(targets).size !== targets.length) {
    throw new Error(`two sources share a file name; write into one .jsonl file instead of ${out}`);
  }
  const sources = new Set(files.map((f) => path.resolve(f.file)));
  const clash = targets.find((t) => sources.has(path.resolve(t)));
  if (clash) throw new Error(`${clash} is one of the sources; write the rebalanced data elsewhere`);
  await mkdir(folder ? out : path.dirname(out), { recursive: true });

  // Each target's lines are gathered, shuffled (seeded) and written; a rebalanced dataset is at
  // most a few times the analyzed one (its lines, not its embeddings).
  const rng = new Rng(Math.imul(seed | 0, 0x9e3779b1) ^ 0x5bd1e995);
  let lines = 0;
  let pending: string[] = [];
  const flush = async (target: string): Promise<void> => {
    rng.shuffle(pending);
    // Written beside the target and renamed over it once complete: an interrupted or failed run
    // leaves the previous file (or none), never a truncated dataset.
    await writeAtomically(target, async (temporary) => {
      const stream: WriteStream = createWriteStream(temporary, { encoding: 'utf8' });
      const failed = new Promise<never>((_, reject) => stream.once('error', reject));
      failed.catch(() => undefined);
      try {
        for (const text of pending)
          if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
      } finally {
        stream.end();
      }
      await Promise.race([once(stream, 'finish'), failed]);
    });
    lines += pending.length;
    pending = [];
  };
  for (let i = 0; i < files.length; i++) {
    const source = files[i];
    const copies = copiesPerFile[i];
    let lastLine = 0;
    for await (const { line, text } of readLines(source.file, {
      overlay: options.overlays?.get(source.file),
      signal: options.signal,
    })) {
      lastLine = line;
      const entry = copies.get(line);
      if (!entry) continue;
      for (let c = 0; c < entry.copies; c++) pending.push(`${markLine(text, entry.behavior, c)}\n`);
    }
    if (source.counts && source.counts.lines !== lastLine) {
      throw new Error(`${source.file} changed since it was analyzed; analyze it again`);
    }
    if (folder) await flush(targets[i]);
  }
  if (!folder) await flush(out);
  return { files: targets, lines, behaviors };
}
