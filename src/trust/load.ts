/**
 * Chooses and loads the trust material for a run: an explicit trusted root file, a client trust
 * config, or the trust material of a TUF-backed instance (production by default, staging, or
 * another instance by URL), from the local TUF cache, a TUF refresh, or the embedded copy.
 *
 * Refresh policy (TUF-backed instances):
 * - The cached material is used as long as its TUF timestamp has not expired: no network.
 * - With nothing cached, verification against a public-good instance uses the embedded copy
 *   without any network request (never waiting on the network); its TUF expiry is that of the
 *   embedded TUF root, and a warning says when that has passed. `plumbing update-trust-root`
 *   (or a signing run) populates the cache; from then on the rule above applies.
 * - When the cached material has expired (or the cache is damaged, or a signer asks with
 *   nothing cached), a refresh is tried within a short budget (5 s); if the repository cannot
 *   be reached, the previous material is used with a warning on stderr. A refresh TUF refuses
 *   (rollback, freeze, mix-and-match, threshold, wrong hash) is an error and leaves the cache
 *   as it was.
 * - `offline` never touches the network: cache, else embedded, with a warning when stale.
 * - `refresh` (`sigstore plumbing update-trust-root`) always refreshes, with normal timeouts.
 *
 * tuf-js is loaded only when a refresh happens.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { NetworkError, TrustError, UsageError } from '../errors.js';
import { isObject, type JsonObject, parseJson } from '../lib/json.js';
import { writeStderr } from '../lib/stdio.js';
import { type CachePaths, cachePaths, commitCache, fsReason, readCache, readCachedRoot, signedInfo, type TufSnapshot } from './cache.js';
import { EMBEDDED, type PublicInstance } from './embedded.js';
import { resolveInstance, type TufInstance } from './instances.js';
import { parseTrustedRoot, type TrustMaterial } from './trusted-root.js';
import type { RefreshOptions, RefreshResult } from './tuf.js';

/**
 * Where trust comes from. At most one of `trustedRoot`, `trustConfig`, `staging` and `instance`;
 * none means the public-good production instance.
 *
 * @example
 * ```ts
 * const file: TrustSource = { trustedRoot: 'my_trusted_root.json' };
 * const custom: TrustSource = { instance: 'http://127.0.0.1:8080/tuf', cacheDir: '/tmp/trust' };
 * const offline: TrustSource = { staging: true, offline: true };
 * ```
 */
export interface TrustSource {
  /** Use the public-good staging instance instead of production. */
  staging?: boolean;
  /** Path to a TrustedRoot JSON file (verification only; no TUF). */
  trustedRoot?: string;
  /** Path to a ClientTrustConfig JSON file (trusted root + signing config; no TUF). */
  trustConfig?: string;
  /** The TUF repository URL of another Sigstore instance, pinned with `trust-instance`. */
  instance?: string;
  /** Never use the network: the cached trust material, else the embedded copy. */
  offline?: boolean;
  /** The TUF cache directory (default: `$SIGSTORE_TRUST_CACHE`, else the XDG data and cache directories). */
  cacheDir?: string;
  /** Refresh the TUF metadata now, whether or not the cached copy has expired. */
  refresh?: boolean;
  /** What the material is for: `sign` also refreshes when nothing is cached yet. Default `verify`. */
  purpose?: 'verify' | 'sign';
  /** Time budget in ms for an automatic refresh (default 5000). */
  timeoutMs?: number;
  /** Receives warnings (stale material, unwritable cache); default: one line on stderr. */
  onWarning?: (message: string) => void;
}

/**
 * Where the active trust material came from.
 *
 * @example
 * ```ts
 * const { origin } = await loadTrust({ staging: true, offline: true });
 * console.log(origin.kind, origin.description); // embedded embedded staging trust material (...)
 * ```
 */
export interface TrustOrigin {
  /** `file` (--trusted-root), `trust-config`, `tuf` (cache or refresh) or `embedded`. */
  kind: 'file' | 'trust-config' | 'tuf' | 'embedded';
  /** The instance (`production`, `staging` or its URL) for TUF-backed material. */
  instance?: string;
  /** The TUF repository URL. */
  repository?: string;
  /** The file it was read from, or the cache directory. */
  path?: string;
  /** Whether a TUF refresh happened during this call. */
  refreshed: boolean;
  /** For a refresh: whether the result was saved to the cache (else it lives in memory only). */
  persisted?: boolean;
  rootVersion?: number;
  timestampVersion?: number;
  /** The TUF expiry of the material (timestamp metadata, or the embedded TUF root). */
  expires?: Date;
  /** Whether the material is past its TUF expiry. */
  stale: boolean;
  /** One line for humans. */
  description: string;
}

/**
 * The trust material of a run, with its signing config and origin.
 *
 * @example
 * ```ts
 * const active: ActiveTrust = await loadTrust({});
 * console.log(active.trustMaterial.tlogs.length, active.origin.description);
 * ```
 */
export interface ActiveTrust {
  trustMaterial: TrustMaterial;
  /** The trusted root as JSON (what `plumbing trust-root` prints). */
  trustedRootJson: JsonObject;
  /** The signing config (v0.2 JSON) that goes with it, when there is one. */
  signingConfigJson: JsonObject | undefined;
  origin: TrustOrigin;
}

const embeddedCache = new Map<PublicInstance, TrustMaterial>();

/** The embedded (shipped) trusted root of a public-good instance, parsed once per process. */
export function embeddedTrustMaterial(instance: PublicInstance = 'production'): TrustMaterial {
  let t = embeddedCache.get(instance);
  if (!t) {
    t = parseTrustedRoot(EMBEDDED[instance].trustedRoot, `embedded ${instance}`);
    embeddedCache.set(instance, t);
  }
  return t;
}

/** Reads a file for trust purposes, turning I/O errors into one-line messages. */
/** The largest trust file read (a trusted root is tens of kilobytes): refused before reading. */
export const MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024;

export function readTrustFile(path: string, what: string): string {
  try {
    const fd = openSync(path, 'r');
    try {
      const st = fstatSync(fd);
      if (st.isFile() && st.size > MAX_TRUST_FILE_BYTES) {
        throw new TrustError('JSON_TOO_LARGE', `${what} ${path} is larger than ${MAX_TRUST_FILE_BYTES / 1024 / 1024} MiB`);
      }
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (e instanceof TrustError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError('TRUST_FILE_UNREADABLE', `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}

export const CLIENT_TRUST_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json';

/** Reads a ClientTrustConfig file: its media type is checked, both parts must be objects. */
function readTrustConfig(path: string): { trustedRoot: JsonObject; signingConfig: JsonObject } {
  const fail = (m: string): never => {
    throw new TrustError('TRUST_CONFIG_INVALID', `trust config ${path}: ${m}`);
  };
  const json = parseJson(readTrustFile(path, 'trust config'), 'the trust config', fail);
  if (!isObject(json)) return fail('not a JSON object');
  if (json.mediaType !== CLIENT_TRUST_CONFIG_MEDIA_TYPE) fail(`unsupported mediaType ${JSON.stringify(json.mediaType)} (expected ${CLIENT_TRUST_CONFIG_MEDIA_TYPE})`);
  if (!isObject(json.trustedRoot)) fail('trustedRoot is missing or not an object');
  if (!isObject(json.signingConfig)) fail('signingConfig is missing or not an object');
  return { trustedRoot: json.trustedRoot as JsonObject, signingConfig: json.signingConfig as JsonObject };
}

/** Reads the trusted root out of a ClientTrustConfig file. */
export function trustedRootFromConfig(path: string): TrustMaterial {
  return parseTrustedRoot(readTrustConfig(path).trustedRoot, `${path} (trustedRoot)`);
}

function defaultWarn(message: string): void {
  writeStderr(`warning: ${message}\n`);
}

/** Verified refreshes of this process, by metadata directory (used when the cache is not writable). */
const memory = new Map<string, TufSnapshot>();
/** Repositories an automatic refresh could not reach in this process (not tried again). */
const unreachable = new Map<string, NetworkError>();

function explicitSources(source: TrustSource): string[] {
  return [
    source.trustedRoot ? '--trusted-root' : undefined,
    source.trustConfig ? '--trust-config' : undefined,
    source.staging ? '--staging' : undefined,
    source.instance ? '--instance' : undefined,
  ].filter((x): x is string => x !== undefined);
}

function jsonObject(data: Buffer, what: string): JsonObject {
  const fail = (m: string): never => {
    throw new TrustError('TRUST_CACHE_INVALID', `${what}: ${m}`);
  };
  const v = parseJson(data.toString('utf8'), what, fail);
  if (!isObject(v)) fail('not a JSON object');
  return v as JsonObject;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Material available without the network. */
type Candidate = { from: 'tuf'; snap: TufSnapshot } | { from: 'embedded'; kind: PublicInstance; expires: Date; rootVersion: number };

function fromTuf(inst: TufInstance, paths: CachePaths, snap: TufSnapshot, refreshed: boolean, persisted?: boolean, persistNote?: string): ActiveTrust {
  const stale = snap.expires.getTime() <= Date.now();
  const where = refreshed ? `updated now${persisted ? `, saved in ${paths.metadataDir}` : `, not saved${persistNote ? ` (${persistNote})` : ''}`}` : `cached in ${paths.metadataDir}`;
  const trustedRootJson = jsonObject(snap.trustedRoot, `cached trusted root of ${inst.name}`);
  return {
    trustMaterial: parseTrustedRoot(trustedRootJson, `TUF ${refreshed ? 'update' : 'cache'} of ${inst.name}`),
    trustedRootJson,
    signingConfigJson: snap.signingConfig ? jsonObject(snap.signingConfig, `cached signing config of ${inst.name}`) : undefined,
    origin: {
      kind: 'tuf',
      instance: inst.name,
      repository: inst.metadataUrl,
      path: paths.metadataDir,
      refreshed,
      ...(refreshed ? { persisted: persisted ?? false } : {}),
      rootVersion: snap.rootVersion,
      timestampVersion: snap.timestampVersion,
      expires: snap.expires,
      stale,
      description: `TUF repository ${inst.metadataUrl} (${where}; root v${snap.rootVersion}, timestamp v${snap.timestampVersion}, ${stale ? 'expired' : 'expires'} ${iso(snap.expires)})`,
    },
  };
}

function fromEmbedded(inst: TufInstance, c: Extract<Candidate, { from: 'embedded' }>): ActiveTrust {
  const e = EMBEDDED[c.kind];
  const stale = c.expires.getTime() <= Date.now();
  return {
    trustMaterial: embeddedTrustMaterial(c.kind),
    trustedRootJson: e.trustedRoot,
    signingConfigJson: e.signingConfig,
    origin: {
      kind: 'embedded',
      instance: inst.name,
      repository: inst.metadataUrl,
      refreshed: false,
      rootVersion: c.rootVersion,
      expires: c.expires,
      stale,
      description: `embedded ${c.kind} trust material (shipped with sigstore-ts; root metadata v${c.rootVersion} ${stale ? 'expired' : 'expires'} ${iso(c.expires)})`,
    },
  };
}

function activeFrom(inst: TufInstance, paths: CachePaths, c: Candidate): ActiveTrust {
  return c.from === 'tuf' ? fromTuf(inst, paths, c.snap, false) : fromEmbedded(inst, c);
}

/** Runs a refresh (loading tuf-js) and commits it; unwritable caches degrade to memory. */
async function refreshAndCommit(inst: TufInstance, paths: CachePaths, opts: RefreshOptions, warn: (m: string) => void): Promise<ActiveTrust> {
  const { refreshTuf } = await import('./tuf.js');
  const bootstrapRoot = inst.embedded ? Buffer.from(JSON.stringify(inst.embedded.tufRoot)) : undefined;
  const r: RefreshResult = await refreshTuf(inst, paths, { bootstrapRoot, ...opts });
  unreachable.delete(paths.metadataDir);
  memory.set(paths.metadataDir, r);
  let persisted = true;
  let note: string | undefined;
  try {
    commitCache(paths, r.update);
  } catch (e) {
    persisted = false;
    note = `${paths.metadataDir}: ${fsReason(e)}`;
    warn(`cannot save the updated trust material of ${inst.name} (${note}); using it in memory for this run`);
  }
  return fromTuf(inst, paths, r, true, persisted, note);
}

/**
 * Loads the active trust material with its signing config and origin (see the refresh policy
 * in this module's documentation).
 *
 * @example
 * ```ts
 * import { loadTrust } from 'sigstore-ts';
 * const { trustMaterial, signingConfigJson, origin } = await loadTrust({ instance: 'http://127.0.0.1:8080/tuf' });
 * console.error(`trust from ${origin.description}`);
 * ```
 */
export async function loadTrust(source: TrustSource = {}): Promise<ActiveTrust> {
  const given = explicitSources(source);
  if (given.length > 1) throw new UsageError('USAGE', `${given.join(' and ')} cannot be used together`);
  if (source.refresh && source.offline) throw new UsageError('USAGE', 'a refresh of the trust material cannot be done offline');
  if (source.trustedRoot) {
    if (source.refresh) throw new UsageError('USAGE', '--trusted-root is a file: there is nothing to refresh');
    const json = parseJson(readTrustFile(source.trustedRoot, 'trusted root'), 'the trusted root', (m) => {
      throw new TrustError('TRUSTED_ROOT_INVALID', `trusted root ${source.trustedRoot}: ${m}`);
    });
    const trustMaterial = parseTrustedRoot(json as JsonObject, source.trustedRoot);
    return {
      trustMaterial,
      trustedRootJson: json as JsonObject,
      signingConfigJson: undefined,
      origin: { kind: 'file', path: source.trustedRoot, refreshed: false, stale: false, description: `trusted root file ${source.trustedRoot}` },
    };
  }
  if (source.trustConfig) {
    if (source.refresh) throw new UsageError('USAGE', '--trust-config is a file: there is nothing to refresh (it does not use TUF)');
    const cfg = readTrustConfig(source.trustConfig);
    return {
      trustMaterial: parseTrustedRoot(cfg.trustedRoot, `${source.trustConfig} (trustedRoot)`),
      trustedRootJson: cfg.trustedRoot,
      signingConfigJson: cfg.signingConfig,
      origin: { kind: 'trust-config', path: source.trustConfig, refreshed: false, stale: false, description: `client trust config ${source.trustConfig}` },
    };
  }
  const inst = resolveInstance(source);
  const paths = cachePaths(inst.metadataUrl, source.cacheDir);
  const warn = source.onWarning ?? defaultWarn;

  if (source.refresh) {
    try {
      return await refreshAndCommit(inst, paths, {}, warn);
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      throw new NetworkError(e.code, `cannot update the trust material of ${inst.name}: ${e.message}`, { cause: e, ...(e.status ? { status: e.status } : {}) });
    }
  }

  // What is available without the network: this process's last refresh, the cache, the embedded copy.
  const disk = readCache(paths);
  const mem = memory.get(paths.metadataDir);
  let local: Candidate | undefined;
  if (disk.state === 'ok' && (!mem || disk.timestampVersion >= mem.timestampVersion)) local = { from: 'tuf', snap: disk };
  else if (mem) local = { from: 'tuf', snap: mem };
  else if (inst.embedded) {
    const root = signedInfo(Buffer.from(JSON.stringify(inst.embedded.tufRoot)))!;
    local = { from: 'embedded', kind: inst.kind as PublicInstance, expires: root.expires, rootVersion: root.version };
  }
  const expires = local ? (local.from === 'tuf' ? local.snap.expires : local.expires) : undefined;
  const stale = expires !== undefined && expires.getTime() <= Date.now();

  if (source.offline) {
    if (!local) {
      throw new TrustError(
        'NO_CACHED_TRUST',
        readCachedRoot(paths)
          ? `no usable cached trust material for ${inst.name} in ${paths.metadataDir} (${disk.state === 'incomplete' ? disk.reason : 'nothing cached'}); run \`sigstore --instance ${inst.metadataUrl} plumbing update-trust-root\` while online`
          : `the instance ${inst.metadataUrl} is not trusted yet (nothing in ${paths.metadataDir}): pin its TUF root with \`sigstore trust-instance ROOT_JSON --instance ${inst.metadataUrl}\` while online`,
      );
    }
    const active = activeFrom(inst, paths, local);
    if (stale) warn(`${active.origin.description}: expired; using it anyway because of --offline (it may miss key rotations or revocations)`);
    return active;
  }

  if (!local && inst.kind === 'custom' && !readCachedRoot(paths)) {
    throw new TrustError(
      'INSTANCE_NOT_TRUSTED',
      `the instance ${inst.metadataUrl} is not trusted yet: pin its TUF root first with \`sigstore trust-instance ROOT_JSON --instance ${inst.metadataUrl}\``,
    );
  }
  // The embedded copy is never refreshed automatically for verification (it must work offline,
  // without waiting on the network): only a damaged cache or a signer (online anyway) refresh it.
  const needRefresh = !local || (local.from === 'tuf' ? stale : disk.state === 'incomplete' || source.purpose === 'sign');
  if (!needRefresh) {
    const active = activeFrom(inst, paths, local!);
    if (stale) {
      warn(
        `the embedded ${inst.name} trust material expired on ${iso(active.origin.expires!)} (its root metadata, v${active.origin.rootVersion}) and may be out of date; run \`sigstore${inst.kind === 'staging' ? ' --staging' : ''} plumbing update-trust-root\` to update it`,
      );
    }
    return active;
  }

  const budget = source.timeoutMs ?? 5000;
  const known = unreachable.get(paths.metadataDir);
  try {
    if (known) throw known;
    return await refreshAndCommit(inst, paths, { deadline: Date.now() + budget, timeoutMs: budget, attempts: 2 }, warn);
  } catch (e) {
    if (e instanceof TrustError && local && e.code.startsWith('TUF_')) {
      // Refused by TUF: an error (the repository serves something wrong), but say what is left.
      throw new TrustError(e.code, `${e.message} (the previous trust material was left in place; --offline uses it)`, { cause: e });
    }
    if (!(e instanceof NetworkError)) throw e;
    unreachable.set(paths.metadataDir, e);
    if (!local) {
      throw new TrustError('NO_TRUST_MATERIAL', `no trust material for ${inst.name}: nothing usable is cached and the TUF repository could not be reached (${e.message})`, { cause: e });
    }
    const active = activeFrom(inst, paths, local);
    if (!known) {
      warn(
        stale
          ? `cannot refresh the trust material of ${inst.name} (${e.message}); using ${active.origin.description}, which is past its TUF expiry`
          : `cannot refresh the trust material of ${inst.name} (${e.message}); using ${active.origin.description}`,
      );
    }
    return active;
  }
}

/**
 * Loads trust material: a `trustedRoot` file, a `trustConfig` file, or the TUF-backed material
 * of production (default), staging or another instance (cache, refresh or embedded copy; see
 * {@link loadTrust}). With no cache, public-good material comes from the embedded copy, offline.
 *
 * @example
 * ```ts
 * import { loadTrustMaterial } from 'sigstore-ts';
 * const production = await loadTrustMaterial();
 * const staging = await loadTrustMaterial({ staging: true });
 * const custom = await loadTrustMaterial({ trustedRoot: 'trusted_root.json' });
 * const instance = await loadTrustMaterial({ instance: 'http://127.0.0.1:8080/tuf', offline: true });
 * ```
 */
export async function loadTrustMaterial(source: TrustSource = {}): Promise<TrustMaterial> {
  return (await loadTrust(source)).trustMaterial;
}

/**
 * The signing config (v0.2 JSON, unparsed) of the instance a source names: from a trust config
 * file, or the TUF-backed instance (cache, else a refresh, else the embedded copy for the
 * public-good instances). A `trustedRoot` file has no signing config: that is a usage error.
 *
 * @example
 * ```ts
 * import { loadSigningConfigJson, parseSigningConfig } from 'sigstore-ts';
 * const config = parseSigningConfig(await loadSigningConfigJson({ staging: true }));
 * ```
 */
export async function loadSigningConfigJson(source: TrustSource = {}): Promise<JsonObject> {
  if (source.trustedRoot) throw new UsageError('USAGE', '--trusted-root is for verification only: signing needs a signing config (--trust-config, --staging or --instance)');
  const active = await loadTrust({ purpose: 'sign', ...source });
  if (active.signingConfigJson) return active.signingConfigJson;
  const inst = resolveInstance(source);
  if (inst.embedded) return inst.embedded.signingConfig;
  throw new TrustError('NO_SIGNING_CONFIG', `the instance ${inst.metadataUrl} does not publish a signing config (signing_config.v0.2.json); use --trust-config`);
}

/**
 * Refreshes the TUF metadata of the instance a source names now, whatever its expiry (what
 * `sigstore plumbing update-trust-root` does). TUF refusals and network failures are errors;
 * the cache keeps its previous state then.
 *
 * @example
 * ```ts
 * import { updateTrustRoot } from 'sigstore-ts';
 * const { origin } = await updateTrustRoot({ staging: true });
 * console.log(`timestamp v${origin.timestampVersion}, expires ${origin.expires?.toISOString()}`);
 * ```
 */
export async function updateTrustRoot(source: TrustSource = {}): Promise<ActiveTrust> {
  return loadTrust({ ...source, refresh: true });
}

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
  const { refreshTuf } = await import('./tuf.js');
  const r = await refreshTuf(inst, paths, { bootstrapRoot: root, fresh: true, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  try {
    commitCache(paths, r.update);
  } catch (e) {
    throw new TrustError('TRUST_CACHE_UNWRITABLE', `cannot save the pinned root of ${inst.metadataUrl} in ${paths.metadataDir}: ${fsReason(e)} (choose another place with --trust-cache DIR)`, {
      cause: e,
    });
  }
  memory.set(paths.metadataDir, r);
  unreachable.delete(paths.metadataDir);
  return fromTuf(inst, paths, r, true, true);
}

/** Forgets this process's in-memory refreshes (tests). */
export function resetTrustMemory(): void {
  memory.clear();
  unreachable.clear();
}
