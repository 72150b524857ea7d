/**
 * The SET payload is written by hand (no JSON canonicalizer on the verify path): it must be
 * byte for byte what RFC 8785 (the canonicalize package) gives for the same values, and carry
 * the exact digits of indices beyond 2^53 (where a double would round them).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { test } from 'node:test';
import canonicalize from 'canonicalize';
import { parseBundle, type TlogEntry } from '../../src/bundle/parse.js';
import { VerificationError } from '../../src/errors.js';
import type { TransparencyLog } from '../../src/trust/trusted-root.js';
import { setPayload, verifySET } from '../../src/verify/tlog/set.js';

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

test('setPayload writes indices beyond 2^53 with their exact digits', () => {
  const entry = { canonicalizedBody: Buffer.from('x'), integratedTime: 2_000_000_000n, logId: Buffer.alloc(32), logIndex: 12_345_678_901_234_567_890n } as unknown as TlogEntry;
  assert.match(setPayload(entry).toString('utf8'), /"logIndex":12345678901234567890\}$/);
});

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const log = { baseUrl: 'https://log.test', logId: Buffer.alloc(32, 7), key: publicKey } as unknown as TransparencyLog;

/** An entry as a bundle spells it (logIndex as a JSON number, as protobuf JSON allows), parsed strictly. */
function entryFromJson(logIndexLexeme: string, set: Buffer): TlogEntry {
  const text = `{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{"publicKey":{"hint":"k"},"tlogEntries":[{"logIndex":${logIndexLexeme},"logId":{"keyId":"${log.logId.toString('base64')}"},"kindVersion":{"kind":"hashedrekord","version":"0.0.1"},"integratedTime":"1700000000","inclusionPromise":{"signedEntryTimestamp":"${set.toString('base64')}"},"canonicalizedBody":"e30="}]},"messageSignature":{"signature":"AA=="}}`;
  return parseBundle(text).tlogEntries[0]!;
}

test('a SET over index 2^53 does not verify an entry claiming 2^53+1; a SET over 2^53+1 does', () => {
  const signed = (index: bigint): Buffer =>
    sign('sha256', setPayload({ canonicalizedBody: Buffer.from('{}'), integratedTime: 1_700_000_000n, logId: log.logId, logIndex: index } as TlogEntry), privateKey);
  const over2p53 = signed(2n ** 53n);
  const over2p53plus1 = signed(2n ** 53n + 1n);
  for (const lexeme of ['9007199254740993', '"9007199254740993"']) {
    const forged = entryFromJson(lexeme, over2p53);
    assert.equal(forged.logIndex, 2n ** 53n + 1n);
    assert.throws(() => verifySET(forged, log), (e) => e instanceof VerificationError && e.code === 'SET_INVALID');
    verifySET(entryFromJson(lexeme, over2p53plus1), log);
  }
  verifySET(entryFromJson('9007199254740992', over2p53), log);
});
