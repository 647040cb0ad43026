import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  abortSignalFromToken,
  isCancellation,
  type CancellationTokenLike,
} from '../../src/extension/cancellation.js';

/** The shape of vscode.CancellationTokenSource's token, on a Node EventEmitter. */
const tokenSource = (): { token: CancellationTokenLike; cancel(): void; listeners(): number } => {
  const events = new EventEmitter();
  let cancelled = false;
  return {
    token: {
      get isCancellationRequested() {
        return cancelled;
      },
      onCancellationRequested(listener) {
        events.on('cancel', listener);
        return { dispose: () => events.off('cancel', listener) };
      },
    },
    cancel() {
      cancelled = true;
      events.emit('cancel');
    },
    listeners: () => events.listenerCount('cancel'),
  };
};

describe('CancellationToken -> AbortSignal', () => {
  it('aborts when the token is cancelled, with an AbortError reason', () => {
    const source = tokenSource();
    const { signal, dispose } = abortSignalFromToken(source.token);
    expect(signal.aborted).toBe(false);
    source.cancel();
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe('AbortError');
    expect(isCancellation(signal.reason)).toBe(true);
    dispose();
  });

  it('is already aborted for an already cancelled token', () => {
    const source = tokenSource();
    source.cancel();
    expect(abortSignalFromToken(source.token).signal.aborted).toBe(true);
  });

  it('stops listening on dispose', () => {
    const source = tokenSource();
    const { signal, dispose } = abortSignalFromToken(source.token);
    expect(source.listeners()).toBe(1);
    dispose();
    expect(source.listeners()).toBe(0);
    source.cancel();
    expect(signal.aborted).toBe(false);
  });

  it('an aborted fetch-style rejection counts as cancellation, an ordinary error does not', async () => {
    const controller = new AbortController();
    const pending = new Promise((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason)),
    );
    controller.abort();
    await expect(pending).rejects.toSatisfy((e: unknown) => isCancellation(e));
    expect(isCancellation(new Error('model file not found'))).toBe(false);
  });
});
