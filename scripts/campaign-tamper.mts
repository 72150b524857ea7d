/**
 * Full tamper campaign: every byte of every authenticated field of every genuine bundle
 * (conformance, the shipped example, the PyPI attestations, bundles signed against the local
 * instance for hashedrekord and DSSE x Rekor v1 and v2 with TSA), and the forged PKI's bundles
 * with certificate and timestamp variants re-signed by a forged CA, CT log or TSA.
 * Run: node --import tsx scripts/campaign-tamper.mts [--sampled] [--filter REGEX] [--no-instance] [--no-forged]
 */
import { runTamperCampaign } from '../test/campaigns/tamper.js';

const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const started = Date.now();
const r = await runTamperCampaign({
  exhaustive: !args.includes('--sampled'),
  filter: filterAt >= 0 ? new RegExp(args[filterAt + 1]!) : undefined,
  instance: !args.includes('--no-instance'),
  forged: !args.includes('--no-forged'),
  onProgress: args.includes('--quiet') ? undefined : (name, rep) => console.error(`${name}: ${rep.variants} variants so far, ${((Date.now() - started) / 1000).toFixed(0)} s`),
});
console.log(
  `tamper campaign: ${r.genuine} genuine bundles, ${r.variants} variants, ${r.rejected} rejected, ${r.accepted.length} accepted, ${r.wrongError.length} with the wrong error class, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
console.log(`variants by source: ${Object.entries(r.bySource).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`variants by field (tried/rejected): ${Object.entries(r.byField).map(([k, [t, j]]) => `${k} ${t}/${j}`).join(', ')}`);
console.log(`rejected by step: ${Object.entries(r.byStep).map(([k, v]) => `${k} ${v}`).join(', ')}`);
for (const [field, steps] of Object.entries(r.byFieldStep).filter(([f]) => f.includes('re-'))) {
  console.log(`  ${field}: rejected at ${Object.entries(steps).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
for (const a of r.accepted) console.log(`ACCEPTED: ${a}`);
for (const w of r.wrongError) console.log(`WRONG ERROR: ${w}`);
process.exitCode = r.accepted.length || r.wrongError.length ? 1 : 0;
