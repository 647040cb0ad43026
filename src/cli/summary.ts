import { boundNote } from '../shared/report-notes.js';
import type { Report } from '../core/report/types.js';

const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const fmtP = (p: number | undefined): string =>
  p === undefined ? 'n/a' : p >= 0.01 ? p.toFixed(2) : p.toPrecision(1);

/**
 * The terminal summary: mixture notes, the ranking and every warning, most distinguishable first.
 * Borderline flags are listed apart (they are information, not warnings); label hints stay in
 * the reports.
 */
export const formatSummary = (report: Report): string => {
  const rows = [...report.behaviors].sort((a, b) => b.distinguishability - a.distinguishability);
  const width = Math.min(60, Math.max(8, ...rows.map((b) => b.name.length)));
  const lines = [
    `Model ${report.model.id} (${report.model.kind}, d=${report.model.dimension}) on ${report.model.device}: ${report.model.deviceReason}`,
    `Mixture: ${report.inputs.length} file(s), ${report.behaviors.length} behavior(s); skipped lines: ${report.skipped.total}`,
    ...(report.warnings ?? []).map((w) => `  ! ${w.kind}: ${w.message}`),
    '',
    `${'behavior'.padEnd(width)}  ${'n+'.padStart(5)} ${'n-'.padStart(5)}  ${'dist'.padStart(7)}  ${'norm'.padStart(6)}  ${'p adj'.padStart(6)}  ${'rank95'.padStart(7)}  ${'level'.padStart(6)}`,
  ];
  for (const b of rows) {
    const name = b.name.length > width ? `${b.name.slice(0, width - 1)}…` : b.name;
    const level = b.priorityMeaningful === false ? 'n/a' : fmt(b.priorityLevel);
    const rank = b.rankCI ? `${b.rankCI[0]}-${b.rankCI[1]}` : 'n/a';
    lines.push(
      `${name.padEnd(width)}  ${String(b.nPositive).padStart(5)} ${String(b.nNegative).padStart(5)}  ${fmt(b.distinguishability).padStart(7)}  ${fmt(b.normalizedDistinguishability).padStart(6)}  ${fmtP(b.pValueAdjusted).padStart(6)}  ${rank.padStart(7)}  ${level.padStart(6)}`,
    );
  }
  if (rows.some((b) => b.priorityMeaningful === false))
    lines.push(
      '',
      'level n/a: not meaningful (indistinguishable from shuffled labels, or a single behavior).',
    );
  const warnings = rows.flatMap((b) =>
    b.warnings
      .filter((w) => w.kind !== 'possible-label-error' && w.kind !== 'borderline')
      .map((w) => `  ! ${b.name}: ${w.message}`),
  );
  if (warnings.length > 0) lines.push('', 'Warnings:', ...warnings);
  const borderline = rows.flatMap((b) =>
    b.warnings.filter((w) => w.kind === 'borderline').map((w) => `  ? ${b.name}: ${w.message}`),
  );
  if (borderline.length > 0) lines.push('', 'Borderline (not warnings):', ...borderline);
  if (report.simulation.boundCheck) lines.push('', boundNote(report.simulation.boundCheck));
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
        return p
          ? `  ${name} x${w.toFixed(2)}: level ${fmt(p.levelBefore, 2)} -> ${fmt(p.levelAfter, 2)}, simulated accuracy ${fmt(p.accuracyBefore, 2)} -> ${fmt(p.accuracyAfter, 2)}`
          : `  ${name} x${w.toFixed(2)}`;
      });
    if (rb.suggested !== false && weights.length > 0)
      lines.push('', 'Rebalancing suggestion (upsample):', ...weights);
    if (rb.note) lines.push('', `Rebalancing: ${rb.note}`);
  }
  return lines.join('\n') + '\n';
};
