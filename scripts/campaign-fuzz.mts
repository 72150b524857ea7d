/**
 * Full fuzz campaign: mutated bundles, trusted roots, signing configs, client trust configs,
 * certificates, timestamp tokens and PEM keys through the parsers and the verifier, then a
 * sample of mutated bundles through `bin/sigstore verify`.
 * Run: node --import tsx scripts/campaign-fuzz.mts [--iterations N] [--seed S] [--cli-runs N]
 * Findings are saved under test/fixtures/fuzz-findings/ (commit them as regression fixtures).
 */
import { join } from 'node:path';
import { runCliFuzz, runFuzzCampaign } from '../test/campaigns/fuzz.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const saveDir = join(import.meta.dirname, '..', 'test', 'fixtures', 'fuzz-findings');
const started = Date.now();
const r = await runFuzzCampaign({ iterations: opt('--iterations', 100_000), seed: opt('--seed', 1), saveDir });
console.log(
  `fuzz campaign: ${r.iterations} inputs (${Object.entries(r.byTarget).map(([k, v]) => `${k} ${v}`).join(', ')}), ${r.rejected} rejected, ${r.accepted} accepted, ${r.findings.length} findings, slowest ${r.slowestMs.toFixed(0)} ms, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
console.log(`accepted mutants checked for a false acceptance: ${Object.entries(r.acceptedByTarget).map(([k, v]) => `${k} ${v}`).join(', ')}`);
for (const f of r.findings.slice(0, 50)) console.log(`FINDING seed=${f.seed} ${f.target}: ${f.problem}`);
const cliRuns = opt('--cli-runs', 100);
let cliFindings = 0;
if (cliRuns > 0) {
  const cliStarted = Date.now();
  const c = await runCliFuzz({ runs: cliRuns, seed: opt('--seed', 1), saveDir });
  cliFindings = c.findings.length;
  console.log(
    `CLI sample: ${c.runs} mutated bundles through bin/sigstore verify, exit codes ${Object.entries(c.exitCodes).map(([k, v]) => `${k}: ${v}`).join(', ')}, ${c.findings.length} findings, slowest ${c.slowestMs.toFixed(0)} ms, ${((Date.now() - cliStarted) / 1000).toFixed(1)} s`,
  );
  for (const f of c.findings.slice(0, 20)) console.log(`CLI FINDING seed=${f.seed}: ${f.problem}`);
}
process.exitCode = r.findings.length || cliFindings ? 1 : 0;
