/**
 * A log entry without a SET whose outer log index differs from its inclusion proof's (as on a
 * sharded log: global index vs index in the shard) verifies, and every way of verifying reports
 * the proven index: Verifier, VerifierPool (its workers) and verifyMany. It runs the built
 * library (dist/index.js), as the workers do.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type * as Lib from '../../src/index.js';
import { CONFORMANCE_DIR } from '../helpers/conformance.js';

// The built library, as the workers run it.
const lib = (await import(pathToFileURL('dist/index.js').href)) as typeof Lib;
const { parseBundle, parseTrustedRoot, unsafeAcceptAnyIdentity, Verifier, VerifierPool, verifyMany } = lib;

const dir = join(CONFORMANCE_DIR, 'rekor2-happy-path');
const trust = parseTrustedRoot(readFileSync(join(dir, 'trusted_root.json'), 'utf8'));
const json = JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8'));
const entry = json.verificationMaterial.tlogEntries[0];
assert.equal(entry.inclusionPromise, undefined, 'a Rekor v2 entry has no SET');
const proven = BigInt(entry.inclusionProof.logIndex);
entry.logIndex = String(proven + 1_000_000_000n);
const text = JSON.stringify(json);
const artifact = { path: join(CONFORMANCE_DIR, 'a.txt') };
const policy = unsafeAcceptAnyIdentity();

it('Verifier, VerifierPool and verifyMany report the proven index, not the unauthenticated outer one', async () => {
  const direct = await new Verifier(trust).verify(parseBundle(text), artifact, policy);
  assert.equal(direct.tlogEntries[0]!.logIndex, proven);
  const pool = await VerifierPool.start(trust, { workers: 1, callingThread: false });
  try {
    const [o] = await pool.verifyMany([{ bundle: text, artifact }], policy);
    assert.ok(o!.ok, o!.ok ? '' : o!.error.message);
    assert.equal(o!.result.tlogEntries[0]!.logIndex, proven);
  } finally {
    await pool.close();
  }
  const many = await verifyMany(trust, [{ bundle: text, artifact }, { bundle: text, artifact }], policy, { threads: 2 });
  for (const o of many) {
    assert.ok(o.ok);
    assert.equal(o.result.tlogEntries[0]!.logIndex, proven);
  }
});
