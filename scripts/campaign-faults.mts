/**
 * Full fault campaign: signing against the local instance through a fault-injecting proxy, every
 * fault x service (Fulcio, Rekor v1, Rekor v2, TSA) x run (library sign and attest; the CLI with
 * new outputs, existing outputs, existing outputs and --overwrite). See test/campaigns/faults.ts.
 * Run: node --import tsx scripts/campaign-faults.mts [--fast] [--no-cli] [--filter REGEX]
 */
import { runFaultCampaign } from '../test/campaigns/faults.js';

const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const started = Date.now();
const r = await runFaultCampaign({
  fast: args.includes('--fast'),
  cli: !args.includes('--no-cli'),
  filter: filterAt >= 0 ? new RegExp(args[filterAt + 1]!) : undefined,
  log: (m) => console.error(`${m} (${((Date.now() - started) / 1000).toFixed(0)} s)`),
});
console.log(
  `fault campaign: ${r.runs} runs (${r.cliRuns} CLI), ${r.faultsInjected} faults injected, ${r.recovered} recovered, ${r.failedClearly} failed with a clear message, ${r.refusedToOverwrite} refused to overwrite before any request, ${r.overwritten} replaced with --overwrite, ${r.problems.length} problems, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
console.log(`by service: ${Object.entries(r.byService).map(([k, v]) => `${k} ${v.runs} runs (${v.recovered} recovered, ${v.failed} failed clearly)`).join('; ')}`);
for (const p of r.problems) console.log(`PROBLEM: ${p}`);
process.exitCode = r.problems.length ? 1 : 0;
