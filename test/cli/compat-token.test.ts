/**
 * docs/compat.md, "sigstore-python: get-identity-token and plumbing": every row exercised, the
 * OIDC rows as on sign and attest, fix-bundle with the conformance fixtures and the local
 * instance's Rekor, update-trust-root with the local instance's TUF repository.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { githubClaims, json, makeJwt, serve } from '../oidc/helpers.js';
import { bundleOf, checkSection, cli, cliAsync, DEAD_ISSUER, fails, HAPPY, helpLists, inProcess, localInstance, ok, PROD_CONFIG, signing, token, workdir } from './compat-helpers.js';
import { oidcChecks } from './compat-oidc.js';

const V01 = bundleOf('happy-path-v0.1');
const NO_PROXY = { NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' };
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

checkSection('sigstore-python: get-identity-token and plumbing', {
  ...oidcChecks('get-identity-token'),
  'get-identity-token: the token on stdout': () => {
    const t = token();
    const r = cli(['get-identity-token'], { SIGSTORE_IDENTITY_TOKEN: t });
    ok(r, 'get-identity-token');
    assert.equal(r.stdout, `${t}\n`, 'the token alone');
    assert.ok(!r.stderr.includes(t.split('.')[1]!), 'nowhere else');
  },
  'get-identity-token: ambient first': async () => {
    const ghToken = makeJwt(githubClaims());
    const gh = await serve((req, res) => (req.headers.authorization === 'bearer req-token' ? json(res, 200, { value: ghToken }) : json(res, 401, {})));
    closers.push(gh.close);
    const env = { ...NO_PROXY, GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: `${gh.url}/token`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-token', SIGSTORE_OIDC_ISSUER: DEAD_ISSUER };
    const r = await cliAsync(['get-identity-token'], env);
    ok(r, 'ambient GitHub Actions credentials');
    assert.equal(r.stdout, `${ghToken}\n`, 'before the (dead) interactive issuer');
  },
  "get-identity-token: the instance's issuer": () => {
    const cfg = JSON.parse(readFileSync(PROD_CONFIG, 'utf8'));
    for (const u of cfg.signingConfig.oidcUrls as { url: string }[]) u.url = DEAD_ISSUER;
    const edited = join(workdir(), 'trust-config.json');
    writeFileSync(edited, JSON.stringify(cfg));
    fails(cli(['--trust-config', edited, 'get-identity-token', '--oidc-disable-ambient-providers']), 1, /127\.0\.0\.1:9\/dead-issuer/, "--trust-config: its signing config's issuer");
    fails(cli(['--staging', 'get-identity-token', '--oidc-disable-ambient-providers'], { SIGSTORE_OFFLINE: '1' }), 1, /sigstage\.dev/, "--staging: staging's issuer");
  },
  'plumbing fix-bundle --bundle': () => {
    ok(cli(['plumbing', 'fix-bundle', '--bundle', V01]), '--bundle');
    fails(cli(['plumbing', 'fix-bundle']), 2, /--bundle/, 'required');
    helpLists(['plumbing', 'fix-bundle'], '--bundle FILE');
  },
  'plumbing fix-bundle --upgrade-version': () => {
    const r = cli(['plumbing', 'fix-bundle', '--bundle', V01, '--upgrade-version']);
    ok(r, '--upgrade-version');
    assert.equal(JSON.parse(r.stdout).mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(JSON.parse(cli(['plumbing', 'fix-bundle', '--bundle', V01]).stdout).mediaType, JSON.parse(readFileSync(V01, 'utf8')).mediaType, 'not without it');
  },
  'plumbing fix-bundle --in-place': () => {
    const b = join(workdir({ 'b.json': V01 }), 'b.json');
    const r = cli(['plumbing', 'fix-bundle', '--bundle', b, '--upgrade-version', '--in-place']);
    ok(r, '--in-place');
    assert.equal(r.stdout, '', 'nothing printed');
    assert.equal(JSON.parse(readFileSync(b, 'utf8')).mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json', 'the file rewritten');
  },
  'plumbing fix-bundle: output': () => {
    const r = cli(['plumbing', 'fix-bundle', '--bundle', HAPPY]);
    ok(r, 'fix-bundle');
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(readFileSync(HAPPY, 'utf8')), 'a complete bundle, unchanged, on stdout');
  },
  'plumbing fix-bundle: one log entry': () => {
    const w = workdir();
    for (const [name, entries] of [['zero', []], ['two', [0, 1]]] as const) {
      const b = JSON.parse(readFileSync(HAPPY, 'utf8'));
      const e = b.verificationMaterial.tlogEntries[0];
      b.verificationMaterial.tlogEntries = entries.map((i) => ({ ...e, logIndex: String(Number(e.logIndex) + i) }));
      writeFileSync(join(w, `${name}.json`), JSON.stringify(b));
      fails(cli(['plumbing', 'fix-bundle', '--bundle', join(w, `${name}.json`)]), 1, /unfixable bundle: must have exactly one log entry/, `${name} entries`);
    }
  },
  'plumbing fix-bundle: missing checkpoint': async () => {
    const t = await localInstance();
    const w = workdir();
    const a = join(w, 'a.txt');
    ok(await signing(['sign'], ['--rekor-version', '1', a]), 'sign');
    const b = JSON.parse(readFileSync(`${a}.sigstore.json`, 'utf8'));
    const checkpoint = b.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
    delete b.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
    writeFileSync(join(w, 'broken.json'), JSON.stringify(b));
    const cfg = JSON.parse(readFileSync(t.trustConfigPath, 'utf8'));
    writeFileSync(join(w, 'trusted_root.json'), JSON.stringify(cfg.trustedRoot));
    const rekor = (cfg.signingConfig.rekorTlogUrls as { url: string; majorApiVersion: number }[]).find((r) => r.majorApiVersion === 1)!.url;
    const r = await inProcess(['plumbing', 'fix-bundle', '--bundle', join(w, 'broken.json'), '--rekor-url', rekor, '--trusted-root', join(w, 'trusted_root.json')]);
    ok(r, 'fix-bundle');
    assert.ok(JSON.parse(r.stdout).verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope, 'the checkpoint restored');
    assert.ok(checkpoint.envelope);
  },
  'plumbing update-trust-root': async () => {
    const t = await localInstance();
    const w = workdir();
    const inst = t.inst as unknown as { tufUrl: string; tufRoot: unknown };
    writeFileSync(join(w, 'root.json'), JSON.stringify(inst.tufRoot));
    const cache = join(w, 'cache');
    ok(await cliAsync(['trust-instance', '--instance', inst.tufUrl, '--trust-cache', cache, join(w, 'root.json')], NO_PROXY), 'trust-instance');
    const r = await cliAsync(['plumbing', 'update-trust-root', '--instance', inst.tufUrl, '--trust-cache', cache], NO_PROXY);
    ok(r, 'update-trust-root');
    assert.match(r.stderr, /updated the trust material of/);
  },
  'plumbing update-trust-root --staging': () => {
    const w = workdir();
    const r = cli(['--staging', 'plumbing', 'update-trust-root', '--trust-cache', join(w, 'cache')]);
    fails(r, 1, /tuf-repo-cdn\.sigstage\.dev|staging/, "staging's TUF repository (unreachable here)");
  },
});
