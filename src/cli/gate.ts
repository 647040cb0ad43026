import { InvalidArgumentError } from 'commander';
import { PAIR_CHECK_KINDS, type Report } from '../core/report/types.js';

/**
 * The CI gate (--fail-on). A level or a comma list of finding kinds:
 * - none: never fails;
 * - warning: the findings that say DPO on this data will go wrong or that lines were unusable:
 *   deprioritized, indistinguishable, low-distinguishability, mixed-schemas, malformed-lines.
 *   Not label hints (information), borderline flags, benign duplicate lines or a single-behavior
 *   note;
 * - error: malformed-lines only (a duplicate line is not an error);
 * - kinds: any of GATE_KINDS, e.g. `deprioritized,indistinguishable`. skipped-lines is every
 *   skipped line (duplicates too), malformed-lines every skipped line that is not a duplicate,
 *   label-errors any behavior with a possible-label-error hint; the pair checks' kinds
 *   (PAIR_CHECK_KINDS) fail when their warning is in the report. `warning` includes
 *   identical-pairs (pairs that carry no signal for the model), not the others: near-identical
 *   pairs, repeated prompts or a length bias can be intended.
 */
export const GATE_KINDS = [
  'deprioritized',
  'indistinguishable',
  'low-distinguishability',
  'borderline',
  'label-errors',
  'skipped-lines',
  'malformed-lines',
  'duplicates',
  'mixed-schemas',
  'single-behavior',
  ...PAIR_CHECK_KINDS,
] as const;

export type GateKind = (typeof GATE_KINDS)[number];

export const GATE_LEVELS: Record<'none' | 'warning' | 'error', readonly GateKind[]> = {
  none: [],
  warning: [
    'deprioritized',
    'indistinguishable',
    'low-distinguishability',
    'mixed-schemas',
    'malformed-lines',
    'identical-pairs',
  ],
  error: ['malformed-lines'],
};

/** commander's parser for --fail-on: a level or a comma list of kinds (levels may be mixed in). */
export const parseFailOn = (value: string): GateKind[] => {
  const out = new Set<GateKind>();
  for (const part of value.split(',').map((p) => p.trim())) {
    if (part in GATE_LEVELS)
      GATE_LEVELS[part as keyof typeof GATE_LEVELS].forEach((k) => out.add(k));
    else if ((GATE_KINDS as readonly string[]).includes(part)) out.add(part as GateKind);
    else
      throw new InvalidArgumentError(
        `expected none, warning, error or a comma list of: ${GATE_KINDS.join(', ')}`,
      );
  }
  return [...out];
};

const BEHAVIOR_KINDS: Partial<Record<GateKind, string>> = {
  deprioritized: 'deprioritized',
  indistinguishable: 'indistinguishable',
  'low-distinguishability': 'low-distinguishability',
  borderline: 'borderline',
  'label-errors': 'possible-label-error',
};

/** What the report holds of each gated kind, one line per kind found (empty: the gate passes). */
export const gateFindings = (report: Report, kinds: readonly GateKind[]): string[] => {
  const out: string[] = [];
  const lines = report.skipped.lines;
  for (const kind of kinds) {
    const warning = BEHAVIOR_KINDS[kind];
    if (warning) {
      const names = report.behaviors
        .filter((b) => b.warnings.some((w) => w.kind === warning))
        .map((b) => b.name);
      if (names.length) out.push(`${kind}: ${names.join(', ')}`);
      continue;
    }
    if ((PAIR_CHECK_KINDS as readonly string[]).includes(kind)) {
      const w = report.warnings?.find((x) => x.kind === kind);
      if (w) out.push(`${kind}: ${w.count ?? 1}`);
      continue;
    }
    if (kind === 'mixed-schemas' || kind === 'single-behavior') {
      if (report.warnings?.some((w) => w.kind === kind)) out.push(kind);
      continue;
    }
    const count =
      kind === 'skipped-lines'
        ? report.skipped.total
        : kind === 'duplicates'
          ? lines.filter((l) => l.reason === 'duplicate').length
          : lines.filter((l) => l.reason !== 'duplicate').length;
    if (count > 0) out.push(`${kind}: ${count} line(s)`);
  }
  return out;
};
