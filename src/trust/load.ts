/**
 * Chooses and loads the trust material for a run: an explicit trusted root file, a client trust
 * config, or the trust material of a TUF-backed instance (production by default, staging, or
 * another instance by URL), from the verified TUF cache, a TUF refresh, or the embedded copy.
 *
 * Freshness fails closed (TUF spec 5.4-5.6: a network attacker who blocks the repository must
 * not keep a client on old keys):
 * - Explicit files (`trustedRoot`, `trustConfig`) never involve TUF or the network.
 * - Online (the default): the cached TUF material is used while it is unexpired (every read
 *   re-verifies its signatures, versions and hashes: cache.ts). Otherwise (expired, nothing
 *   cached, or a cache that fails verification) it is refreshed within a time budget (5 s by
 *   default, retries included). A refresh that fails is an error saying why, when the material
 *   expired, and that `--offline` verifies with the cached or embedded copy; a refresh TUF
 *   refuses leaves the cache as it was. A failure is remembered for a short back-off only.
 * - `offline` (`--offline`, `SIGSTORE_OFFLINE=1`) never touches the network: the verified cache,
 *   else the embedded copy, with one warning when it is stale or the cache was unusable.
 * - `refresh` (`sigstore plumbing update-trust-root`) always refreshes, with normal timeouts.
 *
 * tuf-js is loaded only when a refresh happens.
 */
import { NetworkError, TrustError, UsageError } from '../errors.js';
import type { JsonObject } from '../lib/json.js';
import { writeStderr } from '../lib/stdio.js';
import { embeddedRootBytes, fromEmbedded, fromTuf, iso } from './active.js';
import { type CachePaths, cachePaths, checkCacheDirs, commitCache, fsReason, readCache, signedInfo, type TufSnapshot, verifiedRoot } from './cache.js';
import type { PublicInstance } from './embedded.js';
import { fromTrustConfigFile, fromTrustedRootFile } from './files.js';
import { resolveInstance, type TufInstance } from './instances.js';
import { refreshBounded, rememberRefresh, rememberedRefresh, resetRefreshMemory } from './refresh.js';
import type { TrustMaterial } from './trusted-root.js';

export { embeddedTrustMaterial } from './active.js';
export { CLIENT_TRUST_CONFIG_MEDIA_TYPE, readTrustFile, trustedRootFromConfig } from './files.js';
export { trustInstance } from './pin.js';

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
  /** Never use the network: the verified cache, else the embedded copy (warning once when stale). */
  offline?: boolean;
  /** The TUF cache directory (default: `$SIGSTORE_TRUST_CACHE`, else the XDG data and cache directories). */
  cacheDir?: string;
  /** Refresh the TUF metadata now, whether or not the cached copy has expired. */
  refresh?: boolean;
  /** What the material is for (`verify` or `sign`); both refresh under the same rules. */
  purpose?: 'verify' | 'sign';
  /** Time budget in ms for an automatic refresh, retries included (default 5000). */
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
  /** The TUF expiry of the material (the earliest of its metadata, or the embedded TUF root's). */
  expires?: Date;
  /** Whether the material is past its TUF expiry. */
  stale: boolean;
  /** One line for humans. */
  description: string;
}

/**
 * The trust material of a run, with its signing configs and origin.
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
  /** The opt-in signing config that adds the instance's Rekor v2 log, when the instance publishes one. */
  rekorV2SigningConfigJson?: JsonObject | undefined;
  origin: TrustOrigin;
}

function defaultWarn(message: string): void {
  writeStderr(`warning: ${message}\n`);
}

/** Stale-material warnings already given in this process (one per material). */
const warned = new Set<string>();

function warnOnce(warn: (m: string) => void, key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  warn(message);
}

function explicitSources(source: TrustSource): string[] {
  return [
    source.trustedRoot ? '--trusted-root' : undefined,
    source.trustConfig ? '--trust-config' : undefined,
    source.staging ? '--staging' : undefined,
    source.instance ? '--instance' : undefined,
  ].filter((x): x is string => x !== undefined);
}

function notPinned(inst: TufInstance, paths: CachePaths): TrustError {
  return new TrustError(
    'INSTANCE_NOT_TRUSTED',
    `the instance ${inst.metadataUrl} is not trusted yet (nothing usable in ${paths.metadataDir}): pin its TUF root first with \`sigstore trust-instance ROOT_JSON --instance ${inst.metadataUrl}\``,
  );
}

/**
 * Loads the active trust material with its signing config and origin (see the freshness rules
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
    return fromTrustedRootFile(source.trustedRoot);
  }
  if (source.trustConfig) {
    if (source.refresh) throw new UsageError('USAGE', '--trust-config is a file: there is nothing to refresh (it does not use TUF)');
    return fromTrustConfigFile(source.trustConfig);
  }
  const inst = resolveInstance(source);
  const paths = cachePaths(inst.metadataUrl, source.cacheDir);
  const warn = source.onWarning ?? defaultWarn;
  checkCacheDirs(paths);
  const anchor = inst.embedded ? embeddedRootBytes(inst.kind as PublicInstance) : undefined;

  if (source.refresh) {
    const trusted = trustedMetadata(paths, anchor);
    try {
      return await refreshAndCommit(inst, paths, { trusted, ...(anchor ? { bootstrapRoot: anchor } : {}) }, warn);
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      throw new NetworkError(e.code, `cannot update the trust material of ${inst.name}: ${e.message}`, { cause: e, ...(e.status ? { status: e.status } : {}) });
    }
  }

  // What is available without the network: the verified cache, else this process's last
  // refresh (when the cache could not be written), else the embedded copy.
  const disk = readCache(paths, anchor);
  const mem = rememberedRefresh(paths.metadataDir);
  let local: TufSnapshot | undefined;
  if (disk.state === 'ok' && (!mem || disk.timestampVersion >= mem.timestampVersion)) local = disk;
  else if (mem) local = mem;
  const unusable = disk.state === 'invalid' ? disk.reason : undefined;

  if (source.offline) {
    if (local) {
      const active = fromTuf(inst, paths, local, false);
      if (active.origin.stale) warnOnce(warn, active.origin.description, `${active.origin.description}: expired; using it anyway because of --offline (it may miss key rotations or revocations)`);
      return active;
    }
    if (!inst.embedded) {
      if (unusable) throw new TrustError('TRUST_CACHE_INVALID', `${unusable}; there is no other trust material for ${inst.metadataUrl} offline (pin its root again with \`sigstore trust-instance\` while online)`);
      throw notPinned(inst, paths);
    }
    const active = fromEmbedded(inst, inst.kind as PublicInstance);
    if (unusable) warnOnce(warn, `${unusable}|${inst.name}`, `${unusable}: not used; using ${active.origin.description} instead because of --offline`);
    else if (active.origin.stale) warnOnce(warn, active.origin.description, `${active.origin.description}: expired; using it anyway because of --offline (it may miss key rotations or revocations)`);
    return active;
  }

  if (local && local.expires.getTime() > Date.now()) return fromTuf(inst, paths, local, false);
  if (!inst.embedded && !local && !verifiedRoot(paths)) {
    if (unusable) throw new TrustError('TRUST_CACHE_INVALID', `${unusable}; its TUF root cannot be trusted, so it cannot be refreshed: pin the root of ${inst.metadataUrl} again with \`sigstore trust-instance ROOT_JSON --instance ${inst.metadataUrl}\``);
    throw notPinned(inst, paths);
  }

  const budget = source.timeoutMs ?? 5000;
  try {
    const active = await refreshAndCommit(inst, paths, { trusted: trustedMetadata(paths, anchor, mem), ...(anchor ? { bootstrapRoot: anchor } : {}), budget }, warn);
    if (unusable) warn(`${unusable}: replaced by a TUF refresh`);
    return active;
  } catch (e) {
    throw refusal(e, inst, local, unusable);
  }
}

/** The verified metadata a refresh may start from: the whole cached chain, else its root. */
function trustedMetadata(paths: CachePaths, anchor: Buffer | undefined, mem?: { update?: { metadata: Map<string, Buffer> } }): Map<string, Buffer> {
  const disk = readCache(paths, anchor);
  if (disk.state === 'ok') return new Map(disk.metadata);
  if (mem?.update) return new Map(mem.update.metadata);
  const root = verifiedRoot(paths, anchor);
  return root ? new Map([['root.json', root]]) : new Map();
}

/**
 * The one-line error of a failed automatic refresh: why, when the material it would have
 * replaced expired, and what `--offline` would use.
 */
function refusal(e: unknown, inst: TufInstance, local: TufSnapshot | undefined, unusable: string | undefined): Error {
  if (!(e instanceof NetworkError) && !(e instanceof TrustError)) return e as Error;
  if (e instanceof TrustError && (e.code === 'INSTANCE_NOT_TRUSTED' || e.code === 'TRUST_CACHE_INSECURE')) return e;
  const why = e instanceof NetworkError ? `cannot refresh the trust material of ${inst.name} (${e.message})` : e.message;
  let state: string;
  let offline: string;
  if (local) {
    state = `the cached copy expired on ${iso(local.expires)}`;
    offline = '--offline verifies with the cached copy';
  } else if (inst.embedded) {
    const root = signedInfo(embeddedRootBytes(inst.kind as PublicInstance))!;
    const expired = root.expires.getTime() <= Date.now();
    state = `${unusable ? 'the cached copy is unusable and ' : 'nothing is cached and '}the embedded copy ${expired ? 'expired' : 'expires'} on ${iso(root.expires)}`;
    offline = '--offline verifies with the embedded copy';
  } else {
    state = unusable ? 'the cached copy is unusable' : 'nothing usable is cached';
    offline = '';
  }
  const kept = e instanceof TrustError ? 'the cache was left as it was; ' : '';
  const code = e instanceof TrustError ? e.code : 'TRUST_REFRESH_FAILED';
  return new TrustError(code, `${why}; ${state}; ${kept}${offline || 'run again when the repository can be reached'}`, { cause: e });
}

/** Runs a refresh (loading tuf-js) within its budget and commits it; unwritable caches degrade to memory. */
async function refreshAndCommit(
  inst: TufInstance,
  paths: CachePaths,
  opts: { trusted: Map<string, Buffer>; bootstrapRoot?: Buffer; budget?: number },
  warn: (m: string) => void,
): Promise<ActiveTrust> {
  const r = await refreshBounded(inst, paths, opts);
  let persisted = true;
  let note: string | undefined;
  try {
    commitCache(paths, r.update);
  } catch (e) {
    persisted = false;
    note = `${paths.metadataDir}: ${fsReason(e)}`;
    rememberRefresh(paths.metadataDir, r);
    warn(`cannot save the updated trust material of ${inst.name} (${note}); using it in memory for this run`);
  }
  return fromTuf(inst, paths, r, true, persisted, note);
}

/**
 * Loads trust material: a `trustedRoot` file, a `trustConfig` file, or the TUF-backed material
 * of production (default), staging or another instance (see {@link loadTrust}). Its
 * `freshness` says where it came from, whether it is stale and when it expires.
 *
 * @example
 * ```ts
 * import { loadTrustMaterial } from 'sigstore-ts';
 * const production = await loadTrustMaterial();
 * const staging = await loadTrustMaterial({ staging: true, offline: true });
 * const custom = await loadTrustMaterial({ trustedRoot: 'trusted_root.json' });
 * const instance = await loadTrustMaterial({ instance: 'http://127.0.0.1:8080/tuf', offline: true });
 * ```
 */
export async function loadTrustMaterial(source: TrustSource = {}): Promise<TrustMaterial> {
  return (await loadTrust(source)).trustMaterial;
}

/**
 * The signing config (v0.2 JSON, unparsed) of the instance a source names: from a trust config
 * file, or the TUF-backed instance (verified cache, else a refresh; offline, the cache else the
 * embedded copy). A `trustedRoot` file has no signing config: that is a usage error.
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
 * The opt-in signing config that adds the instance's Rekor v2 log
 * (`signing_config_rekor_v2.v0.2.json`, what `sign --rekor-version 2` uses): from the TUF
 * material of the instance (or its embedded copy), under the same freshness rules as
 * {@link loadSigningConfigJson}. A trust config file gives its own signing config; an instance
 * that publishes no Rekor v2 config gives its default one.
 *
 * @example
 * ```ts
 * import { loadRekorV2SigningConfigJson, parseSigningConfig } from 'sigstore-ts';
 * const config = parseSigningConfig(await loadRekorV2SigningConfigJson({ staging: true }));
 * console.log(config.rekorTlogUrls.filter((s) => s.majorApiVersion === 2).map((s) => s.url));
 * ```
 */
export async function loadRekorV2SigningConfigJson(source: TrustSource = {}): Promise<JsonObject> {
  if (source.trustedRoot) throw new UsageError('USAGE', '--trusted-root is for verification only: signing needs a signing config (--trust-config, --staging or --instance)');
  const active = await loadTrust({ purpose: 'sign', ...source });
  if (active.rekorV2SigningConfigJson) return active.rekorV2SigningConfigJson;
  if (active.signingConfigJson) return active.signingConfigJson;
  return loadSigningConfigJson(source);
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

/** Forgets this process's in-memory refreshes, failures and warnings (tests). */
export function resetTrustMemory(): void {
  resetRefreshMemory();
  warned.clear();
}
