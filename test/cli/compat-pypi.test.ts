/**
 * docs/compat.md, "pypi-attestations 0.0.29": every option and behaviour of its CLI, as
 * `sigstore attestation ...`: verification offline with the PyPI fixtures, signing with the
 * local Sigstore instance (in-process), the index unreachable where a row needs the network.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasStackTrace } from '../helpers/cli.js';
import { ATT, checkSection, cli, DEAD_ISSUER, dir, DSSE, fails, HAPPY, helpLists, inProcess, localInstance, ok, PA, PA_DIST, PA_REPO, PROD_CONFIG, PROV, signing, WHL, workdir } from './compat-helpers.js';

const VA = ['attestation', 'verify', 'attestation'];
const VP = ['attestation', 'verify', 'pypi'];
const DEAD_INDEX = ['--index-url', 'http://127.0.0.1:9'];
const WHEEL = 'rfc8785-0.1.2-py3-none-any.whl';
/** A fresh copy of the wheel (and, optionally, its attestation). */
function wheel(withAttestation = false): string {
  const w = workdir({ [WHEEL]: WHL, ...(withAttestation ? { [`${WHEEL}.publish.attestation`]: ATT } : {}) });
  return join(w, WHEEL);
}
/** Signs a fresh wheel copy with the local instance; returns it and the signer's identity. */
async function signWheel(extra: string[] = []): Promise<{ whl: string; identity: string; cfg: string; version: string }> {
  const t = await localInstance();
  const whl = wheel();
  ok(await signing(['attestation', 'sign'], [...extra, whl]), 'attestation sign');
  const claims = JSON.parse(Buffer.from((await t.inst.token()).split('.')[1]!, 'base64url').toString());
  const a = JSON.parse(readFileSync(`${whl}.publish.attestation`, 'utf8'));
  return { whl, identity: claims.email, cfg: t.trustConfigPath, version: a.verification_material.transparency_entries[0].kindVersion.version };
}

checkSection('pypi-attestations 0.0.29', {
  'pa -v': () => {
    const args = [...VA, '--offline', '--identity', 'x@example.com', PA_DIST];
    assert.ok(!hasStackTrace(cli(args).stderr), 'without');
    assert.ok(hasStackTrace(cli([...args, '-v']).stderr), '-v');
    assert.ok(hasStackTrace(cli([...args, '--verbose']).stderr), '--verbose');
  },
  'pa -V': () => {
    assert.match(cli(['-V']).stdout, /^sigstore-ts \d/, 'differs: sigstore-ts X');
  },
  'pa -h': () => {
    for (const cmd of [['attestation'], ['attestation', 'sign'], ['attestation', 'verify'], VA, VP, ['attestation', 'inspect'], ['attestation', 'convert']]) {
      for (const h of ['-h', '--help']) {
        const r = cli([...cmd, h]);
        ok(r, `${cmd.join(' ')} ${h}`);
        assert.match(r.stdout, /^usage: sigstore attestation/, `${cmd.join(' ')} ${h}`);
      }
    }
  },
  'pa sign --staging': () => {
    for (const args of [['--staging', 'attestation', 'sign'], ['attestation', 'sign', '--staging']]) {
      const r = cli([...args, '--oidc-disable-ambient-providers', wheel()], { SIGSTORE_OFFLINE: '1' });
      fails(r, 1, /sigstage\.dev/, `${args.join(' ')}: the staging instance (its login, unreachable here)`);
    }
  },
  'pa sign FILE': async () => {
    const s = await signWheel();
    ok(await inProcess(['--trust-config', s.cfg, ...VA, '--identity', s.identity, s.whl]), 'FILE.publish.attestation verifies');
    helpLists(['attestation', 'sign'], 'DIST.publish.attestation');
  },
  'pa sign: existing attestation': () => {
    const whl = wheel(true);
    const before = readFileSync(`${whl}.publish.attestation`, 'utf8');
    fails(cli(['attestation', 'sign', '--identity-token', 'not-a-jwt', whl]), 1, /Refusing to overwrite outputs without --overwrite: .*publish\.attestation$/m, 'exit 1, before anything');
    assert.equal(readFileSync(`${whl}.publish.attestation`, 'utf8'), before);
  },
  'pa sign: FILE must be a file': () => {
    fails(cli(['attestation', 'sign', join(workdir(), 'foo-1.0-py3-none-any.whl')]), 1, /does not exist/, 'missing');
  },
  'pa sign: identity': () => {
    const args = ['--trust-config', PROD_CONFIG, 'attestation', 'sign'];
    const ambient = { GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x', SIGSTORE_OIDC_ISSUER: DEAD_ISSUER };
    fails(cli([...args, wheel()], ambient), 1, /GitHub Actions/, 'ambient credentials first');
    fails(cli([...args, '--oidc-disable-ambient-providers', wheel()], ambient), 1, /127\.0\.0\.1:9\/dead-issuer/, 'then the interactive login');
  },
  'pa sign: one identity for all inputs': async () => {
    const w = workdir({ [WHEEL]: WHL, [PA.dist]: PA_DIST });
    ok(await signing(['attestation', 'sign'], [join(w, WHEEL), join(w, PA.dist)]), 'two distributions');
    const cert = (f: string) => JSON.parse(readFileSync(`${join(w, f)}.publish.attestation`, 'utf8')).verification_material.certificate;
    assert.equal(cert(WHEEL), cert(PA.dist), 'one certificate');
  },
  'pa sign: Rekor v1': async () => {
    assert.equal((await signWheel()).version, '0.0.1', 'by default');
    assert.equal((await signWheel(['--rekor-version', '2'])).version, '0.0.2', 'unless asked');
  },
  'pa verify attestation --identity': () => {
    const r = cli([...VA, '--offline', '--identity', PA.identity, PA_DIST]);
    ok(r, 'right');
    fails(cli([...VA, '--offline', '--identity', 'x@example.com', PA_DIST]), 1, /^FAIL: .*\[policy\]/m, 'wrong');
    fails(cli([...VA, '--offline', PA_DIST]), 2, /--identity/, 'required');
    helpLists(['attestation', 'verify'], '--identity IDENTITY');
  },
  'pa verify attestation --staging': () => {
    fails(cli([...VA, '--staging', '--offline', '--identity', PA.identity, PA_DIST]), 1, /log not in the trusted root/, 'the staging root does not trust production');
    fails(cli(['--staging', ...VA, '--offline', '--identity', PA.identity, PA_DIST]), 1, /log not in the trusted root/, 'global --staging');
  },
  'pa verify attestation --offline': () => {
    const cache = { SIGSTORE_TRUST_CACHE: mkdtempSync(join(dir, 'cache-')) };
    ok(cli([...VA, '--offline', '--identity', PA.identity, PA_DIST], cache), 'no network');
    fails(cli([...VA, '--identity', PA.identity, PA_DIST], cache), 1, /trust material|TUF/, 'without: a TUF refresh');
  },
  'pa verify attestation FILE': () => {
    const r = cli([...VA, '--offline', '--identity', PA.identity, PA_DIST]);
    ok(r, 'verify');
    assert.match(r.stderr, /^OK: .*\.publish\.attestation\)$/m);
    assert.match(r.stderr, /^OK: .*\.slsa\.attestation\)$/m, 'both attestations');
  },
  'pa verify attestation: no attestation': () => {
    fails(cli([...VA, '--offline', '--identity', 'x@example.com', wheel()]), 1, /no attestation found/, 'exit 1');
  },
  'pa verify attestation: FILE must be a file': () => {
    fails(cli([...VA, '--offline', '--identity', 'x@example.com', join(workdir(), 'missing-1.0.tar.gz')]), 1, /does not exist/, 'exit 1');
  },
  'pa verify attestation: failure': () => {
    const whl = wheel();
    writeFileSync(`${whl}.publish.attestation`, '{"version": 1}');
    fails(cli([...VA, '--offline', '--identity', 'x@example.com', whl]), 1, /^FAIL: /m, 'an invalid attestation');
    fails(cli([...VA, '--offline', '--identity', 'x@example.com', PA_DIST]), 1, /^FAIL: .*\[policy\]/m, 'another identity');
  },
  'pa verify attestation: OK line': () => {
    const r = cli([...VA, '--offline', '--identity', PA.identity, PA_DIST]);
    ok(r, 'verify');
    assert.match(r.stderr, new RegExp(`^OK: ${PA_DIST} \\(${PA_DIST}\\.publish\\.attestation\\)$`, 'm'), 'differs: names both');
  },
  'pa verify pypi --repository': () => {
    ok(cli([...VP, '--offline', '--repository', PA_REPO, '--provenance-file', PROV, PA_DIST]), 'right');
    fails(cli([...VP, '--offline', '--repository', 'https://github.com/x/y', '--provenance-file', PROV, PA_DIST]), 1, /repository/, 'wrong');
    helpLists(VP, '--repository URL');
  },
  'pa verify pypi --gcp-service-account': () => {
    const base = [...VP, '--offline', '--provenance-file', PROV];
    fails(cli([...base, '--gcp-service-account', 'svc@p.iam.gserviceaccount.com', PA_DIST]), 1, /^FAIL: /m, 'a GitHub provenance is not a Google publisher');
    fails(cli([...base, '--gcp-service-account', 'svc@p.iam.gserviceaccount.com', '--repository', PA_REPO, PA_DIST]), 2, /cannot be used together/, 'not with --repository');
    helpLists(VP, '--gcp-service-account EMAIL');
  },
  'pa verify pypi --staging': () => {
    fails(cli([...VP, '--staging', '--offline', '--repository', PA_REPO, '--provenance-file', PROV, PA_DIST]), 1, /log not in the trusted root/, 'the staging root');
  },
  'pa verify pypi --offline': () => {
    const cache = { SIGSTORE_TRUST_CACHE: mkdtempSync(join(dir, 'cache-')) };
    ok(cli([...VP, '--offline', '--repository', PA_REPO, '--provenance-file', PROV, PA_DIST], cache), 'a local file: no network');
    fails(cli([...VP, '--offline', ...DEAD_INDEX, '--repository', PA_REPO, `pypi:${PA.dist}`], cache), 1, /index/, 'differs: pypi: still asks the index');
  },
  'pa verify pypi --provenance-file': () => {
    ok(cli([...VP, '--offline', '--repository', PA_REPO, '--provenance-file', PROV, PA_DIST]), 'a local provenance file');
    helpLists(VP, '--provenance-file');
  },
  'pa verify pypi PYPI_FILE': () => {
    ok(cli([...VP, '--offline', '--repository', PA_REPO, '--provenance-file', PROV, PA_DIST]), 'a local file');
    for (const target of [`pypi:${PA.dist}`, `https://files.pythonhosted.org/packages/x/${PA.dist}`]) {
      fails(cli([...VP, ...DEAD_INDEX, '--offline', '--repository', PA_REPO, target]), 1, /127\.0\.0\.1:9/, `${target}: looked up on the index`);
    }
  },
  'pa verify pypi: missing provenance file': () => {
    fails(cli([...VP, '--offline', '--repository', PA_REPO, '--provenance-file', join(workdir(), 'nope'), PA_DIST]), 1, /provenance file .* does not exist/, 'exit 1');
  },
  'pa verify pypi: invalid provenance': () => {
    const bad = join(workdir(), 'bad.provenance');
    writeFileSync(bad, 'garbage');
    fails(cli([...VP, '--offline', '--repository', PA_REPO, '--provenance-file', bad, PA_DIST]), 1, /invalid provenance/, 'exit 1');
  },
  'pa: unusable names': () => {
    const bad = join(workdir({ 'notes.txt': WHL }), 'notes.txt');
    fails(cli(['attestation', 'sign', '--identity-token', 'x', bad]), 1, /not a valid Python distribution file name/, 'sign');
    fails(cli([...VA, '--offline', '--identity', 'x', bad]), 1, /not a valid Python distribution file name/, 'verify attestation');
    fails(cli([...VP, ...DEAD_INDEX, '--repository', PA_REPO, 'pypi:notes.txt']), 1, /not a valid Python distribution file name/, 'verify pypi');
    fails(cli([...VP, '--offline', '--repository', 'http://github.com/trailofbits/pypi-attestations', '--provenance-file', PROV, PA_DIST]), 1, /invalid repository URL/, 'a repository URL');
  },
  'pa verify pypi: URL host': () => {
    const r = cli([...VP, '--offline', ...DEAD_INDEX, '--repository', PA_REPO, `https://example.com/files/${PA.dist}`]);
    fails(r, 1, /127\.0\.0\.1:9/, 'differs: not refused up front; the index must list the file');
  },
  'pa verify pypi: repository check': () => {
    const base = [...VP, '--offline', '--provenance-file', PROV];
    fails(cli([...base, '--repository', 'https://gitlab.com/trailofbits/pypi-attestations', PA_DIST]), 1, /signed by a github\.com repository, but expected a gitlab\.com repository/, 'the host');
    fails(cli([...base, '--repository', 'https://github.com/trailofbits/other', PA_DIST]), 1, /repository/, 'the repository');
  },
  'pa verify pypi: one of --repository and --gcp-service-account': () => {
    fails(cli([...VP, '--offline', '--provenance-file', PROV, PA_DIST]), 2, /--repository \(GitHub, GitLab\) or --gcp-service-account/, 'one is required');
  },
  'pa inspect FILE': () => {
    const r = cli(['attestation', 'inspect', ATT]);
    ok(r, 'inspect');
    assert.match(r.stdout, /NOT VERIFIED/);
  },
  'pa inspect --dump-bytes': () => {
    const sig = JSON.parse(readFileSync(ATT, 'utf8')).envelope.signature as string;
    const r = cli(['attestation', 'inspect', '--dump-bytes', ATT]);
    ok(r, '--dump-bytes');
    assert.ok(r.stdout.includes(sig), 'the signature bytes');
  },
  'pa inspect: missing file': () => {
    fails(cli(['attestation', 'inspect', join(workdir(), 'nope.attestation')]), 1, /does not exist/, 'exit 1');
  },
  'pa inspect: invalid attestation': () => {
    const bad = join(workdir(), 'bad.attestation');
    writeFileSync(bad, 'garbage');
    fails(cli(['attestation', 'inspect', bad]), 1, /^FAIL: /m, 'exit 1');
  },
  'pa convert BUNDLE_FILE': () => {
    const out = join(workdir(), 'out.attestation');
    ok(cli(['attestation', 'convert', '--output-file', out, DSSE]), 'a bundle to an attestation');
    const a = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(a.version, 1);
    assert.ok(a.envelope.statement && a.envelope.signature);
  },
  'pa convert --output-file': () => {
    const w = workdir();
    ok(cli(['attestation', 'convert', '--output-file', join(w, 'a.att'), DSSE]), '--output-file');
    ok(cli(['attestation', 'convert', '-o', join(w, 'b.att'), DSSE]), '-o');
    assert.ok(existsSync(join(w, 'a.att')) && existsSync(join(w, 'b.att')));
    fails(cli(['attestation', 'convert', DSSE]), 2, /--output-file/, 'required');
  },
  'pa convert: existing output': () => {
    const out = join(workdir({ 'out.att': ATT }), 'out.att');
    fails(cli(['attestation', 'convert', '--output-file', out, DSSE]), 1, /Refusing to overwrite/, 'exit 1');
    assert.equal(readFileSync(out, 'utf8'), readFileSync(ATT, 'utf8'), 'untouched');
  },
  'pa convert: missing bundle': () => {
    fails(cli(['attestation', 'convert', '-o', join(workdir(), 'o'), join(workdir(), 'nope.json')]), 1, /does not exist/, 'exit 1');
  },
  'pa convert: invalid bundle': () => {
    const bad = join(workdir(), 'bad.json');
    writeFileSync(bad, 'garbage');
    fails(cli(['attestation', 'convert', '-o', join(workdir(), 'o'), bad]), 1, /not JSON/, 'exit 1');
  },
  'pa convert: not convertible': () => {
    fails(cli(['attestation', 'convert', '-o', join(workdir(), 'o'), HAPPY]), 1, /cannot convert the bundle/, 'a message-signature bundle: exit 1');
  },
  'pa convert: message': () => {
    const out = join(workdir(), 'out.att');
    const r = cli(['attestation', 'convert', '--output-file', out, DSSE]);
    ok(r, 'convert');
    assert.match(r.stderr, new RegExp(`^Converted Sigstore bundle to attestation: ${out}$`, 'm'));
  },
});
