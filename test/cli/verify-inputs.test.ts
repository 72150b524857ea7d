/**
 * `sigstore verify`'s inputs as sigstore-python treats them: default bundle names (a conflict
 * between FILE.sigstore.json and FILE.sigstore, the deprecated bare .sigstore), malformed digests,
 * other documents passed as --bundle, FILE.crt/FILE.sig filled in, the DSSE statement on stdout,
 * and the hint when the bundle comes from another Sigstore instance.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';

const HAPPY = join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json');
const DSSE = join(CONFORMANCE_DIR, 'happy-path-intoto-in-dsse-v3', 'bundle.sigstore.json');
const STAGING = join(CONFORMANCE_DIR, 'bundle-from-wrong-instance_fail', 'bundle.sigstore.json');
const A_TXT = join(CONFORMANCE_DIR, 'a.txt');
const ID = ['verify', 'identity', '--offline', '--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER];

describe('verify: inputs as sigstore-python reads them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-inputs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, from?: string, text?: string) => {
    const p = join(dir, name);
    if (from) copyFileSync(from, p);
    else writeFileSync(p, text ?? '');
    return p;
  };

  it('FILE.sigstore.json and FILE.sigstore both present is a conflict (exit 2)', () => {
    const a = file('both.txt', A_TXT);
    file('both.txt.sigstore.json', HAPPY);
    file('both.txt.sigstore', HAPPY);
    const r = runCli([...ID, a]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /conflicting inputs: .*both\.txt\.sigstore\.json and .*both\.txt\.sigstore;/);
  });

  it('FILE.sigstore alone verifies, with a deprecation note', () => {
    const a = file('legacy.txt', A_TXT);
    file('legacy.txt.sigstore', HAPPY);
    const r = runCli([...ID, a]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /legacy\.txt\.sigstore should be renamed to .*legacy\.txt\.sigstore\.json/);
  });

  it('a malformed sha256: digest is called malformed, not missing', () => {
    for (const d of ['sha256:abc', `sha256:${'g'.repeat(64)}`, `sha256:${'a'.repeat(65)}`]) {
      const r = runCli([...ID, '--bundle', HAPPY, d]);
      assert.equal(r.code, 2, d);
      assert.match(r.stderr, /malformed digest sha256:/);
    }
  });

  it('a PEM certificate, a detached signature or a PEP 740 attestation given as --bundle says what to pass instead', () => {
    const cases: [string, string, RegExp][] = [
      ['a.crt', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', /is a PEM certificate, not a Sigstore bundle: pass it with --certificate/],
      ['a.sig', 'MEUCIQDx3Yl1n0JxZlq1z9m0Ew2cQW7yQ1f5kEoBGW4c4k3xHwIgV3b1qGZ3kq9J0r7zC8Yw8Yp8Vv1Wm9QJ1uE0x7F2y5s=\n', /looks like a detached base64 signature, not a Sigstore bundle: pass it with --signature/],
      ['a.attestation', JSON.stringify({ version: 1, verification_material: { certificate: 'x', transparency_entries: [] }, envelope: { statement: 'x', signature: 'y' } }), /is a PEP 740 attestation, not a Sigstore bundle: verify it with 'sigstore attestation verify'/],
    ];
    for (const [name, text, re] of cases) {
      const r = runCli([...ID, '--bundle', file(name, undefined, text), A_TXT]);
      assert.equal(r.code, 1, name);
      assert.match(r.stderr, re, name);
      assert.equal(hasStackTrace(r.stderr), false);
    }
  });

  it('with one of --certificate/--signature, the other defaults to FILE.crt or FILE.sig', () => {
    const a = file('detached.txt', A_TXT);
    file('detached.txt.crt', undefined, '-----BEGIN CERTIFICATE-----\n');
    const r = runCli(['verify', 'identity', '--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER, '--certificate', join(dir, 'detached.txt.crt'), a]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /missing verification materials for .*detached\.txt: .*detached\.txt\.sig/);
  });

  it("a DSSE bundle's in-toto statement is printed on stdout after OK (not with --json)", () => {
    const r = runCli(['verify', 'identity', '--offline', '--unsafe-any-identity', '--bundle', DSSE, A_TXT]);
    assert.equal(r.code, 0, r.stderr);
    const payload = JSON.parse(Buffer.from(JSON.parse(readFileSync(DSSE, 'utf8')).dsseEnvelope.payload, 'base64').toString('utf8'));
    assert.deepEqual(JSON.parse(r.stdout), payload);
    const j = runCli(['verify', 'identity', '--offline', '--unsafe-any-identity', '--json', '--bundle', DSSE, A_TXT]);
    assert.equal(JSON.parse(j.stdout).verified, true);
  });

  it('a bundle from another instance gets the hint to check --staging/--instance/--trust-config', () => {
    const r = runCli([...ID, '--bundle', STAGING, A_TXT]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FAIL: .*are you using the correct Sigstore instance\? \(--staging, --instance, --trust-config\)$/m);
  });
});
