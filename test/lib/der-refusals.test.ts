/**
 * The strict DER reader refuses each malformation with a DerError (not a TypeError and not a
 * silently wrong value), one rule at a time, with inputs only that rule refuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Der, DerError, decodeOid } from '../../src/lib/der.js';

const h = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const refused = (f: () => unknown, message?: RegExp) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DerError, `a DerError, got ${String(e)}`);
    if (message) assert.match(e.message, message);
    return true;
  });

describe('DER reader', () => {
  it('reads well-formed elements', () => {
    assert.equal(Der.parse(h('020105')).int(), 5);
    assert.equal(Der.parse(h('0201ff')).int(), -1);
    assert.equal(Der.parse(h('0101ff')).bool(), true);
    assert.deepEqual([...Der.parse(h('03020780')).bitString().bytes], [0x80]);
    assert.equal(Der.parse(h('0603551d0f')).oid(), '2.5.29.15');
    assert.equal(Der.parse(h('3003020101')).child(0).int(), 1);
    assert.equal(Der.parse(Buffer.concat([h('048180'), Buffer.alloc(128)])).value.length, 128);
    assert.equal(Der.parse(Buffer.concat([h('04820100'), Buffer.alloc(256)])).value.length, 256);
    assert.equal(Der.parse(Buffer.from('170d3235303130313132303030305a', 'hex')).date().toISOString(), '2025-01-01T12:00:00.000Z');
    assert.equal(Der.parse(Buffer.concat([h('1811'), Buffer.from('20250101120000.5Z')])).date({ fraction: true }).toISOString(), '2025-01-01T12:00:00.500Z');
  });

  it('a primitive element has no children, even when its value reads as DER', () => {
    refused(() => Der.parse(h('02020400')).children, /not constructed/);
  });
  it('a missing child', () => refused(() => Der.parse(h('3000')).child(0), /missing ASN\.1 element/));
  it('an empty INTEGER', () => refused(() => Der.parse(h('0200')).bigint(), /empty INTEGER/));
  it('an INTEGER beyond 2^53 read as a number', () => {
    refused(() => Der.parse(h('0208 0100000000000000')).int(), /too large/);
    refused(() => Der.parse(h('0208 ff00000000000000')).int(), /too large/);
    assert.equal(Der.parse(h('0207 1fffffffffffff')).int(), Number.MAX_SAFE_INTEGER);
  });
  it('a BOOLEAN of two bytes', () => refused(() => Der.parse(h('0102ffff')).bool(), /BOOLEAN must be one octet/));
  it('an empty BIT STRING', () => refused(() => Der.parse(h('0300')).bits(), /empty BIT STRING/));
  it('a UTCTime or GeneralizedTime without its Z', () => {
    refused(() => Der.parse(Buffer.concat([h('170c'), Buffer.from('250101120000')])).date(), /bad UTCTime/);
    refused(() => Der.parse(Buffer.concat([h('180e'), Buffer.from('20250101120000')])).date(), /bad GeneralizedTime/);
  });
  it('a truncated element', () => refused(() => Der.parse(h('30')), /truncated DER element/));
  it('a high tag number', () => refused(() => Der.parse(h('1f0100')), /high tag numbers/));
  it('an indefinite or over-long length', () => {
    refused(() => Der.parse(h('0480 0000')), /indefinite length is not DER/);
    refused(() => Der.parse(h('0485 0000000001 00')), /unsupported DER length/);
  });
  it('a truncated length', () => refused(() => Der.parse(h('048201')), /truncated DER length/));
  it('a non-minimal length', () => {
    refused(() => Der.parse(h('04810500000000 00')), /non-minimal/);
    refused(() => Der.parse(Buffer.concat([h('04820080'), Buffer.alloc(128)])), /non-minimal/);
  });
  it('an element overrunning its container, trailing bytes', () => {
    refused(() => Der.parse(h('040500')), /overruns/);
    refused(() => Der.parse(h('020101 00')), /trailing bytes/);
  });
  it('an empty or truncated OID', () => {
    refused(() => decodeOid(Buffer.alloc(0)), /empty OID/);
    refused(() => decodeOid(h('2a81')), /truncated OID/);
  });
});
