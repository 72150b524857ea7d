/**
 * Bundle serialization: the parts a signer gathered (certificate, log entries, timestamps, the
 * message signature or DSSE envelope) as a Sigstore bundle v0.3 in protobuf-specs JSON: the
 * field names, order and encodings of @sigstore/protobuf-specs' `Bundle.toJSON` (int64 as
 * decimal strings, bytes as base64), except that zero log indexes are written out (`"0"`), as
 * strict readers require them. The result round-trips through {@link parseBundle} and through
 * `Bundle.fromJSON`/`Bundle.toJSON`.
 */
import type { Bundle } from '@sigstore/protobuf-specs';
import type { JsonObject } from '../lib/json.js';
import type { HashAlgorithm } from '../lib/signature.js';
import type { DsseEnvelope } from './dsse.js';
import { BUNDLE_V03 } from './parse.js';

/**
 * A bundle in protobuf-specs JSON form (what is written to `*.sigstore.json`).
 *
 * @example
 * ```ts
 * const bundle: BundleJson = await signer.sign({ path: 'a.txt' });
 * console.log(bundle.mediaType);
 * ```
 */
export type BundleJson = ReturnType<typeof Bundle.toJSON> & JsonObject & { mediaType: string };

/**
 * What a bundle is built from.
 *
 * @example
 * ```ts
 * const parts: BundleParts = {
 *   certificate: leaf.raw, tlogEntries: [entry], timestamps: [],
 *   content: { kind: 'messageSignature', digest: { algorithm: 'sha256', value: digest }, signature },
 * };
 * ```
 */
export interface BundleParts {
  /** The signing certificate (DER). */
  certificate: Buffer;
  /** Transparency log entries, protobuf-specs JSON (TransparencyLogEntry). */
  tlogEntries: JsonObject[];
  /** RFC 3161 TimeStampResp DER. */
  timestamps: Buffer[];
  content:
    | { kind: 'messageSignature'; digest: { algorithm: HashAlgorithm; value: Buffer }; signature: Buffer }
    | { kind: 'dsseEnvelope'; envelope: DsseEnvelope };
}

const HASHES: Record<HashAlgorithm, string> = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' };

/**
 * Builds a v0.3 bundle (`application/vnd.dev.sigstore.bundle.v0.3+json`) from its parts.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * const bundle = serializeBundle(parts);
 * writeFileSync('a.txt.sigstore.json', bundleToText(bundle));
 * ```
 */
export function serializeBundle(parts: BundleParts): BundleJson {
  const verificationMaterial: JsonObject = {
    certificate: { rawBytes: parts.certificate.toString('base64') },
    tlogEntries: parts.tlogEntries.map(normalizeEntry),
  };
  if (parts.timestamps.length > 0) {
    verificationMaterial.timestampVerificationData = {
      rfc3161Timestamps: parts.timestamps.map((t) => ({ signedTimestamp: t.toString('base64') })),
    };
  }
  const json: JsonObject = { mediaType: BUNDLE_V03, verificationMaterial };
  if (parts.content.kind === 'messageSignature') {
    json.messageSignature = {
      messageDigest: { algorithm: HASHES[parts.content.digest.algorithm], digest: parts.content.digest.value.toString('base64') },
      signature: parts.content.signature.toString('base64'),
    };
  } else {
    const env = parts.content.envelope;
    json.dsseEnvelope = {
      payload: env.payload.toString('base64'),
      payloadType: env.payloadType,
      signatures: [{ sig: env.signature.toString('base64'), keyid: env.keyid }],
    };
  }
  return json as BundleJson;
}

function pick(o: unknown, fields: string[]): JsonObject | undefined {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const src = o as JsonObject;
  const out: JsonObject = {};
  for (const f of fields) if (src[f] !== undefined && src[f] !== null) out[f] = src[f];
  return out;
}

/** A TransparencyLogEntry with protobuf-specs' field order and nothing else. */
function normalizeEntry(e: JsonObject): JsonObject {
  const out: JsonObject = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v;
  };
  put('logIndex', e.logIndex === undefined ? undefined : String(e.logIndex));
  put('logId', pick(e.logId, ['keyId']));
  put('kindVersion', pick(e.kindVersion, ['kind', 'version']));
  const it = e.integratedTime === undefined || e.integratedTime === null ? undefined : String(e.integratedTime);
  put('integratedTime', it === '0' ? undefined : it);
  put('inclusionPromise', pick(e.inclusionPromise, ['signedEntryTimestamp']));
  const proof = pick(e.inclusionProof, ['logIndex', 'rootHash', 'treeSize', 'hashes', 'checkpoint']);
  if (proof) {
    if (proof.logIndex !== undefined) proof.logIndex = String(proof.logIndex);
    if (proof.treeSize !== undefined) proof.treeSize = String(proof.treeSize);
    if (proof.checkpoint !== undefined) proof.checkpoint = pick(proof.checkpoint, ['envelope']);
  }
  put('inclusionProof', proof);
  put('canonicalizedBody', e.canonicalizedBody);
  return out;
}

/**
 * The bundle as the text written to disk (compact JSON, as sigstore-python writes it).
 *
 * @example
 * ```ts
 * writeFileSync('a.txt.sigstore.json', bundleToText(serializeBundle(parts)));
 * ```
 */
export function bundleToText(bundle: BundleJson): string {
  return JSON.stringify(bundle);
}
