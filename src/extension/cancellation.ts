/**
 * VS Code speaks CancellationToken, the core speaks AbortSignal: this is the one place that converts
 * (the extension's boundary). Structurally typed so it is unit-tested without VS Code.
 */
export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

export interface TokenSignal {
  signal: AbortSignal;
  /** Stops listening to the token; the signal keeps its state. */
  dispose(): void;
}

export const abortSignalFromToken = (token: CancellationTokenLike | undefined): TokenSignal => {
  const controller = new AbortController();
  if (!token) return { signal: controller.signal, dispose: () => undefined };
  if (token.isCancellationRequested) {
    controller.abort(cancelledError());
    return { signal: controller.signal, dispose: () => undefined };
  }
  const subscription = token.onCancellationRequested(() => controller.abort(cancelledError()));
  return { signal: controller.signal, dispose: () => void subscription.dispose() };
};

const cancelledError = (): Error => {
  const error = new Error('Analysis cancelled');
  error.name = 'AbortError';
  return error;
};

/** True for the rejections an aborted run produces, whatever layer threw them. */
export const isCancellation = (error: unknown, signal?: AbortSignal): boolean =>
  (signal?.aborted ?? false) ||
  (error instanceof Error &&
    (error.name === 'AbortError' || /\babort(ed)?\b|cancel+ed/i.test(error.message)));
