/**
 * X.509 certificate building for the instance's CAs (Fulcio, TSA) with pkijs/asn1js: names,
 * the usual extensions, and signing the TBSCertificate with a node:crypto key.
 */
import { createHash, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { spki as spkiOf } from './keys.js';

export const OIDS = {
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ctPoison: '1.3.6.1.4.1.11129.2.4.3',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ed25519: '1.3.101.112',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** A distinguished name as (organization, common name); empty for Fulcio leaves. */
export interface DnSpec {
  organization?: string;
  commonName?: string;
}

/**
 * A Name with one attribute per RDN (O, then CN), like Fulcio's. pkijs would put all attributes
 * in one multi-valued RDN, so the SEQUENCE OF SET is built here and handed to pkijs as DER.
 */
export function buildName(dn: DnSpec): pkijs.RelativeDistinguishedNames {
  const rdns: asn1js.Set[] = [];
  const add = (type: string, value: string) =>
    rdns.push(new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value: new asn1js.PrintableString({ value }) }).toSchema()] }));
  if (dn.organization !== undefined) add(OIDS.organization, dn.organization);
  if (dn.commonName !== undefined) add(OIDS.commonName, dn.commonName);
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

/** The signature algorithm a CA key signs with, and the hash it uses. */
export function signatureAlgorithm(key: KeyObject): { oid: string; hash: 'sha256' | 'sha384' | null } {
  if (key.asymmetricKeyType === 'ed25519') return { oid: OIDS.ed25519, hash: null };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return { oid: OIDS.ecdsaSha384, hash: 'sha384' };
  return { oid: OIDS.ecdsaSha256, hash: 'sha256' };
}

/** Signs `data` the way X.509 and CMS expect for `key` (DER ECDSA, or raw Ed25519). */
export function caSign(key: KeyObject, data: Buffer): Buffer {
  return nodeSign(signatureAlgorithm(key).hash, data, key);
}

/** A positive 20-byte serial number. */
export function randomSerial(): Buffer {
  const b = randomBytes(20);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b;
}

function time(d: Date): pkijs.Time {
  const t = new Date(Math.floor(d.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: t.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value: t });
}

export function ext(oid: string, critical: boolean, value: Buffer | ArrayBuffer): pkijs.Extension {
  const v = value instanceof ArrayBuffer ? value : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  return new pkijs.Extension({ extnID: oid, critical, extnValue: v as ArrayBuffer });
}

function der(v: asn1js.BaseBlock): Buffer {
  return Buffer.from(v.toBER(false));
}

/** KeyUsage: `bits` are the KeyUsage bit numbers (0 = digitalSignature, 5 = keyCertSign, 6 = cRLSign). */
export function keyUsageExt(bits: number[]): pkijs.Extension {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b;
  let unused = 0;
  while (unused < 7 && (v & (1 << unused)) === 0) unused++;
  return ext(OIDS.keyUsage, true, der(new asn1js.BitString({ valueHex: new Uint8Array([v]), unusedBits: unused })));
}

export function extKeyUsageExt(oids: string[], critical: boolean): pkijs.Extension {
  return ext(OIDS.extKeyUsage, critical, der(new asn1js.Sequence({ value: oids.map((o) => new asn1js.ObjectIdentifier({ value: o })) })));
}

export function basicConstraintsExt(ca: boolean, pathLen?: number): pkijs.Extension {
  const value: asn1js.BaseBlock[] = [];
  if (ca) value.push(new asn1js.Boolean({ value: true }));
  if (ca && pathLen !== undefined) value.push(new asn1js.Integer({ value: pathLen }));
  return ext(OIDS.basicConstraints, true, der(new asn1js.Sequence({ value })));
}

/** RFC 5280 key identifier: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const info = pkijs.PublicKeyInfo.fromBER(spkiDer);
  return createHash('sha1').update(Buffer.from(info.subjectPublicKey.valueBlock.valueHexView)).digest();
}

export function subjectKeyIdExt(spkiDer: Buffer): pkijs.Extension {
  return ext(OIDS.subjectKeyIdentifier, false, der(new asn1js.OctetString({ valueHex: keyIdentifier(spkiDer) })));
}

export function authorityKeyIdExt(issuerSpki: Buffer): pkijs.Extension {
  const aki = new asn1js.Sequence({
    value: [new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: keyIdentifier(issuerSpki) })],
  });
  return ext(OIDS.authorityKeyIdentifier, false, der(aki));
}

/** SubjectAltName with one email (rfc822Name) or URI. */
export function sanExt(kind: 'email' | 'uri', value: string, critical: boolean): pkijs.Extension {
  const gn = new pkijs.GeneralName({ type: kind === 'email' ? 1 : 6, value });
  return ext(OIDS.subjectAltName, critical, der(new pkijs.GeneralNames({ names: [gn] }).toSchema()));
}

/** An extension whose value is a DER UTF8String. */
export function utf8Ext(oid: string, value: string): pkijs.Extension {
  return ext(oid, false, der(new asn1js.Utf8String({ value })));
}

/** An extension whose value is the raw UTF-8 bytes (Fulcio's deprecated 1.3.6.1.4.1.57264.1.1-1.6). */
export function rawExt(oid: string, value: string): pkijs.Extension {
  return ext(oid, false, Buffer.from(value, 'utf8'));
}

export interface CertSpec {
  serial: Buffer;
  subject: DnSpec;
  issuer: DnSpec;
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo DER of the certified key. */
  spki: Buffer;
  extensions: pkijs.Extension[];
  /** The issuer's private key. */
  signer: KeyObject;
}

/** Builds the unsigned certificate (pkijs object) for `spec`. */
export function buildTbs(spec: CertSpec): pkijs.Certificate {
  const alg = signatureAlgorithm(spec.signer);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: spec.serial });
  cert.signature = new pkijs.AlgorithmIdentifier({ algorithmId: alg.oid });
  cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: alg.oid });
  cert.issuer = buildName(spec.issuer);
  cert.subject = buildName(spec.subject);
  cert.notBefore = time(spec.notBefore);
  cert.notAfter = time(spec.notAfter);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(spec.spki);
  cert.extensions = spec.extensions;
  return cert;
}

/** DER of the TBSCertificate. */
export function tbsDer(cert: pkijs.Certificate): Buffer {
  return Buffer.from(cert.encodeTBS().toBER(false));
}

/** Signs the certificate with `signer` and returns its DER. */
export function signCertificate(cert: pkijs.Certificate, signer: KeyObject): Buffer {
  const tbs = tbsDer(cert);
  cert.tbsView = new Uint8Array(tbs);
  const sig = caSign(signer, tbs);
  cert.signatureValue = new asn1js.BitString({ valueHex: sig });
  return Buffer.from(cert.toSchema(true).toBER(false));
}

export function issueCertificate(spec: CertSpec): Buffer {
  return signCertificate(buildTbs(spec), spec.signer);
}

/** A CA certificate (self-signed when `issuerKey` is its own key). */
export function caCertificate(opts: {
  subject: DnSpec;
  issuer: DnSpec;
  key: KeyObject;
  issuerKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  pathLen?: number;
  eku?: string[];
}): Buffer {
  const pub = spkiOf(opts.key);
  const extensions = [keyUsageExt([5, 6]), basicConstraintsExt(true, opts.pathLen), subjectKeyIdExt(pub)];
  if (opts.eku) extensions.splice(1, 0, extKeyUsageExt(opts.eku, false));
  if (opts.issuerKey !== opts.key) extensions.push(authorityKeyIdExt(spkiOf(opts.issuerKey)));
  else extensions.push(authorityKeyIdExt(pub));
  return issueCertificate({
    serial: randomSerial(),
    subject: opts.subject,
    issuer: opts.issuer,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    spki: pub,
    extensions,
    signer: opts.issuerKey,
  });
}

/** Parses certificate DER with pkijs. */
export function parseCert(derBytes: Buffer): pkijs.Certificate {
  return pkijs.Certificate.fromBER(derBytes);
}
