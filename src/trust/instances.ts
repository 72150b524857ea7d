/**
 * Which Sigstore instance a run trusts: the public-good production instance (default), staging,
 * another instance by its TUF repository URL (after `sigstore trust-instance` pinned its root),
 * or explicit files (a trusted root, a client trust config) that bypass TUF.
 */
import { UsageError } from '../errors.js';
import { isLoopbackHost } from '../lib/http.js';
import { EMBEDDED, type EmbeddedTrust, type PublicInstance } from './embedded.js';
import type { TrustSource } from './load.js';

/**
 * A TUF-backed Sigstore instance: where its repository is and what it bootstraps from.
 *
 * @example
 * ```ts
 * import { resolveInstance } from 'sigstore-ts';
 * const staging: TufInstance = resolveInstance({ staging: true });
 * console.log(staging.metadataUrl); // https://tuf-repo-cdn.sigstage.dev
 * ```
 */
export interface TufInstance {
  /** `production`, `staging`, or the URL of another instance. */
  name: string;
  kind: PublicInstance | 'custom';
  /** The TUF metadata base URL (no trailing slash). */
  metadataUrl: string;
  /** The TUF targets base URL (`<metadataUrl>/targets`). */
  targetsUrl: string;
  /** The shipped trust material of a public-good instance (bootstrap root, trusted root, signing config). */
  embedded: EmbeddedTrust | undefined;
}

/**
 * Checks and normalizes a TUF repository URL (https, or http on a loopback host; no query or
 * fragment, no trailing slash).
 *
 * @example
 * ```ts
 * normalizeTufUrl('http://127.0.0.1:8080/tuf/'); // 'http://127.0.0.1:8080/tuf'
 * ```
 */
export function normalizeTufUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError('USAGE', `--instance ${JSON.stringify(url)} is not a URL (expected the instance's TUF repository URL)`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError('USAGE', `--instance ${url}: only http and https TUF repositories are supported`);
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) throw new UsageError('USAGE', `--instance ${url}: plain http is only for a repository on this machine (127.0.0.1, ::1, localhost); use https`);
  if (u.search || u.hash) throw new UsageError('USAGE', `--instance ${url}: a TUF repository URL has no query or fragment`);
  if (u.username || u.password) throw new UsageError('USAGE', `--instance ${url}: credentials in the URL are not supported`);
  return u.href.replace(/\/+$/, '');
}

function publicInstance(kind: PublicInstance): TufInstance {
  const e = EMBEDDED[kind];
  return { name: kind, kind, metadataUrl: e.tufUrl, targetsUrl: `${e.tufUrl}/targets`, embedded: e };
}

/**
 * The TUF instance a source names: `instance` (a URL), `staging`, or production by default.
 * A URL equal to a public-good repository's is that instance (with its embedded material).
 *
 * @example
 * ```ts
 * import { resolveInstance } from 'sigstore-ts';
 * resolveInstance({}).name;                                      // 'production'
 * resolveInstance({ instance: 'http://127.0.0.1:8080/tuf' }).kind; // 'custom'
 * ```
 */
export function resolveInstance(source: { staging?: boolean; instance?: string }): TufInstance {
  if (source.instance && source.staging) throw new UsageError('USAGE', '--staging and --instance cannot be used together');
  if (source.staging) return publicInstance('staging');
  if (!source.instance) return publicInstance('production');
  const url = normalizeTufUrl(source.instance);
  for (const kind of ['production', 'staging'] as const) if (EMBEDDED[kind].tufUrl === url) return publicInstance(kind);
  return { name: url, kind: 'custom', metadataUrl: url, targetsUrl: `${url}/targets`, embedded: undefined };
}

/**
 * Command-line trust flags, as given (undefined or false when absent).
 *
 * @example
 * ```ts
 * const flags: TrustFlags = { staging: false, instance: undefined, trustConfig: 'config.json' };
 * ```
 */
export interface TrustFlags {
  staging?: boolean;
  instance?: string;
  trustConfig?: string;
  trustedRoot?: string;
  trustCache?: string;
  offline?: boolean;
}

/**
 * Builds a trust source from command-line flags, refusing contradictory ones: `--staging`,
 * `--instance` and `--trust-config` exclude each other; `--trusted-root` excludes all three.
 *
 * @example
 * ```ts
 * import { loadTrustMaterial, trustSourceFromFlags } from 'sigstore-ts';
 * const trust = await loadTrustMaterial(trustSourceFromFlags({ instance: 'http://127.0.0.1:8080/tuf', offline: true }));
 * ```
 */
export function trustSourceFromFlags(flags: TrustFlags): TrustSource {
  const names: [keyof TrustFlags, string][] = [
    ['trustedRoot', '--trusted-root'],
    ['trustConfig', '--trust-config'],
    ['staging', '--staging'],
    ['instance', '--instance'],
  ];
  const given = names.filter(([k]) => flags[k] !== undefined && flags[k] !== false && flags[k] !== '').map(([, n]) => n);
  if (given.length > 1) throw new UsageError('USAGE', `${given.join(' and ')} cannot be used together`);
  const out: TrustSource = {};
  if (flags.staging) out.staging = true;
  if (flags.instance) out.instance = normalizeTufUrl(flags.instance);
  if (flags.trustConfig) out.trustConfig = flags.trustConfig;
  if (flags.trustedRoot) out.trustedRoot = flags.trustedRoot;
  if (flags.trustCache) out.cacheDir = flags.trustCache;
  if (flags.offline) out.offline = true;
  return out;
}
