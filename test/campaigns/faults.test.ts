/**
 * The fault campaign's fast subset (a few faults per service, the library and the CLI with new,
 * existing and --overwrite outputs); `node --import tsx scripts/campaign-faults.mts` runs the
 * whole matrix.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runFaultCampaign } from './faults.js';

it('faults x services: transient ones recover, the others fail clearly, no output is created, truncated or overwritten', { timeout: 300_000 }, async () => {
  const r = await runFaultCampaign({ fast: true });
  assert.deepEqual(r.problems, []);
  assert.ok(r.recovered >= 6, `transient faults recovered (${r.recovered})`);
  assert.ok(r.failedClearly >= 12, `permanent faults failed clearly (${r.failedClearly})`);
  assert.ok(r.cliRuns >= 8, `CLI runs (${r.cliRuns})`);
  assert.ok(r.refusedToOverwrite >= 1 && r.overwritten >= 1);
  for (const s of ['fulcio', 'rekor-v1', 'rekor-v2', 'tsa']) assert.ok((r.byService[s]?.runs ?? 0) > 0, `${s} faulted`);
});
