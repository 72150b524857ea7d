/**
 * Parses and validates Sigstore bundles (v0.1, v0.2, v0.3) into a typed model. Parsing is the
 * only place raw bundle JSON is read; every later step works on {@link ParsedBundle}.
 */
import type { Bundle } from '@sigstore/protobuf-specs';
import { BundleError } from '../errors.js';
import {
  arr,
  b64,
  type Fail,
  type JsonObject,
  obj,
  optObj,
  optStr,
  parseJson,
  str,
  uint64,
} from '../lib/json.js';
import type { HashAlgorithm } from '../lib/signature.js';
import { Certificate } from '../lib/x509.js';
import { remember } from '../lib/remember.js';
import { deepFreezeJson, freezeCertificate } from '../lib/freeze.js';
import type { ErrorCode } from '../errors.js';

export const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
export const BUNDLE_V02 = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const BUNDLE_V03_LEGACY = 'application/vnd.dev.sigstore.bundle+json;version=0.3';

const VERSIONS: Record<string, BundleVersion> = {
  [BUNDLE_V01]: '0.1',
  [BUNDLE_V02]: '0.2',
  [BUNDLE_V03]: '0.3',
  [BUNDLE_V03_LEGACY]: '0.3',
};

/** A bundle format version. */
export type BundleVersion = '0.1' | '0.2' | '0.3';

/** An RFC 6962 inclusion proof with its signed checkpoint. */
export interface InclusionProof {
  logIndex: bigint;
  rootHash: Buffer;
  treeSize: bigint;
  hashes: Buffer[];
  /** The signed note text, or undefined when the bundle has none (v0.1). */
  checkpoint: string | undefined;
}

/** One transparency log entry of a bundle. */
export interface TlogEntry {
  logIndex: bigint;
  logId: Buffer;
  kind: string;
  version: string;
  integratedTime: bigint;
  /** Signed entry timestamp (the inclusion promise), if any. */
  signedEntryTimestamp: Buffer | undefined;
  inclusionProof: InclusionProof | undefined;
  canonicalizedBody: Buffer;
}

/** The key material a bundle names. */
export type VerificationMaterial =
  | { kind: 'certificate'; certificate: Certificate; chain: Certificate[] }
  | { kind: 'publicKey'; hint: string };

/** A DSSE envelope. */
export interface Envelope {
  payload: Buffer;
  payloadType: string;
  signatures: { sig: Buffer; keyid: string }[];
}

/** What the bundle signs. */
export type BundleContent =
  | { kind: 'messageSignature'; digest: { algorithm: HashAlgorithm; value: Buffer } | undefined; signature: Buffer }
  | { kind: 'dsseEnvelope'; envelope: Envelope };

/**
 * A validated bundle: what {@link parseBundle} returns and every verification step reads.
 *
 * @example
 * ```ts
 * const bundle: ParsedBundle = parseBundle(readFileSync('a.txt.sigstore.json'));
 * if (bundle.material.kind === 'certificate') console.log(bundle.material.certificate.notAfter);
 * ```
 */
export interface ParsedBundle {
  mediaType: string;
  version: BundleVersion;
  material: VerificationMaterial;
  tlogEntries: TlogEntry[];
  /** RFC 3161 timestamp tokens (DER). */
  timestamps: Buffer[];
  content: BundleContent;
  /** The JSON it came from, in the protobuf-specs shape. */
  json: Bundle;
}

const HASHES: Record<string, HashAlgorithm> = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

const bundleFail: Fail = (m: string, code?: ErrorCode) => {
  throw new BundleError(code ?? 'BUNDLE_INVALID', `invalid bundle: ${m}`);
};

/** The most certificates a v0.1/v0.2 chain may list (leaf and intermediates; Fulcio ships 2-3). */
export const MAX_CHAIN_CERTIFICATES = 10;
/** The most log entries and timestamps a bundle may carry (Sigstore writes one or two). */
export const MAX_TLOG_ENTRIES = 16;
export const MAX_TIMESTAMPS = 16;

function bounded(list: unknown[], max: number, path: string): unknown[] {
  if (list.length > max) bundleFail(`${path} lists ${list.length} items (at most ${max})`, 'BUNDLE_TOO_MANY_ITEMS');
  return list;
}

/**
 * Certificates parsed lately, by their base64 text: bundles signed in one session share their
 * leaf (and v0.1/v0.2 bundles their chain), and each is frozen once parsed, so no bundle can
 * change another's. Only certificates that parsed are kept, so a refusal is always made afresh.
 */
const recentCerts = new Map<string, Certificate>();
const RECENT_CERTS = 64;

function parseCert(v: unknown, path: string): Certificate {
  const text = obj(v, path, bundleFail).rawBytes;
  const parse = (): Certificate => {
    const der = b64(text, `${path}.rawBytes`, bundleFail);
    try {
      const cert = new Certificate(der);
      void cert.publicKey; // parse the key now, so a bad one is refused here
      return freezeCertificate(cert);
    } catch (e) {
      return bundleFail(`${path} is not a valid X.509 certificate (${(e as Error).message})`);
    }
  };
  return typeof text === 'string' ? remember(recentCerts, RECENT_CERTS, text, parse) : parse();
}

function parseMaterial(vm: JsonObject, version: BundleVersion): VerificationMaterial {
  const cases = ['certificate', 'x509CertificateChain', 'publicKey'].filter((k) => vm[k] !== undefined && vm[k] !== null);
  if (cases.length !== 1) {
    bundleFail(
      cases.length === 0
        ? 'verificationMaterial has no certificate, x509CertificateChain or publicKey'
        : `verificationMaterial has more than one of ${cases.join(', ')}`,
    );
  }
  if (vm.publicKey !== undefined && vm.publicKey !== null) {
    const pk = obj(vm.publicKey, 'verificationMaterial.publicKey', bundleFail);
    return { kind: 'publicKey', hint: optStr(pk.hint, 'verificationMaterial.publicKey.hint', bundleFail) ?? '' };
  }
  if (vm.certificate !== undefined && vm.certificate !== null) {
    if (version !== '0.3') bundleFail(`verificationMaterial.certificate requires bundle v0.3 (this is v${version})`);
    return { kind: 'certificate', certificate: parseCert(vm.certificate, 'verificationMaterial.certificate'), chain: [] };
  }
  if (version === '0.3') bundleFail('bundle v0.3 must use verificationMaterial.certificate, not x509CertificateChain');
  const chain = obj(vm.x509CertificateChain, 'verificationMaterial.x509CertificateChain', bundleFail);
  const certsPath = 'verificationMaterial.x509CertificateChain.certificates';
  const certs = bounded(arr(chain.certificates, certsPath, bundleFail), MAX_CHAIN_CERTIFICATES, certsPath).map((c, i) =>
    parseCert(c, `verificationMaterial.x509CertificateChain.certificates[${i}]`),
  );
  if (certs.length === 0) bundleFail('verificationMaterial.x509CertificateChain is empty');
  return { kind: 'certificate', certificate: certs[0]!, chain: certs.slice(1) };
}

/** An int64 field; protobuf JSON omits zero values, so absent means 0. */
function optUint64(v: unknown, path: string): bigint {
  return v === undefined ? 0n : uint64(v, path, bundleFail);
}

/** Unix seconds a Date can hold (up to year 9999): later ones are not times, and would throw in Date. */
function seconds(t: bigint, path: string): bigint {
  if (t > 253402300799n) bundleFail(`${path} ${t} is not a time (after year 9999)`);
  return t;
}

function parseTlogEntry(v: unknown, i: number, version: BundleVersion): TlogEntry {
  const p = `tlogEntries[${i}]`;
  const e = obj(v, p, bundleFail);
  const kv = obj(e.kindVersion, `${p}.kindVersion`, bundleFail);
  const promise = optObj(e.inclusionPromise, `${p}.inclusionPromise`, bundleFail);
  const proofJson = optObj(e.inclusionProof, `${p}.inclusionProof`, bundleFail);
  let inclusionProof: InclusionProof | undefined;
  if (proofJson) {
    const cp = optObj(proofJson.checkpoint, `${p}.inclusionProof.checkpoint`, bundleFail);
    inclusionProof = {
      logIndex: optUint64(proofJson.logIndex, `${p}.inclusionProof.logIndex`),
      rootHash: b64(proofJson.rootHash, `${p}.inclusionProof.rootHash`, bundleFail),
      treeSize: uint64(proofJson.treeSize, `${p}.inclusionProof.treeSize`, bundleFail),
      hashes: bounded(arr(proofJson.hashes, `${p}.inclusionProof.hashes`, bundleFail), 64, `${p}.inclusionProof.hashes`).map((h, j) =>
        b64(h, `${p}.inclusionProof.hashes[${j}]`, bundleFail),
      ),
      checkpoint: cp ? optStr(cp.envelope, `${p}.inclusionProof.checkpoint.envelope`, bundleFail) : undefined,
    };
  }
  if (version === '0.1' && !promise) bundleFail(`${p} has no inclusionPromise (required by bundle v0.1)`);
  if (version !== '0.1') {
    if (!inclusionProof) bundleFail(`${p} has no inclusionProof (required by bundle v${version})`);
    if (!inclusionProof!.checkpoint) bundleFail(`${p}.inclusionProof has no checkpoint (required by bundle v${version})`);
  }
  return {
    logIndex: optUint64(e.logIndex, `${p}.logIndex`),
    logId: b64(obj(e.logId, `${p}.logId`, bundleFail).keyId, `${p}.logId.keyId`, bundleFail),
    kind: str(kv.kind, `${p}.kindVersion.kind`, bundleFail),
    version: str(kv.version, `${p}.kindVersion.version`, bundleFail),
    integratedTime: seconds(optUint64(e.integratedTime, `${p}.integratedTime`), `${p}.integratedTime`),
    signedEntryTimestamp: promise
      ? b64(promise.signedEntryTimestamp, `${p}.inclusionPromise.signedEntryTimestamp`, bundleFail)
      : undefined,
    inclusionProof,
    canonicalizedBody: b64(e.canonicalizedBody, `${p}.canonicalizedBody`, bundleFail),
  };
}

function parseContent(o: JsonObject): BundleContent {
  const hasMs = o.messageSignature !== undefined && o.messageSignature !== null;
  const hasDsse = o.dsseEnvelope !== undefined && o.dsseEnvelope !== null;
  if (hasMs === hasDsse) bundleFail(hasMs ? 'bundle has both messageSignature and dsseEnvelope' : 'bundle has neither messageSignature nor dsseEnvelope');
  if (hasMs) {
    const ms = obj(o.messageSignature, 'messageSignature', bundleFail);
    const md = optObj(ms.messageDigest, 'messageSignature.messageDigest', bundleFail);
    let digest: { algorithm: HashAlgorithm; value: Buffer } | undefined;
    if (md) {
      const alg = str(md.algorithm, 'messageSignature.messageDigest.algorithm', bundleFail);
      const algorithm = HASHES[alg];
      if (!algorithm) bundleFail(`unsupported messageSignature.messageDigest.algorithm ${JSON.stringify(alg)}`);
      digest = { algorithm: algorithm!, value: b64(md.digest, 'messageSignature.messageDigest.digest', bundleFail) };
    }
    return { kind: 'messageSignature', digest, signature: b64(ms.signature, 'messageSignature.signature', bundleFail) };
  }
  const env = obj(o.dsseEnvelope, 'dsseEnvelope', bundleFail);
  const sigList = arr(env.signatures, 'dsseEnvelope.signatures', bundleFail);
  if (sigList.length !== 1) bundleFail(`dsseEnvelope must have exactly one signature (has ${sigList.length})`);
  const signatures = sigList.map((s, i) => {
    const so = obj(s, `dsseEnvelope.signatures[${i}]`, bundleFail);
    return {
      sig: b64(so.sig, `dsseEnvelope.signatures[${i}].sig`, bundleFail),
      keyid: optStr(so.keyid, `dsseEnvelope.signatures[${i}].keyid`, bundleFail) ?? '',
    };
  });
  return {
    kind: 'dsseEnvelope',
    envelope: {
      payload: b64(env.payload, 'dsseEnvelope.payload', bundleFail, { allowEmpty: true }),
      payloadType: str(env.payloadType, 'dsseEnvelope.payloadType', bundleFail),
      signatures,
    },
  };
}

/**
 * Parses a Sigstore bundle from JSON text (or an already-parsed object, which is copied) and
 * validates its structure for its version. Throws {@link BundleError} with a one-line reason.
 * The result is deep-frozen, and only such results are taken as parsed bundles by the verifier.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseBundle } from 'sigstore-ts';
 * const bundle = parseBundle(readFileSync('artifact.sigstore.json', 'utf8'));
 * console.log(bundle.version, bundle.content.kind);
 * ```
 */
export function parseBundle(input: string | Buffer | JsonObject): ParsedBundle {
  const json = typeof input === 'string' || Buffer.isBuffer(input) ? parseJson(input, 'the bundle', bundleFail) : ownCopy(input);
  const o = obj(json, 'the bundle', bundleFail);
  const mediaType = str(o.mediaType, 'mediaType', bundleFail);
  const version = VERSIONS[mediaType];
  if (!version) return bundleFail(`unsupported mediaType ${JSON.stringify(mediaType)}`);
  const vm = obj(o.verificationMaterial, 'verificationMaterial', bundleFail);
  const material = parseMaterial(vm, version);
  const tlogPath = 'verificationMaterial.tlogEntries';
  const tlogEntries = bounded(arr(vm.tlogEntries, tlogPath, bundleFail), MAX_TLOG_ENTRIES, tlogPath).map((e, i) =>
    parseTlogEntry(e, i, version),
  );
  const seen = new Set<string>();
  for (const e of tlogEntries) {
    const key = `${e.logId.toString('hex')}:${e.logIndex}`;
    if (seen.has(key)) bundleFail(`tlogEntries lists log index ${e.logIndex} of the same log twice`);
    seen.add(key);
  }
  const tvd = optObj(vm.timestampVerificationData, 'verificationMaterial.timestampVerificationData', bundleFail);
  const timestamps = tvd
    ? bounded(arr(tvd.rfc3161Timestamps, 'timestampVerificationData.rfc3161Timestamps', bundleFail), MAX_TIMESTAMPS, 'rfc3161Timestamps').map((t, i) =>
        b64(
          obj(t, `rfc3161Timestamps[${i}]`, bundleFail).signedTimestamp,
          `rfc3161Timestamps[${i}].signedTimestamp`,
          bundleFail,
        ),
      )
    : [];
  const parsed: ParsedBundle = { mediaType, version, material, tlogEntries, timestamps, content: parseContent(o), json: o as unknown as Bundle };
  deepFreezeJson(parsed);
  parsedBundles.add(parsed);
  return parsed;
}

/**
 * Every {@link ParsedBundle} {@link parseBundle} returned (each deep-frozen): verification takes a
 * parsed bundle only from here, never an object that merely has the right keys.
 */
const parsedBundles = new WeakSet<object>();

/**
 * Whether `b` is a bundle {@link parseBundle} returned.
 *
 * @example
 * ```ts
 * isParsedBundle(parseBundle(text)); // true
 * isParsedBundle({ ...parseBundle(text) }); // false: a copy was not parsed
 * ```
 */
export function isParsedBundle(b: unknown): b is ParsedBundle {
  return typeof b === 'object' && b !== null && parsedBundles.has(b);
}

/** A private copy of a caller's JSON object: the parse and its `json` must not change when the caller's object does. */
function ownCopy(input: JsonObject): unknown {
  try {
    return structuredClone(input);
  } catch (e) {
    return bundleFail(`the bundle object is not JSON data (${(e as Error).message})`);
  }
}
