/**
 * `sigstore sign` with the interactive login, end to end: the CLI opens the authorization URL in
 * a real headless Chromium ($BROWSER), which fills in the local instance's login page; the CLI
 * receives the code on its loopback listener, gets the token, signs, and the bundle verifies
 * with the identity typed in the browser. Skipped when /usr/bin/chromium is not installed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { runCli, SIGSTORE } from '../helpers/cli.js';

const CHROMIUM = process.env.SIGSTORE_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (run: bash scripts/install-browser.sh)`;
const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-browser-sign-'));
let instance: SigstoreInstance | undefined;

before(async () => {
  if (!skip) instance = await startInstance({ dataDir: join(dir, 'instance'), port: 0, identity: 'nobody@example.com' });
});
after(async () => {
  await instance?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('sigstore sign completes with a token from the browser login', { skip, timeout: 120_000 }, async () => {
  const inst = instance!;
  const file = join(dir, 'artifact.txt');
  writeFileSync(file, 'signed after a browser login\n');
  const browser = `${process.execPath} ${join(import.meta.dirname, 'chromium-browser.mjs')} %s heidi@example.com`;
  const child = spawn(
    process.execPath,
    [SIGSTORE, '--trust-config', inst.files.trustConfig, 'sign', '--oidc-disable-ambient-providers', '--oidc-issuer', inst.issuer, file],
    { env: { ...process.env, BROWSER: browser, SIGSTORE_IDENTITY_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.ok(existsSync(`${file}.sigstore.json`), 'the bundle was written');
  const v = runCli(['--trust-config', inst.files.trustConfig, 'verify', 'identity', '--cert-identity', 'heidi@example.com', '--cert-oidc-issuer', inst.issuer, file]);
  assert.equal(v.code, 0, v.stderr);
});
