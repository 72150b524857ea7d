/**
 * RFC 3161 timestamp client: sends a TimeStampReq over the SHA-256 of the signature
 * (`application/timestamp-query`, with a random nonce and the TSA's certificates requested) and
 * checks the TimeStampResp before it goes into a bundle: granted, a well-formed token, our
 * imprint and our nonce. Its signature and the TSA's chain are checked against the trusted root by
 * the verification of the whole bundle (or here, with `verify: true`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { NetworkError, SigstoreError } from '../errors.js';
import { parseTimeStampToken, type TimeStampToken } from '../lib/cms.js';
import { Der, Tag } from '../lib/der.js';
import { expectOk, request } from '../lib/http.js';
import type { TrustMaterial } from '../trust/trusted-root.js';
import { verifyTimestamps } from '../verify/timestamp.js';
import { bool, int, nul, octets, oid, seq } from '../lib/der-write.js';
import { type ClientOptions, httpSettings } from './client.js';
import type { ErrorCode } from '../errors.js';

const SHA256_OID = '2.16.840.1.101.3.4.2.1';

/** A DER TimeStampReq (RFC 3161 section 2.4.1) over a SHA-256 digest, asking for certificates. */
export function timeStampRequest(digest: Buffer, nonce: bigint): Buffer {
  return seq(int(1), seq(seq(oid(SHA256_OID), nul()), octets(digest)), int(nonce), bool(true));
}

/** PKIStatusInfo failure details, for the message when a TSA refuses. */
function describeRefusal(der: Buffer): string | undefined {
  try {
    const si = Der.parse(der).expect(Tag.SEQUENCE, 'TimeStampResp').child(0).expect(Tag.SEQUENCE, 'PKIStatusInfo');
    const status = si.child(0).int();
    if (status === 0 || status === 1) return undefined;
    const text = si.children.find((c) => c.tag === Tag.SEQUENCE)?.children.map((c) => c.string()).join('; ');
    const names: Record<number, string> = { 2: 'rejection', 3: 'waiting', 4: 'revocation warning', 5: 'revocation notification' };
    return `status ${status} (${names[status] ?? 'unknown'})${text ? `: ${text}` : ''}`;
  } catch {
    return undefined;
  }
}

/**
 * Gets a signed timestamp over `signature` from the TSA at `url` (its full URL, as signing
 * configs give it) and checks it. Returns the TimeStampResp DER, as bundles carry it.
 *
 * @example
 * ```ts
 * const token = await requestTimestamp('https://timestamp.sigstore.dev/api/v1/timestamp', signature, trust);
 * ```
 */
export async function requestTimestamp(
  url: string,
  signature: Buffer,
  trust: TrustMaterial,
  options: ClientOptions & { verify?: boolean } = {},
): Promise<Buffer> {
  const service = `the timestamp authority at ${url}`;
  const digest = createHash('sha256').update(signature).digest();
  // 64-bit positive nonce (the top bit cleared keeps the INTEGER at 8 bytes).
  const nb = randomBytes(8);
  nb[0]! &= 0x7f;
  const nonce = BigInt(`0x${nb.toString('hex')}`);
  const res = await request({
    method: 'POST',
    url,
    body: timeStampRequest(digest, nonce),
    headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
    service: 'TSA',
    ...httpSettings(options),
  });
  expectOk(res, service, 'the timestamp request');
  const der = res.body;
  const bad = (code: ErrorCode, m: string, cause?: unknown): never => {
    throw new NetworkError(code, `${service} answered with an unusable timestamp: ${m}`, cause === undefined ? undefined : { cause });
  };
  const refusal = describeRefusal(der);
  if (refusal) throw new NetworkError('TSA_REFUSED', `${service} refused the timestamp request: ${refusal}`);
  let token: TimeStampToken;
  try {
    token = parseTimeStampToken(der);
  } catch (e) {
    return bad('TSA_RESPONSE_INVALID', `it is not a valid RFC 3161 response (${(e as Error).message})`, e);
  }
  if (token.status === undefined) bad('TSA_RESPONSE_INVALID', 'it is a bare token, not a TimeStampResp');
  if (token.tstInfo.nonce !== nonce) bad('TSA_NONCE_MISMATCH', 'its nonce is not the one sent (a replayed or mixed-up response)');
  if (!token.tstInfo.messageImprint.hashedMessage.equals(digest)) bad('TSA_IMPRINT_MISMATCH', 'it timestamps something other than the signature');
  if (!options.verify) return der;
  try {
    verifyTimestamps([der], signature, trust);
  } catch (e) {
    throw new SigstoreError('TSA_TIMESTAMP_UNTRUSTED', `${service} answered with a timestamp that does not verify against the trusted root ${trust.source}: ${(e as Error).message}`, { cause: e });
  }
  return der;
}
