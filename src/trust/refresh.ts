/**
 * Automatic TUF refreshes within a time budget: one refresh at a time per repository in this
 * process (concurrent callers share it), the whole refresh bounded by its budget even against a
 * repository that hangs or keeps answering 503 (every request and retry carries the deadline,
 * and the refresh as a whole is abandoned when it passes), and a failure remembered only for a
 * short back-off: the next call after it tries again, never the life of the process.
 */
import { NetworkError } from '../errors.js';
import type { CachePaths, TufSnapshot } from './cache.js';
import type { TufInstance } from './instances.js';
import type { RefreshResult } from './tuf.js';

/** How long a failed refresh is not retried (calls meanwhile get the same error at once). */
export const REFRESH_BACKOFF_MS = 2000;

/** Verified refreshes of this process that could not be saved, by metadata directory. */
const memory = new Map<string, RefreshResult>();
/** Refreshes in flight, by metadata directory. */
const inflight = new Map<string, Promise<RefreshResult>>();
/** The last failure of each repository and until when it stands. */
const failures = new Map<string, { error: unknown; until: number }>();

/** A verified refresh of this process that the cache could not keep. */
export function rememberedRefresh(dir: string): (TufSnapshot & { update?: RefreshResult['update'] }) | undefined {
  return memory.get(dir);
}

export function rememberRefresh(dir: string, r: RefreshResult): void {
  memory.set(dir, r);
}

/** Forgets refreshes and failures (of one repository, or all). */
export function resetRefreshMemory(dir?: string): void {
  for (const m of [memory, inflight, failures] as Map<string, unknown>[]) {
    if (dir === undefined) m.clear();
    else m.delete(dir);
  }
}

/**
 * Refreshes `inst` (loading tuf-js). With `budget` (ms), the whole refresh, retries included,
 * ends within it; without, requests use their normal timeouts (an explicit update).
 */
export async function refreshBounded(
  inst: TufInstance,
  paths: CachePaths,
  opts: { trusted: Map<string, Buffer>; bootstrapRoot?: Buffer; budget?: number },
): Promise<RefreshResult> {
  const dir = paths.metadataDir;
  const failed = failures.get(dir);
  // (An explicit update, without a budget, always tries.)
  if (failed && opts.budget !== undefined && Date.now() < failed.until) throw failed.error;
  let p = inflight.get(dir);
  if (!p) {
    p = run(inst, paths, opts);
    inflight.set(dir, p);
    p.then(
      () => {
        failures.delete(dir);
      },
      (error: unknown) => {
        failures.set(dir, { error, until: Date.now() + REFRESH_BACKOFF_MS });
      },
    ).finally(() => inflight.delete(dir));
  }
  return p;
}

async function run(inst: TufInstance, paths: CachePaths, opts: { trusted: Map<string, Buffer>; bootstrapRoot?: Buffer; budget?: number }): Promise<RefreshResult> {
  const base = { trusted: opts.trusted, ...(opts.bootstrapRoot ? { bootstrapRoot: opts.bootstrapRoot } : {}) };
  if (opts.budget === undefined) {
    const { refreshTuf } = await import('./tuf.js');
    return refreshTuf(inst, paths, base);
  }
  const budget = opts.budget;
  const deadline = Date.now() + budget;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NetworkError('TUF_TIMEOUT', `the TUF repository ${inst.metadataUrl} did not complete an update within ${budget} ms`)), budget + 50);
    timer.unref?.();
  });
  try {
    const { refreshTuf } = await import('./tuf.js');
    return await Promise.race([refreshTuf(inst, paths, { ...base, deadline, timeoutMs: budget, attempts: 3 }), late]);
  } finally {
    clearTimeout(timer);
  }
}
