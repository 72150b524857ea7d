/**
 * Strict readers for CMS SignedData (RFC 5652) and RFC 3161 time-stamp tokens and responses,
 * built on the minimal DER reader. They only parse and check structure: signatures, digests
 * and trust are checked by the callers (src/verify/timestamp.ts).
 */
import { Der, DerError, Tag } from './der.js';
import { Certificate } from './x509.js';
import { freezeTimeStampToken } from './freeze.js';
import { remember } from './remember.js';

export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
} as const;

export interface AlgorithmIdentifier {
  oid: string;
  params: Der | undefined;
}

/** How a SignerInfo names its certificate. */
export type SignerIdentifier =
  | { kind: 'issuerAndSerialNumber'; issuer: Buffer; serial: bigint }
  | { kind: 'subjectKeyIdentifier'; keyId: Buffer };

export interface Attribute {
  oid: string;
  values: Der[];
}

export interface SignerInfo {
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmIdentifier;
  /** Signed attributes in order (empty when absent). */
  signedAttrs: Attribute[];
  /** DER of the signed attributes re-tagged as SET OF (0x31): the bytes the signature covers. */
  signedAttrsDer: Buffer | undefined;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Buffer;
}

export interface SignedData {
  version: number;
  digestAlgorithms: AlgorithmIdentifier[];
  eContentType: string;
  /** Contents of the eContent OCTET STRING, when present. */
  eContent: Buffer | undefined;
  certificates: Certificate[];
  signerInfos: SignerInfo[];
}

export interface TSTInfo {
  version: number;
  policy: string;
  messageImprint: { hashAlgorithm: AlgorithmIdentifier; hashedMessage: Buffer };
  serialNumber: bigint;
  genTime: Date;
  accuracy: { seconds: number; millis: number; micros: number } | undefined;
  ordering: boolean;
  nonce: bigint | undefined;
  /** The `tsa` GeneralName, undecoded. */
  tsa: Der | undefined;
  /** Full DER of the TSTInfo. */
  raw: Buffer;
}

/** A parsed RFC 3161 time-stamp token. */
export interface TimeStampToken {
  signedData: SignedData;
  tstInfo: TSTInfo;
  /** PKIStatus of the enclosing TimeStampResp, or undefined for a bare token. */
  status: number | undefined;
}

/** Bounds on what a token may carry: a TSA chain is a handful of certificates, one signer. */
export const MAX_CMS_CERTIFICATES = 10;
export const MAX_CMS_SIGNERS = 4;

function noMore(seq: Der, i: number, what: string): void {
  if (seq.children.length > i) throw new DerError(`${what} has unexpected trailing fields`, 'CMS_MALFORMED');
}

export function parseAlgorithmIdentifier(el: Der, what: string): AlgorithmIdentifier {
  el.expect(Tag.SEQUENCE, what);
  if (el.children.length < 1 || el.children.length > 2) throw new DerError(`${what}: bad AlgorithmIdentifier`, 'CMS_MALFORMED');
  return { oid: el.child(0).oid(), params: el.children[1] };
}

function parseAttributes(el: Der, what: string): Attribute[] {
  const out: Attribute[] = [];
  const seen = new Set<string>();
  for (const a of el.children) {
    a.expect(Tag.SEQUENCE, `${what} attribute`);
    if (a.children.length !== 2) throw new DerError(`${what}: bad Attribute`, 'CMS_MALFORMED');
    const oid = a.child(0).oid();
    if (seen.has(oid)) throw new DerError(`${what}: duplicate attribute ${oid}`, 'CMS_DUPLICATE_ATTRIBUTE');
    seen.add(oid);
    const values = a.child(1).expect(Tag.SET, `${what} attribute values`).children;
    if (values.length === 0) throw new DerError(`${what}: attribute ${oid} has no values`, 'CMS_MALFORMED');
    out.push({ oid, values });
  }
  return out;
}

function parseSignerInfo(el: Der): SignerInfo {
  el.expect(Tag.SEQUENCE, 'SignerInfo');
  let i = 0;
  const version = el.child(i++).int();
  const sidEl = el.child(i++);
  let sid: SignerIdentifier;
  if (sidEl.tag === Tag.SEQUENCE) {
    if (version !== 1) throw new DerError(`SignerInfo version ${version} with issuerAndSerialNumber (must be 1)`, 'CMS_VERSION');
    if (sidEl.children.length !== 2) throw new DerError('bad IssuerAndSerialNumber', 'CMS_MALFORMED');
    sid = {
      kind: 'issuerAndSerialNumber',
      issuer: sidEl.child(0).expect(Tag.SEQUENCE, 'IssuerAndSerialNumber.issuer').raw,
      serial: sidEl.child(1).bigint(),
    };
  } else if (sidEl.tag === 0x80) {
    if (version !== 3) throw new DerError(`SignerInfo version ${version} with subjectKeyIdentifier (must be 3)`, 'CMS_VERSION');
    sid = { kind: 'subjectKeyIdentifier', keyId: sidEl.value };
  } else {
    throw new DerError(`bad SignerIdentifier tag 0x${sidEl.tag.toString(16)}`, 'CMS_MALFORMED');
  }
  const digestAlgorithm = parseAlgorithmIdentifier(el.child(i++), 'SignerInfo.digestAlgorithm');
  let signedAttrs: Attribute[] = [];
  let signedAttrsDer: Buffer | undefined;
  if (el.child(i).tag === 0xa0) {
    const sa = el.child(i++);
    signedAttrs = parseAttributes(sa, 'signedAttrs');
    if (signedAttrs.length === 0) throw new DerError('signedAttrs is empty', 'CMS_MALFORMED');
    signedAttrsDer = Buffer.from(sa.raw);
    signedAttrsDer[0] = Tag.SET;
  }
  const signatureAlgorithm = parseAlgorithmIdentifier(el.child(i++), 'SignerInfo.signatureAlgorithm');
  const signature = el.child(i++).expect(Tag.OCTET_STRING, 'SignerInfo.signature').value;
  if (el.children[i]?.tag === 0xa1) {
    parseAttributes(el.child(i++), 'unsignedAttrs');
  }
  noMore(el, i, 'SignerInfo');
  return { version, sid, digestAlgorithm, signedAttrs, signedAttrsDer, signatureAlgorithm, signature };
}

/** Parses a SignedData SEQUENCE (RFC 5652 section 5.1). */
export function parseSignedData(el: Der): SignedData {
  el.expect(Tag.SEQUENCE, 'SignedData');
  let i = 0;
  const version = el.child(i++).int();
  if (![1, 3, 4, 5].includes(version)) throw new DerError(`unsupported SignedData version ${version}`, 'CMS_VERSION');
  const digestAlgorithms = el
    .child(i++)
    .expect(Tag.SET, 'SignedData.digestAlgorithms')
    .children.map((a) => parseAlgorithmIdentifier(a, 'SignedData.digestAlgorithms'));
  const eci = el.child(i++).expect(Tag.SEQUENCE, 'EncapsulatedContentInfo');
  const eContentType = eci.child(0).oid();
  let eContent: Buffer | undefined;
  if (eci.children.length >= 2) {
    const wrapper = eci.child(1).expect(0xa0, 'eContent');
    eContent = wrapper.inner().expect(Tag.OCTET_STRING, 'eContent').value;
  }
  noMore(eci, 2, 'EncapsulatedContentInfo');
  const certificates: Certificate[] = [];
  if (el.children[i]?.tag === 0xa0) {
    const certs = el.child(i++).children;
    if (certs.length > MAX_CMS_CERTIFICATES) throw new DerError(`SignedData carries ${certs.length} certificates (at most ${MAX_CMS_CERTIFICATES})`, 'CMS_TOO_MANY_CERTIFICATES');
    for (const c of certs) {
      if (c.tag !== Tag.SEQUENCE) throw new DerError(`unsupported CertificateChoices tag 0x${c.tag.toString(16)}`, 'CMS_MALFORMED');
      certificates.push(new Certificate(c.raw));
    }
  }
  if (el.children[i]?.tag === 0xa1) i++; // crls: not used
  const infos = el.child(i++).expect(Tag.SET, 'SignedData.signerInfos').children;
  if (infos.length > MAX_CMS_SIGNERS) throw new DerError(`SignedData has ${infos.length} signers (at most ${MAX_CMS_SIGNERS})`, 'CMS_TOO_MANY_SIGNERS');
  const signerInfos = infos.map(parseSignerInfo);
  noMore(el, i, 'SignedData');
  return { version, digestAlgorithms, eContentType, eContent, certificates, signerInfos };
}

/** Parses a ContentInfo whose content is SignedData (RFC 5652 section 3). */
export function parseContentInfoSignedData(el: Der): SignedData {
  el.expect(Tag.SEQUENCE, 'ContentInfo');
  if (el.children.length !== 2) throw new DerError('ContentInfo must have exactly two fields', 'CMS_MALFORMED');
  const type = el.child(0).oid();
  if (type !== CMS_OID.signedData) throw new DerError(`ContentInfo type ${type} is not SignedData`, 'CMS_CONTENT_TYPE');
  const content = el.child(1).expect(0xa0, 'ContentInfo.content');
  return parseSignedData(content.inner());
}

/** Parses a TSTInfo (RFC 3161 section 2.4.2). */
export function parseTSTInfo(der: Buffer): TSTInfo {
  const el = Der.parse(der).expect(Tag.SEQUENCE, 'TSTInfo');
  let i = 0;
  const version = el.child(i++).int();
  if (version !== 1) throw new DerError(`unsupported TSTInfo version ${version}`, 'CMS_VERSION');
  const policy = el.child(i++).oid();
  const mi = el.child(i++).expect(Tag.SEQUENCE, 'MessageImprint');
  if (mi.children.length !== 2) throw new DerError('MessageImprint must have exactly two fields', 'CMS_MALFORMED');
  const messageImprint = {
    hashAlgorithm: parseAlgorithmIdentifier(mi.child(0), 'MessageImprint.hashAlgorithm'),
    hashedMessage: mi.child(1).expect(Tag.OCTET_STRING, 'MessageImprint.hashedMessage').value,
  };
  const serialNumber = el.child(i++).bigint();
  const genTime = el.child(i++).expect(Tag.GENERALIZED_TIME, 'TSTInfo.genTime').date({ fraction: true });
  let accuracy: TSTInfo['accuracy'];
  if (el.children[i]?.tag === Tag.SEQUENCE) {
    accuracy = { seconds: 0, millis: 0, micros: 0 };
    let last = -2;
    for (const c of el.child(i++).children) {
      let order: number;
      if (c.tag === Tag.INTEGER) {
        order = -1;
        accuracy.seconds = c.int();
      } else if (c.tag === 0x80 || c.tag === 0x81) {
        order = c.tag & 1;
        const v = c.as(Tag.INTEGER).int();
        if (v < 1 || v > 999) throw new DerError('Accuracy millis/micros out of range', 'CMS_MALFORMED');
        if (c.tag === 0x80) accuracy.millis = v;
        else accuracy.micros = v;
      } else {
        throw new DerError(`bad Accuracy field tag 0x${c.tag.toString(16)}`, 'CMS_MALFORMED');
      }
      if (order <= last) throw new DerError('Accuracy fields out of order', 'CMS_MALFORMED');
      last = order;
    }
  }
  let ordering = false;
  if (el.children[i]?.tag === Tag.BOOLEAN) {
    ordering = el.child(i++).bool();
    if (!ordering) throw new DerError('TSTInfo encodes the default ordering=FALSE', 'CMS_MALFORMED');
  }
  let nonce: bigint | undefined;
  if (el.children[i]?.tag === Tag.INTEGER) nonce = el.child(i++).bigint();
  let tsa: Der | undefined;
  if (el.children[i]?.tag === 0xa0) tsa = el.child(i++).inner();
  if (el.children[i]?.tag === 0xa1) i++; // extensions
  noMore(el, i, 'TSTInfo');
  return { version, policy, messageImprint, serialNumber, genTime, accuracy, ordering, nonce, tsa, raw: el.raw };
}

/**
 * Tokens parsed lately, by their bytes: a signer checks the TSA's answer, then verifies the
 * bundle that carries it. Each was parsed from a private copy, so a caller that changes its
 * buffer afterwards changes nothing here, and is frozen (its time read as a copy), so no holder
 * changes another's. Only tokens that parsed are kept.
 */
const recentTokens = new Map<string, TimeStampToken>();
const RECENT_TOKENS = 64;

/**
 * Parses an RFC 3161 time-stamp token: either a TimeStampResp (status and token, the form
 * Sigstore bundles carry) or a bare TimeStampToken ContentInfo. Checks the response status is
 * granted (0) or grantedWithMods (1), that the encapsulated content is a TSTInfo, and parses it.
 */
export function parseTimeStampToken(der: Buffer): TimeStampToken {
  return remember(recentTokens, RECENT_TOKENS, der.toString('latin1'), () => freezeTimeStampToken(parseToken(Buffer.from(der))));
}

function parseToken(der: Buffer): TimeStampToken {
  const top = Der.parse(der).expect(Tag.SEQUENCE, 'time-stamp token');
  let status: number | undefined;
  let contentInfo = top;
  if (top.child(0).tag === Tag.SEQUENCE) {
    // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
    const si = top.child(0);
    status = si.child(0).int();
    if (status !== 0 && status !== 1) throw new DerError(`time-stamp response status is ${status} (not granted)`, 'CMS_STATUS_NOT_GRANTED');
    if (si.children.length > 3) throw new DerError('PKIStatusInfo has unexpected trailing fields', 'CMS_MALFORMED');
    if (top.children.length !== 2) throw new DerError('TimeStampResp has no token, or unexpected trailing fields', 'CMS_MALFORMED');
    contentInfo = top.child(1);
  }
  const signedData = parseContentInfoSignedData(contentInfo);
  if (signedData.eContentType !== CMS_OID.tstInfo) {
    throw new DerError(`encapsulated content type is ${signedData.eContentType}, not id-ct-TSTInfo`, 'CMS_CONTENT_TYPE');
  }
  if (!signedData.eContent) throw new DerError('time-stamp token has no encapsulated TSTInfo', 'CMS_MALFORMED');
  return { signedData, tstInfo: parseTSTInfo(signedData.eContent), status };
}
