/**
 * The `timestamp` verification step: RFC 3161 tokens from the conformance cases (passing and
 * failing ones), bit-flip tampering of real tokens, and synthetic tokens from a throwaway TSA
 * built here with node:crypto for the edge cases the real ones do not reach.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ParsedBundle, parseBundle } from '../../src/bundle/parse.js';
import { VerificationError } from '../../src/errors.js';
import { CMS_OID, parseTimeStampToken } from '../../src/lib/cms.js';
import { encode } from '../../src/lib/der.js';
import { Certificate } from '../../src/lib/x509.js';
import { type Authority, parseTrustedRoot, type TrustMaterial } from '../../src/trust/trusted-root.js';
import { MAX_TIMESTAMPS, verifyTimestamps } from '../../src/verify/timestamp.js';
import { flip, rejectsAt } from '../helpers/tamper.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'conformance');
const PRODUCTION_ROOT = join(import.meta.dirname, '..', '..', 'trust', 'production', 'trusted_root.json');

interface Case {
  bundle: ParsedBundle;
  trust: TrustMaterial;
  signature: Buffer;
  token: Buffer;
}

function signatureOf(b: ParsedBundle): Buffer {
  return b.content.kind === 'messageSignature' ? b.content.signature : b.content.envelope.signatures[0]!.sig;
}

function load(name: string): Case {
  const dir = join(FIXTURES, name);
  const json = JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8'));
  // Upstream wrote one token with `base64` line breaks (protobuf JSON decoders skip them).
  for (const t of json.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
    t.signedTimestamp = t.signedTimestamp.replace(/\s+/g, '');
  }
  const bundle = parseBundle(json);
  const rootPath = existsSync(join(dir, 'trusted_root.json')) ? join(dir, 'trusted_root.json') : PRODUCTION_ROOT;
  const trust = parseTrustedRoot(readFileSync(rootPath, 'utf8'), rootPath);
  assert.equal(bundle.timestamps.length, 1, `${name} has one timestamp`);
  return { bundle, trust, signature: signatureOf(bundle), token: bundle.timestamps[0]! };
}

function withTsas(trust: TrustMaterial, tsas: Authority[]): TrustMaterial {
  return { ...trust, timestampAuthorities: tsas };
}

/** Asserts `f` throws a VerificationError at the timestamp step, with `code` when given. */
const rejects = (f: () => unknown, code?: string, message?: RegExp) => rejectsAt('timestamp', f, code, message);

/** Where a part of a parsed token (a value from the DER reader) lies in the token. */
function offsetIn(outer: Buffer, view: Buffer): number {
  // By content: parsed tokens are parsed from a private copy (parseTimeStampToken keeps them).
  const off = outer.indexOf(view);
  assert.ok(off >= 0 && outer.indexOf(view, off + 1) === -1, 'the part occurs once in the token');
  return off;
}

describe('verifyTimestamps: conformance cases that pass this step', () => {
  const passing: [string, string, string][] = [
    ['rekor2-timestamp-with-embedded-cert', '2025-08-06T18:51:36.000Z', 'https://timestamp.sigstage.dev/api/v1/timestamp'],
    ['rekor2-timestamp-without-embedded-cert', '2025-08-06T19:03:51.000Z', 'https://timestamp.sigstage.dev/api/v1/timestamp'],
    ['rekor2-timestamp-with-expired-cert-chain', '2025-08-07T15:32:26.000Z', 'https://localhost:3000/api/v1/timestamp'],
    ['trust-root-tsa-validity-end-inclusive', '2025-06-12T12:02:20.000Z', 'https://timestamp.sigstage.dev/api/v1/timestamp'],
    ['rekor2-happy-path', '2025-06-12T12:02:20.000Z', 'https://timestamp.sigstage.dev/api/v1/timestamp'],
    ['rekor2-dsse-happy-path', '2026-05-13T19:23:33.000Z', 'https://timestamp.sigstage.dev/api/v1/timestamp'],
    ['managed-key-happy-path', '2025-12-18T17:04:39.000Z', 'https://timestamp.sigstore.dev/api/v1/timestamp'],
    ['intoto-with-custom-trust-root', '2023-02-01T00:00:00.000Z', 'http://localhost:8000'],
    ['bundle-with-sct-with-extensions', '2026-01-15T22:49:26.000Z', 'https://timestamp.sigstore.dev/api/v1/timestamp'],
    // These fail verification elsewhere: their timestamps are fine but outside the signing
    // certificate's validity (the `time` step's business, not this one's).
    ['rekor2-timestamp-with-incorrect-time_fail', '', 'https://timestamp.sigstage.dev/api/v1/timestamp'],
    ['intoto-tsa-timestamp-outside-cert-validity_fail', '2023-02-02T00:00:00.000Z', 'http://localhost:8000'],
  ];
  for (const [name, time, authority] of passing) {
    it(name, () => {
      const c = load(name);
      const [ts, ...rest] = verifyTimestamps([c.token], c.signature, c.trust);
      assert.equal(rest.length, 0);
      assert.equal(ts!.source, 'tsa');
      assert.equal(ts!.authority, authority);
      if (time) assert.equal(ts!.time.toISOString(), time);
    });
  }

  it('rekor2-timestamp-with-incorrect-time_fail: the token is after the signing certificate expired', () => {
    const c = load('rekor2-timestamp-with-incorrect-time_fail');
    const [ts] = verifyTimestamps([c.token], c.signature, c.trust);
    assert.ok(c.bundle.material.kind === 'certificate');
    assert.ok(ts!.time > c.bundle.material.certificate.notAfter);
  });

  it('a chain whose certificates are all expired now is fine when valid at genTime', () => {
    const c = load('rekor2-timestamp-with-expired-cert-chain');
    const tsa = c.trust.timestampAuthorities.find((a) => a.uri.includes('localhost:3000'))!;
    assert.ok(tsa.certs.every((cert) => cert.notAfter < new Date()));
  });

  it('an embedded signer certificate may chain to the trusted chain without being listed in it', () => {
    const c = load('rekor2-timestamp-with-embedded-cert');
    const tsa = c.trust.timestampAuthorities[0]!;
    const embedded = parseTimeStampToken(c.token).signedData.certificates[0]!;
    assert.ok(embedded.raw.equals(tsa.certs[0]!.raw), 'the embedded certificate is the trusted leaf');
    const rootOnly = withTsas(c.trust, [{ ...tsa, certs: tsa.certs.slice(1) }]);
    assert.equal(verifyTimestamps([c.token], c.signature, rootOnly)[0]!.authority, tsa.uri);
  });

  it('a token without embedded certificates needs the TSA leaf in the trusted root', () => {
    const c = load('rekor2-timestamp-without-embedded-cert');
    const tsa = c.trust.timestampAuthorities[0]!;
    rejects(() => verifyTimestamps([c.token], c.signature, withTsas(c.trust, [{ ...tsa, certs: tsa.certs.slice(1) }])), 'TIMESTAMP_UNTRUSTED_TSA');
  });

  it('picks the TSA that verifies among several, whatever their order', () => {
    const c = load('rekor2-timestamp-with-embedded-cert');
    const other = load('rekor2-timestamp-with-expired-cert-chain').trust.timestampAuthorities;
    const tsas = [...other, ...c.trust.timestampAuthorities];
    assert.equal(verifyTimestamps([c.token], c.signature, withTsas(c.trust, tsas))[0]!.authority, c.trust.timestampAuthorities[0]!.uri);
    assert.equal(verifyTimestamps([c.token], c.signature, withTsas(c.trust, tsas.reverse()))[0]!.authority, c.trust.timestampAuthorities[0]!.uri);
  });

  it('verifies several tokens and returns one time each, in order', () => {
    const a = load('rekor2-timestamp-with-embedded-cert');
    const b = load('rekor2-timestamp-without-embedded-cert');
    // Same signer, different signatures: each token only matches its own bundle signature.
    rejects(() => verifyTimestamps([a.token, b.token], a.signature, a.trust), 'TIMESTAMP_IMPRINT_MISMATCH', /timestamp #2/);
  });

  it('returns nothing for no tokens', () => {
    const c = load('rekor2-happy-path');
    assert.deepEqual(verifyTimestamps([], c.signature, c.trust), []);
  });
});

describe('verifyTimestamps: conformance cases this step rejects', () => {
  const failing: [string, string, RegExp][] = [
    ['rekor2-timestamp-outside-trust-root-tsa-validity_fail', 'TIMESTAMP_OUTSIDE_TSA_VALIDITY', /2025-06-12T12:02:20.000Z is outside the trusted root's validity window/],
    ['rekor2-timestamp-outside-tsa-cert-validity_fail', 'TIMESTAMP_CERT_NOT_VALID', /outside the validity of the signing certificate/],
    ['rekor2-timestamp-payload-mismatch_fail', 'TIMESTAMP_IMPRINT_MISMATCH', /message imprint is not the sha256 hash of the bundle's signature/],
    ['rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail', 'TIMESTAMP_UNTRUSTED_TSA', /embedded signer certificate does not chain/],
    ['rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail', 'TIMESTAMP_UNTRUSTED_TSA', /is not the certificate of any trusted/],
  ];
  for (const [name, code, message] of failing) {
    it(name, () => {
      const c = load(name);
      rejects(() => verifyTimestamps([c.token], c.signature, c.trust), code, message);
    });
  }
});

describe('verifyTimestamps: the TSA validity window in the trusted root', () => {
  const c = load('trust-root-tsa-validity-end-inclusive');
  const tsa = c.trust.timestampAuthorities[0]!;
  const genTime = new Date('2025-06-12T12:02:20Z');
  const at = (start: Date, end: Date | undefined) => withTsas(c.trust, [{ ...tsa, validFor: { start, end } }]);
  const ms = (d: Date, n: number) => new Date(d.getTime() + n);

  it('the end is inclusive', () => {
    assert.equal(tsa.validFor.end?.getTime(), genTime.getTime());
    assert.equal(verifyTimestamps([c.token], c.signature, at(tsa.validFor.start, genTime)).length, 1);
  });
  it('one millisecond after the end fails', () => {
    rejects(() => verifyTimestamps([c.token], c.signature, at(tsa.validFor.start, ms(genTime, -1))), 'TIMESTAMP_OUTSIDE_TSA_VALIDITY');
  });
  it('the start is inclusive', () => {
    assert.equal(verifyTimestamps([c.token], c.signature, at(genTime, undefined)).length, 1);
  });
  it('one millisecond before the start fails', () => {
    rejects(() => verifyTimestamps([c.token], c.signature, at(ms(genTime, 1), undefined)), 'TIMESTAMP_OUTSIDE_TSA_VALIDITY', /open-ended/);
  });
});

describe('verifyTimestamps: tampered real tokens fail at this step', () => {
  const c = load('rekor2-timestamp-with-embedded-cert');
  const parsed = parseTimeStampToken(c.token);
  const tst = parsed.tstInfo;
  const si = parsed.signedData.signerInfos[0]!;
  const run = (token: Buffer, signature = c.signature) => () => verifyTimestamps([token], signature, c.trust);

  it('a token parsed again is the same, and changing the parsed buffer afterwards changes nothing', () => {
    const mine = Buffer.from(c.token);
    const first = parseTimeStampToken(mine);
    assert.equal(parseTimeStampToken(Buffer.from(c.token)), first);
    mine.fill(0);
    assert.deepEqual(first.tstInfo.messageImprint.hashedMessage, tst.messageImprint.hashedMessage);
    assert.equal(verifyTimestamps([Buffer.from(c.token)], c.signature, c.trust).length, 1);
  });
  it('the untouched token verifies', () => {
    assert.equal(verifyTimestamps([c.token], c.signature, c.trust).length, 1);
  });
  it('a flipped bit in the bundle signature', () => {
    rejects(run(c.token, flip(c.signature, 10)), 'TIMESTAMP_IMPRINT_MISMATCH');
  });
  it('a flipped bit in the message imprint', () => {
    rejects(run(flip(c.token, offsetIn(c.token, tst.messageImprint.hashedMessage) + 5)), 'TIMESTAMP_IMPRINT_MISMATCH');
  });
  it('a flipped bit in the TSTInfo serial number', () => {
    const serialAt = tst.raw.indexOf(tst.messageImprint.hashedMessage) + tst.messageImprint.hashedMessage.length + 2;
    rejects(run(flip(c.token, offsetIn(c.token, tst.raw) + serialAt)), 'TIMESTAMP_MESSAGE_DIGEST_MISMATCH');
  });
  it('a changed digit in the TSTInfo genTime', () => {
    const at = offsetIn(c.token, tst.raw) + tst.raw.indexOf(Buffer.from('20250806185136'));
    rejects(run(flip(c.token, at + 13)), 'TIMESTAMP_MESSAGE_DIGEST_MISMATCH');
  });
  it('a flipped bit in the CMS signature', () => {
    rejects(run(flip(c.token, offsetIn(c.token, si.signature) + si.signature.length - 1)), 'TIMESTAMP_SIGNATURE_INVALID');
  });
  it('a flipped bit in the signed attributes (signing time)', () => {
    // The UTCTime with its tag and length: its digits alone also occur in the TSTInfo's genTime.
    const time = si.signedAttrs.find((a) => a.oid === CMS_OID.signingTime)!.values[0]!;
    rejects(run(flip(c.token, offsetIn(c.token, time.raw) + time.raw.length - time.value.length + 11)), 'TIMESTAMP_SIGNATURE_INVALID');
  });
  it('a flipped bit in the signed attributes (message digest)', () => {
    const md = si.signedAttrs.find((a) => a.oid === CMS_OID.messageDigest)!;
    rejects(run(flip(c.token, offsetIn(c.token, md.values[0]!.value))), 'TIMESTAMP_MESSAGE_DIGEST_MISMATCH');
  });
  it('a flipped bit in the signed attributes (ESS signing certificate)', () => {
    const ess = si.signedAttrs.find((a) => a.oid === CMS_OID.signingCertificateV2)!;
    rejects(run(flip(c.token, offsetIn(c.token, ess.values[0]!.raw) + ess.values[0]!.raw.length - 1)), 'TIMESTAMP_SIGNATURE_INVALID');
  });
  it('a flipped bit in the embedded certificate', () => {
    const cert = parsed.signedData.certificates[0]!;
    rejects(run(flip(c.token, offsetIn(c.token, cert.signature) + 20)), 'TIMESTAMP_UNTRUSTED_TSA');
  });
  it('a changed encapsulated content type', () => {
    const at = c.token.indexOf(Buffer.from('060b2a864886f70d0109100104a0', 'hex'));
    assert.ok(at > 0);
    rejects(run(flip(c.token, at + 12)), 'TIMESTAMP_MALFORMED', /not id-ct-TSTInfo/);
  });

  it('every single-bit flip of the token fails here, except two flips of unsigned fields that keep it valid', () => {
    const passed: number[] = [];
    let failures = 0;
    for (let off = 0; off < c.token.length; off++) {
      for (const mask of [0x01, 0x80]) {
        const t = flip(c.token, off, mask);
        let ok = false;
        try {
          verifyTimestamps([t], c.signature, c.trust);
          ok = true;
        } catch (e) {
          assert.ok(e instanceof VerificationError && e.step === 'timestamp', `offset ${off}: ${String(e)}`);
          failures++;
        }
        if (ok) passed.push(off, mask);
      }
    }
    // PKIStatus granted (0) -> grantedWithMods (1), a success status.
    const statusAt = 8;
    assert.deepEqual([...c.token.subarray(statusAt - 4, statusAt + 1)], [0x30, 0x03, 0x02, 0x01, 0x00]);
    // The unsigned certificates field [0] -> crls [1]: the token then embeds no certificates and
    // is checked against the trusted TSA leaf, which really signed it.
    const certsAt = offsetIn(c.token, parsed.signedData.certificates[0]!.raw) - 4;
    assert.deepEqual([...c.token.subarray(certsAt, certsAt + 2)], [0xa0, 0x82]);
    assert.deepEqual(passed, [statusAt, 0x01, certsAt, 0x01]);
    assert.equal(failures, c.token.length * 2 - 2);
  });
});

// ---------------------------------------------------------------------------------------------
// A throwaway TSA: DER builders, certificates and tokens signed with node:crypto.

function encodeOid(s: string): Buffer {
  const [a, b, ...rest] = s.split('.').map(Number);
  const out: number[] = [];
  for (const n of [a! * 40 + b!, ...rest]) {
    const bytes = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return Buffer.from(out);
}

const seq = (...xs: Buffer[]) => encode(0x30, xs);
const set = (...xs: Buffer[]) => encode(0x31, xs);
const ctx = (n: number, ...xs: Buffer[]) => encode(0xa0 + n, xs);
const oid = (s: string) => encode(0x06, encodeOid(s));
const octets = (b: Buffer) => encode(0x04, b);
const NULL = Buffer.from([0x05, 0x00]);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);
function int(n: bigint | number): Buffer {
  let hex = BigInt(n).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return encode(0x02, b);
}
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), encode(0x0c, Buffer.from(cn)))));
const utcTime = (d: Date) => encode(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`));
const genTimeDer = (s: string) => encode(0x18, Buffer.from(s));

const HASH_OIDS = { sha1: '1.3.14.3.2.26', sha256: '2.16.840.1.101.3.4.2.1', sha384: '2.16.840.1.101.3.4.2.2', sha512: '2.16.840.1.101.3.4.2.3' };
type Hash = keyof typeof HASH_OIDS;
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const RSA_SHA256 = '1.2.840.113549.1.1.11';

interface Party {
  cert: Certificate;
  key: KeyObject;
}

function sigAlg(key: KeyObject): Buffer {
  return key.asymmetricKeyType === 'rsa' ? seq(oid(RSA_SHA256), NULL) : seq(oid(ECDSA_SHA256));
}

interface CertOptions {
  cn: string;
  issuer?: Party;
  ca?: boolean;
  eku?: string[];
  ski?: Buffer;
  notBefore?: Date;
  notAfter?: Date;
  serial?: bigint;
  rsa?: boolean;
  /** A SubjectPublicKeyInfo to put in the certificate instead of the generated key's. */
  spki?: Buffer;
  /** The EKU extension's critical flag (default critical). */
  ekuCritical?: boolean;
  /** BasicConstraints pathLenConstraint (CA certificates). */
  pathLen?: number;
  /** Further extensions (full Extension DER). */
  extra?: Buffer[];
}

let serials = 100n;
function makeParty(o: CertOptions): Party {
  const { privateKey, publicKey } = o.rsa
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = o.issuer?.key ?? privateKey;
  const exts: Buffer[] = [];
  if (o.ca) {
    exts.push(seq(oid('2.5.29.19'), TRUE, octets(seq(TRUE, ...(o.pathLen === undefined ? [] : [int(o.pathLen)])))));
    exts.push(seq(oid('2.5.29.15'), TRUE, octets(Buffer.from([0x03, 0x02, 0x01, 0x06]))));
  }
  if (o.eku) exts.push(seq(oid('2.5.29.37'), ...(o.ekuCritical === false ? [] : [TRUE]), octets(seq(...o.eku.map(oid)))));
  exts.push(...(o.extra ?? []));
  if (o.ski) exts.push(seq(oid('2.5.29.14'), octets(octets(o.ski))));
  const issuerName = o.issuer ? o.issuer.cert.subjectRaw : name(o.cn);
  const tbs = seq(
    ctx(0, int(2)),
    int(o.serial ?? serials++),
    sigAlg(signer),
    issuerName,
    seq(utcTime(o.notBefore ?? new Date('2023-01-01T00:00:00Z')), utcTime(o.notAfter ?? new Date('2030-01-01T00:00:00Z'))),
    name(o.cn),
    o.spki ?? publicKey.export({ type: 'spki', format: 'der' }),
    ...(exts.length ? [ctx(3, seq(...exts))] : []),
  );
  const sig = nodeSign('sha256', tbs, signer);
  return { cert: new Certificate(seq(tbs, sigAlg(signer), encode(0x03, [Buffer.from([0]), sig]))), key: privateKey };
}

const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
const root = makeParty({ cn: 'test TSA root', ca: true });
const intermediate = makeParty({ cn: 'test TSA intermediate', ca: true, issuer: root });
const leaf = makeParty({ cn: 'test TSA', issuer: intermediate, eku: [TIME_STAMPING], ski: Buffer.alloc(20, 7) });
const TSA_URI = 'https://tsa.test/api/v1/timestamp';
const tsaAuthority: Authority = { uri: TSA_URI, certs: [leaf.cert, intermediate.cert, root.cert], validFor: { start: new Date('2023-01-01T00:00:00Z'), end: undefined } };
const TRUST: TrustMaterial = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  ctlogs: [],
  certificateAuthorities: [],
  timestampAuthorities: [tsaAuthority],
  source: 'test',
};
const SIG = Buffer.from('the bundle signature bytes');
const GEN_TIME = '20240102030405Z';

interface TokenOptions {
  signer?: Party;
  embed?: Certificate[];
  imprint?: Hash;
  imprintOf?: Buffer;
  genTime?: string;
  digest?: Hash;
  sid?: 'issuerAndSerialNumber' | 'subjectKeyIdentifier';
  signatureAlgorithm?: Buffer;
  contentType?: string;
  ess?: 'v1' | 'v2' | 'v2-sha384' | 'none' | 'wrong' | 'v2-issuer-serial' | 'v2-wrong-serial' | 'v1-issuer-serial';
  signedAttrs?: boolean;
  extraSigner?: boolean;
  status?: number;
  bare?: boolean;
  signedDataVersion?: number;
  eContentType?: string;
  digestAlgorithms?: Hash[];
  /** Hash the signature itself uses (default SHA-256, matching the default algorithm OIDs). */
  signHash?: Hash;
}

function hash(h: Hash, data: Buffer): Buffer {
  return createHash(h).update(data).digest();
}

function makeToken(o: TokenOptions = {}): Buffer {
  const signer = o.signer ?? leaf;
  const imprint = o.imprint ?? 'sha256';
  const digest = o.digest ?? 'sha256';
  const tstInfo = seq(
    int(1),
    oid('1.3.6.1.4.1.57264.2'),
    seq(seq(oid(HASH_OIDS[imprint]), NULL), octets(hash(imprint, o.imprintOf ?? SIG))),
    int(0x1234567890n),
    genTimeDer(o.genTime ?? GEN_TIME),
    seq(int(1)),
  );
  const attrs = [
    seq(oid(CMS_OID.contentType), set(oid(o.contentType ?? CMS_OID.tstInfo))),
    seq(oid(CMS_OID.signingTime), set(utcTime(new Date('2024-01-02T03:04:05Z')))),
    seq(oid(CMS_OID.messageDigest), set(octets(hash(digest, tstInfo)))),
  ];
  const ess = o.ess ?? 'v2';
  if (ess === 'v1') attrs.push(seq(oid(CMS_OID.signingCertificate), set(seq(seq(seq(octets(hash('sha1', signer.cert.raw))))))));
  if (ess === 'v2') attrs.push(seq(oid(CMS_OID.signingCertificateV2), set(seq(seq(seq(octets(hash('sha256', signer.cert.raw))))))));
  if (ess === 'v2-sha384') {
    attrs.push(seq(oid(CMS_OID.signingCertificateV2), set(seq(seq(seq(seq(oid(HASH_OIDS.sha384)), octets(hash('sha384', signer.cert.raw))))))));
  }
  const issuerSerial = (serial: bigint) => seq(seq(encode(0xa4, signer.cert.issuerRaw)), int(serial));
  if (ess === 'v2-issuer-serial' || ess === 'v2-wrong-serial') {
    const serial = ess === 'v2-issuer-serial' ? signer.cert.serial : signer.cert.serial + 1n;
    attrs.push(seq(oid(CMS_OID.signingCertificateV2), set(seq(seq(seq(octets(hash('sha256', signer.cert.raw)), issuerSerial(serial)))))));
  }
  if (ess === 'v1-issuer-serial') {
    attrs.push(seq(oid(CMS_OID.signingCertificate), set(seq(seq(seq(octets(hash('sha1', signer.cert.raw)), issuerSerial(signer.cert.serial)))))));
  }
  if (ess === 'wrong') attrs.push(seq(oid(CMS_OID.signingCertificateV2), set(seq(seq(seq(octets(hash('sha256', root.cert.raw))))))));
  const signed = o.signedAttrs === false ? tstInfo : set(...attrs);
  const isRsa = signer.key.asymmetricKeyType === 'rsa';
  const signature = nodeSign(o.signHash ?? 'sha256', signed, signer.key);
  const sid =
    o.sid === 'subjectKeyIdentifier'
      ? encode(0x80, signer.cert.subjectKeyId!)
      : seq(signer.cert.issuerRaw, int(signer.cert.serial));
  const signerInfo = seq(
    int(o.sid === 'subjectKeyIdentifier' ? 3 : 1),
    sid,
    seq(oid(HASH_OIDS[digest])),
    ...(o.signedAttrs === false ? [] : [ctx(0, ...attrs)]),
    o.signatureAlgorithm ?? (isRsa ? seq(oid(RSA_SHA256), NULL) : seq(oid(ECDSA_SHA256))),
    octets(signature),
  );
  const signedData = seq(
    int(o.signedDataVersion ?? 3),
    set(...(o.digestAlgorithms ?? [digest]).map((h) => seq(oid(HASH_OIDS[h])))),
    seq(oid(o.eContentType ?? CMS_OID.tstInfo), ctx(0, octets(tstInfo))),
    ...(o.embed?.length ? [ctx(0, ...o.embed.map((c) => c.raw))] : []),
    set(signerInfo, ...(o.extraSigner ? [signerInfo] : [])),
  );
  const contentInfo = seq(oid(CMS_OID.signedData), ctx(0, signedData));
  return o.bare ? contentInfo : seq(seq(int(o.status ?? 0)), contentInfo);
}

const verify = (token: Buffer, trust = TRUST, signature = SIG) => verifyTimestamps([token], signature, trust);
const trustWith = (a: Partial<Authority>) => withTsas(TRUST, [{ ...tsaAuthority, ...a }]);

describe('verifyTimestamps: synthetic tokens', () => {
  it('a token signed by the trusted leaf, without embedded certificates', () => {
    const [ts] = verify(makeToken());
    assert.deepEqual(ts, { time: new Date('2024-01-02T03:04:05Z'), source: 'tsa', authority: TSA_URI });
  });
  it('a bare TimeStampToken (ContentInfo without TimeStampResp)', () => {
    assert.equal(verify(makeToken({ bare: true })).length, 1);
  });
  it('a time-stamp response whose status is not granted is refused', () => {
    rejects(() => verify(makeToken({ status: 2 })), 'TIMESTAMP_MALFORMED', /status is 2/);
  });
  it('the embedded leaf, or the embedded leaf with its chain', () => {
    assert.equal(verify(makeToken({ embed: [leaf.cert] })).length, 1);
    assert.equal(verify(makeToken({ embed: [root.cert, intermediate.cert, leaf.cert] })).length, 1);
  });
  it('an embedded leaf not in the trusted root chains to its intermediate', () => {
    assert.equal(verify(makeToken({ embed: [leaf.cert] }), trustWith({ certs: [intermediate.cert, root.cert] })).length, 1);
  });
  it('an embedded leaf issued by a non-CA certificate does not chain', () => {
    const notCa = makeParty({ cn: 'not a CA', issuer: root });
    const child = makeParty({ cn: 'child', issuer: notCa, eku: [TIME_STAMPING] });
    rejects(() => verify(makeToken({ signer: child, embed: [child.cert] }), trustWith({ certs: [notCa.cert, root.cert] })), 'TIMESTAMP_UNTRUSTED_TSA');
  });
  it('embedded certificates that do not include the signer', () => {
    rejects(() => verify(makeToken({ embed: [intermediate.cert] })), 'TIMESTAMP_SIGNER_NOT_FOUND');
  });
  it('a signer identified by subject key identifier', () => {
    assert.equal(verify(makeToken({ sid: 'subjectKeyIdentifier' })).length, 1);
    assert.equal(verify(makeToken({ sid: 'subjectKeyIdentifier', embed: [leaf.cert] })).length, 1);
  });
  it('a signer claiming the trusted leaf (same issuer and serial) with another key is refused', () => {
    const twin = makeParty({ cn: 'test TSA', issuer: intermediate, eku: [TIME_STAMPING], serial: leaf.cert.serial });
    rejects(() => verify(makeToken({ signer: twin })), 'TIMESTAMP_SIGNATURE_INVALID');
  });
  it('an embedded signer issued by the trusted intermediate is accepted even if not the listed leaf', () => {
    const sibling = makeParty({ cn: 'test TSA 2', issuer: intermediate, eku: [TIME_STAMPING] });
    assert.equal(verify(makeToken({ signer: sibling, embed: [sibling.cert] })).length, 1);
    rejects(() => verify(makeToken({ signer: sibling })), 'TIMESTAMP_UNTRUSTED_TSA');
  });
  it('a self-signed signer not in the trusted root is refused', () => {
    const rogue = makeParty({ cn: 'rogue', eku: [TIME_STAMPING] });
    rejects(() => verify(makeToken({ signer: rogue, embed: [rogue.cert] })), 'TIMESTAMP_UNTRUSTED_TSA');
    rejects(() => verify(makeToken({ signer: rogue })), 'TIMESTAMP_UNTRUSTED_TSA');
  });
  it('an embedded signer certificate with an unusable key', () => {
    const badSpki = seq(seq(oid('1.2.3.4')), encode(0x03, Buffer.from([0, 1, 2, 3])));
    const broken = makeParty({ cn: 'broken key', issuer: intermediate, eku: [TIME_STAMPING], spki: badSpki });
    rejects(() => verify(makeToken({ signer: broken, embed: [broken.cert] })), 'TIMESTAMP_MALFORMED', /cannot check it against https:\/\/tsa\.test/);
  });
  it('a trusted-root chain whose links do not verify', () => {
    const otherRoot = makeParty({ cn: 'test TSA root', ca: true });
    rejects(() => verify(makeToken(), trustWith({ certs: [leaf.cert, intermediate.cert, otherRoot.cert] })), 'TIMESTAMP_CHAIN_INVALID');
  });
  it('an RSA TSA whose SignerInfo names rsaEncryption, with a SHA-512 digest', () => {
    const rsa = makeParty({ cn: 'rsa TSA', issuer: intermediate, eku: [TIME_STAMPING], rsa: true });
    const token = makeToken({ signer: rsa, digest: 'sha512', signHash: 'sha512', signatureAlgorithm: seq(oid('1.2.840.113549.1.1.1'), NULL) });
    assert.equal(verify(token, trustWith({ certs: [rsa.cert, intermediate.cert, root.cert] })).length, 1);
    const asEcdsa = makeToken({ signer: rsa, signatureAlgorithm: seq(oid(ECDSA_SHA256)) });
    rejects(() => verify(asEcdsa, trustWith({ certs: [rsa.cert, intermediate.cert, root.cert] })), 'TIMESTAMP_SIGNATURE_INVALID');
  });
  it('message imprints with SHA-384 and SHA-512; SHA-1 is refused', () => {
    assert.equal(verify(makeToken({ imprint: 'sha384' })).length, 1);
    assert.equal(verify(makeToken({ imprint: 'sha512' })).length, 1);
    rejects(() => verify(makeToken({ imprint: 'sha1' })), 'TIMESTAMP_UNSUPPORTED_ALGORITHM');
  });
  it('an imprint of other bytes', () => {
    rejects(() => verify(makeToken({ imprintOf: Buffer.from('something else') })), 'TIMESTAMP_IMPRINT_MISMATCH');
  });
  it('SHA-384 signed-attribute digests; SHA-1 is refused', () => {
    assert.equal(verify(makeToken({ digest: 'sha384' })).length, 1);
    rejects(() => verify(makeToken({ digest: 'sha1' })), 'TIMESTAMP_UNSUPPORTED_ALGORITHM');
  });
  it('a SignerInfo digest algorithm missing from SignedData.digestAlgorithms', () => {
    rejects(() => verify(makeToken({ digestAlgorithms: ['sha512'] })), 'TIMESTAMP_MALFORMED', /digest algorithm/);
  });
  it('the content-type signed attribute must be id-ct-TSTInfo', () => {
    rejects(() => verify(makeToken({ contentType: CMS_OID.data })), 'TIMESTAMP_CONTENT_TYPE_MISMATCH');
  });
  it('the encapsulated content must be a TSTInfo', () => {
    rejects(() => verify(makeToken({ eContentType: CMS_OID.data })), 'TIMESTAMP_MALFORMED', /id-ct-TSTInfo/);
  });
  it('signed attributes are required', () => {
    rejects(() => verify(makeToken({ signedAttrs: false })), 'TIMESTAMP_MALFORMED', /no signed attributes/);
  });
  it('exactly one SignerInfo', () => {
    rejects(() => verify(makeToken({ extraSigner: true })), 'TIMESTAMP_MALFORMED', /exactly one SignerInfo/);
  });
  it('SignedData version 3', () => {
    rejects(() => verify(makeToken({ signedDataVersion: 1 })), 'TIMESTAMP_MALFORMED', /version/);
  });
  it('ESS signing certificate: v1 (SHA-1) or v2 (SHA-256, SHA-384), with or without issuer and serial, names the signer', () => {
    for (const ess of ['v1', 'v2', 'v2-sha384', 'v2-issuer-serial', 'v1-issuer-serial'] as const) assert.equal(verify(makeToken({ ess })).length, 1, ess);
    rejects(() => verify(makeToken({ ess: 'wrong' })), 'TIMESTAMP_SIGNER_MISMATCH');
    rejects(() => verify(makeToken({ ess: 'v2-wrong-serial' })), 'TIMESTAMP_SIGNER_MISMATCH');
  });
  it('the ESS signing-certificate attribute is required (RFC 3161, RFC 5816)', () => {
    rejects(() => verify(makeToken({ ess: 'none' })), 'TIMESTAMP_NO_SIGNING_CERTIFICATE');
  });
  it('the signer profile: timeStamping the only extended key usage, and critical (RFC 3161 2.3)', () => {
    const extra = makeParty({ cn: 'two purposes', issuer: intermediate, eku: [TIME_STAMPING, '1.3.6.1.5.5.7.3.3'] });
    rejects(() => verify(makeToken({ signer: extra, embed: [extra.cert] })), 'TIMESTAMP_EKU_INVALID', /other extended key usages/);
    const lax = makeParty({ cn: 'non-critical', issuer: intermediate, eku: [TIME_STAMPING], ekuCritical: false });
    rejects(() => verify(makeToken({ signer: lax, embed: [lax.cert] })), 'TIMESTAMP_EKU_INVALID', /non-critical/);
  });
  it('the signer profile: the signer is not a CA', () => {
    const ca = makeParty({ cn: 'CA signer', issuer: intermediate, ca: true, eku: [TIME_STAMPING] });
    rejects(() => verify(makeToken({ signer: ca, embed: [ca.cert] })), 'TIMESTAMP_SIGNER_IS_CA');
  });
  it('unknown critical extensions anywhere on the TSA chain are refused', () => {
    const critical = seq(oid('1.2.3.4.5'), TRUE, octets(NULL));
    const odd = makeParty({ cn: 'odd signer', issuer: intermediate, eku: [TIME_STAMPING], extra: [critical] });
    rejects(() => verify(makeToken({ signer: odd, embed: [odd.cert] })), 'TIMESTAMP_UNKNOWN_CRITICAL_EXTENSION');
    const oddCa = makeParty({ cn: 'odd CA', issuer: root, ca: true, extra: [critical] });
    const below = makeParty({ cn: 'below odd CA', issuer: oddCa, eku: [TIME_STAMPING] });
    const trust = trustWith({ certs: [below.cert, oddCa.cert, root.cert] });
    rejects(() => verify(makeToken({ signer: below }), trust), 'TIMESTAMP_UNKNOWN_CRITICAL_EXTENSION');
  });
  it('name and policy constraints hold on TSA chains', () => {
    const policyConstraints = seq(oid('2.5.29.36'), TRUE, octets(seq(encode(0x80, Buffer.from([0])))));
    const pcRoot = makeParty({ cn: 'policy-constrained root', ca: true, extra: [policyConstraints] });
    const pcLeaf = makeParty({ cn: 'TSA under policy constraints', issuer: pcRoot, eku: [TIME_STAMPING] });
    rejects(() => verify(makeToken({ signer: pcLeaf }), trustWith({ certs: [pcLeaf.cert, pcRoot.cert] })), 'CHAIN_POLICY_CONSTRAINTS_UNSUPPORTED');
    const dnConstraint = seq(oid('2.5.29.30'), TRUE, octets(seq(ctx(0, seq(encode(0xa4, seq()))))));
    const ncRoot = makeParty({ cn: 'name-constrained root', ca: true, extra: [dnConstraint] });
    const ncLeaf = makeParty({ cn: 'TSA under name constraints', issuer: ncRoot, eku: [TIME_STAMPING] });
    rejects(() => verify(makeToken({ signer: ncLeaf }), trustWith({ certs: [ncLeaf.cert, ncRoot.cert] })), 'CHAIN_NAME_CONSTRAINT_UNSUPPORTED');
  });
  it('pathLen constraints hold on TSA chains', () => {
    const strictRoot = makeParty({ cn: 'pathLen 0 root', ca: true, pathLen: 0 });
    const inter = makeParty({ cn: 'inter under pathLen 0', issuer: strictRoot, ca: true });
    const tsaLeaf = makeParty({ cn: 'TSA under pathLen 0', issuer: inter, eku: [TIME_STAMPING] });
    rejects(() => verify(makeToken({ signer: tsaLeaf }), trustWith({ certs: [tsaLeaf.cert, inter.cert, strictRoot.cert] })), 'TIMESTAMP_PATH_LENGTH_EXCEEDED');
    const okRoot = makeParty({ cn: 'pathLen 1 root', ca: true, pathLen: 1 });
    const inter1 = makeParty({ cn: 'inter under pathLen 1', issuer: okRoot, ca: true, pathLen: 0 });
    const leaf1 = makeParty({ cn: 'TSA under pathLen 1', issuer: inter1, eku: [TIME_STAMPING] });
    assert.equal(verify(makeToken({ signer: leaf1 }), trustWith({ certs: [leaf1.cert, inter1.cert, okRoot.cert] })).length, 1);
  });
  it('the signer needs the timeStamping extended key usage', () => {
    for (const eku of [undefined, ['1.3.6.1.5.5.7.3.3']]) {
      const noEku = makeParty({ cn: 'no EKU', issuer: intermediate, ...(eku ? { eku } : {}) });
      rejects(() => verify(makeToken({ signer: noEku, embed: [noEku.cert] })), 'TIMESTAMP_EKU_INVALID');
    }
  });
  it('genTime must be inside the validity of every chain certificate (ends inclusive)', () => {
    const short = makeParty({
      cn: 'short-lived intermediate',
      ca: true,
      issuer: root,
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2024-01-02T03:04:05Z'),
    });
    const signer = makeParty({ cn: 'TSA', issuer: short, eku: [TIME_STAMPING] });
    const trust = trustWith({ certs: [signer.cert, short.cert, root.cert] });
    assert.equal(verify(makeToken({ signer }), trust).length, 1);
    rejects(() => verify(makeToken({ signer, genTime: '20240102030406Z' }), trust), 'TIMESTAMP_CERT_NOT_VALID', /chain certificate #2/);
    rejects(() => verify(makeToken({ signer, genTime: '20231231235959Z' }), trust), 'TIMESTAMP_CERT_NOT_VALID');
  });
  it('fractional genTime seconds are honoured against the TSA window', () => {
    const end = new Date('2024-01-02T03:04:05.250Z');
    assert.equal(verify(makeToken({ genTime: '20240102030405.25Z' }), trustWith({ validFor: { start: end, end } })).length, 1);
    rejects(() => verify(makeToken({ genTime: '20240102030405.251Z' }), trustWith({ validFor: { start: end, end } })), 'TIMESTAMP_OUTSIDE_TSA_VALIDITY');
  });
  it('a malformed genTime is refused', () => {
    rejects(() => verify(makeToken({ genTime: '2024010203040Z' })), 'TIMESTAMP_MALFORMED');
  });
  it('no trusted TSAs at all', () => {
    rejects(() => verify(makeToken(), withTsas(TRUST, [])), 'TIMESTAMP_UNTRUSTED_TSA', /no timestamp authorities/);
  });
  it('reports the failure of the TSA that got furthest', () => {
    const other = makeParty({ cn: 'other TSA', eku: [TIME_STAMPING] });
    const trust = withTsas(TRUST, [
      { uri: 'https://other.test', certs: [other.cert], validFor: tsaAuthority.validFor },
      { ...tsaAuthority, validFor: { start: new Date('2025-01-01T00:00:00Z'), end: undefined } },
    ]);
    rejects(() => verify(makeToken(), trust), 'TIMESTAMP_OUTSIDE_TSA_VALIDITY', /tsa\.test/);
  });
  it('several tokens: all must verify; duplicates and too many are refused', () => {
    const a = makeToken();
    const b = makeToken({ imprint: 'sha384' });
    assert.equal(verifyTimestamps([a, b], SIG, TRUST).length, 2);
    rejects(() => verifyTimestamps([a, makeToken({ imprintOf: Buffer.from('x') })], SIG, TRUST), 'TIMESTAMP_IMPRINT_MISMATCH', /#2/);
    rejects(() => verifyTimestamps([a, b, a], SIG, TRUST), 'TIMESTAMP_DUPLICATE', /#1 and #3/);
    const many = Array.from({ length: MAX_TIMESTAMPS + 1 }, (_, i) => makeToken({ genTime: `2024010203${String(i).padStart(4, '0')}Z` }));
    rejects(() => verifyTimestamps(many, SIG, TRUST), 'TIMESTAMP_TOO_MANY');
  });
  it('garbage input', () => {
    for (const junk of [Buffer.alloc(0), Buffer.from('not DER'), Buffer.from([0x30, 0x00]), Buffer.concat([makeToken(), Buffer.from([0])])]) {
      rejects(() => verify(junk), 'TIMESTAMP_MALFORMED');
    }
  });
});
