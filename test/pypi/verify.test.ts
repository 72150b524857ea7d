/**
 * Verification of the real PEP 740 attestations (test/fixtures/pypi) against their distributions
 * and identities, and every way it must fail: another file, a renamed file, another identity,
 * another instance, tampered attestations; the statement rules; Trusted Publisher policies; and
 * PyPI provenance verification.
 */
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PolicyError, UsageError, VerificationError } from '../../src/errors.js';
import { Certificate } from '../../src/lib/x509.js';
import { type Attestation, attestationToJson, parseAttestation } from '../../src/pypi/attestation.js';
import { bundleToAttestation } from '../../src/pypi/convert.js';
import { Distribution } from '../../src/pypi/distribution.js';
import { parseProvenance, type Provenance } from '../../src/pypi/provenance.js';
import { type Publisher, publisherPolicy } from '../../src/pypi/publisher.js';
import { checkPublisher, parseRepositoryUrl, verifyAttestation, verifyProvenance } from '../../src/pypi/verify.js';
import { certificateIdentity, fulcioExtensions } from '../../src/verify/extensions.js';
import { Identity, unsafeAcceptAnyIdentity } from '../../src/verify/policy.js';
import type { CertificateSigner, VerificationResult } from '../../src/verify/types.js';
import type { Verifier } from '../../src/verify/verifier.js';
import { ASSETS, fixture, production, PUBLISH, readFixture, staging, tempDir, verifierFor } from './helpers.js';

type Json = Record<string, unknown>;

const load = (name: string): Attestation => parseAttestation(readFixture(name));
const dist = (name: string): Promise<Distribution> => Distribution.fromFile(fixture(name));
const RFC = ASSETS.find((a) => a.attestation === 'rfc8785-0.1.2-py3-none-any.whl.publish.attestation')!;
const PA = ASSETS.find((a) => a.attestation === 'pypi_attestations-0.0.19.tar.gz.publish.attestation')!;
const identityOf = (a: (typeof ASSETS)[number]) => new Identity({ identity: a.identity, issuer: a.issuer });

/** Expects a VerificationError at `step` (and `code`, when given) whose message matches. */
async function failsAt(p: Promise<unknown>, step: string, message: RegExp, code?: string): Promise<VerificationError> {
  let err: unknown;
  await assert.rejects(p, (e: unknown) => {
    err = e;
    return true;
  });
  assert.ok(err instanceof VerificationError, `a VerificationError, got ${String(err)}`);
  assert.equal(err.step, step, `step ${err.step} (${err.message})`);
  if (code) assert.equal(err.code, code, err.message);
  assert.match(err.message, message);
  assert.ok(!err.message.includes('\n'), 'one line');
  return err;
}

describe('real attestations verify against their distributions and identities', () => {
  for (const a of ASSETS) {
    it(`${a.attestation} (${a.staging ? 'staging' : 'production'})`, async () => {
      const r = await verifyAttestation(verifierFor(a), load(a.attestation), await dist(a.dist), identityOf(a));
      assert.equal(r.predicateType, a.predicateType);
      assert.equal(r.statement.subject[0]!.name, a.dist);
      assert.equal(r.distribution.name, a.dist);
      assert.equal(r.result.signer.kind, 'certificate');
      if (r.result.signer.kind === 'certificate') {
        assert.equal(r.result.signer.identity, a.identity);
        assert.equal(r.result.signer.issuer, a.issuer);
      }
      assert.equal(r.result.tlogEntries.length, 1);
      assert.ok(r.result.timestamps.some((t) => t.source === 'tlog'));
    });
  }

  it('pypi_attestation_models-0.0.4a2.tar.gz.sigstore, converted, verifies with an empty publish predicate', async () => {
    const a = bundleToAttestation(readFixture('pypi_attestation_models-0.0.4a2.tar.gz.sigstore'));
    const r = await verifyAttestation(production(), a, await dist('pypi_attestation_models-0.0.4a2.tar.gz'), unsafeAcceptAnyIdentity());
    assert.equal(r.predicateType, PUBLISH);
    assert.deepEqual(r.predicate, {});
  });

  it('spt3g: a wheel whose tag sets are listed in another order is the same distribution', async () => {
    const a = load('spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.publish.attestation');
    const d = new Distribution('spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl', 'd2772f9a5199f05ed1be8d9aa78b879e51772e3ead9d73fe8057257b1aec7cf8');
    const r = await verifyAttestation(staging(), a, d, new Identity({ identity: 'william@yossarian.net', issuer: 'https://github.com/login/oauth' }));
    assert.notEqual(r.statement.subject[0]!.name, d.name);
  });

  it('a publish attestation verifies under its Trusted Publisher given directly', async () => {
    const r = await verifyAttestation(production(), load(PA.attestation), await dist(PA.dist), {
      kind: 'GitHub',
      repository: 'trailofbits/pypi-attestations',
      workflow: 'release.yml',
    });
    assert.equal(r.predicateType, PUBLISH);
  });
});

describe('verification fails', () => {
  it('for a different file with the same name', async () => {
    const dir = tempDir();
    const p = join(dir, RFC.dist);
    writeFileSync(p, 'nothing');
    await failsAt(verifyAttestation(staging(), load(RFC.attestation), await Distribution.fromFile(p), identityOf(RFC)), 'signature', /is not a subject of the statement/, 'SUBJECT_MISMATCH');
  });

  it('for the same file renamed', async () => {
    const dir = tempDir();
    const p = join(dir, 'wrong_name-0.1.2-py3-none-any.whl');
    copyFileSync(fixture(RFC.dist), p);
    await failsAt(
      verifyAttestation(staging(), load(RFC.attestation), await Distribution.fromFile(p), identityOf(RFC)),
      'signature',
      /^subject does not match distribution name: rfc8785-0\.1\.2-py3-none-any\.whl != wrong_name-0\.1\.2-py3-none-any\.whl$/,
      'SUBJECT_NAME_MISMATCH',
    );
    // Another version, another extension, another wheel tag: other distributions too.
    for (const other of ['rfc8785-0.1.3-py3-none-any.whl', 'rfc8785-0.1.2-py2-none-any.whl', 'rfc8785-0.1.2-1-py3-none-any.whl', 'rfc8785-0.1.2.tar.gz']) {
      const q = join(dir, other);
      copyFileSync(fixture(RFC.dist), q);
      await failsAt(verifyAttestation(staging(), load(RFC.attestation), await Distribution.fromFile(q), identityOf(RFC)), 'signature', /subject does not match distribution name/);
    }
  });

  it('accepts the same file under a name that normalises to the same distribution', async () => {
    const dir = tempDir();
    const p = join(dir, 'RFC8785-0.1.2-py3-none-any.whl');
    copyFileSync(fixture(RFC.dist), p);
    await verifyAttestation(staging(), load(RFC.attestation), await Distribution.fromFile(p), identityOf(RFC));
  });

  it('for a different identity', async () => {
    const err = await failsAt(
      verifyAttestation(staging(), load(RFC.attestation), await dist(RFC.dist), new Identity({ identity: 'fake@example.com', issuer: RFC.issuer })),
      'policy',
      /certificate identity "william@yossarian.net" does not match "fake@example.com"/,
    );
    assert.ok(err instanceof PolicyError);
    await failsAt(
      verifyAttestation(production(), load(PA.attestation), await dist(PA.dist), new Identity({ identity: PA.identity, issuer: 'https://gitlab.com' })),
      'policy',
      /OIDC issuer/,
    );
    await failsAt(
      verifyAttestation(
        production(),
        load(PA.attestation),
        await dist(PA.dist),
        new Identity({ identity: PA.identity.replace('v0.0.19', 'v0.0.20'), issuer: PA.issuer }),
      ),
      'policy',
      /does not match/,
    );
  });

  it('against the other instance (production attestation, staging root and back)', async () => {
    await failsAt(verifyAttestation(staging(), load(PA.attestation), await dist(PA.dist), identityOf(PA)), 'tlog', /log not in the trusted root/);
    await failsAt(verifyAttestation(production(), load(RFC.attestation), await dist(RFC.dist), identityOf(RFC)), 'tlog', /log not in the trusted root/);
  });

  /** Flips one bit of a base64 field of the attestation JSON (at `pos` of the decoded bytes). */
  function tampered(name: string, edit: (j: Json) => void): Attestation {
    const j = JSON.parse(readFixture(name).toString('utf8')) as Json;
    edit(j);
    return parseAttestation(j);
  }
  function flip(b64: string, pos = 0.5): string {
    const buf = Buffer.from(b64, 'base64');
    const i = Math.min(buf.length - 1, Math.floor(pos * buf.length));
    buf[i]! ^= 0x01;
    return buf.toString('base64');
  }
  const vm = (j: Json) => j.verification_material as Json;
  const entry = (j: Json) => (vm(j).transparency_entries as Json[])[0]!;
  const TAMPERS: [string, (j: Json) => void, string[]][] = [
    ['the statement', (j) => ((j.envelope as Json).statement = flip((j.envelope as Json).statement as string, 0.3)), ['signature']],
    [
      'the statement subject digest (re-encoded statement)',
      (j) => {
        const env = j.envelope as Json;
        const st = JSON.parse(Buffer.from(env.statement as string, 'base64').toString()) as { subject: { digest: { sha256: string } }[] };
        st.subject[0]!.digest.sha256 = 'f'.repeat(64);
        env.statement = Buffer.from(JSON.stringify(st)).toString('base64');
      },
      ['signature'],
    ],
    ['the signature', (j) => ((j.envelope as Json).signature = flip((j.envelope as Json).signature as string, 0.6)), ['signature']],
    ['the certificate', (j) => (vm(j).certificate = flip(vm(j).certificate as string, 0.7)), ['bundle', 'signature', 'body', 'chain']],
    ['the log entry body', (j) => (entry(j).canonicalizedBody = flip(entry(j).canonicalizedBody as string, 0.4)), ['body', 'tlog']],
    ['the integrated time', (j) => (entry(j).integratedTime = String(BigInt(entry(j).integratedTime as string) + 1n)), ['tlog']],
    ['the log index', (j) => (entry(j).logIndex = String(BigInt(entry(j).logIndex as string) + 1n)), ['tlog']],
    ['the signed entry timestamp', (j) => ((entry(j).inclusionPromise as Json).signedEntryTimestamp = flip((entry(j).inclusionPromise as Json).signedEntryTimestamp as string)), ['tlog']],
    ['the inclusion proof root hash', (j) => ((entry(j).inclusionProof as Json).rootHash = flip((entry(j).inclusionProof as Json).rootHash as string)), ['tlog']],
    ['an inclusion proof hash', (j) => (((entry(j).inclusionProof as Json).hashes as string[])[2] = flip(((entry(j).inclusionProof as Json).hashes as string[])[2]!)), ['tlog']],
    [
      'the checkpoint',
      (j) => {
        const cp = (entry(j).inclusionProof as Json).checkpoint as Json;
        cp.envelope = (cp.envelope as string).replace(/\n(\d+)\n/, (_, n: string) => `\n${BigInt(n) + 1n}\n`);
      },
      ['tlog'],
    ],
  ];
  for (const asset of [PA, RFC]) {
    for (const [what, edit, steps] of TAMPERS) {
      it(`for ${asset.attestation} with ${what} tampered`, async () => {
        const a = tampered(asset.attestation, edit);
        let err: unknown;
        await assert.rejects(verifyAttestation(verifierFor(asset), a, await dist(asset.dist), identityOf(asset)), (e: unknown) => {
          err = e;
          return true;
        });
        assert.ok(err instanceof VerificationError, String(err));
        assert.ok(steps.includes(err.step), `failed at ${err.step}: ${err.message}`);
      });
    }
  }
});

describe('the statement rules (on a verified statement)', () => {
  /** A verifier stand-in that "verifies" anything and returns this statement: only the PEP 740 rules run. */
  function stub(statement: unknown): Verifier {
    return {
      verify: async () => ({ statement, signer: {}, timestamps: [], tlogEntries: [], payloadType: 'application/vnd.in-toto+json' }) as unknown as VerificationResult,
    } as unknown as Verifier;
  }
  const d = new Distribution('rfc8785-0.1.2-py3-none-any.whl', 'c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201');
  const subject = { name: d.name, digest: { sha256: d.digest } };
  const st = (over: Json) => ({ _type: 'https://in-toto.io/Statement/v1', subject: [subject], predicateType: PUBLISH, predicate: null, ...over });
  const run = (s: unknown) => verifyAttestation(stub(s), load(RFC.attestation), d, unsafeAcceptAnyIdentity());

  it('passes a well-formed statement', async () => {
    const r = await run(st({}));
    assert.equal(r.predicateType, PUBLISH);
    assert.equal(r.predicate, null);
  });
  it('needs exactly one subject', async () => {
    await failsAt(run(st({ subject: [subject, { name: 'foo-1.0.tar.gz', digest: { sha256: 'ab'.repeat(32) } }] })), 'signature', /exactly one subject \(it has 2\)/, 'SUBJECT_COUNT');
    await failsAt(run(st({ subject: [] })), 'signature', /exactly one subject \(it has 0\)/);
  });
  it('needs a subject name', async () => {
    await failsAt(run(st({ subject: [{ digest: subject.digest }] })), 'signature', /invalid subject: missing name/, 'SUBJECT_NAME_MISSING');
  });
  it('needs a valid distribution name', async () => {
    await failsAt(run(st({ subject: [{ name: 'foo-bar-invalid-wheel.whl', digest: subject.digest }] })), 'signature', /invalid subject: .*not a valid Python distribution file name/, 'SUBJECT_NAME_INVALID');
  });
  it('needs the sha256 digest, exactly', async () => {
    await failsAt(run(st({ subject: [{ name: d.name, digest: { sha512: 'ab'.repeat(64) } }] })), 'signature', /subject does not match distribution digest/, 'SUBJECT_DIGEST_MISMATCH');
    await failsAt(run(st({ subject: [{ name: d.name, digest: { sha256: d.digest.toUpperCase() } }] })), 'signature', /subject does not match distribution digest/);
  });
  it('needs a predicate type PyPI knows', async () => {
    const err = await failsAt(run(st({ predicateType: 'foo' })), 'policy', /^unknown attestation type: foo$/, 'PREDICATE_TYPE_UNKNOWN');
    assert.ok(err instanceof PolicyError);
    await run(st({ predicateType: 'https://slsa.dev/provenance/v1', predicate: { buildDefinition: {} } }));
  });
  it('needs an in-toto v1 statement', async () => {
    await failsAt(run(st({ _type: 'https://in-toto.io/Statement/v0.1' })), 'signature', /in-toto v1 statement/);
  });
});

describe('Trusted Publisher policies', () => {
  const signerOf = (cert: Certificate): CertificateSigner => {
    const extensions = fulcioExtensions(cert);
    return { kind: 'certificate', identity: certificateIdentity(cert) ?? '', issuer: extensions.issuer, extensions, certificate: cert };
  };
  const pem = (name: string) => signerOf(Certificate.fromPEM(readFixture(name).toString('utf8')));
  const certOf = (name: string) => signerOf(new Certificate(load(name).verificationMaterial.certificate));
  const denies = (p: Publisher, s: CertificateSigner, message: RegExp, code?: string) =>
    assert.throws(
      () => publisherPolicy(p).check(s),
      (e: unknown) => {
        assert.ok(e instanceof PolicyError, String(e));
        if (code) assert.equal(e.code, code);
        assert.match(e.message, message);
        return true;
      },
    );

  it('GitHub: repository and workflow, at the certificate ref', () => {
    publisherPolicy({ kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'release.yml' }).check(certOf(PA.attestation));
  });
  it('GitHub: at the certificate commit when it has no source ref (real certificate)', () => {
    publisherPolicy({ kind: 'GitHub', repository: 'SWIFTSIM/swiftgalaxy', workflow: 'python-publish.yml' }).check(pem('no-source-repository-ref-extension.pem'));
  });
  it('GitHub: refuses another workflow, repository, forge', () => {
    const s = certOf(PA.attestation);
    denies({ kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'wrong.yml' }, s, /Build Config URI .+ does not match the Trusted Publisher \(wrong\.yml @ trailofbits\/pypi-attestations\)/, 'POLICY_PUBLISHER_WORKFLOW');
    denies({ kind: 'GitHub', repository: 'trailofbits/other', workflow: 'release.yml' }, s, /source repository "https:\/\/github.com\/trailofbits\/pypi-attestations" is not the Trusted Publisher's/, 'POLICY_PUBLISHER_REPOSITORY');
    denies({ kind: 'GitHub', repository: 'TrailOfBits/pypi-attestations', workflow: 'release.yml' }, s, /source repository/);
    denies({ kind: 'GitLab', repository: 'trailofbits/pypi-attestations', workflow_filepath: 'release.yml' }, s, /OIDC issuer .* is not https:\/\/gitlab.com/, 'POLICY_PUBLISHER_ISSUER');
    denies({ kind: 'Google', email: 'x@example.com' }, s, /is not the Trusted Publisher's service account/);
  });
  it('GitHub: refuses a certificate with neither source digest nor ref', () => {
    const s = pem('no-source-repository-ref-extension.pem');
    const stripped = { ...s, extensions: { ...s.extensions, sourceRepositoryDigest: undefined, sourceRepositoryRef: undefined } };
    denies({ kind: 'GitHub', repository: 'SWIFTSIM/swiftgalaxy', workflow: 'python-publish.yml' }, stripped, /either Source Repository Digest or Source Repository Ref/, 'POLICY_PUBLISHER_REF');
  });
  it('GitHub: the Build Config URI must end in the ref or commit of the certificate, not any ref', () => {
    const s = certOf(PA.attestation);
    const otherRef = { ...s, extensions: { ...s.extensions, sourceRepositoryRef: 'refs/heads/main' } };
    denies({ kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'release.yml' }, otherRef, /Build Config URI/);
  });
  it('GitLab: project path and CI config file', () => {
    const s = certOf('gitlab_oidc_project-0.0.3.tar.gz.publish.attestation');
    publisherPolicy({ kind: 'GitLab', repository: 'facutuesca/gitlab-oidc-project', workflow_filepath: '.gitlab-ci.yml' }).check(s);
    denies({ kind: 'GitLab', repository: 'facutuesca/gitlab-oidc-project', workflow_filepath: 'wrong.yml' }, s, /Build Config URI .+ does not match/);
    denies({ kind: 'GitLab', repository: 'facutuesca/other', workflow_filepath: '.gitlab-ci.yml' }, s, /source repository/);
    denies({ kind: 'GitHub', repository: 'facutuesca/gitlab-oidc-project', workflow: '.gitlab-ci.yml' }, s, /OIDC issuer/);
  });
  it('Google: the service account email and the Google issuer', () => {
    const s = pem('200170367.pem');
    publisherPolicy({ kind: 'Google', email: '919436158236-compute@developer.gserviceaccount.com' }).check(s);
    denies({ kind: 'Google', email: 'other@developer.gserviceaccount.com' }, s, /service account "other@developer\.gserviceaccount\.com"/, 'POLICY_IDENTITY_MISMATCH');
    const wrongIssuer = { ...s, extensions: { ...s.extensions, issuer: 'https://example.com' } };
    denies({ kind: 'Google', email: '919436158236-compute@developer.gserviceaccount.com' }, wrongIssuer, /OIDC issuer "https:\/\/example.com"/);
  });
  it('through verification: the real GitLab attestation, and a wrong CI config', async () => {
    const a = load('gitlab_oidc_project-0.0.3.tar.gz.publish.attestation');
    const d = await dist('gitlab_oidc_project-0.0.3.tar.gz');
    const r = await verifyAttestation(production(), a, d, { kind: 'GitLab', repository: 'facutuesca/gitlab-oidc-project', workflow_filepath: '.gitlab-ci.yml' });
    assert.equal(r.predicate, null);
    await failsAt(verifyAttestation(production(), a, d, { kind: 'GitLab', repository: 'facutuesca/gitlab-oidc-project', workflow_filepath: 'wrong.yml' }), 'policy', /Build Config URI .+ does not match/);
  });
});

describe('PyPI provenance', () => {
  const provenance = (): Provenance => parseProvenance(readFixture('pypi_attestations-0.0.19.tar.gz.provenance'));
  const REPO = 'https://github.com/trailofbits/pypi-attestations';

  it('verifies the real provenance against its repository', async () => {
    const r = await verifyProvenance(production(), provenance(), await dist(PA.dist), { repository: REPO });
    assert.equal(r.bundles.length, 1);
    assert.equal(r.bundles[0]!.publisher.kind, 'GitHub');
    assert.equal(r.bundles[0]!.attestations[0]!.predicateType, PUBLISH);
    await verifyProvenance(production(), provenance(), await dist(PA.dist), { repository: `${REPO}/` });
  });

  it('fails for another repository, forge or kind of publisher', async () => {
    const d = await dist(PA.dist);
    await assert.rejects(verifyProvenance(production(), provenance(), d, { repository: 'https://github.com/trailofbits/other' }), {
      code: 'POLICY_PUBLISHER_MISMATCH',
      message: 'provenance was signed by repository "trailofbits/pypi-attestations", expected "trailofbits/other"',
    });
    await assert.rejects(verifyProvenance(production(), provenance(), d, { repository: 'https://gitlab.com/trailofbits/pypi-attestations' }), {
      message: 'provenance was signed by a github.com repository, but expected a gitlab.com repository',
    });
    await assert.rejects(verifyProvenance(production(), provenance(), d, { serviceAccount: 'sa@example.iam.gserviceaccount.com' }), /but a Google Cloud service account was expected/);
  });

  it('fails for another distribution', async () => {
    await failsAt(verifyProvenance(production(), provenance(), await dist('pypi_attestation_models-0.0.4a2.tar.gz'), { repository: REPO }), 'signature', /not a subject/);
  });

  it('fails when the provenance names a publisher its certificate does not match', async () => {
    const p = provenance();
    p.attestationBundles[0]!.publisher = { kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'other.yml' };
    await failsAt(verifyProvenance(production(), p, await dist(PA.dist), { repository: REPO }), 'policy', /Build Config URI .+ does not match the Trusted Publisher \(other\.yml @ trailofbits\/pypi-attestations\)/);
  });

  it('fails when one of several attestations does not verify', async () => {
    const p = provenance();
    const bad = parseAttestation(attestationToJson(p.attestationBundles[0]!.attestations[0]!));
    bad.envelope.signature[10]! ^= 1;
    p.attestationBundles[0]!.attestations.push(bad);
    await failsAt(verifyProvenance(production(), p, await dist(PA.dist), { repository: REPO }), 'signature', /signature/);
  });

  it('refuses a provenance without attestations', async () => {
    const p = provenance();
    await assert.rejects(verifyProvenance(production(), { version: 1, attestationBundles: [] }, await dist(PA.dist), { repository: REPO }), { code: 'PROVENANCE_EMPTY' });
    p.attestationBundles[0]!.attestations = [];
    await assert.rejects(verifyProvenance(production(), p, await dist(PA.dist), { repository: REPO }), { code: 'PROVENANCE_EMPTY' });
  });

  it('needs an expectation, and a well-formed repository URL', () => {
    const pub: Publisher = { kind: 'GitHub', repository: 'o/r', workflow: 'w.yml' };
    assert.throws(() => checkPublisher(pub, {}), UsageError);
    for (const bad of ['github.com/o/r', 'http://github.com/o/r', 'https://example.com/o/r', 'https://github.com/o', 'https://github.com/o/r/x', 'https://github.com/o/r?x=1', 'https://github.com:8443/o/r', 'https://user@github.com/o/r', 'https://github.com//r']) {
      assert.throws(() => parseRepositoryUrl(bad), (e: unknown) => e instanceof UsageError && e.code === 'REPOSITORY_URL_INVALID', bad);
    }
    assert.deepEqual(parseRepositoryUrl('https://github.com/o/r'), { host: 'github.com', path: 'o/r' });
    assert.deepEqual(parseRepositoryUrl('https://gitlab.com/g/s/p/'), { host: 'gitlab.com', path: 'g/s/p' });
    checkPublisher(pub, { repository: 'https://github.com/o/r' });
    checkPublisher({ kind: 'Google', email: 'a@b' }, { serviceAccount: 'a@b' });
    assert.throws(() => checkPublisher({ kind: 'Google', email: 'a@b' }, { serviceAccount: 'c@d' }), /service account "a@b", expected "c@d"/);
    assert.throws(() => checkPublisher({ kind: 'Google', email: 'a@b' }, { repository: 'https://github.com/o/r' }), /Google Cloud service account/);
  });
});
