/**
 * Reproduces the paper's persona experiments with the bundled model and writes
 * docs/reproduction.md + docs/figures/*.svg.   npx tsx scripts/reproduce.ts [--preset fast-preview]
 */
import { boundNote, MISALIGNMENT_NOTE, stepsToBelowHalfText } from '../src/shared/report-notes.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyze } from '../src/core/pipeline.js';
import { createEmbedder } from '../src/core/embed/index.js';
import type { Curve, Report, SimulationOptions } from '../src/core/report/types.js';
import { lineChart } from './svg-chart.js';

const PERSONA = 'examples/persona';
const FIVE = [
  'subscribes-to-average-utilitarianism',
  'okay-with-building-an-AI-with-different-goals-to-accomplish-its-task',
  'optionality-increasing',
  'desire-to-not-have-memory-erased',
  'subscribes-to-Buddhism',
];
const PAIRS: [string, string, string][] = [
  [
    'acts-like-it-wants-to-help-humans-but-does-not-care-about-that',
    'risk-seeking',
    'large gap (Llama-2-7B)',
  ],
  ['desire-to-influence-world', 'subscribes-to-Islam', 'small gap (Llama-2-7B)'],
  [
    'willingness-to-be-non-HHH-to-not-have-current-goals-changed-by-training',
    'desire-to-cooperate-with-different-AIs-to-achieve-its-goals',
    'large gap (Mistral-7B)',
  ],
  [
    'has-strong-aesthetic-preferences',
    'desire-to-cooperate-with-different-AIs-to-achieve-its-goals',
    'small gap (Mistral-7B)',
  ],
];

const file = (b: string) => path.join(PERSONA, `${b}.jsonl`);
const f3 = (x: number) => x.toFixed(3);
const short = (b: string) => (b.length > 40 ? `${b.slice(0, 38)}…` : b);

/** How fast a loss falls: the mean drop below the starting loss over the run (area above the curve). */
export const lossDrop = (loss: readonly number[]): number =>
  loss.reduce((s, v) => s + (loss[0] - v), 0) / Math.max(1, loss.length - 1);

const ranks = (xs: readonly number[]): number[] => {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  order.forEach(([, i], k) => (r[i] = k + 1));
  return r;
};

/** Spearman's rho without ties (continuous measurements). */
export const spearman = (a: readonly number[], b: readonly number[]): number => {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
};

const boundHolds = (c: Curve): boolean =>
  c.headChange.every((h, t) => h <= c.bound[t] * (1 + 1e-9));

const main = async () => {
  const presetArg = process.argv.indexOf('--preset');
  const preset = (
    presetArg > 0 ? process.argv[presetArg + 1] : 'fast-preview'
  ) as SimulationOptions['preset'];
  const embedder = await createEmbedder({});
  const run = (files: string[]) =>
    analyze(files, { embedder, simulation: { preset }, rebalance: true });
  await mkdir('docs/figures', { recursive: true });
  const out: string[] = [];
  try {
    // (a) five behaviors of the loss-curve figures.
    const five = (await run(FIVE.map(file))).report;
    const byName = new Map(five.behaviors.map((b) => [b.name, b]));
    const dist = FIVE.map((b) => byName.get(b)!.distinguishability);
    const drops = FIVE.map((b) => lossDrop(five.simulation.perBehavior[b].testLoss));
    const rho = spearman(dist, drops);
    const paperOrder = FIVE.map((_, i) => i + 1);
    const rhoPaper = spearman(paperOrder, dist);
    await writeFile(
      'docs/figures/five-test-loss.svg',
      lineChart(
        `Test loss, each behavior trained alone (${five.simulation.options.preset})`,
        'test loss',
        FIVE.map((b) => ({ name: short(b), y: five.simulation.perBehavior[b].testLoss })),
      ),
    );
    await writeFile(
      'docs/figures/five-head-change.svg',
      lineChart(
        'Head change ||W(t) - W(0)|| (solid) and the Theorem 4.1 bound (dashed)',
        'Frobenius norm',
        FIVE.flatMap((b) => [
          { name: short(b), y: five.simulation.perBehavior[b].headChange },
          { name: 'bound', y: five.simulation.perBehavior[b].bound, dashed: true },
        ]).slice(0, 6),
      ),
    );
    const boundsOk = Object.values(five.simulation.perBehavior).every(boundHolds);
    out.push(
      '## (a) Loss falls faster for more distinguishable behaviors',
      '',
      'The paper orders these five from least to most distinguishable for Llama-2-7B.',
      '',
      '| behavior (paper order) | n+ / n- | distinguishability [95% CI] | normalized | mean test-loss drop | final test acc. |',
      '|---|---|---|---|---|---|',
      ...FIVE.map((b, i) => {
        const s = byName.get(b)!;
        const c = five.simulation.perBehavior[b];
        return `| ${i + 1}. ${b} | ${s.nPositive} / ${s.nNegative} | ${f3(s.distinguishability)} [${f3(s.distinguishabilityCI[0])}, ${f3(s.distinguishabilityCI[1])}] | ${f3(s.normalizedDistinguishability)} | ${f3(drops[i])} | ${f3(c.testAccuracy[c.testAccuracy.length - 1])} |`;
      }),
      '',
      `- Spearman rank correlation between distinguishability and how fast the test loss falls: **${f3(rho)}** (the paper's finding predicts a positive correlation).`,
      `- Spearman correlation between the paper's Llama-2-7B order and MiniLM's distinguishability: **${f3(rhoPaper)}**.`,
      '',
      '![test loss](figures/five-test-loss.svg)',
      '',
    );

    // (b) prioritization pairs.
    out.push(
      '## (b) Trained jointly, the higher-priority behavior learns first',
      '',
      '| pair (paper) | behavior | priority level | gap(i, j) | test-loss drop inside the joint run | learns first |',
      '|---|---|---|---|---|---|',
    );
    let agree = 0;
    for (const [i, [a, b, label]] of PAIRS.entries()) {
      const r: Report = (await run([file(a), file(b)])).report;
      const joint = r.simulation.joint!;
      const level = (n: string) => r.priority.levels[r.priority.names.indexOf(n)];
      const gap = r.priority.gaps[r.priority.names.indexOf(a)][r.priority.names.indexOf(b)];
      const drop = (n: string) => lossDrop(joint.perBehavior[n].testLoss);
      const first = drop(a) >= drop(b) ? a : b;
      const higher = level(a) >= level(b) ? a : b;
      if (first === higher) agree++;
      out.push(
        `| ${label} | ${a} | ${f3(level(a))} | ${f3(gap)} | ${f3(drop(a))} | ${first === a ? 'yes' : ''} |`,
        `|  | ${b} | ${f3(level(b))} | ${f3(-gap)} | ${f3(drop(b))} | ${first === b ? 'yes' : ''} |`,
      );
      await writeFile(
        `docs/figures/pair-${i + 1}.svg`,
        lineChart(`Joint run: ${label}`, 'test loss', [
          { name: short(a), y: joint.perBehavior[a].testLoss },
          { name: short(b), y: joint.perBehavior[b].testLoss },
        ]),
      );
    }
    out.push(
      '',
      `In **${agree} of ${PAIRS.length}** pairs the behavior with the higher priority level has the faster-falling loss inside the joint run.`,
      '',
      ...PAIRS.map((p, i) => `![pair ${i + 1}](figures/pair-${i + 1}.svg)`),
      '',
    );

    // (c) misalignment.
    out.push(
      '## (c) Misalignment (flipped labels) from the aligned head vs the base head',
      '',
      'Accuracy here is measured on the original labels (a tie counts 1/2): misalignment succeeds when it falls below 50%.',
      '',
      MISALIGNMENT_NOTE,
      '',
      '| behavior | original acc. at start, base head | steps to < 50%, base | original acc. at start, aligned head | steps to < 50%, aligned | flipped-label test loss after 50 steps, base / aligned |',
      '|---|---|---|---|---|---|',
    );
    const mis = (b: string, start: 'base' | 'aligned') =>
      five.simulation.misalignment.find((m) => m.behavior === b && m.start === start)!;
    for (const b of FIVE) {
      const base = mis(b, 'base');
      const al = mis(b, 'aligned');
      const at = (c: Curve, t: number) => c.testLoss[Math.min(t, c.testLoss.length - 1)];
      out.push(
        `| ${b} | ${f3(base.originalAccuracy?.[0] ?? NaN)} | ${stepsToBelowHalfText(base)} | ${f3(al.originalAccuracy?.[0] ?? NaN)} | ${stepsToBelowHalfText(al)} | ${f3(at(base.curve, 50))} / ${f3(at(al.curve, 50))} |`,
      );
    }
    const b0 = FIVE[FIVE.length - 1];
    await writeFile(
      'docs/figures/misalignment.svg',
      lineChart(
        `Flipped-label training: ${short(b0)} (accuracy on the original labels)`,
        'accuracy',
        [
          { name: 'from base head', y: mis(b0, 'base').originalAccuracy ?? [] },
          { name: 'from aligned head', y: mis(b0, 'aligned').originalAccuracy ?? [] },
        ],
        { yMin: 0, yMax: 1 },
      ),
    );
    out.push('', '![misalignment](figures/misalignment.svg)', '');

    // (d) Theorem 4.1.
    out.push(
      '## (d) Head change stays under the Theorem 4.1 bound',
      '',
      `For every behavior and every step, ||W(t) - W(0)||_F <= 6 * beta * lr * t * ||mu+ - mu-||: **${boundsOk ? 'holds' : 'VIOLATED'}**.`,
      '',
      boundNote(five.simulation.boundCheck),
      '',
      '![head change](figures/five-head-change.svg)',
      '',
    );
    const header = [
      '# Reproducing Im & Li (ICML 2024) on the persona data with the bundled model',
      '',
      `Made by \`npx tsx scripts/reproduce.ts --preset ${preset}\` on ${new Date().toISOString().slice(0, 10)}; model ${five.model.id} (d = ${five.model.dimension}, ${five.model.device}); simulation ${JSON.stringify(five.simulation.options)}.`,
      '',
    ];
    const notes = await readFile('docs/reproduction-notes.md', 'utf8').catch(() => '');
    await writeFile('docs/reproduction.md', [...header, ...out, notes].join('\n'));
  } finally {
    await embedder.dispose();
  }
};

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
