/**
 * docs/compat.md, "sigstore-python: verify (identity and github)": the inputs, defaults,
 * refusals and output lines both verify commands share, every row exercised (bundles offline
 * with the conformance fixtures; detached materials with the local instance, in-process).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { A_TXT, checkSection, cli, DEFAULT_IDENTITY, DEFAULT_ISSUER, detached, DSSE, fails, HAPPY, ID, inProcess, ok, STAGING, VERIFY, workdir } from './compat-helpers.js';

const digest = `sha256:${createHash('sha256').update(readFileSync(A_TXT)).digest('hex')}`;
/** `verify identity` of a detached signature from the local instance, in-process. */
async function verifyDetached(args: string[]) {
  const d = await detached();
  return inProcess(['--trust-config', d.cfg, 'verify', 'identity', '--cert-identity', d.identity, '--cert-oidc-issuer', d.issuer, ...args]);
}

checkSection('sigstore-python: verify (identity and github)', {
  'verify: digest input': () => {
    ok(cli([...VERIFY, ...ID, '--bundle', HAPPY, digest]), 'verify identity');
    ok(cli(['verify', 'github', '--offline', '--cert-identity', DEFAULT_IDENTITY, '--bundle', HAPPY, digest]), 'verify github');
    fails(cli([...VERIFY, ...ID, '--bundle', HAPPY, `sha256:${'0'.repeat(64)}`]), 1, /^FAIL: /m, 'another digest');
  },
  'verify: malformed digest': () => {
    fails(cli([...VERIFY, ...ID, '--bundle', HAPPY, 'sha256:abc']), 2, /malformed/, 'too short');
    fails(cli([...VERIFY, ...ID, '--bundle', HAPPY, `sha256:${'z'.repeat(64)}`]), 2, /malformed/, 'not hex');
  },
  'verify: FILE must be a file': () => {
    const w = workdir();
    fails(cli([...VERIFY, ...ID, join(w, 'missing.txt')]), 2, /does not exist/, 'missing');
    fails(cli([...VERIFY, ...ID, w]), 2, /is a directory/, 'a directory');
  },
  'verify: digest needs materials': async () => {
    fails(cli([...VERIFY, ...ID, digest]), 2, /needs --bundle/, 'nothing to verify with');
    const d = await detached();
    const own = `sha256:${createHash('sha256').update(readFileSync(d.a)).digest('hex')}`;
    ok(await verifyDetached(['--certificate', d.crt, '--signature', d.sig, own]), 'or --certificate and --signature');
  },
  'verify: explicit materials with several inputs': () => {
    const w = workdir({ 'b.txt': A_TXT });
    const two = [join(w, 'a.txt'), join(w, 'b.txt')];
    fails(cli([...VERIFY, ...ID, '--bundle', HAPPY, ...two]), 2, /single input|one input/, '--bundle');
    fails(cli(['verify', 'identity', ...ID, '--certificate', 'x.crt', '--signature', 'x.sig', ...two]), 2, /single input|one input/, '--certificate');
  },
  'verify: --bundle with --certificate': () => {
    fails(cli(['verify', 'identity', ...ID, '--bundle', HAPPY, '--certificate', 'x.crt', A_TXT]), 2, /--bundle cannot be combined with --certificate/, 'usage error');
  },
  'verify: --offline with --certificate': () => {
    fails(cli([...VERIFY, ...ID, '--certificate', 'x.crt', '--signature', 'x.sig', A_TXT]), 2, /--offline/, 'usage error');
  },
  'verify: FILE.crt and FILE.sig': async () => {
    const d = await detached();
    const w = workdir({ 'a.txt': d.a, 'a.txt.crt': d.crt, 'a.txt.sig': d.sig });
    ok(await verifyDetached(['--signature', join(w, 'a.txt.sig'), join(w, 'a.txt')]), 'FILE.crt filled in');
    ok(await verifyDetached(['--certificate', join(w, 'a.txt.crt'), join(w, 'a.txt')]), 'FILE.sig filled in');
  },
  'verify: default bundle': () => {
    const w = workdir({ 'a.txt.sigstore.json': HAPPY });
    ok(cli([...VERIFY, ...ID, join(w, 'a.txt')]), 'FILE.sigstore.json');
    fails(cli([...VERIFY, ...ID, join(workdir(), 'a.txt')]), 2, /a\.txt\.sigstore\.json/, 'none: says which was looked for');
  },
  'verify: legacy bundle': () => {
    const w = workdir({ 'a.txt.sigstore': HAPPY });
    const r = cli([...VERIFY, ...ID, join(w, 'a.txt')]);
    ok(r, 'FILE.sigstore');
    assert.match(r.stderr, /a\.txt\.sigstore should be renamed to .*a\.txt\.sigstore\.json/, 'the deprecation note');
  },
  'verify: both default bundles': () => {
    const w = workdir({ 'a.txt.sigstore': HAPPY, 'a.txt.sigstore.json': HAPPY });
    fails(cli([...VERIFY, ...ID, join(w, 'a.txt')]), 2, /onflict/, 'conflict');
  },
  'verify: missing materials': () => {
    const w = workdir();
    fails(cli(['verify', 'identity', ...ID, '--signature', join(w, 'a.sig'), join(w, 'a.txt')]), 2, /missing verification materials for .*a\.txt: .*a\.txt\.crt, .*a\.sig/i, 'both named');
  },
  'verify: detached materials': async () => {
    const d = await detached();
    const r = await verifyDetached(['--certificate', d.crt, '--signature', d.sig, d.a]);
    ok(r, 'the entry fetched from the log');
    assert.match(r.stderr, /^OK: /m);
    const other = join(workdir(), 'other.txt');
    writeFileSync(other, 'other content');
    fails(await verifyDetached(['--certificate', d.crt, '--signature', d.sig, other]), 1, /^FAIL: .*other\.txt \[/m, 'another file is refused');
  },
  'verify: OK line': () => {
    const r = cli([...VERIFY, ...ID, '--bundle', HAPPY, A_TXT]);
    ok(r, 'verify');
    assert.match(r.stderr, new RegExp(`^OK: ${A_TXT}$`, 'm'));
    assert.equal(r.stdout, '', 'nothing on stdout');
    assert.equal(cli([...VERIFY, ...ID, '-q', '--bundle', HAPPY, A_TXT]).stderr.replace(/^warning: .*\n/gm, ''), `OK: ${A_TXT}\n`, '-q: the bare line');
  },
  'verify: DSSE statement': () => {
    const r = cli([...VERIFY, '--unsafe-any-identity', '--bundle', DSSE, A_TXT]);
    ok(r, 'DSSE');
    assert.equal(JSON.parse(r.stdout)._type, 'https://in-toto.io/Statement/v1', 'the statement on stdout');
  },
  'verify: FAIL line': () => {
    const r = cli([...VERIFY, '--cert-identity', 'x@example.com', '--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT]);
    fails(r, 1, new RegExp(`^FAIL: ${A_TXT} \\[policy\\]: `, 'm'), 'FAIL: F and the reason');
  },
  'verify: after a failure': () => {
    const w = workdir({ 'a.txt.sigstore.json': STAGING, 'b.txt': A_TXT, 'b.txt.sigstore.json': HAPPY });
    const r = cli([...VERIFY, ...ID, join(w, 'a.txt'), join(w, 'b.txt')]);
    fails(r, 1, /^FAIL: .*a\.txt /m, 'the first fails');
    assert.match(r.stderr, /^OK: .*b\.txt$/m, 'differs: the second is still verified and reported');
    assert.match(r.stderr, /^1 verified, 1 failed$/m);
  },
  'verify: wrong instance hint': () => {
    fails(cli([...VERIFY, ...ID, '--bundle', STAGING, A_TXT]), 1, /are you using the correct Sigstore instance\? \(--staging, --instance, --trust-config\)$/m, 'hint');
  },
});
