/**
 * Pinning the TUF root of another Sigstore instance (`sigstore trust-instance`): the root is
 * trusted as given (obtained out of band), proven by one verified update, and saved.
 */
import { TrustError } from '../errors.js';
import { fromTuf } from './active.js';
import { cachePaths, checkCacheDirs, commitCache, fsReason, signedInfo } from './cache.js';
import { resolveInstance } from './instances.js';
import type { ActiveTrust } from './load.js';
import { resetRefreshMemory } from './refresh.js';

/**
 * Pins the TUF root of a Sigstore instance (its `root.json`, obtained out of band) for its
 * repository URL, and fetches its trust material once to prove the pin works. Nothing is
 * saved unless the update succeeds; an unwritable cache is an error here (a pin must persist).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { trustInstance, loadTrustMaterial } from 'sigstore-ts';
 * await trustInstance(readFileSync('root.json'), 'http://127.0.0.1:8080/tuf');
 * const trust = await loadTrustMaterial({ instance: 'http://127.0.0.1:8080/tuf' });
 * ```
 */
export async function trustInstance(rootJson: Buffer | string, url: string, opts: { cacheDir?: string; timeoutMs?: number } = {}): Promise<ActiveTrust> {
  const inst = resolveInstance({ instance: url });
  const paths = cachePaths(inst.metadataUrl, opts.cacheDir);
  const root = Buffer.isBuffer(rootJson) ? rootJson : Buffer.from(rootJson);
  if (!signedInfo(root)) throw new TrustError('TUF_ROOT_INVALID', 'the given root is not TUF root metadata (expected a root.json with signed.version and signed.expires)');
  checkCacheDirs(paths);
  const { refreshTuf } = await import('./tuf.js');
  const r = await refreshTuf(inst, paths, { bootstrapRoot: root, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  try {
    commitCache(paths, r.update, { force: true });
  } catch (e) {
    throw new TrustError('TRUST_CACHE_UNWRITABLE', `cannot save the pinned root of ${inst.metadataUrl} in ${paths.metadataDir}: ${fsReason(e)} (choose another place with --trust-cache DIR)`, {
      cause: e,
    });
  }
  resetRefreshMemory(paths.metadataDir);
  return fromTuf(inst, paths, r, true, true);
}

