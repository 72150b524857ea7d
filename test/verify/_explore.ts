import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { parseBundle } from '../../src/bundle/parse.js';
import { parseTrustedRoot } from '../../src/trust/trusted-root.js';
import { createPublicKey } from 'node:crypto';
import { verifyTimestamps } from '../../src/verify/timestamp.js';
const base = 'test/fixtures/conformance';
for (const d of readdirSync(base)) {
  const f = `${base}/${d}/bundle.sigstore.json`;
  if (!existsSync(f)) continue;
  let b; try { b = parseBundle(readFileSync(f, 'utf8')); } catch (e) { continue; }
  if (!b.timestamps.length) continue;
  const tr = existsSync(`${base}/${d}/trusted_root.json`) ? `${base}/${d}/trusted_root.json` : 'trust/production/trusted_root.json';
  let trust; try { trust = parseTrustedRoot(readFileSync(tr, "utf8")); } catch (e) { console.log(d, 'TRUST ERR', (e as Error).message); continue; }
  const sig = b.content.kind === 'messageSignature' ? b.content.signature : b.content.envelope.signatures[0]!.sig;
  const t0 = performance.now();
  try { const r = verifyTimestamps(b.timestamps, sig, trust); console.log(d, 'OK', JSON.stringify(r), (performance.now()-t0).toFixed(1)+'ms'); }
  catch (e: any) { console.log(d, 'FAIL', e.step, e.code, e.message); }
}

function norm(j: any) { for (const l of [...j.tlogs, ...j.ctlogs]) { const pk = l.publicKey; if (pk.keyDetails?.startsWith('PKCS1_')) { try { pk.rawBytes = createPublicKey({ key: Buffer.from(pk.rawBytes, 'base64'), format: 'der', type: 'pkcs1' }).export({ type: 'spki', format: 'der' }).toString('base64'); } catch {} } } return j; }
