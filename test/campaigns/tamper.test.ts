/**
 * The tamper campaign's fast subset (five positions per authenticated field of every genuine
 * bundle: conformance, the example, the PyPI attestations, and bundles signed against the local
 * instance); `node --import tsx scripts/campaign-tamper.mts` runs every byte.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runTamperCampaign } from './tamper.js';

it('every single-change variant of every genuine bundle is rejected, naming a step', { timeout: 300_000 }, async () => {
  const r = await runTamperCampaign({ exhaustive: false });
  assert.ok(r.variants > 4000, `enough variants (${r.variants})`);
  assert.deepEqual(r.accepted, [], 'no tampered variant verifies');
  assert.deepEqual(r.wrongError, [], 'every rejection is a VerificationError naming a step');
  assert.equal(r.rejected, r.variants);
  for (const source of ['conformance', 'examples', 'pypi', 'instance', 'forged']) assert.ok((r.bySource[source] ?? 0) > 0, `variants of ${source} bundles`);
  for (const field of ['certificate TBS', 'certificate signature', 'SCT', 'inclusion proof hashes', 'root hash', 'checkpoint body', 'checkpoint signature', 'SET', 'log index', 'integrated time', 'log id', 'entry body field', 'DSSE payload', 'DSSE payload type', 'timestamp token', 'message digest', 'signature', 'identity', 'issuer', 'artifact', 'artifact digest']) {
    assert.ok((r.byField[field]?.[0] ?? 0) > 0, `variants change ${field}`);
  }
});

it('the bundles signed against the local instance (hashedrekord, DSSE x Rekor v1, v2, with TSA) get SCT and timestamp flips', { timeout: 120_000 }, async () => {
  const r = await runTamperCampaign({ exhaustive: false, filter: /^instance\// });
  assert.equal(r.genuine, 4);
  assert.deepEqual(r.accepted, []);
  assert.deepEqual(r.wrongError, []);
  for (const field of ['SCT', 'timestamp token', 'checkpoint signature', 'entry body field', 'DSSE payload']) assert.ok((r.byField[field]?.[0] ?? 0) > 0, `instance variants change ${field}`);
});

it('certificates and timestamps changed and re-signed by a forged CA, CT log or TSA reach the chain, SCT, timestamp and policy checks', { timeout: 120_000 }, async () => {
  const r = await runTamperCampaign({ exhaustive: false, instance: false, filter: /^forged\// });
  assert.equal(r.genuine, 2);
  assert.deepEqual(r.accepted, []);
  assert.deepEqual(r.wrongError, []);
  const steps = (field: string) => r.byFieldStep[field] ?? {};
  assert.ok((steps('certificate TBS (re-signed by the CA)').sct ?? 0) > 0, JSON.stringify(steps('certificate TBS (re-signed by the CA)')));
  assert.ok((steps('certificate TBS (re-signed by the CA)').chain ?? 0) > 0);
  for (const step of ['chain', 'sct', 'policy']) assert.ok((steps('certificate profile (re-issued by the CA)')[step] ?? 0) > 0, `profiles reach ${step}`);
  assert.ok((steps('timestamp (re-signed by the TSA)').timestamp ?? 0) > 20);
});
