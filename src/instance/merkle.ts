/**
 * An RFC 6962 Merkle tree: leaf hash SHA-256(0x00 || data), node hash SHA-256(0x01 || l || r).
 * Every complete subtree hash is kept per level (level k holds the hashes of the aligned
 * 2^k-leaf subtrees), so roots, inclusion proofs, consistency proofs and C2SP tiles for any
 * tree size are computed from O(log n) stored hashes.
 */
import { createHash } from 'node:crypto';
import { leafHash, nodeHash } from '../lib/merkle.js';

export { leafHash, nodeHash };

export const EMPTY_ROOT = createHash('sha256').digest();

/** A growable array of 32-byte hashes in one buffer. */
class HashLevel {
  private buf = Buffer.alloc(32 * 64);
  length = 0;
  push(h: Buffer): void {
    if ((this.length + 1) * 32 > this.buf.length) {
      const next = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(next);
      this.buf = next;
    }
    h.copy(this.buf, this.length * 32);
    this.length++;
  }
  get(i: number): Buffer {
    if (i < 0 || i >= this.length) throw new RangeError(`hash ${i} out of range`);
    return Buffer.from(this.buf.subarray(i * 32, i * 32 + 32));
  }
}

/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class MerkleTree {
  private readonly levels: HashLevel[] = [new HashLevel()];

  /** Number of leaves. */
  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends a leaf by its leaf hash and returns its index. */
  append(leaf: Buffer): number {
    const index = this.size;
    let h = leaf;
    let level = 0;
    let pos = index;
    for (;;) {
      if (!this.levels[level]) this.levels[level] = new HashLevel();
      this.levels[level]!.push(h);
      if (pos % 2 === 0) break;
      h = nodeHash(this.levels[level]!.get(pos - 1), h);
      level++;
      pos = Math.floor(pos / 2);
    }
    return index;
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Buffer {
    return this.levels[0]!.get(index);
  }

  /** Hash of the complete aligned subtree at `level`, position `index` (covering 2^level leaves). */
  node(level: number, index: number): Buffer {
    const l = this.levels[level];
    if (!l) throw new RangeError(`no level ${level}`);
    return l.get(index);
  }

  /** How many complete subtree hashes level `level` holds for a tree of `size` leaves. */
  completeAt(level: number, size: number): number {
    return Math.floor(size / 2 ** level);
  }

  /** MTH(D[start:end]) for a range produced by RFC 6962's recursive split. */
  private rangeHash(start: number, end: number): Buffer {
    const n = end - start;
    if (n <= 0) return EMPTY_ROOT;
    // A complete, aligned subtree is stored.
    if ((n & (n - 1)) === 0 && start % n === 0) return this.node(Math.log2(n), start / n);
    const k = splitPoint(n);
    return nodeHash(this.rangeHash(start, start + k), this.rangeHash(start + k, end));
  }

  /** The root hash of the tree's first `size` leaves. */
  root(size = this.size): Buffer {
    this.checkSize(size);
    return this.rangeHash(0, size);
  }

  /** RFC 6962 audit path for leaf `index` in the tree of the first `size` leaves. */
  inclusionProof(index: number, size = this.size): Buffer[] {
    this.checkSize(size);
    if (index < 0 || index >= size) throw new RangeError(`leaf index ${index} is not in a tree of size ${size}`);
    const path: Buffer[] = [];
    const walk = (m: number, start: number, end: number): void => {
      const n = end - start;
      if (n <= 1) return;
      const k = splitPoint(n);
      if (m < k) {
        walk(m, start, start + k);
        path.push(this.rangeHash(start + k, end));
      } else {
        walk(m - k, start + k, end);
        path.push(this.rangeHash(start, start + k));
      }
    };
    walk(index, 0, size);
    return path;
  }

  /** RFC 6962 consistency proof between the trees of `first` and `second` leaves. */
  consistencyProof(first: number, second = this.size): Buffer[] {
    this.checkSize(second);
    if (first < 0 || first > second) throw new RangeError(`cannot prove ${first} consistent with ${second}`);
    if (first === 0 || first === second) return [];
    const proof: Buffer[] = [];
    const sub = (m: number, start: number, end: number, whole: boolean): void => {
      const n = end - start;
      if (m === n) {
        if (!whole) proof.push(this.rangeHash(start, end));
        return;
      }
      const k = splitPoint(n);
      if (m <= k) {
        sub(m, start, start + k, whole);
        proof.push(this.rangeHash(start + k, end));
      } else {
        sub(m - k, start + k, end, false);
        proof.push(this.rangeHash(start, start + k));
      }
    };
    sub(first, 0, second, true);
    return proof;
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new RangeError(`tree size ${size} is not available (have ${this.size})`);
  }
}
