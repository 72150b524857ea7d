/**
 * Logs are matched by key, never by URL: the local instance publishes its Rekor v2 log in the
 * signing config under a URL that differs from the log's `baseUrl` in its trusted root (as
 * staging signs at global.rekor.sigstage.dev a log its trusted root calls
 * log2026-1.us-east4.rekor.sigstage.dev). Signing there and verifying the bundle works, through
 * a trust config and through TUF; sigstore-js agrees.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { cleanEnv, runCli, tempDir } from './helpers.js';

const tmp = tempDir('sigstore-logs-by-key-');
const artifact = join(tmp.dir, 'artifact.txt');
let inst: SigstoreInstance;
const env = cleanEnv({ NO_PROXY: '127.0.0.1' });

before(async () => {
  inst = await startInstance({ dataDir: join(tmp.dir, 'instance'), port: 0, rekorV2SigningPath: '/global-rekor' });
  writeFileSync(artifact, 'signed at a URL the trusted root does not list\n');
});
after(async () => {
  await inst?.stop();
  tmp.cleanup();
});

describe('a Rekor v2 signing URL that differs from the log baseUrl', () => {
  it('the signing config and the trusted root name the log differently', () => {
    const sc = inst.signingConfig as { rekorTlogUrls: { url: string; majorApiVersion: number }[] };
    const v2 = sc.rekorTlogUrls.find((s) => s.majorApiVersion === 2)!;
    assert.equal(v2.url, `${inst.url}/global-rekor`);
    const baseUrls = (inst.trustedRoot as { tlogs: { baseUrl: string }[] }).tlogs.map((t) => t.baseUrl);
    assert.ok(!baseUrls.includes(v2.url), `${v2.url} is not a baseUrl of the trusted root (${baseUrls.join(', ')})`);
  });

  it('signs with Rekor v2 there, and the bundle verifies (sigstore-ts with a trust config and through TUF, and sigstore-js)', async () => {
    const bundle = join(tmp.dir, 'v2.sigstore.json');
    const token = await inst.token();
    const s = await runCli(['sign', '--trust-config', inst.files.trustConfig, '--rekor-version', '2', '--identity-token', token, '--bundle', bundle, artifact], { env });
    assert.equal(s.status, 0, s.stderr);
    const b = JSON.parse(readFileSync(bundle, 'utf8')) as { verificationMaterial: { tlogEntries: { kindVersion: { version: string }; logId: { keyId: string } }[] } };
    const entry = b.verificationMaterial.tlogEntries[0]!;
    assert.equal(entry.kindVersion.version, '0.0.2', 'a Rekor v2 entry');
    const logIds = (inst.trustedRoot as { tlogs: { logId: { keyId: string } }[] }).tlogs.map((t) => t.logId.keyId);
    assert.ok(logIds.includes(entry.logId.keyId), 'the entry names its log by key ID');
    const who = ['--cert-identity', inst.identity, '--cert-oidc-issuer', inst.issuer, '--bundle', bundle, artifact];
    const v = await runCli(['verify', 'identity', '--trust-config', inst.files.trustConfig, ...who], { env });
    assert.equal(v.status, 0, v.stderr);
    const cache = join(tmp.dir, 'cache');
    const rootFile = join(tmp.dir, 'root.json');
    writeFileSync(rootFile, JSON.stringify(inst.tufRoot));
    const pin = await runCli(['trust-instance', rootFile, '--instance', inst.tufUrl, '--trust-cache', cache], { env });
    assert.equal(pin.status, 0, pin.stderr);
    const t = await runCli(['verify', 'identity', '--instance', inst.tufUrl, '--trust-cache', cache, ...who], { env });
    assert.equal(t.status, 0, t.stderr);
    // Signing through TUF too (the signing config comes from the instance's TUF repository).
    const bundle2 = join(tmp.dir, 'v2-tuf.sigstore.json');
    const s2 = await runCli(['sign', '--instance', inst.tufUrl, '--trust-cache', cache, '--rekor-version', '2', '--identity-token', await inst.token(), '--bundle', bundle2, artifact], { env });
    assert.equal(s2.status, 0, s2.stderr);
    const { verify } = await import('sigstore');
    const trustedRootPath = join(tmp.dir, 'trusted_root.json');
    writeFileSync(trustedRootPath, JSON.stringify(inst.trustedRoot));
    for (const f of [bundle, bundle2]) {
      await verify(JSON.parse(readFileSync(f, 'utf8')), readFileSync(artifact), {
        tufMirrorURL: inst.tufUrl,
        tufRootPath: inst.files.tufRoot,
        tufCachePath: join(tmp.dir, 'js-tuf'),
        certificateIdentityURI: undefined,
        certificateIssuer: inst.issuer,
      });
    }
  });
});
