/**
 * X.509 parsing on crafted certificates (built field by field): each refusal asserts its code.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { DerError, encode, Tag } from '../../src/lib/der.js';
import { Certificate, checkKeyBounds, OID, RSA_BOUNDS, spkiToKey } from '../../src/lib/x509.js';
import { basic, cert, ext, FALSE, hex, int, octets, oid, seq, spki, TRUE, utc } from '../helpers/der.js';

const refuses = (der: Buffer, code: string, read: (c: Certificate) => unknown = () => undefined) =>
  assert.throws(() => read(new Certificate(der)), (e) => e instanceof DerError && e.code === code, code);

test('a well-formed v3 certificate parses', () => {
  const c = new Certificate(cert());
  assert.equal(c.version, 3);
  assert.equal(c.serial, 1n);
  assert.deepEqual(c.basicConstraints, { ca: true, pathLen: undefined });
  assert.equal(c.extension(OID.basicConstraints)?.critical, true);
  assert.equal(new Certificate(cert({ version: null, extensions: null })).version, 1);
});

test('version: v3 when extensions exist; unique IDs need v2+; explicit v1 and unknown versions refused', () => {
  refuses(cert({ version: int(1) }), 'X509_VERSION'); // v2 with extensions
  refuses(cert({ version: null }), 'X509_VERSION'); // v1 (absent) with extensions
  refuses(cert({ version: int(0), extensions: null }), 'X509_VERSION'); // DEFAULT v1 spelled out
  refuses(cert({ version: int(3) }), 'X509_VERSION');
  refuses(cert({ version: null, extensions: null, extra: [hex('810200ff')] }), 'X509_VERSION');
  assert.equal(new Certificate(cert({ extensions: null, extra: [hex('810200ff'), hex('820200ff')] })).version, 3);
});

test('exactly one extensions block, nothing after it, fields in order', () => {
  refuses(cert({ extra: [encode(0xa3, seq(basic(TRUE)))] }), 'X509_TRAILING_FIELDS');
  refuses(cert({ extra: [hex('0500')] }), 'X509_TRAILING_FIELDS');
  refuses(cert({ extensions: null, extra: [encode(0xa3, seq(basic(TRUE))), hex('810200ff')] }), 'X509_TRAILING_FIELDS');
  refuses(cert({ extensions: [] }), 'X509_EXTENSION_INVALID');
  refuses(Buffer.concat([cert(), hex('00')]), 'DER_TRAILING_BYTES');
});

test('the inner and outer signature algorithms are equal', () => {
  refuses(cert({ outer: seq(oid('1.2.840.10045.4.3.3')) }), 'X509_SIGNATURE_ALGORITHM_MISMATCH');
  refuses(cert({ outer: seq(oid('1.2.840.10045.4.3.2'), hex('0500')) }), 'X509_SIGNATURE_ALGORITHM_MISMATCH');
  refuses(cert({ inner: seq(oid('1.2.840.10045.4.3.2'), hex('0500'), hex('0500')) }), 'X509_MALFORMED');
});

test('serial numbers are positive and minimally encoded', () => {
  refuses(cert({ serial: int(0) }), 'X509_SERIAL');
  refuses(cert({ serial: hex('0201ff') }), 'X509_SERIAL');
  refuses(cert({ serial: hex('02020001') }), 'DER_INTEGER_NONMINIMAL');
  assert.equal(new Certificate(cert({ serial: hex('02020080') })).serial, 128n);
});

test('validity: two well-formed times', () => {
  refuses(cert({ validity: seq(utc('240101000000Z')) }), 'X509_MALFORMED');
  refuses(cert({ validity: seq(utc('240101000000Z'), utc('340101000000Z'), utc('340101000000Z')) }), 'X509_MALFORMED');
  refuses(cert({ validity: seq(utc('2401010000Z'), utc('340101000000Z')) }), 'DER_TIME_INVALID');
  refuses(cert({ validity: seq(utc('240101000000Z'), encode(Tag.GENERALIZED_TIME, Buffer.from('20340101000000.5Z'))) }), 'DER_TIME_INVALID');
});

test('BIT STRINGs of the key and the signature have no unused bits', () => {
  refuses(cert({ signature: encode(Tag.BIT_STRING, hex('01 3006020101020100')) }), 'DER_BIT_STRING_INVALID');
  const badKey = Buffer.from(spki);
  badKey[spki.length - 66] = 0x01; // the unused-bits octet of the key's BIT STRING (65-byte point)
  refuses(cert({ key: badKey }), 'DER_BIT_STRING_INVALID');
});

test('the critical flag: absent means FALSE, explicit FALSE is not DER, TRUE read for every shape', () => {
  const e = (critical?: Buffer) => cert({ extensions: [ext(OID.subjectKeyIdentifier, octets(hex('0102')), critical)] });
  assert.equal(new Certificate(e()).extension(OID.subjectKeyIdentifier)?.critical, false);
  assert.equal(new Certificate(e(TRUE)).extension(OID.subjectKeyIdentifier)?.critical, true);
  refuses(e(FALSE), 'X509_EXTENSION_INVALID');
  refuses(e(hex('010101')), 'DER_BOOLEAN_INVALID');
  // Four fields (an extra BOOLEAN) used to be read as not critical.
  refuses(cert({ extensions: [seq(oid(OID.keyUsage), TRUE, TRUE, octets(hex('03020780')))] }), 'X509_EXTENSION_INVALID');
  refuses(cert({ extensions: [seq(oid(OID.keyUsage))] }), 'X509_EXTENSION_INVALID');
  refuses(cert({ extensions: [seq(oid(OID.keyUsage), TRUE, hex('0500'))] }), 'DER_UNEXPECTED_TAG');
  refuses(cert({ extensions: [basic(TRUE), basic(TRUE)] }), 'X509_EXTENSION_DUPLICATE');
});

test('BasicConstraints: DEFAULT FALSE absent, pathLen non-negative, nothing else', () => {
  const bc = (...kids: Buffer[]) => new Certificate(cert({ extensions: [basic(...kids)] }));
  assert.deepEqual(bc().basicConstraints, { ca: false, pathLen: undefined });
  assert.deepEqual(bc(TRUE, int(0)).basicConstraints, { ca: true, pathLen: 0 });
  const refusesBc = (...kids: Buffer[]) => refuses(cert({ extensions: [basic(...kids)] }), 'X509_EXTENSION_INVALID', (c) => c.basicConstraints);
  refusesBc(FALSE);
  refusesBc(TRUE, hex('0201ff'));
  refusesBc(int(0), TRUE);
  refusesBc(TRUE, int(0), int(0));
});

test('KeyUsage, ExtKeyUsage and otherName SANs are read strictly', () => {
  const with_ = (e: Buffer) => new Certificate(cert({ extensions: [e] }));
  assert.equal(with_(ext(OID.keyUsage, hex('03020780'), TRUE)).keyUsage?.digitalSignature, true);
  refuses(cert({ extensions: [ext(OID.keyUsage, hex('03020781'), TRUE)] }), 'DER_BIT_STRING_INVALID', (c) => c.keyUsage);
  refuses(cert({ extensions: [ext(OID.extKeyUsage, seq())] }), 'X509_EXTENSION_INVALID', (c) => c.extKeyUsage);
  const otherName = encode(0xa0, [oid(OID.fulcioOtherName)]);
  refuses(cert({ extensions: [ext(OID.subjectAltName, seq(otherName))] }), 'X509_EXTENSION_INVALID', (c) => c.subjectAltNames);
  // The value must be [0] EXPLICIT: a bare UTF8String in its place is refused, the wrapped one read.
  const bare = encode(0xa0, [oid(OID.fulcioOtherName), encode(Tag.UTF8_STRING, Buffer.from('alice'))]);
  refuses(cert({ extensions: [ext(OID.subjectAltName, seq(bare))] }), 'X509_EXTENSION_INVALID', (c) => c.subjectAltNames);
  const good = encode(0xa0, [oid(OID.fulcioOtherName), encode(0xa0, [encode(Tag.UTF8_STRING, Buffer.from('alice'))])]);
  assert.deepEqual(with_(ext(OID.subjectAltName, seq(good))).subjectAltNames, [{ type: 'otherName', oid: OID.fulcioOtherName, value: 'alice' }]);
});

test('RSA keys of absurd size or exponent are refused before any signature work', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  assert.equal(checkKeyBounds(publicKey), publicKey);
  const small = generateKeyPairSync('rsa', { modulusLength: 512 }).publicKey;
  assert.throws(() => checkKeyBounds(small), (e) => e instanceof DerError && e.code === 'X509_RSA_KEY_BOUNDS');
  const even = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 3 }).publicKey;
  assert.equal(checkKeyBounds(even), even);
  // An RSA SPKI with a 2^64+1 exponent, built by hand (OpenSSL will not generate one).
  const jwk = publicKey.export({ format: 'jwk' });
  const n = Buffer.concat([hex('00'), Buffer.from(jwk.n!, 'base64url')]);
  const rsaKey = seq(encode(Tag.INTEGER, n), encode(Tag.INTEGER, hex('010000000000000001')));
  const hugeE = seq(seq(oid('1.2.840.113549.1.1.1'), hex('0500')), encode(Tag.BIT_STRING, Buffer.concat([hex('00'), rsaKey])));
  assert.throws(() => spkiToKey(hugeE), (e) => e instanceof DerError && e.code === 'X509_RSA_KEY_BOUNDS');
  assert.ok(RSA_BOUNDS.maxBits >= 4096);
});
