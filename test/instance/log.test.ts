/**
 * The instance's log internals: the Merkle tree's roots, inclusion proofs and consistency proofs
 * agree with an independent RFC 6962 / RFC 9162 implementation for every small tree, and the
 * durable record file survives torn tails (a crash in the middle of a write).
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { leafHash, MerkleTree } from '../../src/instance/merkle.js';
import { AppendLog } from '../../src/instance/store.js';
import { mth, tempDir, verifyConsistencyProof, verifyInclusionProof } from './helpers.js';

describe('MerkleTree', () => {
  const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const tree = new MerkleTree();
  for (const l of leaves) tree.append(l);
  /** Reference roots of every prefix, by the RFC's recursive definition. */
  const ref = Array.from({ length: leaves.length + 1 }, (_, n) => mth(leaves.slice(0, n)));

  it('computes the RFC 6962 root of every prefix', () => {
    for (let n = 0; n <= leaves.length; n++) assert.ok(tree.root(n).equals(ref[n]!), `root of ${n}`);
  });

  it('gives inclusion proofs that verify, for every leaf of every tree size up to 70', () => {
    for (let n = 1; n <= leaves.length; n++) {
      const root = ref[n]!;
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        assert.ok(verifyInclusionProof(leaves[i]!, i, n, proof, root), `leaf ${i} in ${n}`);
        if (proof.length > 0) {
          const bad = proof.map((h) => Buffer.from(h));
          bad[0]![0]! ^= 1;
          assert.equal(verifyInclusionProof(leaves[i]!, i, n, bad, root), false);
        }
      }
    }
  });

  it('gives consistency proofs that verify, for every pair of tree sizes up to 70', () => {
    for (let n = 1; n <= leaves.length; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        assert.ok(verifyConsistencyProof(m, n, ref[m]!, ref[n]!, proof), `${m} -> ${n}`);
        if (m < n) assert.equal(verifyConsistencyProof(m, n, ref[m]!, leaves[0]!, proof), false);
      }
    }
  });

  it('refuses sizes it does not have', () => {
    assert.throws(() => tree.root(71), RangeError);
    assert.throws(() => tree.inclusionProof(5, 5), RangeError);
    assert.throws(() => tree.consistencyProof(10, 5), RangeError);
  });
});

describe('AppendLog', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('reads back what it acknowledged, and cuts a torn tail', async () => {
    const path = join(tmp.dir, 'records.log');
    const { log, records } = await AppendLog.open(path);
    assert.deepEqual(records, []);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(Buffer.from(`record ${i}`))));
    await log.append(Buffer.from('a'), Buffer.from('b'));
    await log.close();
    const size = statSync(path).size;

    // A crash in the middle of a write: half a header, then half a record.
    appendFileSync(path, Buffer.from([0, 0, 0]));
    let r = await AppendLog.open(path);
    assert.equal(r.records.length, 52);
    assert.equal(r.records[49]!.toString(), 'record 49');
    assert.equal(statSync(path).size, size, 'the torn tail is cut');
    await r.log.close();

    const torn = Buffer.alloc(8 + 4);
    torn.writeUInt32BE(100, 0); // says 100 bytes, has 4
    appendFileSync(path, torn);
    r = await AppendLog.open(path);
    assert.equal(r.records.length, 52);
    // New records go after the last good one.
    await r.log.append(Buffer.from('after restart'));
    await r.log.close();
    r = await AppendLog.open(path);
    assert.equal(r.records.length, 53);
    assert.equal(r.records[52]!.toString(), 'after restart');
    await r.log.close();

    // A record whose checksum does not match (a torn payload) ends the log there.
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(path, bytes);
    r = await AppendLog.open(path);
    assert.equal(r.records.length, 52);
    await r.log.close();
  });
});
