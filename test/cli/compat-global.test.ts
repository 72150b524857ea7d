/**
 * docs/compat.md, "sigstore-python: global": the global options and variables, exit statuses
 * and argument conventions, every row exercised with the built CLI (offline verification of the
 * conformance fixtures).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { A_TXT, checkSection, cli, DEFAULT_IDENTITY, DEFAULT_ISSUER, fails, HAPPY, helpLists, ID, inProcess, localInstance, ok, PROD_CONFIG, ROOT, STAGING, VERIFY, workdir } from './compat-helpers.js';
import { hasStackTrace } from '../helpers/cli.js';

const NO_PROXY = { NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' };
/** Pins the local instance's TUF root with `trust-instance` (--instance before or after it), in a fresh cache. */
async function pinned(globalFlag: boolean): Promise<{ url: string; cache: string; a: string }> {
  const t = await localInstance();
  const inst = t.inst as unknown as { tufUrl: string; tufRoot: unknown };
  const w = workdir();
  writeFileSync(join(w, 'root.json'), JSON.stringify(inst.tufRoot));
  const cache = join(w, 'cache');
  const args = globalFlag ? ['--instance', inst.tufUrl, 'trust-instance'] : ['trust-instance', '--instance', inst.tufUrl];
  ok(await inProcess([...args, '--trust-cache', cache, join(w, 'root.json')], NO_PROXY), 'trust-instance');
  return { url: inst.tufUrl, cache, a: join(w, 'a.txt') };
}
const WRONG = [...VERIFY, '--cert-identity', 'x@example.com', '--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT];
const GOOD = [...VERIFY, ...ID, '--bundle', HAPPY, A_TXT];

checkSection('sigstore-python: global', {
  '-v': () => {
    const quiet = cli(WRONG);
    fails(quiet, 1, /^FAIL: /m, 'failure');
    assert.ok(!hasStackTrace(quiet.stderr));
    assert.ok(hasStackTrace(cli(['-v', ...WRONG]).stderr), '-v before the command');
    assert.ok(hasStackTrace(cli([...WRONG, '--verbose']).stderr), '--verbose after it');
    assert.ok(hasStackTrace(cli([...WRONG, '-vv']).stderr), '-vv');
    helpLists([], '-v, --verbose');
  },
  '-V': () => {
    for (const v of ['-V', '--version']) {
      const r = cli([v]);
      ok(r, v);
      assert.match(r.stdout, /^sigstore-ts \d+\.\d+\.\d+/, 'differs: its own name and version');
    }
  },
  '-h': () => {
    for (const cmd of [[], ['sign'], ['attest'], ['verify'], ['verify', 'identity'], ['verify', 'github'], ['get-identity-token'], ['plumbing'], ['plumbing', 'fix-bundle'], ['plumbing', 'update-trust-root']]) {
      for (const h of ['-h', '--help']) {
        const r = cli([...cmd, h]);
        ok(r, `${cmd.join(' ')} ${h}`);
        assert.match(r.stdout, new RegExp(`^usage: sigstore ${cmd.join(' ')}`), `${cmd.join(' ')} ${h}`);
      }
    }
  },
  '--staging': () => {
    fails(cli(['--staging', ...GOOD]), 1, /correct Sigstore instance/, 'the production bundle is not trusted');
    ok(cli(['--staging', ...VERIFY, '--cert-identity', 'x', '--cert-oidc-issuer', 'y', '--help']), 'accepted before any command');
    helpLists([], '--staging');
  },
  SIGSTORE_STAGING: () => {
    fails(cli(GOOD, { SIGSTORE_STAGING: '1' }), 1, /correct Sigstore instance/, 'SIGSTORE_STAGING=1');
    ok(cli(GOOD, { SIGSTORE_STAGING: 'off' }), 'SIGSTORE_STAGING=off');
    ok(cli([...GOOD, '--trusted-root', join(ROOT, 'trust', 'production', 'trusted_root.json')], { SIGSTORE_STAGING: '1' }), 'a flag choosing the trust wins');
    helpLists([], 'SIGSTORE_STAGING');
  },
  '--trust-config': () => {
    ok(cli(['--trust-config', PROD_CONFIG, ...GOOD]), '--trust-config');
    fails(cli(['--trust-config', PROD_CONFIG, ...VERIFY, ...ID, '--bundle', STAGING, A_TXT]), 1, /^FAIL: /m, 'its trusted root decides');
    helpLists([], '--trust-config FILE');
  },
  '--instance': async () => {
    fails(cli(['--instance', 'https://tuf.invalid', ...GOOD]), 1, /trust-instance/, 'an instance not pinned is refused, as 4.x does');
    const { url, cache, a } = await pinned(false);
    ok(await inProcess(['--instance', url, '--trust-cache', cache, 'sign', '--identity-token', await (await localInstance()).inst.token(), a], NO_PROXY), 'a pinned instance signs');
    helpLists([], '--instance URL');
  },
  'trust-instance': async () => {
    const { url, cache, a } = await pinned(true);
    ok(await inProcess(['--instance', url, '--trust-cache', cache, 'sign', '--identity-token', await (await localInstance()).inst.token(), a], NO_PROXY), 'then --instance signs');
    helpLists(['trust-instance'], 'ROOT_JSON');
  },
  'instance options are exclusive': () => {
    const pairs = [
      ['--staging', '--trust-config', PROD_CONFIG],
      ['--staging', '--instance', 'https://tuf.invalid'],
      ['--instance', 'https://tuf.invalid', '--trust-config', PROD_CONFIG],
    ];
    for (const p of pairs) fails(cli([...p, ...GOOD]), 2, /cannot be used together/, p.join(' '));
  },
  'default instance': () => {
    ok(cli(GOOD), 'production');
    fails(cli([...VERIFY, ...ID, '--bundle', STAGING, A_TXT]), 1, /correct Sigstore instance/, 'not staging');
  },
  SIGSTORE_LOGLEVEL: () => {
    assert.ok(hasStackTrace(cli(WRONG, { SIGSTORE_LOGLEVEL: 'debug' }).stderr), 'DEBUG is -v');
    for (const level of ['INFO', 'WARNING', 'error', 'CRITICAL']) {
      const r = cli(WRONG, { SIGSTORE_LOGLEVEL: level });
      fails(r, 1, /^FAIL: /m, `${level}: differs: the FAIL: line is kept`);
      assert.ok(!hasStackTrace(r.stderr), level);
    }
    fails(cli(WRONG, { SIGSTORE_LOGLEVEL: 'LOUD' }), 2, /SIGSTORE_LOGLEVEL/, 'an unknown level');
    helpLists([], 'SIGSTORE_LOGLEVEL');
  },
  'usage errors': () => {
    fails(cli(['verify', 'identity', '--frobnicate', A_TXT]), 2, /^sigstore: error: /m, 'an unknown option');
    fails(cli([]), 2, /^sigstore: error: /m, 'no command');
    fails(cli(['frobnicate']), 2, /^sigstore: error: /m, 'an unknown command');
  },
  failures: () => {
    const r = cli(WRONG);
    fails(r, 1, /^FAIL: /m, 'a failed verification');
    fails(cli(['get-identity-token', '--identity-token', 'not-a-jwt']), 1, /^error: /m, 'a refused token');
  },
  'repeated option': () => {
    ok(cli([...VERIFY, ...ID, '--bundle', STAGING, '--bundle', HAPPY, A_TXT]), 'the last --bundle wins');
    fails(cli([...VERIFY, ...ID, '--bundle', HAPPY, '--bundle', STAGING, A_TXT]), 1, /^FAIL: /m, 'the last --bundle wins (and is checked)');
    fails(cli([...VERIFY, '--cert-identity', 'x@example.com', ...ID, '--bundle', HAPPY, A_TXT]), 2, /--any-cert-identity/, 'differs: --cert-identity twice');
    fails(cli([...VERIFY, '--cert-oidc-issuer', 'https://x', ...ID, '--bundle', HAPPY, A_TXT]), 2, /given 2 times/, 'differs: --cert-oidc-issuer twice');
    fails(cli(['verify', 'github', '--offline', '--cert-identity', 'x', '--cert-identity', DEFAULT_IDENTITY, '--bundle', HAPPY, A_TXT]), 2, /--any-cert-identity/, 'differs: verify github');
  },
  'boolean variables': () => {
    for (const v of ['y', 'yes', 'true', 't', 'on', '1', 'YES', 'True']) fails(cli(GOOD, { SIGSTORE_STAGING: v }), 1, /correct Sigstore instance/, `${v} is true`);
    for (const v of ['n', 'no', 'false', 'f', 'off', '0', 'NO', 'False']) ok(cli(GOOD, { SIGSTORE_STAGING: v }), `${v} is false`);
    fails(cli(GOOD, { SIGSTORE_STAGING: 'maybe' }), 2, /SIGSTORE_STAGING/, 'anything else');
  },
});
