/**
 * Polls `read` until `accept` holds for its result, or fails after `timeoutMs`.
 * For conditions a test cannot be told about directly (a sweep, a commit seen by a watcher,
 * a flag set by a stream handler). The one polling loop of the test suite.
 */
export async function waitFor<T>(
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  { timeoutMs = 15_000, intervalMs = 25, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${safeJson(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 2000) ?? String(value);
  } catch {
    return String(value);
  }
}
