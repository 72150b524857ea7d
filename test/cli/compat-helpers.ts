/**
 * Shared by test/cli/compat-*.test.ts: docs/compat.md's rows by section, the CLI run as a
 * process (or in-process when the local Sigstore instance or a stand-in OIDC provider runs in
 * this process), fixtures and small assertions.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CliResult, type NodeRunResult, ROOT, runCli, runNode, SIGSTORE } from '../helpers/cli.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';
import { runMain } from '../helpers/in-process.js';
import { emailClaims, makeJwt } from '../oidc/helpers.js';
import { ASSETS } from '../pypi/helpers.js';
import { startTestInstance, type TestInstance } from '../sign/helpers.js';

export { DEFAULT_IDENTITY, DEFAULT_ISSUER, ROOT };
export const A_TXT = join(CONFORMANCE_DIR, 'a.txt');
export const bundleOf = (name: string) => join(CONFORMANCE_DIR, name, 'bundle.sigstore.json');
export const HAPPY = bundleOf('happy-path-v0.3');
export const DSSE = bundleOf('happy-path-intoto-in-dsse-v3');
export const STAGING = bundleOf('bundle-from-wrong-instance_fail');
export const PYPI = join(ROOT, 'test', 'fixtures', 'pypi');
export const WHL = join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl');
export const ATT = `${WHL}.publish.attestation`;
export const PA = ASSETS.find((a) => a.dist === 'pypi_attestations-0.0.19.tar.gz')!;
export const PA_DIST = join(PYPI, PA.dist);
export const PROV = join(PYPI, 'pypi_attestations-0.0.19.tar.gz.provenance');
export const PA_REPO = 'https://github.com/trailofbits/pypi-attestations';
export const VERIFY = ['verify', 'identity', '--offline'];
export const ID = ['--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER];
export const DEAD_ISSUER = 'http://127.0.0.1:9/dead-issuer';
export const FAKE_BROWSER = join(ROOT, 'test', 'oidc', 'fake-browser.mjs');
export const token = (claims: Record<string, unknown> = {}) => makeJwt(emailClaims(claims));

/** No SIGSTORE_* or CI variables from the test's own environment leak into a row's check. */
export const CLEAN_ENV: Record<string, undefined> = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k.startsWith('SIGSTORE_') || ['GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'CIRCLECI', 'ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'BROWSER'].includes(k))
    .map((k) => [k, undefined]),
);

export const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-compat-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh directory with a.txt and, optionally, files copied in under new names. */
export function workdir(files: Record<string, string> = {}): string {
  const w = mkdtempSync(join(dir, 'w-'));
  copyFileSync(A_TXT, join(w, 'a.txt'));
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(w, name));
  return w;
}

/** The production trust material as a client trust config file: signing commands load it without the network. */
export const PROD_CONFIG = join(dir, 'production-trust-config.json');
{
  const read = (f: string) => JSON.parse(readFileSync(join(ROOT, 'trust', 'production', f), 'utf8'));
  writeFileSync(
    PROD_CONFIG,
    JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot: read('trusted_root.json'), signingConfig: read('signing_config.v0.2.json') }),
  );
}

export function cli(args: string[], env: Record<string, string> = {}): CliResult {
  return runCli(args, { env: { ...CLEAN_ENV, ...env } });
}
/** The built CLI as a process that does not block this one (a server here answers it). */
export function cliAsync(args: string[], env: Record<string, string> = {}, onStderr?: (text: string, stdin: NodeJS.WritableStream) => void): Promise<NodeRunResult> {
  return runNode([SIGSTORE, ...args], { env: { ...process.env, ...CLEAN_ENV, ...env }, timeoutMs: 30_000, ...(onStderr ? { onStderr } : {}) });
}
export function ok(r: { code: number | null; stderr: string }, what: string): void {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
}
export function fails(r: { code: number | null; stderr: string }, code: 1 | 2, pattern: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
}
export function helpLists(cmd: string[], ...texts: string[]): void {
  const r = cli([...cmd, '--help']);
  ok(r, `${cmd.join(' ')} --help`);
  for (const t of texts) assert.ok(r.stdout.includes(t), `${cmd.join(' ')} --help lists ${t}`);
}

/** `main(args)` in this process, with `env` set (and CLEAN_ENV), its output captured. */
export async function inProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await runMain(args, { ...CLEAN_ENV, ...env });
  return { code: r.code, stdout: r.out, stderr: r.err };
}

/** The local Sigstore instance, started when a row first signs. */
let instance: Promise<TestInstance> | undefined;
after(async () => {
  if (instance) await (await instance).stop();
});
export function localInstance(): Promise<TestInstance> {
  instance ??= startTestInstance();
  return instance;
}

/**
 * `sigstore --trust-config LOCAL CMD ARGS` in-process against the local instance (a spawnSync'd
 * child would wait on the server this process runs), the token given with --identity-token
 * (or, with `tokenVar`, in SIGSTORE_IDENTITY_TOKEN).
 */
export async function signing(cmd: string[], args: string[], env: Record<string, string> = {}, tokenVar = false): Promise<CliResult> {
  const t = await localInstance();
  const tok = await t.inst.token();
  return inProcess(['--trust-config', t.trustConfigPath, ...cmd, ...(tokenVar ? [] : ['--identity-token', tok]), ...args], tokenVar ? { ...env, SIGSTORE_IDENTITY_TOKEN: tok } : env);
}

/** A file signed by the local instance with detached outputs, and how to verify it. */
let detachedOnce: Promise<{ a: string; sig: string; crt: string; identity: string; issuer: string; cfg: string }> | undefined;
export function detached() {
  detachedOnce ??= (async () => {
    const t = await localInstance();
    const claims = JSON.parse(Buffer.from((await t.inst.token()).split('.')[1]!, 'base64url').toString());
    const w = workdir();
    const [a, sig, crt] = [join(w, 'a.txt'), join(w, 'a.sig'), join(w, 'a.crt')];
    ok(await signing(['sign'], ['--rekor-version', '1', '--no-default-files', '--signature', sig, '--certificate', crt, a]), 'sign');
    return { a, sig, crt, identity: claims.email as string, issuer: claims.iss as string, cfg: t.trustConfigPath };
  })();
  return detachedOnce;
}

/** The rows of one `## ` section of docs/compat.md: key and status. */
export function sectionRows(title: string): { key: string; status: string }[] {
  const rows: { key: string; status: string }[] = [];
  let current = '';
  for (const line of readFileSync(join(ROOT, 'docs', 'compat.md'), 'utf8').split('\n')) {
    if (line.startsWith('## ')) current = line.slice(3).trim();
    const m = /^\| `([^`]+)` \|.*\| ([^|]+) \|$/.exec(line);
    if (m && current === title) rows.push({ key: m[1]!, status: m[2]!.trim() });
  }
  return rows;
}

export type Check = () => void | Promise<void>;

/** One test per row of the section, and a failure for a row without a check or a check without a row. */
export function checkSection(title: string, checks: Record<string, Check>): void {
  describe(`docs/compat.md, ${title}`, () => {
    const rows = sectionRows(title);
    it('every row has a check, and every check a row', () => {
      assert.ok(rows.length > 0, `no rows under ## ${title}`);
      const keys = rows.map((r) => r.key);
      assert.deepEqual(keys.filter((k) => !checks[k]), [], 'rows without a check');
      assert.deepEqual(Object.keys(checks).filter((k) => !keys.includes(k)), [], 'checks without a row');
    });
    for (const r of rows.filter((r) => checks[r.key])) it(`${r.key}: ${r.status}`, async () => checks[r.key]!());
  });
}
