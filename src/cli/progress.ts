import { SingleBar, Presets } from 'cli-progress';
import type { PipelineProgress } from '../core/pipeline.js';

export interface ProgressReporter {
  update: (p: PipelineProgress) => void;
  stop: () => void;
}

/** A bar on a TTY; otherwise one line per stage, so logs stay readable in CI. */
export const createProgressReporter = (tty: boolean): ProgressReporter => {
  let lastStage: string | undefined;
  if (!tty) {
    return {
      update: (p) => {
        if (p.stage !== lastStage) {
          lastStage = p.stage;
          process.stderr.write(`[${p.stage}] ${p.message}\n`);
        }
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    {
      format: '{stage} |{bar}| {percentage}% {message}',
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      const value = Math.round((p.fraction ?? 0) * 1000);
      if (!started) {
        bar.start(1000, value, { stage: p.stage.padEnd(8), message: p.message });
        started = true;
      } else {
        bar.update(value, { stage: p.stage.padEnd(8), message: p.message });
      }
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
};
