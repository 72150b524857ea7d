/**
 * The tamper campaign's fast subset (five positions per authenticated field of every genuine
 * bundle); `node --import tsx scripts/campaign-tamper.mts` runs every byte.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runTamperCampaign } from './tamper.js';

it('every single-change variant of every genuine bundle is rejected, naming a step', { timeout: 300_000 }, async () => {
  const r = await runTamperCampaign({ exhaustive: false });
  assert.ok(r.variants > 2000, `enough variants (${r.variants})`);
  assert.deepEqual(r.accepted, [], 'no tampered variant verifies');
  assert.deepEqual(r.wrongError, [], 'every rejection is a VerificationError');
  assert.equal(r.rejected, r.variants);
});
