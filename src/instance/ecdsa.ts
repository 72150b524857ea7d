/**
 * ECDSA verification over a precomputed digest (hashedrekord), fast enough for a log under load.
 *
 * node:crypto verifies ECDSA only over a message it hashes itself, and the pure-JS verifier
 * (@noble/curves, what src/lib/signature.ts uses) costs ~10 ms per signature here. This verifier
 * does the scalar multiplications natively through node's ECDH (OpenSSL) and one point addition
 * in BigInt:
 *
 *   w = 1/s, u1 = e·w, u2 = r·w (mod n);  R = u1·G + u2·Q = u2·(t·G + Q) with t = u1/u2 = e/r;
 *   accept iff R ≠ O and x(R) ≡ r (mod n).
 *
 * ECDH gives t·G as a full point (a fixed-base multiplication), and x(u2·S) for S = t·G + Q as
 * its shared secret, which is all the check needs: one variable-base multiplication, no
 * y-coordinate to recover. u2 is never 0 (r and w are units mod the prime n), and on these
 * prime-order curves u2·S = O only if S = O, which is refused. Everything is exact arithmetic;
 * the tests compare the result with node's own verifier on valid and tampered signatures for
 * P-256, P-384 and P-521.
 */
import { createECDH, type KeyObject } from 'node:crypto';
import { Der } from '../lib/der.js';

interface Curve {
  ecdh: string;
  size: number;
  p: bigint;
  a: bigint;
  b: bigint;
  n: bigint;
}

const CURVES: Record<string, Curve> = {
  prime256v1: {
    ecdh: 'prime256v1',
    size: 32,
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  secp384r1: {
    ecdh: 'secp384r1',
    size: 48,
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  secp521r1: {
    ecdh: 'secp521r1',
    size: 66,
    p: (1n << 521n) - 1n,
    a: (1n << 521n) - 4n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
};

type Point = { x: bigint; y: bigint } | null; // null: the point at infinity

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return mod(s0, m);
}

function add(c: Curve, P: Point, Q: Point): Point {
  if (!P) return Q;
  if (!Q) return P;
  let l: bigint;
  if (P.x === Q.x) {
    if (mod(P.y + Q.y, c.p) === 0n) return null;
    l = mod((3n * P.x * P.x + c.a) * inverse(2n * P.y, c.p), c.p);
  } else {
    l = mod((Q.y - P.y) * inverse(Q.x - P.x, c.p), c.p);
  }
  const x = mod(l * l - P.x - Q.x, c.p);
  return { x, y: mod(l * (P.x - x) - P.y, c.p) };
}

const toBig = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`));
const toBuf = (v: bigint, size: number): Buffer => Buffer.from(v.toString(16).padStart(size * 2, '0'), 'hex');

/** k·G (full point), natively. 0 < k < n. */
function mulBase(c: Curve, k: bigint): Point {
  const e = createECDH(c.ecdh);
  e.setPrivateKey(toBuf(k, c.size));
  const pub = e.getPublicKey();
  return { x: toBig(pub.subarray(1, 1 + c.size)), y: toBig(pub.subarray(1 + c.size)) };
}

/** x(k·Q), natively. 0 < k < n; Q an uncompressed point. */
function mulX(c: Curve, k: bigint, q: Buffer): bigint {
  const e = createECDH(c.ecdh);
  e.setPrivateKey(toBuf(k, c.size));
  return toBig(e.computeSecret(q));
}

/** Whether `key` (an EC public key on P-256/384/521) is supported here. */
export function supportsFastDigest(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] !== undefined;
}

/**
 * Verifies a DER ECDSA signature over `digest` (any length: truncated to the curve order's bit
 * length as ECDSA specifies) with an EC public key.
 */
export function verifyEcdsaDigest(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const c = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (!c || key.asymmetricKeyType !== 'ec') return false;
  let r: bigint;
  let s: bigint;
  try {
    const seq = Der.parse(signature);
    if (seq.tag !== 0x30 || seq.children.length !== 2) return false;
    const [ri, si] = seq.children;
    if (ri!.tag !== 0x02 || si!.tag !== 0x02) return false;
    if ((ri!.value[0]! & 0x80) !== 0 || (si!.value[0]! & 0x80) !== 0) return false; // negative
    r = toBig(ri!.value);
    s = toBig(si!.value);
  } catch {
    return false;
  }
  const { n } = c;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const nBits = n.toString(2).length;
  let e = toBig(digest);
  if (digest.length * 8 > nBits) e >>= BigInt(digest.length * 8 - nBits);

  const jwk = key.export({ format: 'jwk' });
  const Q = { x: toBig(Buffer.from(jwk.x!, 'base64url')), y: toBig(Buffer.from(jwk.y!, 'base64url')) };

  try {
    // One inversion for both 1/r and 1/s: 1/(r·s).
    const inv = inverse(mod(r * s, n), n);
    const u2 = mod(r * r * inv, n); // r/s
    const t = mod(e * s * inv, n); // e/r
    const S = add(c, t === 0n ? null : mulBase(c, t), Q);
    if (S === null) return false; // R = u2·O = O
    const sRaw = Buffer.concat([Buffer.from([4]), toBuf(S.x, c.size), toBuf(S.y, c.size)]);
    return mod(mulX(c, u2, sRaw), n) === r;
  } catch {
    return false;
  }
}
