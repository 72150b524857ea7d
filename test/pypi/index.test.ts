/**
 * `sigstore attestation verify-pypi` and `sigstore attestation audit` as processes, against a
 * loopback index (test/pypi/index-server.ts) that speaks PEP 691 JSON and the PEP 740 Integrity
 * API. It serves the real PyPI distributions and provenance of test/fixtures/pypi (verified with
 * the embedded public-good root, --offline) and distributions signed here against the local
 * Sigstore instance by Trusted Publisher identities (verified with the instance's --trust-config).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { parseAttestation } from '../../src/pypi/attestation.js';
import { Distribution } from '../../src/pypi/distribution.js';
import { type Publisher, publisherToJson } from '../../src/pypi/publisher.js';
import { serializeProvenance } from '../../src/pypi/provenance.js';
import { signAttestations } from '../../src/pypi/sign.js';
import { Signer } from '../../src/sign/signer.js';
import { parseClientTrustConfig } from '../../src/trust/client-config.js';
import { schemaLines } from '../helpers/json-schema.js';
import { cli, fixture, readFixture, tempDir } from './helpers.js';
import { LoopbackIndex } from './index-server.js';

const PA = 'pypi_attestations-0.0.19.tar.gz';
const PA_REPO = 'https://github.com/trailofbits/pypi-attestations';
const GL = 'gitlab_oidc_project-0.0.3.tar.gz';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const sha = (b: Buffer) => Distribution.fromBytes('x-1.0.tar.gz', b).digest;

const jsonLines = schemaLines;

/** A GitHub Actions release identity of OWNER/REPO for the instance's OIDC provider. */
const workflow = (repo: string, tag: string) => `https://github.com/${repo}/.github/workflows/release.yml@refs/tags/${tag}`;

describe('verify-pypi and audit against a loopback index', { concurrency: 4 }, () => {
  const dir = tempDir('sigstore-ts-pypi-index-');
  const index = new LoopbackIndex();
  let inst: SigstoreInstance;
  let trustConfig: string;
  const pylock = join(dir, 'pylock.toml');
  const requirements = join(dir, 'requirements.txt');
  const instanceFiles = new Map<string, Buffer>();

  /** Signs `files` as OWNER/REPO's release workflow and serves them with their provenance. */
  async function publish(repo: string, tag: string, files: Record<string, Buffer>): Promise<void> {
    const signer = new Signer({
      trustConfig: parseClientTrustConfig(inst.trustConfig, 'local instance'),
      tokenProvider: () => inst.token({ identity: workflow(repo, tag), issuer: GITHUB_ISSUER }),
      rekorVersion: 1,
    });
    const names = Object.keys(files);
    const dists = names.map((n) => Distribution.fromBytes(n, files[n]!));
    const atts = await signAttestations(signer, dists);
    const publisher: Publisher = { kind: 'GitHub', repository: repo, workflow: 'release.yml', environment: null };
    for (const [i, n] of names.entries()) {
      instanceFiles.set(n, files[n]!);
      index.add({ filename: n, data: files[n]!, provenance: Buffer.from(serializeProvenance({ version: 1, attestationBundles: [{ publisher, attestations: [atts[i]!] }] })) });
    }
  }

  before(async () => {
    // The real PyPI files: pypi-attestations with its real provenance (announced in the simple
    // API, PEP 740), the GitLab project with provenance built from its real attestation.
    index.add({ filename: PA, data: readFixture(PA), provenance: readFixture(`${PA}.provenance`), provenanceKey: true });
    const glPublisher = { kind: 'GitLab', repository: 'facutuesca/gitlab-oidc-project', workflow_filepath: '.gitlab-ci.yml', environment: null } as const;
    const glAttestation = parseAttestation(readFixture(`${GL}.publish.attestation`));
    index.add({ filename: GL, data: readFixture(GL), provenance: Buffer.from(serializeProvenance({ version: 1, attestationBundles: [{ publisher: glPublisher, attestations: [glAttestation] }] })) });
    // No provenance; the index lists a hash that is not the file's; a project whose pages fail.
    index.add({ filename: 'no_provenance-1.0.tar.gz', data: randomBytes(64), provenanceKey: null });
    index.add({ filename: 'no_integrity-2.0-py3-none-any.whl', data: randomBytes(64) });
    index.add({ filename: 'tampered-1.0.tar.gz', data: randomBytes(64), listedSha256: 'ab'.repeat(32) });
    index.add({ filename: 'broken-1.0.tar.gz', data: randomBytes(64) });
    index.failing.set('broken', 503);
    // An index without the JSON API for one project; provenance that is not JSON; the provenance
    // of another distribution served for this one.
    index.add({ filename: 'html_only-1.0.tar.gz', data: randomBytes(64) });
    index.htmlOnly.add('html-only');
    index.add({ filename: 'garbled-1.0.tar.gz', data: randomBytes(64), provenance: Buffer.from('{"version": 1, "attestation_bundles": "no"}') });
    index.add({ filename: 'swapped-1.0.tar.gz', data: randomBytes(64), provenance: readFixture(`${PA}.provenance`) });
    await index.start();

    inst = await startInstance({ dataDir: join(dir, 'instance'), port: 0, identity: workflow('octo-org/octo-pkg', 'v1.0.0') });
    trustConfig = join(dir, 'trust_config.json');
    writeFileSync(trustConfig, JSON.stringify(inst.trustConfig));
    await publish('octo-org/octo-pkg', 'v1.0.0', { 'octo_pkg-1.0.0.tar.gz': randomBytes(2048), 'octo_pkg-1.0.0-py3-none-any.whl': randomBytes(2048) });
    await publish('octo-org/octo-lib', 'v2.0.0', { 'octo_lib-2.0.0-py3-none-any.whl': randomBytes(2048) });
    // The next release of octo-pkg, published from another repository.
    await publish('evil-org/octo-pkg', 'v1.1.0', { 'octo_pkg-1.1.0-py3-none-any.whl': randomBytes(2048) });
    index.add({ filename: 'octo_plain-1.0-py3-none-any.whl', data: randomBytes(100) });

    const entry = (name: string, data: Buffer) => `{ url = "${index.url}/files/${name}", hashes = { sha256 = "${sha(data)}" } }`;
    writeFileSync(
      pylock,
      [
        'lock-version = "1.0"',
        'created-by = "test"',
        '',
        '[[packages]]',
        'name = "pypi-attestations"',
        'version = "0.0.19"',
        `sdist = ${entry(PA, readFixture(PA))}`,
        '',
        '[[packages]]',
        'name = "gitlab-oidc-project"',
        'version = "0.0.3"',
        `sdist = { name = "${GL}", upload-time = 2024-10-01T12:00:00Z, size = 5679, hashes = { sha256 = "${sha(readFixture(GL))}" } }`,
        '',
        '[[packages]]',
        'name = "no-provenance"',
        'version = "1.0"',
        `sdist = ${entry('no_provenance-1.0.tar.gz', index.file('no_provenance-1.0.tar.gz')!.data)}`,
        '',
        '[[packages]]',
        'name = "tampered"',
        'version = "1.0"',
        `sdist = ${entry('tampered-1.0.tar.gz', index.file('tampered-1.0.tar.gz')!.data)}`,
        '',
        '[[packages]]',
        'name = "broken"',
        'version = "1.0"',
        `sdist = ${entry('broken-1.0.tar.gz', index.file('broken-1.0.tar.gz')!.data)}`,
        '',
        '[[packages]]',
        'name = "html-only"',
        'version = "1.0"',
        `sdist = ${entry('html_only-1.0.tar.gz', index.file('html_only-1.0.tar.gz')!.data)}`,
        '',
        '[[packages]]',
        'name = "garbled"',
        'version = "1.0"',
        `sdist = ${entry('garbled-1.0.tar.gz', index.file('garbled-1.0.tar.gz')!.data)}`,
        '',
        '[[packages]]',
        'name = "swapped"',
        'version = "1.0"',
        `sdist = ${entry('swapped-1.0.tar.gz', index.file('swapped-1.0.tar.gz')!.data)}`,
        '',
        '[[packages]]',
        'name = "local-thing"',
        'directory = { path = "./local" }',
        '',
      ].join('\n'),
    );
    const hashes = (names: string[]) => names.map((n) => ` \\\n    --hash=sha256:${sha(instanceFiles.get(n) ?? index.file(n)!.data)}`).join('');
    writeFileSync(
      requirements,
      [
        '# generated by a test',
        '--index-url http://example.invalid/simple',
        `octo-pkg==1.0.0${hashes(['octo_pkg-1.0.0.tar.gz', 'octo_pkg-1.0.0-py3-none-any.whl'])}`,
        `Octo_Lib==2.0.0 ; python_version >= "3.8"${hashes(['octo_lib-2.0.0-py3-none-any.whl'])}`,
        `octo-plain==1.0${hashes(['octo_plain-1.0-py3-none-any.whl'])}`,
        `octo-lib==2.0.0 --hash=sha256:${'cd'.repeat(32)}`,
        'unpinned>=1.0',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await index.stop();
    await inst?.stop();
  });

  const idx = () => ['--index-url', index.url];

  it('verify-pypi verifies pypi:pypi_attestations-0.0.19.tar.gz against the index (simple API, download, Integrity API)', async () => {
    const before = index.requests;
    const r = await cli(['attestation', 'verify-pypi', '--offline', ...idx(), '--repository', PA_REPO, `pypi:${PA}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^OK: pypi:pypi_attestations-0\.0\.19\.tar\.gz$/m);
    assert.match(r.stderr, new RegExp(`file: ${PA} sha256 ${sha(readFixture(PA))} \\(downloaded from ${index.url}/files/${PA}; matches the index\\)`));
    assert.match(r.stderr, /publisher: GitHub trailofbits\/pypi-attestations \(workflow release\.yml\)/);
    assert.match(r.stderr, /attestation: predicate https:\/\/docs\.pypi\.org\/attestations\/publish\/v1/);
    const asked = index.log.slice(before);
    assert.ok(asked.includes('/simple/pypi-attestations/'), asked.join(' '));
    assert.ok(asked.includes(`/files/${PA}`));
    assert.ok(asked.includes(`/integrity/pypi-attestations/0.0.19/${PA}/provenance`));
  });

  it("accepts pypi-attestations' spelling (verify pypi), a file URL, $SIGSTORE_PYPI_INDEX_URL, and --json", async () => {
    const alias = await cli(['attestation', 'verify', 'pypi', '--offline', '--repository', PA_REPO, `pypi:${PA}`], { env: { SIGSTORE_PYPI_INDEX_URL: `${index.url}/simple/` } });
    assert.equal(alias.code, 0, alias.stderr);
    const url = await cli(['attestation', 'verify-pypi', '--offline', ...idx(), '--json', '--repository', PA_REPO, `${index.url}/files/${PA}`]);
    assert.equal(url.code, 0, url.stderr);
    // JSON Lines of the one schema: one verification per attestation, as verify-provenance prints.
    const out = jsonLines(url.stdout);
    assert.ok(out.length >= 1);
    for (const o of out) {
      assert.deepEqual([o.type, o.input, o.verified, o.bundle], ['verification', `${index.url}/files/${PA}`, true, null]);
      assert.equal(o.distribution.sha256, sha(readFixture(PA)));
      assert.equal(o.publisher.repository, 'trailofbits/pypi-attestations');
      assert.equal(o.url, `${index.url}/files/${PA}`);
      assert.ok(o.provenance.startsWith(index.url), o.provenance);
      assert.equal(o.signer.oidcIssuer, GITHUB_ISSUER, 'signer.oidcIssuer means what verify --json means by it');
      assert.equal(typeof o.index, 'string');
    }
    const gl = await cli(['attestation', 'verify-pypi', '--offline', ...idx(), '--repository', 'https://gitlab.com/facutuesca/gitlab-oidc-project', `pypi:${GL}`]);
    assert.equal(gl.code, 0, gl.stderr);
  });

  it("the instance issues tokens as a Trusted Publisher's issuer only for the three PyPI knows", async () => {
    await assert.rejects(inst.token({ issuer: 'https://evil.example' }), { code: 'USAGE', message: /not as https:\/\/evil\.example/ });
    const claims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { iss: string };
    assert.equal(claims(await inst.token({ issuer: GITHUB_ISSUER })).iss, GITHUB_ISSUER);
    assert.equal(claims(await inst.token()).iss, inst.issuer);
  });

  it('verifies instance-signed files with the instance trust config', async () => {
    const r = await cli(['--trust-config', trustConfig, 'attestation', 'verify-pypi', ...idx(), '--repository', 'https://github.com/octo-org/octo-pkg', 'pypi:octo_pkg-1.0.0-py3-none-any.whl']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('refuses, in one line each: no such file, no provenance, publisher mismatch, hash mismatch, index errors', async () => {
    const cases: [string[], RegExp, string][] = [
      [['--repository', PA_REPO, 'pypi:pypi_attestations-9.9.9.tar.gz'], /no such file: pypi_attestations-9\.9\.9\.tar\.gz is not among the 1 distributions of pypi-attestations/, 'PYPI_FILE_NOT_FOUND'],
      [['--repository', PA_REPO, 'pypi:unknown_project-1.0.tar.gz'], /no such project: unknown-project is not on the index/, 'PYPI_PROJECT_NOT_FOUND'],
      [['--repository', PA_REPO, 'pypi:no_provenance-1.0.tar.gz'], /no provenance published: .* has no PEP 740 provenance for no_provenance-1\.0\.tar\.gz/, 'PYPI_PROVENANCE_MISSING'],
      [['--repository', PA_REPO, 'pypi:no_integrity-2.0-py3-none-any.whl'], /no provenance published/, 'PYPI_PROVENANCE_MISSING'],
      [['--repository', 'https://github.com/trailofbits/other', `pypi:${PA}`], /provenance was signed by repository "trailofbits\/pypi-attestations", expected "trailofbits\/other"/, 'POLICY_PUBLISHER_MISMATCH'],
      [['--repository', PA_REPO, 'pypi:tampered-1.0.tar.gz'], /hash mismatch: tampered-1\.0\.tar\.gz downloaded from .* has sha256 [0-9a-f]{64}, but the index lists (ab){32}/, 'PYPI_HASH_MISMATCH'],
      [['--repository', PA_REPO, 'pypi:broken-1.0.tar.gz'], /the index http:\/\/127\.0\.0\.1:\d+ failed on the project page of broken: HTTP 503 after 3 attempts/, 'PYPI_INDEX_ERROR'],
    ];
    await Promise.all(
      cases.map(async ([args, message, code]) => {
        const r = await cli(['attestation', 'verify-pypi', '--offline', ...idx(), '--json', ...args]);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        const fails = r.stderr.split('\n').filter((l) => l.startsWith('FAIL: '));
        assert.equal(fails.length, 1, r.stderr);
        assert.match(fails[0]!, message);
        const [o, ...more] = jsonLines(r.stdout);
        assert.deepEqual([o!.type, o!.verified, o!.error.code, more.length], ['verification', false, code, 0]);
      }),
    );
    const usage = await cli(['attestation', 'verify-pypi', ...idx(), '--repository', PA_REPO, PA]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /neither pypi:FILENAME nor a distribution URL \(a local file needs --provenance-file\)/);
  });

  it('verifies a local file with a local provenance file, --offline, without asking the index', async () => {
    const r = await cli(['attestation', 'verify-pypi', '--offline', '--index-url', 'http://127.0.0.1:9', '--repository', PA_REPO, '--provenance-file', fixture(`${PA}.provenance`), fixture(PA)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^OK: \S+pypi_attestations-0\.0\.19\.tar\.gz$/m);
  });

  it('audits a pylock.toml: verified (with publisher), no provenance, hash mismatch, index error, skipped', async () => {
    const r = await cli(['attestation', 'audit', '--offline', ...idx(), '--no-cache', '--json', pylock]);
    assert.equal(r.code, 1, r.stderr);
    // JSON Lines of the one schema: one `audit` object per distribution, the `auditSummary` last.
    const lines = jsonLines(r.stdout);
    const out = { results: lines.slice(0, -1), summary: lines.at(-1)!.summary as Record<string, number> };
    assert.equal(lines.at(-1)!.type, 'auditSummary');
    assert.ok(out.results.every((x) => x.type === 'audit' && x.input === pylock && x.verified === (x.status === 'verified')));
    const by = new Map(out.results.map((x) => [x.project as string, x]));
    assert.equal(by.get('pypi-attestations')!.status, 'verified');
    assert.deepEqual(publisherToJson(by.get('pypi-attestations')!.publishers![0]!), { environment: null, kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'release.yml' });
    assert.equal(by.get('gitlab-oidc-project')!.status, 'verified');
    assert.equal(by.get('gitlab-oidc-project')!.publishers![0]!.kind, 'GitLab');
    assert.equal(by.get('no-provenance')!.status, 'missing');
    assert.equal(by.get('tampered')!.status, 'failed');
    assert.equal(by.get('tampered')!.error!.code, 'PYPI_HASH_MISMATCH');
    assert.equal(by.get('broken')!.status, 'failed');
    assert.equal(by.get('broken')!.error!.code, 'PYPI_INDEX_ERROR');
    assert.equal(by.get('local-thing')!.status, 'skipped');
    assert.equal(by.get('html-only')!.error!.code, 'PYPI_INDEX_MALFORMED');
    assert.match(by.get('html-only')!.error!.message, /answered the project page of html-only with "text\/html", not application\/vnd\.pypi\.simple\.v1\+json/);
    assert.equal(by.get('garbled')!.error!.code, 'PROVENANCE_INVALID');
    assert.equal(by.get('swapped')!.status, 'failed');
    assert.match(by.get('swapped')!.error!.message, /digest/);
    assert.deepEqual({ ...out.summary, requests: 0, timings: undefined }, { distributions: 8, projects: 9, verified: 2, missing: 1, failed: 5, skipped: 1, cached: 0, requests: 0, timings: undefined });
    assert.match(r.stderr, /^audited 8 distributions of 9 projects: 2 verified, 1 without provenance, 5 failed, 1 skipped/m);
  });

  it('audits a directory of wheels and sdists (hashed locally)', async () => {
    const d = join(dir, 'dists');
    mkdirSync(d);
    writeFileSync(join(d, PA), readFixture(PA));
    writeFileSync(join(d, GL), readFixture(GL));
    writeFileSync(join(d, 'README.txt'), 'not a distribution');
    const r = await cli(['attestation', 'audit', '--offline', ...idx(), '--no-cache', d]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^verified {2}gitlab_oidc_project-0\.0\.3\.tar\.gz: GitLab facutuesca\/gitlab-oidc-project \(CI config \.gitlab-ci\.yml\)$/m);
    assert.match(r.stdout, /^audited 2 distributions of 2 projects: 2 verified, 0 without provenance, 0 failed \(0 from the cache, 4 index requests\)$/m);
    // A local file that is not the index's: the hashes differ.
    writeFileSync(join(d, GL), Buffer.concat([readFixture(GL), Buffer.from([0])]));
    const changed = await cli(['attestation', 'audit', '--offline', ...idx(), '--no-cache', d]);
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, /^FAILED {4}gitlab_oidc_project-0\.0\.3\.tar\.gz: hash mismatch: gitlab_oidc_project-0\.0\.3\.tar\.gz is sha256 [0-9a-f]{64} in the lock, but the index lists/m);
  });

  it('audits a requirements.txt with --hash pins; text report; --require-provenance', async () => {
    const r = await cli(['--trust-config', trustConfig, 'attestation', 'audit', ...idx(), '--no-cache', requirements]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^verified {2}octo_pkg-1\.0\.0\.tar\.gz: GitHub octo-org\/octo-pkg \(workflow release\.yml\)$/m);
    assert.match(r.stdout, /^verified {2}octo_pkg-1\.0\.0-py3-none-any\.whl: GitHub octo-org\/octo-pkg/m);
    assert.match(r.stdout, /^verified {2}octo_lib-2\.0\.0-py3-none-any\.whl: GitHub octo-org\/octo-lib/m);
    assert.match(r.stdout, /^missing {3}octo_plain-1\.0-py3-none-any\.whl: no provenance published$/m);
    assert.match(r.stdout, /^FAILED {4}octo-lib 2\.0\.0: hash mismatch: no file of octo-lib 2\.0\.0 on the index has the pinned sha256 (cd){32} \(1 file of that version listed\)$/m);
    assert.match(r.stdout, /^skipped {3}unpinned \(requirements\.txt:11\): not pinned to one version with ==$/m);
    assert.match(r.stdout, /^audited 5 distributions of 4 projects: 3 verified, 1 without provenance, 1 failed, 1 skipped/m);

    // Only what has provenance: 0 without --require-provenance, 1 with it.
    const only = join(dir, 'requirements-ok.txt');
    writeFileSync(only, readFileSync(requirements, 'utf8').split('\n').filter((l) => !/^octo-lib==|^unpinned/.test(l)).join('\n'));
    const ok = await cli(['--trust-config', trustConfig, 'attestation', 'audit', ...idx(), '--no-cache', '-q', only]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const req = await cli(['--trust-config', trustConfig, 'attestation', 'audit', ...idx(), '--no-cache', '--require-provenance', only]);
    assert.equal(req.code, 1);
  });

  it('pins publishers: the first audit records them, a changed publisher fails until --update-pins', async () => {
    const pins = join(dir, 'publishers.json');
    const lock = (version: string, file: string) => {
      const p = join(dir, `pylock-${version}.toml`);
      writeFileSync(p, `lock-version = "1.0"\n[[packages]]\nname = "octo-pkg"\nversion = "${version}"\nwheels = [\n  { name = "${file}", hashes = { sha256 = "${sha(instanceFiles.get(file)!)}" } },\n]\n`);
      return p;
    };
    const run = (lockFile: string, ...extra: string[]) => cli(['--trust-config', trustConfig, 'attestation', 'audit', ...idx(), '--no-cache', '--pin', pins, ...extra, lockFile]);
    const first = await run(lock('1.0.0', 'octo_pkg-1.0.0-py3-none-any.whl'));
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /pins: 1 new, 0 updated/);
    assert.equal(readFileSync(pins, 'utf8'), '{\n  "version": 1,\n  "projects": {\n    "octo-pkg": { "kind": "GitHub", "repository": "octo-org/octo-pkg", "workflow": "release.yml" }\n  }\n}\n');

    const changed = await run(lock('1.1.0', 'octo_pkg-1.1.0-py3-none-any.whl'));
    assert.equal(changed.code, 1);
    assert.match(
      changed.stdout,
      /^FAILED {4}octo_pkg-1\.1\.0-py3-none-any\.whl: publisher changed: octo-pkg is pinned to GitHub octo-org\/octo-pkg \(workflow release\.yml\), but octo_pkg-1\.1\.0-py3-none-any\.whl was published by GitHub evil-org\/octo-pkg \(workflow release\.yml\) \(accept with --update-pins\)$/m,
    );
    assert.match(readFileSync(pins, 'utf8'), /octo-org\/octo-pkg/, 'a failed audit does not change the pin');

    const accepted = await run(lock('1.1.0', 'octo_pkg-1.1.0-py3-none-any.whl'), '--update-pins');
    assert.equal(accepted.code, 0, accepted.stdout);
    assert.match(accepted.stdout, /pin updated, was GitHub octo-org\/octo-pkg/);
    assert.match(readFileSync(pins, 'utf8'), /"repository": "evil-org\/octo-pkg"/);
    const again = await run(lock('1.1.0', 'octo_pkg-1.1.0-py3-none-any.whl'));
    assert.equal(again.code, 0, again.stdout);
  });

  it('caches provenance by file hash: a second audit of the same lock makes no request', async () => {
    // An index of its own, so that only this test's requests are counted.
    const own = new LoopbackIndex();
    own.add(index.file(PA)!).add(index.file(GL)!);
    await own.start();
    try {
      const cache = join(dir, 'cache');
      const only = join(dir, 'pylock-cached.toml');
      writeFileSync(only, readFileSync(pylock, 'utf8').split('\n\n').slice(0, 3).join('\n\n').replaceAll(index.url, own.url));
      const first = await cli(['attestation', 'audit', '--offline', '--index-url', own.url, '--cache-dir', cache, '--json', only]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(jsonLines(first.stdout).at(-1)!.summary.requests, 4);
      assert.equal(own.requests, 4, own.log.join(' '));
      const second = await cli(['attestation', 'audit', '--offline', '--index-url', own.url, '--cache-dir', cache, '--json', only]);
      assert.equal(second.code, 0, second.stderr);
      const out = jsonLines(second.stdout).at(-1)! as { summary: { requests: number; cached: number; verified: number } };
      assert.equal(own.requests, 4, `the second audit asked the index: ${own.log.slice(4).join(' ')}`);
      assert.deepEqual([out.summary.requests, out.summary.cached, out.summary.verified], [0, 2, 2]);
      // A changed file (another hash) is not in the cache: asked again.
      const other = join(dir, 'pylock-other.toml');
      writeFileSync(other, readFileSync(only, 'utf8').replace(sha(readFixture(GL)), 'ef'.repeat(32)));
      const third = await cli(['attestation', 'audit', '--offline', '--index-url', own.url, '--cache-dir', cache, '--json', other]);
      assert.equal(third.code, 1);
      assert.deepEqual(own.log.slice(4), ['/simple/gitlab-oidc-project/']);
    } finally {
      await own.stop();
    }
  });
});
