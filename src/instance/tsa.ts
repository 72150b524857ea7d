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
import { Der, DerError, encode, Tag } from '../lib/der.js';
import { Certificate } from '../lib/x509.js';
import { ctx, int, octets, oid, seq, set } from '../lib/der-write.js';
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

/** Parses and checks a DER TimeStampReq (RFC 3161 section 2.4.1). */
export function parseTimestampQuery(der: Buffer): TimestampRequest {
  if (der.length === 0) badRequest('invalid timestamp query: the request body is empty');
  let root: Der;
  try {
    root = Der.parse(der);
  } catch {
    return badRequest('invalid timestamp query: the body is not a single DER structure');
  }
  try {
    const kids = root.expect(Tag.SEQUENCE, 'TimeStampReq').children;
    const version = kids[0]?.expect(Tag.INTEGER, 'version').int();
    const imprint = kids[1]?.expect(Tag.SEQUENCE, 'messageImprint');
    if (version === undefined || imprint === undefined) throw new DerError('version and messageImprint are required');
    if (version !== 1) badRequest(`invalid timestamp query: version ${version} is not 1`);
    const hashOid = imprint.child(0).expect(Tag.SEQUENCE, 'hashAlgorithm').child(0).expect(Tag.OID, 'hashAlgorithm').oid();
    const digest = Buffer.from(imprint.child(1).expect(Tag.OCTET_STRING, 'hashedMessage').value);
    let policy: string | undefined;
    let nonce: Buffer | undefined;
    let certReq = false;
    let i = 2;
    if (kids[i]?.tag === Tag.OID) policy = kids[i++]!.oid();
    if (kids[i]?.tag === Tag.INTEGER) nonce = Buffer.from(kids[i++]!.value);
    if (kids[i]?.tag === Tag.BOOLEAN) certReq = kids[i++]!.bool();
    if (kids[i]?.tag === 0xa0) badRequest('invalid timestamp query: request extensions are not supported');
    if (i !== kids.length) throw new DerError('unexpected fields after certReq');
    return { hashOid, digest, nonce, certReq, policy };
  } catch (e) {
    if (e instanceof DerError) return badRequest(`invalid timestamp query: not a TimeStampReq (${e.message})`);
    throw e;
  }
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
    nonce = int(body.nonce as number).subarray(2); // the INTEGER's content bytes
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

/** GeneralizedTime, whole seconds, UTC (`YYYYMMDDHHMMSSZ`). */
function generalizedTime(d: Date): Buffer {
  return encode(Tag.GENERALIZED_TIME, Buffer.from(`${d.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));
}

/** UTCTime (`YYMMDDHHMMSSZ`), for the signingTime attribute (dates before 2050). */
function utcTime(d: Date): Buffer {
  return encode(Tag.UTC_TIME, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));
}

/** An Attribute: SEQUENCE { type OID, values SET OF }. */
const attribute = (type: string, value: Buffer): Buffer => seq(oid(type), set(value));

/**
 * An RFC 3161 timestamp authority. Tokens are assembled directly in DER; what never changes (the
 * TSA name, the signer identifier, the signingCertificateV2 attribute) is encoded once.
 */
export class Tsa {
  readonly #key: KeyObject;
  readonly #tsaName: Buffer;
  readonly #sid: Buffer;
  readonly #signingCertificate: Buffer;
  readonly #policyOid: Buffer;
  readonly #signatureAlgorithm: Buffer;

  constructor(
    /** Leaf first, root last. */
    private readonly chain: Buffer[],
    key: KeyObject,
    readonly policy = TSA_POLICY,
  ) {
    this.#key = key;
    const leaf = new Certificate(chain[0]!);
    const tbs = leaf.tbs.children;
    const serial = tbs[tbs[0]!.tag === 0xa0 ? 1 : 0]!.raw;
    // tsa [0] GeneralName: directoryName [4] (EXPLICIT: Name is a CHOICE).
    this.#tsaName = ctx(0, encode(0xa4, leaf.subjectRaw));
    this.#sid = seq(leaf.issuerRaw, serial);
    // ESSCertIDv2 { certHash (SHA-256, the DEFAULT hashAlgorithm, omitted), issuerSerial { GeneralNames, serial } }.
    const essCertIdV2 = seq(octets(createHash('sha256').update(chain[0]!).digest()), seq(seq(encode(0xa4, leaf.issuerRaw)), serial));
    this.#signingCertificate = attribute(ID.signingCertificateV2, seq(seq(essCertIdV2)));
    this.#policyOid = oid(policy);
    this.#signatureAlgorithm = seq(oid(key.asymmetricKeyType === 'ec' ? OIDS.ecdsaSha256 : OIDS.ed25519));
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

    // TSTInfo { version, policy, messageImprint, serialNumber, genTime, accuracy, ordering (DEFAULT false: omitted), nonce?, tsa [0] }
    const tstDer = seq(
      int(1),
      this.#policyOid,
      seq(seq(oid(req.hashOid)), octets(req.digest)),
      encode(Tag.INTEGER, randomSerial()),
      generalizedTime(genTime),
      seq(int(1)), // Accuracy { seconds 1 }
      ...(req.nonce ? [encode(Tag.INTEGER, req.nonce)] : []),
      this.#tsaName,
    );
    // DER: a SET OF is sorted by encoding.
    const attributes = [
      attribute(ID.contentType, oid(ID.tstInfo)),
      attribute(ID.signingTime, utcTime(genTime)),
      attribute(ID.messageDigest, octets(createHash('sha256').update(tstDer).digest())),
      this.#signingCertificate,
    ].sort(Buffer.compare);
    // One hash throughout (digestAlgorithm, messageDigest, signature): SHA-256, as Sigstore's TSA
    // does (verifiers differ in which of the two algorithm fields they take the hash from).
    const signature = nodeSign('sha256', set(...attributes), this.#key);
    const sha256 = seq(oid(OIDS.sha256));
    // SignerInfo { version 1, sid, digestAlgorithm, signedAttrs [0] IMPLICIT, signatureAlgorithm, signature }
    const signerInfo = seq(int(1), this.#sid, sha256, ctx(0, ...attributes), this.#signatureAlgorithm, octets(signature));
    // SignedData { version 3, digestAlgorithms, encapContentInfo, certificates [0]?, signerInfos }
    const signedData = seq(int(3), set(sha256), seq(oid(ID.tstInfo), ctx(0, octets(tstDer))), ...(req.certReq ? [ctx(0, this.chain[0]!)] : []), set(signerInfo));
    // TimeStampResp { status { granted }, timeStampToken ContentInfo }
    return seq(seq(int(0)), seq(oid(ID.signedData), ctx(0, signedData)));
  }

  /** A fresh nonce, for clients of this module (tests). */
  static nonce(): Buffer {
    const b = randomBytes(8);
    b[0] = b[0]! & 0x7f;
    return b;
  }
}
