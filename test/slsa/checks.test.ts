/**
 * Every SLSA check refuses crafted provenance at its step: provenance signed by the local
 * instance as a GitHub Actions reusable workflow (test/slsa/helpers.ts), one property changed at
 * a time; the pre-2.1 envelope format; and the CLI's one-line refusals and usage errors.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PolicyError, VerificationError } from '../../src/errors.js';
import { SlsaBuilderPolicy } from '../../src/slsa/builder.js';
import { parseSemver, versionMismatch } from '../../src/slsa/semver.js';
import { type SlsaExpectation, verifySlsaProvenance } from '../../src/slsa/verify.js';
import { parseTrustedRoot, type TrustMaterial } from '../../src/trust/trusted-root.js';
import type { CertificateSigner } from '../../src/verify/types.js';
import { runCli } from '../helpers/cli.js';
import type { TestInstance } from '../sign/helpers.js';
import { type Build, GENERATOR, GENERATOR_AT, signProvenance, startGithubInstance } from './helpers.js';
import { BINARY_SHA256, FIXTURES } from './fixtures.js';

const SOURCE = 'github.com/octo-org/app';

describe('verify slsa: crafted provenance from the local instance', () => {
  let t: TestInstance;
  let trust: TrustMaterial;
  let dir: string;
  let file: string;
  let sha: string;
  before(async () => {
    t = await startGithubInstance();
    trust = parseTrustedRoot(t.inst.trustedRoot, 'local');
    dir = mkdtempSync(join(tmpdir(), 'sigstore-slsa-'));
    file = join(dir, 'app-linux-amd64');
    writeFileSync(file, 'the binary\n');
    sha = createHash('sha256').update('the binary\n').digest('hex');
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = async (b: Build, expected: Partial<SlsaExpectation> = {}, artifact?: string) =>
    verifySlsaProvenance(JSON.stringify(await signProvenance(t, sha, b)), { path: artifact ?? file }, { sourceUri: SOURCE, ...expected }, { trust });
  const refused = async (code: string, b: Build, expected: Partial<SlsaExpectation> = {}, artifact?: string) =>
    assert.rejects(verify(b, expected, artifact), (e: unknown) => {
      assert.ok(e instanceof VerificationError, String(e));
      assert.equal(e.code, code, e.message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });

  it('accepts a tag build by the generator at a release tag: tag, version, branch (pushed from), builder ID', async () => {
    for (const expected of [{}, { sourceTag: 'v1.2.3' }, { sourceVersionedTag: 'v1.2' }, { sourceBranch: 'main' }, { builderId: `${GENERATOR}@v2.1.0` }, { sourceUri: 'https://github.com/octo-org/app' }]) {
      const r = await verify({}, expected);
      assert.equal(r.builderId, GENERATOR_AT);
      assert.equal(r.ref, 'refs/tags/v1.2.3');
    }
  });

  it('refuses an artifact that is not a subject (SUBJECT_MISMATCH)', async () => {
    const other = join(dir, 'other');
    writeFileSync(other, 'another binary\n');
    await refused('SUBJECT_MISMATCH', {}, {}, other);
  });

  it('refuses an untrusted builder: another workflow, or a copy of the generator elsewhere (SLSA_BUILDER_UNTRUSTED)', async () => {
    await refused('SLSA_BUILDER_UNTRUSTED', { signer: 'https://github.com/octo-org/app/.github/workflows/release.yml@refs/tags/v1.2.3' });
    await refused('SLSA_BUILDER_UNTRUSTED', { signer: 'https://github.com/evil/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0' });
    await refused('SLSA_BUILDER_UNTRUSTED', {}, { builderId: `${GENERATOR}@v2.0.0` });
  });

  it('refuses a builder not pinned to a release tag vX.Y.Z (SLSA_BUILDER_REF_INVALID)', async () => {
    for (const ref of ['refs/heads/main', 'refs/tags/v2.1.0-rc.1', 'refs/tags/v2.1', 'refs/tags/v2.1.0+build']) {
      await refused('SLSA_BUILDER_REF_INVALID', { signer: `${GENERATOR}@${ref}`, edit: (p) => ((p.builder as { id: string }).id = `${GENERATOR}@${ref}`) });
    }
  });

  it('refuses a build of another repository, by the certificate or by the provenance (SLSA_SOURCE_MISMATCH)', async () => {
    await refused('SLSA_SOURCE_MISMATCH', { repository: 'octo-org/app2' });
    await refused('SLSA_SOURCE_MISMATCH', {
      edit: (p, _s) => {
        const cs = (p.invocation as { configSource: { uri: string } }).configSource;
        cs.uri = 'git+https://github.com/evil/app@refs/tags/v1.2.3';
        (p.materials as { uri: string }[])[0]!.uri = cs.uri;
      },
    });
  });

  it('refuses provenance whose builder.id is not the signing workflow (SLSA_BUILDER_ID_MISMATCH)', async () => {
    await refused('SLSA_BUILDER_ID_MISMATCH', { edit: (p) => ((p.builder as { id: string }).id = `${GENERATOR}@refs/tags/v2.0.0`) });
  });

  it('refuses provenance that disagrees with the certificate on ref, commit or trigger (SLSA_CERTIFICATE_MISMATCH)', async () => {
    await refused('SLSA_CERTIFICATE_MISMATCH', {
      edit: (p) => {
        const cs = (p.invocation as { configSource: { uri: string } }).configSource;
        cs.uri = 'git+https://github.com/octo-org/app@refs/tags/v9.9.9';
        (p.materials as { uri: string }[])[0]!.uri = cs.uri;
      },
    });
    await refused('SLSA_CERTIFICATE_MISMATCH', { edit: (p) => ((p.invocation as { configSource: { digest: { sha1: string } } }).configSource.digest.sha1 = '0'.repeat(40)) });
    await refused('SLSA_CERTIFICATE_MISMATCH', { edit: (p) => ((p.invocation as { environment: { github_event_name: string } }).environment.github_event_name = 'workflow_dispatch') });
  });

  it('refuses wrong branch, tag and version, and a branch or tag the build does not have', async () => {
    await refused('SLSA_BRANCH_MISMATCH', {}, { sourceBranch: 'release' });
    await refused('SLSA_TAG_MISMATCH', {}, { sourceTag: 'v1.2.4' });
    await refused('SLSA_VERSION_MISMATCH', {}, { sourceVersionedTag: 'v1.3' });
    await refused('SLSA_REF_INVALID', { baseRef: null }, { sourceBranch: 'main' });
    await refused('SLSA_REF_INVALID', { ref: 'refs/heads/main' }, { sourceTag: 'v1.2.3' });
    await refused('SLSA_VERSION_MISMATCH', { ref: 'refs/tags/release-1' }, { sourceVersionedTag: 'v1' });
  });

  it('refuses provenance that is not the generator\'s (SLSA_PROVENANCE_INVALID)', async () => {
    await refused('SLSA_PROVENANCE_INVALID', { edit: (_p, s) => (s.predicateType = 'https://example.com/other-provenance/v1') });
    await refused('SLSA_PROVENANCE_INVALID', { edit: (p) => ((p.materials as { uri: string }[])[0]!.uri = 'git+https://github.com/octo-org/app@refs/tags/v0.0.1') });
    await refused('SLSA_PROVENANCE_INVALID', { edit: (p) => delete p.materials });
  });

  it('the CLI verifies a file and refuses with one line per input', async () => {
    const prov = join(dir, 'app-linux-amd64.intoto.jsonl');
    writeFileSync(prov, JSON.stringify(await signProvenance(t, sha)));
    const trustedRoot = join(dir, 'trusted_root.json');
    writeFileSync(trustedRoot, JSON.stringify(t.inst.trustedRoot));
    const base = ['verify', 'slsa', '--trusted-root', trustedRoot, '--provenance', prov, '--source-uri', SOURCE];
    const ok = runCli([...base, '--source-tag', 'v1.2.3', file]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /^OK: .*app-linux-amd64$/m);
    const bad = runCli([...base, '--source-tag', 'v1.2.4', file]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^FAIL: .*app-linux-amd64 \[policy\]: wrong tag: the build ran on tag v1\.2\.3, not v1\.2\.4$/m);
  });
});

describe('verify slsa: refusals without signing', () => {
  const legacy = () => {
    const bundle = JSON.parse(readFileSync(join(FIXTURES, 'binary-linux-amd64-push-v14.intoto.jsonl'), 'utf8')) as { dsseEnvelope: unknown };
    return `${JSON.stringify(bundle.dsseEnvelope)}\n`;
  };

  it('refuses a pre-2.1 bare DSSE envelope, saying it needs an online Rekor search (SLSA_LEGACY_PROVENANCE)', async () => {
    const trust = parseTrustedRoot(JSON.parse('{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}'), 'empty');
    const digest = { digest: { algorithm: 'sha256' as const, value: Buffer.from(BINARY_SHA256, 'hex') } };
    await assert.rejects(verifySlsaProvenance(legacy(), digest, { sourceUri: 'github.com/slsa-framework/example-package' }, { trust }), (e: unknown) => {
      assert.ok(e instanceof VerificationError);
      assert.equal(e.code, 'SLSA_LEGACY_PROVENANCE');
      assert.match(e.message, /online Rekor search/);
      return true;
    });
  });

  it('the CLI refuses the legacy format with exit 1 and one line; contradictory or invalid flags exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigstore-slsa-'));
    try {
      const prov = join(dir, 'old.intoto.jsonl');
      writeFileSync(prov, legacy());
      const r = runCli(['verify', 'slsa', '--offline', '--provenance', prov, '--source-uri', 'github.com/slsa-framework/example-package', `sha256:${BINARY_SHA256}`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^FAIL: sha256:[0-9a-f]{64} \[bundle\]: the provenance is a bare DSSE envelope \(slsa-github-generator before v2\.1\.0\).*online Rekor search/m);
      const p = join(FIXTURES, 'binary-linux-amd64-push-v14.intoto.jsonl');
      const base = ['verify', 'slsa', '--offline', '--provenance', p, '--source-uri', 'github.com/slsa-framework/example-package'];
      assert.equal(runCli([...base, '--source-tag', 'v14', '--source-branch', 'main', `sha256:${BINARY_SHA256}`]).code, 2);
      assert.equal(runCli([...base, '--source-versioned-tag', '14', `sha256:${BINARY_SHA256}`]).code, 2);
      assert.equal(runCli([...base, '--builder-id', 'x@', `sha256:${BINARY_SHA256}`]).code, 2);
      assert.equal(runCli(['verify', 'slsa', '--offline', '--provenance', p, '--source-uri', 'gitlab.com/a/b', `sha256:${BINARY_SHA256}`]).code, 2);
      assert.equal(runCli(['verify', 'slsa', '--offline', '--source-uri', 'github.com/a/b', `sha256:${BINARY_SHA256}`]).code, 2);
      assert.equal(runCli([...base]).code, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SlsaBuilderPolicy refuses a certificate not issued by GitHub Actions', () => {
    const signer = { kind: 'certificate', identity: GENERATOR_AT, issuer: 'https://accounts.google.com', extensions: {}, certificate: { subjectAltNames: [{ type: 'uri', value: GENERATOR_AT }] } } as unknown as CertificateSigner;
    assert.throws(() => new SlsaBuilderPolicy('https://github.com/a/b').check(signer), (e: unknown) => e instanceof PolicyError && e.code === 'SLSA_BUILDER_UNTRUSTED');
  });

  it('semantic versions as Go x/mod/semver reads them', () => {
    for (const v of ['v1', 'v1.2', 'v1.2.3', 'v1.2.3-rc.1', 'v1.2.3+build.5', 'v0.0.0']) assert.ok(parseSemver(v), v);
    for (const v of ['1.2.3', 'v01', 'v1.02', 'v1-rc', 'v1.2-rc', 'v1.2.3.4', 'v', 'v1.2.3-01', '']) assert.equal(parseSemver(v), undefined, v);
    const m = (a: string, b: string) => versionMismatch(parseSemver(a)!, parseSemver(b)!);
    assert.equal(m('v1', 'v1.9.9'), undefined);
    assert.equal(m('v1.2', 'v1.2.7'), undefined);
    assert.equal(m('v1.2.3', 'v1.2.3+meta'), undefined);
    assert.equal(m('v1.2.3', 'v1.2.3-rc.1'), 'patch');
    assert.equal(m('v1.2.0', 'v1.2'), undefined);
    assert.equal(m('v2', 'v1.2.3'), 'major');
  });
});
