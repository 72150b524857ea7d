/**
 * The active trust of a TUF-backed instance, built from what is available: verified TUF
 * material (the cache, or a refresh made now) or the copy shipped with sigstore-ts. Each says
 * where it came from, whether it is stale and when it expires.
 */
import { TrustError } from '../errors.js';
import { isObject, type JsonObject, parseJson } from '../lib/json.js';
import type { CachePaths, TufSnapshot } from './cache.js';
import { EMBEDDED, type PublicInstance } from './embedded.js';
import type { TufInstance } from './instances.js';
import type { ActiveTrust } from './load.js';
import { parseTrustedRoot, type TrustMaterial } from './trusted-root.js';
import { readRole } from './tuf-metadata.js';

export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function jsonObject(data: Buffer, what: string): JsonObject {
  const fail = (m: string): never => {
    throw new TrustError('TRUST_CACHE_INVALID', `${what}: ${m}`);
  };
  const v = parseJson(data.toString('utf8'), what, fail);
  if (!isObject(v)) fail('not a JSON object');
  return v as JsonObject;
}

/** The embedded TUF root of a public-good instance, as bytes (the anchor of its cache). */
export function embeddedRootBytes(kind: PublicInstance): Buffer {
  return Buffer.from(JSON.stringify(EMBEDDED[kind].tufRoot));
}

/** Version and expiry of the embedded TUF root: the embedded copy's TUF expiry. */
export function embeddedRootInfo(kind: PublicInstance): { version: number; expires: Date } {
  const { info } = readRole(embeddedRootBytes(kind), 'root', (m) => {
    throw new TrustError('TUF_ROOT_INVALID', `embedded ${kind} TUF root: ${m}`);
  });
  return { version: info.version, expires: info.expires };
}

const embeddedParsed = new Map<string, TrustMaterial>();

/**
 * The embedded (shipped) trusted root of a public-good instance, parsed once per process (and
 * per staleness: its expiry is that of the embedded TUF root).
 */
export function embeddedTrustMaterial(instance: PublicInstance = 'production'): TrustMaterial {
  const { expires } = embeddedRootInfo(instance);
  const stale = expires.getTime() <= Date.now();
  const key = `${instance}:${stale}`;
  let t = embeddedParsed.get(key);
  if (!t) {
    t = parseTrustedRoot(EMBEDDED[instance].trustedRoot, `embedded ${instance}`, { origin: 'embedded', stale, expires });
    embeddedParsed.set(key, t);
  }
  return t;
}

/** Active trust from verified TUF material (cached, or refreshed now). */
export function fromTuf(inst: TufInstance, paths: CachePaths, snap: TufSnapshot, refreshed: boolean, persisted?: boolean, persistNote?: string): ActiveTrust {
  const stale = snap.expires.getTime() <= Date.now();
  const where = refreshed ? `updated now${persisted ? `, saved in ${paths.metadataDir}` : `, not saved${persistNote ? ` (${persistNote})` : ''}`}` : `cached in ${paths.metadataDir}`;
  const trustedRootJson = jsonObject(snap.trustedRoot, `cached trusted root of ${inst.name}`);
  return {
    trustMaterial: parseTrustedRoot(trustedRootJson, `TUF ${refreshed ? 'update' : 'cache'} of ${inst.name}`, { origin: 'tuf', stale, expires: snap.expires }),
    trustedRootJson,
    signingConfigJson: snap.signingConfig ? jsonObject(snap.signingConfig, `cached signing config of ${inst.name}`) : undefined,
    rekorV2SigningConfigJson: snap.rekorV2SigningConfig ? jsonObject(snap.rekorV2SigningConfig, `cached Rekor v2 signing config of ${inst.name}`) : undefined,
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

/** Active trust from the copy shipped with sigstore-ts (its TUF expiry: the embedded root's). */
export function fromEmbedded(inst: TufInstance, kind: PublicInstance): ActiveTrust {
  const e = EMBEDDED[kind];
  const root = embeddedRootInfo(kind);
  const stale = root.expires.getTime() <= Date.now();
  return {
    trustMaterial: embeddedTrustMaterial(kind),
    trustedRootJson: e.trustedRoot,
    signingConfigJson: e.signingConfig,
    rekorV2SigningConfigJson: e.rekorV2SigningConfig,
    origin: {
      kind: 'embedded',
      instance: inst.name,
      repository: inst.metadataUrl,
      refreshed: false,
      rootVersion: root.version,
      expires: root.expires,
      stale,
      description: `embedded ${kind} trust material (shipped with sigstore-ts; root metadata v${root.version} ${stale ? 'expired' : 'expires'} ${iso(root.expires)})`,
    },
  };
}
