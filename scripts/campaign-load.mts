/**
 * Load campaign: the local instance as a child process, several client processes signing and
 * attesting through Rekor v1 and v2 for a minute, a kill -9 of the instance mid-run and a
 * restart; then every acknowledged entry must have a valid inclusion proof in the final tree.
 * Run: node --import tsx scripts/campaign-load.mts [--clients N] [--concurrency N] [--seconds S] [--kill-at S | --no-kill]
 */
import { runLoadCampaign } from '../test/campaigns/load.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const seconds = opt('--seconds', 60);
const started = Date.now();
const r = await runLoadCampaign({
  clients: opt('--clients', 4),
  concurrency: opt('--concurrency', 2),
  durationMs: seconds * 1000,
  killAtMs: args.includes('--no-kill') ? undefined : opt('--kill-at', seconds / 2) * 1000,
  log: (m) => console.error(`${m} (${((Date.now() - started) / 1000).toFixed(0)} s)`),
});
console.log(
  `load campaign: ${r.clients} client processes for ${r.durationMs / 1000} s, ${r.acknowledged.v1 + r.acknowledged.v2} entries acknowledged (Rekor v1 ${r.acknowledged.v1}, v2 ${r.acknowledged.v2}), ${r.clientFailures} failed attempts retried by the clients`,
);
if (r.killedAtMs !== undefined) console.log(`kill -9 at ${(r.killedAtMs / 1000).toFixed(1)} s with ${r.acknowledgedBeforeKill} entries acknowledged; restarted in ${r.restartMs} ms`);
console.log(`final trees: Rekor v1 ${r.final.v1Size} entries, Rekor v2 ${r.final.v2Size} entries; ${r.checked} acknowledged entries checked with a valid inclusion proof, ${r.problems.length} problems, ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`tree heads handed out: ${r.treeHeads.handedOut} distinct (${r.treeHeads.beforeKill} before the kill -9), ${r.treeHeads.consistent} consistent with the final trees`);
for (const p of r.problems) console.log(`PROBLEM: ${p}`);
process.exitCode = r.problems.length || r.checked !== r.acknowledged.v1 + r.acknowledged.v2 || r.treeHeads.consistent !== r.treeHeads.handedOut ? 1 : 0;
