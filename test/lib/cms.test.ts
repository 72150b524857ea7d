/**
 * CMS SignedData and RFC 3161 token parsing on crafted DER (structure only: signatures are
 * checked in verify/timestamp.ts). Each refusal asserts its code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CMS_OID, MAX_CMS_CERTIFICATES, MAX_CMS_SIGNERS, parseTimeStampToken, parseTSTInfo } from '../../src/lib/cms.js';
import { DerError, encode, Tag } from '../../src/lib/der.js';
import { cert, ecdsaSha256, hex, int, name, octets, oid, seq, TRUE } from '../helpers/der.js';

const set = (...v: Buffer[]) => encode(Tag.SET, v);
const gen = (s: string) => encode(Tag.GENERALIZED_TIME, Buffer.from(s));
const sha256 = seq(oid('2.16.840.1.101.3.4.2.1'));

interface Token {
  tst?: Buffer[];
  sdVersion?: number;
  contentType?: string;
  certs?: Buffer[];
  signers?: Buffer[];
  attrs?: Buffer[];
  status?: number;
  sdExtra?: Buffer[];
  respExtra?: Buffer[];
}

const tstFields = (over: Partial<Record<'genTime' | 'after', Buffer[]>> = {}): Buffer[] => [
  int(1),
  oid('1.2.3.4'),
  seq(sha256, octets(Buffer.alloc(32, 1))),
  int(7),
  ...(over.genTime ?? [gen('20250101000000Z')]),
  ...(over.after ?? []),
];

function signer(attrs: Buffer[]): Buffer {
  return seq(int(1), seq(name, int(1)), sha256, encode(0xa0, attrs), ecdsaSha256, octets(hex('3006020101020101')));
}

const contentTypeAttr = seq(oid(CMS_OID.contentType), set(oid(CMS_OID.tstInfo)));

function token(t: Token = {}): Buffer {
  const tst = seq(...(t.tst ?? tstFields()));
  const sd = seq(
    int(t.sdVersion ?? 3),
    set(sha256),
    seq(oid(t.contentType ?? CMS_OID.tstInfo), encode(0xa0, octets(tst))),
    encode(0xa0, t.certs ?? [cert({ extensions: null })]),
    set(...(t.signers ?? [signer(t.attrs ?? [contentTypeAttr])])),
    ...(t.sdExtra ?? []),
  );
  const ci = seq(oid(CMS_OID.signedData), encode(0xa0, sd));
  return seq(seq(int(t.status ?? 0)), ci, ...(t.respExtra ?? []));
}

const refuses = (der: Buffer, code: string) =>
  assert.throws(() => parseTimeStampToken(der), (e) => e instanceof DerError && e.code === code, code);

test('a well-formed TimeStampResp parses', () => {
  const t = parseTimeStampToken(token());
  assert.equal(t.status, 0);
  assert.equal(t.tstInfo.serialNumber, 7n);
  assert.equal(t.tstInfo.genTime.toISOString(), '2025-01-01T00:00:00.000Z');
  assert.equal(t.signedData.certificates.length, 1);
  assert.equal(t.signedData.signerInfos[0]!.signedAttrs[0]!.oid, CMS_OID.contentType);
});

test('status other than granted, wrong content types and versions are refused', () => {
  refuses(token({ status: 2 }), 'CMS_STATUS_NOT_GRANTED');
  refuses(token({ contentType: CMS_OID.data }), 'CMS_CONTENT_TYPE');
  refuses(token({ sdVersion: 2 }), 'CMS_VERSION');
  refuses(token({ tst: [int(2), ...tstFields().slice(1)] }), 'CMS_VERSION');
});

test('no trailing fields in SignedData, TimeStampResp or TSTInfo', () => {
  refuses(token({ sdExtra: [hex('0500')] }), 'CMS_MALFORMED');
  refuses(token({ respExtra: [hex('0500')] }), 'CMS_MALFORMED');
  refuses(token({ tst: tstFields({ after: [hex('0500')] }) }), 'CMS_MALFORMED');
  refuses(Buffer.concat([token(), hex('00')]), 'DER_TRAILING_BYTES');
});

test('signed attributes: no duplicates, none empty', () => {
  refuses(token({ attrs: [contentTypeAttr, contentTypeAttr] }), 'CMS_DUPLICATE_ATTRIBUTE');
  refuses(token({ attrs: [seq(oid(CMS_OID.contentType), set())] }), 'CMS_MALFORMED');
  refuses(token({ attrs: [] }), 'CMS_MALFORMED');
});

test('certificates and signers are bounded before they are parsed', () => {
  refuses(token({ certs: Array(MAX_CMS_CERTIFICATES + 1).fill(cert({ extensions: null })) }), 'CMS_TOO_MANY_CERTIFICATES');
  refuses(token({ signers: Array(MAX_CMS_SIGNERS + 1).fill(signer([contentTypeAttr])) }), 'CMS_TOO_MANY_SIGNERS');
  refuses(token({ certs: [hex('0500')] }), 'CMS_MALFORMED');
  refuses(token({ certs: [cert({ serial: int(0) })] }), 'X509_SERIAL');
});

test('TSTInfo: genTime may have a fraction without trailing zeros; ordering DEFAULT FALSE absent; accuracy in order', () => {
  const tst = (over: Parameters<typeof tstFields>[0]) => seq(...tstFields(over));
  assert.equal(parseTSTInfo(tst({ genTime: [gen('20250101000000.123Z')] })).genTime.getUTCMilliseconds(), 123);
  const code = (der: Buffer, c: string) => assert.throws(() => parseTSTInfo(der), (e) => e instanceof DerError && e.code === c, c);
  code(tst({ genTime: [gen('20250101000000.120Z')] }), 'DER_TIME_INVALID');
  code(tst({ genTime: [gen('202501010000Z')] }), 'DER_TIME_INVALID');
  code(tst({ after: [hex('010100')] }), 'CMS_MALFORMED');
  assert.equal(parseTSTInfo(tst({ after: [TRUE] })).ordering, true);
  code(tst({ after: [seq(hex('800101'), int(1))] }), 'CMS_MALFORMED');
  code(tst({ after: [seq(hex('80020001'))] }), 'DER_INTEGER_NONMINIMAL');
  code(tst({ after: [seq(hex('80020400'))] }), 'CMS_MALFORMED');
});
