/**
 * Rekor v1 client: uploads hashedrekord 0.0.1 and dsse 0.0.1 entries (`POST /api/v1/log/entries`)
 * and turns the answer into a protobuf-specs TransparencyLogEntry (inclusion proof, checkpoint,
 * signed entry timestamp). A 409 (the entry exists already, as when a retried upload had in fact
 * succeeded) fetches the existing entry. Also looks entries up for detached verification.
 */
import type { TransparencyLogEntry } from '@sigstore/protobuf-specs';
import { NetworkError } from '../errors.js';
import { expectOk, type HttpResponse, request } from '../lib/http.js';
import { isObject, type JsonObject } from '../lib/json.js';
import { pem } from '../lib/der-write.js';
import { type ClientOptions, httpSettings } from './client.js';

/** The protobuf-specs JSON form of a TransparencyLogEntry. */
export type TlogEntryJson = ReturnType<typeof TransparencyLogEntry.toJSON> & JsonObject;

/** A Rekor v1 proposed entry. */
export type ProposedEntryV1 = JsonObject;

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');

/**
 * A hashedrekord 0.0.1 proposed entry: the artifact digest, the signature, and the signing
 * certificate (base64 of its PEM).
 */
export function hashedRekordV001(digest: { algorithm: string; value: Buffer }, signature: Buffer, certificateDer: Buffer): ProposedEntryV1 {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: digest.algorithm, value: digest.value.toString('hex') } },
      signature: { content: b64(signature), publicKey: { content: b64(pem(certificateDer, 'CERTIFICATE')) } },
    },
  };
}

/** A dsse 0.0.1 proposed entry: the envelope (as JSON text) and the signing certificate. */
export function dsseV001(envelopeJson: string, certificateDer: Buffer): ProposedEntryV1 {
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: { proposedContent: { envelope: envelopeJson, verifiers: [b64(pem(certificateDer, 'CERTIFICATE'))] } },
  };
}

function hexToB64(v: unknown, what: string, bad: (m: string) => never): string {
  if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(v)) bad(`${what} is not hex`);
  return Buffer.from(v as string, 'hex').toString('base64');
}

function intString(v: unknown, what: string, bad: (m: string) => never): string {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return v;
  return bad(`${what} is not a non-negative integer`);
}

/**
 * Converts one Rekor v1 LogEntry (`{uuid: {body, integratedTime, logID, logIndex, verification}}`)
 * into a TransparencyLogEntry (protobuf-specs JSON).
 */
export function toTlogEntry(response: unknown, service: string): TlogEntryJson {
  const bad = (m: string): never => {
    throw new NetworkError('REKOR_RESPONSE_INVALID', `${service} answered with an unusable log entry: ${m}`);
  };
  if (!isObject(response)) return bad('not a JSON object');
  const keys = Object.keys(response);
  if (keys.length !== 1) return bad(`expected one entry, got ${keys.length}`);
  const e = response[keys[0]!];
  if (!isObject(e)) return bad('the entry is not an object');
  if (typeof e.body !== 'string') return bad('body is missing');
  const bodyBytes = Buffer.from(e.body, 'base64');
  let body: unknown;
  try {
    body = JSON.parse(bodyBytes.toString('utf8'));
  } catch {
    return bad('body is not base64 of JSON');
  }
  if (!isObject(body) || typeof body.kind !== 'string' || typeof body.apiVersion !== 'string') return bad('body has no kind and apiVersion');
  const v = e.verification;
  if (!isObject(v)) return bad('verification is missing');
  const proof = v.inclusionProof;
  if (!isObject(proof)) return bad('verification.inclusionProof is missing');
  if (typeof proof.checkpoint !== 'string') return bad('verification.inclusionProof.checkpoint is missing');
  if (!Array.isArray(proof.hashes)) return bad('verification.inclusionProof.hashes is missing');
  if (typeof v.signedEntryTimestamp !== 'string') return bad('verification.signedEntryTimestamp is missing');
  const logIndex = intString(e.logIndex, 'logIndex', bad);
  return {
    logIndex,
    logId: { keyId: hexToB64(e.logID, 'logID', bad) },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: intString(e.integratedTime, 'integratedTime', bad),
    inclusionPromise: { signedEntryTimestamp: v.signedEntryTimestamp },
    inclusionProof: {
      logIndex: intString(proof.logIndex, 'verification.inclusionProof.logIndex', bad),
      rootHash: hexToB64(proof.rootHash, 'verification.inclusionProof.rootHash', bad),
      treeSize: intString(proof.treeSize, 'verification.inclusionProof.treeSize', bad),
      hashes: (proof.hashes as unknown[]).map((h, i) => hexToB64(h, `verification.inclusionProof.hashes[${i}]`, bad)),
      checkpoint: { envelope: proof.checkpoint },
    },
    canonicalizedBody: bodyBytes.toString('base64'),
  } as TlogEntryJson;
}

/**
 * Uploads a proposed entry to the Rekor v1 log at `baseUrl` and returns its TransparencyLogEntry.
 *
 * @example
 * ```ts
 * const entry = await createEntryV1('https://rekor.sigstore.dev', hashedRekordV001(digest, sig, cert.raw));
 * ```
 */
export async function createEntryV1(baseUrl: string, proposed: ProposedEntryV1, options: ClientOptions = {}): Promise<TlogEntryJson> {
  const base = baseUrl.replace(/\/+$/, '');
  const service = `Rekor v1 at ${base}`;
  const res = await request({
    method: 'POST',
    url: `${base}/api/v1/log/entries`,
    body: JSON.stringify(proposed),
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    service: 'Rekor',
    ...httpSettings(options),
  });
  let final: HttpResponse = res;
  if (res.status === 409) {
    // The entry exists already (a retried upload that had in fact gone through): fetch it.
    const location = res.headers.location;
    if (typeof location !== 'string' || location === '') expectOk(res, service, 'the log entry');
    const url = new URL(location as string, `${base}/`);
    if (url.origin !== new URL(base).origin) throw new NetworkError('REKOR_RESPONSE_INVALID', `${service} pointed to an existing entry on another host (${url.origin})`);
    final = await request({ url: url.href, headers: { accept: 'application/json' }, service: 'Rekor', ...httpSettings(options) });
    expectOk(final, service, 'the existing log entry');
  } else {
    expectOk(res, service, 'the log entry');
  }
  return toTlogEntry(final.json(), service);
}

/**
 * Looks up entries in a Rekor v1 log: by proposed entry (`POST /api/v1/log/entries/retrieve`),
 * then, when that finds nothing, through the search index by artifact digest
 * (`POST /api/v1/index/retrieve`, where the log has one). Returns every entry found.
 *
 * @example
 * ```ts
 * const entries = await searchEntriesV1('https://rekor.sigstore.dev', proposed, 'sha256:' + hex);
 * ```
 */
export async function searchEntriesV1(baseUrl: string, proposed: ProposedEntryV1, hash?: string, options: ClientOptions = {}): Promise<TlogEntryJson[]> {
  const base = baseUrl.replace(/\/+$/, '');
  const service = `Rekor v1 at ${base}`;
  const retrieve = async (query: JsonObject): Promise<TlogEntryJson[]> => {
    const res = await request({
      method: 'POST',
      url: `${base}/api/v1/log/entries/retrieve`,
      body: JSON.stringify(query),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      service: 'Rekor',
      ...httpSettings(options),
    });
    if (res.status === 404) return [];
    expectOk(res, service, 'the log entry search');
    const list = res.json<unknown>();
    if (!Array.isArray(list)) throw new NetworkError('REKOR_RESPONSE_INVALID', `${service} answered the entry search with something other than a list`);
    return list.filter((x) => isObject(x) && Object.keys(x).length > 0).map((x) => toTlogEntry(x, service));
  };
  const found = await retrieve({ entries: [proposed] });
  if (found.length > 0 || !hash) return found;
  const res = await request({
    method: 'POST',
    url: `${base}/api/v1/index/retrieve`,
    body: JSON.stringify({ hash }),
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    service: 'Rekor',
    ...httpSettings(options),
  });
  if (res.status === 404 || res.status === 405 || res.status === 501) return [];
  expectOk(res, service, 'the index search');
  const uuids = res.json<unknown>();
  if (!Array.isArray(uuids)) throw new NetworkError('REKOR_RESPONSE_INVALID', `${service} answered the index search with something other than a list`);
  const out: TlogEntryJson[] = [];
  const ids = uuids.filter((u): u is string => typeof u === 'string');
  for (let i = 0; i < ids.length && i < 100; i += 10) out.push(...(await retrieve({ entryUUIDs: ids.slice(i, i + 10) })));
  return out;
}
