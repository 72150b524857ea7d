/**
 * Full tamper campaign: every byte of every authenticated field of every genuine bundle.
 * Run: node --import tsx scripts/campaign-tamper.mts [--sampled] [--filter REGEX]
 */
import { runTamperCampaign } from '../test/campaigns/tamper.js';

const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const started = Date.now();
const r = await runTamperCampaign({
  exhaustive: !args.includes('--sampled'),
  filter: filterAt >= 0 ? new RegExp(args[filterAt + 1]!) : undefined,
});
console.log(`tamper campaign: ${r.variants} variants, ${r.rejected} rejected, ${r.accepted.length} accepted, ${r.wrongError.length} with the wrong error class, ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`rejected by step: ${Object.entries(r.byStep).map(([k, v]) => `${k} ${v}`).join(', ')}`);
for (const a of r.accepted) console.log(`ACCEPTED: ${a}`);
for (const w of r.wrongError) console.log(`WRONG ERROR: ${w}`);
process.exitCode = r.accepted.length || r.wrongError.length ? 1 : 0;
