/**
 * The fuzz campaign's fast subset; `node --import tsx scripts/campaign-fuzz.mts` runs 100,000
 * (and a larger CLI sample).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runCliFuzz, runFuzzCampaign } from './fuzz.js';

it('2,100 mutated bundles, roots, signing and trust configs, certificates, timestamps and keys: no crash, hang or false acceptance', { timeout: 300_000 }, async () => {
  const r = await runFuzzCampaign({ iterations: 2100, seed: 424242 });
  assert.equal(r.iterations, 2100);
  assert.deepEqual(r.findings, []);
  assert.ok(r.rejected > 1000, `most mutants are rejected (${r.rejected})`);
  for (const t of ['bundle', 'trusted-root', 'certificate', 'timestamp', 'pem-key', 'signing-config', 'trust-config']) assert.ok((r.byTarget[t] ?? 0) >= 250, `${t} fuzzed`);
});

it('mutated bundles through bin/sigstore verify: exit 1 or 2, one line, no stack trace', { timeout: 180_000 }, async () => {
  const r = await runCliFuzz({ runs: 24, seed: 777 });
  assert.equal(r.runs, 24);
  assert.deepEqual(r.findings, []);
  assert.ok(Object.keys(r.exitCodes).every((c) => ['0', '1', '2'].includes(c)), JSON.stringify(r.exitCodes));
});
