#!/usr/bin/env node
// Hostile inputs, measured: generates bundles, trusted roots and service answers built to cost
// time or memory before anything is authenticated (deep nesting, huge arrays, many certificates,
// giant base64, duplicate keys, RSA keys with huge exponents, 100 MB strings), feeds each to
// `bin/sigstore verify` (bundles, trusted roots) or to the HTTP client (service answers, from a
// local server), and prints wall time and peak RSS per input. Target: every one refused in
// under 2 s and 300 MB.
//
//   node scripts/hostile-inputs.mjs [--big BYTES] [--no-build] [--only NAME,...]
//
// --big is the size of the inputs meant to pass the 32 MiB reading limit (default 30 MiB);
// inputs of 100 MB test the limit itself. Needs /usr/bin/time (GNU time) for peak RSS.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const BIG = Number(opt('--big', 30 * 1024 * 1024));
const HUGE = 100 * 1000 * 1000;
const only = opt('--only', '')?.split(',').filter(Boolean) ?? [];
if (!argv.includes('--no-build')) spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--no-types'], { stdio: 'inherit' });

const tmp = mkdtempSync(join(tmpdir(), 'sigstore-hostile-'));
const caseDir = join(root, 'test/fixtures/conformance/happy-path-v0.1');
const genuine = JSON.parse(readFileSync(join(caseDir, 'bundle.sigstore.json'), 'utf8'));
const rootPath = join(root, 'test/fixtures/conformance/intoto-with-custom-trust-root/trusted_root.json');
const genuineRoot = JSON.parse(readFileSync(rootPath, 'utf8'));
const artifact = join(root, 'test/fixtures/conformance/a.txt');
const leaf = genuine.verificationMaterial.x509CertificateChain.certificates[0].rawBytes;

// ---- a little DER, for certificates whose keys are absurd ----
const len = (n) => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]));
const tlv = (tag, ...v) => {
  const body = Buffer.concat(v);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...v) => tlv(0x30, ...v);
const OID_RSA = Buffer.from('06092a864886f70d010101', 'hex');
const OID_SHA256_RSA = Buffer.from('06092a864886f70d01010b', 'hex');
const NULL = Buffer.from('0500', 'hex');
const name = seq(tlv(0x31, seq(Buffer.from('0603550403', 'hex'), tlv(0x0c, Buffer.from('hostile')))));

/** A self-issued v3 CA certificate whose RSA key has a 4096-bit public exponent. */
function hugeExponentCert() {
  const n = Buffer.from(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }).n, 'base64url');
  const e = Buffer.concat([Buffer.from([0x01]), Buffer.alloc(511, 0xff)]);
  const key = seq(tlv(0x02, Buffer.from([0]), n), tlv(0x02, e));
  const spki = seq(seq(OID_RSA, NULL), tlv(0x03, Buffer.from([0]), key));
  const alg = seq(OID_SHA256_RSA, NULL);
  const validity = seq(tlv(0x17, Buffer.from('200101000000Z')), tlv(0x17, Buffer.from('400101000000Z')));
  const bc = seq(Buffer.from('0603551d13', 'hex'), Buffer.from('0101ff', 'hex'), tlv(0x04, seq(Buffer.from('0101ff', 'hex'))));
  const tbs = seq(tlv(0xa0, Buffer.from('020102', 'hex')), Buffer.from('020101', 'hex'), alg, name, validity, name, spki, tlv(0xa3, seq(bc)));
  return seq(tbs, alg, tlv(0x03, Buffer.from([0]), Buffer.alloc(256, 1))).toString('base64');
}

const bundleWith = (mutate) => {
  const b = structuredClone(genuine);
  mutate(b);
  return JSON.stringify(b);
};
/** Repeats `unit` until the text is about `size` characters. */
const fill = (unit, size) => unit.repeat(Math.max(1, Math.floor(size / unit.length)));
const arrayOf = (item, size) => `[${fill(`${item},`, size - item.length - 2)}${item}]`;

const bundles = {
  'bundle: 100 MB of text': () => 'x'.repeat(HUGE),
  'bundle: nested 16M deep': () => '['.repeat(BIG),
  'bundle: 100 MB nested': () => '{"a":'.repeat(HUGE / 5),
  'bundle: huge array of entries': () => bundleWith((b) => (b.verificationMaterial.tlogEntries = '@')).replace('"@"', arrayOf('{}', BIG)),
  'bundle: huge array of numbers': () => bundleWith((b) => (b.verificationMaterial.tlogEntries = '@')).replace('"@"', arrayOf('0', BIG)),
  'bundle: many certificates': () =>
    bundleWith((b) => (b.verificationMaterial.x509CertificateChain.certificates = '@')).replace('"@"', arrayOf(JSON.stringify({ rawBytes: leaf }), BIG)),
  'bundle: 10 huge-exponent RSA roots': () => {
    const c = hugeExponentCert();
    return bundleWith((b) => b.verificationMaterial.x509CertificateChain.certificates.push(...Array(9).fill({ rawBytes: c })));
  },
  'bundle: giant base64 signature': () => bundleWith((b) => (b.messageSignature.signature = fill('QUFB', BIG))),
  'bundle: giant non-canonical base64': () => bundleWith((b) => (b.messageSignature.signature = `${fill('QUFB', BIG)}Q`)),
  'bundle: giant escaped string': () => bundleWith((b) => (b.mediaType = '@')).replace('"@"', `"${fill('\\n', BIG)}"`),
  'bundle: duplicate keys': () => `{${fill('"a":1,', BIG)}"a":1}`,
  'bundle: millions of keys': () => {
    const parts = [];
    for (let i = 0, n = 0; n < BIG; i++) {
      const p = `"k${i}":0,`;
      parts.push(p);
      n += p.length;
    }
    return `{${parts.join('')}"z":0}`;
  },
  'bundle: giant integer': () => bundleWith((b) => (b.verificationMaterial.tlogEntries[0].logIndex = '@')).replace('"@"', fill('9', BIG)),
  'bundle: giant decimal string': () => bundleWith((b) => (b.verificationMaterial.tlogEntries[0].logIndex = fill('9', BIG))),
  'bundle: many proof hashes': () =>
    bundleWith((b) => (b.verificationMaterial.tlogEntries[0].inclusionProof = { logIndex: '1', rootHash: 'AA==', treeSize: '2', hashes: '@' })).replace(
      '"@"',
      arrayOf('"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="', BIG),
    ),
};

// Trust files are refused above 4 MiB before they are read: the rest are just under.
const RBIG = 4 * 1024 * 1024 - 4096;
const roots = {
  'trusted root: 100 MB': () => ' '.repeat(HUGE),
  'trusted root: 30 MiB of CAs': () => {
    const ca = JSON.stringify(genuineRoot.certificateAuthorities[0]);
    return JSON.stringify({ ...genuineRoot, certificateAuthorities: '@' }).replace('"@"', arrayOf(ca, BIG));
  },
  'trusted root: nested 4M deep': () => '{"a":'.repeat(RBIG / 5),
  'trusted root: 4 MiB of CAs': () => {
    const ca = JSON.stringify(genuineRoot.certificateAuthorities[0]);
    return JSON.stringify({ ...genuineRoot, certificateAuthorities: '@' }).replace('"@"', arrayOf(ca, RBIG));
  },
  'trusted root: 4 MiB of tlogs': () => {
    const log = JSON.stringify(genuineRoot.tlogs[0]);
    return JSON.stringify({ ...genuineRoot, tlogs: '@' }).replace('"@"', arrayOf(log, RBIG));
  },
  'trusted root: 1 MiB of CAs (parsed)': () => {
    const ca = JSON.stringify(genuineRoot.certificateAuthorities[0]);
    return JSON.stringify({ ...genuineRoot, certificateAuthorities: '@' }).replace('"@"', arrayOf(ca, 1024 * 1024));
  },
  'trusted root: duplicate keys': () => `{${fill('"tlogs":[],', RBIG)}"x":1}`,
};

const rows = [];
function measure(label, args) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, join(root, 'bin/sigstore'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = performance.now() - t0;
  const lines = r.stderr.trim().split('\n');
  const [, rssKb] = (lines.at(-1) ?? '').split(' ').map(Number);
  const why = lines.slice(0, -1).find((l) => l.startsWith('FAIL') || l.startsWith('error') || l.startsWith('sigstore')) ?? lines[0] ?? '';
  rows.push({ label, ms: Math.round(wall), rssMb: Math.round(rssKb / 1024), exit: r.status, why: why.slice(0, Number(opt("--why", 90))) });
}

const want = (label) => only.length === 0 || only.some((o) => label.includes(o));
const identity = ['--cert-identity', 'x', '--cert-oidc-issuer', 'y'];
for (const [label, make] of Object.entries(bundles)) {
  if (!want(label)) continue;
  const p = join(tmp, 'b.json');
  writeFileSync(p, make());
  measure(label, ['verify', 'identity', '--offline', '--trusted-root', rootPath, '--bundle', p, ...identity, artifact]);
  rmSync(p);
}
for (const [label, make] of Object.entries(roots)) {
  if (!want(label)) continue;
  const p = join(tmp, 'r.json');
  writeFileSync(p, make());
  measure(label, ['verify', 'identity', '--offline', '--trusted-root', p, '--bundle', join(caseDir, 'bundle.sigstore.json'), ...identity, artifact]);
  rmSync(p);
}
if (want('service answer')) {
  const r = spawnSync(process.execPath, [join(root, 'scripts/hostile-answers.mjs'), String(BIG)], { encoding: 'utf8' });
  if (r.status !== 0) console.error(r.stderr);
  for (const line of r.stdout.trim().split('\n').filter(Boolean)) rows.push(JSON.parse(line));
}
rmSync(tmp, { recursive: true, force: true });

const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('input', 40)} ${pad('time', 8)} ${pad('peak RSS', 9)} exit  refusal`);
for (const r of rows) console.log(`${pad(r.label, 40)} ${pad(`${r.ms} ms`, 8)} ${pad(`${r.rssMb} MB`, 9)} ${pad(r.exit, 5)} ${r.why}`);
const over = rows.filter((r) => r.ms > 2000 || r.rssMb > 300 || r.exit === 0);
console.log(over.length ? `\n${over.length} over the target (2 s, 300 MB, refused): ${over.map((r) => r.label).join('; ')}` : '\nall refused within 2 s and 300 MB');
process.exitCode = over.length ? 1 : 0;
