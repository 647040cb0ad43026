/**
 * One progress bar over the pipeline's stages. Stage weights reflect where the time goes on a
 * first (uncached) run: embedding dominates; a cached run jumps through it.
 */
import type { PipelineProgress, PipelineStage } from '../core/pipeline.js';

const STAGES: readonly PipelineStage[] = ['read', 'embed', 'analyze', 'simulate', 'done'];
const WEIGHTS: Record<PipelineStage, number> = {
  read: 0.05,
  embed: 0.7,
  analyze: 0.1,
  simulate: 0.15,
  done: 0,
};

/** Overall fraction 0..1 for a progress event (monotone in stage order). */
export const overallFraction = (p: PipelineProgress): number => {
  let before = 0;
  for (const stage of STAGES) {
    if (stage === p.stage) break;
    before += WEIGHTS[stage];
  }
  if (p.stage === 'done') return 1;
  const within = p.fraction ?? 0;
  return Math.min(1, before + WEIGHTS[p.stage] * Math.max(0, Math.min(1, within)));
};

/** The message under the notification, e.g. "embedding 1,200 / 24,000 (800 cached)". */
export const progressMessage = (p: PipelineProgress): string => {
  if (p.stage === 'embed' && p.embed) {
    const { done, total, cached } = p.embed;
    return `embedding ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}${cached ? ` (${cached.toLocaleString('en-US')} cached)` : ''}`;
  }
  return p.message;
};

/**
 * Turns absolute fractions into the increments `Progress.report` wants, never going backwards.
 * Returns the increment in percent (0 when nothing moved).
 */
export const incrementTracker = (): ((fraction: number) => number) => {
  let reported = 0;
  return (fraction: number): number => {
    const target = Math.round(Math.max(0, Math.min(1, fraction)) * 1000) / 10;
    if (target <= reported) return 0;
    const step = target - reported;
    reported = target;
    return step;
  };
};
