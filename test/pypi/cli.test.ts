/**
 * `sigstore attestation verify|verify-provenance|convert` as a process, on the real PyPI assets:
 * exit codes (0 verified, 1 a failure, 2 a usage error), OK:/FAIL: lines, --json, help texts.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { schemaLines } from '../helpers/json-schema.js';
import { ASSETS, cli, fixture, readFixture, tempDir } from './helpers.js';

/** --json output of verify-provenance: schema-checked verification lines. */
const jsonLines = (stdout: string) =>
  schemaLines(stdout).map((o) => {
    assert.equal(o.type, 'verification');
    return o;
  });

const PA = ASSETS.find((a) => a.attestation === 'pypi_attestations-0.0.19.tar.gz.publish.attestation')!;
const RFC = ASSETS.find((a) => a.attestation === 'rfc8785-0.1.2-py3-none-any.whl.publish.attestation')!;
const GL = ASSETS.find((a) => a.dist === 'gitlab_oidc_project-0.0.3.tar.gz')!;
const MODELS = ASSETS.find((a) => a.dist === 'pypi_attestation_models-0.0.4a2.tar.gz')!;

describe('sigstore attestation verify', { concurrency: 4 }, () => {
  it('verifies every attestation found next to each distribution (publish and SLSA), offline', async () => {
    const r = await cli(['attestation', 'verify', '--offline', '--identity', PA.identity, '--issuer', PA.issuer, fixture(PA.dist)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^OK: \S*pypi_attestations-0\.0\.19\.tar\.gz \(\S*pypi_attestations-0\.0\.19\.tar\.gz\.publish\.attestation\)$/m);
    assert.match(r.stderr, /^OK: \S*pypi_attestations-0\.0\.19\.tar\.gz \(\S*pypi_attestations-0\.0\.19\.tar\.gz\.slsa\.attestation\)$/m);
    assert.match(r.stderr, /signed: {2}in-toto statement, predicate https:\/\/slsa\.dev\/provenance\/v1/);
    assert.equal(r.stdout, '');
  });

  it('verifies a staging attestation with the global --staging, and a GitLab one without --issuer', async () => {
    const s = await cli(['--staging', 'attestation', 'verify', '--identity', RFC.identity, '--issuer', RFC.issuer, fixture(RFC.dist)]);
    assert.equal(s.code, 0, s.stderr);
    const g = await cli(['attestation', 'verify', '--identity', GL.identity, fixture(GL.dist)]);
    assert.equal(g.code, 0, g.stderr);
  });

  it('verifies with --attestation FILE and --identity-regexp, and prints --json results', async () => {
    const r = await cli([
      'attestation',
      'verify',
      '--json',
      '--identity-regexp',
      'https://github\\.com/trailofbits/pypi-attestation-models/.*',
      '--attestation',
      fixture(MODELS.attestation),
      fixture(MODELS.dist),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = jsonLines(r.stdout);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.verified, true);
    assert.equal(out[0]!.predicateType, 'https://docs.pypi.org/attestations/publish/v1');
    assert.deepEqual(out[0]!.distribution, { name: MODELS.dist, sha256: 'c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef' });
    assert.equal((out[0]!.signer as Record<string, unknown>).identity, MODELS.identity);
  });

  it('fails (1) for a different identity, naming the step', async () => {
    const r = await cli(['--staging', 'attestation', 'verify', '--json', '--identity', 'fake@example.com', fixture(RFC.dist)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^FAIL: \S+ \(\S+\) \[policy\]: certificate identity "william@yossarian\.net" does not match "fake@example\.com"$/m);
    const out = jsonLines(r.stdout) as { verified: boolean; error: { step: string; code: string } }[];
    assert.equal(out[0]!.verified, false);
    assert.equal(out[0]!.error.step, 'policy');
    const issuer = await cli(['--staging', 'attestation', 'verify', '--identity', RFC.identity, '--issuer', 'https://accounts.google.com', fixture(RFC.dist)]);
    assert.equal(issuer.code, 1);
    assert.match(issuer.stderr, /OIDC issuer "https:\/\/github\.com\/login\/oauth" does not match/);
  });

  it('fails (1) against the wrong instance', async () => {
    const r = await cli(['attestation', 'verify', '--identity', RFC.identity, fixture(RFC.dist)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[tlog\]: log entry comes from a log not in the trusted root/);
  });

  it('fails (1) for a renamed file, a different file and a tampered attestation; OK lines for the others', async () => {
    const dir = tempDir();
    const renamed = join(dir, 'renamed-0.1.2-py3-none-any.whl');
    copyFileSync(fixture(RFC.dist), renamed);
    copyFileSync(fixture(RFC.attestation), `${renamed}.publish.attestation`);
    const other = join(dir, RFC.dist);
    writeFileSync(other, 'not the wheel');
    copyFileSync(fixture(RFC.attestation), `${other}.publish.attestation`);
    const sub = join(dir, 'sub');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    const tampered = join(sub, RFC.dist);
    copyFileSync(fixture(RFC.dist), tampered);
    const j = JSON.parse(readFixture(RFC.attestation).toString('utf8')) as { envelope: { signature: string } };
    const sig = Buffer.from(j.envelope.signature, 'base64');
    sig[20]! ^= 1;
    j.envelope.signature = sig.toString('base64');
    writeFileSync(`${tampered}.publish.attestation`, JSON.stringify(j));

    const r = await cli(['--staging', 'attestation', 'verify', '--identity', RFC.identity, fixture(RFC.dist), renamed, other, tampered]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^OK: \S*fixtures\/pypi\/rfc8785-0\.1\.2-py3-none-any\.whl /m);
    assert.match(r.stderr, /^FAIL: \S*renamed-0\.1\.2-py3-none-any\.whl \(\S+\) \[signature\]: subject does not match distribution name: rfc8785-0\.1\.2-py3-none-any\.whl != renamed-0\.1\.2-py3-none-any\.whl$/m);
    assert.match(r.stderr, new RegExp(`^FAIL: ${other.replace(/[.]/g, '\\.')} \\(\\S+\\) \\[signature\\]: the artifact digest sha256:[0-9a-f]{64} is not a subject of the statement$`, 'm'));
    assert.match(r.stderr, /^FAIL: \S*sub\/rfc8785-0\.1\.2-py3-none-any\.whl \(\S+\) \[signature\]: the DSSE envelope signature does not verify/m);
  });

  it('is a usage error (2) for bad invocations, before any verification', async () => {
    const dir = tempDir();
    const lonely = join(dir, 'lonely-1.0.tar.gz');
    writeFileSync(lonely, 'x');
    const notDist = join(dir, 'notes.txt');
    writeFileSync(notDist, 'x');
    const cases: [string[], RegExp][] = [
      [['attestation', 'verify', fixture(PA.dist)], /required: --identity/],
      [['attestation', 'verify', '--identity', 'x'], /at least one DIST/],
      [['attestation', 'verify', '--identity', 'x', '--attestation', 'a', fixture(PA.dist), fixture(GL.dist)], /--attestation can only be used with a single DIST/],
      [['attestation', 'verify', '--identity', 'x', fixture(PA.dist), fixture(PA.dist)], /given more than once/],
      [['attestation', 'verify', '--identity', 'x', '--issuer', 'a', '--issuer-regexp', 'b', fixture(PA.dist)], /--issuer and --issuer-regexp cannot be used together/],
      [['attestation', 'verify', '--identity', 'x', '--bogus', fixture(PA.dist)], /unrecognized option '--bogus'/],
      [['attestation', 'frobnicate'], /unknown attestation command 'frobnicate'/],
      [['attestation'], /attestation needs a command/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    // Missing inputs and unusable distribution names are failures (1), as pypi-attestations exits for them.
    const missing: [string[], RegExp][] = [
      [['attestation', 'verify', '--identity', 'x', notDist], /"notes\.txt" is not a valid Python distribution file name: unknown distribution format/],
      [['attestation', 'verify', '--identity', 'x', join(dir, 'missing-1.0.tar.gz')], /distribution \S+ does not exist/],
      [['attestation', 'verify', '--identity', 'x', lonely], /no attestation found for \S+ \(looked for \S+\.publish\.attestation and \S+\.slsa\.attestation\)/],
      [['attestation', 'verify', '--identity', 'x', '--attestation', join(dir, 'nope'), fixture(PA.dist)], /attestation \S+ does not exist/],
    ];
    for (const [args, message] of missing) {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    }
  });

  it('fails (1) for an attestation that is not one', async () => {
    const dir = tempDir();
    const d = join(dir, PA.dist);
    copyFileSync(fixture(PA.dist), d);
    writeFileSync(`${d}.publish.attestation`, '{"version":2}');
    const r = await cli(['attestation', 'verify', '--identity', PA.identity, d]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^FAIL: \S+ \(\S+\) \[bundle\]: invalid attestation: version must be 1 \(is 2\)$/m);
  });
});

describe('sigstore attestation verify-provenance', { concurrency: 4 }, () => {
  const prov = fixture('pypi_attestations-0.0.19.tar.gz.provenance');
  const REPO = 'https://github.com/trailofbits/pypi-attestations';
  it('verifies the real provenance against its repository', async () => {
    const r = await cli(['attestation', 'verify-provenance', '--provenance-file', prov, '--repository', REPO, '--json', fixture(PA.dist)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^OK: \S*pypi_attestations-0\.0\.19\.tar\.gz$/m);
    assert.match(r.stderr, /publisher: GitHub trailofbits\/pypi-attestations \(workflow release\.yml\)/);
    const out = jsonLines(r.stdout) as { verified: boolean; provenance: string; publisher: { kind: string } }[];
    assert.ok(out.length >= 1);
    for (const o of out) {
      assert.equal(o.verified, true);
      assert.equal(o.provenance, prov);
      assert.equal(o.publisher.kind, 'GitHub');
    }
  });

  it('fails (1) for another repository or distribution, or a provenance claiming another workflow', async () => {
    const r = await cli(['attestation', 'verify-provenance', '--provenance-file', prov, '--repository', 'https://github.com/trailofbits/other', fixture(PA.dist)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[policy\]: provenance was signed by repository "trailofbits\/pypi-attestations", expected "trailofbits\/other"/);
    const d = await cli(['attestation', 'verify-provenance', '--provenance-file', prov, '--repository', REPO, fixture(MODELS.dist)]);
    assert.equal(d.code, 1);
    assert.match(d.stderr, /\[signature\]: the artifact digest sha256:[0-9a-f]{64} is not a subject/);
    const dir = tempDir();
    const j = JSON.parse(readFileSync(prov, 'utf8')) as { attestation_bundles: { publisher: { workflow: string } }[] };
    j.attestation_bundles[0]!.publisher.workflow = 'evil.yml';
    const forged = join(dir, 'forged.provenance');
    writeFileSync(forged, JSON.stringify(j));
    const f = await cli(['attestation', 'verify-provenance', '--provenance-file', forged, '--repository', REPO, fixture(PA.dist)]);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /\[policy\]: certificate's Build Config URI "https:\/\/github\.com\/trailofbits\/pypi-attestations\/\.github\/workflows\/release\.yml@refs\/tags\/v0\.0\.19" does not match the Trusted Publisher \(evil\.yml @ trailofbits\/pypi-attestations\)/);
    const g = await cli(['attestation', 'verify-provenance', '--provenance-file', prov, '--service-account', 'sa@p.iam.gserviceaccount.com', fixture(PA.dist)]);
    assert.equal(g.code, 1);
    assert.match(g.stderr, /but a Google Cloud service account was expected/);
  });

  it('is a usage error (2) for bad invocations', async () => {
    const cases: [string[], RegExp][] = [
      [['attestation', 'verify-provenance', '--repository', REPO, fixture(PA.dist)], /required: --provenance-file/],
      [['attestation', 'verify-provenance', '--provenance-file', prov, fixture(PA.dist)], /required: --repository/],
      [['attestation', 'verify-provenance', '--provenance-file', prov, '--repository', REPO, '--service-account', 'a@b', fixture(PA.dist)], /cannot be used together/],
      [['attestation', 'verify-provenance', '--provenance-file', prov, '--repository', REPO], /exactly one DIST/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    // A repository URL it cannot use is a failure (1), as pypi-attestations exits for it.
    const badRepo = await cli(['attestation', 'verify-provenance', '--provenance-file', prov, '--repository', 'http://github.com/o/r', fixture(PA.dist)]);
    assert.equal(badRepo.code, 1, badRepo.stderr);
    assert.match(badRepo.stderr, /invalid repository URL/);
  });
});

describe('sigstore attestation convert', { concurrency: 4 }, () => {
  it('converts the real bundle to exactly the attestation the reference tool made, and back', async () => {
    const dir = tempDir();
    const out = join(dir, 'models.attestation');
    const r = await cli(['attestation', 'convert', '--output-file', out, fixture('pypi_attestation_models-0.0.4a2.tar.gz.sigstore')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Converted Sigstore bundle to attestation: /);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), JSON.parse(readFixture('pypi_attestation_models-0.0.4a2.tar.gz.attestation').toString('utf8')));
    const s = await cli(['attestation', 'convert', '-o', '-', out]);
    assert.equal(s.code, 0, s.stderr);
    const bundle = JSON.parse(s.stdout) as Record<string, unknown>;
    assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    const orig = JSON.parse(readFixture('pypi_attestation_models-0.0.4a2.tar.gz.sigstore').toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(bundle.dsseEnvelope, orig.dsseEnvelope);
    // The converted bundle verifies with `sigstore verify`.
    const b = join(dir, 'models.sigstore.json');
    writeFileSync(b, s.stdout);
    const v = await cli(['verify', 'identity', '--cert-identity', MODELS.identity, '--cert-oidc-issuer', MODELS.issuer, '--bundle', b, fixture(MODELS.dist)]);
    assert.equal(v.code, 0, v.stderr);
  });

  it('fails (1) for what cannot be converted, and is a usage error (2) without an output', async () => {
    const bad = await cli(['attestation', 'convert', '-o', '-', join(import.meta.dirname, '..', 'fixtures', 'conformance', 'happy-path-v0.3', 'bundle.sigstore.json')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: cannot convert the bundle: a PEP 740 attestation needs a DSSE envelope/m);
    const notJson = await cli(['attestation', 'convert', '-o', '-', fixture(PA.dist)]);
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /is not JSON/);
    const noOut = await cli(['attestation', 'convert', fixture(PA.attestation)]);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /required: --output-file/);
    const same = await cli(['attestation', 'convert', '--overwrite', '-o', fixture(PA.attestation), fixture(PA.attestation)]);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /is also an input/);
  });
});

describe('help texts', { concurrency: 4 }, () => {
  for (const sub of ['sign', 'verify', 'verify-provenance', 'convert', 'inspect']) {
    it(`attestation ${sub} --help`, async () => {
      const r = await cli(['attestation', sub, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: sigstore attestation ${sub} `));
    });
  }
  it('attestation --help lists the commands', async () => {
    const r = await cli(['attestation', '--help']);
    assert.equal(r.code, 0);
    for (const sub of ['sign', 'verify', 'verify-provenance', 'convert', 'inspect']) assert.match(r.stdout, new RegExp(`^  ${sub} `, 'm'));
  });
});
