/**
 * The load campaign's fast subset: two client processes for 5 s against the instance as a child
 * process, killed with SIGKILL mid-run and restarted; every acknowledged entry must have a valid
 * inclusion proof in the final trees. `node --import tsx scripts/campaign-load.mts` runs a minute.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runLoadCampaign } from './load.js';

it('concurrent signing, kill -9 and restart of the instance: no acknowledged entry is lost', { timeout: 180_000 }, async () => {
  const r = await runLoadCampaign({ clients: 2, concurrency: 2, durationMs: 5000, killAtMs: 2500 });
  assert.deepEqual(r.problems, []);
  assert.ok(r.acknowledged.v1 > 0 && r.acknowledged.v2 > 0, JSON.stringify(r.acknowledged));
  assert.equal(r.checked, r.acknowledged.v1 + r.acknowledged.v2);
  assert.ok(r.killedAtMs !== undefined);
  // Every tree head handed out, before the kill -9 and after, is a prefix of the final trees.
  assert.ok(r.treeHeads.beforeKill > 0, JSON.stringify(r.treeHeads));
  assert.equal(r.treeHeads.consistent, r.treeHeads.handedOut, JSON.stringify(r.treeHeads));
});
