/**
 * The instance's TUF repository, seen by sigstore-js's TUF client (@sigstore/tuf on tuf-js):
 * trust bootstraps from the instance's root.json; a Rekor key rotation republishes the trusted
 * root so bundles from before and after the rotation both verify; expired and rolled-back
 * metadata are refused; TUF root key rotation is followed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { getTrustedRoot, initTUF } from '@sigstore/tuf';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import * as sigstore from 'sigstore';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { tempDir } from './helpers.js';

/** Asserts that `p` rejects with an error whose message or cause chain matches `re`. */
async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    const messages: string[] = [];
    for (let c: unknown = e; c instanceof Error; c = c.cause) messages.push(`${c.name}: ${c.message}`);
    assert.match(messages.join(' <- '), re);
    return;
  }
  assert.fail('expected a rejection');
}

describe('TUF repository', () => {
  const tmp = tempDir();
  let inst: SigstoreInstance;
  let caches = 0;
  /** A fresh TUF cache directory (a client that has never seen the repository). */
  const freshCache = () => join(tmp.dir, `cache-${caches++}`);
  const tuf = (cachePath: string) => ({ mirrorURL: inst.tufUrl, rootPath: inst.files.tufRoot, cachePath, retry: false as const });

  before(async () => {
    inst = await startInstance({ dataDir: join(tmp.dir, 'instance'), port: 0, identity: 'tuf@example.com' });
  });
  after(async () => {
    await inst?.stop();
    tmp.cleanup();
  });

  it('bootstraps the trusted root and signing config from root.json, like production', async () => {
    const root = JSON.parse(readFileSync(inst.files.tufRoot, 'utf8')) as { signed: { _type: string; version: number; consistent_snapshot: boolean } };
    assert.equal(root.signed._type, 'root');
    assert.equal(root.signed.consistent_snapshot, true);
    const cache = freshCache();
    const trusted = await getTrustedRoot(tuf(cache));
    assert.deepEqual(TrustedRoot.toJSON(trusted), TrustedRoot.toJSON(TrustedRoot.fromJSON(inst.trustedRoot)));
    const client = await initTUF(tuf(cache));
    const sc = JSON.parse(await client.getTarget('signing_config.v0.2.json')) as Record<string, unknown>;
    assert.deepEqual(sc, inst.signingConfig);
    assert.equal(sc.mediaType, 'application/vnd.dev.sigstore.signingconfig.v0.2+json');
    const tc = JSON.parse(readFileSync(inst.files.trustConfig, 'utf8')) as Record<string, unknown>;
    assert.equal(tc.mediaType, 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json');
    assert.deepEqual(tc.trustedRoot, inst.trustedRoot);
  });

  it('republishes the trusted root on a Rekor key rotation; bundles from both sides of it verify', async () => {
    const cache = freshCache();
    const opts = () => ({ tufMirrorURL: inst.tufUrl, tufRootPath: inst.files.tufRoot, tufCachePath: cache, certificateIdentityEmail: 'tuf@example.com' });
    const sign = async (text: string) =>
      sigstore.sign(Buffer.from(text), { fulcioURL: inst.url, rekorURL: inst.url, tsaServerURL: inst.url, identityToken: await inst.token() });
    const before1 = await sign('before the rotation');
    await sigstore.verify(before1, Buffer.from('before the rotation'), opts());
    const targetsBefore = inst.tuf.version('targets');

    const newLogId = inst.rotateRekorKey();
    assert.equal(inst.tuf.version('targets'), targetsBefore + 1, 'new targets version');
    const v1Logs = (inst.trustedRoot.tlogs as { logId: { keyId: string }; publicKey: { keyDetails: string; validFor: { start: string; end?: string } } }[]).filter(
      (t) => t.publicKey.keyDetails !== 'PKIX_ED25519',
    );
    assert.equal(v1Logs.length, 2);
    assert.ok(v1Logs[0]!.publicKey.validFor.end, 'the old key has an end');
    assert.equal(v1Logs[1]!.logId.keyId, newLogId);
    assert.equal(v1Logs[1]!.publicKey.validFor.end, undefined);

    const after1 = await sign('after the rotation');
    assert.equal(Buffer.from(after1.verificationMaterial.tlogEntries[0]!.logId.keyId, 'base64').toString('base64'), newLogId, 'signed by the new key');
    // The same client cache updates to the new targets and verifies both.
    await sigstore.verify(after1, Buffer.from('after the rotation'), opts());
    await sigstore.verify(before1, Buffer.from('before the rotation'), opts());
    // Trust in the rotated-out key ends at the rotation: a root that lists only the new key refuses the old bundle.
    const onlyNew = structuredClone(inst.trustedRoot) as { tlogs: { logId: { keyId: string } }[] };
    onlyNew.tlogs = onlyNew.tlogs.filter((t) => t.logId.keyId !== v1Logs[0]!.logId.keyId);
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(onlyNew)));
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(before1), Buffer.from('before the rotation'))));
  });

  it('rotates the Rekor v2 key too', async () => {
    const before = inst.rekorV2.keyId.toString('base64');
    const after = inst.rotateRekorKey({ version: 2 });
    assert.notEqual(after, before);
    const trusted = await getTrustedRoot(tuf(freshCache()));
    const builder = bundleBuilderFromSigningConfig({
      signingConfig: SigningConfig.fromJSON(inst.signingConfig),
      identityProvider: { getToken: () => inst.token() },
      bundleType: 'messageSignature',
    });
    const data = Buffer.from('v2 after rotation');
    const bundle = await builder.create({ data });
    assert.equal(Buffer.from(bundle.verificationMaterial.tlogEntries[0]!.logId!.keyId).toString('base64'), after);
    new Verifier(toTrustMaterial(trusted)).verify(toSignedEntity(bundleFromJSON(bundleToJSON(bundle)), data), { subjectAlternativeName: 'tuf@example.com' });
  });

  it('refuses expired metadata, and recovers once it is republished', async () => {
    inst.republish({ timestamp: new Date(Date.now() - 60_000) });
    await rejectsWith(getTrustedRoot(tuf(freshCache())), /expired/i);
    inst.republish();
    await getTrustedRoot(tuf(freshCache()));
    inst.republish({ targets: new Date(Date.now() - 60_000) });
    await rejectsWith(getTrustedRoot(tuf(freshCache())), /expired/i);
    inst.republish();
    await getTrustedRoot(tuf(freshCache()));
  });

  it('refuses a rolled-back timestamp', async () => {
    const cache = freshCache();
    const old = inst.tuf.metadata('timestamp');
    inst.republish();
    await getTrustedRoot(tuf(cache)); // the client has seen the new version
    inst.tuf.override('timestamp.json', old);
    try {
      await rejectsWith(getTrustedRoot(tuf(cache)), /version|rollback/i);
    } finally {
      inst.tuf.override('timestamp.json', undefined);
    }
    await getTrustedRoot(tuf(cache));
  });

  it('follows a root key rotation from the old root.json', async () => {
    const cache = freshCache();
    const oldRootPath = join(tmp.dir, 'old-root.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(oldRootPath, readFileSync(inst.files.tufRoot));
    const rootBefore = inst.tuf.version('root');
    inst.rotateTufKeys();
    assert.equal(inst.tuf.version('root'), rootBefore + 1);
    const trusted = await getTrustedRoot({ mirrorURL: inst.tufUrl, rootPath: oldRootPath, cachePath: cache, retry: false });
    assert.deepEqual(TrustedRoot.toJSON(trusted), TrustedRoot.toJSON(TrustedRoot.fromJSON(inst.trustedRoot)));
    const newRoot = JSON.parse(readFileSync(inst.files.tufRoot, 'utf8')) as { signed: { version: number } };
    assert.equal(newRoot.signed.version, rootBefore + 1, 'root.json is rewritten');
    // A timestamp signed with the rotated-out key is refused.
    inst.tuf.override('timestamp.json', inst.tuf.metadata('timestamp', inst.tuf.version('timestamp') - 1));
    try {
      await rejectsWith(getTrustedRoot({ mirrorURL: inst.tufUrl, rootPath: oldRootPath, cachePath: freshCache(), retry: false }), /timestamp was signed by 0\/1 keys/);
    } finally {
      inst.tuf.override('timestamp.json', undefined);
    }
  });
});
