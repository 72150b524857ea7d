/**
 * X.509 certificates read with the minimal DER reader: the fields verification needs, the raw
 * bytes to check signatures over, and Sigstore's Fulcio extensions.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { Der, DerError, Tag } from './der.js';
import { noteKeySpki, verifySignature } from './signature.js';
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
  checkSpki(Der.parse(spki));
}

/** Parses a SubjectPublicKeyInfo, reusing an already parsed identical key. */
export function spkiToKey(spki: Buffer): KeyObject {
  return remember(keyCache, KEY_CACHE_MAX, spki.toString('base64'), () => noteKeySpki(checkKeyBounds(createPublicKey({ key: spki, format: 'der', type: 'spki' })), spki));
}

/** RSA moduli of 1024 to 8192 bits (Go refuses below 1024), exponents odd and below 2^31 (as Go's crypto/rsa). */
export const RSA_BOUNDS = { minBits: 1024, maxBits: 8192, maxExponent: 2n ** 31n - 1n } as const;

/**
 * Refuses RSA keys whose size or exponent makes one signature check cost far more than any real
 * key does (a 2^4096 exponent costs milliseconds per check), before any signature work.
 */
export function checkKeyBounds(key: KeyObject): KeyObject {
  const t = key.asymmetricKeyType;
  if (t === 'rsa' || t === 'rsa-pss') {
    const { modulusLength = 0, publicExponent = 0n } = key.asymmetricKeyDetails ?? {};
    if (modulusLength < RSA_BOUNDS.minBits || modulusLength > RSA_BOUNDS.maxBits) {
      throw new DerError(`RSA key of ${modulusLength} bits (supported: ${RSA_BOUNDS.minBits} to ${RSA_BOUNDS.maxBits})`, 'X509_RSA_KEY_BOUNDS');
    }
    if (publicExponent < 3n || publicExponent > RSA_BOUNDS.maxExponent || publicExponent % 2n === 0n) {
      throw new DerError('RSA public exponent is even, below 3 or above 2^31-1', 'X509_RSA_KEY_BOUNDS');
    }
  }
  return key;
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

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }. */
function algorithm(el: Der, what: string): Der {
  el.expect(Tag.SEQUENCE, what);
  if (el.children.length < 1 || el.children.length > 2) throw new DerError(`${what}: malformed AlgorithmIdentifier`, 'X509_MALFORMED');
  el.child(0).oid();
  return el;
}

/** SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING (whole octets) }. */
function checkSpki(el: Der): void {
  el.expect(Tag.SEQUENCE, 'SubjectPublicKeyInfo');
  if (el.children.length !== 2) throw new DerError('SubjectPublicKeyInfo must have an algorithm and a key', 'X509_MALFORMED');
  algorithm(el.child(0), 'SubjectPublicKeyInfo.algorithm');
  el.child(1).bits();
}

/**
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, each
 * SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. In DER a
 * DEFAULT value is omitted, so an explicit FALSE is refused, as are duplicates.
 */
function parseExtensions(wrapper: Der): Extension[] {
  const seq = wrapper.inner().expect(Tag.SEQUENCE, 'extensions');
  if (seq.children.length === 0) throw new DerError('empty extensions', 'X509_EXTENSION_INVALID');
  const out: Extension[] = [];
  const seen = new Set<string>();
  for (const ext of seq.children) {
    ext.expect(Tag.SEQUENCE, 'Extension');
    const n = ext.children.length;
    if (n !== 2 && n !== 3) throw new DerError('Extension must have two or three fields', 'X509_EXTENSION_INVALID');
    const oid = ext.child(0).oid();
    if (seen.has(oid)) throw new DerError(`duplicate certificate extension ${oid}`, 'X509_EXTENSION_DUPLICATE');
    seen.add(oid);
    let critical = false;
    if (n === 3) {
      critical = ext.child(1).bool();
      if (!critical) throw new DerError(`extension ${oid} encodes the default critical=FALSE`, 'X509_EXTENSION_INVALID');
    }
    const value = ext.child(n - 1).expect(Tag.OCTET_STRING, 'extnValue').value;
    out.push({ oid, critical, value, raw: ext.raw });
  }
  return out;
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
    if (cert.children.length !== 3) throw new DerError('Certificate must have exactly three fields', 'X509_MALFORMED');
    const tbs = cert.child(0).expect(Tag.SEQUENCE, 'TBSCertificate');
    this.tbs = tbs;
    this.tbsRaw = tbs.raw;
    const alg = algorithm(cert.child(1), 'signatureAlgorithm');
    this.signatureAlgorithm = alg.child(0).oid();
    this.signatureParams = alg.children[1];
    this.signature = cert.child(2).bits();

    const f = tbs.children;
    let i = 0;
    let version = 1;
    if (f[0]?.tag === 0xa0) {
      const v = f[0].inner().int();
      // DER omits a DEFAULT value: an explicit v1 is not DER.
      if (v !== 1 && v !== 2) throw new DerError(`unsupported certificate version field ${v}`, 'X509_VERSION');
      version = v + 1;
      i++;
    }
    this.version = version;
    this.serial = tbs.child(i++).bigint();
    // RFC 5280 4.1.2.2: a positive integer.
    if (this.serial <= 0n) throw new DerError('certificate serial number is not positive', 'X509_SERIAL');
    const inner = algorithm(tbs.child(i++), 'TBSCertificate.signature');
    // RFC 5280 4.1.1.2: the same algorithm identifier as the outer signatureAlgorithm.
    if (!inner.raw.equals(alg.raw)) throw new DerError('TBSCertificate.signature differs from signatureAlgorithm', 'X509_SIGNATURE_ALGORITHM_MISMATCH');
    this.issuerRaw = tbs.child(i++).expect(Tag.SEQUENCE, 'issuer').raw;
    const validity = tbs.child(i++).expect(Tag.SEQUENCE, 'validity');
    if (validity.children.length !== 2) throw new DerError('Validity must have exactly two times', 'X509_MALFORMED');
    this.notBefore = validity.child(0).date();
    this.notAfter = validity.child(1).date();
    this.subjectRaw = tbs.child(i++).expect(Tag.SEQUENCE, 'subject').raw;
    const spki = tbs.child(i++);
    checkSpki(spki);
    this.spki = spki.raw;
    // issuerUniqueID [1] and subjectUniqueID [2] (v2 or v3), then extensions [3] (v3), in order, once.
    for (const tag of [0x81, 0x82]) {
      if (f[i]?.tag !== tag) continue;
      if (version < 2) throw new DerError('unique identifiers require a v2 or v3 certificate', 'X509_VERSION');
      const id = f[i++]!; // [n] IMPLICIT BIT STRING
      id.as(Tag.BIT_STRING).bitString();
    }
    this.extensions = [];
    if (f[i]?.tag === 0xa3) {
      if (version !== 3) throw new DerError('extensions require a v3 certificate', 'X509_VERSION');
      this.extensions = parseExtensions(f[i++]!);
    }
    if (i !== f.length) throw new DerError('TBSCertificate has unexpected trailing fields', 'X509_TRAILING_FIELDS');
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
    // SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
    const kids = Der.parse(ext.value).expect(Tag.SEQUENCE, 'BasicConstraints').children;
    let i = 0;
    let ca = false;
    let pathLen: number | undefined;
    if (kids[i]?.tag === Tag.BOOLEAN) {
      ca = kids[i++]!.bool();
      if (!ca) throw new DerError('BasicConstraints encodes the default cA=FALSE', 'X509_EXTENSION_INVALID');
    }
    if (kids[i]?.tag === Tag.INTEGER) {
      pathLen = kids[i++]!.int();
      if (pathLen < 0) throw new DerError('BasicConstraints pathLenConstraint is negative', 'X509_EXTENSION_INVALID');
    }
    if (i !== kids.length) throw new DerError('malformed BasicConstraints', 'X509_EXTENSION_INVALID');
    return { ca, pathLen };
  }

  get isCA(): boolean {
    return this.basicConstraints?.ca === true;
  }

  /** KeyUsage bits by name, or undefined when absent. */
  get keyUsage(): { digitalSignature: boolean; keyCertSign: boolean; crlSign: boolean } | undefined {
    const ext = this.extension(OID.keyUsage);
    if (!ext) return undefined;
    const { bytes } = Der.parse(ext.value).bitString();
    const b0 = bytes[0] ?? 0;
    return { digitalSignature: (b0 & 0x80) !== 0, keyCertSign: (b0 & 0x04) !== 0, crlSign: (b0 & 0x02) !== 0 };
  }

  /** Extended key usage OIDs (empty when the extension is absent). */
  get extKeyUsage(): string[] {
    const ext = this.extension(OID.extKeyUsage);
    if (!ext) return [];
    const kids = Der.parse(ext.value).expect(Tag.SEQUENCE, 'ExtKeyUsage').children;
    if (kids.length === 0) throw new DerError('empty ExtKeyUsage', 'X509_EXTENSION_INVALID');
    return kids.map((c) => c.oid());
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
          if (gn.children.length !== 2 || gn.child(1).tag !== 0xa0) throw new DerError('malformed otherName', 'X509_EXTENSION_INVALID');
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
