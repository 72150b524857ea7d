/**
 * RFC 3161 tokens refused by the strict CMS reader (parseTimeStampToken), one structural rule at a
 * time; each input is a well-formed token but for the one rule (structure only: signatures are
 * the verifier's business, see test/verify/timestamp-edges.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTimeStampToken } from '../../src/lib/cms.js';
import { DerError, encode, Tag } from '../../src/lib/der.js';
import { bool, ctx, int, nul, octets, oid, seq, set } from '../../src/lib/der-write.js';
import { ForgedPki } from '../helpers/forge.js';

const pki = new ForgedPki();
const SHA256 = seq(oid('2.16.840.1.101.3.4.2.1'));
const gen = encode(Tag.GENERALIZED_TIME, Buffer.from('20250101120000Z'));
const attr = (type: string, ...values: Buffer[]) => seq(oid(type), set(...values));
const ISSUER = seq(set(seq(oid('2.5.4.3'), encode(0x13, Buffer.from('tsa')))));

interface Parts {
  status: Buffer;
  respExtra: Buffer[];
  ciType: string;
  ciExtra: Buffer[];
  sdVersion: number;
  digestAlgs: Buffer[];
  eci: Buffer;
  certs: Buffer | undefined;
  sdExtra: Buffer[];
  siVersion: number;
  sid: Buffer;
  signedAttrs: Buffer;
  siExtra: Buffer[];
  tstVersion: number;
  imprint: Buffer;
  tstTail: Buffer[];
}

function token(o: Partial<Parts> = {}): Buffer {
  const tst = seq(int(o.tstVersion ?? 1), oid('1.3.6.1.4.1.57264.2'), o.imprint ?? seq(SHA256, octets(Buffer.alloc(32))), int(5), gen, ...(o.tstTail ?? []));
  const eci = o.eci ?? seq(oid('1.2.840.113549.1.9.16.1.4'), ctx(0, octets(tst)));
  const signedAttrs = o.signedAttrs ?? ctx(0, attr('1.2.840.113549.1.9.3', oid('1.2.840.113549.1.9.16.1.4')), attr('1.2.840.113549.1.9.4', octets(Buffer.alloc(32))));
  const si = seq(int(o.siVersion ?? 1), o.sid ?? seq(ISSUER, int(7)), SHA256, signedAttrs, seq(oid('1.2.840.10045.4.3.2')), octets(Buffer.alloc(8)), ...(o.siExtra ?? []));
  const certs = o.certs === undefined ? [ctx(0, pki.tsaLeaf)] : [o.certs];
  const sd = seq(int(o.sdVersion ?? 3), set(...(o.digestAlgs ?? [SHA256])), eci, ...certs, set(si), ...(o.sdExtra ?? []));
  const ci = seq(oid(o.ciType ?? '1.2.840.113549.1.7.2'), ctx(0, sd), ...(o.ciExtra ?? []));
  return seq(o.status ?? seq(int(0)), ci, ...(o.respExtra ?? []));
}

const refused = (o: Partial<Parts>, message: RegExp) =>
  assert.throws(() => parseTimeStampToken(token(o)), (e: unknown) => {
    assert.ok(e instanceof DerError, `a DerError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });

describe('parseTimeStampToken', () => {
  it('reads the well-formed token, with accuracy, ordering, nonce and a granted-with-mods status', () => {
    const t = parseTimeStampToken(token());
    assert.equal(t.tstInfo.genTime.toISOString(), '2025-01-01T12:00:00.000Z');
    assert.equal(t.signedData.certificates.length, 1);
    const full = parseTimeStampToken(token({ status: seq(int(1)), tstTail: [seq(int(1), encode(0x80, Buffer.from([0x01, 0xf4])), encode(0x81, Buffer.from([0x03, 0xe7]))), bool(true), int(99)] }));
    assert.deepEqual(full.tstInfo.accuracy, { seconds: 1, millis: 500, micros: 999 });
    assert.equal(full.tstInfo.ordering, true);
    assert.equal(full.tstInfo.nonce, 99n);
    assert.equal(full.status, 1);
    assert.equal(parseTimeStampToken(token({ tstTail: [seq(encode(0x80, Buffer.from([1])))] })).tstInfo.accuracy?.millis, 1);
    const ski = parseTimeStampToken(token({ siVersion: 3, sid: encode(0x80, Buffer.alloc(20, 1)) }));
    assert.equal(ski.signedData.signerInfos[0]!.sid.kind, 'subjectKeyIdentifier');
  });

  const cases: [string, Partial<Parts>, RegExp][] = [
    ['a SignerInfo with a trailing field', { siExtra: [nul()] }, /SignerInfo has unexpected trailing fields/],
    ['a SignedData with a trailing field', { sdExtra: [nul()] }, /SignedData has unexpected trailing fields/],
    ['a digest AlgorithmIdentifier with three fields', { digestAlgs: [seq(oid('2.16.840.1.101.3.4.2.1'), nul(), nul())] }, /bad AlgorithmIdentifier/],
    ['an Attribute with three fields', { signedAttrs: ctx(0, seq(oid('1.2.840.113549.1.9.3'), set(oid('1.2.3')), nul())) }, /bad Attribute/],
    ['the same signed attribute twice', { signedAttrs: ctx(0, attr('1.2.840.113549.1.9.3', oid('1.2.3')), attr('1.2.840.113549.1.9.3', oid('1.2.3'))) }, /duplicate attribute/],
    ['a signed attribute without values', { signedAttrs: ctx(0, seq(oid('1.2.840.113549.1.9.3'), set())) }, /has no values/],
    ['empty signed attributes', { signedAttrs: ctx(0) }, /signedAttrs is empty/],
    ['an IssuerAndSerialNumber with three fields', { sid: seq(ISSUER, int(7), nul()) }, /bad IssuerAndSerialNumber/],
    ['a subject key identifier in a version 1 SignerInfo', { sid: encode(0x80, Buffer.alloc(20, 1)) }, /with subjectKeyIdentifier \(must be 3\)/],
    ['an issuer and serial in a version 3 SignerInfo', { siVersion: 3 }, /with issuerAndSerialNumber \(must be 1\)/],
    ['a SignedData of version 2', { sdVersion: 2 }, /unsupported SignedData version 2/],
    ['a certificate choice that is not a certificate', { certs: ctx(0, encode(0xa1, nul())) }, /unsupported CertificateChoices tag 0xa1/],
    ['a ContentInfo with a third field', { ciExtra: [nul()] }, /exactly two fields/],
    ['a ContentInfo of another type', { ciType: '1.2.840.113549.1.7.1' }, /is not SignedData/],
    ['a TSTInfo of version 2', { tstVersion: 2 }, /unsupported TSTInfo version 2/],
    ['a MessageImprint with three fields', { imprint: seq(SHA256, octets(Buffer.alloc(32)), nul()) }, /MessageImprint must have exactly two fields/],
    ['accuracy millis of 0', { tstTail: [seq(encode(0x80, Buffer.from([0])))] }, /out of range/],
    ['accuracy micros of 1000', { tstTail: [seq(encode(0x81, Buffer.from([0x03, 0xe8])))] }, /out of range/],
    ['accuracy micros before millis', { tstTail: [seq(encode(0x81, Buffer.from([1])), encode(0x80, Buffer.from([1])))] }, /out of order/],
    ['accuracy seconds after millis', { tstTail: [seq(encode(0x80, Buffer.from([1])), int(1))] }, /out of order/],
    ['a TSTInfo with a trailing field', { tstTail: [nul()] }, /TSTInfo has unexpected trailing fields/],
    ['a status of rejection', { status: seq(int(2)) }, /status is 2/],
    ['a PKIStatusInfo with four fields', { status: seq(int(0), seq(), encode(Tag.BIT_STRING, Buffer.from([0])), nul()) }, /PKIStatusInfo has unexpected trailing fields/],
    ['a TimeStampResp with a third field', { respExtra: [nul()] }, /TimeStampResp has no token, or unexpected trailing fields/],
    ['no encapsulated TSTInfo', { eci: seq(oid('1.2.840.113549.1.9.16.1.4')) }, /no encapsulated TSTInfo/],
    ['another encapsulated content type', { eci: seq(oid('1.2.840.113549.1.7.1'), ctx(0, octets(Buffer.from('x')))) }, /not id-ct-TSTInfo/],
  ];
  for (const [what, parts, message] of cases) {
    it(what, () => refused(parts, message));
  }
});
