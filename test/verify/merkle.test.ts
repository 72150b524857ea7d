/**
 * Inclusion proofs of the wrong shape are refused by rootFromInclusionProof itself, not left to
 * a root comparison: an index outside the tree, a hash that is not 32 bytes, extra or missing
 * hashes; and a proof of index N in a tree of N leaves cannot verify.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MerkleTree } from '../../src/instance/merkle.js';
import { leafHash, rootFromInclusionProof } from '../../src/lib/merkle.js';
import { ForgedPki } from '../helpers/forge.js';
import { refusedAt, verifyForged } from '../helpers/verify.js';

const tree = new MerkleTree();
for (let i = 0; i < 11; i++) tree.append(leafHash(Buffer.from(`leaf ${i}`)));
const root = (i: number, size: number, proof: Buffer[]) => rootFromInclusionProof(BigInt(i), BigInt(size), tree.leaf(i), proof);

describe('rootFromInclusionProof', () => {
  it('every leaf of every tree size proves its root', () => {
    for (let size = 1; size <= 11; size++) {
      for (let i = 0; i < size; i++) assert.ok(root(i, size, tree.inclusionProof(i, size))?.equals(tree.root(size)), `${i}/${size}`);
    }
  });

  it('an index outside the tree has no root', () => {
    assert.equal(rootFromInclusionProof(-1n, 11n, tree.leaf(0), tree.inclusionProof(0)), undefined);
    assert.equal(rootFromInclusionProof(11n, 11n, tree.leaf(10), tree.inclusionProof(10)), undefined);
    // The one-leaf tree: index 1 with an empty proof would "prove" the leaf as the root.
    assert.equal(rootFromInclusionProof(1n, 1n, tree.leaf(0), []), undefined);
  });

  it('a proof hash that is not 32 bytes has no root', () => {
    const p = tree.inclusionProof(3);
    for (const len of [31, 33, 0]) {
      const bad = [...p];
      bad[1] = Buffer.alloc(len);
      assert.equal(root(3, 11, bad), undefined, `${len} bytes`);
    }
  });

  it('a proof with an extra hash, or one missing, has no root', () => {
    const p = tree.inclusionProof(3);
    assert.equal(root(3, 11, [...p, Buffer.alloc(32)]), undefined);
    assert.equal(root(3, 11, p.slice(0, -1)), undefined);
    assert.equal(root(10, 11, [...tree.inclusionProof(10), Buffer.alloc(32)]), undefined);
  });
});

describe('tlog: a proof of index N in a tree of N leaves', () => {
  it('TLOG_INCLUSION_PROOF_INVALID: the entry claims index 1 of a one-leaf tree whose root is its leaf', async () => {
    const pki = new ForgedPki();
    const b = pki.bundle({ treeSize: 1, logIndex: 1, set: false, tsa: true, json: (j) => {
      const e = j.verificationMaterial.tlogEntries[0];
      e.inclusionProof.logIndex = '1';
      delete e.integratedTime;
    } });
    await refusedAt(verifyForged(pki.trust(), b), 'tlog', 'TLOG_INCLUSION_PROOF_INVALID', /wrong shape/);
  });
});
