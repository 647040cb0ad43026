import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgressReporter, formatDuration } from '../../src/cli/progress.js';
import type { PipelineProgress } from '../../src/core/pipeline.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const embed = (done: number, total: number): PipelineProgress => ({
  stage: 'embed',
  message: `embedding: ${done}/${total} (0 cached)`,
  fraction: done / total,
  embed: { done, total, cached: 0 },
});

describe('progress without a terminal', () => {
  it('prints a line every few seconds with counts, rate and ETA, not only at stage changes', () => {
    const lines: string[] = [];
    const reporter = createProgressReporter(false, {
      intervalMs: 5000,
      now: () => Date.now(),
      write: (t) => lines.push(t),
    });
    reporter.update(embed(0, 1000));
    expect(lines).toEqual(['[embed] embedding: 0/1000 (0 cached), 0%\n']);
    // 100 rows per second for 5 s: one line, with the rate and the 5 s the rest will take.
    for (let s = 1; s <= 5; s++) {
      vi.advanceTimersByTime(999);
      reporter.update(embed(100 * s, 1000));
      vi.advanceTimersByTime(1);
    }
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('[embed] embedding: 500/1000 (0 cached), 50%, 100 rows/s, ETA 5s\n');
    // A long stage with steps: still a line every interval.
    const step = (n: number): PipelineProgress => ({
      stage: 'simulate',
      message: `simulated DPO: ${n}/7500 steps`,
      fraction: n / 7500,
    });
    reporter.update(step(300));
    vi.advanceTimersByTime(4999);
    reporter.update(step(1300));
    vi.advanceTimersByTime(1);
    // Stalled for the next 5 s: the line still comes, the rate since the stage began halves.
    vi.advanceTimersByTime(5000);
    expect(lines.slice(2)).toEqual([
      '[simulate] simulated DPO: 300/7500 steps, 4%\n',
      '[simulate] simulated DPO: 1300/7500 steps, 17%, 200 steps/s, ETA 31s\n',
      '[simulate] simulated DPO: 1300/7500 steps, 17%, 100 steps/s, ETA 1m02s\n',
    ]);
    reporter.update({ stage: 'done', message: 'analysis done', fraction: 1 });
    vi.advanceTimersByTime(20_000);
    expect(lines.at(-1)).toBe('[done] analysis done\n');
    reporter.stop();
  });

  it('escapes control characters in the messages it prints', () => {
    const lines: string[] = [];
    const reporter = createProgressReporter(false, { write: (t) => lines.push(t) });
    reporter.update({ stage: 'embed', message: 'embedding with \u001b]0;x\u0007', fraction: 0 });
    expect(lines[0]).toBe('[embed] embedding with \\x1b]0;x\\x07, 0%\n');
    reporter.stop();
  });
});

describe('formatDuration', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(formatDuration(4.4)).toBe('4s');
    expect(formatDuration(62)).toBe('1m02s');
    expect(formatDuration(7325)).toBe('2h02m');
    expect(formatDuration(Infinity)).toBe('?');
  });
});
