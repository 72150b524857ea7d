/**
 * X.509 certificates read with the minimal DER reader: the fields verification needs, the raw
 * bytes to check signatures over, and Sigstore's Fulcio extensions.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { Der, DerError, Tag } from './der.js';
import { verifySignature } from './signature.js';
import { remember } from './remember.js';

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  ctPoison: '1.3.6.1.4.1.11129.2.4.3',
  fulcioOtherName: '1.3.6.1.4.1.57264.1.7',
} as const;

/**
 * Parsed public keys by SPKI DER: parsing a key costs about half a millisecond in OpenSSL 3,
 * and the same keys (Fulcio leaves re-verified, CA and log keys) recur across bundles.
 */
const KEY_CACHE_MAX = 2048;
const keyCache = new Map<string, KeyObject>();

/**
 * Checks that `spki` has the shape of a SubjectPublicKeyInfo (SEQUENCE { AlgorithmIdentifier,
 * BIT STRING }, nothing after it) without handing it to OpenSSL: trust material checks its
 * keys' shape when parsed and imports them when first used (see {@link spkiToKey}).
 */
export function checkSpkiShape(spki: Buffer): void {
  const el = Der.parse(spki).expect(Tag.SEQUENCE, 'SubjectPublicKeyInfo');
  if (el.children.length !== 2) throw new DerError('SubjectPublicKeyInfo must have an algorithm and a key');
  const alg = el.child(0).expect(Tag.SEQUENCE, 'AlgorithmIdentifier');
  if (alg.children.length < 1 || alg.children.length > 2) throw new DerError('malformed AlgorithmIdentifier');
  alg.child(0).oid();
  el.child(1).bits();
}

/** Parses a SubjectPublicKeyInfo, reusing an already parsed identical key. */
export function spkiToKey(spki: Buffer): KeyObject {
  return remember(keyCache, KEY_CACHE_MAX, spki.toString('base64'), () => createPublicKey({ key: spki, format: 'der', type: 'spki' }));
}

/** Signature checks of one certificate by another (by both DER fingerprints), see isIssuedBy. */
const ISSUED_CACHE_MAX = 4096;
const issuedCache = new Map<string, boolean>();

/** A subject alternative name. */
export interface SubjectAltName {
  type: 'email' | 'uri' | 'dns' | 'ip' | 'otherName';
  value: string;
  /** For `otherName`: its type OID. */
  oid?: string;
}

export interface Extension {
  oid: string;
  critical: boolean;
  value: Buffer;
  /** Full DER of the Extension SEQUENCE. */
  raw: Buffer;
}

/** One X.509 certificate, parsed once. */
export class Certificate {
  readonly raw: Buffer;
  readonly tbsRaw: Buffer;
  readonly tbs: Der;
  readonly version: number;
  readonly serial: bigint;
  readonly signatureAlgorithm: string;
  readonly signatureParams: Der | undefined;
  readonly signature: Buffer;
  readonly issuerRaw: Buffer;
  readonly subjectRaw: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Buffer;
  readonly extensions: Extension[];
  /** Private fields, so that a frozen certificate (src/lib/freeze.ts) still fills them in. */
  #key: KeyObject | undefined;

  constructor(der: Buffer) {
    const cert = Der.parse(der).expect(Tag.SEQUENCE, 'Certificate');
    this.raw = cert.raw;
    const tbs = cert.child(0).expect(Tag.SEQUENCE, 'TBSCertificate');
    this.tbs = tbs;
    this.tbsRaw = tbs.raw;
    const alg = cert.child(1).expect(Tag.SEQUENCE, 'signatureAlgorithm');
    this.signatureAlgorithm = alg.child(0).oid();
    this.signatureParams = alg.children[1];
    this.signature = cert.child(2).bits();
    if (cert.children.length !== 3) throw new DerError('Certificate has extra fields');

    let i = 0;
    let version = 1;
    if (tbs.child(0).tag === 0xa0) {
      version = tbs.child(0).inner().int() + 1;
      i++;
    }
    this.version = version;
    this.serial = tbs.child(i++).bigint();
    i++; // inner signature algorithm
    this.issuerRaw = tbs.child(i++).expect(Tag.SEQUENCE, 'issuer').raw;
    const validity = tbs.child(i++).expect(Tag.SEQUENCE, 'validity');
    this.notBefore = validity.child(0).date();
    this.notAfter = validity.child(1).date();
    this.subjectRaw = tbs.child(i++).expect(Tag.SEQUENCE, 'subject').raw;
    this.spki = tbs.child(i++).expect(Tag.SEQUENCE, 'subjectPublicKeyInfo').raw;
    this.extensions = [];
    for (const el of tbs.children.slice(i)) {
      if (el.tag !== 0xa3) continue;
      const seen = new Set<string>();
      for (const ext of el.inner().expect(Tag.SEQUENCE, 'extensions').children) {
        ext.expect(Tag.SEQUENCE, 'Extension');
        const oid = ext.child(0).oid();
        if (seen.has(oid)) throw new DerError(`duplicate certificate extension ${oid}`);
        seen.add(oid);
        const critical = ext.children.length === 3 ? ext.child(1).bool() : false;
        const value = ext.child(ext.children.length - 1).expect(Tag.OCTET_STRING, 'extnValue').value;
        this.extensions.push({ oid, critical, value, raw: ext.raw });
      }
    }
  }

  static fromPEM(pem: string): Certificate {
    const m = pem.match(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/);
    if (!m) throw new DerError('no PEM certificate found');
    return new Certificate(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  }

  /** All certificates in a PEM text, in order. */
  static allFromPEM(pem: string): Certificate[] {
    const out: Certificate[] = [];
    for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
      out.push(new Certificate(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
    }
    return out;
  }

  toPEM(): string {
    const b64 = this.raw.toString('base64').replace(/(.{64})/g, '$1\n');
    return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
  }

  get publicKey(): KeyObject {
    this.#key ??= spkiToKey(this.spki);
    return this.#key;
  }

  extension(oid: string): Extension | undefined {
    return this.extensions.find((e) => e.oid === oid);
  }

  #fp: string | undefined;

  /** SHA-256 of the DER, hex. */
  get fingerprint(): string {
    this.#fp ??= createHash('sha256').update(this.raw).digest('hex');
    return this.#fp;
  }

  /**
   * Whether `issuer` signed this certificate (signature check and name chaining). The answer is
   * a pure function of the two certificates' bytes, so it is remembered across bundles (a
   * P-384 check costs about 2 ms; the same CA and TSA chains recur in every bundle).
   */
  isIssuedBy(issuer: Certificate): boolean {
    if (!this.issuerRaw.equals(issuer.subjectRaw)) return false;
    return remember(issuedCache, ISSUED_CACHE_MAX, `${this.fingerprint}>${issuer.fingerprint}`, () => this.verifySignature(issuer.publicKey));
  }

  verifySignature(key: KeyObject): boolean {
    return verifySignature(key, this.tbsRaw, this.signature, this.signatureAlgorithm, this.signatureParams);
  }

  get isSelfSigned(): boolean {
    return this.issuerRaw.equals(this.subjectRaw) && this.verifySignature(this.publicKey);
  }

  validAt(t: Date): boolean {
    return t.getTime() >= this.notBefore.getTime() && t.getTime() <= this.notAfter.getTime();
  }

  /** BasicConstraints: `{ ca, pathLen }`, or undefined when absent. */
  get basicConstraints(): { ca: boolean; pathLen: number | undefined } | undefined {
    const ext = this.extension(OID.basicConstraints);
    if (!ext) return undefined;
    const seq = Der.parse(ext.value).expect(Tag.SEQUENCE, 'BasicConstraints');
    let ca = false;
    let pathLen: number | undefined;
    for (const c of seq.children) {
      if (c.tag === Tag.BOOLEAN) ca = c.bool();
      else if (c.tag === Tag.INTEGER) pathLen = c.int();
    }
    return { ca, pathLen };
  }

  get isCA(): boolean {
    return this.basicConstraints?.ca === true;
  }

  /** KeyUsage bits by name, or undefined when absent. */
  get keyUsage(): { digitalSignature: boolean; keyCertSign: boolean; crlSign: boolean } | undefined {
    const ext = this.extension(OID.keyUsage);
    if (!ext) return undefined;
    const bits = Der.parse(ext.value).bits();
    const b0 = bits[0] ?? 0;
    return { digitalSignature: (b0 & 0x80) !== 0, keyCertSign: (b0 & 0x04) !== 0, crlSign: (b0 & 0x02) !== 0 };
  }

  /** Extended key usage OIDs (empty when the extension is absent). */
  get extKeyUsage(): string[] {
    const ext = this.extension(OID.extKeyUsage);
    if (!ext) return [];
    return Der.parse(ext.value)
      .expect(Tag.SEQUENCE, 'ExtKeyUsage')
      .children.map((c) => c.oid());
  }

  get subjectKeyId(): Buffer | undefined {
    const ext = this.extension(OID.subjectKeyIdentifier);
    return ext ? Der.parse(ext.value).expect(Tag.OCTET_STRING, 'SubjectKeyIdentifier').value : undefined;
  }

  get authorityKeyId(): Buffer | undefined {
    const ext = this.extension(OID.authorityKeyIdentifier);
    if (!ext) return undefined;
    const kid = Der.parse(ext.value).children.find((c) => c.tag === 0x80);
    return kid?.value;
  }

  get subjectAltNames(): SubjectAltName[] {
    const ext = this.extension(OID.subjectAltName);
    if (!ext) return [];
    const out: SubjectAltName[] = [];
    for (const gn of Der.parse(ext.value).expect(Tag.SEQUENCE, 'SubjectAltName').children) {
      switch (gn.tag) {
        case 0x81:
          out.push({ type: 'email', value: gn.value.toString('utf8') });
          break;
        case 0x82:
          out.push({ type: 'dns', value: gn.value.toString('utf8') });
          break;
        case 0x86:
          out.push({ type: 'uri', value: gn.value.toString('utf8') });
          break;
        case 0x87:
          out.push({ type: 'ip', value: [...gn.value].join('.') });
          break;
        case 0xa0: {
          // otherName: type-id OID, [0] EXPLICIT value (a UTF8String for Fulcio's username SAN)
          const oid = gn.child(0).oid();
          const v = gn.child(1).inner();
          out.push({ type: 'otherName', oid, value: v.value.toString('utf8') });
          break;
        }
        default:
          break;
      }
    }
    return out;
  }
}
