/**
 * Full fuzz campaign. Run: node --import tsx scripts/campaign-fuzz.mts [--iterations N] [--seed S]
 * Findings are saved under test/fixtures/fuzz-findings/ (commit them as regression fixtures).
 */
import { join } from 'node:path';
import { runFuzzCampaign } from '../test/campaigns/fuzz.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const started = Date.now();
const r = await runFuzzCampaign({
  iterations: opt('--iterations', 100_000),
  seed: opt('--seed', 1),
  saveDir: join(import.meta.dirname, '..', 'test', 'fixtures', 'fuzz-findings'),
});
console.log(`fuzz campaign: ${r.iterations} inputs (${Object.entries(r.byTarget).map(([k, v]) => `${k} ${v}`).join(', ')}), ${r.rejected} rejected, ${r.accepted} accepted, ${r.findings.length} findings, slowest ${r.slowestMs.toFixed(0)} ms, ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const f of r.findings.slice(0, 50)) console.log(`FINDING seed=${f.seed} ${f.target}: ${f.problem}`);
process.exitCode = r.findings.length ? 1 : 0;
