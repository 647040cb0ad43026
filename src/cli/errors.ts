/** One line a user can act on; stack traces only with --verbose or PREFERENCE_LENS_DEBUG set. */
export const usageErrorMessage = (error: unknown): string => {
  if (error instanceof Error) return error.message.split('\n')[0] || error.name;
  return String(error);
};

/** A command line that cannot run as given (bad option value, unwritable output): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
