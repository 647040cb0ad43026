/**
 * Keeps one embedder (one warm child process) across runs, so a second run in a window pays no
 * start-up. A run with different embedder settings replaces it; a crash drops it so the next run
 * starts a new one; after `idleMs()` with no run using it, it is disposed (the child exits and its
 * memory is freed). No vscode import.
 */
import type { Embedder } from '../core/embed/types.js';

export interface EmbedderPoolOptions {
  /** How long an unused embedder stays warm, ms; 0 or less keeps it until reset. */
  idleMs?: () => number;
  /** Told when the idle timeout disposed the embedder (the status bar forgets the model). */
  onIdleEnd?: () => void;
}

export class EmbedderPool {
  private current: { key: string; embedder: Promise<Embedder> } | undefined;
  private users = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly create: (key: string) => Promise<Embedder>,
    private readonly options: EmbedderPoolOptions = {},
  ) {}

  /**
   * The embedder for these settings, reusing the warm one when the key matches. Each get is
   * paired with a release when the run is done with it: the idle timeout counts from there.
   */
  async get(key: string): Promise<Embedder> {
    this.stopIdleTimer();
    this.users++;
    if (this.current?.key !== key) {
      await this.dispose();
      const embedder = this.create(key);
      this.current = { key, embedder };
      // A failed start must not be kept: the next run tries again.
      embedder.catch(() => {
        if (this.current?.embedder === embedder) this.current = undefined;
      });
    }
    return this.current!.embedder;
  }

  /** A run is done with the embedder it got: with no run left, the idle timeout starts. */
  release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0 || !this.current) return;
    const ms = this.options.idleMs?.() ?? 0;
    if (!(ms > 0)) return;
    this.stopIdleTimer();
    const timer = setTimeout(() => {
      if (this.idleTimer !== timer || this.users > 0) return;
      this.idleTimer = undefined;
      void this.dispose().then(() => {
        if (!this.current) this.options.onIdleEnd?.();
      });
    }, ms);
    // A warm embedder waiting out its timeout must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    this.idleTimer = timer;
  }

  /** Disposes the warm embedder (settings changed, child crashed, or the extension stops). */
  async reset(): Promise<void> {
    this.stopIdleTimer();
    await this.dispose();
  }

  get warm(): boolean {
    return this.current !== undefined;
  }

  private stopIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private async dispose(): Promise<void> {
    const previous = this.current;
    this.current = undefined;
    if (!previous) return;
    try {
      await (await previous.embedder).dispose();
    } catch {
      // A crashed or never-started child has nothing left to dispose.
    }
  }
}
