/**
 * The tamper campaign's re-signed variants: certificates and timestamps changed and then signed
 * again by a forged Fulcio CA, CT log or TSA (with the matching forged trusted root, and the log
 * entry, SET and checkpoint made again over the changed bundle), so each reaches the chain, SCT,
 * timestamp and profile checks instead of stopping at the first signature or body comparison.
 *
 * Every variant here must be refused:
 * - certificate TBS bits flipped, then re-signed by the CA: the SCT (over the precertificate,
 *   which is the TBS without the SCT list) no longer verifies, unless an earlier check refuses;
 * - certificate profiles re-issued by the CA with a valid SCT: a CA leaf, the wrong key usage or
 *   EKU, an unknown critical extension, validity outside the log's time, an SCT from an unknown
 *   log, dated outside the CT log's window, of another version, or missing, another issuer key;
 * - timestamp message imprint bits flipped, re-signed by the TSA; and tokens re-signed with the
 *   wrong content type, message digest, signing-certificate hash, a signer without the
 *   timeStamping EKU or not valid at the time, a TSTInfo of another version.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Der, encode, Tag } from '../../src/lib/der.js';
import { Certificate } from '../../src/lib/x509.js';
import { basicConstraintsExt, type BundleSpec, ext, extKeyUsageExt, type Forged, ForgedPki, keyUsageExt, OIDS, sanExt, utf8Ext } from '../helpers/forge.js';
import { caSign } from '../../src/instance/pki.js';
import type { Genuine, Variant } from './tamper.js';

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function positions(len: number, exhaustive: boolean): number[] {
  if (exhaustive) return Array.from({ length: len }, (_, i) => i);
  const step = Math.max(1, Math.floor(len / 24));
  const out: number[] = [];
  for (let i = 0; i < len; i += step) out.push(i);
  return out;
}

/** A certificate DER with one TBS bit flipped, signed again by `key` (the TBS keeps its length). */
export function resignFlipped(der: Buffer, at: number, key: Parameters<typeof caSign>[0]): Buffer {
  const c = new Certificate(der);
  const tbs = Buffer.from(c.tbsRaw);
  // Each leaf is issued afresh, and its TBS length varies by a byte or two (the SCT signature):
  // a position past its end flips its last byte instead of nothing.
  const p = Math.min(at, tbs.length - 1);
  tbs[p]! ^= 1 << (p % 8);
  const alg = Der.parse(der).child(1).raw;
  return encode(Tag.SEQUENCE, [tbs, alg, encode(Tag.BIT_STRING, [Buffer.from([0]), caSign(key, tbs)])]);
}

/** The forged genuine bundles (hashedrekord and DSSE, each with a timestamp) and their variants. */
export function forgedVariants(exhaustive: boolean): { genuine: Genuine[]; variants: (g: Genuine) => Generator<Variant> } {
  const pki = new ForgedPki();
  const trust = pki.trust();
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-forged-'));
  dirs.push(dir);
  const specs: Record<string, Partial<BundleSpec>> = {
    'forged/hashedrekord-tsa': { tsa: true },
    'forged/dsse-tsa': { kind: 'dsse', tsa: true },
  };
  const genuine: Genuine[] = [];
  const base = new Map<Genuine, Partial<BundleSpec>>();
  for (const [name, spec] of Object.entries(specs)) {
    const b = pki.bundle(spec);
    const artifactPath = join(dir, name.replace('/', '-'));
    writeFileSync(artifactPath, b.artifact);
    const g: Genuine = { name, bundle: b.text, artifactPath, trust, policy: b.policy, identity: 'forged@example.com', issuer: 'https://issuer.forged.test' };
    genuine.push(g);
    base.set(g, spec);
  }

  function* variants(g: Genuine): Generator<Variant> {
    const spec = base.get(g)!;
    const mk = (field: string, what: string, b: Forged): Variant => ({ genuine: g, field, what, bundle: b.text, artifact: { path: g.artifactPath }, policy: g.policy });
    const bundle = (extra: Partial<BundleSpec>): Forged => pki.bundle({ ...spec, ...extra });

    // 1. Certificate TBS bits flipped and re-signed by the CA (and logged again).
    const sample = bundle({});
    const leafTbsLen = new Certificate(sample.leaf).tbsRaw.length;
    for (const p of positions(leafTbsLen, exhaustive)) {
      yield mk('certificate TBS (re-signed by the CA)', `leaf TBS byte ${p} flipped, re-signed by the forged CA`, bundle({ leafDer: (der) => resignFlipped(der, p, pki.interKey) }));
    }

    // 2. Certificate profiles re-issued by the CA, with a valid SCT from the forged CT log.
    const minutes = (n: number) => new Date(pki.now.getTime() + n * 60_000);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const profiles: [string, Partial<BundleSpec>][] = [
      ['a CA leaf', { leaf: { extensions: (d) => [...d, basicConstraintsExt(true)] } }],
      ['key usage keyCertSign only', { leaf: { extensions: (d) => [keyUsageExt([5]), ...d.slice(1)] } }],
      ['no key usage', { leaf: { extensions: (d) => d.slice(1) } }],
      ['EKU timeStamping', { leaf: { extensions: (d) => [d[0]!, extKeyUsageExt([OIDS.timeStamping], false), ...d.slice(2)] } }],
      ['no EKU', { leaf: { extensions: (d) => [d[0]!, ...d.slice(2)] } }],
      ['an unknown critical extension', { leaf: { extensions: (d) => [...d, ext('1.3.6.1.4.1.99999.7', true, Buffer.from([5, 0]))] } }],
      ['valid only after the log time', { leaf: { notBefore: minutes(-1), notAfter: minutes(9) }, integratedTime: minutes(-2), tsaTime: minutes(-2) }],
      ['expired before the log time', { leaf: { notBefore: minutes(-30), notAfter: minutes(-20) }, integratedTime: minutes(-10), tsaTime: minutes(-10) }],
      ['issued by another key under the CA name', { leaf: { issuerKey: other } }],
      ['no SCT', { leaf: { noSct: true } }],
      ['an SCT from an unknown log', { leaf: { sct: (s) => { s.logId = Buffer.alloc(32, 3); } } }],
      ['an SCT of version 2', { leaf: { sct: (s) => { s.version = 1; } } }],
      ['an SCT dated before the CT log key', { leaf: { sctTime: new Date(pki.start.getTime() - 1000) } }],
      ['another identity', { leaf: { extensions: (d) => [d[0]!, d[1]!, sanExt('email', 'mallory@example.com', true), d[3]!] } }],
      ['another OIDC issuer', { leaf: { extensions: (d) => [...d.slice(0, 3), utf8Ext('1.3.6.1.4.1.57264.1.8', 'https://issuer.evil.test')] } }],
    ];
    for (const [what, extra] of profiles) yield mk('certificate profile (re-issued by the CA)', what, bundle(extra));

    // 3. Timestamps re-signed by the TSA.
    if (!spec.tsa) return;
    const tsaVariants: [string, Omit<Parameters<ForgedPki['token']>[0], 'signature' | 'time'>][] = [];
    // The message imprint: its hash OID and hashed message, every sampled bit.
    const imprintAt = (tst: Buffer): [number, number] => {
      const mi = Der.parse(tst).child(2).raw;
      const at = tst.indexOf(mi);
      return [at, at + mi.length];
    };
    let imprintLen = 0;
    pki.token({
      signature: sample.signature,
      time: pki.now,
      tstInfo: (t) => {
        const [a, b] = imprintAt(t);
        imprintLen = b - a;
        return t;
      },
    });
    for (const p of positions(imprintLen, exhaustive)) {
      tsaVariants.push([
        `message imprint byte ${p} flipped, re-signed by the forged TSA`,
        {
          tstInfo: (t) => {
            const [a] = imprintAt(t);
            const out = Buffer.from(t);
            out[a + p]! ^= 1 << (p % 8);
            return out;
          },
        },
      ]);
    }
    const eku = pki.tsaCert({ eku: [OIDS.codeSigning] });
    const expired = pki.tsaCert({ notBefore: minutes(-60 * 24), notAfter: minutes(-30) });
    tsaVariants.push(
      ['content type id-data, re-signed', { attributes: (a) => { a.contentType = [encode(Tag.OID, Buffer.from('2a864886f70d010701', 'hex'))]; } }],
      ['message digest of another TSTInfo, re-signed', { attributes: (a) => { a.messageDigest = [encode(Tag.OCTET_STRING, Buffer.alloc(32, 1))]; } }],
      ['signing-certificate hash of another certificate, re-signed', { attributes: (a) => { a.signingCertificate = [encode(Tag.SEQUENCE, [encode(Tag.SEQUENCE, [encode(Tag.SEQUENCE, [encode(Tag.OCTET_STRING, Buffer.alloc(32, 2))])])])]; } }],
      ['a signer with the codeSigning EKU', { cert: eku }],
      ['a signer expired at the time', { cert: expired }],
      ['TSTInfo version 2, re-signed', { tstInfo: (t) => { const o = Buffer.from(t); o[o.indexOf(Buffer.from([2, 1, 1]))! + 2] = 2; return o; } }],
      ['signed by another key than the signer certificate', { key: other }],
    );
    for (const [what, t] of tsaVariants) {
      yield mk('timestamp (re-signed by the TSA)', what, bundle({ token: (signature, time) => pki.token({ signature, time, ...t }) }));
    }
  }
  return { genuine, variants };
}
