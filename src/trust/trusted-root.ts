/**
 * The trusted root: which Fulcio CAs, transparency logs, CT logs and timestamp authorities a
 * verifier trusts, and when. Parsed once, strictly, into {@link TrustMaterial}.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { TrustError } from '../errors.js';
import { arr, b64, type Fail, type JsonObject, obj, optB64, optObj, optStr, parseJson, str, time } from '../lib/json.js';
import { Der, DerError, Tag } from '../lib/der.js';
import { Certificate, checkSpkiShape, spkiToKey } from '../lib/x509.js';
import { protoJsonNames } from './json-names.js';
import { buildTrustMaterial, frozenAuthority, frozenLog } from './material.js';

export { buildTrustMaterial, isBuiltTrustMaterial, type TrustMaterialParts, trustedRootJson } from './material.js';

/** A validity window; `end` undefined means open-ended. Built windows hand out copies of their dates. */
export interface ValidFor {
  readonly start: Date;
  readonly end: Date | undefined;
}

/** A transparency log (Rekor) or CT log the verifier trusts. Built logs are frozen and hand out copies of their key IDs. */
export interface TransparencyLog {
  readonly baseUrl: string;
  /** The log's key ID (SHA-256 of its SPKI for Rekor v1 and CT; the C2SP key ID for Rekor v2). */
  readonly logId: Buffer;
  /** The key ID the log's checkpoints carry, when it differs from `logId`. */
  readonly checkpointKeyId: Buffer | undefined;
  readonly key: KeyObject;
  /** protobuf `PublicKeyDetails` name, e.g. `PKIX_ECDSA_P256_SHA_256`. */
  readonly keyDetails: string;
  readonly validFor: ValidFor;
}

/** A certificate authority (Fulcio) or timestamp authority with its chain, leaf-most first. */
export interface Authority {
  readonly uri: string;
  /** The chain as the trusted root lists it: intermediates first, the root last. */
  readonly certs: Certificate[];
  readonly validFor: ValidFor;
}

/**
 * Parsed trust material: what every verification step checks against. Material from
 * {@link parseTrustedRoot} or {@link buildTrustMaterial} is immutable (deep-frozen); derive
 * other material with {@link buildTrustMaterial}, and its trusted root with
 * {@link trustedRootJson}.
 *
 * @example
 * ```ts
 * const trust: TrustMaterial = await loadTrustMaterial();
 * console.log(trust.source, trust.tlogs.map((t) => t.baseUrl));
 * ```
 */
export interface TrustMaterial {
  readonly mediaType: string;
  readonly tlogs: TransparencyLog[];
  readonly ctlogs: TransparencyLog[];
  readonly certificateAuthorities: Authority[];
  readonly timestampAuthorities: Authority[];
  /** Where it came from, for messages (a path, "embedded production", ...). */
  readonly source: string;
  /**
   * Where it was loaded from and how fresh it is, when {@link loadTrust} loaded it (absent for
   * a bare {@link parseTrustedRoot}).
   */
  readonly freshness?: TrustFreshness;
}

/**
 * Where trust material came from and whether it is current.
 *
 * @example
 * ```ts
 * const { freshness } = await loadTrustMaterial({ offline: true });
 * if (freshness?.stale) console.error(`trust material expired on ${freshness.expires?.toISOString()}`);
 * ```
 */
export interface TrustFreshness {
  /** `file` (--trusted-root), `trust-config`, `tuf` (the TUF cache or a refresh) or `embedded` (shipped with sigstore-ts). */
  readonly origin: 'file' | 'trust-config' | 'tuf' | 'embedded';
  /** Whether it is past its TUF expiry (explicit files never are). */
  readonly stale: boolean;
  /** When its TUF metadata expires (undefined for explicit files). */
  readonly expires: Date | undefined;
}

export const TRUSTED_ROOT_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
];

function trustFail(source: string): Fail {
  return (m: string) => {
    throw new TrustError('TRUSTED_ROOT_INVALID', `trusted root ${source}: ${m}`);
  };
}

function validFor(v: unknown, path: string, fail: Fail): ValidFor {
  const o = obj(v, path, fail);
  if (o.start === undefined) fail(`${path}.start is missing`);
  const start = time(o.start, `${path}.start`, fail);
  const end = o.end === undefined || o.end === null ? undefined : time(o.end, `${path}.end`, fail);
  if (end && end < start) fail(`${path} ends before it starts`);
  return { start, end };
}

/**
 * A log's key: its shape is checked here, and OpenSSL imports it when a check first uses it
 * (about 0.4 ms a key; a verification uses one or two of a trusted root's logs). A key OpenSSL
 * refuses then is a {@link TrustError} naming the field, as it would have been here.
 */
function parseLog(v: unknown, path: string, fail: Fail): TransparencyLog {
  const o = obj(v, path, fail);
  const pk = obj(o.publicKey, `${path}.publicKey`, fail);
  const raw = b64(pk.rawBytes, `${path}.publicKey.rawBytes`, fail);
  const keyDetails = optStr(pk.keyDetails, `${path}.publicKey.keyDetails`, fail) ?? 'PUBLIC_KEY_DETAILS_UNSPECIFIED';
  // PKCS1_* key details carry a bare PKCS#1 RSAPublicKey; everything else is a SubjectPublicKeyInfo.
  const pkcs1 = keyDetails.startsWith('PKCS1_');
  const badKey = () => fail(`${path}.publicKey.rawBytes is not a valid public key`);
  try {
    if (pkcs1) checkPkcs1Shape(raw);
    else checkSpkiShape(raw);
  } catch {
    badKey();
  }
  const logId = b64(obj(o.logId, `${path}.logId`, fail).keyId, `${path}.logId.keyId`, fail);
  const cp = optObj(o.checkpointKeyId, `${path}.checkpointKeyId`, fail);
  const parts = {
    baseUrl: optStr(o.baseUrl, `${path}.baseUrl`, fail) ?? '',
    logId,
    checkpointKeyId: cp ? optB64(cp.keyId, `${path}.checkpointKeyId.keyId`, fail) : undefined,
    keyDetails,
    validFor: validFor(pk.validFor, `${path}.publicKey.validFor`, fail),
  };
  return frozenLog(parts, lazyKey(() => (pkcs1 ? createPublicKey({ key: raw, format: 'der', type: 'pkcs1' }) : spkiToKey(raw)), badKey), raw);
}

/** A getter that imports a key on its first call, and `refuse()`s when OpenSSL will not. */
function lazyKey(load: () => KeyObject, refuse: () => never): () => KeyObject {
  let key: KeyObject | undefined;
  return () => {
    if (key === undefined) {
      try {
        key = load();
      } catch {
        return refuse();
      }
    }
    return key;
  };
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, nothing after it. */
function checkPkcs1Shape(raw: Buffer): void {
  const el = Der.parse(raw).expect(Tag.SEQUENCE, 'RSAPublicKey');
  if (el.children.length !== 2) throw new DerError('RSAPublicKey must have a modulus and an exponent');
  el.child(0).bigint();
  el.child(1).bigint();
}

function parseAuthority(v: unknown, path: string, fail: Fail): Authority {
  const o = obj(v, path, fail);
  const chain = obj(o.certChain, `${path}.certChain`, fail);
  const certs = arr(chain.certificates, `${path}.certChain.certificates`, fail).map((c, i) => {
    const p = `${path}.certChain.certificates[${i}]`;
    const der = b64(obj(c, p, fail).rawBytes, `${p}.rawBytes`, fail);
    let cert: Certificate;
    try {
      cert = new Certificate(der);
      // Its key's shape now, so a bad one is refused here; OpenSSL imports it when first used.
      checkSpkiShape(cert.spki);
    } catch (e) {
      return fail(`${p} is not a valid certificate (${(e as Error).message})`);
    }
    Object.defineProperty(cert, 'publicKey', {
      get: lazyKey(
        () => spkiToKey(cert.spki),
        () => fail(`${p} is not a valid certificate (OpenSSL cannot use its public key)`),
      ),
    });
    return cert;
  });
  if (certs.length === 0) fail(`${path}.certChain has no certificates`);
  return frozenAuthority(optStr(o.uri, `${path}.uri`, fail) ?? '', certs, validFor(o.validFor, `${path}.validFor`, fail));
}

/**
 * Parses a TrustedRoot (v0.1 or v0.2 media type) from JSON text or an already-parsed object.
 * Malformed input is refused with a {@link TrustError} naming the field. The result is
 * immutable (see {@link buildTrustMaterial}); it keeps nothing of the JSON but what it parsed.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseTrustedRoot } from 'sigstore-ts';
 * const root = parseTrustedRoot(readFileSync('trusted_root.json', 'utf8'));
 * console.log(root.tlogs.length, 'transparency logs');
 * ```
 */
export function parseTrustedRoot(input: string | JsonObject, source = 'trusted_root.json', freshness?: TrustFreshness): TrustMaterial {
  const fail = trustFail(source);
  const json = typeof input === 'string' ? parseJson(input, 'the trusted root', fail, { maxBytes: 4 * 1024 * 1024 }) : input;
  // Either protobuf JSON spelling of every field (mediaType or media_type, ...).
  const o = obj(protoJsonNames(json, fail), 'the trusted root', fail);
  const mediaType = str(o.mediaType, 'mediaType', fail);
  if (!TRUSTED_ROOT_MEDIA_TYPES.includes(mediaType)) fail(`unsupported mediaType ${JSON.stringify(mediaType)}`);
  return buildTrustMaterial({
    mediaType,
    tlogs: arr(o.tlogs, 'tlogs', fail).map((t, i) => parseLog(t, `tlogs[${i}]`, fail)),
    ctlogs: arr(o.ctlogs, 'ctlogs', fail).map((t, i) => parseLog(t, `ctlogs[${i}]`, fail)),
    certificateAuthorities: arr(o.certificateAuthorities, 'certificateAuthorities', fail).map((c, i) =>
      parseAuthority(c, `certificateAuthorities[${i}]`, fail),
    ),
    timestampAuthorities: arr(o.timestampAuthorities, 'timestampAuthorities', fail).map((c, i) =>
      parseAuthority(c, `timestampAuthorities[${i}]`, fail),
    ),
    source,
    ...(freshness ? { freshness } : {}),
  });
}

/** Whether `t` falls inside the window (both ends inclusive). */
export function within(v: ValidFor, t: Date): boolean {
  return t.getTime() >= v.start.getTime() && (v.end === undefined || t.getTime() <= v.end.getTime());
}

/** SHA-256 of a key's SPKI DER: the RFC 6962 / Rekor v1 log ID. */
export function spkiKeyId(key: KeyObject): Buffer {
  return createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest();
}

