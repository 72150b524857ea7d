/**
 * The trust material model, immutable once built: {@link buildTrustMaterial} (and
 * {@link parseTrustedRoot}, which builds through it) returns a deep-frozen
 * {@link TrustMaterial}, and {@link trustedRootJson} serializes one back into a trusted root, the
 * form verification workers receive. The model is the one source of truth: there is no raw
 * JSON kept beside it that could say something else.
 *
 * JavaScript cannot freeze bytes or dates: a built log hands out a copy of its log IDs and its
 * validity dates on every read, and certificates are frozen with copying validity getters
 * (src/lib/freeze.ts). Their DER bytes are the certificates' own; caches key on those bytes.
 */
import { KeyObject } from 'node:crypto';
import { TrustError } from '../errors.js';
import { freezeCertificate } from '../lib/freeze.js';
import type { JsonObject } from '../lib/json.js';
import { Certificate } from '../lib/x509.js';
import type { Authority, TransparencyLog, TrustFreshness, TrustMaterial, ValidFor } from './trusted-root.js';

/** Every log, authority, window and material this module built (each deep-frozen). */
const built = new WeakSet<object>();

/** The bytes a built log's key was read from, for {@link trustedRootJson}. */
const keyBytes = new WeakMap<TransparencyLog, { raw: Buffer; pkcs1: boolean }>();

const DEFAULT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

function refuse(m: string): never {
  throw new TrustError('TRUSTED_ROOT_INVALID', `trust material: ${m}`);
}

function isDate(d: unknown): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/** @internal A frozen validity window whose dates are copies on every read. */
export function frozenValidFor(v: ValidFor, what = 'validFor'): ValidFor {
  if (built.has(v)) return v;
  if (typeof v !== 'object' || v === null || !isDate(v.start) || (v.end !== undefined && !isDate(v.end))) refuse(`${what} must have a start date and an optional end date`);
  const start = v.start.getTime();
  const end = v.end?.getTime();
  if (end !== undefined && end < start) refuse(`${what} ends before it starts`);
  const out = {} as ValidFor;
  Object.defineProperties(out, {
    start: { enumerable: true, get: () => new Date(start) },
    end: { enumerable: true, get: () => (end === undefined ? undefined : new Date(end)) },
  });
  built.add(out);
  return Object.freeze(out);
}

/** @internal What a log is built from. */
export interface LogParts {
  baseUrl: string;
  logId: Buffer;
  checkpointKeyId: Buffer | undefined;
  keyDetails: string;
  validFor: ValidFor;
}

/**
 * @internal A frozen log. `key` is called on first use (trusted roots import keys lazily) and
 * `raw` is the key's bytes as given (SPKI, or PKCS#1 for `PKCS1_*` key details).
 */
export function frozenLog(parts: LogParts, key: () => KeyObject, raw: Buffer | undefined): TransparencyLog {
  const logId = Buffer.from(parts.logId);
  const checkpointKeyId = parts.checkpointKeyId === undefined ? undefined : Buffer.from(parts.checkpointKeyId);
  const log = {} as TransparencyLog;
  Object.defineProperties(log, {
    baseUrl: { enumerable: true, value: parts.baseUrl },
    logId: { enumerable: true, get: () => Buffer.from(logId) },
    checkpointKeyId: { enumerable: true, get: () => (checkpointKeyId === undefined ? undefined : Buffer.from(checkpointKeyId)) },
    key: { enumerable: true, get: key },
    keyDetails: { enumerable: true, value: parts.keyDetails },
    validFor: { enumerable: true, value: frozenValidFor(parts.validFor, `the log ${parts.baseUrl}'s validFor`) },
  });
  if (raw) keyBytes.set(log, { raw: Buffer.from(raw), pkcs1: parts.keyDetails.startsWith('PKCS1_') });
  built.add(log);
  return Object.freeze(log);
}

/** @internal A frozen authority (its certificates frozen too). */
export function frozenAuthority(uri: string, certs: Certificate[], validFor: ValidFor): Authority {
  const out: Authority = { uri, certs: Object.freeze(certs.map(freezeCertificate)) as Certificate[], validFor: frozenValidFor(validFor, `the authority ${uri}'s validFor`) };
  built.add(out);
  return Object.freeze(out);
}

function copyLog(l: TransparencyLog, what: string): TransparencyLog {
  if (built.has(l)) return l;
  if (typeof l !== 'object' || l === null) refuse(`${what} is not a log`);
  const key = l.key;
  if (!(key instanceof KeyObject) || key.type !== 'public') refuse(`${what}.key is not a public KeyObject`);
  if (!Buffer.isBuffer(l.logId)) refuse(`${what}.logId is not a Buffer`);
  if (l.checkpointKeyId !== undefined && !Buffer.isBuffer(l.checkpointKeyId)) refuse(`${what}.checkpointKeyId is not a Buffer`);
  return frozenLog(
    { baseUrl: String(l.baseUrl ?? ''), logId: l.logId, checkpointKeyId: l.checkpointKeyId, keyDetails: String(l.keyDetails ?? 'PUBLIC_KEY_DETAILS_UNSPECIFIED'), validFor: l.validFor },
    () => key,
    undefined,
  );
}

function copyAuthority(a: Authority, what: string): Authority {
  if (built.has(a)) return a;
  if (typeof a !== 'object' || a === null || !Array.isArray(a.certs) || a.certs.length === 0) refuse(`${what} has no certificates`);
  if (!a.certs.every((c) => c instanceof Certificate)) refuse(`${what}.certs holds something other than a Certificate`);
  return frozenAuthority(String(a.uri ?? ''), a.certs, a.validFor);
}

function list<T>(v: T[] | undefined, what: string, copy: (x: T, what: string) => T): T[] {
  if (v === undefined) return Object.freeze([]) as unknown as T[];
  if (!Array.isArray(v)) refuse(`${what} is not an array`);
  return Object.freeze(v.map((x, i) => copy(x, `${what}[${i}]`))) as T[];
}

/**
 * What {@link buildTrustMaterial} takes: the lists of a {@link TrustMaterial} (each optional,
 * default empty), a media type and a source.
 *
 * @example
 * ```ts
 * const parts: TrustMaterialParts = { ...trust, ctlogs: [] };
 * ```
 */
export interface TrustMaterialParts {
  mediaType?: string;
  tlogs?: TransparencyLog[];
  ctlogs?: TransparencyLog[];
  certificateAuthorities?: Authority[];
  timestampAuthorities?: Authority[];
  source?: string;
  /** Where it came from and how fresh it is (loadTrust); kept frozen, its date handed out as copies. */
  freshness?: TrustFreshness;
}

/**
 * Builds immutable trust material from its parts: the way to derive a reduced or combined
 * trusted root from parsed ones (logs, CAs and TSAs of built material are reused as they are;
 * others are copied and checked). Material already built is returned as it is. Everything built
 * is deep-frozen: assigning to it throws, and the log IDs and dates it hands out are copies.
 *
 * @example
 * ```ts
 * import { buildTrustMaterial, loadTrustMaterial } from 'sigstore-ts';
 * const trust = await loadTrustMaterial();
 * // Trust only the first Rekor log.
 * const reduced = buildTrustMaterial({ ...trust, tlogs: trust.tlogs.slice(0, 1), source: 'one log' });
 * ```
 */
export function buildTrustMaterial(parts: TrustMaterialParts | TrustMaterial): TrustMaterial {
  if (built.has(parts)) return parts as TrustMaterial;
  if (typeof parts !== 'object' || parts === null) refuse('expected an object');
  const out: TrustMaterial = {
    mediaType: String(parts.mediaType ?? DEFAULT_MEDIA_TYPE),
    tlogs: list(parts.tlogs, 'tlogs', copyLog),
    ctlogs: list(parts.ctlogs, 'ctlogs', copyLog),
    certificateAuthorities: list(parts.certificateAuthorities, 'certificateAuthorities', copyAuthority),
    timestampAuthorities: list(parts.timestampAuthorities, 'timestampAuthorities', copyAuthority),
    source: String(parts.source ?? 'trust material'),
    ...(parts.freshness ? { freshness: frozenFreshness(parts.freshness) } : {}),
  };
  built.add(out);
  return Object.freeze(out);
}

/** Whether `t` was built by {@link buildTrustMaterial} (or {@link parseTrustedRoot}): deep-frozen. */
export function isBuiltTrustMaterial(t: unknown): t is TrustMaterial {
  return typeof t === 'object' && t !== null && built.has(t);
}

function windowJson(v: ValidFor): JsonObject {
  return v.end === undefined ? { start: v.start.toISOString() } : { start: v.start.toISOString(), end: v.end.toISOString() };
}

function logJson(l: TransparencyLog): JsonObject {
  let k = keyBytes.get(l);
  if (!k) {
    const pkcs1 = l.keyDetails.startsWith('PKCS1_');
    k = { raw: pkcs1 ? l.key.export({ format: 'der', type: 'pkcs1' }) : l.key.export({ format: 'der', type: 'spki' }), pkcs1 };
  }
  const out: JsonObject = {
    baseUrl: l.baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: k.raw.toString('base64'), keyDetails: l.keyDetails, validFor: windowJson(l.validFor) },
    logId: { keyId: l.logId.toString('base64') },
  };
  const cp = l.checkpointKeyId;
  if (cp !== undefined) out.checkpointKeyId = { keyId: cp.toString('base64') };
  return out;
}

function authorityJson(a: Authority): JsonObject {
  return { uri: a.uri, certChain: { certificates: a.certs.map((c) => ({ rawBytes: c.raw.toString('base64') })) }, validFor: windowJson(a.validFor) };
}

/**
 * The trusted root (protobuf-specs JSON shape) that trust material says: derived from its
 * fields, so it says exactly what the model does. {@link parseTrustedRoot} of it gives the same
 * material. Verification workers are started with it.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { trustedRootJson } from 'sigstore-ts';
 * writeFileSync('trusted_root.json', JSON.stringify(trustedRootJson(trust), null, 2));
 * ```
 */
export function trustedRootJson(t: TrustMaterial): JsonObject {
  return {
    mediaType: t.mediaType,
    tlogs: t.tlogs.map(logJson),
    certificateAuthorities: t.certificateAuthorities.map(authorityJson),
    ctlogs: t.ctlogs.map(logJson),
    timestampAuthorities: t.timestampAuthorities.map(authorityJson),
  };
}

/** A frozen copy of a freshness record whose expiry is handed out as a copy. */
function frozenFreshness(f: TrustFreshness): TrustFreshness {
  const expires = f.expires === undefined ? undefined : new Date(f.expires.getTime());
  const out = { origin: f.origin, stale: Boolean(f.stale) } as TrustFreshness;
  Object.defineProperty(out, 'expires', { enumerable: true, get: () => (expires === undefined ? undefined : new Date(expires.getTime())) });
  return Object.freeze(out);
}
