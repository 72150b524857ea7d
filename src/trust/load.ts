/**
 * Chooses and loads the trust material for a run: an explicit trusted root file, a client trust
 * config, or the embedded public-good roots (production by default, or staging).
 */
import { readFileSync } from 'node:fs';
import { TrustError, UsageError } from '../errors.js';
import { isObject, parseJson } from '../lib/json.js';
import { EMBEDDED, type PublicInstance } from './embedded.js';
import { parseTrustedRoot, type TrustMaterial } from './trusted-root.js';

/**
 * Where trust comes from. At most one of `trustedRoot`, `trustConfig` and `staging`.
 *
 * @example
 * ```ts
 * const source: TrustSource = { trustedRoot: 'my_trusted_root.json' };
 * ```
 */
export interface TrustSource {
  /** Use the public-good staging instance instead of production. */
  staging?: boolean;
  /** Path to a TrustedRoot JSON file. */
  trustedRoot?: string;
  /** Path to a ClientTrustConfig JSON file (trusted root + signing config). */
  trustConfig?: string;
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
export function readTrustFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError('TRUST_FILE_UNREADABLE', `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}

export const CLIENT_TRUST_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json';

/** Reads the trusted root out of a ClientTrustConfig file. */
export function trustedRootFromConfig(path: string): TrustMaterial {
  const fail = (m: string): never => {
    throw new TrustError('TRUST_CONFIG_INVALID', `trust config ${path}: ${m}`);
  };
  const json = parseJson(readTrustFile(path, 'trust config'), 'the trust config', fail);
  if (!isObject(json)) return fail('not a JSON object');
  if (json.mediaType !== CLIENT_TRUST_CONFIG_MEDIA_TYPE) fail(`unsupported mediaType ${JSON.stringify(json.mediaType)}`);
  if (!isObject(json.trustedRoot)) fail('trustedRoot is missing');
  return parseTrustedRoot(json.trustedRoot as Record<string, unknown>, `${path} (trustedRoot)`);
}

/**
 * Loads trust material: `trustedRoot` file, else `trustConfig` file, else the embedded
 * public-good root (production, or staging with `staging: true`). Works offline.
 *
 * @example
 * ```ts
 * import { loadTrustMaterial } from 'sigstore-ts';
 * const production = await loadTrustMaterial();
 * const staging = await loadTrustMaterial({ staging: true });
 * const custom = await loadTrustMaterial({ trustedRoot: 'trusted_root.json' });
 * ```
 */
export async function loadTrustMaterial(source: TrustSource = {}): Promise<TrustMaterial> {
  const given = [source.trustedRoot, source.trustConfig, source.staging ? 'staging' : undefined].filter(Boolean);
  if (given.length > 1) throw new UsageError('USAGE', 'give only one of a trusted root, a trust config, or staging');
  if (source.trustedRoot) return parseTrustedRoot(readTrustFile(source.trustedRoot, 'trusted root'), source.trustedRoot);
  if (source.trustConfig) return trustedRootFromConfig(source.trustConfig);
  return embeddedTrustMaterial(source.staging ? 'staging' : 'production');
}
