/**
 * {@link verifyMany}: many bundles at once, on the calling thread and worker threads (a
 * {@link VerifierPool}, kept for a few seconds for the next call with the same trusted root).
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import { buildTrustMaterial, type TrustMaterial, trustedRootJson } from '../trust/trusted-root.js';
import type { VerificationPolicy } from './policy.js';
import { VerifierPool, type VerifyManyItem, type VerifyManyOutcome } from './pool.js';
import { type KeyPolicy, Verifier, type VerifierOptions } from './verifier.js';

export type { VerifyManyItem, VerifyManyOutcome } from './pool.js';

/**
 * Options for {@link verifyMany}.
 *
 * @example
 * ```ts
 * const options: VerifyManyOptions = { threads: 2 };
 * ```
 */
export interface VerifyManyOptions extends VerifierOptions {
  /**
   * Threads to verify on, the calling thread included (default: the available parallelism, at
   * most one per bundle): `threads - 1` workers are started. 1 verifies on this thread only.
   */
  threads?: number;
  /**
   * `threads` (the default) runs the workers as worker threads, `processes` as child processes
   * (each its own OpenSSL and heap, at a higher start-up cost).
   */
  mode?: 'processes' | 'threads';
}

/**
 * Verifies many bundles against one trusted root and one policy, on the calling thread and
 * `threads - 1` worker threads (or child processes) started for the call; each keeps its caches
 * across the batch. Resolves to one outcome per item, in order; it never rejects for a bundle
 * that does not verify. With `threads: 1`, or a single item, it verifies on the calling thread
 * only. The workers wait 10 s for the next call with the same trusted root (repeated batches
 * run warm; idle workers never keep the process alive); a service verifying all day can keep a
 * {@link VerifierPool} of its own.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { Identity, loadTrustMaterial, verifyMany } from 'sigstore-ts';
 * const files = ['a.txt', 'b.txt'];
 * const outcomes = await verifyMany(
 *   await loadTrustMaterial(),
 *   files.map((f) => ({ bundle: readFileSync(`${f}.sigstore.json`), artifact: { path: f } })),
 *   new Identity({ identity: 'me@example.com', issuer: 'https://accounts.google.com' }),
 * );
 * outcomes.forEach((o, i) => console.log(files[i], o.ok ? 'OK' : `FAIL: ${o.error.message}`));
 * ```
 */
export async function verifyMany(
  trust: TrustMaterial,
  items: VerifyManyItem[],
  policy: VerificationPolicy | KeyPolicy,
  options: VerifyManyOptions = {},
): Promise<VerifyManyOutcome[]> {
  if (!policy) throw new UsageError('NO_POLICY', 'refusing to verify without a policy (use unsafeAcceptAnyIdentity() to accept any signer)');
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), items.length));
  if (threads === 1) {
    const verifier = new Verifier(trust, options);
    const out: VerifyManyOutcome[] = [];
    for (const item of items) {
      try {
        out.push({ ok: true, result: await verifier.verify(item.bundle, item.artifact, policy) });
      } catch (e) {
        out.push({ ok: false, error: e as Error });
      }
    }
    return out;
  }
  const lease = await sharedPool(trust, threads - 1, options);
  try {
    return await lease.pool.verifyMany(items, policy);
  } finally {
    lease.release();
  }
}

/** How long the workers of the last {@link verifyMany} call wait for the next one. */
const KEEP_WARM_MS = 10_000;

interface Shared {
  /** What the workers verify against: the trusted root the material says, and its source. */
  trustKey: string;
  workers: number;
  mode: 'processes' | 'threads';
  now: number | undefined;
  pool: Promise<VerifierPool>;
  users: number;
  timer: NodeJS.Timeout | undefined;
}

let shared: Shared | undefined;

/**
 * The workers for a {@link verifyMany} call: those of the previous call when it was for the same
 * trusted root (compared by content: the trusted root the material says) and options and ended less than {@link KEEP_WARM_MS} ago, so repeated batches
 * run on warm workers; else new ones. Idle workers never keep the process alive, and stop after
 * that delay.
 */
async function sharedPool(trust: TrustMaterial, workers: number, options: VerifyManyOptions): Promise<{ pool: VerifierPool; release: () => void }> {
  const mode = options.mode ?? 'threads';
  const now = options.now?.getTime();
  const frozen = buildTrustMaterial(trust);
  const trustKey = JSON.stringify([frozen.source, trustedRootJson(frozen)]);
  const s = shared;
  let mine: Shared;
  if (s && s.trustKey === trustKey && s.workers === workers && s.mode === mode && s.now === now) {
    mine = s;
    clearTimeout(mine.timer);
    mine.timer = undefined;
  } else {
    mine = {
      trustKey,
      workers,
      mode,
      now,
      users: 0,
      timer: undefined,
      pool: VerifierPool.start(frozen, { workers, callingThread: true, mode, ...(options.now ? { now: options.now } : {}) }),
    };
    if (s && s.users === 0) retire(s);
    if (!s || s.users === 0) shared = mine;
  }
  mine.users++;
  let pool: VerifierPool;
  try {
    pool = await mine.pool;
  } catch (e) {
    mine.users--;
    if (shared === mine) shared = undefined;
    throw e;
  }
  let released = false;
  return {
    pool,
    release: () => {
      if (released) return;
      released = true;
      if (--mine.users > 0) return;
      if (shared !== mine) return retire(mine);
      mine.timer = setTimeout(() => {
        if (shared === mine) shared = undefined;
        retire(mine);
      }, KEEP_WARM_MS);
      mine.timer.unref();
    },
  };
}

function retire(s: Shared): void {
  clearTimeout(s.timer);
  void s.pool.then((p) => p.close()).catch(() => {});
}
