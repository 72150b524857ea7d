/**
 * The timestamp authority (RFC 3161 over HTTP), like sigstore/timestamp-authority.
 *
 * - `POST /api/v1/timestamp` with `Content-Type: application/timestamp-query` (DER TimeStampReq),
 *   or `application/json` ({"artifactHash": base64, "hashAlgorithm": "sha256", "nonce"?,
 *   "certificates"?, "tsaPolicyOID"?}, what sigstore-js sends); answers
 *   `application/timestamp-reply` (DER TimeStampResp).
 * - `GET /api/v1/timestamp/certchain`: the TSA chain, PEM, leaf first.
 *
 * The token is CMS SignedData over a TSTInfo (policy, message imprint, serial, genTime, accuracy,
 * nonce echoed, TSA name), signed by the TSA leaf (EKU timeStamping, critical) with signed
 * attributes contentType, signingTime, messageDigest and signingCertificateV2. Certificates are
 * included when the request asks for them (certReq / "certificates": true).
 */
import { createHash, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OIDS, randomSerial } from './pki.js';
import { badRequest, isObj, toPem } from './util.js';

/** Sigstore's TSA policy OID. */
export const TSA_POLICY = '1.3.6.1.4.1.57264.2';

const ID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
};

const HASHES: Record<string, { name: 'sha256' | 'sha384' | 'sha512'; len: number }> = {
  [OIDS.sha256]: { name: 'sha256', len: 32 },
  [OIDS.sha384]: { name: 'sha384', len: 48 },
  [OIDS.sha512]: { name: 'sha512', len: 64 },
};

export interface TimestampRequest {
  hashOid: string;
  digest: Buffer;
  /** The nonce INTEGER's content bytes, echoed verbatim. */
  nonce: Buffer | undefined;
  certReq: boolean;
  policy: string | undefined;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Parses and checks a DER TimeStampReq. */
export function parseTimestampQuery(der: Buffer): TimestampRequest {
  if (der.length === 0) badRequest('invalid timestamp query: the request body is empty');
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1 || asn.offset !== der.length) badRequest('invalid timestamp query: the body is not a single DER structure');
  let req: pkijs.TimeStampReq;
  try {
    req = new pkijs.TimeStampReq({ schema: asn.result });
  } catch (e) {
    return badRequest(`invalid timestamp query: not a TimeStampReq (${(e as Error).message.split('\n')[0]})`);
  }
  if (req.version !== 1) badRequest(`invalid timestamp query: version ${req.version} is not 1`);
  if (req.extensions && req.extensions.length > 0) badRequest('invalid timestamp query: request extensions are not supported');
  const hashOid = req.messageImprint.hashAlgorithm.algorithmId;
  const digest = Buffer.from(req.messageImprint.hashedMessage.valueBlock.valueHexView);
  const nonce = req.nonce ? Buffer.from(req.nonce.valueBlock.valueHexView) : undefined;
  return { hashOid, digest, nonce, certReq: req.certReq === true, policy: req.reqPolicy };
}

/** Parses and checks the JSON request form of sigstore/timestamp-authority. */
export function parseJsonTimestampRequest(body: unknown): TimestampRequest {
  if (!isObj(body)) badRequest('invalid timestamp request: the body must be a JSON object');
  const names: Record<string, string> = { sha256: OIDS.sha256, sha384: OIDS.sha384, sha512: OIDS.sha512 };
  const alg = body.hashAlgorithm ?? 'sha256';
  if (typeof alg !== 'string' || !names[alg]) badRequest('invalid timestamp request: hashAlgorithm must be sha256, sha384 or sha512');
  if (typeof body.artifactHash !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(body.artifactHash)) {
    badRequest('invalid timestamp request: artifactHash must be a base64 digest');
  }
  let nonce: Buffer | undefined;
  if (body.nonce !== undefined && body.nonce !== null) {
    if (!Number.isSafeInteger(body.nonce) || (body.nonce as number) < 0) badRequest('invalid timestamp request: nonce must be a non-negative integer');
    nonce = Buffer.from(new asn1js.Integer({ value: body.nonce as number }).valueBlock.valueHexView);
  }
  if (body.certificates !== undefined && typeof body.certificates !== 'boolean') badRequest('invalid timestamp request: certificates must be a boolean');
  if (body.tsaPolicyOID !== undefined && (typeof body.tsaPolicyOID !== 'string' || !/^\d+(\.\d+)+$/.test(body.tsaPolicyOID))) {
    badRequest('invalid timestamp request: tsaPolicyOID must be an OID');
  }
  return {
    hashOid: names[alg]!,
    digest: Buffer.from(body.artifactHash as string, 'base64'),
    nonce,
    certReq: body.certificates === true,
    policy: body.tsaPolicyOID as string | undefined,
  };
}

export class Tsa {
  private readonly leaf: pkijs.Certificate;

  constructor(
    /** Leaf first, root last. */
    private readonly chain: Buffer[],
    private readonly key: KeyObject,
    readonly policy = TSA_POLICY,
  ) {
    this.leaf = pkijs.Certificate.fromBER(chain[0]!);
  }

  certChainPem(): string {
    return this.chain.map((c) => toPem(c, 'CERTIFICATE')).join('');
  }

  /** Issues a TimeStampResp (DER) for a checked request. */
  timestamp(req: TimestampRequest, now = new Date()): Buffer {
    const hash = HASHES[req.hashOid];
    if (!hash) badRequest(`invalid timestamp request: unsupported hash algorithm ${req.hashOid}`);
    if (req.digest.length !== hash.len) badRequest(`invalid timestamp request: the ${hash.name} digest must be ${hash.len} bytes, not ${req.digest.length}`);
    if (req.policy !== undefined && req.policy !== this.policy) badRequest(`invalid timestamp request: policy ${req.policy} is not accepted (this TSA uses ${this.policy})`);
    const genTime = new Date(Math.floor(now.getTime() / 1000) * 1000);

    const tst = new pkijs.TSTInfo({
      version: 1,
      policy: this.policy,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: req.hashOid }),
        hashedMessage: new asn1js.OctetString({ valueHex: toArrayBuffer(req.digest) }),
      }),
      serialNumber: new asn1js.Integer({ valueHex: toArrayBuffer(randomSerial()) }),
      genTime,
      accuracy: new pkijs.Accuracy({ seconds: 1 }),
      ordering: false,
      ...(req.nonce ? { nonce: new asn1js.Integer({ valueHex: toArrayBuffer(req.nonce) }) } : {}),
      tsa: new pkijs.GeneralName({ type: 4, value: this.leaf.subject }),
    });
    const tstDer = Buffer.from(tst.toSchema().toBER(false));

    const leafDer = this.chain[0]!;
    const essCertIdV2 = new asn1js.Sequence({
      value: [
        // hashAlgorithm omitted: DEFAULT sha256
        new asn1js.OctetString({ valueHex: toArrayBuffer(createHash('sha256').update(leafDer).digest()) }),
        new asn1js.Sequence({
          value: [
            new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: this.leaf.issuer })] }).toSchema(),
            new asn1js.Integer({ valueHex: this.leaf.serialNumber.valueBlock.valueHexView.slice().buffer }),
          ],
        }),
      ],
    });
    const attributes = [
      new pkijs.Attribute({ type: ID.contentType, values: [new asn1js.ObjectIdentifier({ value: ID.tstInfo })] }),
      new pkijs.Attribute({ type: ID.signingTime, values: [new asn1js.UTCTime({ valueDate: genTime })] }),
      new pkijs.Attribute({ type: ID.messageDigest, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(createHash('sha256').update(tstDer).digest()) })] }),
      new pkijs.Attribute({ type: ID.signingCertificateV2, values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })] }),
    ];
    // DER: SET OF sorted by encoding.
    const encoded = attributes.map((a) => ({ a, der: Buffer.from(a.toSchema().toBER(false)) }));
    encoded.sort((x, y) => Buffer.compare(x.der, y.der));
    const signedAttrs = encoded.map((e) => e.a);
    const setDer = Buffer.from(new asn1js.Set({ value: signedAttrs.map((a) => a.toSchema()) }).toBER(false));
    // One hash throughout (digestAlgorithm, messageDigest, signature): SHA-256, as Sigstore's TSA
    // does (verifiers differ in which of the two algorithm fields they take the hash from).
    const signature = nodeSign('sha256', setDer, this.key);

    const signerInfo = new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: this.leaf.issuer, serialNumber: this.leaf.serialNumber }),
      digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OIDS.sha256 }),
      signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: signedAttrs }),
      signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: this.key.asymmetricKeyType === 'ec' ? OIDS.ecdsaSha256 : OIDS.ed25519 }),
      signature: new asn1js.OctetString({ valueHex: toArrayBuffer(signature) }),
    });
    // SignedData is assembled with asn1js around pkijs parts: pkijs' EncapsulatedContentInfo
    // would write eContent as a constructed (BER) OCTET STRING, and a token must be DER.
    const ctx0 = (value: asn1js.BaseBlock[]) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value });
    const signedData = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 3 }),
        new asn1js.Set({ value: [new pkijs.AlgorithmIdentifier({ algorithmId: OIDS.sha256 }).toSchema()] }),
        new asn1js.Sequence({
          value: [new asn1js.ObjectIdentifier({ value: ID.tstInfo }), ctx0([new asn1js.OctetString({ valueHex: toArrayBuffer(tstDer) })])],
        }),
        ...(req.certReq ? [ctx0([pkijs.Certificate.fromBER(leafDer).toSchema()])] : []),
        new asn1js.Set({ value: [signerInfo.toSchema()] }),
      ],
    });
    const token = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: ID.signedData }), ctx0([signedData])] });
    const resp = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 })] }), token] });
    return Buffer.from(resp.toBER(false));
  }

  /** A fresh nonce, for clients of this module (tests). */
  static nonce(): Buffer {
    const b = randomBytes(8);
    b[0] = b[0]! & 0x7f;
    return b;
  }
}
