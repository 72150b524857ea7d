/**
 * Bounded concurrency for async work over a list (signing many artifacts, writing many files).
 */

/** How {@link mapConcurrent} opens its window. */
export interface RampOptions {
  /** Calls begun at once. */
  start: number;
  /** Milliseconds after which the calls in flight double, if none has finished by then. */
  everyMs: number;
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; resolves to the results in order.
 * After a failure no new call starts; the ones running are awaited, then the first error is
 * thrown.
 *
 * With `ramp`, `ramp.start` calls begin at once, and the window then grows to `limit`: each call
 * that finishes lets one more begin beside its successor, and every `ramp.everyMs` the calls in
 * flight double if none finished during the last `ramp.everyMs` (a slow start, as TCP does,
 * bounded in time). A server handed the whole window at once reads all of it before it answers
 * any; a small first round comes back at once, so the caller's work on the first answers
 * overlaps the server's work on the rest. A distant server, whose answers take longer than the
 * ramp, still gets the whole window within a few multiples of `everyMs`.
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>, ramp?: RampOptions): Promise<R[]> {
  const out = new Array<R>(items.length);
  const max = Math.max(1, Math.min(limit, items.length));
  let next = 0;
  let failed: { error: unknown } | undefined;
  let finished = false;
  const lanes: Promise<void>[] = [];
  const open = (n: number) => {
    for (let k = Math.min(n, max - lanes.length); k > 0 && !failed && next < items.length; k--) lanes.push(lane());
  };
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= { error: e };
      }
      finished = true;
      open(1);
    }
  };
  open(ramp ? Math.max(1, ramp.start) : max);
  const timer =
    ramp && lanes.length < max
      ? setInterval(() => {
          if (lanes.length >= max) clearInterval(timer);
          else if (!finished) open(lanes.length);
          finished = false;
        }, ramp.everyMs)
      : undefined;
  try {
    // Lanes opened meanwhile are appended; wait for every one.
    for (let k = 0; k < lanes.length; k++) await lanes[k];
  } finally {
    clearInterval(timer);
  }
  if (failed) throw failed.error;
  return out;
}
