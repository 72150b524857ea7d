/**
 * RFC 6962 / RFC 9162 Merkle tree hashing and inclusion proof verification.
 */
import { createHash } from 'node:crypto';

/** Leaf hash: SHA-256(0x00 || leaf). */
export function leafHash(leaf: Buffer | Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(leaf).digest();
}

/** Interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

/**
 * Computes the root implied by an inclusion proof (RFC 9162 section 2.1.3.2), or undefined when
 * the proof has the wrong shape for the index and tree size.
 */
export function rootFromInclusionProof(index: bigint, size: bigint, leaf: Buffer, proof: Buffer[]): Buffer | undefined {
  if (index < 0n || index >= size) return undefined;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32) return undefined;
    if (sn === 0n) return undefined;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : undefined;
}
