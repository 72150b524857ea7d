/**
 * `sigstore instance`: help and usage errors (exit 2), `serve` as a process writing
 * trust_config.json and root.json once it answers, `token` printing a fresh JWT from the running
 * instance, one instance per data directory, and a clean stop on SIGTERM. (Help, usage and `token`
 * run in-process through the command's `run`, to keep process start-ups few.)
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { run } from '../../src/cli/instance.js';
import { SigstoreError, UsageError } from '../../src/errors.js';
import { startInstance } from '../../src/instance/index.js';
import { runCli, serveChild, tempDir } from './helpers.js';

/** Runs `sigstore instance ARGV` in-process; resolves to its status and output. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

function claims(jwt: string): Record<string, unknown> {
  const parts = jwt.trim().split('.');
  assert.equal(parts.length, 3, 'a JWT');
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('sigstore instance (CLI)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('prints help, and refuses bad usage', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: sigstore instance .*\{serve,token\}/);
    const serveHelp = await cli(['serve', '--help']);
    assert.match(serveHelp.stdout, /--data-dir DIR/);
    assert.match(serveHelp.stdout, /--identity EMAIL_OR_URI/);
    const tokenHelp = await cli(['token', '-h']);
    assert.match(tokenHelp.stdout, /--ttl SECONDS/);
    await assert.rejects(cli(['bogus']), (e: Error) => e instanceof UsageError && /unknown instance command 'bogus'/.test(e.message));
    await assert.rejects(cli(['serve']), (e: Error) => e instanceof UsageError && /--data-dir is required/.test(e.message));
    await assert.rejects(cli(['serve', '--data-dir', tmp.dir, '--port', 'http']), (e: Error) => e instanceof UsageError && /not a port number/.test(e.message));
    await assert.rejects(cli(['serve', '--data-dir', tmp.dir, '--frobnicate']), (e: Error) => e instanceof UsageError && /unrecognized option '--frobnicate'/.test(e.message));
    await assert.rejects(cli(['token', '--data-dir', tmp.dir, '--ttl', '0']), (e: Error) => e instanceof UsageError && /--ttl/.test(e.message));
    await assert.rejects(cli(['serve', '--data-dir', tmp.dir, '--identity', 'nobody']), (e: Error) => e instanceof UsageError && /neither an email address nor a URI/.test(e.message));
    await assert.rejects(
      cli(['token', '--data-dir', join(tmp.dir, 'nothing-here')]),
      (e: Error) => e instanceof SigstoreError && /no instance in .*sigstore instance serve/.test(e.message),
    );
    // As a process: usage errors exit with status 2.
    const proc = await runCli(['instance']);
    assert.equal(proc.code, 2);
    assert.match(proc.stderr, /a command is required/);
  });

  it('serves, hands out tokens, allows one instance per data directory, and stops cleanly on SIGTERM', async () => {
    const dir = join(tmp.dir, 'inst');
    const child = await serveChild(dir, ['--port', '0', '--identity', 'grace@example.com']);
    try {
      assert.match(child.stdout(), /OIDC issuer\s+http:\/\/127\.0\.0\.1:\d+\/oauth2/);
      assert.match(child.stdout(), /--trust-config .*trust_config\.json/);
      const trustConfig = JSON.parse(readFileSync(join(dir, 'trust_config.json'), 'utf8')) as { mediaType: string; signingConfig: { caUrls: { url: string }[] } };
      assert.equal(trustConfig.mediaType, 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json');
      assert.equal(trustConfig.signingConfig.caUrls[0]!.url, child.url);
      assert.equal((JSON.parse(readFileSync(join(dir, 'root.json'), 'utf8')) as { signed: { _type: string } }).signed._type, 'root');

      const t1 = await cli(['token', '--data-dir', dir]);
      assert.equal(t1.code, 0);
      const c1 = claims(t1.stdout);
      assert.equal(c1.email, 'grace@example.com');
      assert.equal(c1.iss, `${child.url}/oauth2`);
      assert.equal(c1.aud, 'sigstore');
      const t2 = await cli(['token', '--data-dir', dir, '--identity', 'https://github.com/o/r/.github/workflows/w.yml@refs/heads/main', '--ttl', '60']);
      const c2 = claims(t2.stdout);
      assert.equal(c2.sub, 'repo:o/r:ref:refs/heads/main');
      assert.equal((c2.exp as number) - (c2.iat as number), 60);
      await assert.rejects(startInstance({ dataDir: dir }), /another instance \(pid \d+\) is using this data directory/);
    } finally {
      child.proc.kill('SIGTERM');
    }
    assert.equal(await child.exited, 0, `exit status 0 on SIGTERM: ${child.stderr()}`);
    assert.match(child.stderr(), /stopped/);
    assert.equal(existsSync(join(dir, 'instance.lock')), false, 'the lock is released');
    await assert.rejects(cli(['token', '--data-dir', dir]), /is not running/);
  });
});
