/**
 * The on-disk TUF cache: where each instance's metadata and targets live, reading the cached
 * trust material without loading tuf-js (the fast path of every run), and committing a
 * refresh atomically, file by file, so that a failed or interrupted update never replaces the
 * previous good state.
 *
 * Layout (one directory per TUF repository, named after its URL):
 *
 * ```
 * metadata  ${XDG_DATA_HOME:-~/.local/share}/sigstore-ts/tuf/<key>/
 *             root.json timestamp.json snapshot.json targets.json   (TUF metadata, as verified)
 * targets   ${XDG_CACHE_HOME:-~/.cache}/sigstore-ts/tuf/<key>/
 *             <sha256>.trusted_root.json <sha256>.signing_config.v0.2.json
 * ```
 *
 * With `--trust-cache DIR` (or `SIGSTORE_TRUST_CACHE=DIR`) both live under `DIR/<key>/`
 * (targets in `DIR/<key>/targets/`). `<key>` is the URL, percent-encoded (as sigstore-python
 * names its directories). Targets are stored under their SHA-256, as named by `targets.json`,
 * so a reader always finds the file its metadata names, even while another process commits.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isObject } from '../lib/json.js';

/** The names of the Sigstore targets a client uses. */
export const TRUSTED_ROOT_TARGET = 'trusted_root.json';
export const SIGNING_CONFIG_TARGET = 'signing_config.v0.2.json';
export const TARGET_NAMES = [TRUSTED_ROOT_TARGET, SIGNING_CONFIG_TARGET] as const;

/** The TUF metadata files kept per instance (tuf-js's file names). */
export const METADATA_FILES = ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json'] as const;

/** Where one TUF repository's metadata and targets are cached. */
export interface CachePaths {
  /** The repository URL the cache belongs to. */
  url: string;
  metadataDir: string;
  targetsDir: string;
}

/** The environment variable that overrides the cache location (like `--trust-cache`). */
export const TRUST_CACHE_ENV = 'SIGSTORE_TRUST_CACHE';

/** A directory name for a repository URL: percent-encoded, or hashed when very long. */
export function instanceKey(url: string): string {
  const key = encodeURIComponent(url);
  return key.length <= 200 ? key : `${key.slice(0, 120)}-${createHash('sha256').update(url).digest('hex').slice(0, 32)}`;
}

/** The cache directories of the repository at `url` (`cacheDir` overrides the XDG defaults). */
export function cachePaths(url: string, cacheDir?: string, env: NodeJS.ProcessEnv = process.env): CachePaths {
  const key = instanceKey(url);
  const override = cacheDir ?? (env[TRUST_CACHE_ENV] || undefined);
  if (override) {
    const base = join(resolve(override), key);
    return { url, metadataDir: base, targetsDir: join(base, 'targets') };
  }
  const home = env.HOME || homedir();
  const data = env.XDG_DATA_HOME?.startsWith('/') ? env.XDG_DATA_HOME : join(home, '.local', 'share');
  const cache = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(home, '.cache');
  return { url, metadataDir: join(data, 'sigstore-ts', 'tuf', key), targetsDir: join(cache, 'sigstore-ts', 'tuf', key) };
}

function readOpt(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function jsonOpt(data: Buffer | undefined): Record<string, unknown> | undefined {
  if (!data) return undefined;
  try {
    const v = JSON.parse(data.toString('utf8')) as unknown;
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The `signed` part of TUF metadata, loosely read (it was verified when it was stored). */
export interface SignedInfo {
  version: number;
  expires: Date;
}

/** Version and expiry of TUF metadata bytes, or undefined when they are not TUF metadata. */
export function signedInfo(data: Buffer | undefined): SignedInfo | undefined {
  const signed = jsonOpt(data)?.signed;
  if (!isObject(signed)) return undefined;
  const version = signed.version;
  const expires = new Date(typeof signed.expires === 'string' ? signed.expires : Number.NaN);
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || Number.isNaN(expires.getTime())) return undefined;
  return { version, expires };
}

/** One target as `targets.json` describes it. */
export interface TargetRef {
  length: number;
  sha256: string;
}

/** The targets named in `targets.json` bytes (only those with a SHA-256). */
export function targetRefs(targetsJson: Buffer | undefined): Map<string, TargetRef> {
  const out = new Map<string, TargetRef>();
  const signed = jsonOpt(targetsJson)?.signed;
  const targets = isObject(signed) ? signed.targets : undefined;
  if (!isObject(targets)) return out;
  for (const [name, t] of Object.entries(targets)) {
    if (!isObject(t) || !isObject(t.hashes)) continue;
    const sha256 = t.hashes.sha256;
    if (typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256) && typeof t.length === 'number') out.set(name, { length: t.length, sha256 });
  }
  return out;
}

/** The file a target is cached in. */
export function targetPath(paths: CachePaths, name: string, sha256: string): string {
  return join(paths.targetsDir, `${sha256}.${encodeURIComponent(name)}`);
}

/** Reads a cached target and checks it against its reference; undefined when absent or wrong. */
export function readTarget(paths: CachePaths, name: string, ref: TargetRef | undefined): Buffer | undefined {
  if (!ref) return undefined;
  const data = readOpt(targetPath(paths, name, ref.sha256));
  if (!data || data.length !== ref.length) return undefined;
  return createHash('sha256').update(data).digest('hex') === ref.sha256 ? data : undefined;
}

/** Trust material as a TUF repository last published it (from the cache or a refresh). */
export interface TufSnapshot {
  /** The `trusted_root.json` target bytes. */
  trustedRoot: Buffer;
  /** The `signing_config.v0.2.json` target bytes, when the repository publishes one. */
  signingConfig: Buffer | undefined;
  rootVersion: number;
  timestampVersion: number;
  /** When the timestamp metadata expires: after that the material is stale. */
  expires: Date;
}

/** What the cache holds for one repository. */
export type CacheState =
  | { state: 'missing' }
  | { state: 'incomplete'; reason: string }
  | ({ state: 'ok' } & TufSnapshot);

/**
 * Reads the cached trust material of a repository (no signature checks: the metadata was
 * verified by TUF when it was stored; only that the targets match their metadata).
 */
export function readCache(paths: CachePaths): CacheState {
  const root = signedInfo(readOpt(join(paths.metadataDir, 'root.json')));
  const tsBytes = readOpt(join(paths.metadataDir, 'timestamp.json'));
  if (!root && !tsBytes) return { state: 'missing' };
  if (!root) return { state: 'incomplete', reason: 'root.json is missing or unreadable' };
  const ts = signedInfo(tsBytes);
  if (!ts) return { state: 'incomplete', reason: 'timestamp.json is missing or unreadable' };
  const refs = targetRefs(readOpt(join(paths.metadataDir, 'targets.json')));
  const trustedRoot = readTarget(paths, TRUSTED_ROOT_TARGET, refs.get(TRUSTED_ROOT_TARGET));
  if (!trustedRoot) return { state: 'incomplete', reason: `${TRUSTED_ROOT_TARGET} is not cached (or does not match targets.json)` };
  const signingConfig = readTarget(paths, SIGNING_CONFIG_TARGET, refs.get(SIGNING_CONFIG_TARGET));
  if (refs.has(SIGNING_CONFIG_TARGET) && !signingConfig) {
    return { state: 'incomplete', reason: `${SIGNING_CONFIG_TARGET} is not cached (or does not match targets.json)` };
  }
  return { state: 'ok', trustedRoot, signingConfig, rootVersion: root.version, timestampVersion: ts.version, expires: ts.expires };
}

/** The cached (or pinned) TUF root metadata of a repository, if any. */
export function readCachedRoot(paths: CachePaths): Buffer | undefined {
  return readOpt(join(paths.metadataDir, 'root.json'));
}

/** Reads the cached metadata files that exist (name -> bytes). */
export function readMetadataFiles(paths: CachePaths): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of METADATA_FILES) {
    const data = readOpt(join(paths.metadataDir, f));
    if (data) out.set(f, data);
  }
  return out;
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
  /** Metadata files (root.json, targets.json, snapshot.json, timestamp.json) as verified. */
  metadata: Map<string, Buffer>;
  /** Targets (name -> bytes), verified against `metadata`'s targets.json. */
  targets: Map<string, Buffer>;
}

/**
 * Commits verified metadata and targets to the cache: targets first (new files, under their
 * hash), then the metadata, timestamp last (it marks the cache fresh), each written atomically;
 * then removes target files neither the new nor the previous targets.json names. Throws when
 * the cache cannot be written (the caller decides whether that matters).
 */
export function commitCache(paths: CachePaths, update: CacheUpdate): void {
  const previousTargets = readOpt(join(paths.metadataDir, 'targets.json'));
  for (const [name, data] of update.targets) {
    const sha = createHash('sha256').update(data).digest('hex');
    const path = targetPath(paths, name, sha);
    const existing = readOpt(path);
    if (!existing?.equals(data)) writeAtomic(path, data);
  }
  for (const f of METADATA_FILES) {
    const data = update.metadata.get(f);
    if (!data) continue;
    const existing = readOpt(join(paths.metadataDir, f));
    if (!existing?.equals(data)) writeAtomic(join(paths.metadataDir, f), data);
  }
  const keep = new Set<string>();
  for (const refs of [targetRefs(update.metadata.get('targets.json')), targetRefs(previousTargets)]) {
    for (const [name, ref] of refs) keep.add(`${ref.sha256}.${encodeURIComponent(name)}`);
  }
  try {
    for (const f of readdirSync(paths.targetsDir)) {
      if (/^[0-9a-f]{64}\./.test(f) && !f.endsWith('.tmp') && !keep.has(f)) rmSync(join(paths.targetsDir, f), { force: true });
    }
  } catch {
    // garbage collection is best effort
  }
}

/** Removes the cached metadata of a repository (before pinning a new root). */
export function clearMetadata(paths: CachePaths): void {
  for (const f of METADATA_FILES) rmSync(join(paths.metadataDir, f), { force: true });
}

/** A short reason for a file system error, for warnings. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOSPC') return 'no space left on device';
  if (code === 'ENOTDIR') return 'a path component is not a directory';
  return (e as Error)?.message ?? String(e);
}
