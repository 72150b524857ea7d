/**
 * The OpenID Connect rows that sigstore-python defines on `sign`, `attest` and
 * `get-identity-token` (and `--rekor-version` on the first two), one check per row and command:
 * tokens refused before any request, a stand-in OIDC provider for the client secret and the
 * paste-the-code flow, the local Sigstore instance for the Rekor version actually used.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { type StandIn, startStandIn } from '../oidc/stand-in-oauth.js';
import { type Check, cli, cliAsync, DEAD_ISSUER, FAKE_BROWSER, fails, helpLists, ok, PROD_CONFIG, signing, token, workdir } from './compat-helpers.js';

type Cmd = 'sign' | 'attest' | 'get-identity-token';

/** A stand-in OIDC provider that demands client secret `shh`, started on first use. */
let standIn: Promise<StandIn> | undefined;
after(async () => {
  if (standIn) await (await standIn).close();
});
function withSecret(): Promise<StandIn> {
  standIn ??= startStandIn({ clientId: 'sigstore', clientSecret: 'shh' });
  return standIn;
}

/** The command's arguments around `extra`: a fresh input, and trust material from a file (no network). */
function argv(cmd: Cmd, extra: string[]): string[] {
  if (cmd === 'get-identity-token') return ['get-identity-token', ...extra];
  const w = workdir();
  if (cmd === 'sign') return ['--trust-config', PROD_CONFIG, 'sign', ...extra, join(w, 'a.txt')];
  writeFileSync(join(w, 'pred.json'), '{"x": 1}');
  return ['--trust-config', PROD_CONFIG, 'attest', '--predicate', join(w, 'pred.json'), '--predicate-type', 'https://example.com/t', ...extra, join(w, 'a.txt')];
}
const run = (cmd: Cmd, extra: string[], env: Record<string, string> = {}) => cli(argv(cmd, extra), env);

/** Signs with the local instance and returns the Rekor entry's kind version. */
async function signedVersion(cmd: 'sign' | 'attest', extra: string[], env: Record<string, string> = {}, tokenVar = false): Promise<string> {
  const w = workdir();
  writeFileSync(join(w, 'pred.json'), '{"x": 1}');
  const pre = cmd === 'attest' ? ['--predicate', join(w, 'pred.json'), '--predicate-type', 'https://example.com/t'] : [];
  const r = await signing([cmd], [...pre, ...extra, join(w, 'a.txt')], env, tokenVar);
  ok(r, `${cmd} ${extra.join(' ')}`);
  const b = JSON.parse(readFileSync(join(w, 'a.txt.sigstore.json'), 'utf8'));
  return b.verificationMaterial.tlogEntries[0].kindVersion.version as string;
}

/** The interactive login against the stand-in provider that demands client secret `shh`. */
async function secretLogin(cmd: Cmd, extra: string[], env: Record<string, string>): Promise<void> {
  const idp = await withSecret();
  const base = ['--oidc-disable-ambient-providers', '--oidc-issuer', idp.issuer];
  const browser = { BROWSER: `${process.execPath} ${FAKE_BROWSER} %s` };
  const without = await cliAsync(argv(cmd, base), browser);
  fails(without, 1, /client authentication failed|invalid_client/, 'without the secret the provider refuses');
  const n = idp.tokenRequests.length;
  const r = await cliAsync(argv(cmd, [...base, ...extra]), { ...browser, ...env });
  assert.equal(idp.tokenRequests.length, n + 1, 'one token request');
  assert.equal(idp.tokenRequests.at(-1)!.clientAuth, 'basic', 'the secret authenticates the client');
  assert.doesNotMatch(r.stderr, /client authentication failed|invalid_client/);
  if (cmd === 'get-identity-token') ok(r, 'the token');
}

/** The paste-the-code flow: the link's redirect is the out-of-band URN, and no code typed fails. */
async function oob(cmd: Cmd, extra: string[], env: Record<string, string>): Promise<void> {
  const idp = await withSecret();
  const r = await cliAsync(argv(cmd, ['--oidc-disable-ambient-providers', '--oidc-issuer', idp.issuer, ...extra]), { BROWSER: '/bin/false', ...env });
  fails(r, 1, /no verification code was entered/, 'no code');
  assert.match(r.stderr, /redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2\.0%3Aoob/, 'an out-of-band link');
}

export function oidcChecks(cmd: Cmd): Record<string, Check> {
  const help = cmd === 'get-identity-token' ? ['get-identity-token'] : [cmd];
  const checks: Record<string, Check> = {
    [`${cmd} --oidc-client-id`]: () => {
      fails(run(cmd, ['--identity-token', token(), '--oidc-client-id', 'my-client']), 1, /audience/, 'the client ID is the audience');
      const r = run(cmd, ['--identity-token', token({ aud: 'my-client' }), '--oidc-client-id', 'my-client']);
      assert.doesNotMatch(r.stderr, /audience/, 'matching audience');
      fails(run(cmd, ['--identity-token', token({ aud: 'my-client' })]), 1, /audience/, 'default sigstore');
      helpLists(help, '--oidc-client-id ID', 'sigstore');
    },
    [`${cmd} SIGSTORE_OIDC_CLIENT_ID`]: () => {
      fails(run(cmd, ['--identity-token', token()], { SIGSTORE_OIDC_CLIENT_ID: 'my-client' }), 1, /audience/, 'the variable');
      fails(run(cmd, ['--identity-token', token({ aud: 'my-client' }), '--oidc-client-id', 'sigstore'], { SIGSTORE_OIDC_CLIENT_ID: 'my-client' }), 1, /audience/, 'the flag wins');
      helpLists(help, 'SIGSTORE_OIDC_CLIENT_ID');
    },
    [`${cmd} --oidc-client-secret`]: () => secretLogin(cmd, ['--oidc-client-secret', 'shh'], {}),
    [`${cmd} SIGSTORE_OIDC_CLIENT_SECRET`]: () => secretLogin(cmd, [], { SIGSTORE_OIDC_CLIENT_SECRET: 'shh' }),
    [`${cmd} --oidc-disable-ambient-providers`]: () => {
      const env = { GITHUB_ACTIONS: 'true', SIGSTORE_OIDC_ISSUER: DEAD_ISSUER };
      fails(run(cmd, [], env), 1, /GitHub Actions/, 'ambient detection');
      const off = run(cmd, ['--oidc-disable-ambient-providers'], env);
      fails(off, 1, /127\.0\.0\.1:9/, 'disabled: straight to the login');
      assert.doesNotMatch(off.stderr, /GitHub Actions/);
      helpLists(help, '--oidc-disable-ambient-providers', 'GitHub Actions, Google', 'Buildkite, GitLab CI, CircleCI');
    },
    [`${cmd} SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS`]: () => {
      const env = { GITHUB_ACTIONS: 'true', SIGSTORE_OIDC_ISSUER: DEAD_ISSUER };
      fails(run(cmd, [], { ...env, SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS: 'yes' }), 1, /127\.0\.0\.1:9/, 'the variable');
      fails(run(cmd, [], { ...env, SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS: 'maybe' }), 2, /SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS/, 'invalid');
    },
    [`${cmd} --oidc-issuer`]: () => {
      fails(run(cmd, ['--oidc-disable-ambient-providers', '--oidc-issuer', DEAD_ISSUER]), 1, /127\.0\.0\.1:9\/dead-issuer/, 'the flag');
      fails(run(cmd, ['--oidc-issuer', 'not a url']), 2, /not a URL/, 'not a URL');
      helpLists(help, '--oidc-issuer URL', 'signing config');
    },
    [`${cmd} SIGSTORE_OIDC_ISSUER`]: () => {
      fails(run(cmd, ['--oidc-disable-ambient-providers'], { SIGSTORE_OIDC_ISSUER: DEAD_ISSUER }), 1, /127\.0\.0\.1:9\/dead-issuer/, 'the variable');
      fails(run(cmd, ['--oidc-disable-ambient-providers', '--oidc-issuer', `${DEAD_ISSUER}/flag`], { SIGSTORE_OIDC_ISSUER: DEAD_ISSUER }), 1, /dead-issuer\/flag/, 'the flag wins');
    },
    [`${cmd} --oauth-force-oob`]: () => oob(cmd, ['--oauth-force-oob'], {}),
    [`${cmd} SIGSTORE_OAUTH_FORCE_OOB`]: async () => {
      await oob(cmd, [], { SIGSTORE_OAUTH_FORCE_OOB: '1' });
      fails(run(cmd, [], { SIGSTORE_OAUTH_FORCE_OOB: 'maybe' }), 2, /SIGSTORE_OAUTH_FORCE_OOB/, 'read as a boolean');
    },
  };
  if (cmd === 'get-identity-token') return checks;
  return {
    ...checks,
    [`${cmd} --identity-token`]: async () => {
      fails(run(cmd, ['--identity-token', 'not-a-jwt']), 1, /not a JWT/, 'checked before any request');
      assert.equal(await signedVersion(cmd, ['--rekor-version', '1']), '0.0.1', 'signed with the token given');
      helpLists(help, '--identity-token TOKEN', 'SIGSTORE_IDENTITY_TOKEN');
    },
    [`${cmd} SIGSTORE_IDENTITY_TOKEN`]: async () => {
      fails(run(cmd, [], { SIGSTORE_IDENTITY_TOKEN: 'not-a-jwt' }), 1, /not a JWT/, 'the variable is read');
      fails(run(cmd, ['--identity-token', token({ aud: 'x' })], { SIGSTORE_IDENTITY_TOKEN: 'not-a-jwt' }), 1, /audience/, 'the flag wins');
      assert.equal(await signedVersion(cmd, ['--rekor-version', '1'], {}, true), '0.0.1', 'signed with the token from the variable');
    },
    [`${cmd} --rekor-version`]: async () => {
      fails(run(cmd, ['--rekor-version', '3']), 2, /--rekor-version must be 1 or 2/, 'only 1 or 2');
      assert.equal(await signedVersion(cmd, ['--rekor-version', '1']), '0.0.1', 'Rekor v1');
      assert.equal(await signedVersion(cmd, ['--rekor-version', '2']), '0.0.2', 'Rekor v2');
      helpLists(help, '--rekor-version {1,2}');
    },
    [`${cmd} SIGSTORE_REKOR_VERSION`]: async () => {
      fails(run(cmd, [], { SIGSTORE_REKOR_VERSION: '3' }), 2, /--rekor-version must be 1 or 2/, 'only 1 or 2');
      assert.equal(await signedVersion(cmd, [], { SIGSTORE_REKOR_VERSION: '1' }), '0.0.1', 'the variable');
      assert.equal(await signedVersion(cmd, ['--rekor-version', '2'], { SIGSTORE_REKOR_VERSION: '1' }), '0.0.2', 'the flag wins');
      helpLists(help, 'SIGSTORE_REKOR_VERSION');
    },
  };
}
