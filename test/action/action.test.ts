/**
 * The GitHub Action run locally as the runner runs it: action/index.cjs (what action.yml's
 * step runs) as a child process with INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, and
 * ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN served on loopback by a stand-in for GitHub's token
 * service that mints tokens from the local instance's OIDC provider with the claims of a release
 * workflow. The bundles it writes are then checked with `sigstore verify github`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GITHUB_ACTIONS_ISSUER } from '../../src/slsa/builder.js';
import { ROOT, runCli } from '../helpers/cli.js';
import type { TestInstance } from '../sign/helpers.js';
import { githubClaims, startGithubInstance } from '../slsa/helpers.js';

const ACTION = join(ROOT, 'action', 'index.cjs');
const REPO = 'octo-org/app';
const REF = 'refs/tags/v1.0.0';
const WORKFLOW = `https://github.com/${REPO}/.github/workflows/release.yml@${REF}`;
const REQUEST_TOKEN = 'runtime-request-token';

/** GitHub's OIDC token endpoint, as the runner sees it: bearer request token in, `{"value": JWT}` out. */
async function tokenService(t: TestInstance): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.search);
    if (req.headers.authorization !== `bearer ${REQUEST_TOKEN}` || url.searchParams.get('api-version') !== '2.0') {
      res.writeHead(401).end('{"message":"bad request token"}');
      return;
    }
    t.inst
      .token({ identity: WORKFLOW, audience: url.searchParams.get('audience') ?? undefined, claims: githubClaims(REPO, REF, 'release') })
      .then((value) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value })))
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/idtoken?api-version=2.0`, requests };
}

/** Parses the runner's GITHUB_OUTPUT file (NAME<<DELIMITER blocks). */
function outputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    out[m[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return out;
}

describe('the GitHub Action, run as the runner runs it', () => {
  let t: TestInstance;
  let svc: Awaited<ReturnType<typeof tokenService>>;
  let n = 0;
  before(async () => {
    t = await startGithubInstance();
    svc = await tokenService(t);
  });
  after(async () => {
    svc.server.close();
    await t.stop();
  });

  /** A fresh workspace with release files; runs the action there with `inputs`. */
  async function runAction(inputs: Record<string, string>, env: Record<string, string | undefined> = {}) {
    const ws = join(t.dir, `ws${n++}`);
    mkdirSync(join(ws, 'dist'), { recursive: true });
    writeFileSync(join(ws, 'dist', 'app-1.0.0.tar.gz'), 'release archive\n');
    writeFileSync(join(ws, 'dist', 'app-1.0.0-linux-amd64'), 'release binary\n');
    writeFileSync(join(ws, 'SHA256SUMS'), 'checksums\n');
    const output = join(ws, '.github_output');
    const summary = join(ws, '.github_step_summary');
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SIGSTORE_') && !k.startsWith('INPUT_') && !k.startsWith('GITHUB_') && !k.startsWith('ACTIONS_')));
    // Asynchronous: the token service and the instance answer from this process.
    const child = spawn(process.execPath, [ACTION], {
      cwd: ws,
      timeout: 60_000,
      env: {
        ...base,
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_WORKSPACE: ws,
        ACTIONS_ID_TOKEN_REQUEST_URL: svc.url,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
        SIGSTORE_TRUST_CACHE: join(ws, '.trust-cache'),
        'INPUT_INTERNAL-BE-CAREFUL-TRUST-CONFIG': t.trustConfigPath,
        ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { ws, code, stdout, stderr, outputs: outputs(output), summary: readFileSync(summary, 'utf8') };
  }

  it('signs the release files and checksums with the ambient token, verifies, summarizes; verify github accepts the bundles', async () => {
    const r = await runAction({ INPUTS: 'dist/*  SHA256SUMS', VERIFY: 'true', VERIFY_CERT_IDENTITY: WORKFLOW, VERIFY_OIDC_ISSUER: GITHUB_ACTIONS_ISSUER });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const files = ['dist/app-1.0.0-linux-amd64', 'dist/app-1.0.0.tar.gz', 'SHA256SUMS'];
    assert.deepEqual(r.outputs.bundles!.split('\n'), files.map((f) => `${f}.sigstore.json`));
    assert.equal(r.outputs['signing-artifact-paths'], r.outputs.bundles);
    assert.ok(svc.requests.some((q) => q.includes('audience=sigstore')), 'the token was requested for the sigstore audience');
    // The summary: each file, its log entry, the identity.
    for (const f of files) assert.match(r.summary, new RegExp(`\\| \`${f.replace(/[.]/g, '\\.')}\` \\| \`${f.replace(/[.]/g, '\\.')}\\.sigstore\\.json\` \\| Rekor [a-z]+ [0-9.]+ entry \\d+ \\(http://127\\.0\\.0\\.1:\\d+\\) \\| ${WORKFLOW.replace(/[.]/g, '\\.')} \\(https://token\\.actions\\.githubusercontent\\.com\\) \\|`));
    assert.match(r.summary, /^## sigstore-ts: 3 files signed$/m);
    assert.match(r.summary, /^Verification: every bundle verified\.$/m);
    // The release's consumers: verify github against the release trigger, repository and ref.
    const paths = files.map((f) => join(r.ws, f));
    const ok = runCli(['verify', 'github', '--trust-config', t.trustConfigPath, '--trigger', 'release', '--repository', REPO, '--ref', REF, ...paths]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr.split('\n').filter((l) => l.startsWith('OK: ')).length, 3);
    for (const [flag, value] of [
      ['--ref', 'refs/tags/v1.0.1'],
      ['--repository', 'octo-org/other'],
      ['--trigger', 'push'],
    ] as const) {
      const args = { '--trigger': 'release', '--repository': REPO, '--ref': REF, [flag]: value };
      const bad = runCli(['verify', 'github', '--trust-config', t.trustConfigPath, ...Object.entries(args).flat(), paths[0]!]);
      assert.equal(bad.code, 1, `${flag} ${value} must be refused`);
    }
  });

  it('attests with a predicate (DSSE), and verify github accepts the attestation for the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigstore-action-'));
    try {
      const predicate = join(dir, 'predicate.json');
      writeFileSync(predicate, JSON.stringify({ release: 'v1.0.0' }));
      const r = await runAction({ INPUTS: 'dist/app-1.0.0.tar.gz', ATTEST: 'true', PREDICATE: predicate, PREDICATE_TYPE: 'https://example.com/release/v1', REKOR_VERSION: '1' });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.summary, /^## sigstore-ts: 1 file attested$/m);
      const bundle = JSON.parse(readFileSync(join(r.ws, 'dist', 'app-1.0.0.tar.gz.sigstore.json'), 'utf8')) as { dsseEnvelope?: unknown; verificationMaterial: { tlogEntries: { kindVersion: { version: string } }[] } };
      assert.ok(bundle.dsseEnvelope);
      assert.equal(bundle.verificationMaterial.tlogEntries[0]!.kindVersion.version, '0.0.1', 'rekor-version 1');
      const ok = runCli(['verify', 'github', '--trust-config', t.trustConfigPath, '--trigger', 'release', '--repository', REPO, '--ref', REF, join(r.ws, 'dist', 'app-1.0.0.tar.gz')]);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with one ::error:: line, and writes no outputs, for bad inputs or no OIDC permission', async () => {
    const cases: [Record<string, string>, Record<string, string | undefined>, RegExp][] = [
      [{ INPUTS: '' }, {}, /no inputs given/],
      [{ INPUTS: 'nothing-*.bin' }, {}, /input nothing-\*\.bin does not match any file/],
      [{ INPUTS: '--staging' }, {}, /looks like a flag/],
      [{ INPUTS: 'dist' }, {}, /input dist is not a regular file/],
      [{ INPUTS: 'SHA256SUMS', VERIFY: 'true' }, {}, /verify: true needs verify-cert-identity and verify-oidc-issuer/],
      [{ INPUTS: 'SHA256SUMS', VERIFY: 'yes' }, {}, /input verify must be true or false/],
      [{ INPUTS: 'SHA256SUMS', REKOR_VERSION: '3' }, {}, /rekor-version must be 1 or 2/],
      [{ INPUTS: 'SHA256SUMS', ATTEST: 'true' }, {}, /attest: true needs predicate/],
      [{ INPUTS: 'SHA256SUMS' }, { ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined }, /could not sign/],
    ];
    for (const [inputs, env, message] of cases) {
      const r = await runAction(inputs, env);
      assert.equal(r.code, 1, `${JSON.stringify(inputs)}: ${r.stderr}`);
      assert.match(r.stdout, /^::error::/m);
      assert.match(r.stdout + r.stderr, message);
      assert.deepEqual(r.outputs, {});
    }
  });
});

describe('action.yml', () => {
  const yml = readFileSync(join(ROOT, 'action.yml'), 'utf8');
  const declared = [...yml.slice(yml.indexOf('\ninputs:'), yml.indexOf('\noutputs:')).matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]!);

  it("declares gh-action-sigstore-python's inputs, attest with predicate and predicate-type, and the outputs", () => {
    for (const name of ['inputs', 'identity-token', 'oidc-client-id', 'oidc-client-secret', 'rekor-version', 'staging', 'verify', 'verify-cert-identity', 'verify-oidc-issuer', 'upload-signing-artifacts', 'release-signing-artifacts', 'attest', 'predicate', 'predicate-type']) {
      assert.ok(declared.includes(name), name);
    }
    assert.match(yml, /^ {2}bundles:$/m);
  });

  it('passes every input the program reads to its step, runs the committed build, and reuses the official upload and release actions', () => {
    for (const name of declared.filter((n) => n !== 'upload-signing-artifacts' && n !== 'release-signing-artifacts')) {
      const v = `INPUT_${name.toUpperCase().replace(/-/g, '_')}: \${{ inputs.${name} }}`;
      assert.ok(yml.includes(v), v);
    }
    assert.match(yml, /run: node "\$GITHUB_ACTION_PATH\/action\/index\.cjs"/);
    assert.doesNotMatch(yml, /npm (ci|install)|npm run/);
    assert.match(yml, /uses: actions\/upload-artifact@/);
    assert.match(yml, /uses: softprops\/action-gh-release@/);
    assert.match(yml, /github\.event_name == 'release' && github\.event\.action == 'published'/);
  });
});
