/** A readable Markdown summary of a report (for PR comments, CI logs, and the CLI's --markdown). */
import { escapeControlChars } from '../core/text/control-chars.js';
import { formatPosition } from '../core/dataset/position.js';
import type { BehaviorReport, Curve, Report } from '../core/report/types.js';
import {
  boundNote,
  headNote,
  lossNote,
  MISALIGNMENT_NOTE,
  stepsToBelowHalfText,
} from './report-notes.js';
import { formatNumber } from './format.js';
import { hasDeprioritizedWarning, median, priorityOrder } from './report-facts.js';
import { discoverySummary } from './discovery-note.js';
import { verdictLines } from './verdict-text.js';
import { examplesText, truncationNote } from './pair-check-notes.js';

const SUSPECTS_PER_BEHAVIOR = 3;
const SKIPPED_LINES_LISTED = 20;

/** The faces' one number formatter (src/shared/format.ts), re-exported for the Markdown's users. */
export { formatNumber };

/**
 * Escapes dataset text for Markdown (inline and inside table cells): markup characters become
 * literal, HTML is neutralized as entities, newlines collapse so a cell stays one row.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A file path or model id, shown as text: escaped like any other text (a code span cannot hold
 * escapes, and a newline in it ends the span and lets what follows render as Markdown or HTML),
 * its control characters (newlines included) written visibly as \n, \x1b, … so the path is
 * still readable.
 */
export function escapeMarkdownPath(text: string): string {
  return escapeMarkdown(escapeControlChars(text));
}

/** A row's position: `file:line`, or `file row N` for a Parquet row (N 0-based). */
const markdownPosition = (file: string, line: number): string =>
  formatPosition(escapeMarkdownPath(file), line);

const clip = (text: string, n: number): string =>
  text.length > n ? `${text.slice(0, n - 1)}…` : text;

const last = (xs: readonly number[] | undefined): number | undefined =>
  xs && xs.length ? xs[xs.length - 1] : undefined;

function table(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const align = header.map((_, i) => (numeric[i] ? '---:' : '---'));
  return [header, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function rankingTable(ranked: BehaviorReport[]): string {
  // φ exists only for a causal LM with a readable head.
  const withPhi = ranked.some((b) => b.phi !== undefined);
  const header = [
    '#',
    'Behavior',
    'n+',
    'n−',
    'Distinguishability [CI]',
    'p (adj.)',
    'Rank 95%',
    'Normalized',
    'Concentration',
    'Trace',
  ];
  if (withPhi) header.push('φ');
  header.push('Priority level', 'Warnings');
  return table(
    header,
    ranked.map((b, i) => [
      String(i + 1),
      escapeMarkdown(b.name),
      String(b.nPositive),
      String(b.nNegative),
      `${formatNumber(b.distinguishability)}${b.distinguishabilityUnbiased === undefined ? '' : ` (${formatNumber(b.distinguishabilityUnbiased)})`} [${formatNumber(b.distinguishabilityCI[0])}, ${formatNumber(b.distinguishabilityCI[1])}]`,
      b.pValueAdjusted === undefined ? '–' : formatP(b.pValueAdjusted),
      b.rankCI ? `${b.rankCI[0]}–${b.rankCI[1]}` : '–',
      formatNumber(b.normalizedDistinguishability),
      formatNumber(b.concentration),
      formatNumber(b.trace),
      ...(withPhi ? [formatNumber(b.phi)] : []),
      b.priorityMeaningful === false
        ? `n/a (${formatNumber(b.priorityLevel)})`
        : hasDeprioritizedWarning(b)
          ? `**${formatNumber(b.priorityLevel)}**`
          : formatNumber(b.priorityLevel),
      b.warnings.map((w) => w.kind).join(', ') || '—',
    ]),
    header.map((h) => h !== 'Behavior' && h !== 'Warnings'),
  );
}

/** Rows and columns by level, highest first: the order of the HTML heatmap (priorityOrder). */
function gapMatrix(report: Report): string {
  const { names, gaps } = report.priority;
  if (names.length < 2)
    return 'Not meaningful with one behavior: there is no other behavior to compare.';
  const order = priorityOrder(report.priority);
  const header = ['', ...order.map((_, k) => String(k + 1))];
  const rows = order.map((i, k) => [
    `${k + 1}. ${escapeMarkdown(names[i])}`,
    ...order.map((j) => (i === j ? '·' : formatNumber(gaps[i][j], 2))),
  ]);
  return table(header, rows, [false, ...names.map(() => true)]);
}

function curveRow(name: string, c: Curve): string[] {
  return [
    escapeMarkdown(name),
    formatNumber(last(c.trainLoss)),
    formatNumber(last(c.testLoss)),
    formatNumber(last(c.testAccuracy)),
    formatNumber(last(c.headChange)),
    formatNumber(last(c.bound)),
  ];
}

const CURVE_HEADER = [
  'Behavior',
  'Train loss',
  'Test loss',
  'Test accuracy',
  'Head change',
  'Thm 4.1 bound',
];
// (The bound column's status, guaranteed or empirical, is stated above the table.)
const CURVE_NUMERIC = [false, true, true, true, true, true];

function simulation(report: Report, ranked: BehaviorReport[]): string[] {
  const sim = report.simulation;
  const o = sim.options;
  const out = [
    '## Simulated DPO on the output head',
    '',
    `β = ${o.beta}, learning rate ${o.lr.toExponential()}, ${o.steps} steps, batch ${o.batchSize}, ${Math.round(o.testFraction * 100)}% test split, seed ${o.seed} (${o.preset} preset). Final values:`,
    '',
    escapeMarkdown(headNote(report)),
    '',
    ...(sim.boundCheck ? [boundNote(sim.boundCheck), ''] : []),
    ...(lossNote(sim) ? [lossNote(sim)!, ''] : []),
  ];
  const names = ranked.map((b) => b.name).filter((n) => sim.perBehavior[n]);
  out.push(
    table(
      CURVE_HEADER,
      names.map((n) => curveRow(n, sim.perBehavior[n])),
      CURVE_NUMERIC,
    ),
    '',
  );
  if (sim.joint) {
    const j = sim.joint;
    out.push(
      '### Joint training',
      '',
      `All ${j.behaviors.length} behaviors trained together; each behavior evaluated on its own data inside the joint run.`,
      '',
      table(
        CURVE_HEADER,
        [
          ...j.behaviors.filter((b) => j.perBehavior[b]).map((b) => curveRow(b, j.perBehavior[b])),
          curveRow('(joint)', j.curve),
        ],
        CURVE_NUMERIC,
      ),
      '',
    );
  }
  if (sim.misalignment.length) {
    out.push(
      '### Misalignment (flipped labels)',
      '',
      MISALIGNMENT_NOTE,
      '',
      table(
        [
          'Behavior',
          'Model',
          'Start',
          'Steps to < 50% accuracy',
          'Final accuracy (original labels)',
        ],
        sim.misalignment.map((m) => [
          escapeMarkdown(m.behavior),
          escapeMarkdown(m.model),
          m.start,
          stepsToBelowHalfText(m),
          formatNumber(last(m.originalAccuracy)),
        ]),
        [false, false, false, true, true],
      ),
      '',
    );
  }
  if (report.twoModel?.length) {
    out.push(
      '### Base vs aligned checkpoint',
      '',
      table(
        [
          'Behavior',
          'Distinguishability',
          'Concentration',
          'Trace',
          'Steps to < 50% (base / aligned)',
        ],
        report.twoModel.map((t) => [
          escapeMarkdown(t.behavior),
          `${formatNumber(t.base.distinguishability)} → ${formatNumber(t.aligned.distinguishability)}`,
          `${formatNumber(t.base.concentration)} → ${formatNumber(t.aligned.concentration)}`,
          `${formatNumber(t.base.trace)} → ${formatNumber(t.aligned.trace)}`,
          `${stepsToBelowHalfText(t.base.run)} / ${stepsToBelowHalfText(t.aligned.run)}`,
        ]),
        [false, true, true, true, true],
      ),
      '',
    );
  }
  return out;
}

function rebalancing(report: Report): string[] {
  const rb = report.rebalancing;
  if (!rb) return [];
  const names = Object.keys(rb.weights).sort(
    (a, b) => (rb.levelsBefore[a] ?? 0) - (rb.levelsBefore[b] ?? 0),
  );
  const note = rb.note ? [rb.note, ''] : [];
  if (rb.suggested === false) return ['## Rebalancing suggestion', '', ...note];
  const per = rb.perBehavior;
  return [
    '## Rebalancing suggestion',
    '',
    ...note,
    table(
      per
        ? [
            'Behavior',
            'Upsampling weight',
            'Level before',
            'Level after',
            'Accuracy before',
            'Accuracy after',
          ]
        : ['Behavior', 'Upsampling weight', 'Level before', 'Level after'],
      names.map((n) => [
        escapeMarkdown(n),
        `×${formatNumber(rb.weights[n], 2)}`,
        formatNumber(rb.levelsBefore[n]),
        formatNumber(rb.levelsAfter[n]),
        ...(per?.[n]
          ? [formatNumber(per[n].accuracyBefore), formatNumber(per[n].accuracyAfter)]
          : per
            ? ['', '']
            : []),
      ]),
      per ? [false, true, true, true, true, true] : [false, true, true, true],
    ),
    '',
    `Joint run: test loss ${formatNumber(last(rb.jointBefore.curve.testLoss))} → ${formatNumber(last(rb.jointAfter.curve.testLoss))}, test accuracy ${formatNumber(last(rb.jointBefore.curve.testAccuracy))} → ${formatNumber(last(rb.jointAfter.curve.testAccuracy))}.`,
    '',
  ];
}

function suspects(ranked: BehaviorReport[]): string[] {
  const withSuspects = ranked.filter((b) => b.suspects.length);
  if (!withSuspects.length) return [];
  const out = [
    '## Possible label errors',
    '',
    'Information, not warnings: examples whose label a logistic regression fitted on the rest of their behavior (5-fold, out of sample) gives a low probability.',
    '',
  ];
  for (const b of withSuspects) {
    const total = b.suspectCount ?? b.wrongSideCount ?? b.suspects.length;
    out.push(
      `- **${escapeMarkdown(b.name)}**: ${total} example(s)${total > b.suspects.length ? ` (the ${b.suspects.length} least confident are kept in the JSON report; \`--max-suspects all\` keeps every one)` : ''}`,
    );
    for (const s of b.suspects.slice(0, SUSPECTS_PER_BEHAVIOR)) {
      const evidence =
        s.confidence === undefined
          ? `projection ${formatNumber(s.projection)}`
          : `probability of its label ${formatNumber(s.confidence)}`;
      const margin =
        s.scoreMargin === undefined ? '' : `, score margin ${formatNumber(s.scoreMargin)}`;
      out.push(
        `  - ${markdownPosition(s.file, s.line)} (${s.label === 1 ? 'positive' : 'negative'}, ${evidence}${margin}): ${escapeMarkdown(clip(s.text, 160))}`,
      );
    }
  }
  out.push('');
  return out;
}

/** The annotators' own margins, for behaviors whose records carry score_chosen/score_rejected. */
function scoreMargins(ranked: BehaviorReport[]): string[] {
  const scored = ranked.filter((b) => b.scoreMargin);
  if (!scored.length) return [];
  return [
    '## Score margins',
    '',
    'From the records’ own `score_chosen` − `score_rejected` (UltraFeedback style): a small or negative margin is a pair its annotators barely preferred, or preferred the other way.',
    '',
    table(
      ['behavior', 'pairs', 'mean', 'median', 'min', 'max', 'margin ≤ 0'],
      scored.map((b) => {
        const m = b.scoreMargin!;
        return [
          escapeMarkdown(b.name),
          String(m.pairs),
          formatNumber(m.mean),
          formatNumber(m.median),
          formatNumber(m.min),
          formatNumber(m.max),
          String(m.nonPositive),
        ];
      }),
      [false, true, true, true, true, true, true],
    ),
    '',
  ];
}

/** The discovered behaviors: how they were found, each cluster's terms, size and first prompts. */
function discoverySection(report: Report): string[] {
  const d = report.discovery;
  if (!d) return [];
  const rows = d.clusters.map((c) => [
    escapeMarkdown(c.name),
    String(c.size),
    escapeMarkdown(c.terms.join(', ')),
    c.examples
      .slice(0, 2)
      .map((e) => `${markdownPosition(e.file, e.line)} ${escapeMarkdown(clip(e.text, 80))}`)
      .join('<br>'),
  ]);
  return [
    '## Discovered behaviors',
    '',
    escapeMarkdown(discoverySummary(d)),
    '',
    table(['behavior', 'prompts', 'distinctive terms', 'first prompts'], rows, [
      false,
      true,
      false,
      false,
    ]),
    '',
  ];
}

function skipped(report: Report): string[] {
  const sk = report.skipped;
  const out = ['## Skipped lines', ''];
  if (!sk.total) return [...out, 'No lines were skipped.', ''];
  const reasons = Object.entries(sk.byReason).filter(([, n]) => (n ?? 0) > 0);
  out.push(
    `${sk.total} line(s) skipped.`,
    '',
    table(
      ['Reason', 'Lines'],
      reasons.map(([r, n]) => [r, String(n)]),
      [false, true],
    ),
    '',
  );
  for (const l of sk.lines.slice(0, SKIPPED_LINES_LISTED)) {
    out.push(`- ${markdownPosition(l.file, l.line)} ${l.reason}: ${escapeMarkdown(l.message)}`);
  }
  if (sk.lines.length > SKIPPED_LINES_LISTED) {
    out.push(`- …and ${sk.lines.length - SKIPPED_LINES_LISTED} more (see the JSON report)`);
  }
  out.push('');
  return out;
}

const formatP = (p: number): string => (p >= 0.01 ? p.toFixed(2) : p.toPrecision(1));

/** Both thresholds are fractions of the mixture's median (the analysis warnings' rule). */
function thresholdNote(report: Report): string[] {
  const t = report.thresholds;
  if (!report.behaviors.length) return [];
  const medLevel = median(report.behaviors.map((b) => b.priorityLevel));
  const medDist = median(report.behaviors.map((b) => b.distinguishability));
  const parts = [
    Number.isFinite(t.priorityLevel)
      ? `priority levels in bold are deprioritized (below ${formatNumber(t.priorityLevel, 2)} × the median level ${formatNumber(medLevel)}, or not positive)`
      : '',
    Number.isFinite(t.relativeDistinguishability)
      ? `distinguishability below ${formatNumber(t.relativeDistinguishability, 2)} × the median ${formatNumber(medDist)} is flagged as low`
      : '',
  ].filter(Boolean);
  if (t.priorityLevelAbsolute !== undefined)
    parts.push(`a level below ${formatNumber(t.priorityLevelAbsolute, 2)} is always deprioritized`);
  if (t.significance !== undefined)
    parts.push(
      `a behavior whose Benjamini–Hochberg adjusted permutation p-value is not below ${formatNumber(t.significance, 2)} is indistinguishable from shuffled labels: its level is shown as n/a and it gets no deprioritized or label claim`,
    );
  if (t.flagStability !== undefined)
    parts.push(
      `a deprioritized flag that holds in fewer than ${Math.round(100 * t.flagStability)}% of the bootstrap replicates is borderline (listed apart, not a warning)`,
    );
  parts.push(
    'distinguishability shows the reference estimate ‖m₊ − m₋‖, the unbiased estimate in parentheses and the bias-corrected 95% bootstrap interval, which contains the unbiased estimate',
  );
  return parts.length ? [`Thresholds: ${parts.join('; ')}.`, ''] : [];
}

export function renderMarkdown(report: Report): string {
  const m = report.model;
  const ranked = [...report.behaviors].sort((a, b) => b.distinguishability - a.distinguishability);
  // What DPO will do first (no signal, deprioritized, low distinguishability), then data quality.
  const severity: Record<string, number> = {
    indistinguishable: 0,
    deprioritized: 1,
    'low-distinguishability': 2,
  };
  const warnings = ranked
    .flatMap((b) => b.warnings.filter((w) => w.kind !== 'borderline').map((w) => ({ b, w })))
    .sort((x, y) => (severity[x.w.kind] ?? 3) - (severity[y.w.kind] ?? 3));
  const borderline = ranked.flatMap((b) =>
    b.warnings.filter((w) => w.kind === 'borderline').map((w) => ({ b, w })),
  );
  const levels = report.priority.names
    .map((name, i) => ({ name, level: report.priority.levels[i] }))
    .sort((a, b) => b.level - a.level);
  const flagged = new Set(report.behaviors.filter(hasDeprioritizedWarning).map((b) => b.name));
  const meaningless = new Set(
    report.behaviors.filter((b) => b.priorityMeaningful === false).map((b) => b.name),
  );
  const borderlineNames = new Set(borderline.map(({ b }) => b.name));
  const truncation = truncationNote(
    report.pairChecks,
    report.inputs.reduce((n, i) => n + i.rows, 0),
  );
  const out: string[] = [
    '# Preference Lens report',
    '',
    `- Model: ${escapeMarkdownPath(m.id)} (${m.kind}, d = ${m.dimension}, ${m.pooling} pooling${m.precision ? `, ${m.precision} precision` : ''}, sha256 ${m.sha256.slice(0, 12)})`,
    `- Device: ${m.device}${m.deviceReason ? ` (${escapeMarkdown(m.deviceReason)})` : ''}`,
    `- ${escapeMarkdown(headNote(report))}`,
    `- Created: ${report.createdAt} by ${report.tool.name} ${report.tool.version}`,
    `- Inputs: ${report.inputs.map((i) => `${escapeMarkdownPath(i.file)} (${i.schema}, ${i.rows} rows)`).join(', ') || 'none'}`,
    `- Time: read ${formatNumber(report.timings.readMs / 1000, 1)} s, embed ${formatNumber(report.timings.embedMs / 1000, 1)} s, analysis ${formatNumber(report.timings.analysisMs / 1000, 1)} s${report.timings.discoveryMs === undefined ? '' : `, behavior discovery ${formatNumber(report.timings.discoveryMs / 1000, 1)} s`}`,
    '',
    ...discoverySection(report),
    // The verdict first, in the header's words: a reader who reads nothing else gets the answer.
    ...(ranked.length
      ? ['## Verdict', '', ...verdictLines(report, ranked, escapeMarkdown).map((l) => `- ${l}`), '']
      : []),
    ...(report.warnings?.length || truncation
      ? [
          '## About this mixture',
          '',
          ...(report.warnings ?? []).map((w) => {
            const where = examplesText(w, 5);
            return `- **${w.kind}**: ${escapeMarkdown(w.message)}${where ? ` (${escapeMarkdown(where)})` : ''}`;
          }),
          ...(truncation ? ['', escapeMarkdown(truncation)] : []),
          '',
        ]
      : []),
    '## Warnings',
    '',
    ...(warnings.length
      ? warnings.map(
          ({ b, w }) => `- **${escapeMarkdown(b.name)}** (${w.kind}): ${escapeMarkdown(w.message)}`,
        )
      : ['No warnings.']),
    '',
    ...(borderline.length
      ? [
          '## Borderline (not warnings)',
          '',
          ...borderline.map(
            ({ b, w }) => `- **${escapeMarkdown(b.name)}**: ${escapeMarkdown(w.message)}`,
          ),
          '',
        ]
      : []),
    ...(report.excluded?.length
      ? [
          '## Behaviors left out',
          '',
          ...report.excluded.map(
            (x) => `- **${escapeMarkdown(x.name)}**: ${escapeMarkdown(x.reason)}`,
          ),
          '',
        ]
      : []),
    '## Behaviors ranked by distinguishability',
    '',
    rankingTable(ranked),
    '',
    ...thresholdNote(report),
    '## Priority levels in the mixture',
    '',
    table(
      ['Behavior', 'Priority level', ''],
      levels.map(({ name, level }) => [
        escapeMarkdown(name),
        formatNumber(level),
        meaningless.has(name)
          ? 'not meaningful'
          : flagged.has(name)
            ? 'deprioritized'
            : borderlineNames.has(name)
              ? 'borderline'
              : '',
      ]),
      [false, true, false],
    ),
    '',
    '## Pairwise priority gaps',
    '',
    'gap(row, column): positive when the row behavior is prioritized over the column behavior (b̄ weighted by the two behaviors’ example counts, so its sign agrees with their levels).',
    '',
    gapMatrix(report),
    '',
    ...simulation(report, ranked),
    ...rebalancing(report),
    ...scoreMargins(ranked),
    ...suspects(ranked),
    ...skipped(report),
  ];
  return out.join('\n');
}
