/**
 * Writing the TUF cache: atomic files (a temporary file, then a rename) and commits of a
 * verified refresh under a lock file, so that two processes refreshing at once never leave a
 * mixed cache and older metadata never replaces newer (see cache.ts for the layout).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TrustError } from '../errors.js';
import { type CachePaths, METADATA_FILE, METADATA_FILES, readMetadataFiles, signedInfo, targetPath, targetRefs } from './cache.js';

function readOpt(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Writes a file atomically: a temporary file in the same directory, then a rename. */
export function writeAtomic(path: string, data: Buffer | string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** What a refresh produced, to be committed to the cache. */
export interface CacheUpdate {
  /** Metadata files (root.json, targets.json, snapshot.json, timestamp.json, and N.root.json for the roots since the shipped one) as verified. */
  metadata: Map<string, Buffer>;
  /** Targets (name -> bytes), verified against `metadata`'s targets.json. */
  targets: Map<string, Buffer>;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `fn` holding the cache's lock file (waiting up to 5 s for another process; a lock older than 30 s is stale). */
function withLock<T>(paths: CachePaths, fn: () => T): T {
  mkdirSync(paths.metadataDir, { recursive: true });
  const lock = join(paths.metadataDir, 'lock');
  const until = Date.now() + 5000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue;
      }
      if (age > 30_000) rmSync(lock, { force: true });
      else if (Date.now() > until) throw new TrustError('TRUST_CACHE_LOCKED', `the TUF cache ${paths.metadataDir} is locked by another process (${lock})`);
      else sleepSync(25);
    }
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/**
 * Commits verified metadata and targets to the cache under its lock: targets first (new
 * files, under their hash), then the metadata file (one atomic rename); then removes target
 * files neither the new nor the previous metadata names. Metadata older than what another
 * process committed meanwhile is not written (returns false), unless `force` (a new pin). Throws when the cache cannot
 * be written (the caller decides whether that matters).
 */
export function commitCache(paths: CachePaths, update: CacheUpdate, { force = false } = {}): boolean {
  return withLock(paths, () => {
    const previous = readMetadataFiles(paths);
    const prevTs = signedInfo(previous.get('timestamp.json'));
    const prevRoot = signedInfo(previous.get('root.json'));
    const newTs = signedInfo(update.metadata.get('timestamp.json'));
    const newRoot = signedInfo(update.metadata.get('root.json'));
    if (!force && prevTs && newTs && prevRoot && newRoot && (prevRoot.version > newRoot.version || (prevRoot.version === newRoot.version && prevTs.version > newTs.version))) {
      return false;
    }
    for (const [name, data] of update.targets) {
      const path = targetPath(paths, name, createHash('sha256').update(data).digest('hex'));
      if (!readOpt(path)?.equals(data)) writeAtomic(path, data);
    }
    const files: Record<string, string> = {};
    for (const [f, data] of update.metadata) {
      if ((METADATA_FILES as readonly string[]).includes(f) || /^\d+\.root\.json$/.test(f)) files[f] = data.toString('base64');
    }
    writeAtomic(join(paths.metadataDir, METADATA_FILE), `${JSON.stringify({ files }, null, 1)}\n`);
    const keep = new Set<string>();
    for (const refs of [targetRefs(update.metadata.get('targets.json')), targetRefs(previous.get('targets.json'))]) {
      for (const [name, ref] of refs) keep.add(`${ref.sha256}.${encodeURIComponent(name)}`);
    }
    try {
      for (const f of readdirSync(paths.targetsDir)) {
        if (/^[0-9a-f]{64}\./.test(f) && !f.endsWith('.tmp') && !keep.has(f)) rmSync(join(paths.targetsDir, f), { force: true });
      }
    } catch {
      // garbage collection is best effort
    }
    return true;
  });
}

/** Removes the cached metadata of a repository (before pinning a new root). */
export function clearMetadata(paths: CachePaths): void {
  rmSync(join(paths.metadataDir, METADATA_FILE), { force: true });
}

