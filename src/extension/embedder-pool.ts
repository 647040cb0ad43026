/**
 * Keeps one embedder (one warm child process) across runs. A run with different embedder settings
 * replaces it; a crash drops it so the next run starts a new one. No vscode import.
 */
import type { Embedder } from '../core/embed/types.js';

export class EmbedderPool {
  private current: { key: string; embedder: Promise<Embedder> } | undefined;

  constructor(private readonly create: (key: string) => Promise<Embedder>) {}

  /** The embedder for these settings, reusing the warm one when the key matches. */
  async get(key: string): Promise<Embedder> {
    if (this.current?.key !== key) {
      await this.reset();
      const embedder = this.create(key);
      this.current = { key, embedder };
      // A failed start must not be kept: the next run tries again.
      embedder.catch(() => {
        if (this.current?.embedder === embedder) this.current = undefined;
      });
    }
    return this.current!.embedder;
  }

  /** Disposes the warm embedder (settings changed, child crashed, or the extension stops). */
  async reset(): Promise<void> {
    const previous = this.current;
    this.current = undefined;
    if (!previous) return;
    try {
      await (await previous.embedder).dispose();
    } catch {
      // A crashed or never-started child has nothing left to dispose.
    }
  }

  get warm(): boolean {
    return this.current !== undefined;
  }
}
