/**
 * Signed TUF metadata for cache tests, without a server: a repository of the local instance
 * (src/instance/tuf.ts, Ed25519 keys) publishing given targets, and the cache update it makes.
 */
import { join } from 'node:path';
import { KeyStore } from '../../src/instance/keys.js';
import { type TufRole, TufRepo } from '../../src/instance/tuf.js';
import type { CacheUpdate } from '../../src/trust/cache.js';
import { scratchDir } from '../helpers/tmp.js';

export interface Fixture {
  repo: TufRepo;
  /** Publishes `files` (new versions) and returns the cache update of the current metadata. */
  publish(files: Record<string, Buffer>, expires?: Partial<Record<TufRole, Date>>): CacheUpdate;
  /** The current metadata and the last published targets, as a cache update. */
  update(): CacheUpdate;
}

export function fixture(dir = scratchDir('sigstore-tuf-fixture-')): Fixture {
  const repo = TufRepo.open(join(dir, 'repo'), new KeyStore(join(dir, 'keys')));
  let files: Record<string, Buffer> = {};
  const update = (): CacheUpdate => ({
    metadata: new Map((['root', 'targets', 'snapshot', 'timestamp'] as const).map((r) => [`${r}.json`, repo.metadata(r)])),
    targets: new Map(Object.entries(files)),
  });
  return {
    repo,
    publish(f, expires = {}) {
      files = f;
      repo.publish(f, expires, true);
      return update();
    },
    update,
  };
}
