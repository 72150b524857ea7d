/**
 * The on-disk TUF cache: where each instance's metadata and targets live, reading the cached
 * trust material without loading tuf-js (the fast path of every run) and verifying it on every
 * read (tuf-metadata.ts: signatures, versions, hashes, expiry), and committing a refresh
 * atomically so that a failed, interrupted or concurrent update never leaves a mixed cache.
 *
 * Layout (one directory per TUF repository, named after its URL):
 *
 * ```
 * metadata  ${XDG_DATA_HOME:-~/.local/share}/sigstore-ts/tuf/<key>/
 *             metadata.json   root, timestamp, snapshot and targets metadata in one file
 * targets   ${XDG_CACHE_HOME:-~/.cache}/sigstore-ts/tuf/<key>/
 *             <sha256>.trusted_root.json <sha256>.signing_config.v0.2.json ...
 * ```
 *
 * With `--trust-cache DIR` (or `SIGSTORE_TRUST_CACHE=DIR`) both live under `DIR/<key>/`
 * (targets in `DIR/<key>/targets/`). `<key>` is the URL, percent-encoded (as sigstore-python
 * names its directories). The four metadata files are one file, replaced by a rename, so a
 * reader always sees one consistent set; targets are stored under their SHA-256, so a reader
 * finds the file its metadata names even while another process commits. Commits take a lock
 * file and never replace newer metadata with older.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TrustError } from '../errors.js';
import { isObject } from '../lib/json.js';
import { type TargetRef, targetsOf, type VerifiedChain, verifyChain, verifyRoot } from './tuf-metadata.js';
import type { ErrorCode } from '../errors.js';

export type { TargetRef } from './tuf-metadata.js';

/** The names of the Sigstore targets a client uses. */
export const TRUSTED_ROOT_TARGET = 'trusted_root.json';
export const SIGNING_CONFIG_TARGET = 'signing_config.v0.2.json';
export const REKOR_V2_SIGNING_CONFIG_TARGET = 'signing_config_rekor_v2.v0.2.json';
export const TARGET_NAMES = [TRUSTED_ROOT_TARGET, SIGNING_CONFIG_TARGET, REKOR_V2_SIGNING_CONFIG_TARGET] as const;

/** The TUF metadata files kept per instance (tuf-js's file names). */
export const METADATA_FILES = ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json'] as const;

/** The file that holds the four metadata files. */
export const METADATA_FILE = 'metadata.json';

/** Where one TUF repository's metadata and targets are cached. */
export interface CachePaths {
  /** The repository URL the cache belongs to. */
  url: string;
  metadataDir: string;
  targetsDir: string;
  /** The directory the cache was placed in (`--trust-cache DIR`, or the sigstore-ts XDG directories). */
  bases: string[];
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
    return { url, metadataDir: base, targetsDir: join(base, 'targets'), bases: [resolve(override)] };
  }
  // node:os only without HOME: loading it costs a one-shot verification more than the rest of this.
  const home = env.HOME || process.getBuiltinModule('node:os').homedir();
  const data = env.XDG_DATA_HOME?.startsWith('/') ? env.XDG_DATA_HOME : join(home, '.local', 'share');
  const cache = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(home, '.cache');
  return {
    url,
    metadataDir: join(data, 'sigstore-ts', 'tuf', key),
    targetsDir: join(cache, 'sigstore-ts', 'tuf', key),
    bases: [join(data, 'sigstore-ts'), join(cache, 'sigstore-ts')],
  };
}

/**
 * Refuses a cache that other users could write: a directory on the way from the cache's base
 * to its files that is world-writable (without the sticky bit) or owned by another user (not
 * root). Such a cache could be replaced under us; directories that do not exist yet are fine.
 */
export function checkCacheDirs(paths: CachePaths): void {
  const uid = process.getuid?.();
  const dirs = new Set<string>();
  for (const leaf of [paths.metadataDir, paths.targetsDir]) {
    const base = paths.bases.find((b) => leaf === b || leaf.startsWith(`${b}/`)) ?? dirname(leaf);
    for (let d = leaf; ; d = dirname(d)) {
      dirs.add(d);
      if (d === base || dirname(d) === d) break;
    }
  }
  for (const d of dirs) {
    let st: import('node:fs').Stats;
    try {
      st = statSync(d);
    } catch {
      continue;
    }
    const worldWritable = (st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0;
    const foreign = uid !== undefined && st.uid !== uid && st.uid !== 0;
    if (worldWritable || foreign) {
      throw new TrustError(
        'TRUST_CACHE_INSECURE',
        `the TUF cache directory ${d} is ${worldWritable ? 'writable by every user' : `owned by another user (uid ${st.uid})`}: refusing to trust what it holds (fix its permissions, or choose another place with --trust-cache DIR)`,
      );
    }
  }
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

/** The `signed` part of TUF metadata, loosely read (no signature checks). */
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

/** The targets named in `targets.json` bytes, loosely read (for garbage collection only). */
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
  /** The `signing_config_rekor_v2.v0.2.json` target bytes, when the repository publishes one. */
  rekorV2SigningConfig: Buffer | undefined;
  rootVersion: number;
  timestampVersion: number;
  /** When the metadata expires (the earliest expiry of its four roles): after that it is stale. */
  expires: Date;
}

/** What the cache holds for one repository. */
export type CacheState =
  | { state: 'missing' }
  | { state: 'invalid'; reason: string; rootValid: boolean }
  | ({ state: 'ok'; /** The metadata files that were verified (name -> bytes). */ metadata: Map<string, Buffer> } & TufSnapshot);

/** Reads the cached metadata files that exist (name -> bytes). */
export function readMetadataFiles(paths: CachePaths, raw = readOpt(join(paths.metadataDir, METADATA_FILE))): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const doc = jsonOpt(raw);
  const files = isObject(doc?.files) ? doc.files : {};
  for (const [f, v] of Object.entries(files)) {
    // The four metadata files, and the roots between the shipped root and root.json (N.root.json).
    if (typeof v === 'string' && ((METADATA_FILES as readonly string[]).includes(f) || /^[1-9]\d{0,8}\.root\.json$/.test(f))) out.set(f, Buffer.from(v, 'base64'));
  }
  return out;
}

/** The metadata a chain check needs, from a name -> bytes map. */
function chainFiles(m: Map<string, Buffer>) {
  return { root: m.get('root.json'), timestamp: m.get('timestamp.json'), snapshot: m.get('snapshot.json'), targets: m.get('targets.json') };
}

/** Verifies a set of metadata files and the targets a client uses; throws a TrustError `code`. */
export function verifyMetadata(
  metadata: Map<string, Buffer>,
  targets: (name: string, ref: TargetRef | undefined) => Buffer | undefined,
  opts: { code: ErrorCode; what: string; anchor?: Buffer },
): TufSnapshot & { chain: VerifiedChain } {
  const chain = verifyChain(chainFiles(metadata), { ...opts, intermediates: metadata });
  const refs = targetsOf(chain.targets);
  const get = (name: string, required: boolean): Buffer | undefined => {
    const ref = refs.get(name);
    if (!ref) {
      if (required) throw new TrustError(opts.code, `${opts.what}: targets.json does not name ${name}`);
      return undefined;
    }
    const data = targets(name, ref);
    if (!data) throw new TrustError(opts.code, `${opts.what}: ${name} is missing or does not have the length and SHA-256 targets.json gives`);
    return data;
  };
  return {
    trustedRoot: get(TRUSTED_ROOT_TARGET, true)!,
    signingConfig: get(SIGNING_CONFIG_TARGET, false),
    rekorV2SigningConfig: get(REKOR_V2_SIGNING_CONFIG_TARGET, false),
    rootVersion: chain.root.version,
    timestampVersion: chain.timestamp.version,
    expires: chain.expires,
    chain,
  };
}

/**
 * Reads the cached trust material of a repository and verifies it: the metadata chain
 * (signatures from the cached root, which must not be older than `anchor`, the embedded or
 * pinned root; versions; hashes) and the targets against it. Expired metadata is `ok` (the
 * caller decides what stale material may be used for); anything else wrong is `invalid`.
 */
export function readCache(paths: CachePaths, anchor?: Buffer, readTargetFile: typeof readTarget = readTarget): CacheState {
  const file = join(paths.metadataDir, METADATA_FILE);
  let raw = readOpt(file);
  // A commit by another process between reading the metadata and its targets may remove a
  // target that metadata names (garbage collection keeps only the last two commits' targets):
  // the read is retried when the metadata file changed under it, so a reader never reports a
  // consistent cache as invalid, nor mixes one commit's metadata with another's targets.
  for (let attempt = 0; ; attempt++) {
    if (!raw) return { state: 'missing' };
    const metadata = readMetadataFiles(paths, raw);
    try {
      const { chain: _chain, ...snap } = verifyMetadata(metadata, (name, ref) => readTargetFile(paths, name, ref), {
        code: 'TRUST_CACHE_INVALID',
        what: `cached TUF metadata in ${paths.metadataDir}`,
        ...(anchor ? { anchor } : {}),
      });
      return { state: 'ok', metadata, ...snap };
    } catch (e) {
      if (!(e instanceof TrustError)) throw e;
      const now = readOpt(file);
      if (attempt < 8 && now && !now.equals(raw)) {
        raw = now;
        continue;
      }
      return { state: 'invalid', reason: e.message, rootValid: verifiedRoot(paths, anchor) !== undefined };
    }
  }
}

/** The cached TUF root when it verifies (self-signed, descending from `anchor`), else undefined. */
export function verifiedRoot(paths: CachePaths, anchor?: Buffer): Buffer | undefined {
  const files = readMetadataFiles(paths);
  const root = files.get('root.json');
  if (!root) return undefined;
  try {
    verifyRoot(
      root,
      (m) => {
        throw new TrustError('TRUST_CACHE_INVALID', m);
      },
      anchor,
      files,
    );
    return root;
  } catch {
    return undefined;
  }
}

/** The cached (or pinned) TUF root metadata of a repository, if any (unverified). */
export function readCachedRoot(paths: CachePaths): Buffer | undefined {
  return readMetadataFiles(paths).get('root.json');
}

export { clearMetadata, type CacheUpdate, commitCache, writeAtomic } from './cache-write.js';

/** A short reason for a file system error, for warnings. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOSPC') return 'no space left on device';
  if (code === 'ENOTDIR') return 'a path component is not a directory';
  return (e as Error)?.message ?? String(e);
}
