/**
 * DSSE (Dead Simple Signing Envelope) for signing: the pre-authentication encoding the signature
 * covers, and envelopes in their JSON form.
 */

/**
 * The payload type of in-toto statements.
 *
 * @example
 * ```ts
 * const envelope = createEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, (pae) => key.sign(pae));
 * ```
 */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * A signed DSSE envelope with one signature.
 *
 * @example
 * ```ts
 * const env: DsseEnvelope = { payload: Buffer.from('{}'), payloadType: IN_TOTO_PAYLOAD_TYPE, signature: sig, keyid: '' };
 * ```
 */
export interface DsseEnvelope {
  payload: Buffer;
  payloadType: string;
  signature: Buffer;
  /** The signature's key ID hint (empty for Sigstore keyless signatures). */
  keyid: string;
}

/**
 * DSSE v1 pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`.
 *
 * @example
 * ```ts
 * pae('application/vnd.in-toto+json', Buffer.from('{}')).toString(); // 'DSSEv1 28 application/vnd.in-toto+json 2 {}'
 * ```
 */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'utf8'), type, Buffer.from(` ${payload.length} `, 'utf8'), payload]);
}

/**
 * Signs `payload` as a DSSE envelope: `sign` is given the PAE bytes.
 *
 * @example
 * ```ts
 * const env = createEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), (data) => key.sign(data));
 * ```
 */
export function createEnvelope(payloadType: string, payload: Buffer, sign: (pae: Buffer) => Buffer): DsseEnvelope {
  if (payloadType === '') throw new TypeError('a DSSE payload type must not be empty');
  return { payload, payloadType, signature: sign(pae(payloadType, payload)), keyid: '' };
}

/**
 * The envelope's JSON (the DSSE wire form, as Rekor v1 dsse entries take it).
 *
 * @example
 * ```ts
 * const text = JSON.stringify(envelopeToJson(env));
 * ```
 */
export function envelopeToJson(env: DsseEnvelope): { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] } {
  return { payload: env.payload.toString('base64'), payloadType: env.payloadType, signatures: [{ sig: env.signature.toString('base64'), keyid: env.keyid }] };
}
