/**
 * TUF end to end against the local Sigstore instance's TUF repository over HTTP: pinning with
 * trust-instance, signing and verifying with --instance, key rotations picked up on
 * update-trust-root and after the timestamp expires, attacks refused (rollback, mix-and-match,
 * expired metadata, a target with the wrong hash, a root below threshold) with the previous
 * good cache left in place, an unreachable repository, and a read-only cache.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInstance, type SigstoreInstance } from '../../src/instance/index.js';
import { TrustError } from '../../src/errors.js';
import { loadTrust, resetTrustMemory, updateTrustRoot } from '../../src/trust/load.js';
import { cleanEnv, IMPORT_RECORDER, type Recorder, runCli, setReadOnly, sleep, snapshotDir, startRecorder, tempDir, otherUser, type OtherUser } from './helpers.js';

// In-process requests go straight to 127.0.0.1.
process.env.NO_PROXY = '127.0.0.1,localhost';
for (const k of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete process.env[k];

const tmp = tempDir('sigstore-tuf-');
const cache = join(tmp.dir, 'cache');
const artifact = join(tmp.dir, 'artifact.txt');
let inst: SigstoreInstance;
let rootFile: string;
let recorder: Recorder;

before(async () => {
  inst = await startInstance({ dataDir: join(tmp.dir, 'instance'), port: 0 });
  rootFile = join(tmp.dir, 'root.json');
  writeFileSync(rootFile, JSON.stringify(inst.tufRoot));
  writeFileSync(artifact, 'an artifact to sign\n');
  recorder = await startRecorder();
});

after(async () => {
  await inst?.stop();
  await recorder?.close();
  setReadOnly(tmp.dir, false);
  tmp.cleanup();
});

const logIds = (tr: Record<string, unknown>) => (tr.tlogs as { logId: { keyId: string } }[]).map((t) => t.logId.keyId);

function verifyArgs(bundle: string, extra: string[] = []): string[] {
  return ['verify', 'identity', '--instance', inst.tufUrl, '--trust-cache', cache, '--cert-identity', inst.identity, '--cert-oidc-issuer', inst.issuer, '--bundle', bundle, ...extra, artifact];
}

async function sign(bundle: string): Promise<void> {
  const token = await inst.token();
  const r = await runCli(['sign', '--instance', inst.tufUrl, '--trust-cache', cache, '--identity-token', token, '--bundle', bundle, artifact], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
  assert.equal(r.status, 0, r.stderr);
}

async function trustRoot(env = cleanEnv({ NO_PROXY: '127.0.0.1' }), asUser?: OtherUser) {
  const r = await runCli(['plumbing', 'trust-root', '--instance', inst.tufUrl, '--trust-cache', cache], { env, ...(asUser ? { asUser } : {}) });
  assert.equal(r.status, 0, r.stderr);
  return { json: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
}

/** Whether a CLI run (recorded with the import recorder) loaded tuf-js code. */
function loadedTufJs(logFile: string): boolean {
  const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('file://'));
  assert.ok(lines.some((l) => l.includes('/dist/')), 'the import recorder saw the CLI modules');
  return lines.some((l) => l.endsWith('\t1'));
}

describe('TUF against the local instance', () => {
  const bundle1 = join(tmp.dir, 'one.sigstore.json');

  it('refuses --instance before the instance is pinned, naming trust-instance', async () => {
    const r = await runCli(['plumbing', 'trust-root', '--instance', inst.tufUrl, '--trust-cache', cache]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not trusted yet \(nothing usable in .*\): pin its TUF root first with `sigstore trust-instance ROOT_JSON --instance http:\/\/127\.0\.0\.1:\d+\/tuf`/);
  });

  it('refuses a root that is not TUF root metadata', async () => {
    const bad = join(tmp.dir, 'bad-root.json');
    writeFileSync(bad, '{"signed":{"_type":"root"}}');
    const r = await runCli(['trust-instance', bad, '--instance', inst.tufUrl, '--trust-cache', join(tmp.dir, 'other')], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not TUF root metadata/);
  });

  it('refuses to pin a root it cannot save, saving nothing', async () => {
    const blocker = join(tmp.dir, 'blocker');
    writeFileSync(blocker, 'a file where the cache directory should be');
    const r = await runCli(['trust-instance', rootFile, '--instance', inst.tufUrl, '--trust-cache', join(blocker, 'cache')], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot save the pinned root of http:\/\/127\.0\.0\.1:\d+\/tuf in .*choose another place with --trust-cache DIR/);
  });

  it('bootstraps with trust-instance (root pinned, trust material fetched through TUF)', async () => {
    const logFile = join(tmp.dir, 'imports-pin.log');
    const r = await runCli(['trust-instance', rootFile, '--instance', inst.tufUrl, '--trust-cache', cache], {
      env: cleanEnv({ NO_PROXY: '127.0.0.1', SIGSTORE_TEST_IMPORT_LOG: logFile }),
      nodeArgs: ['--import', IMPORT_RECORDER],
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /trusted http:\/\/127\.0\.0\.1:\d+\/tuf: TUF root v1 pinned, timestamp v\d+/);
    assert.ok(loadedTufJs(logFile), 'a TUF update loads tuf-js (control for the check below)');
    const files = Object.keys(snapshotDir(cache));
    assert.ok(files.some((x) => x.endsWith('/metadata.json') && !x.includes('targets/')), 'metadata.json (root, timestamp, snapshot, targets)');
    assert.ok(files.some((x) => /targets\/[0-9a-f]{64}\.trusted_root\.json$/.test(x)));
    assert.ok(files.some((x) => /targets\/[0-9a-f]{64}\.signing_config\.v0\.2\.json$/.test(x)));
  });

  it('signs and verifies with --instance URL; a fresh cache needs no network and no tuf-js', async () => {
    await sign(bundle1);
    const logFile = join(tmp.dir, 'imports-verify.log');
    // Every request would go to the recording proxy: there must be none.
    const env = cleanEnv({ HTTP_PROXY: recorder.url, HTTPS_PROXY: recorder.url, SIGSTORE_TEST_IMPORT_LOG: logFile });
    const r = await runCli(verifyArgs(bundle1), { env, nodeArgs: ['--import', IMPORT_RECORDER] });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^OK: /m);
    assert.equal(recorder.connections, 0);
    assert.equal(loadedTufJs(logFile), false, 'verification with a fresh cache must not load tuf-js');
    const off = await runCli(verifyArgs(bundle1, ['--offline']), { env });
    assert.equal(off.status, 0, off.stderr);
    assert.equal(recorder.connections, 0);
  });

  it('prints the active trusted root and where it came from', async () => {
    const { json, stderr } = await trustRoot();
    assert.deepEqual(json, inst.trustedRoot);
    assert.match(stderr, /trusted root from TUF repository http:\/\/127\.0\.0\.1:\d+\/tuf \(cached in /);
  });

  it('picks up a Rekor key rotation on update-trust-root', async () => {
    const rotated = inst.rotateRekorKey();
    assert.ok(!logIds((await trustRoot()).json).includes(rotated), 'a fresh cache is not refreshed');
    const r = await runCli(['plumbing', 'update-trust-root', '--instance', inst.tufUrl, '--trust-cache', cache], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /updated the trust material of http:\/\/127\.0\.0\.1:\d+\/tuf .*timestamp v\d+ .*cached in/);
    assert.ok(logIds((await trustRoot()).json).includes(rotated));
    // Bundles from before and after the rotation both verify.
    const bundle2 = join(tmp.dir, 'two.sigstore.json');
    await sign(bundle2);
    for (const b of [bundle1, bundle2]) {
      const v = await runCli(verifyArgs(b), { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
      assert.equal(v.status, 0, v.stderr);
    }
  });

  it('picks up a rotation by itself once the cached timestamp has expired', async () => {
    inst.republish({ timestamp: new Date(Date.now() + 4000) });
    resetTrustMemory();
    const u = await updateTrustRoot({ instance: inst.tufUrl, cacheDir: cache });
    assert.ok(u.origin.expires!.getTime() < Date.now() + 5000);
    const rotated = inst.rotateRekorKey();
    const before = await trustRoot();
    if (Date.now() < u.origin.expires!.getTime()) {
      // (On a very slow machine the cache may have expired meanwhile: then only the second half applies.)
      assert.ok(!logIds(before.json).includes(rotated));
      assert.match(before.stderr, /cached in/);
    }
    await sleep(Math.max(0, u.origin.expires!.getTime() - Date.now()) + 1100);
    const later = await trustRoot();
    assert.ok(logIds(later.json).includes(rotated), later.stderr);
    assert.match(later.stderr, /updated now, saved in/);
  });

  describe('refused updates leave the previous good cache in place', () => {
    async function refused(code: string, message: RegExp): Promise<void> {
      resetTrustMemory();
      const snap = snapshotDir(cache);
      await assert.rejects(updateTrustRoot({ instance: inst.tufUrl, cacheDir: cache }), (e: Error) => {
        assert.ok(e instanceof TrustError, `${e.constructor.name}: ${e.message}`);
        assert.equal((e as TrustError).code, code, e.message);
        assert.match(e.message, message);
        return true;
      });
      assert.deepEqual(snapshotDir(cache), snap, 'the cache is unchanged');
      const still = await loadTrust({ instance: inst.tufUrl, cacheDir: cache, offline: true, onWarning: () => {} });
      assert.equal(still.origin.kind, 'tuf');
    }

    it('a rolled-back timestamp', async () => {
      await updateTrustRoot({ instance: inst.tufUrl, cacheDir: cache });
      const v = inst.tuf.version('timestamp');
      inst.tuf.override('timestamp.json', inst.tuf.metadata('timestamp', v - 1));
      try {
        await refused('TUF_ROLLBACK', /refused: an older or inconsistent metadata version \(rollback or mix-and-match attack\): New timestamp version \d+ is less than current version \d+/);
      } finally {
        inst.tuf.override('timestamp.json', undefined);
      }
    });

    it('a snapshot that does not match the timestamp (mix-and-match)', async () => {
      inst.republish();
      const v = inst.tuf.version('snapshot');
      inst.tuf.override(`${v}.snapshot.json`, inst.tuf.metadata('snapshot', v - 1));
      try {
        await refused('TUF_HASH_MISMATCH', /hash or length differs/);
      } finally {
        inst.tuf.override(`${v}.snapshot.json`, undefined);
      }
    });

    it('expired metadata (freeze attack)', async () => {
      inst.tuf.setExpiry({ timestamp: new Date(Date.now() - 3600_000) });
      try {
        await refused('TUF_EXPIRED', /expired metadata \(freeze attack.*timestamp\.json is expired/);
      } finally {
        inst.republish();
      }
    });

    it('a target with the wrong hash', async () => {
      inst.rotateRekorKey(); // a new trusted root, so the client must download it
      const targets = JSON.parse(inst.tuf.metadata('targets').toString()) as { signed: { targets: Record<string, { hashes: { sha256: string } }> } };
      const sha = targets.signed.targets['trusted_root.json']!.hashes.sha256;
      const tampered = JSON.stringify({ ...inst.trustedRoot, tlogs: [] }, null, 2);
      inst.tuf.override(`targets/${sha}.trusted_root.json`, tampered);
      try {
        await refused('TUF_HASH_MISMATCH', /hash or length differs from its signed metadata/);
      } finally {
        inst.tuf.override(`targets/${sha}.trusted_root.json`, undefined);
      }
    });

    it('a new root signed below the threshold of the trusted root', async () => {
      const v = inst.tuf.version('root');
      const oldKeys = (JSON.parse(inst.tuf.metadata('root', v).toString()) as { signed: { roles: { root: { keyids: string[] } } } }).signed.roles.root.keyids;
      inst.tuf.rotateKeys(['root']);
      const next = JSON.parse(inst.tuf.metadata('root', v + 1).toString()) as { signatures: { keyid: string }[] };
      next.signatures = next.signatures.filter((s) => !oldKeys.includes(s.keyid));
      inst.tuf.override(`${v + 1}.root.json`, JSON.stringify(next));
      try {
        await refused('TUF_THRESHOLD', /not signed by a threshold of trusted keys.*root was signed by 0\/1 keys/);
      } finally {
        inst.tuf.override(`${v + 1}.root.json`, undefined);
      }
      // The genuine rotation (signed by the old and the new root keys) is accepted.
      const ok = await updateTrustRoot({ instance: inst.tufUrl, cacheDir: cache });
      assert.equal(ok.origin.rootVersion, v + 1);
      assert.deepEqual(ok.trustedRootJson, inst.trustedRoot);
    });

    it('a frozen repository: an old, consistent set of metadata, since expired, served to a client that has none', async () => {
      // (The attacker replays what the repository once served; the client must not accept keys that old.)
      const fresh = join(tmp.dir, 'frozen-cache');
      const pin = await runCli(['trust-instance', rootFile, '--instance', inst.tufUrl, '--trust-cache', fresh], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
      assert.equal(pin.status, 0, pin.stderr);
      const v = inst.tuf.version('timestamp');
      inst.tuf.setExpiry({ timestamp: new Date(Date.now() - 1000) }); // the set the attacker will replay, expired
      const frozen = inst.tuf.metadata('timestamp');
      inst.republish();
      const snap = snapshotDir(fresh);
      inst.tuf.override('timestamp.json', frozen);
      try {
        resetTrustMemory();
        await assert.rejects(updateTrustRoot({ instance: inst.tufUrl, cacheDir: fresh }), (e: Error) => e instanceof TrustError && /^TUF_(EXPIRED|ROLLBACK)$/.test(e.code));
        assert.deepEqual(snapshotDir(fresh), snap, 'the cache is unchanged');
      } finally {
        inst.tuf.override('timestamp.json', undefined);
      }
      assert.ok(inst.tuf.version('timestamp') > v);
      inst.republish(); // (the version before the current one is not the expired one)
    });

    it('CLI: a refused update exits 1 with a one-line message', async () => {
      await updateTrustRoot({ instance: inst.tufUrl, cacheDir: cache });
      const v = inst.tuf.version('timestamp');
      inst.tuf.override('timestamp.json', inst.tuf.metadata('timestamp', v - 1));
      try {
        const r = await runCli(['plumbing', 'update-trust-root', '--instance', inst.tufUrl, '--trust-cache', cache], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^error: TUF update from http:\/\/127\.0\.0\.1:\d+\/tuf refused: an older or inconsistent metadata version/);
        assert.equal(r.stderr.trim().split('\n').length, 1);
      } finally {
        inst.tuf.override('timestamp.json', undefined);
      }
    });
  });

  describe('stale material', () => {
    before(async () => {
      inst.republish({ timestamp: new Date(Date.now() + 2000) });
      resetTrustMemory();
      const u = await updateTrustRoot({ instance: inst.tufUrl, cacheDir: cache });
      inst.rotateRekorKey();
      await sleep(Math.max(0, u.origin.expires!.getTime() - Date.now()) + 1100);
    });

    it('refuses to verify with the expired cache when the repository cannot be reached, naming --offline, cache untouched', async () => {
      const snap = snapshotDir(cache);
      const seen = recorder.connections;
      const r = await runCli(verifyArgs(bundle1), { env: cleanEnv({ HTTP_PROXY: recorder.url }) });
      assert.equal(r.status, 1, r.stderr);
      assert.ok(recorder.connections > seen, 'a refresh was attempted');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^error: cannot refresh the trust material of http:\/\/127\.0\.0\.1:\d+\/tuf \(.*HTTP 502.*\); the cached copy expired on \S+; --offline verifies with the cached copy$/m);
      assert.deepEqual(snapshotDir(cache), snap);
    });

    it('an expired cache and a refused refresh: verification fails, saying --offline would use the old material', async () => {
      const cached = (await loadTrust({ instance: inst.tufUrl, cacheDir: cache, offline: true, onWarning: () => {} })).origin.timestampVersion!;
      inst.tuf.override('timestamp.json', inst.tuf.metadata('timestamp', cached - 1));
      try {
        const snap = snapshotDir(cache);
        const r = await runCli(verifyArgs(bundle1), { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /refused: an older or inconsistent metadata version .*; the cached copy expired on \S+; the cache was left as it was; --offline verifies with the cached copy$/m);
        assert.deepEqual(snapshotDir(cache), snap);
      } finally {
        inst.tuf.override('timestamp.json', undefined);
      }
    });

    it('with --offline, verifies with the expired cache and says so, without any request', async () => {
      const seen = recorder.connections;
      const r = await runCli(verifyArgs(bundle1, ['--offline']), { env: cleanEnv({ HTTP_PROXY: recorder.url, HTTPS_PROXY: recorder.url }) });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(recorder.connections, seen);
      assert.match(r.stderr, /warning: TUF repository .*expired .*using it anyway because of --offline/);
    });

    it('with a read-only cache, refreshes in memory and still verifies', async () => {
      // As root, the CLI runs as uid 65534 (root writes to read-only directories) from a copy it can read.
      const user = otherUser();
      const snap = snapshotDir(cache);
      setReadOnly(cache, true);
      try {
        const { json, stderr } = await trustRoot(cleanEnv({ NO_PROXY: '127.0.0.1' }), user);
        assert.deepEqual(json, inst.trustedRoot);
        assert.match(stderr, /warning: cannot save the updated trust material .*using it in memory for this run/);
        assert.match(stderr, /updated now, not saved/);
        const v = await runCli(verifyArgs(bundle1), { env: cleanEnv({ NO_PROXY: '127.0.0.1' }), ...(user ? { asUser: user } : {}) });
        assert.equal(v.status, 0, v.stderr);
        assert.match(v.stderr, /^OK: /m);
      } finally {
        setReadOnly(cache, false);
        user?.cleanup();
      }
      assert.deepEqual(snapshotDir(cache), snap);
    });
  });
});

describe('tampered cache files (the local instance)', () => {
  const dir = join(tmp.dir, 'tamper-cache');
  const bundle = join(tmp.dir, 'tamper.sigstore.json');
  let metadataFile: string;
  let good: string;
  before(async () => {
    inst.republish();
    const pin = await runCli(['trust-instance', rootFile, '--instance', inst.tufUrl, '--trust-cache', dir], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
    assert.equal(pin.status, 0, pin.stderr);
    const token = await inst.token();
    const s = await runCli(['sign', '--instance', inst.tufUrl, '--trust-cache', dir, '--identity-token', token, '--bundle', bundle, artifact], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
    assert.equal(s.status, 0, s.stderr);
    metadataFile = Object.keys(snapshotDir(dir))
      .map((f) => join(dir, f))
      .find((f) => f.endsWith('/metadata.json'))!;
    good = readFileSync(metadataFile, 'utf8');
  });

  const edits: [string, (files: Record<string, string>) => void, RegExp][] = [
    [
      'a far-future timestamp expiry',
      (f) => {
        const t = JSON.parse(Buffer.from(f['timestamp.json']!, 'base64').toString());
        t.signed.expires = '2099-01-01T00:00:00Z';
        f['timestamp.json'] = Buffer.from(JSON.stringify(t)).toString('base64');
      },
      /timestamp\.json v\d+ is signed by 0 of the 1 timestamp keys it needs/,
    ],
    [
      'a bogus root.json',
      (f) => {
        f['root.json'] = Buffer.from('{"signed":{"_type":"root","version":99,"expires":"2099-01-01T00:00:00Z"},"signatures":[]}').toString('base64');
      },
      /root\.json (v99 is signed by 0 of the|names no root role)/,
    ],
    [
      'a snapshot.json of another version',
      (f) => {
        f['snapshot.json'] = inst.tuf.metadata('snapshot', 1).toString('base64');
      },
      /snapshot\.json (is \d+ bytes|does not have the SHA-256|is version)/,
    ],
  ];
  for (const [name, edit, re] of edits) {
    it(`${name}: refused offline with a clear line; online, replaced by a verified refresh`, async () => {
      writeFileSync(metadataFile, good);
      const doc = JSON.parse(good) as { files: Record<string, string> };
      edit(doc.files);
      writeFileSync(metadataFile, JSON.stringify(doc));
      const off = await runCli([...verifyArgs(bundle, ['--offline']).map((a) => (a === cache ? dir : a))], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
      assert.equal(off.status, 1, off.stderr);
      assert.equal(off.stderr.trim().split('\n').length, 1, off.stderr);
      assert.match(off.stderr, /^error: cached TUF metadata in .*: /);
      assert.match(off.stderr, re);
      const on = await runCli(verifyArgs(bundle).map((a) => (a === cache ? dir : a)), { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
      if (/root\.json/.test(name)) {
        // The pinned root is the anchor of a custom instance: nothing to refresh from.
        assert.equal(on.status, 1, on.stderr);
        assert.match(on.stderr, /its TUF root cannot be trusted, so it cannot be refreshed: pin the root of .* again with `sigstore trust-instance ROOT_JSON/);
        const pin = await runCli(['trust-instance', rootFile, '--instance', inst.tufUrl, '--trust-cache', dir], { env: cleanEnv({ NO_PROXY: '127.0.0.1' }) });
        assert.equal(pin.status, 0, pin.stderr);
      } else {
        assert.equal(on.status, 0, on.stderr);
        assert.match(on.stderr, /^warning: cached TUF metadata in .*: replaced by a TUF refresh$/m);
        assert.match(on.stderr, re);
      }
      const after = await loadTrust({ instance: inst.tufUrl, cacheDir: dir, offline: true, onWarning: () => assert.fail('a verified cache') });
      assert.equal(after.origin.kind, 'tuf');
    });
  }
});

