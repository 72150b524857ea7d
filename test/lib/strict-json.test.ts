/**
 * The strict JSON reader and its use at the edge (bundles): duplicate keys, depth, size and
 * value-count bounds, exact integers. Each refusal asserts its code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { BundleError, NetworkError } from '../../src/errors.js';
import { parseJson } from '../../src/lib/json.js';
import { JsonSyntaxError, parseStrictJson } from '../../src/lib/strict-json.js';
import type { ErrorCode } from '../../src/errors.js';

const refuses = (text: string, code: ErrorCode, limits = {}) =>
  assert.throws(() => parseStrictJson(text, limits), (e) => e instanceof JsonSyntaxError && e.code === code, `${code}: ${text.slice(0, 40)}`);

test('reads what JSON.parse reads, the same way', () => {
  for (const t of ['{"a":"x\\n\\u00e9\\ud83d\\ude00y","b":[1,2.5,-0,1e3,true,false,null,{}],"c":""}', ' [ ] ', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '0', '-1.5E-3', '{"__proto__":{"x":1}}']) {
    assert.deepEqual(parseStrictJson(t), JSON.parse(t));
  }
  const proto = parseStrictJson('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('refuses what JSON.parse refuses', () => {
  for (const t of ['[1,]', '{"a":1,}', '01', '1.', '.5', '"\t"', '"\\x"', '[', '{"a"}', 'tru', '1 2', '"abc', '"\\u12"', '-', '', '{a:1}', "'a'", '[1 2]', '\u00a0[]']) {
    refuses(t, 'JSON_SYNTAX');
    assert.throws(() => JSON.parse(t));
  }
  refuses('1e400', 'JSON_SYNTAX'); // JSON.parse reads Infinity
});

test('duplicate keys are refused anywhere, also when spelled with escapes', () => {
  refuses('{"a":1,"a":1}', 'JSON_DUPLICATE_KEY');
  refuses('{"x":[{"b":1,"c":2,"b":3}]}', 'JSON_DUPLICATE_KEY');
  refuses('{"a":1,"\\u0061":2}', 'JSON_DUPLICATE_KEY');
  assert.deepEqual(parseStrictJson('{"a":{"a":1}}'), { a: { a: 1 } });
});

test('depth, size and value count are bounded, and refused early', () => {
  refuses('['.repeat(101) + ']'.repeat(101), 'JSON_TOO_DEEP');
  assert.ok(Array.isArray(parseStrictJson('['.repeat(100) + ']'.repeat(100))));
  refuses('{"a":'.repeat(5_000_000), 'JSON_TOO_DEEP');
  refuses('"aaaa"', 'JSON_TOO_LARGE', { maxBytes: 5 });
  refuses(`[${'0,'.repeat(10)}0]`, 'JSON_TOO_MANY_VALUES', { maxValues: 10 });
});

test('integers beyond 2^53 keep their exact digits; others are numbers', () => {
  assert.deepEqual(parseStrictJson('[9007199254740991,9007199254740993,-9007199254740993,1.5e300]'), [
    9007199254740991,
    '9007199254740993',
    '-9007199254740993',
    1.5e300,
  ]);
  assert.deepEqual(parseStrictJson('[9007199254740993]', { exactIntegers: false }), [9007199254740992]);
});

test('parseJson turns each refusal into the caller error with its code; bytes are bounded before decoding', () => {
  const fail = (m: string, code?: ErrorCode): never => {
    throw new BundleError(code ?? 'BUNDLE_INVALID', m);
  };
  const code = (f: () => unknown, c: string) => assert.throws(f, (e) => e instanceof BundleError && e.code === c, c);
  code(() => parseJson('{"a":1,"a":2}', 'x', fail), 'JSON_DUPLICATE_KEY');
  code(() => parseJson(Buffer.alloc(64), 'x', fail, { maxBytes: 63 }), 'JSON_TOO_LARGE');
  code(() => parseJson('[', 'x', fail), 'BUNDLE_INVALID');
});

test('a bundle with a duplicate key anywhere is refused', () => {
  const bundle = '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"a","hint":"b"}},"messageSignature":{"signature":"AA=="}}';
  assert.throws(() => parseBundle(bundle), (e) => e instanceof BundleError && e.code === 'JSON_DUPLICATE_KEY');
  assert.throws(() => parseBundle(`{"mediaType":"x",${'"a":{'.repeat(200)}`), (e) => e instanceof BundleError && e.code === 'JSON_TOO_DEEP');
  assert.ok(NetworkError);
});
