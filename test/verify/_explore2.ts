import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { parseBundle } from '../../src/bundle/parse.js';
import { parseTrustedRoot } from '../../src/trust/trusted-root.js';
import { verifySCTs, parseSCTList } from '../../src/verify/sct.js';
const base = 'test/fixtures/conformance';
function norm(j: any) { for (const l of [...j.tlogs, ...j.ctlogs]) { const pk = l.publicKey; if (pk.keyDetails?.startsWith('PKCS1_')) { try { pk.rawBytes = createPublicKey({ key: Buffer.from(pk.rawBytes, 'base64'), format: 'der', type: 'pkcs1' }).export({ type: 'spki', format: 'der' }).toString('base64'); } catch {} } } return j; }
for (const d of readdirSync(base)) {
  const f = `${base}/${d}/bundle.sigstore.json`;
  if (!existsSync(f)) continue;
  let b; try { b = parseBundle(readFileSync(f, 'utf8')); } catch (e) { console.log(d, 'BUNDLE ERR', (e as Error).message); continue; }
  if (b.material.kind !== 'certificate') continue;
  const tr = existsSync(`${base}/${d}/trusted_root.json`) ? `${base}/${d}/trusted_root.json` : 'trust/production/trusted_root.json';
  let trust; try { trust = parseTrustedRoot(readFileSync(tr, "utf8")); } catch (e) { console.log(d, 'TRUST ERR', (e as Error).message); continue; }
  const leaf = b.material.certificate;
  const issuer = [...b.material.chain, ...trust.certificateAuthorities.flatMap(a => a.certs)].find(c => { try { return leaf.isIssuedBy(c); } catch { return false; } });
  if (!issuer) { console.log(d, 'NO ISSUER'); continue; }
  const ext = leaf.extension('1.3.6.1.4.1.11129.2.4.2');
  const info = ext ? parseSCTList(ext.value).map(s => `${s.hashAlgorithm}/${s.signatureAlgorithm} ext${s.extensions.length}`).join(',') : 'none';
  try { verifySCTs(leaf, issuer, trust); console.log(d, 'OK', info); }
  catch (e: any) { console.log(d, 'FAIL', info, e.step, e.code, e.message); }
}
