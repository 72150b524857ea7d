/**
 * The strict DER reader, on crafted encodings: each refusal asserts its code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Der, DerError, decodeOid, encode, MAX_DER_DEPTH, rememberedOidCount, Tag } from '../../src/lib/der.js';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const refuses = (f: () => unknown, code: string) => assert.throws(f, (e) => e instanceof DerError && e.code === code, code);

test('lengths: minimal short and long forms only, no indefinite length, no overrun', () => {
  assert.equal(Der.parse(hex('04 03 010203')).value.length, 3);
  assert.equal(Der.parse(Buffer.concat([hex('04 81 80'), Buffer.alloc(0x80)])).value.length, 0x80);
  refuses(() => Der.parse(hex('04 81 03 010203')), 'DER_LENGTH_NONMINIMAL'); // 3 fits the short form
  refuses(() => Der.parse(Buffer.concat([hex('04 82 0080'), Buffer.alloc(0x80)])), 'DER_LENGTH_NONMINIMAL'); // leading zero octet
  refuses(() => Der.parse(hex('30 80 0000')), 'DER_LENGTH_INVALID'); // BER indefinite length
  refuses(() => Der.parse(hex('04 85 0000000001 00')), 'DER_LENGTH_INVALID');
  refuses(() => Der.parse(hex('04 05 0102')), 'DER_TRUNCATED');
  refuses(() => Der.parse(hex('04 82 01')), 'DER_TRUNCATED');
  refuses(() => Der.parse(hex('04')), 'DER_TRUNCATED');
});

test('no trailing bytes after an element, nor inside an explicitly tagged one', () => {
  refuses(() => Der.parse(hex('05 00 00')), 'DER_TRAILING_BYTES');
  refuses(() => Der.parse(hex('a0 05 020101 0500')).inner(), 'DER_TRAILING_BYTES');
});

test('tags: high tag numbers refused; children only of constructed elements', () => {
  refuses(() => Der.parse(hex('1f 01 00')), 'DER_TAG_UNSUPPORTED');
  refuses(() => Der.parse(hex('04 01 00')).children, 'DER_NOT_CONSTRUCTED');
  refuses(() => Der.parse(hex('30 00')).child(0), 'DER_MISSING_ELEMENT');
  refuses(() => Der.parse(hex('04 00')).expect(Tag.SEQUENCE, 'x'), 'DER_UNEXPECTED_TAG');
});

test('INTEGER: minimal two-complement encodings only', () => {
  assert.equal(Der.parse(hex('02 01 00')).bigint(), 0n);
  assert.equal(Der.parse(hex('02 02 0080')).bigint(), 128n);
  assert.equal(Der.parse(hex('02 01 ff')).bigint(), -1n);
  assert.equal(Der.parse(hex('02 02 ff7f')).bigint(), -129n);
  refuses(() => Der.parse(hex('02 02 0001')).bigint(), 'DER_INTEGER_NONMINIMAL');
  refuses(() => Der.parse(hex('02 02 ffff')).bigint(), 'DER_INTEGER_NONMINIMAL');
  refuses(() => Der.parse(hex('02 00')).bigint(), 'DER_INTEGER_INVALID');
  refuses(() => Der.parse(hex('02 08 7fffffffffffffff')).int(), 'DER_INTEGER_RANGE');
});

test('BOOLEAN: one octet, 0x00 or 0xFF', () => {
  assert.equal(Der.parse(hex('01 01 ff')).bool(), true);
  assert.equal(Der.parse(hex('01 01 00')).bool(), false);
  refuses(() => Der.parse(hex('01 01 01')).bool(), 'DER_BOOLEAN_INVALID');
  refuses(() => Der.parse(hex('01 02 ffff')).bool(), 'DER_BOOLEAN_INVALID');
  refuses(() => Der.parse(hex('01 00')).bool(), 'DER_BOOLEAN_INVALID');
});

test('NULL has no contents', () => {
  refuses(() => Der.parse(hex('05 01 00')), 'DER_NULL_INVALID');
});

test('OID: minimal arcs (no leading 0x80), not truncated, not empty, arcs bounded', () => {
  assert.equal(decodeOid(hex('2a864886f70d010101')), '1.2.840.113549.1.1.1');
  assert.equal(decodeOid(hex('8837')), '2.999');
  refuses(() => decodeOid(hex('2a 80 01')), 'DER_OID_INVALID');
  refuses(() => decodeOid(hex('80 2a')), 'DER_OID_INVALID');
  refuses(() => decodeOid(hex('2a 86')), 'DER_OID_INVALID');
  refuses(() => decodeOid(Buffer.alloc(0)), 'DER_OID_INVALID');
  refuses(() => decodeOid(hex('2a ffffffffffffff7f')), 'DER_OID_INVALID');
  refuses(() => Der.parse(hex('06 00')).oid(), 'DER_OID_INVALID');
});

test('decoded OIDs are remembered only when short, and never more than 512 of them', () => {
  const oid = (arcs: number[]) => encode(Tag.OID, Buffer.from(arcs));
  const short = oid([0x2b, 6, 1, 4, 1, 0x83, 0xbf, 0x30, 1, 1]);
  const before = rememberedOidCount();
  assert.equal(Der.parse(short).oid(), '1.3.6.1.4.1.57264.1.1');
  assert.equal(Der.parse(short).oid(), '1.3.6.1.4.1.57264.1.1');
  assert.ok(rememberedOidCount() <= before + 1);
  // 40 arcs of one byte: decoded, not remembered (a hostile input's long OIDs cost nothing to keep).
  const long = oid([0x2b, ...Array.from({ length: 39 }, (_, i) => i + 1)]);
  const n = rememberedOidCount();
  assert.equal(Der.parse(long).oid(), `1.3.${Array.from({ length: 39 }, (_, i) => i + 1).join('.')}`);
  assert.equal(rememberedOidCount(), n);
  for (let i = 0; i < 600; i++) Der.parse(oid([0x2b, 0x81, (i >> 7) & 0x7f | 0x80, i & 0x7f])).oid();
  assert.ok(rememberedOidCount() <= 512);
});

test('BIT STRING: keys and signatures have no unused bits; unused bits are zero and at most 7', () => {
  assert.deepEqual(Der.parse(hex('03 02 00 ab')).bits(), hex('ab'));
  assert.deepEqual(Der.parse(hex('03 02 07 80')).bitString(), { unused: 7, bytes: hex('80') });
  refuses(() => Der.parse(hex('03 02 07 80')).bits(), 'DER_BIT_STRING_INVALID');
  refuses(() => Der.parse(hex('03 02 01 81')).bitString(), 'DER_BIT_STRING_INVALID'); // a set unused bit
  refuses(() => Der.parse(hex('03 02 08 00')).bitString(), 'DER_BIT_STRING_INVALID');
  refuses(() => Der.parse(hex('03 01 01')).bitString(), 'DER_BIT_STRING_INVALID');
  // An empty BIT STRING (no bits, zero unused) is well formed.
  assert.deepEqual(Der.parse(hex('03 01 00')).bitString(), { unused: 0, bytes: Buffer.alloc(0) });
  refuses(() => Der.parse(hex('03 00')).bitString(), 'DER_BIT_STRING_INVALID');
});

const time = (tag: number, s: string) => Der.parse(encode(tag, Buffer.from(s, 'latin1')));

test('times: RFC 5280 UTCTime and GeneralizedTime (Z, seconds, 1950/2050 rule, valid fields)', () => {
  assert.equal(time(Tag.UTC_TIME, '491231235959Z').date().toISOString(), '2049-12-31T23:59:59.000Z');
  assert.equal(time(Tag.UTC_TIME, '500101000000Z').date().toISOString(), '1950-01-01T00:00:00.000Z');
  assert.equal(time(Tag.GENERALIZED_TIME, '20500101000000Z').date().toISOString(), '2050-01-01T00:00:00.000Z');
  assert.equal(time(Tag.GENERALIZED_TIME, '20240229120000.25Z').date({ fraction: true }).toISOString(), '2024-02-29T12:00:00.250Z');
  for (const bad of ['4912312359Z', '491231235959', '491231235959+0000', '491231235959.5Z', '491331235959Z', '490230000000Z', '491231245959Z']) {
    refuses(() => time(Tag.UTC_TIME, bad).date(), 'DER_TIME_INVALID');
  }
  for (const bad of ['20240101000000.5Z', '202401010000Z', '20240101000000', '20230229000000Z', '20240101236000Z']) {
    refuses(() => time(Tag.GENERALIZED_TIME, bad).date(), 'DER_TIME_INVALID');
  }
  // Fractions only where allowed, and without trailing zeros (X.690 11.7).
  refuses(() => time(Tag.GENERALIZED_TIME, '20240101000000.50Z').date({ fraction: true }), 'DER_TIME_INVALID');
  refuses(() => time(Tag.GENERALIZED_TIME, '20240101000000.Z').date({ fraction: true }), 'DER_TIME_INVALID');
  refuses(() => time(Tag.INTEGER, '1').date(), 'DER_UNEXPECTED_TAG');
});

/** The profile as regular expressions (what date() implements byte by byte): the reference. */
function referenceDate(tag: number, s: string, fraction: boolean): string | undefined {
  const m = tag === Tag.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d*[1-9])?Z$/.exec(s);
  if (!m || (m[7] && !fraction)) return undefined;
  const year = tag === Tag.UTC_TIME ? (Number(m[1]) >= 50 ? 1900 : 2000) + Number(m[1]) : Number(m[1]);
  const [mo, d, h, mi, sec] = [2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const t = new Date(Date.UTC(year, mo! - 1, d, h, mi, sec, m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0));
  const same = t.getUTCFullYear() === year && t.getUTCMonth() === mo! - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === sec;
  return same ? t.toISOString() : undefined;
}

test('times: the byte reader agrees with the regular-expression profile on 20,000 near-valid strings', () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = '0123456789012345678901234567890123456789.Z+-: \u00b2a';
  const bases = ['491231235959Z', '500101000000Z', '20240229120000.25Z', '20240101000000Z', '99123123595.9Z', '20240101000000.000001Z'];
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const chars = [...bases[rnd(bases.length)]!];
    for (let k = rnd(4); k > 0; k--) {
      const at = rnd(chars.length + 1);
      const op = rnd(3);
      const c = alphabet[rnd(alphabet.length)]!;
      if (op === 0) chars.splice(at, 1, c);
      else if (op === 1) chars.splice(at, 0, c);
      else chars.splice(at, 1);
    }
    const s = chars.join('');
    for (const tag of [Tag.UTC_TIME, Tag.GENERALIZED_TIME]) {
      for (const fraction of [false, true]) {
        const want = referenceDate(tag, s, fraction);
        let got: string | undefined;
        try {
          got = time(tag, s).date({ fraction }).toISOString();
        } catch (e) {
          assert.equal((e as DerError).code, 'DER_TIME_INVALID', s);
        }
        assert.equal(got, want, `${tag === Tag.UTC_TIME ? 'UTCTime' : 'GeneralizedTime'} ${JSON.stringify(s)} fraction=${fraction}`);
        if (got) accepted++;
      }
    }
  }
  assert.ok(accepted > 2000, `enough valid times among the cases (${accepted})`);
});

test('nesting is bounded', () => {
  let el = hex('05 00');
  for (let i = 0; i < MAX_DER_DEPTH + 2; i++) el = encode(Tag.SEQUENCE, el);
  let d = Der.parse(el);
  refuses(() => {
    for (;;) d = d.child(0);
  }, 'DER_TOO_DEEP');
});

test('DerError is a SigstoreError with a stable code', () => {
  const e = new DerError('x');
  assert.equal(e.code, 'DER_INVALID');
});
