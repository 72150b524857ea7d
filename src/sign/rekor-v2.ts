/**
 * Rekor v2 client (rekor-tiles): uploads hashedrekord 0.0.2 entries (`POST /api/v2/log/entries`
 * with a CreateEntryRequest) and returns the TransparencyLogEntry the log answers with (inclusion
 * proof and checkpoint; no integrated time, so a signed timestamp from a TSA is needed as the
 * trusted time). Rekor v2 takes no DSSE entries: a DSSE envelope is logged as a hashedrekord over
 * the hash of its PAE, with the envelope's signature (rekor-tiles CLIENTS.md). The log answers
 * only once a checkpoint includes the entry, so requests wait at least
 * {@link REKOR_V2_MIN_TIMEOUT_MS} (as rekor-tiles asks).
 */
import { NetworkError } from '../errors.js';
import { expectOk, request } from '../lib/http.js';
import { isObject, type JsonObject } from '../lib/json.js';
import { type ClientOptions, httpSettings } from './client.js';
import type { TlogEntryJson } from './rekor-v1.js';

/** The shortest per-attempt timeout of a Rekor v2 upload (rekor-tiles: at least 20 s). */
export const REKOR_V2_MIN_TIMEOUT_MS = 20_000;

/** A rekor-tiles CreateEntryRequest (protobuf JSON). */
export type CreateEntryRequest = JsonObject;

const b64 = (b: Buffer) => b.toString('base64');

function verifier(certificateDer: Buffer, keyDetails: string): JsonObject {
  return { x509Certificate: { rawBytes: b64(certificateDer) }, keyDetails };
}

/** A hashedRekordRequestV002: the artifact digest, the signature and the certificate. */
export function hashedRekordV002(digest: Buffer, signature: Buffer, certificateDer: Buffer, keyDetails: string): CreateEntryRequest {
  return { hashedRekordRequestV002: { digest: b64(digest), signature: { content: b64(signature), verifier: verifier(certificateDer, keyDetails) } } };
}

/**
 * Uploads an entry to the Rekor v2 log at `baseUrl`; returns the TransparencyLogEntry.
 *
 * @example
 * ```ts
 * const entry = await createEntryV2('https://log2025-1.rekor.sigstore.dev', hashedRekordV002(digest, sig, cert.raw, 'PKIX_ECDSA_P256_SHA_256'));
 * ```
 */
export async function createEntryV2(baseUrl: string, req: CreateEntryRequest, options: ClientOptions = {}): Promise<TlogEntryJson> {
  const base = baseUrl.replace(/\/+$/, '');
  const service = `Rekor v2 at ${base}`;
  const res = await request({
    method: 'POST',
    url: `${base}/api/v2/log/entries`,
    body: JSON.stringify(req),
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    service: 'Rekor',
    ...httpSettings(options),
    timeoutMs: Math.max(options.timeoutMs ?? 30_000, REKOR_V2_MIN_TIMEOUT_MS),
  });
  expectOk(res, service, 'the log entry');
  const e = res.json<unknown>();
  const bad = (m: string): never => {
    throw new NetworkError('REKOR_RESPONSE_INVALID', `${service} answered with an unusable log entry: ${m}`);
  };
  if (!isObject(e)) return bad('not a JSON object');
  for (const f of ['logIndex', 'logId', 'kindVersion', 'inclusionProof', 'canonicalizedBody']) {
    if (e[f] === undefined || e[f] === null) bad(`${f} is missing`);
  }
  // Only the fields a TransparencyLogEntry has (drops anything else the log adds).
  const out: JsonObject = {};
  for (const f of ['logIndex', 'logId', 'kindVersion', 'integratedTime', 'inclusionPromise', 'inclusionProof', 'canonicalizedBody']) {
    if (e[f] !== undefined && e[f] !== null) out[f] = e[f];
  }
  if (out.integratedTime === '0' || out.integratedTime === 0) delete out.integratedTime;
  return out as TlogEntryJson;
}
