/**
 * docs/compat.md, "sigstore-python: verify identity" and "verify github": every option and
 * variable of each command exercised. Bundles: the conformance fixtures, offline; detached
 * `--certificate`/`--signature`: signed and verified with the local Sigstore instance
 * (in-process), whose log answers the entry lookup.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { A_TXT, type Check, checkSection, cli, DEFAULT_IDENTITY, DEFAULT_ISSUER, detached, dir, fails, HAPPY, helpLists, ID, inProcess, ok, STAGING, VERIFY } from './compat-helpers.js';

/** The rows of the verification inputs both commands define, for `sub`. */
function inputChecks(sub: 'identity' | 'github'): Record<string, Check> {
  const p = `verify ${sub}`;
  /** Verifies the detached signature (identity) or reaches the GitHub policy with it (github). */
  async function runDetached(args: string[], env: Record<string, string> = {}) {
    const d = await detached();
    const policy = sub === 'identity' ? ['--cert-identity', d.identity, '--cert-oidc-issuer', d.issuer] : ['--cert-identity', d.identity];
    return inProcess(['--trust-config', d.cfg, 'verify', sub, ...policy, ...args, d.a], env);
  }
  function detachedOk(r: { code: number; stderr: string }, what: string) {
    if (sub === 'identity') ok(r, what);
    // The materials are read and verified up to the policy, which wants GitHub Actions' issuer.
    else fails(r, 1, /FAIL: .*issuer/i, what);
  }
  const bundleArgs = sub === 'identity' ? [...VERIFY, ...ID] : ['verify', 'github', '--offline', '--cert-identity', DEFAULT_IDENTITY];
  const bundled = ['verify', sub, ...(sub === 'identity' ? ID : ['--cert-identity', DEFAULT_IDENTITY]), '--bundle', HAPPY, A_TXT];
  return {
    [`${p} --certificate`]: async () => {
      const d = await detached();
      detachedOk(await runDetached(['--certificate', d.crt, '--signature', d.sig]), '--certificate');
      detachedOk(await runDetached(['--cert', d.crt, '--signature', d.sig]), '--cert');
      fails(await runDetached(['--cert', d.sig, '--signature', d.sig]), 2, /is not a PEM or DER X\.509 certificate/, 'another file is not a certificate');
      helpLists(['verify', sub], '--certificate FILE, --cert FILE');
    },
    [`${p} SIGSTORE_CERTIFICATE`]: async () => {
      const d = await detached();
      detachedOk(await runDetached(['--signature', d.sig], { SIGSTORE_CERTIFICATE: d.crt }), 'the variable');
      fails(await runDetached(['--certificate', d.sig, '--signature', d.sig], { SIGSTORE_CERTIFICATE: d.crt }), 2, /is not a PEM or DER X\.509 certificate/, 'the flag wins');
      helpLists(['verify', sub], 'SIGSTORE_CERTIFICATE');
    },
    [`${p} --signature`]: async () => {
      const d = await detached();
      detachedOk(await runDetached(['--certificate', d.crt, '--signature', d.sig]), '--signature');
      fails(await runDetached(['--certificate', d.crt, '--signature', d.crt]), 1, /signature/i, 'another file is not the signature');
      helpLists(['verify', sub], '--signature FILE');
    },
    [`${p} SIGSTORE_SIGNATURE`]: async () => {
      const d = await detached();
      detachedOk(await runDetached(['--certificate', d.crt], { SIGSTORE_SIGNATURE: d.sig }), 'the variable');
      fails(await runDetached(['--certificate', d.crt, '--signature', d.crt], { SIGSTORE_SIGNATURE: d.sig }), 1, /signature/i, 'the flag wins');
      helpLists(['verify', sub], 'SIGSTORE_SIGNATURE');
    },
    [`${p} --bundle`]: () => {
      ok(cli([...bundleArgs, '--bundle', HAPPY, A_TXT]), '--bundle');
      fails(cli([...bundleArgs, '--bundle', STAGING, A_TXT]), 1, /^FAIL: /m, 'another bundle is checked');
      helpLists(['verify', sub], '--bundle FILE');
    },
    [`${p} SIGSTORE_BUNDLE`]: () => {
      ok(cli([...bundleArgs, A_TXT], { SIGSTORE_BUNDLE: HAPPY }), 'the variable');
      ok(cli([...bundleArgs, '--bundle', HAPPY, A_TXT], { SIGSTORE_BUNDLE: STAGING }), 'the flag wins');
      fails(cli([...bundleArgs, A_TXT], { SIGSTORE_BUNDLE: STAGING }), 1, /^FAIL: /m, 'the variable is checked');
      helpLists(['verify', sub], 'SIGSTORE_BUNDLE');
    },
    [`${p} --offline`]: () => {
      // An empty trust cache and no network: only --offline (the embedded trust material) verifies.
      const cache = { SIGSTORE_TRUST_CACHE: mkdtempSync(join(dir, 'cache-')) };
      const [cmd, ...rest] = bundled;
      ok(cli([cmd!, ...rest.slice(0, 1), '--offline', ...rest.slice(1)], cache), '--offline');
      fails(cli(bundled, cache), 1, /trust material|TUF/, 'without it, the trust material is refreshed');
      helpLists(['verify', sub], '--offline');
    },
    [`${p} SIGSTORE_OFFLINE`]: () => {
      const cache = { SIGSTORE_TRUST_CACHE: mkdtempSync(join(dir, 'cache-')) };
      ok(cli(bundled, { ...cache, SIGSTORE_OFFLINE: '1' }), 'the variable');
      fails(cli(bundled, { ...cache, SIGSTORE_OFFLINE: 'off' }), 1, /trust material|TUF/, 'a false value');
      fails(cli(bundled, { ...cache, SIGSTORE_OFFLINE: 'maybe' }), 2, /SIGSTORE_OFFLINE must be a boolean/, 'invalid');
      helpLists(['verify', sub], 'SIGSTORE_OFFLINE');
    },
  };
}

/** The happy-path certificate's GitHub workflow claims, read with `inspect --json`. */
function claims(): Record<string, string> {
  const r = cli(['inspect', '--json', HAPPY]);
  ok(r, 'inspect');
  return JSON.parse(r.stdout).signer.fulcioExtensions as Record<string, string>;
}
const GH = ['verify', 'github', '--offline', '--cert-identity', DEFAULT_IDENTITY, '--bundle', HAPPY, A_TXT];
function githubFlag(name: string, variable: string, field: string): Check {
  return () => {
    const right = claims()[field]!;
    assert.ok(right, field);
    ok(cli([...GH, `--${name}`, right]), `--${name} right`);
    fails(cli([...GH, `--${name}`, 'wrong']), 1, new RegExp(field), `--${name} wrong`);
    ok(cli([...GH, `--${name}`, right], { [variable]: 'wrong' }), 'the flag wins over the variable');
    helpLists(['verify', 'github'], `--${name}`);
  };
}
function githubVariable(variable: string, field: string): Check {
  return () => {
    const right = claims()[field]!;
    fails(cli(GH, { [variable]: 'wrong' }), 1, new RegExp(field), `${variable}=wrong`);
    ok(cli(GH, { [variable]: right }), `${variable} right`);
    helpLists(['verify', 'github'], variable);
  };
}
const CLAIMS: [string, string, string][] = [
  ['trigger', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_TRIGGER', 'githubWorkflowTrigger'],
  ['sha', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_SHA', 'githubWorkflowSha'],
  ['name', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_NAME', 'githubWorkflowName'],
  ['repository', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY', 'githubWorkflowRepository'],
  ['ref', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_REF', 'githubWorkflowRef'],
];

checkSection('sigstore-python: verify identity', {
  ...inputChecks('identity'),
  'verify identity --cert-identity': () => {
    const rest = ['--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT];
    ok(cli([...VERIFY, '--cert-identity', DEFAULT_IDENTITY, ...rest]), 'right');
    fails(cli([...VERIFY, '--cert-identity', 'x@example.com', ...rest]), 1, /does not match/, 'wrong');
    fails(cli([...VERIFY, ...rest]), 2, /--cert-identity/, 'required');
    helpLists(['verify', 'identity'], '--cert-identity IDENTITY');
  },
  'verify identity SIGSTORE_CERT_IDENTITY': () => {
    const rest = ['--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT];
    ok(cli([...VERIFY, ...rest], { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY }), 'the variable');
    fails(cli([...VERIFY, ...rest], { SIGSTORE_CERT_IDENTITY: 'x@example.com' }), 1, /does not match/, 'the variable is checked');
    fails(cli([...VERIFY, '--cert-identity', 'x@example.com', ...rest], { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY }), 1, /does not match/, 'the flag wins');
    helpLists(['verify', 'identity'], 'SIGSTORE_CERT_IDENTITY');
  },
  'verify identity --cert-oidc-issuer': () => {
    const rest = ['--cert-identity', DEFAULT_IDENTITY, '--bundle', HAPPY, A_TXT];
    ok(cli([...VERIFY, '--cert-oidc-issuer', DEFAULT_ISSUER, ...rest]), 'right');
    fails(cli([...VERIFY, '--cert-oidc-issuer', 'https://accounts.google.com', ...rest]), 1, /issuer/, 'wrong');
    fails(cli([...VERIFY, ...rest]), 2, /--cert-oidc-issuer/, 'required');
    helpLists(['verify', 'identity'], '--cert-oidc-issuer URL');
  },
  'verify identity SIGSTORE_CERT_OIDC_ISSUER': () => {
    const rest = ['--cert-identity', DEFAULT_IDENTITY, '--bundle', HAPPY, A_TXT];
    ok(cli([...VERIFY, ...rest], { SIGSTORE_CERT_OIDC_ISSUER: DEFAULT_ISSUER }), 'the variable');
    fails(cli([...VERIFY, ...rest], { SIGSTORE_CERT_OIDC_ISSUER: 'https://accounts.google.com' }), 1, /issuer/, 'the variable is checked');
    fails(cli([...VERIFY, '--cert-oidc-issuer', 'https://accounts.google.com', ...rest], { SIGSTORE_CERT_OIDC_ISSUER: DEFAULT_ISSUER }), 1, /issuer/, 'the flag wins');
    helpLists(['verify', 'identity'], 'SIGSTORE_CERT_OIDC_ISSUER');
  },
});

checkSection('sigstore-python: verify github', {
  ...inputChecks('github'),
  'verify github --cert-identity': () => {
    const base = ['verify', 'github', '--offline', '--bundle', HAPPY, A_TXT];
    ok(cli([...base, '--cert-identity', DEFAULT_IDENTITY]), 'right');
    fails(cli([...base, '--cert-identity', 'https://github.com/x/y/.github/workflows/z.yml@refs/heads/main']), 1, /does not match/, 'wrong');
    helpLists(['verify', 'github'], '--cert-identity IDENTITY');
  },
  'verify github SIGSTORE_CERT_IDENTITY': () => {
    const base = ['verify', 'github', '--offline', '--bundle', HAPPY, A_TXT];
    ok(cli(base, { SIGSTORE_CERT_IDENTITY: DEFAULT_IDENTITY }), 'the variable');
    fails(cli(base, { SIGSTORE_CERT_IDENTITY: 'https://github.com/x/y/.github/workflows/z.yml@refs/heads/main' }), 1, /does not match/, 'the variable is checked');
    helpLists(['verify', 'github'], 'SIGSTORE_CERT_IDENTITY');
  },
  ...Object.fromEntries(CLAIMS.flatMap(([name, variable, field]) => [[`verify github --${name}`, githubFlag(name, variable, field)], [`verify github ${variable}`, githubVariable(variable, field)]])),
  'verify github: issuer': async () => {
    const d = await detached();
    const r = await inProcess(['--trust-config', d.cfg, 'verify', 'github', '--cert-identity', d.identity, '--certificate', d.crt, '--signature', d.sig, d.a]);
    fails(r, 1, /FAIL: .*issuer/i, "another issuer than GitHub Actions' is refused");
    ok(await inProcess(['--trust-config', d.cfg, 'verify', 'identity', '--cert-identity', d.identity, '--cert-oidc-issuer', d.issuer, '--certificate', d.crt, '--signature', d.sig, d.a]), 'which verify identity accepts');
  },
  'verify github: every given check': () => {
    const c = claims();
    const all = ['--trigger', c.githubWorkflowTrigger!, '--sha', c.githubWorkflowSha!, '--name', c.githubWorkflowName!, '--repository', c.githubWorkflowRepository!, '--ref', c.githubWorkflowRef!];
    ok(cli([...GH, ...all]), 'all right');
    for (let i = 0; i < all.length; i += 2) {
      const one = [...all];
      one[i + 1] = 'wrong';
      fails(cli([...GH, ...one]), 1, /^FAIL: /m, `${all[i]} wrong, the others right`);
    }
  },
  'verify github: an identity is required': () => {
    fails(cli(['verify', 'github', '--offline', '--bundle', HAPPY, A_TXT]), 2, /--cert-identity.*--repository/, 'one of the two');
    ok(cli(['verify', 'github', '--offline', '--repository', claims().githubWorkflowRepository!, '--bundle', HAPPY, A_TXT]), '--repository alone');
  },
});
