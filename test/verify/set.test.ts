/**
 * The SET payload is written by hand (no JSON canonicalizer on the verify path): it must be
 * byte for byte what RFC 8785 (the canonicalize package) gives for the same values.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import canonicalize from 'canonicalize';
import type { TlogEntry } from '../../src/bundle/parse.js';
import { setPayload } from '../../src/verify/tlog/set.js';

test('setPayload is the RFC 8785 canonical JSON of the SET fields (integers up to 2^53)', () => {
  for (const [time, index, size] of [
    [0n, 0n, 0],
    [1_700_000_000n, 123_456_789n, 1],
    [1_800_000_000n, 9_007_199_254_740_991n, 700],
    [2_000_000_000n, 9_007_199_254_740_992n, 3000],
  ] as const) {
    const entry = { canonicalizedBody: randomBytes(size), integratedTime: time, logId: randomBytes(32), logIndex: index } as unknown as TlogEntry;
    const expected = canonicalize({
      body: entry.canonicalizedBody.toString('base64'),
      integratedTime: Number(time),
      logID: entry.logId.toString('hex'),
      logIndex: Number(index),
    })!;
    assert.equal(setPayload(entry).toString('utf8'), expected);
  }
});

test('beyond 2^53 the integers are written exactly: indexes 2^53 and 2^53 + 1 have different payloads', () => {
  const base = { canonicalizedBody: Buffer.from('x'), integratedTime: 1_700_000_000n, logId: Buffer.alloc(32) };
  const a = setPayload({ ...base, logIndex: 9_007_199_254_740_992n } as unknown as TlogEntry).toString('utf8');
  const b = setPayload({ ...base, logIndex: 9_007_199_254_740_993n } as unknown as TlogEntry).toString('utf8');
  assert.notEqual(a, b);
  assert.match(b, /"logIndex":9007199254740993\}$/);
});
