/**
 * Precomputed embeddings or a rows file that cannot be used as given (a missing, unknown or
 * duplicated row id, a shard of the wrong shape): the input is at fault, not the run (CLI exit 2).
 */
export class PrecomputedInputError extends Error {
  override readonly name = 'PrecomputedInputError';
}
