/**
 * Diagnostics as plain data, built from a finished Report. The vscode layer (diagnostics.ts) only
 * converts these to vscode.Diagnostic; everything that decides what is shown lives here and is
 * unit-tested on real reports.
 */
import { isParquetPath, parquetRowIndex } from '../core/dataset/position.js';
import type { SkippedLine } from '../core/dataset/types.js';
import type {
  BehaviorReport,
  MixtureWarningKind,
  Report,
  WarningKind,
} from '../core/report/types.js';

import { discoverySummary } from '../shared/discovery-note.js';
import { formatNumber } from '../shared/format.js';

export const DIAGNOSTIC_SOURCE = 'Preference Lens';

export type DiagnosticCode =
  WarningKind | MixtureWarningKind | 'malformed-line' | 'skipped-line' | 'discovered-behavior';
export type PlainSeverity = 'error' | 'warning' | 'information' | 'hint';

export interface PlainDiagnostic {
  file: string;
  /** 0-based, as VS Code ranges are. */
  line: number;
  startColumn: number;
  /** null: to the end of the line. */
  endColumn: number | null;
  severity: PlainSeverity;
  code: DiagnosticCode;
  message: string;
  /** The behavior the diagnostic is about (for hovers and code actions). */
  behavior?: string;
  /** The other behaviors of the mixture, with their numbers (VS Code's related information). */
  related?: { file: string; line: number; message: string }[];
}

export interface DiagnosticsOptions {
  /** Possible-label-error hints kept per file (preferenceLens.maxLabelErrorHints). */
  maxLabelErrorHintsPerFile: number;
  /** Sentence naming the files that formed the mixture. */
  mixture?: string;
}

// Borderline flags and label hints are information, not warnings.
const BEHAVIOR_LEVEL: readonly WarningKind[] = [
  'deprioritized',
  'indistinguishable',
  'low-distinguishability',
];

/**
 * Pair checks shown as warnings (the pairs carry no or little signal, the behaviors overlap, the
 * label follows length); the others (near-identical pairs, repeated prompts) are information:
 * several pairs per prompt or a small edit can be intended.
 */
const PAIR_CHECK_WARNINGS: readonly string[] = [
  'identical-pairs',
  'truncated-texts',
  'length-bias',
  'shared-prompts',
];

export const buildDiagnostics = (
  report: Report,
  skipped: readonly SkippedLine[],
  options: DiagnosticsOptions,
): Map<string, PlainDiagnostic[]> => {
  const byFile = new Map<string, PlainDiagnostic[]>();
  const push = (d: PlainDiagnostic): void => {
    const list = byFile.get(d.file);
    if (list) list.push(d);
    else byFile.set(d.file, [d]);
  };
  const mixture = options.mixture ? ` ${options.mixture}` : '';
  // A priority level only means something against the other behaviors trained with it.
  const peers = (name: string): PlainDiagnostic['related'] =>
    report.behaviors
      .filter((b) => b.name !== name)
      .flatMap((b) =>
        b.files.map((f) => ({
          file: f.file,
          line: Math.max(0, f.firstLine - 1),
          message:
            `In the mixture: ${b.name} (priority level ${formatEditorNumber(b.priorityLevel)}, ` +
            `distinguishability ${formatEditorNumber(b.distinguishability)})`,
        })),
      );

  for (const behavior of report.behaviors) {
    for (const warning of behavior.warnings) {
      const behaviorLevel = BEHAVIOR_LEVEL.includes(warning.kind);
      for (const source of behavior.files) {
        push({
          file: source.file,
          line: Math.max(0, source.firstLine - 1),
          startColumn: 0,
          endColumn: null,
          // The label-error summary is a hint to look closer, not a finding about the behavior.
          severity: behaviorLevel ? 'warning' : 'information',
          code: warning.kind,
          message: `${behavior.name}: ${warning.message}${mixture}${parquetRow(source.file, source.firstLine)}`,
          behavior: behavior.name,
          ...(behaviorLevel ? { related: peers(behavior.name) } : {}),
        });
      }
    }
  }

  // Mixture-level warnings on the first line of every input file (mixed schemas: a warning; a
  // single behavior: information, since nothing is wrong with the data). A pair check's warning
  // sits on the lines of its examples instead, where the pairs or prompts are.
  for (const w of report.warnings ?? []) {
    if (w.examples?.length) {
      const severity = PAIR_CHECK_WARNINGS.includes(w.kind) ? 'warning' : 'information';
      for (const e of w.examples) {
        push({
          file: e.file,
          line: Math.max(0, e.line - 1),
          startColumn: 0,
          endColumn: null,
          severity,
          code: w.kind,
          message: `${w.message}${(w.count ?? 0) > w.examples.length ? ` (this ${isParquetPath(e.file) ? 'row' : 'line'} is one of ${w.count}; the report lists ${w.examples.length})` : ''}${parquetRow(e.file, e.line)}`,
        });
      }
      continue;
    }
    for (const input of report.inputs) {
      push({
        file: input.file,
        line: 0,
        startColumn: 0,
        endColumn: null,
        severity: w.kind === 'mixed-schemas' ? 'warning' : 'information',
        code: w.kind,
        message: w.message,
      });
    }
  }

  // Discovered behaviors: information on each cluster's first prompt, its examples as related
  // information, so the Problems panel shows what each cluster holds and where.
  const discovery = report.discovery;
  if (discovery) {
    for (const cluster of discovery.clusters) {
      const first = cluster.examples[0];
      if (!first) continue;
      push({
        file: first.file,
        line: Math.max(0, first.line - 1),
        startColumn: 0,
        endColumn: null,
        severity: 'information',
        code: 'discovered-behavior',
        message:
          `Discovered behavior ${cluster.name}: ${cluster.size} of ${discovery.prompts} prompts, ` +
          `terms ${cluster.terms.join(', ')}. ${discoverySummary(discovery)} ` +
          `(preferenceLens.discoverBehaviors: off for one behavior per file)` +
          parquetRow(first.file, first.line),
        behavior: cluster.name,
        related: cluster.examples.map((e) => ({
          file: e.file,
          line: Math.max(0, e.line - 1),
          message: `${cluster.name}${parquetRow(e.file, e.line)}: ${e.text}`,
        })),
      });
    }
  }

  // Label hints: the least confident first (older reports without a confidence: the deepest on
  // the mean-difference axis), capped per file so a noisy file stays readable.
  const strength = (s: { confidence?: number; label: number; projection: number }): number =>
    s.confidence ?? -Math.abs(s.projection);
  const suspects = report.behaviors
    .flatMap((b) => b.suspects.map((s) => ({ ...s, behavior: b.name })))
    .sort((a, b) => strength(a) - strength(b));
  const perFile = new Map<string, number>();
  for (const s of suspects) {
    const count = perFile.get(s.file) ?? 0;
    if (count >= options.maxLabelErrorHintsPerFile) continue;
    perFile.set(s.file, count + 1);
    push({
      file: s.file,
      line: Math.max(0, s.line - 1),
      startColumn: 0,
      endColumn: null,
      severity: 'information',
      code: 'possible-label-error',
      message:
        (s.confidence === undefined
          ? `Possible label error (${s.behavior}): labeled ${s.label > 0 ? 'matching (+1)' : 'not matching (-1)'} ` +
            `but on the ${s.label > 0 ? 'negative' : 'positive'} side of the mean-difference boundary ` +
            `(projection ${formatEditorNumber(s.projection)}).`
          : `Possible label error (${s.behavior}): labeled ${s.label > 0 ? 'matching (+1)' : 'not matching (-1)'}, ` +
            `but a classifier fitted on the behavior's other examples gives this label probability ` +
            `${formatEditorNumber(s.confidence)}.`) +
        (s.scoreMargin === undefined
          ? ''
          : ` Its score margin (score_chosen − score_rejected) is ${formatEditorNumber(s.scoreMargin)}.`) +
        parquetRow(s.file, s.line),
      behavior: s.behavior,
    });
  }

  for (const line of skipped) {
    const malformed = line.reason !== 'duplicate';
    push({
      file: line.file,
      line: Math.max(0, line.line - 1),
      startColumn: Math.max(0, line.column - 1),
      endColumn: null,
      severity: malformed ? 'error' : 'information',
      code: malformed ? 'malformed-line' : 'skipped-line',
      message: `${isParquetPath(line.file) ? 'Row' : 'Line'} left out of the analysis (${line.reason}): ${line.message}${parquetRow(line.file, line.line)}`,
    });
  }

  for (const list of byFile.values())
    list.sort((a, b) => a.line - b.line || a.startColumn - b.startColumn);
  return byFile;
};

/** A Parquet file has no lines: its diagnostics name the row (0-based) they stand for. */
const parquetRow = (file: string, line: number): string =>
  isParquetPath(file) ? ` (row ${parquetRowIndex(line)})` : '';

/**
 * The editor's numbers (hovers, diagnostics, status): the report's formatter (src/shared/format.ts)
 * with one decimal from 100 on, and a non-finite value spelt out instead of a dash.
 */
export const formatEditorNumber = (x: number): string =>
  Number.isFinite(x) ? formatNumber(x, Math.abs(x) >= 100 ? 1 : 3) : String(x);

/** Markdown for a hover over a behavior's line: its numbers, the same ones the report shows. */
export const behaviorHoverMarkdown = (report: Report, behavior: BehaviorReport): string => {
  const rank = [...report.behaviors]
    .sort((a, b) => b.priorityLevel - a.priorityLevel)
    .findIndex((b) => b.name === behavior.name);
  const curve = report.simulation.perBehavior[behavior.name];
  const last = (xs: number[] | undefined): number | undefined =>
    xs && xs.length ? xs[xs.length - 1] : undefined;
  const rows: [string, string][] = [
    [
      'Priority level',
      behavior.priorityMeaningful === false
        ? `${formatEditorNumber(behavior.priorityLevel)}: not meaningful (${report.behaviors.length === 1 ? 'one behavior: priority needs a mixture' : 'indistinguishable from shuffled labels'})`
        : `${formatEditorNumber(behavior.priorityLevel)} (rank ${rank + 1} of ${report.behaviors.length})`,
    ],
    [
      'Distinguishability ‖μ⁺ − μ⁻‖ (unbiased) [95% CI]',
      `${formatEditorNumber(behavior.distinguishability)}${behavior.distinguishabilityUnbiased === undefined ? '' : ` (${formatEditorNumber(behavior.distinguishabilityUnbiased)})`} [${formatEditorNumber(behavior.distinguishabilityCI[0])}, ${formatEditorNumber(behavior.distinguishabilityCI[1])}]`,
    ],
    ...(behavior.pValue === undefined
      ? []
      : ([
          [
            'Permutation p-value (BH-adjusted)',
            `${formatEditorNumber(behavior.pValue)} (${formatEditorNumber(behavior.pValueAdjusted ?? behavior.pValue)})`,
          ],
        ] as [string, string][])),
    ...(behavior.rankCI
      ? ([['Rank by distinguishability, 95%', `${behavior.rankCI[0]}–${behavior.rankCI[1]}`]] as [
          string,
          string,
        ][])
      : []),
    ['Normalized distinguishability', formatEditorNumber(behavior.normalizedDistinguishability)],
    ['Concentration', formatEditorNumber(behavior.concentration)],
    ['Trace', formatEditorNumber(behavior.trace)],
    ['Examples (+ / −)', `${behavior.nPositive} / ${behavior.nNegative}`],
  ];
  if (behavior.phi !== undefined)
    rows.push(['φ = cos(W_B, μ⁺ − μ⁻)', formatEditorNumber(behavior.phi)]);
  const accuracy = last(curve?.testAccuracy);
  if (accuracy !== undefined) {
    rows.push([
      `Simulated test accuracy after ${last(curve?.step) ?? '?'} steps`,
      formatEditorNumber(accuracy),
    ]);
  }
  const lines = [
    `**Preference Lens — ${behavior.name}**`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ];
  for (const w of behavior.warnings)
    lines.push(
      '',
      `${w.kind === 'borderline' || w.kind === 'possible-label-error' ? 'ℹ' : '⚠'} ${w.message}`,
    );
  lines.push('', `Model: ${report.model.id} on ${report.model.device}.`);
  return lines.join('\n');
};
