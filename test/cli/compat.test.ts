/**
 * docs/compat.md, row by row: every sigstore-python / pypi-attestations option and variable the
 * table marks *same* or *differs* is exercised here, cheaply (usage errors, --help text, offline
 * verification of the conformance fixtures, tokens given explicitly). The table is read from the
 * document, and a row without a check fails the run: the table cannot claim what is not tested.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { redirectOutput } from '../../src/lib/stdio.js';
import { type CliResult, hasStackTrace, ROOT, runCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';
import { validate } from '../helpers/json-schema.js';
import { emailClaims, makeJwt } from '../oidc/helpers.js';
import { ASSETS } from '../pypi/helpers.js';
import { startTestInstance, type TestInstance } from '../sign/helpers.js';

const A_TXT = join(CONFORMANCE_DIR, 'a.txt');
const bundleOf = (name: string) => join(CONFORMANCE_DIR, name, 'bundle.sigstore.json');
const HAPPY = bundleOf('happy-path-v0.3');
const DSSE = bundleOf('happy-path-intoto-in-dsse-v3');
const STAGING = bundleOf('bundle-from-wrong-instance_fail');
const PYPI = join(ROOT, 'test', 'fixtures', 'pypi');
const ATT = join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl.publish.attestation');
const VERIFY = ['verify', 'identity', '--offline'];
const ID = ['--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER];
/** No SIGSTORE_* or CI variables from the test's own environment leak into a row's check. */
const CLEAN_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k.startsWith('SIGSTORE_') || ['GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'CIRCLECI', 'ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'].includes(k))
    .map((k) => [k, undefined]),
);
const DEAD_ISSUER = 'http://127.0.0.1:9/dead-issuer';
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'schemas', 'output.v1.schema.json'), 'utf8')) as Record<string, unknown>;
const PA = ASSETS.find((a) => a.dist === 'pypi_attestations-0.0.19.tar.gz')!;
const PA_DIST = join(PYPI, PA.dist);
const PROV = join(PYPI, 'pypi_attestations-0.0.19.tar.gz.provenance');
const PA_REPO = 'https://github.com/trailofbits/pypi-attestations';

/** --json output: JSON Lines, each object valid under schemas/output.v1.schema.json. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  assert.ok(stdout.endsWith('\n'), 'JSON Lines end with a newline');
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      assert.deepEqual(validate(o, SCHEMA), [], l.slice(0, 200));
      return o;
    });
}

/** The local Sigstore instance, started when a row first signs. */
let instance: Promise<TestInstance> | undefined;
after(async () => {
  if (instance) await (await instance).stop();
});

/**
 * `sigstore --trust-config LOCAL CMD --identity-token T ARGS` in-process against the local
 * instance (a spawnSync'd child would wait on the server this process runs), with CLEAN_ENV.
 */
async function signing(cmd: 'sign' | 'attest', args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  instance ??= startTestInstance();
  const t = await instance;
  const vars: Record<string, string | undefined> = { ...CLEAN_ENV, ...env };
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let stdout = '';
  let stderr = '';
  const restore = redirectOutput((fd, text) => {
    if (fd === 1) stdout += text;
    else stderr += text;
  });
  try {
    const code = await main(['--trust-config', t.trustConfigPath, cmd, '--identity-token', await t.inst.token(), ...args]);
    return { code, stdout, stderr };
  } finally {
    restore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function cli(args: string[], env: Record<string, string> = {}): CliResult {
  return runCli(args, { env: { ...CLEAN_ENV, ...env } });
}
function ok(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
}
function fails(r: CliResult, code: 1 | 2, pattern: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
}
function helpLists(cmd: string[], ...texts: string[]): void {
  const r = cli([...cmd, '--help']);
  ok(r, `${cmd.join(' ')} --help`);
  for (const t of texts) assert.ok(r.stdout.includes(t), `${cmd.join(' ')} --help lists ${t}`);
}

const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-compat-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** A fresh directory with a.txt and, optionally, files copied in under new names. */
function workdir(files: Record<string, string> = {}): string {
  const w = mkdtempSync(join(dir, 'w-'));
  copyFileSync(A_TXT, join(w, 'a.txt'));
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(w, name));
  return w;
}

/** The GitHub workflow claims of the happy-path certificate, read with `inspect --json`. */
function claims(): Record<string, string> {
  const r = cli(['inspect', '--json', HAPPY]);
  ok(r, 'inspect');
  return JSON.parse(r.stdout).signer.fulcioExtensions as Record<string, string>;
}

function githubClaim(flagName: string, variable: string, field: string): () => void {
  return () => {
    const right = claims()[field];
    assert.ok(right, field);
    const base = ['verify', 'github', '--offline', '--cert-identity', DEFAULT_IDENTITY, '--bundle', HAPPY, A_TXT];
    ok(cli([...base, `--${flagName}`, right]), `--${flagName} right`);
    fails(cli(base, { [variable]: 'wrong' }), 1, new RegExp(field), `${variable}=wrong`);
    ok(cli(base, { [variable]: right }), `${variable} right`);
    ok(cli([...base, `--${flagName}`, right], { [variable]: 'wrong' }), 'the flag wins over the variable');
    fails(cli([...base, `--${flagName}`, 'wrong']), 1, new RegExp(field), `--${flagName} wrong`);
    helpLists(['verify', 'github'], `--${flagName}`, variable);
  };
}

const token = (claims: Record<string, unknown> = {}) => makeJwt(emailClaims(claims));

/** One check per table row marked same/differs, by the row's key. */
const CHECKS: Record<string, () => void | Promise<void>> = {
  'global -v': () => {
    const wrong = [...VERIFY, '--cert-identity', 'x@example.com', '--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT];
    const quiet = cli(wrong);
    fails(quiet, 1, /^FAIL: /m, 'failure');
    assert.ok(!hasStackTrace(quiet.stderr));
    assert.ok(hasStackTrace(cli(['-v', ...wrong]).stderr), '-v before the command');
    assert.ok(hasStackTrace(cli([...wrong, '-vv']).stderr), '-vv after it');
  },
  'global -V': () => {
    for (const v of ['-V', '--version']) assert.match(cli([v]).stdout, /^sigstore-ts \d+\.\d+\.\d+/);
  },
  'global --staging': () => {
    const args = [...VERIFY, ...ID, '--bundle', HAPPY, A_TXT];
    fails(cli(['--staging', ...args]), 1, /correct Sigstore instance/, '--staging: the production bundle is not trusted');
    fails(cli(args, { SIGSTORE_STAGING: '1' }), 1, /correct Sigstore instance/, 'SIGSTORE_STAGING=1');
    ok(cli(args, { SIGSTORE_STAGING: 'off' }), 'SIGSTORE_STAGING=off');
    ok(cli([...args, '--trusted-root', join(ROOT, 'trust', 'production', 'trusted_root.json')], { SIGSTORE_STAGING: '1' }), 'a flag choosing the trust wins');
    fails(cli(args, { SIGSTORE_STAGING: 'maybe' }), 2, /SIGSTORE_STAGING/, 'an invalid value');
    helpLists([], '--staging', 'SIGSTORE_STAGING');
  },
  'global --trust-config': () => {
    const w = workdir();
    const cfg = join(w, 'trust_config.json');
    const read = (f: string) => JSON.parse(readFileSync(join(ROOT, 'trust', 'production', f), 'utf8'));
    writeFileSync(
      cfg,
      JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot: read('trusted_root.json'), signingConfig: read('signing_config.v0.2.json') }),
    );
    ok(cli(['--trust-config', cfg, ...VERIFY, ...ID, '--bundle', HAPPY, A_TXT]), '--trust-config');
    fails(cli(['--trust-config', cfg, '--staging', ...VERIFY, ...ID, '--bundle', HAPPY, A_TXT]), 2, /cannot be used together/, 'one instance at most');
  },
  'global --instance': () => {
    fails(cli(['--instance', 'https://tuf.invalid', ...VERIFY, ...ID, '--bundle', HAPPY, A_TXT]), 1, /trust-instance/, 'an instance not pinned');
  },
  SIGSTORE_LOGLEVEL: () => {
    const wrong = [...VERIFY, '--cert-identity', 'x@example.com', '--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT];
    assert.ok(hasStackTrace(cli(wrong, { SIGSTORE_LOGLEVEL: 'debug' }).stderr), 'DEBUG is -v');
    for (const level of ['INFO', 'WARNING', 'error', 'CRITICAL']) {
      const r = cli(wrong, { SIGSTORE_LOGLEVEL: level });
      assert.equal(r.code, 1, level);
      assert.ok(!hasStackTrace(r.stderr), level);
    }
    fails(cli(wrong, { SIGSTORE_LOGLEVEL: 'LOUD' }), 2, /SIGSTORE_LOGLEVEL/, 'an unknown level');
  },
  'sign --identity-token': () => {
    const t = token();
    assert.equal(cli(['get-identity-token', '--identity-token', t]).stdout, `${t}\n`);
    assert.equal(cli(['get-identity-token'], { SIGSTORE_IDENTITY_TOKEN: t }).stdout, `${t}\n`);
    const other = token({ email: 'flag@example.com' });
    assert.equal(cli(['get-identity-token', '--identity-token', other], { SIGSTORE_IDENTITY_TOKEN: t }).stdout, `${other}\n`, 'the flag wins');
    fails(cli(['get-identity-token', '--identity-token', 'not-a-jwt']), 1, /not a JWT/, 'checked before use');
    helpLists(['sign'], '--identity-token', 'SIGSTORE_IDENTITY_TOKEN');
    helpLists(['attest'], '--identity-token', 'SIGSTORE_IDENTITY_TOKEN');
  },
  'sign --oidc-client-id': () => {
    const mine = token({ aud: 'my-client' });
    fails(cli(['get-identity-token', '--identity-token', token(), '--oidc-client-id', 'my-client']), 1, /audience/, 'the client ID is the audience');
    ok(cli(['get-identity-token', '--identity-token', mine, '--oidc-client-id', 'my-client']), 'matching audience');
    ok(cli(['get-identity-token', '--identity-token', mine], { SIGSTORE_OIDC_CLIENT_ID: 'my-client' }), 'SIGSTORE_OIDC_CLIENT_ID');
    fails(cli(['get-identity-token', '--identity-token', mine]), 1, /audience/, 'default sigstore');
    helpLists(['sign'], '--oidc-client-id', 'SIGSTORE_OIDC_CLIENT_ID', 'sigstore');
  },
  'sign --oidc-client-secret': () => {
    // Its effect (client authentication at the token endpoint) is tested in test/oidc/interactive.test.ts.
    helpLists(['sign'], '--oidc-client-secret', 'SIGSTORE_OIDC_CLIENT_SECRET');
    helpLists(['get-identity-token'], '--oidc-client-secret', 'SIGSTORE_OIDC_CLIENT_SECRET');
  },
  'sign --oidc-disable-ambient-providers': () => {
    const env = { GITHUB_ACTIONS: 'true', SIGSTORE_OIDC_ISSUER: DEAD_ISSUER };
    fails(cli(['get-identity-token'], env), 1, /GitHub Actions/, 'ambient detection');
    const off = cli(['get-identity-token', '--oidc-disable-ambient-providers'], env);
    fails(off, 1, /127\.0\.0\.1:9/, 'disabled: straight to the login');
    assert.ok(!/GitHub Actions/.test(off.stderr));
    fails(cli(['get-identity-token'], { ...env, SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS: 'yes' }), 1, /127\.0\.0\.1:9/, 'the variable');
    fails(cli(['get-identity-token'], { SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS: 'maybe' }), 2, /SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS/, 'invalid');
    helpLists(['sign'], 'Buildkite, GitLab CI, CircleCI');
  },
  'sign --oidc-issuer': () => {
    fails(cli(['get-identity-token', '--oidc-disable-ambient-providers'], { SIGSTORE_OIDC_ISSUER: DEAD_ISSUER }), 1, /127\.0\.0\.1:9\/dead-issuer/, 'the variable');
    fails(cli(['get-identity-token', '--oidc-disable-ambient-providers', '--oidc-issuer', `${DEAD_ISSUER}/flag`], { SIGSTORE_OIDC_ISSUER: DEAD_ISSUER }), 1, /dead-issuer\/flag/, 'the flag wins');
    fails(cli(['get-identity-token', '--oidc-issuer', 'not a url']), 2, /not a URL/, 'not a URL');
    helpLists(['sign'], '--oidc-issuer', 'SIGSTORE_OIDC_ISSUER', 'signing config');
  },
  'sign --oauth-force-oob': () => {
    fails(cli(['get-identity-token'], { SIGSTORE_OAUTH_FORCE_OOB: 'maybe' }), 2, /SIGSTORE_OAUTH_FORCE_OOB/, 'read as a boolean');
    helpLists(['sign'], '--oauth-force-oob', 'SIGSTORE_OAUTH_FORCE_OOB');
  },
  'sign --rekor-version': () => {
    fails(cli(['sign', '--rekor-version', '3', A_TXT]), 2, /--rekor-version must be 1 or 2/, 'the flag');
    fails(cli(['sign', A_TXT], { SIGSTORE_REKOR_VERSION: '3' }), 2, /--rekor-version must be 1 or 2/, 'the variable');
    helpLists(['sign'], '--rekor-version', 'SIGSTORE_REKOR_VERSION');
  },
  'sign --bundle': () => {
    const w = workdir({ 'b.txt': A_TXT });
    fails(cli(['sign', '--bundle', join(w, 'x'), join(w, 'a.txt'), join(w, 'b.txt')]), 2, /single input/, 'one input only');
    fails(cli(['sign', join(w, 'a.txt'), join(w, 'b.txt')], { SIGSTORE_BUNDLE: join(w, 'x') }), 2, /single input/, 'SIGSTORE_BUNDLE');
    helpLists(['sign'], '--bundle', 'SIGSTORE_BUNDLE');
  },
  'sign --signature': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    fails(cli(['sign', '--signature', join(w, 's'), a]), 2, /--signature and --certificate must be used together/, 'alone');
    fails(cli(['sign', '--output-signature', join(w, 's'), a]), 2, /must be used together/, '--output-signature alone');
    fails(cli(['sign', a], { SIGSTORE_OUTPUT_SIGNATURE: join(w, 's') }), 2, /must be used together/, 'SIGSTORE_OUTPUT_SIGNATURE alone');
    const r = await signing('sign', ['--signature', join(w, 'a.sig'), '--certificate', join(w, 'a.crt'), a]);
    ok(r, 'both');
    assert.ok(existsSync(join(w, 'a.sig')) && existsSync(join(w, 'a.crt')) && existsSync(`${a}.sigstore.json`), 'and the default bundle, as the peer');
    helpLists(['sign'], '--signature FILE, --output-signature FILE', 'SIGSTORE_OUTPUT_SIGNATURE');
  },
  'sign --certificate': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    fails(cli(['sign', '--certificate', join(w, 'c'), a]), 2, /--signature and --certificate must be used together/, 'alone');
    fails(cli(['sign', a], { SIGSTORE_OUTPUT_CERTIFICATE: join(w, 'c') }), 2, /must be used together/, 'SIGSTORE_OUTPUT_CERTIFICATE alone');
    const r = await signing('sign', ['--no-default-files', a], { SIGSTORE_OUTPUT_SIGNATURE: join(w, 'a.sig'), SIGSTORE_OUTPUT_CERTIFICATE: join(w, 'a.crt') });
    ok(r, 'both variables');
    assert.match(readFileSync(join(w, 'a.crt'), 'utf8'), /^-----BEGIN CERTIFICATE-----\n/);
    helpLists(['sign'], '--certificate FILE, --output-certificate FILE', 'SIGSTORE_OUTPUT_CERTIFICATE');
  },
  'sign --output-directory': async () => {
    const w = workdir({ 'b.txt': A_TXT });
    const out = join(w, 'new', 'deeper');
    ok(await signing('sign', ['--output-directory', out, join(w, 'a.txt'), join(w, 'b.txt')]), 'created when missing');
    assert.ok(existsSync(join(out, 'a.txt.sigstore.json')) && existsSync(join(out, 'b.txt.sigstore.json')));
    ok(await signing('sign', [join(w, 'a.txt')], { SIGSTORE_OUTPUT_DIRECTORY: join(w, 'from-env') }), 'SIGSTORE_OUTPUT_DIRECTORY');
    assert.ok(existsSync(join(w, 'from-env', 'a.txt.sigstore.json')));
    fails(cli(['sign', '--output-directory', A_TXT, join(w, 'a.txt')]), 2, /Output directory exists and is not a directory/, 'a file in the way');
    fails(cli(['sign', '--output-directory', out, '--bundle', join(w, 'x'), join(w, 'a.txt')]), 2, /cannot be combined/, 'with explicit outputs');
    helpLists(['sign'], '--output-directory DIR', 'created', 'SIGSTORE_OUTPUT_DIRECTORY');
    helpLists(['attest'], '--output-directory DIR', 'created', 'SIGSTORE_OUTPUT_DIRECTORY');
  },
  'sign --no-default-files': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    fails(cli(['sign', '--no-default-files', '--bundle', join(w, 'b.json'), a]), 2, /--no-default-files may not be combined with --bundle/, 'with --bundle');
    fails(cli(['sign', '--no-default-files', a], { SIGSTORE_BUNDLE: join(w, 'b.json') }), 2, /may not be combined with --bundle/, 'with SIGSTORE_BUNDLE');
    const r = await signing('sign', ['--no-default-files', a]);
    ok(r, 'no outputs');
    assert.equal(existsSync(`${a}.sigstore.json`), false);
    assert.match(r.stdout, /^[A-Za-z0-9+/]{40,}=*$/m, 'the signature on stdout');
    ok(await signing('sign', [a], { SIGSTORE_NO_DEFAULT_FILES: 'yes' }), 'SIGSTORE_NO_DEFAULT_FILES');
    assert.equal(existsSync(`${a}.sigstore.json`), false);
    fails(cli(['sign', a], { SIGSTORE_NO_DEFAULT_FILES: 'maybe' }), 2, /SIGSTORE_NO_DEFAULT_FILES/, 'invalid');
    fails(cli(['sign', '--no-default-files', '--output-directory', w, a]), 2, /no effect/, 'differs: with --output-directory');
    fails(cli(['sign', '--json', '--no-default-files', a]), 2, /--json with --no-default-files/, 'differs: with --json');
    helpLists(['sign'], '--no-default-files', 'SIGSTORE_NO_DEFAULT_FILES');
  },
  'sign --overwrite': async () => {
    const w = workdir({ 'a.txt.sigstore.json': HAPPY });
    const a = join(w, 'a.txt');
    fails(cli(['sign', a]), 2, /Refusing to overwrite outputs without --overwrite: .*a\.txt\.sigstore\.json$/m, "the peer's message");
    ok(await signing('sign', ['--overwrite', a]), '--overwrite');
    ok(await signing('sign', [a], { SIGSTORE_OVERWRITE: '1' }), 'SIGSTORE_OVERWRITE');
    helpLists(['sign'], '--overwrite', 'SIGSTORE_OVERWRITE');
    helpLists(['attest'], '--overwrite', 'SIGSTORE_OVERWRITE');
  },
  'sign messages': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    const [sig, crt] = [join(w, 'a.sig'), join(w, 'a.crt')];
    const r = await signing('sign', ['--signature', sig, '--certificate', crt, a]);
    ok(r, 'sign');
    assert.match(r.stdout, /^Transparency log entry created at index: \d+$/m);
    for (const line of [`Signature written to ${sig}`, `Certificate written to ${crt}`, `Sigstore bundle written to ${a}.sigstore.json`]) {
      assert.ok(r.stdout.split('\n').includes(line), line);
    }
    assert.doesNotMatch(r.stdout, /BEGIN CERTIFICATE/, 'the certificate only with -v');
    const v = await signing('sign', ['-v', '--overwrite', a]);
    ok(v, '-v');
    assert.match(v.stdout, /^Using ephemeral certificate:\n-----BEGIN CERTIFICATE-----$/m);
    const q = await signing('sign', ['-q', '--overwrite', a]);
    ok(q, '-q');
    assert.equal(q.stdout, '');
  },
  'sign --json': async () => {
    const w = workdir({ 'b.txt': A_TXT });
    const r = await signing('sign', ['--json', join(w, 'a.txt'), join(w, 'b.txt')]);
    ok(r, 'sign --json');
    const out = jsonLines(r.stdout);
    assert.deepEqual(
      out.map((o) => [o.type, o.input, o.bundle]),
      ['a.txt', 'b.txt'].map((f) => ['signing', join(w, f), `${join(w, f)}.sigstore.json`]),
    );
    const pred = join(w, 'pred.json');
    writeFileSync(pred, '{"x": 1}');
    const at = await signing('attest', ['--json', '--overwrite', '--predicate', pred, '--predicate-type', 'https://example.com/t', join(w, 'a.txt')]);
    ok(at, 'attest --json');
    const [o] = jsonLines(at.stdout);
    assert.equal(o!.payloadType, 'application/vnd.in-toto+json');
    assert.ok(!at.stdout.includes('written to'), 'nothing else on stdout');
    helpLists(['sign'], '--json', '-q, --quiet');
    helpLists(['attest'], '--json', '-q, --quiet');
  },
  'SIGSTORE_OFFLINE': () => {
    const base = ['verify', 'identity', ...ID, '--bundle', HAPPY, A_TXT];
    const cache = { SIGSTORE_TRUST_CACHE: mkdtempSync(join(dir, 'cache-')) };
    ok(cli(base, { ...cache, SIGSTORE_OFFLINE: '1' }), 'no cache, no network: the embedded root');
    fails(cli(base, { ...cache, SIGSTORE_OFFLINE: 'maybe' }), 2, /SIGSTORE_OFFLINE must be a boolean/, 'invalid');
    ok(cli(['attestation', 'verify', '--identity', PA.identity, PA_DIST], { ...cache, SIGSTORE_OFFLINE: 'true' }), 'attestation verify');
    helpLists(['verify', 'identity'], 'SIGSTORE_OFFLINE');
    helpLists(['attestation', 'verify'], 'SIGSTORE_OFFLINE');
    helpLists(['sign'], 'SIGSTORE_OFFLINE');
  },
  'sign explicit outputs with several inputs': () => {
    const w = workdir({ 'b.txt': A_TXT });
    fails(cli(['sign', '--signature', join(w, 's'), '--certificate', join(w, 'c'), join(w, 'a.txt'), join(w, 'b.txt')]), 2, /single input/, 'detached outputs');
  },
  'attest --predicate': () => {
    fails(cli(['attest', A_TXT]), 2, /--predicate/, 'required');
    helpLists(['attest'], '--predicate FILE', '--predicate-type TYPE');
  },
  'attest --bundle': () => {
    const w = workdir({ 'b.txt': A_TXT });
    const args = ['attest', '--predicate', join(w, 'a.txt'), '--predicate-type', 'https://example.com/t', join(w, 'a.txt'), join(w, 'b.txt')];
    fails(cli([...args, '--bundle', join(w, 'x')]), 2, /single input/, 'one input only');
    fails(cli(args, { SIGSTORE_BUNDLE: join(w, 'x') }), 2, /single input/, 'SIGSTORE_BUNDLE');
    helpLists(['attest'], '--bundle FILE', 'SIGSTORE_BUNDLE', '--overwrite', 'SIGSTORE_OVERWRITE');
  },
  'verify --bundle': () => {
    ok(cli([...VERIFY, ...ID, A_TXT], { SIGSTORE_BUNDLE: HAPPY }), 'SIGSTORE_BUNDLE');
    ok(cli([...VERIFY, ...ID, '--bundle', HAPPY, A_TXT], { SIGSTORE_BUNDLE: STAGING }), 'the flag wins');
    helpLists(['verify', 'identity'], '--bundle', 'SIGSTORE_BUNDLE');
  },
  'verify --certificate': () => {
    fails(cli([...VERIFY, ...ID, A_TXT], { SIGSTORE_CERTIFICATE: join(dir, 'x.crt') }), 2, /--offline/, 'SIGSTORE_CERTIFICATE is read');
    fails(cli([...VERIFY, ...ID, '--cert', join(dir, 'x.crt'), A_TXT]), 2, /--offline/, '--cert');
    helpLists(['verify', 'identity'], '--certificate', '--cert', 'SIGSTORE_CERTIFICATE');
  },
  'verify --signature': () => {
    fails(cli([...VERIFY, ...ID, A_TXT], { SIGSTORE_SIGNATURE: join(dir, 'x.sig') }), 2, /--offline/, 'SIGSTORE_SIGNATURE is read');
    helpLists(['verify', 'identity'], '--signature', 'SIGSTORE_SIGNATURE');
  },
  'verify --offline': () => {
    // No network in the test environment: an offline verification needs none.
    ok(cli([...VERIFY, ...ID, '--bundle', HAPPY, A_TXT]), '--offline');
  },
  'verify sha256 digest': () => {
    const digest = `sha256:${createHash('sha256').update(readFileSync(A_TXT)).digest('hex')}`;
    ok(cli([...VERIFY, ...ID, '--bundle', HAPPY, digest]), 'a digest');
    fails(cli([...VERIFY, ...ID, '--bundle', HAPPY, 'sha256:abc']), 2, /malformed/, 'a malformed digest');
    fails(cli([...VERIFY, ...ID, digest]), 2, /--bundle/, 'a digest needs --bundle');
  },
  'verify default bundle': () => {
    const w = workdir({ 'a.txt.sigstore.json': HAPPY });
    ok(cli([...VERIFY, ...ID, join(w, 'a.txt')]), 'FILE.sigstore.json');
    copyFileSync(HAPPY, join(w, 'a.txt.sigstore'));
    fails(cli([...VERIFY, ...ID, join(w, 'a.txt')]), 2, /onflict/, 'both present');
    const legacy = workdir({ 'a.txt.sigstore': HAPPY });
    const r = cli([...VERIFY, ...ID, join(legacy, 'a.txt')]);
    ok(r, 'FILE.sigstore');
    assert.match(r.stderr, /a\.txt\.sigstore\.json/, 'the deprecation note names the new name');
  },
  'verify identity --cert-identity': () => {
    const rest = ['--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT];
    ok(cli([...VERIFY, ...rest], { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY }), 'SIGSTORE_CERT_IDENTITY');
    fails(cli([...VERIFY, ...rest], { SIGSTORE_CERT_IDENTITY: 'x@example.com' }), 1, /does not match/, 'the variable is checked');
    fails(cli([...VERIFY, '--cert-identity', 'x@example.com', ...rest], { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY }), 1, /does not match/, 'the flag wins');
    fails(cli([...VERIFY, '--cert-identity', DEFAULT_IDENTITY, '--cert-identity', 'x@example.com', ...rest]), 2, /--any-cert-identity/, 'a repetition is refused');
    ok(cli([...VERIFY, '--any-cert-identity', 'x@example.com', '--any-cert-identity', DEFAULT_IDENTITY, ...rest]), 'any-of, explicitly');
    fails(cli([...VERIFY, ...rest]), 2, /--cert-identity/, 'required');
  },
  'verify identity --cert-oidc-issuer': () => {
    const rest = ['--cert-identity', DEFAULT_IDENTITY, '--bundle', HAPPY, A_TXT];
    ok(cli([...VERIFY, ...rest], { SIGSTORE_CERT_OIDC_ISSUER: DEFAULT_ISSUER }), 'SIGSTORE_CERT_OIDC_ISSUER');
    fails(cli([...VERIFY, ...rest], { SIGSTORE_CERT_OIDC_ISSUER: 'https://accounts.google.com' }), 1, /issuer/, 'the variable is checked');
    fails(cli([...VERIFY, '--cert-oidc-issuer', DEFAULT_ISSUER, '--cert-oidc-issuer', 'https://x', ...rest]), 2, /given 2 times/, 'a repetition is refused');
    fails(cli([...VERIFY, ...rest]), 2, /--cert-oidc-issuer/, 'required');
  },
  'verify github --cert-identity': () => {
    const base = ['verify', 'github', '--offline', '--bundle', HAPPY, A_TXT];
    fails(cli(base), 2, /--cert-identity.*--repository|--repository/, 'one of the two is required');
    ok(cli([...base, '--cert-identity', DEFAULT_IDENTITY]), '--cert-identity alone');
    ok(cli(base, { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY }), 'SIGSTORE_CERT_IDENTITY alone');
  },
  'verify github --trigger': githubClaim('trigger', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_TRIGGER', 'githubWorkflowTrigger'),
  'verify github --sha': githubClaim('sha', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_SHA', 'githubWorkflowSha'),
  'verify github --name': githubClaim('name', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_NAME', 'githubWorkflowName'),
  'verify github --repository': githubClaim('repository', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY', 'githubWorkflowRepository'),
  'verify github --ref': githubClaim('ref', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_REF', 'githubWorkflowRef'),
  'verify OK line': () => {
    const r = cli([...VERIFY, ...ID, '--bundle', HAPPY, A_TXT]);
    ok(r, 'verify');
    assert.match(r.stderr, /^OK: .*a\.txt$/m);
    assert.equal(r.stdout, '');
    const d = cli([...VERIFY, '--unsafe-any-identity', '--bundle', DSSE, A_TXT]);
    ok(d, 'DSSE');
    assert.equal(JSON.parse(d.stdout)._type, 'https://in-toto.io/Statement/v1', 'the statement on stdout');
  },
  'verify several inputs with --bundle': () => {
    const w = workdir({ 'b.txt': A_TXT });
    fails(cli([...VERIFY, ...ID, '--bundle', HAPPY, join(w, 'a.txt'), join(w, 'b.txt')]), 2, /single input|one input/, 'usage error');
  },
  'verify --offline with --certificate': () => {
    fails(cli([...VERIFY, ...ID, '--certificate', 'x.crt', '--signature', 'x.sig', A_TXT]), 2, /--offline/, 'usage error');
  },
  'verify wrong instance hint': () => {
    fails(cli([...VERIFY, ...ID, '--bundle', STAGING, A_TXT]), 1, /are you using the correct Sigstore instance\? \(--staging, --instance, --trust-config\)$/m, 'hint');
  },
  'verify --json': () => {
    const r = cli([...VERIFY, ...ID, '--json', '--bundle', HAPPY, A_TXT]);
    ok(r, '--json');
    const o = JSON.parse(r.stdout);
    assert.equal(o.schemaVersion, 1);
    assert.equal(o.signer.oidcIssuer, DEFAULT_ISSUER);
  },
  'get-identity-token': () => {
    const t = token();
    const r = cli(['get-identity-token', '--identity-token', t]);
    ok(r, 'get-identity-token');
    assert.equal(r.stdout, `${t}\n`);
    assert.ok(!r.stderr.includes(t.split('.')[1]!), 'the token only on stdout');
    helpLists(['get-identity-token'], '--oidc-client-id', '--oidc-issuer', '--oauth-force-oob', '--oidc-disable-ambient-providers', '--identity-token');
  },
  'plumbing fix-bundle': () => {
    const r = cli(['plumbing', 'fix-bundle', '--bundle', bundleOf('happy-path-v0.1'), '--upgrade-version']);
    ok(r, 'fix-bundle --upgrade-version');
    assert.equal(JSON.parse(r.stdout).mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    helpLists(['plumbing', 'fix-bundle'], '--bundle FILE', '--upgrade-version', '--in-place');
  },
  'plumbing update-trust-root': () => {
    helpLists(['plumbing'], 'update-trust-root');
    ok(cli(['plumbing', 'update-trust-root', '--help']), 'its help');
  },
  'pa -v': () => {
    const r = cli(['attestation', 'verify', '--offline', '--identity', 'x@example.com', '--attestation', ATT, join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl'), '-v']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(hasStackTrace(r.stderr), '-v shows the stack');
  },
  'pa -V': () => {
    assert.match(cli(['-V']).stdout, /^sigstore-ts /);
  },
  'pa sign': () => {
    const w = workdir({ 'rfc8785-0.1.2-py3-none-any.whl': join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl'), 'rfc8785-0.1.2-py3-none-any.whl.publish.attestation': ATT });
    fails(cli(['attestation', 'sign', join(w, 'rfc8785-0.1.2-py3-none-any.whl')]), 2, /overwrite/i, 'an existing attestation is refused');
    helpLists(['attestation', 'sign'], 'publish.attestation');
  },
  'pa verify attestation --identity': () => {
    const args = ['attestation', 'verify', 'attestation', '--offline'];
    const r = cli([...args, '--identity', PA.identity, '--json', PA_DIST]);
    ok(r, 'verify attestation');
    assert.match(r.stderr, /^OK: .*publish\.attestation\)$/m);
    const out = jsonLines(r.stdout);
    assert.ok(out.every((o) => o.type === 'verification' && o.verified === true && o.input === PA_DIST && typeof o.attestation === 'string'));
    fails(cli([...args, '--identity', 'x@example.com', '--identity', PA.identity, PA_DIST]), 2, /--identity was given 2 times.*--any-identity/, 'a repetition is refused');
    ok(cli([...args, '--any-identity', 'x@example.com', '--any-identity', PA.identity, PA_DIST]), 'any-of, explicitly');
    fails(cli([...args, '--any-identity', 'x@example.com', PA_DIST]), 1, /FAIL: .*\[policy\]/, 'any-of is still checked');
    helpLists(['attestation', 'verify'], '--identity IDENTITY', '--any-identity IDENTITY', 'verify attestation');
  },
  'pa verify pypi': () => {
    const r = cli(['attestation', 'verify', 'pypi', '--offline', '--repository', PA_REPO, '--provenance-file', PROV, '--json', PA_DIST]);
    ok(r, 'verify pypi with a local provenance file');
    assert.ok(jsonLines(r.stdout).length > 0);
    fails(cli(['attestation', 'verify', 'pypi', '--offline', '--provenance-file', PROV, PA_DIST]), 2, /--repository/, '--repository or --gcp-service-account');
    helpLists(['attestation', 'verify-pypi'], '--repository URL', '--provenance-file', '--gcp-service-account');
  },
  'pa --repository only for GitHub/GitLab': () => {
    const base = ['attestation', 'verify-provenance', '--offline', '--provenance-file', PROV];
    fails(cli([...base, PA_DIST]), 2, /--repository \(GitHub, GitLab\) or --gcp-service-account/, 'one of the two');
    ok(cli([...base, '--repository', PA_REPO, PA_DIST]), 'GitHub: --repository');
    fails(cli([...base, '--gcp-service-account', 'svc@p.iam.gserviceaccount.com', PA_DIST]), 1, /FAIL: /, 'Google: no --repository needed (and a GitHub provenance fails)');
  },
  'pa --gcp-service-account': () => {
    const base = ['attestation', 'verify-provenance', '--offline', '--provenance-file', PROV];
    fails(cli([...base, '--gcp-service-account', 'svc@p.iam.gserviceaccount.com', '--repository', PA_REPO, PA_DIST]), 2, /cannot be used together/, 'not with --repository');
    fails(cli([...base, '--gcp-service-account', 'a@b', '--service-account', 'a@b', PA_DIST]), 2, /same flag/, 'not twice');
    helpLists(['attestation', 'verify-provenance'], '--gcp-service-account EMAIL');
    helpLists(['attestation', 'verify-pypi'], '--gcp-service-account EMAIL');
  },
  'pa missing input exit code': () => {
    const missing = join(dir, 'missing-1.0.tar.gz');
    fails(cli(['attestation', 'verify', '--identity', 'x@example.com', missing]), 1, /distribution .* does not exist/, 'a DIST');
    fails(cli(['attestation', 'verify', '--identity', 'x@example.com', '--attestation', join(dir, 'nope'), PA_DIST]), 1, /attestation .* does not exist/, 'an attestation');
    fails(cli(['attestation', 'verify-provenance', '--provenance-file', join(dir, 'nope'), '--repository', PA_REPO, PA_DIST]), 1, /provenance file .* does not exist/, 'a provenance file');
    fails(cli(['attestation', 'convert', '-o', '-', join(dir, 'nope')]), 1, /does not exist/, 'a convert input');
    fails(cli(['attestation', 'inspect', join(dir, 'nope')]), 2, /no such file/, 'differs: inspect');
  },
  'pa inspect': () => {
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
  'pa convert': () => {
    const w = workdir();
    const out = join(w, 'out.sigstore.json');
    ok(cli(['attestation', 'convert', '--output-file', out, ATT]), 'convert');
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    fails(cli(['attestation', 'convert', '--output-file', out, ATT]), 2, /overwrite/, 'an existing output is refused');
  },
};

/** The table rows of docs/compat.md: key and status. */
function tableRows(): { key: string; status: string }[] {
  const rows: { key: string; status: string }[] = [];
  for (const line of readFileSync(join(ROOT, 'docs', 'compat.md'), 'utf8').split('\n')) {
    const m = /^\| `([^`]+)` \|.*\| ([^|]+) \|$/.exec(line);
    if (m) rows.push({ key: m[1]!, status: m[2]!.trim() });
  }
  return rows;
}

describe('docs/compat.md: every row is exercised', () => {
  const rows = tableRows();

  it('the table lists every row once, each with a known status', () => {
    assert.ok(rows.length >= 50, `${rows.length} rows`);
    assert.equal(new Set(rows.map((r) => r.key)).size, rows.length, 'keys are unique');
    for (const r of rows) assert.match(r.status, /^(same|differs: .+|pending \(issue .+\)|missing \(planned.*\))$/, r.key);
  });

  it('every same/differs row has a check, and every check a row', () => {
    const tested = rows.filter((r) => !r.status.startsWith('pending') && !r.status.startsWith('missing')).map((r) => r.key);
    assert.deepEqual(tested.filter((k) => !CHECKS[k]), [], 'rows without a check');
    assert.deepEqual(Object.keys(CHECKS).filter((k) => !tested.includes(k)), [], 'checks without a same/differs row');
  });

  for (const r of rows.filter((r) => CHECKS[r.key])) {
    it(`${r.key}: ${r.status}`, async () => CHECKS[r.key]!());
  }
});
