/**
 * `sigstore get-identity-token` as a process: the token goes to stdout and nowhere else, sources
 * in order, SIGSTORE_* settings, usage errors (exit 2), refused tokens (exit 1), and the
 * interactive login through $BROWSER and through the paste-the-code flow.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type NodeRunResult, ROOT, runNode, SOURCE_CLI } from '../helpers/cli.js';
import { emailClaims, githubClaims, json, makeJwt, now, serve } from './helpers.js';
import { httpBrowser, type StandIn, startStandIn } from './stand-in-oauth.js';

const FAKE_BROWSER = join(import.meta.dirname, 'fake-browser.mjs');

/** Runs the CLI with exactly `env` (plus PATH and HOME); `onStderr` may answer on stdin. */
function cli(args: string[], env: Record<string, string> = {}, onStderr?: (text: string, stdin: NodeJS.WritableStream) => void): Promise<NodeRunResult> {
  return runNode([...SOURCE_CLI, 'get-identity-token', ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TMPDIR: process.env.TMPDIR, ...env },
    timeoutMs: 30_000,
    ...(onStderr ? { onStderr } : {}),
  });
}

describe('sigstore get-identity-token', () => {
  const token = makeJwt(emailClaims({ email: 'env@example.com' }));
  const explicit = makeJwt(emailClaims({ email: 'flag@example.com' }));
  const ghToken = makeJwt(githubClaims());
  let gh: Awaited<ReturnType<typeof serve>>;
  let idp: StandIn;
  before(async () => {
    gh = await serve((req, res) => {
      if (req.headers.authorization !== 'bearer req-token') return json(res, 401, {});
      json(res, 200, { value: ghToken });
    });
    idp = await startStandIn({ loginPage: true });
  });
  after(async () => {
    await gh.close();
    await idp.close();
  });
  const ghEnv = () => ({ GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: `${gh.url}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-token' });

  it('prints the token from SIGSTORE_IDENTITY_TOKEN on stdout, and nothing else anywhere', async () => {
    const r = await cli([], { SIGSTORE_IDENTITY_TOKEN: token });
    assert.deepEqual(r, { code: 0, stdout: `${token}\n`, stderr: '' });
  });

  it('--identity-token wins over the environment and ambient credentials', async () => {
    const r = await cli(['--identity-token', explicit], { SIGSTORE_IDENTITY_TOKEN: token, ...ghEnv() });
    assert.deepEqual(r, { code: 0, stdout: `${explicit}\n`, stderr: '' });
  });

  it('uses ambient GitHub Actions credentials; -v says where from, never the token', async () => {
    const r = await cli(['-v'], ghEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${ghToken}\n`);
    assert.match(r.stderr, /using ambient credentials from GitHub Actions/);
    assert.match(r.stderr, /identity: repo:octo\/repo:ref:refs\/heads\/main/);
    for (const part of ghToken.split('.')) assert.ok(!r.stderr.includes(part), 'the token leaked to stderr');
    assert.ok(!r.stderr.includes('req-token'));
  });

  it('refuses an expired token with the reason (exit 1), printing nothing on stdout', async () => {
    const t = now();
    const expired = makeJwt(emailClaims({ iat: t - 1000, nbf: t - 1000, exp: t - 100 }));
    const r = await cli(['--identity-token', expired], ghEnv());
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: the identity token from --identity-token expired at \S+Z \(\d+ s ago\); get a new one\n$/);
    const m = await cli([], { SIGSTORE_IDENTITY_TOKEN: 'abc.def' });
    assert.equal(m.code, 1);
    assert.match(m.stderr, /^error: the identity token from SIGSTORE_IDENTITY_TOKEN is not a JWT/);
  });

  it('usage errors exit 2: unknown flags, arguments, bad boolean settings, empty token', async () => {
    for (const [args, env, pattern] of [
      [['--nope'], {}, /unrecognized option '--nope'/],
      [['extra'], {}, /sigstore: error: /],
      [[], { SIGSTORE_OAUTH_FORCE_OOB: 'maybe' }, /SIGSTORE_OAUTH_FORCE_OOB: can't read "maybe" as a boolean/],
      [['--identity-token', ' '], {}, /--identity-token is empty/],
      [['--oidc-issuer', 'not a url', '--oidc-disable-ambient-providers'], {}, /--oidc-issuer: "not a url" is not a URL/],
      [['--trust-config', '/nonexistent/trust_config.json', '--oidc-disable-ambient-providers'], {}, /trust config/],
    ] as const) {
      const r = await cli([...args], { ...env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    }
  });

  it("without --oidc-issuer, the interactive login uses the issuer of the --trust-config's signing config", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-gitcfg-'));
    try {
      const signingConfig = JSON.parse(readFileSync(join(ROOT, 'trust', 'production', 'signing_config.v0.2.json'), 'utf8'));
      signingConfig.oidcUrls = [{ url: idp.issuer, majorApiVersion: 1, validFor: { start: '2020-01-01T00:00:00Z' }, operator: 'test' }];
      const trustedRoot = JSON.parse(readFileSync(join(ROOT, 'trust', 'production', 'trusted_root.json'), 'utf8'));
      const cfg = join(dir, 'trust_config.json');
      writeFileSync(cfg, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot, signingConfig }));
      const r = await cli(['--trust-config', cfg, '--oidc-disable-ambient-providers'], { BROWSER: `${process.execPath} ${FAKE_BROWSER} %s kim@example.com` });
      assert.equal(r.code, 0, r.stderr);
      const claims = JSON.parse(Buffer.from(r.stdout.split('.')[1]!, 'base64url').toString());
      assert.equal(claims.iss, idp.issuer);
      assert.equal(claims.email, 'kim@example.com');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--oidc-client-id is also the audience an explicit token must carry', async () => {
    const r = await cli(['--oidc-client-id', 'my-client', '--identity-token', explicit]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /audience/);
    const mine = makeJwt(emailClaims({ email: 'aud@example.com', aud: 'my-client' }));
    const ok = await cli(['--oidc-client-id', 'my-client', '--identity-token', mine]);
    assert.equal(ok.code, 0, ok.stderr);
    const viaEnv = await cli(['--identity-token', mine], { SIGSTORE_OIDC_CLIENT_ID: 'my-client' });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
  });

  it('-h prints the help', async () => {
    const r = await cli(['-h']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: sigstore get-identity-token/);
    assert.match(r.stdout, /--oidc-disable-ambient-providers/);
    assert.match(r.stdout, /--oauth-force-oob/);
  });

  it('interactive login through $BROWSER and the loopback redirect (SIGSTORE_OIDC_ISSUER)', async () => {
    const r = await cli(['--oidc-disable-ambient-providers'], {
      ...ghEnv(),
      SIGSTORE_OIDC_ISSUER: idp.issuer,
      BROWSER: `${process.execPath} ${FAKE_BROWSER} %s ivan@example.com`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = JSON.parse(Buffer.from(r.stdout.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.email, 'ivan@example.com');
    assert.equal(claims.iss, idp.issuer);
    assert.match(r.stderr, /Waiting for browser interaction/);
    assert.ok(!r.stderr.includes(r.stdout.trim().split('.')[1]!));
    assert.match(idp.tokenRequests.at(-1)!.redirectUri!, /^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/);
  });

  it('paste-the-code flow with --oauth-force-oob and --oidc-issuer, the code read from stdin', async () => {
    let typed = false;
    const r = await cli(['--oauth-force-oob', '--oidc-issuer', idp.issuer, '--oidc-disable-ambient-providers'], { BROWSER: '/bin/false' }, (text, stdin) => {
      const m = /Go to the following link in a browser:\n\n\t(\S+)\n/.exec(text);
      if (!m || typed || !text.includes('Enter verification code: ')) return;
      typed = true;
      // The code is typed and stdin stays open, as on a terminal: the CLI must still exit.
      httpBrowser(m[1]!, { email: 'judy@example.com' }).then((v) => stdin.write(`${v.code}\n`));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(Buffer.from(r.stdout.split('.')[1]!, 'base64url').toString()).email, 'judy@example.com');
    assert.equal(idp.tokenRequests.at(-1)!.redirectUri, 'urn:ietf:wg:oauth:2.0:oob');
  });

  it('SIGSTORE_OAUTH_FORCE_OOB=1 with no code entered fails with the reason', async () => {
    const r = await cli([], { SIGSTORE_OIDC_ISSUER: idp.issuer, SIGSTORE_OAUTH_FORCE_OOB: '1', SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS: 'yes', ...ghEnv() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: no verification code was entered\n$/);
    assert.equal(r.stdout, '');
  });
});
