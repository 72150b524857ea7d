/**
 * The fuzz campaign's fast subset; `node --import tsx scripts/campaign-fuzz.mts` runs 100,000.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runFuzzCampaign } from './fuzz.js';

it('2,000 mutated bundles, roots, certificates, timestamps and keys: no crash, hang or false acceptance', { timeout: 300_000 }, async () => {
  const r = await runFuzzCampaign({ iterations: 2000, seed: 424242 });
  assert.equal(r.iterations, 2000);
  assert.deepEqual(r.findings, []);
  assert.ok(r.rejected > 1000, `most mutants are rejected (${r.rejected})`);
});
