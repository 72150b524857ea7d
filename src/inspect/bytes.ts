/**
 * The raw signed bytes of a document (`inspect --dump-bytes`, as pypi-attestations' `inspect
 * --dump-bytes`): for each bundle or attestation in it, the signature and the signed payload
 * (the DSSE payload: the in-toto statement) or message digest, exactly as the file carries them.
 * Nothing here is verified.
 */
import type { ParsedBundle } from '../bundle/parse.js';
import { parseBundle } from '../bundle/parse.js';
import { BundleError } from '../errors.js';
import { isObject } from '../lib/json.js';
import { parseAttestation } from '../pypi/attestation.js';
import { attestationToBundle } from '../pypi/convert.js';
import { parseProvenance } from '../pypi/provenance.js';

/** The raw bytes of one signed object. */
export interface RawSignedBytes {
  signature: Buffer;
  /** DSSE: the payload type and payload bytes (the statement). */
  payloadType?: string;
  payload?: Buffer;
  /** A message signature: the signed digest, `algorithm:hex`. */
  digest?: string;
}

function fromBundle(b: ParsedBundle): RawSignedBytes {
  if (b.content.kind === 'dsseEnvelope') {
    const e = b.content.envelope;
    return { signature: e.signatures[0]?.sig ?? Buffer.alloc(0), payloadType: e.payloadType, payload: e.payload };
  }
  const d = b.content.digest;
  return { signature: b.content.signature, ...(d ? { digest: `${d.algorithm}:${d.value.toString('hex')}` } : {}) };
}

/** The raw signed bytes of every bundle or attestation in a bundle, attestation or provenance document. */
export function rawSignedBytes(input: string | Buffer): RawSignedBytes[] {
  let json: unknown;
  try {
    json = JSON.parse(input.toString('utf8'));
  } catch {
    throw new BundleError('DOCUMENT_INVALID', 'not a bundle, attestation or provenance: the file is not JSON');
  }
  if (!isObject(json)) throw new BundleError('DOCUMENT_INVALID', 'not a bundle, attestation or provenance: the file is not a JSON object');
  if ('mediaType' in json) return [fromBundle(parseBundle(json))];
  if ('attestation_bundles' in json) return parseProvenance(json).attestationBundles.flatMap((b) => b.attestations.map((a) => fromBundle(attestationToBundle(a))));
  return [fromBundle(attestationToBundle(parseAttestation(json)))];
}

/** The raw bytes as text: the signature in base64, the payload as it is when it is UTF-8 text (else base64). */
export function renderRawBytes(raw: RawSignedBytes[]): string {
  const out: string[] = ['Raw signed bytes (NOT VERIFIED)'];
  raw.forEach((r, i) => {
    const ind = raw.length > 1 ? '    ' : '  ';
    if (raw.length > 1) out.push(`  [${i}]`);
    out.push(`${ind}signature (base64): ${r.signature.toString('base64')}`);
    if (r.digest) out.push(`${ind}signed digest:      ${r.digest}`);
    if (r.payload) {
      const text = r.payload.toString('utf8');
      const printable = Buffer.from(text, 'utf8').equals(r.payload) && !/[\x00-\x08\x0e-\x1f\x7f]/.test(text);
      out.push(`${ind}payload type:       ${r.payloadType}`);
      out.push(printable ? `${ind}payload (${r.payload.length} bytes):\n${text}` : `${ind}payload (base64, ${r.payload.length} bytes): ${r.payload.toString('base64')}`);
    }
  });
  return `${out.join('\n')}\n`;
}

/** The raw bytes as JSON (base64), for `inspect --json --dump-bytes`. */
export function rawBytesToJson(raw: RawSignedBytes[]): Record<string, unknown>[] {
  return raw.map((r) => ({
    signature: r.signature.toString('base64'),
    ...(r.payloadType === undefined ? {} : { payloadType: r.payloadType }),
    ...(r.payload === undefined ? {} : { payload: r.payload.toString('base64') }),
    ...(r.digest === undefined ? {} : { digest: r.digest }),
  }));
}
