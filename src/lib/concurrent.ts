/**
 * Bounded concurrency for async work over a list (signing many artifacts, writing many files).
 */

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; resolves to the results in order.
 * After a failure no new call starts; the ones running are awaited, then the first error is
 * thrown.
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.error;
  return out;
}
