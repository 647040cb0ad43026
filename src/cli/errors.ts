/** One line a user can act on; stack traces only with PREFERENCE_LENS_DEBUG set. */
export const usageErrorMessage = (error: unknown): string => {
  if (error instanceof Error) return error.message.split('\n')[0] || error.name;
  return String(error);
};
