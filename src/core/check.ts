import { exclusionReason } from './analysis/requirements.js';
import { readDatasets } from './dataset/index.js';
import type { ReadOptions, SchemaName, SkippedLine, SkipReason } from './dataset/types.js';

/** What `check` found: the reading half of an analysis, without a model. */
export interface CheckReport {
  files: Array<{
    file: string;
    schema: SchemaName;
    lines: number;
    records: number;
    skipped: number;
    blank: number;
    behaviorField?: string;
  }>;
  /** Rows per behavior, in order of first appearance. */
  behaviors: Array<{ name: string; positive: number; negative: number }>;
  /** Behaviors the analysis would leave out, with why. */
  excluded: Array<{ name: string; reason: string }>;
  skipped: { total: number; byReason: Partial<Record<SkipReason, number>>; lines: SkippedLine[] };
}

/**
 * Reads `paths` with analyze()'s reader and options (keeping no rows) and sums up what an
 * analysis would get, without loading a model: for CI and pre-commit checks. Rejects, as
 * analyze() does, with DatasetInputError or DatasetSchemaError on unusable input.
 */
export async function checkDatasets(
  paths: readonly string[],
  options: ReadOptions = {},
): Promise<CheckReport> {
  // Rows are counted, not kept: memory stays small whatever the size of the files.
  const files = await readDatasets(paths, { ...options, keepRows: false });
  const counts = new Map<string, { positive: number; negative: number }>();
  const skipped: SkippedLine[] = [];
  const byReason: CheckReport['skipped']['byReason'] = {};
  for (const f of files) {
    for (const [behavior, n] of Object.entries(f.rowCounts ?? {})) {
      let c = counts.get(behavior);
      if (!c) counts.set(behavior, (c = { positive: 0, negative: 0 }));
      c.positive += n.positive;
      c.negative += n.negative;
    }
    for (const s of f.skipped) {
      skipped.push(s);
      byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
    }
  }
  const behaviors = [...counts].map(([name, c]) => ({ name, ...c }));
  const excluded = behaviors.flatMap((b) => {
    const reason = exclusionReason(b.positive, b.negative);
    return reason === null ? [] : [{ name: b.name, reason }];
  });
  return {
    files: files.map((f) => {
      const c = f.counts ?? { lines: 0, records: 0, skipped: f.skipped.length, blank: 0 };
      const out: CheckReport['files'][number] = { file: f.file, schema: f.schema, ...c };
      if (f.behaviorField !== undefined) out.behaviorField = f.behaviorField;
      return out;
    }),
    behaviors,
    excluded,
    skipped: { total: skipped.length, byReason, lines: skipped },
  };
}
