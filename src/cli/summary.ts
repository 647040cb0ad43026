import type { Report } from '../core/report/types.js';
import { examplesText, truncationNote } from '../shared/pair-check-notes.js';
import { boundNote, headNote, lossNote } from '../shared/report-notes.js';
import { terminalLine } from './terminal-text.js';
import { discoverySummary } from '../shared/discovery-note.js';

const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const fmtP = (p: number | undefined): string =>
  p === undefined ? 'n/a' : p >= 0.01 ? p.toFixed(2) : p.toPrecision(1);

/** What the columns mean, printed under the table. */
export const SUMMARY_LEGEND = [
  'dist   = ||mu+ - mu-||, the distance between the mean embeddings of the preferred and rejected examples (higher: DPO learns the behavior faster)',
  'norm   = dist / sqrt(trace of the larger class covariance): the same gap in standard deviations, comparable across models',
  'p adj  = permutation p-value (labels shuffled within the behavior; paired rows: chosen and rejected swapped within pairs), Benjamini-Hochberg adjusted',
  'rank95 = 95% bootstrap interval of the rank by dist (1 = most distinguishable)',
  'level  = priority level (eq. 5 of Im & Li): how much the first DPO step on this mixture favors the behavior; low or <= 0: deprioritized',
];

/** The auto device fell back to the CPU: one plain line; the provider's error only with --verbose. */
const deviceLine = (model: Report['model'], verbose: boolean): string => {
  const fellBack =
    model.device === 'cpu' &&
    /(unavailable \(.*\); fell back to cpu|^no GPU execution provider)/.test(model.deviceReason);
  return !verbose && fellBack ? 'no GPU provider available, using CPU' : model.deviceReason;
};

/** How the behaviors were discovered (report.discovery), or nothing when the input named them. */
export const discoveryLines = (report: Report): string[] =>
  report.discovery
    ? [`${discoverySummary(report.discovery)} (--discover-behaviors off: one behavior per file)`]
    : [];

/** Why nothing could be analyzed, or undefined when at least one behavior was. */
export const noAnalyzableBehavior = (report: Report): string | undefined => {
  if (report.behaviors.length > 0) return undefined;
  const excluded = report.excluded ?? [];
  if (excluded.length === 0) return 'no behavior can be analyzed: the input holds none';
  return `no behavior can be analyzed: ${excluded.map((e) => `${e.name} ${e.reason}`).join('; ')}`;
};

/**
 * The terminal summary: mixture notes, the ranking most distinguishable first, a legend, skipped
 * lines by reason, excluded behaviors with why, and every warning. Borderline flags are listed
 * apart (information, not warnings); label hints get one line, their details stay in the reports.
 * Data-derived strings are escaped here (terminalLine): a name holding a newline or an escape
 * sequence stays one visible field.
 */
export const formatSummary = (report: Report, options: { verbose?: boolean } = {}): string => {
  const rows = [...report.behaviors].sort((a, b) => b.distinguishability - a.distinguishability);
  const names = new Map(rows.map((b) => [b, terminalLine(b.name)]));
  const width = Math.min(60, Math.max(8, ...[...names.values()].map((n) => n.length)));
  const m = report.model;
  const lines = [
    `Model ${terminalLine(m.id)} (${m.kind}, d=${m.dimension}${m.precision ? `, ${m.precision} precision` : ''}) on ${m.device}: ${terminalLine(deviceLine(m, options.verbose ?? false))}`,
    `Mixture: ${report.inputs.length} file(s), ${report.behaviors.length} behavior(s); skipped lines: ${report.skipped.total}`,
    terminalLine(headNote(report)),
    ...discoveryLines(report),
    ...(report.warnings ?? []).flatMap((w) => {
      const where = examplesText(w);
      return [
        `  ! ${w.kind}: ${terminalLine(w.message)}`,
        ...(where ? [`    ${terminalLine(where)}`] : []),
      ];
    }),
  ];
  const truncation = truncationNote(
    report.pairChecks,
    report.inputs.reduce((n, i) => n + i.rows, 0),
  );
  if (truncation) lines.push(`  ${truncation}`);
  if (rows.length > 0) {
    lines.push(
      '',
      `${'behavior'.padEnd(width)}  ${'n+'.padStart(5)} ${'n-'.padStart(5)}  ${'dist'.padStart(7)}  ${'norm'.padStart(6)}  ${'p adj'.padStart(6)}  ${'rank95'.padStart(7)}  ${'level'.padStart(6)}`,
    );
    for (const b of rows) {
      const full = names.get(b)!;
      const name = full.length > width ? `${full.slice(0, width - 1)}…` : full;
      const level = b.priorityMeaningful === false ? 'n/a' : fmt(b.priorityLevel);
      const rank = b.rankCI ? `${b.rankCI[0]}-${b.rankCI[1]}` : 'n/a';
      lines.push(
        `${name.padEnd(width)}  ${String(b.nPositive).padStart(5)} ${String(b.nNegative).padStart(5)}  ${fmt(b.distinguishability).padStart(7)}  ${fmt(b.normalizedDistinguishability).padStart(6)}  ${fmtP(b.pValueAdjusted).padStart(6)}  ${rank.padStart(7)}  ${level.padStart(6)}`,
      );
    }
    lines.push('', ...SUMMARY_LEGEND);
    if (rows.some((b) => b.priorityMeaningful === false))
      lines.push(
        'level n/a: not meaningful (indistinguishable from shuffled labels, or a single behavior).',
      );
  }
  const scored = rows.filter((b) => b.scoreMargin);
  if (scored.length > 0)
    lines.push(
      '',
      'Score margins (score_chosen - score_rejected of the records):',
      ...scored.map((b) => {
        const m = b.scoreMargin!;
        return `  ${names.get(b)}: ${m.pairs} pairs, mean ${fmt(m.mean, 2)}, median ${fmt(m.median, 2)}, min ${fmt(m.min, 2)}; ${m.nonPositive} with margin <= 0`;
      }),
    );
  const reasons = Object.entries(report.skipped.byReason)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b));
  if (reasons.length > 0)
    lines.push('', `Skipped lines by reason: ${reasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  const excluded = report.excluded ?? [];
  if (excluded.length > 0)
    lines.push(
      '',
      'Excluded behaviors:',
      ...excluded.map((e) => `  - ${terminalLine(e.name)}: ${terminalLine(e.reason)}`),
    );
  const warnings = rows.flatMap((b) =>
    b.warnings
      .filter((w) => w.kind !== 'possible-label-error' && w.kind !== 'borderline')
      .map((w) => `  ! ${names.get(b)}: ${terminalLine(w.message)}`),
  );
  if (warnings.length > 0) lines.push('', 'Warnings:', ...warnings);
  const borderline = rows.flatMap((b) =>
    b.warnings
      .filter((w) => w.kind === 'borderline')
      .map((w) => `  ? ${names.get(b)}: ${terminalLine(w.message)}`),
  );
  if (borderline.length > 0) lines.push('', 'Borderline (not warnings):', ...borderline);
  if (report.simulation.boundCheck) lines.push('', boundNote(report.simulation.boundCheck));
  const loss = lossNote(report.simulation);
  if (loss) lines.push('', loss);
  // Label hints are information: one line with the same count as the reports' sections.
  const hinted = rows.filter((b) => (b.suspectCount ?? 0) > 0);
  if (hinted.length > 0) {
    const total = hinted.reduce((s, b) => s + (b.suspectCount ?? 0), 0);
    lines.push(
      '',
      `Label hints (information): ${total} example(s) in ${hinted.length} behavior(s) whose label an out-of-sample classifier contradicts; see the report's "Possible label errors".`,
    );
  }
  const rb = report.rebalancing;
  if (rb) {
    const per = rb.perBehavior;
    const weights = Object.entries(rb.weights)
      .filter(([, w]) => w !== 1)
      .map(([name, w]) => {
        const p = per?.[name];
        const shown = terminalLine(name);
        return p
          ? `  ${shown} x${w.toFixed(2)}: level ${fmt(p.levelBefore, 2)} -> ${fmt(p.levelAfter, 2)}, simulated accuracy ${fmt(p.accuracyBefore, 2)} -> ${fmt(p.accuracyAfter, 2)}`
          : `  ${shown} x${w.toFixed(2)}`;
      });
    if (rb.suggested !== false && weights.length > 0)
      lines.push('', 'Rebalancing suggestion (upsample):', ...weights);
    if (rb.note) lines.push('', `Rebalancing: ${terminalLine(rb.note)}`);
  }
  return lines.join('\n') + '\n';
};
