/** An error's message for a log line (the caller decides whether it may hold personal data). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
