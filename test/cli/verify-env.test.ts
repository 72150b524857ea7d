/**
 * `sigstore verify` reads sigstore-python's environment variables (flag over variable) and never
 * widens a policy silently: a repeated single-valued identity flag is a usage error, "any of"
 * needs --any-cert-identity.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';

const HAPPY = join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json');
const A_TXT = join(CONFORMANCE_DIR, 'a.txt');
const REPO = 'sigstore-conformance/extremely-dangerous-public-oidc-beacon';
const GH = ['verify', 'github', '--offline', '--bundle', HAPPY];
const ID = ['verify', 'identity', '--offline', '--bundle', HAPPY];

/** Environment with none of the variables under test inherited from the caller's. */
function env(vars: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SIGSTORE_')) e[k] = v;
  return { ...e, ...vars };
}
const run = (args: string[], vars: Record<string, string> = {}) => runCli(args, { env: env(vars) });

describe('verify github: SIGSTORE_VERIFY_GITHUB_WORKFLOW_* are checked, not ignored', () => {
  const cases: [string, string, string][] = [
    ['SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY', 'wrong/repo', 'githubWorkflowRepository'],
    ['SIGSTORE_VERIFY_GITHUB_WORKFLOW_REF', 'refs/heads/nope', 'githubWorkflowRef'],
    ['SIGSTORE_VERIFY_GITHUB_WORKFLOW_TRIGGER', 'release', 'githubWorkflowTrigger'],
    ['SIGSTORE_VERIFY_GITHUB_WORKFLOW_SHA', '0000000000000000000000000000000000000000', 'githubWorkflowSha'],
    ['SIGSTORE_VERIFY_GITHUB_WORKFLOW_NAME', 'not-the-workflow', 'githubWorkflowName'],
  ];
  for (const [variable, value, claim] of cases) {
    it(`${variable}=${value} fails the policy`, () => {
      const r = run([...GH, '--cert-identity', DEFAULT_IDENTITY, A_TXT], { [variable]: value });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`FAIL: .*\\[policy\\].*${claim}`));
    });
  }

  it('the repository variable alone is a policy (no --repository needed)', () => {
    assert.equal(run([...GH, A_TXT], { SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY: REPO }).code, 0);
    assert.equal(run([...GH, A_TXT], { SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY: 'wrong/repo' }).code, 1);
  });

  it('a flag wins over its variable; an empty variable is unset', () => {
    const r = run([...GH, '--repository', REPO, A_TXT], { SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY: 'wrong/repo' });
    // The flag replaces the variable: the flag's value is checked, and it matches.
    assert.equal(r.code, 0, r.stderr);
    assert.equal(run([...GH, '--repository', REPO, A_TXT], { SIGSTORE_VERIFY_GITHUB_WORKFLOW_REF: '' }).code, 0);
  });

  it('a repeated claim flag is a usage error', () => {
    const r = run([...GH, '--repository', 'wrong/repo', '--repository', REPO, A_TXT]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--repository was given 2 times/);
  });
});

describe('verify identity: SIGSTORE_CERT_IDENTITY, SIGSTORE_CERT_OIDC_ISSUER, SIGSTORE_BUNDLE', () => {
  it('the variables stand in for the flags', () => {
    const r = run(['verify', 'identity', '--offline', A_TXT], { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY, SIGSTORE_CERT_OIDC_ISSUER: DEFAULT_ISSUER, SIGSTORE_BUNDLE: HAPPY });
    assert.equal(r.code, 0, r.stderr);
    const wrong = run([...ID, A_TXT], { SIGSTORE_CERT_IDENTITY: 'someone@example.com', SIGSTORE_CERT_OIDC_ISSUER: DEFAULT_ISSUER });
    assert.equal(wrong.code, 1);
    const wrongIssuer = run([...ID, A_TXT], { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY, SIGSTORE_CERT_OIDC_ISSUER: 'https://accounts.google.com' });
    assert.equal(wrongIssuer.code, 1);
  });

  it('a flag wins over its variable', () => {
    const r = run([...ID, '--cert-identity', DEFAULT_IDENTITY, A_TXT], { SIGSTORE_CERT_IDENTITY: 'someone@example.com', SIGSTORE_CERT_OIDC_ISSUER: DEFAULT_ISSUER });
    assert.equal(r.code, 0, r.stderr);
    const r2 = run([...ID, '--cert-identity', 'someone@example.com', A_TXT], { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY, SIGSTORE_CERT_OIDC_ISSUER: DEFAULT_ISSUER });
    assert.equal(r2.code, 1);
  });

  it('no identity anywhere is a usage error naming the variable', () => {
    const r = run([...ID, '--cert-oidc-issuer', DEFAULT_ISSUER, A_TXT]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SIGSTORE_CERT_IDENTITY/);
  });
});

describe('never widen silently', () => {
  it('a repeated --cert-identity is a usage error that points to --any-cert-identity', () => {
    const r = run([...ID, '--cert-identity', 'x@y', '--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER, A_TXT]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--cert-identity was given 2 times.*--any-cert-identity/);
    assert.equal(hasStackTrace(r.stderr), false);
  });

  it('a repeated --cert-oidc-issuer is a usage error', () => {
    const r = run([...ID, '--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', 'https://accounts.google.com', '--cert-oidc-issuer', DEFAULT_ISSUER, A_TXT]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--cert-oidc-issuer was given 2 times/);
  });

  it('--cert-identity and --cert-identity-regexp together are refused, not combined as "any of"', () => {
    const r = run([...ID, '--cert-identity', 'x@y', '--cert-identity-regexp', '.*', '--cert-oidc-issuer', DEFAULT_ISSUER, A_TXT]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot be used together/);
  });

  it('--any-cert-identity accepts any of the identities given, and only those', () => {
    assert.equal(run([...ID, '--any-cert-identity', 'x@y', '--any-cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER, A_TXT]).code, 0);
    assert.equal(run([...ID, '--any-cert-identity', 'x@y', '--any-cert-identity', 'z@y', '--cert-oidc-issuer', DEFAULT_ISSUER, A_TXT]).code, 1);
  });
});
