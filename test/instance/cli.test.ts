/**
 * `sigstore instance` as a process: help and usage errors (exit 2), `serve` writing
 * trust_config.json and root.json once it answers, `token` printing a fresh JWT from the running
 * instance, one instance per data directory, and a clean stop on SIGTERM.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, serveChild, tempDir } from './helpers.js';

function claims(jwt: string): Record<string, unknown> {
  const parts = jwt.trim().split('.');
  assert.equal(parts.length, 3, 'a JWT');
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('sigstore instance (CLI)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('prints help, and refuses bad usage with exit status 2', async () => {
    const [help, serveHelp, none, unknown, noDir, badPort, noInstance] = await Promise.all([
      runCli(['instance', '--help']),
      runCli(['instance', 'serve', '--help']),
      runCli(['instance']),
      runCli(['instance', 'bogus']),
      runCli(['instance', 'serve']),
      runCli(['instance', 'serve', '--data-dir', tmp.dir, '--port', 'http']),
      runCli(['instance', 'token', '--data-dir', join(tmp.dir, 'nothing-here')]),
    ]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: sigstore instance .*\{serve,token\}/);
    assert.equal(serveHelp.code, 0);
    assert.match(serveHelp.stdout, /--data-dir DIR/);
    assert.match(serveHelp.stdout, /--identity EMAIL_OR_URI/);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /a command is required/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown instance command 'bogus'/);
    assert.equal(noDir.code, 2);
    assert.match(noDir.stderr, /--data-dir is required/);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /not a port number/);
    assert.equal(noInstance.code, 1);
    assert.match(noInstance.stderr, /no instance in .*sigstore instance serve/);
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

      const [t1, t2, second] = await Promise.all([
        runCli(['instance', 'token', '--data-dir', dir]),
        runCli(['instance', 'token', '--data-dir', dir, '--identity', 'https://github.com/o/r/.github/workflows/w.yml@refs/heads/main', '--ttl', '60']),
        runCli(['instance', 'serve', '--data-dir', dir, '--port', '0']),
      ]);
      assert.equal(t1.code, 0, t1.stderr);
      const c1 = claims(t1.stdout);
      assert.equal(c1.email, 'grace@example.com');
      assert.equal(c1.iss, `${child.url}/oauth2`);
      assert.equal(c1.aud, 'sigstore');
      assert.equal(t2.code, 0, t2.stderr);
      const c2 = claims(t2.stdout);
      assert.equal(c2.sub, 'repo:o/r:ref:refs/heads/main');
      assert.equal((c2.exp as number) - (c2.iat as number), 60);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /another instance \(pid \d+\) is using this data directory/);
    } finally {
      child.proc.kill('SIGTERM');
    }
    assert.equal(await child.exited, 0, `exit status 0 on SIGTERM: ${child.stderr()}`);
    assert.match(child.stderr(), /stopped/);
    assert.equal(existsSync(join(dir, 'instance.lock')), false, 'the lock is released');
    const after = await runCli(['instance', 'token', '--data-dir', dir]);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /is not running/);
  });
});
