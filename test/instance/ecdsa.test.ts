/**
 * The instance's prehashed ECDSA verifier agrees with node's own ECDSA verifier (and with
 * @noble/curves) on valid signatures and on every kind of tampering, for P-256, P-384 and P-521.
 */
import assert from 'node:assert/strict';
import { createECDH, createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifyEcdsaDigest } from '../../src/instance/ecdsa.js';

// (P-384 and P-521 scalar multiplication is slow in OpenSSL's generic code: fewer rounds.)
const CURVES = [
  ['P-256', 'sha256', 40],
  ['P-384', 'sha384', 6],
  ['P-521', 'sha512', 4],
] as const;

/** Re-encodes a DER ECDSA signature with r or s changed. */
function withRS(sig: Buffer, f: (r: bigint, s: bigint) => [bigint, bigint]): Buffer {
  const readInt = (off: number): [bigint, number] => {
    let lenOff = off + 1;
    let len = sig[lenOff]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = sig.readUIntBE(lenOff + 1, n);
      lenOff += n;
    }
    const v = sig.subarray(lenOff + 1, lenOff + 1 + len);
    return [BigInt(`0x${v.toString('hex')}`), lenOff + 1 + len];
  };
  const seqLenBytes = sig[1]! & 0x80 ? (sig[1]! & 0x7f) + 1 : 1;
  const [r, next] = readInt(1 + seqLenBytes);
  const [s] = readInt(next);
  const [r2, s2] = f(r, s);
  const enc = (v: bigint) => {
    let h = v.toString(16);
    if (h.length % 2) h = `0${h}`;
    let b = Buffer.from(h, 'hex');
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02]), derLen(b.length), b]);
  };
  const body = Buffer.concat([enc(r2), enc(s2)]);
  return Buffer.concat([Buffer.from([0x30]), derLen(body.length), body]);
}

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  return n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
}

describe('verifyEcdsaDigest', () => {
  for (const [curve, hash, rounds] of CURVES) {
    it(`agrees with node:crypto on ${curve}`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const other = generateKeyPairSync('ec', { namedCurve: curve }).publicKey;
      for (let i = 0; i < rounds; i++) {
        const data = Buffer.from(`message ${i}`);
        const digest = createHash(hash).update(data).digest();
        const sig = sign(hash, data, privateKey);
        assert.equal(verify(hash, data, publicKey, sig), true);
        assert.equal(verifyEcdsaDigest(publicKey, digest, sig), true, `valid signature ${i}`);
        const flipped = Buffer.from(digest);
        flipped[i % flipped.length]! ^= 1 << (i % 8);
        assert.equal(verifyEcdsaDigest(publicKey, flipped, sig), false, 'tampered digest');
        assert.equal(verifyEcdsaDigest(other, digest, sig), false, 'another key');
        assert.equal(
          verifyEcdsaDigest(
            publicKey,
            digest,
            withRS(sig, (r, s) => [r, s + 1n]),
          ),
          false,
          's + 1',
        );
        assert.equal(
          verifyEcdsaDigest(
            publicKey,
            digest,
            withRS(sig, (r, s) => [r + 1n, s]),
          ),
          false,
          'r + 1',
        );
      }
    });
  }

  it('accepts the high-s twin of a signature (ECDSA has no low-s rule) and refuses malformed ones', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const data = Buffer.from('twin');
    const digest = createHash('sha256').update(data).digest();
    const sig = sign('sha256', data, privateKey);
    const twin = withRS(sig, (r, s) => [r, n - s]);
    assert.equal(verify('sha256', data, publicKey, twin), true, 'node accepts the twin');
    assert.equal(verifyEcdsaDigest(publicKey, digest, twin), true);
    assert.equal(
      verifyEcdsaDigest(
        publicKey,
        digest,
        withRS(sig, (r) => [r, 0n]),
      ),
      false,
      's = 0',
    );
    assert.equal(
      verifyEcdsaDigest(
        publicKey,
        digest,
        withRS(sig, (r) => [r, n]),
      ),
      false,
      's = n',
    );
    assert.equal(
      verifyEcdsaDigest(
        publicKey,
        digest,
        withRS(sig, (_r, s) => [0n, s]),
      ),
      false,
      'r = 0',
    );
    assert.equal(verifyEcdsaDigest(publicKey, digest, Buffer.from('not der')), false);
    assert.equal(verifyEcdsaDigest(publicKey, digest, Buffer.alloc(0)), false);
    const ed = generateKeyPairSync('ed25519').publicKey;
    assert.equal(verifyEcdsaDigest(ed, digest, sig), false, 'not an EC key');
  });

  // The two special points of R = u2·(t·G + Q), t = e/r: t·G = Q (a doubling) and t·G = -Q (the
  // point at infinity). Signatures are made here from the private scalar d, with digests chosen
  // so that e = d·r or e = -d·r.
  it('handles t·G = Q (a doubling) and refuses t·G = -Q (R at infinity)', () => {
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const d = BigInt(`0x${Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('hex')}`);
    const mod = (a: bigint) => ((a % n) + n) % n;
    const inv = (a: bigint) => {
      let [r0, r1, s0, s1] = [mod(a), n, 1n, 0n];
      while (r1 !== 0n) [r0, r1, s0, s1] = [r1, r0 % r1, s1, s0 - (r0 / r1) * s1];
      return mod(s0);
    };
    const hex32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
    // r = x(k·G) mod n, through ECDH with the scalar k as private key.
    const k = 0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdefn;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(hex32(k));
    const r = mod(BigInt(`0x${ecdh.getPublicKey().subarray(1, 33).toString('hex')}`));
    const der = (rr: bigint, ss: bigint) => withRS(sign('sha256', Buffer.from('x'), privateKey), () => [rr, ss]);
    // e = d·r: t = d, t·G = Q. s = (e + r·d)/k makes it valid.
    const eDouble = mod(d * r);
    assert.equal(verifyEcdsaDigest(publicKey, hex32(eDouble), der(r, mod((eDouble + r * d) * inv(k)))), true, 'valid, through the doubling');
    assert.equal(verifyEcdsaDigest(publicKey, hex32(eDouble), der(r, mod((eDouble + r * d) * inv(k)) + 1n)), false, 'tampered s, through the doubling');
    // e = -d·r: t·G = -Q, S = O: whatever s, R = O, so no signature is valid.
    const eInfinity = mod(-d * r);
    for (const s of [1n, 2n, mod(r * d), n - 1n]) assert.equal(verifyEcdsaDigest(publicKey, hex32(eInfinity), der(r, s)), false, `R at infinity (s = ${s})`);
  });
});
