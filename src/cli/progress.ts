import { SingleBar, Presets } from 'cli-progress';
import type { PipelineProgress } from '../core/pipeline.js';
import { terminalLine } from './terminal-text.js';

export interface ProgressReporter {
  update: (p: PipelineProgress) => void;
  /** A line of its own (a warning) that must not tear the bar. */
  note: (line: string) => void;
  stop: () => void;
}

export interface ProgressOptions {
  /** Without a terminal, a line at least this often while a stage runs (default 5 s). */
  intervalMs?: number;
  now?: () => number;
  write?: (text: string) => void;
}

/** Counts, rate and ETA of the current part of a stage ("embedding", "simulated DPO"). */
interface Phase {
  key: string;
  startedAt: number;
  startDone: number;
  last: PipelineProgress;
}

/** The part of a message that names what is counted: "simulated DPO: 3/300 steps" → "simulated DPO". */
const phaseKey = (p: PipelineProgress): string =>
  `${p.stage}:${p.message.split(/[:\d]/)[0].trim()}`;

/** done/total and the unit: the embedder's counts, or the "a/b unit" a stage message carries. */
const counts = (p: PipelineProgress): { done: number; total: number; unit: string } | undefined => {
  if (p.embed) return { done: p.embed.done, total: p.embed.total, unit: 'rows' };
  const m = /(\d+)\/(\d+)(?:\s+([a-z]+))?/i.exec(p.message);
  return m ? { done: Number(m[1]), total: Number(m[2]), unit: m[3] ?? 'items' } : undefined;
};

export const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};

/** "118 rows/s, ETA 15s" for the phase so far; empty until there is something to measure. */
const rateAndEta = (phase: Phase, now: number): { rate: string; eta: string } => {
  const seconds = (now - phase.startedAt) / 1000;
  const c = counts(phase.last);
  if (c && seconds > 0 && c.done > phase.startDone) {
    const rate = (c.done - phase.startDone) / seconds;
    const digits = rate >= 10 ? 0 : 1;
    return {
      rate: `${rate.toFixed(digits)} ${c.unit}/s`,
      eta: formatDuration((c.total - c.done) / rate),
    };
  }
  const f = phase.last.fraction;
  if (f !== null && f > 0 && seconds > 0)
    return { rate: '', eta: formatDuration((seconds * (1 - f)) / f) };
  return { rate: '', eta: '' };
};

/**
 * A bar with rate and ETA on a terminal; otherwise a line when a stage (or a part of it) starts
 * and then one every few seconds with its counts, rate and ETA, so that a CI log never looks
 * stalled.
 */
export const createProgressReporter = (
  tty: boolean,
  options: ProgressOptions = {},
): ProgressReporter => {
  const now = options.now ?? Date.now;
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const intervalMs = options.intervalMs ?? 5000;
  let phase: Phase | undefined;
  const track = (p: PipelineProgress): boolean => {
    const key = phaseKey(p);
    const fresh = phase?.key !== key;
    if (fresh) phase = { key, startedAt: now(), startDone: counts(p)?.done ?? 0, last: p };
    else phase!.last = p;
    return fresh;
  };
  if (!tty) {
    let timer: ReturnType<typeof setInterval> | undefined;
    let lastStage: string | undefined;
    const line = () => {
      if (!phase) return;
      const p = phase.last;
      const { rate, eta } = rateAndEta(phase, now());
      const parts = [`[${p.stage}] ${terminalLine(p.message)}`];
      if (p.fraction !== null && p.stage !== 'done') parts.push(`${Math.round(p.fraction * 100)}%`);
      if (rate) parts.push(rate);
      if (eta && p.fraction !== 1) parts.push(`ETA ${eta}`);
      write(`${parts.join(', ')}\n`);
    };
    return {
      update: (p) => {
        const fresh = track(p);
        if (p.stage !== lastStage || (fresh && p.stage !== 'done')) {
          lastStage = p.stage;
          line();
        }
        if (!timer && p.stage !== 'done') {
          timer = setInterval(line, intervalMs);
          // A progress line must not keep the process alive.
          timer.unref?.();
        }
        if (p.stage === 'done' && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      },
      note: (text) => write(`${text}\n`),
      stop: () => {
        if (timer) clearInterval(timer);
        timer = undefined;
      },
    };
  }
  const bar = new SingleBar(
    {
      // Not {eta}: cli-progress fills that token itself, over the whole bar rather than the stage.
      format: '{stage} |{bar}| {percentage}% {message} {speed} {remaining}',
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  let started = false;
  const payload = (p: PipelineProgress) => {
    const { rate, eta } = rateAndEta(phase!, now());
    return {
      stage: p.stage.padEnd(8),
      message: terminalLine(p.message),
      speed: rate ? `· ${rate}` : '',
      remaining: eta ? `· ETA ${eta}` : '',
    };
  };
  return {
    update: (p) => {
      track(p);
      const value = Math.round((p.fraction ?? 0) * 1000);
      if (!started) {
        bar.start(1000, value, payload(p));
        started = true;
      } else {
        bar.update(value, payload(p));
      }
    },
    note: (text) => {
      // Clears the bar's line; the next update draws it again below the note.
      write(`\r\x1b[K${text}\n`);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
};
