/**
 * Held-out-style figures for two of issue #17's verdicts, on real embeddings of the bundled persona
 * behaviors (each behavior's full set of embeddings is treated as the population):
 *
 * (a) Interval coverage. Seeded subsamples of n per class (n drawn in [100, 200]) are analyzed
 *     with the 200-replicate bootstrap; how often does `distinguishabilityCI` (bias-corrected,
 *     stats.ts) contain the full-data ||mu+ - mu-||, against the former percentile interval of the
 *     same replicates?
 * (b) Gap/level agreement. Every pair of behaviors, each subsampled to a seeded, unequal size, is
 *     trained together in a short simulated joint run (fast-preview lr and beta). Over the pairs,
 *     how often does the sign of the weighted gap (priorityGaps with n_i weights) agree with the
 *     sign of P_i - P_j of the pair and with the order of the behaviors' test-loss decrease in the
 *     joint run, against the former unweighted gap?
 *
 *   node bin/preference-lens.js analyze examples/persona --save-embeddings /tmp/pe --no-rebalance
 *   npx tsx bench/verdict-figures.ts /tmp/pe [--draws 20] [--steps 20]
 */
import { parseArgs } from 'node:util';
import { priorityGaps, priorityLevels } from '../src/core/analysis/priority.js';
import { Rng } from '../src/core/analysis/rng.js';
import { jointRun, splitBehavior, toJointRun } from '../src/core/analysis/runs.js';
import { FAST_PREVIEW, runToCompletion } from '../src/core/analysis/simulate.js';
import { behaviorStats, percentileInterval } from '../src/core/analysis/stats.js';
import { loadSavedEmbeddings } from './label-hints.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { draws: { type: 'string', default: '20' }, steps: { type: 'string', default: '20' } },
});
const dir = positionals[0] ?? '/tmp/pe';
const draws = Number(values.draws);
const steps = Number(values.steps);
const { matrix, behaviors } = loadSavedEmbeddings(dir);

/** k rows picked without replacement (seeded partial Fisher-Yates). */
function sample(rows: ArrayLike<number>, k: number, rng: Rng): Int32Array {
  const a = Int32Array.from(rows);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}

function classes(b: (typeof behaviors)[number]): [Int32Array, Int32Array] {
  const pos: number[] = [];
  const neg: number[] = [];
  b.rows.forEach((r, i) => (b.labels[i] > 0 ? pos : neg).push(r));
  return [Int32Array.from(pos), Int32Array.from(neg)];
}

// (a) coverage
let coveredNew = 0;
let coveredOld = 0;
let containsEstimateOld = 0;
let trials = 0;
const rng = new Rng(20261207, 0xc0);
for (const b of behaviors) {
  const [pos, neg] = classes(b);
  const truth = behaviorStats(matrix, pos, neg, {
    bootstrapReps: 0,
    permutations: 0,
    labelHints: false,
  }).distinguishability;
  for (let t = 0; t < draws; t++) {
    const n = 100 + rng.int(101);
    const s = behaviorStats(
      matrix,
      sample(pos, Math.min(n, pos.length), rng),
      sample(neg, Math.min(n, neg.length), rng),
      { seed: 1234 + t, permutations: 0, labelHints: false },
    );
    const [lo, hi] = s.distinguishabilityCI;
    const [plo, phi] = percentileInterval(Float64Array.from(s.replicates), 0.95);
    trials++;
    if (lo <= truth && truth <= hi) coveredNew++;
    if (plo <= truth && truth <= phi) coveredOld++;
    if (plo <= s.distinguishability && s.distinguishability <= phi) containsEstimateOld++;
  }
}
const pct = (x: number, n: number) => `${((100 * x) / n).toFixed(1)}%`;
console.log(
  `(a) ${trials} subsamples (${behaviors.length} behaviors x ${draws}, n = 100-200 per class), nominal 95%:`,
);
console.log(
  `    bias-corrected distinguishabilityCI covers the full-data value: ${pct(coveredNew, trials)}`,
);
console.log(
  `    former percentile interval covers it:                         ${pct(coveredOld, trials)}`,
);
console.log(
  `    former percentile interval contains its own estimate:         ${pct(containsEstimateOld, trials)}`,
);

// (b) gap / level agreement
async function gapAgreement(): Promise<void> {
  const options = { ...FAST_PREVIEW, steps };
  const sizeRng = new Rng(20261207, 0x9a);
  const subsets = behaviors.map((b) => {
    // Unequal sizes: between 20% and 100% of the behavior's rows.
    const n = Math.round(b.rows.length * (0.2 + 0.8 * sizeRng.float()));
    const order = sample(Int32Array.from(b.rows.keys()), n, sizeRng);
    return {
      name: b.name,
      rows: Int32Array.from(order, (i) => b.rows[i]),
      labels: Int8Array.from(order, (i) => b.labels[i]),
    };
  });
  let pairs = 0;
  let weightedLevel = 0;
  let unweightedLevel = 0;
  let weightedRun = 0;
  let unweightedRun = 0;
  let levelRun = 0;
  let disagree = 0;
  let disagreeRunFollowsWeighted = 0;
  for (let i = 0; i < subsets.length; i++) {
    for (let j = i + 1; j < subsets.length; j++) {
      const splits = [
        splitBehavior(matrix, subsets[i], 0, options.testFraction, options.seed),
        splitBehavior(matrix, subsets[j], 1, options.testFraction, options.seed),
      ];
      const n = splits.map((s) => s.train.rows.length);
      if (n[0] === n[1]) continue;
      const b = splits.map((s) => s.meanDiff);
      const levels = priorityLevels(b, n);
      const weighted = priorityGaps(b, n)[0][1];
      const unweighted = priorityGaps(b)[0][1];
      const sim = jointRun(matrix, splits, options);
      await runToCompletion([sim]);
      const run = toJointRun(sim, [subsets[i].name, subsets[j].name]);
      const drop = [subsets[i].name, subsets[j].name].map((name) => {
        const loss = run.perBehavior[name].testLoss;
        return loss[0] - loss[loss.length - 1];
      });
      const levelSign = Math.sign(levels[0] - levels[1]);
      const runSign = Math.sign(drop[0] - drop[1]);
      pairs++;
      if (Math.sign(weighted) === levelSign) weightedLevel++;
      if (Math.sign(unweighted) === levelSign) unweightedLevel++;
      if (Math.sign(weighted) === runSign) weightedRun++;
      if (Math.sign(unweighted) === runSign) unweightedRun++;
      if (levelSign === runSign) levelRun++;
      if (Math.sign(weighted) !== Math.sign(unweighted)) {
        disagree++;
        if (Math.sign(weighted) === runSign) disagreeRunFollowsWeighted++;
      }
    }
  }
  console.log(
    `(b) ${pairs} pairs of unequal size (sizes 20-100% of each behavior, seeded), joint run of ${steps} fast-preview steps:`,
  );
  console.log(`    sign(weighted gap) = sign(P_i - P_j):   ${pct(weightedLevel, pairs)}`);
  console.log(`    sign(unweighted gap) = sign(P_i - P_j): ${pct(unweightedLevel, pairs)}`);
  console.log(
    `    sign(weighted gap) = joint-run order (test-loss drop):   ${pct(weightedRun, pairs)}`,
  );
  console.log(
    `    sign(unweighted gap) = joint-run order (test-loss drop): ${pct(unweightedRun, pairs)}`,
  );
  console.log(`    sign(P_i - P_j) = joint-run order: ${pct(levelRun, pairs)}`);
  console.log(
    `    pairs where the two gaps have opposite signs: ${disagree}, the joint run follows the weighted gap in ${disagreeRunFollowsWeighted}`,
  );
}

void gapAgreement();
