/**
 * The TUF cache: locations (XDG, --trust-cache, SIGSTORE_TRUST_CACHE), every read verified
 * (signatures, versions, hashes, targets; each tampered file refused at its step), the cache
 * anchored at the shipped root, directories other users can write refused, atomic commits that
 * never roll back, and two processes committing at once never leaving a mixed cache.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TrustError } from '../../src/errors.js';
import { cachePaths, checkCacheDirs, commitCache, instanceKey, readCache, readMetadataFiles, readTarget, signedInfo, targetPath, targetRefs, writeAtomic } from '../../src/trust/cache.js';
import { ROOT, tempDir } from './helpers.js';
import { fixture } from './tuf-fixture.js';

const tmp = tempDir('sigstore-cache-');
after(() => tmp.cleanup());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const trustedRoot = Buffer.from('{"mediaType":"x"}');
const signingConfig = Buffer.from('{"mediaType":"y"}');

describe('cache locations', () => {
  it('uses the XDG data directory for metadata and the XDG cache directory for targets', () => {
    const p = cachePaths('https://tuf-repo-cdn.sigstore.dev', undefined, { HOME: '/home/u' });
    assert.equal(p.metadataDir, '/home/u/.local/share/sigstore-ts/tuf/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev');
    assert.equal(p.targetsDir, '/home/u/.cache/sigstore-ts/tuf/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev');
    const x = cachePaths('https://example.com/tuf', undefined, { HOME: '/home/u', XDG_DATA_HOME: '/d', XDG_CACHE_HOME: '/c' });
    assert.equal(x.metadataDir, '/d/sigstore-ts/tuf/https%3A%2F%2Fexample.com%2Ftuf');
    assert.equal(x.targetsDir, '/c/sigstore-ts/tuf/https%3A%2F%2Fexample.com%2Ftuf');
    // relative XDG paths are invalid per the spec and ignored
    assert.equal(cachePaths('https://a', undefined, { HOME: '/h', XDG_DATA_HOME: 'rel' }).metadataDir, '/h/.local/share/sigstore-ts/tuf/https%3A%2F%2Fa');
  });

  it('puts everything under DIR with --trust-cache or SIGSTORE_TRUST_CACHE (the flag wins)', () => {
    const env = { HOME: '/home/u', SIGSTORE_TRUST_CACHE: '/env' };
    assert.deepEqual(cachePaths('https://a', undefined, env), { url: 'https://a', metadataDir: '/env/https%3A%2F%2Fa', targetsDir: '/env/https%3A%2F%2Fa/targets', bases: ['/env'] });
    assert.equal(cachePaths('https://a', '/flag', env).metadataDir, '/flag/https%3A%2F%2Fa');
  });

  it('keeps directory names short for very long URLs', () => {
    const long = `https://example.com/${'x'.repeat(400)}`;
    assert.ok(instanceKey(long).length < 200);
    assert.notEqual(instanceKey(long), instanceKey(`${long}y`));
  });

  it('refuses a cache directory that every user can write (TRUST_CACHE_INSECURE), and accepts a sticky one', () => {
    const base = join(tmp.dir, 'insecure');
    const paths = cachePaths('https://a', base);
    mkdirSync(paths.metadataDir, { recursive: true });
    checkCacheDirs(paths);
    for (const d of [base, paths.metadataDir]) {
      chmodSync(d, 0o777);
      assert.throws(
        () => checkCacheDirs(paths),
        (e: Error) => e instanceof TrustError && e.code === 'TRUST_CACHE_INSECURE' && e.message.includes(`${d} is writable by every user`) && /--trust-cache DIR/.test(e.message),
      );
      chmodSync(d, 0o1777);
      checkCacheDirs(paths);
      chmodSync(d, 0o755);
    }
  });
});

describe('reading and committing', () => {
  it('reports a missing cache, then a verified one after a commit', () => {
    const f = fixture(join(tmp.dir, 'f1'));
    const paths = cachePaths('https://a', join(tmp.dir, 'c1'));
    assert.equal(readCache(paths).state, 'missing');
    commitCache(paths, f.publish({ 'trusted_root.json': trustedRoot, 'signing_config.v0.2.json': signingConfig }));
    const c = readCache(paths);
    assert.equal(c.state, 'ok', c.state === 'invalid' ? c.reason : '');
    if (c.state !== 'ok') return;
    assert.deepEqual(c.trustedRoot, trustedRoot);
    assert.deepEqual(c.signingConfig, signingConfig);
    assert.equal(c.rekorV2SigningConfig, undefined);
    assert.equal(c.timestampVersion, f.repo.version('timestamp'));
    assert.equal(c.rootVersion, 1);
    assert.ok(existsSync(targetPath(paths, 'trusted_root.json', sha(trustedRoot))));
  });

  it('takes the earliest expiry of the four roles as the expiry of the material', () => {
    const f = fixture(join(tmp.dir, 'f-exp'));
    const soon = new Date(Date.now() + 3600_000);
    const paths = cachePaths('https://exp', join(tmp.dir, 'c-exp'));
    commitCache(paths, f.publish({ 'trusted_root.json': trustedRoot }, { targets: soon }));
    const c = readCache(paths);
    assert.equal(c.state === 'ok' && c.expires.toISOString(), new Date(Math.floor(soon.getTime() / 1000) * 1000).toISOString());
  });

  it('keeps the targets of the current and the previous version only', () => {
    const f = fixture(join(tmp.dir, 'f4'));
    const paths = cachePaths('https://d', join(tmp.dir, 'c4'));
    const v = (n: number) => Buffer.from(`{"v":${n}}`);
    for (let i = 1; i <= 4; i++) commitCache(paths, f.publish({ 'trusted_root.json': v(i) }));
    const files = readdirSync(paths.targetsDir).sort();
    assert.deepEqual(files, [`${sha(v(3))}.trusted_root.json`, `${sha(v(4))}.trusted_root.json`].sort());
    const c = readCache(paths);
    assert.equal(c.state === 'ok' && c.trustedRoot.toString(), '{"v":4}');
  });

  it('never replaces newer metadata with older (another process committed meanwhile)', () => {
    const f = fixture(join(tmp.dir, 'f5'));
    const paths = cachePaths('https://e', join(tmp.dir, 'c5'));
    const old = f.publish({ 'trusted_root.json': Buffer.from('{"v":1}') });
    const newer = f.publish({ 'trusted_root.json': Buffer.from('{"v":2}') });
    assert.equal(commitCache(paths, newer), true);
    assert.equal(commitCache(paths, old), false);
    const c = readCache(paths);
    assert.equal(c.state === 'ok' && c.trustedRoot.toString(), '{"v":2}');
  });

  it('fails to commit into an unwritable place without touching what is there', () => {
    const f = fixture(join(tmp.dir, 'f6'));
    const blocker = join(tmp.dir, 'blocker');
    writeFileSync(blocker, 'a file, not a directory');
    const paths = cachePaths('https://e', blocker);
    assert.throws(() => commitCache(paths, f.publish({ 'trusted_root.json': trustedRoot })), /ENOTDIR|EEXIST/);
    assert.equal(readFileSync(blocker, 'utf8'), 'a file, not a directory');
  });

  it('writes files atomically (no temporary file is left behind)', () => {
    const dir = join(tmp.dir, 'atomic');
    mkdirSync(dir);
    writeAtomic(join(dir, 'f.json'), 'one');
    writeAtomic(join(dir, 'f.json'), 'two');
    assert.deepEqual(readdirSync(dir), ['f.json']);
    assert.equal(readFileSync(join(dir, 'f.json'), 'utf8'), 'two');
  });

  it('reads metadata versions, expiries and target references loosely (for garbage collection)', () => {
    assert.equal(signedInfo(Buffer.from('[]')), undefined);
    assert.equal(signedInfo(Buffer.from('{"signed":{"version":"1","expires":"2030-01-01T00:00:00Z"}}')), undefined);
    assert.equal(signedInfo(Buffer.from('{"signed":{"version":7,"expires":"2030-01-01T00:00:00Z"}}'))?.version, 7);
    assert.equal(targetRefs(Buffer.from('{"signed":{"targets":{"b":{"length":1,"hashes":{"sha256":"nothex"}}}}}')).size, 0);
  });
});

describe('tampered cache files are refused on read, naming the check', () => {
  const f = fixture(join(tmp.dir, 'ft'));
  const good = f.publish({ 'trusted_root.json': trustedRoot, 'signing_config.v0.2.json': signingConfig });
  let n = 0;
  /** A fresh cache with `good`, then `tamper` applied to one of its metadata files. */
  function tampered(tamper: (m: Map<string, Buffer>) => void): ReturnType<typeof readCache> {
    const paths = cachePaths('https://t', join(tmp.dir, `tampered-${n++}`));
    commitCache(paths, good);
    const m = readMetadataFiles(paths);
    tamper(m);
    const files = Object.fromEntries([...m].map(([k, v]) => [k, v.toString('base64')]));
    writeFileSync(join(paths.metadataDir, 'metadata.json'), JSON.stringify({ files }));
    return readCache(paths);
  }
  const edit = (m: Map<string, Buffer>, file: string, fn: (doc: { signed: Record<string, unknown>; signatures: { keyid: string; sig: string }[] }) => void) => {
    const doc = JSON.parse(m.get(file)!.toString());
    fn(doc);
    m.set(file, Buffer.from(JSON.stringify(doc)));
  };
  const refused = (c: ReturnType<typeof readCache>, re: RegExp) => {
    assert.equal(c.state, 'invalid');
    assert.match(c.state === 'invalid' ? c.reason : '', re);
  };

  it('control: the untampered cache verifies', () => assert.equal(tampered(() => {}).state, 'ok'));
  it('a timestamp with a far-future expiry (its signature no longer matches)', () =>
    refused(
      tampered((m) => edit(m, 'timestamp.json', (d) => (d.signed.expires = '2099-01-01T00:00:00Z'))),
      /timestamp\.json v\d+ is signed by 0 of the 1 timestamp keys it needs/,
    ));
  it('a bogus root.json (signed by nobody)', () =>
    refused(
      tampered((m) => edit(m, 'root.json', (d) => (d.signatures = []))),
      /root\.json v1 is signed by 0 of the 1 root keys/,
    ));
  it('a root.json that is not JSON', () => refused(tampered((m) => m.set('root.json', Buffer.from('{nope'))), /root\.json is not valid JSON/));
  it('a snapshot from another version (mix-and-match)', () => {
    const other = fixture(join(tmp.dir, 'ft')).update(); // same keys: a validly signed, older snapshot
    f.publish({ 'trusted_root.json': trustedRoot, 'signing_config.v0.2.json': signingConfig });
    const newer = f.update();
    refused(
      tampered((m) => {
        m.set('timestamp.json', newer.metadata.get('timestamp.json')!);
        m.set('snapshot.json', other.metadata.get('snapshot.json')!);
      }),
      /snapshot\.json .*(SHA-256|bytes|version)/,
    );
  });
  it('targets.json edited (a different trusted root hash)', () =>
    refused(
      tampered((m) =>
        edit(m, 'targets.json', (d) => {
          const t = d.signed.targets as Record<string, { hashes: { sha256: string } }>;
          t['trusted_root.json']!.hashes.sha256 = '0'.repeat(64);
        }),
      ),
      /targets\.json (v\d+ is signed by 0|is \d+ bytes|does not have the SHA-256)/,
    ));
  it('a missing metadata file', () => refused(tampered((m) => m.delete('snapshot.json')), /snapshot\.json is missing/));
  it('a cached target that does not match targets.json', () => {
    const paths = cachePaths('https://t2', join(tmp.dir, 'tampered-target'));
    commitCache(paths, good);
    writeFileSync(targetPath(paths, 'trusted_root.json', sha(trustedRoot)), '{"mediaType":"tampered"}');
    refused(readCache(paths), /trusted_root\.json is missing or does not have the length and SHA-256 targets\.json gives/);
  });
  it('a root older than the anchor (the shipped root), or differing from it at the same version', () => {
    const paths = cachePaths('https://t3', join(tmp.dir, 'tampered-anchor'));
    commitCache(paths, good);
    const other = fixture(join(tmp.dir, 'other-keys'));
    other.publish({ a: Buffer.from('x') });
    refused(readCache(paths, other.repo.metadata('root')), /root\.json v1 differs from the trusted root v1 of the same version/);
    other.repo.rotateKeys(['timestamp']);
    refused(readCache(paths, other.repo.metadata('root')), /root\.json v1 is older than the trusted root v2 shipped with sigstore-ts \(rollback\)/);
    assert.equal(readCache(paths, f.repo.metadata('root', 1)).state, 'ok');
  });
});

describe('a cached root newer than the shipped one must descend from it', () => {
  it('is traced through every root in between, each signed by the previous root keys', () => {
    const f = fixture(join(tmp.dir, 'chain'));
    f.publish({ 'trusted_root.json': trustedRoot });
    const shipped = f.repo.metadata('root', 1);
    f.repo.rotateKeys(['root']);
    f.repo.rotateKeys(['root']);
    const v2 = f.repo.metadata('root', 2);
    const paths = cachePaths('https://chain', join(tmp.dir, 'chain-cache'));
    const update = f.update();
    commitCache(paths, update);
    const missing = readCache(paths, shipped);
    assert.equal(missing.state, 'invalid');
    assert.match(missing.state === 'invalid' ? missing.reason : '', /root\.json v3 cannot be traced to the trusted root v1 shipped with sigstore-ts: 2\.root\.json is missing/);
    update.metadata.set('2.root.json', v2);
    commitCache(paths, update, { force: true });
    const ok = readCache(paths, shipped);
    assert.equal(ok.state, 'ok', ok.state === 'invalid' ? ok.reason : '');
    assert.equal(ok.state === 'ok' && ok.rootVersion, 3);
    // A root v3 (and the rest) from other keys, self-signed: the v2 root keys did not sign it.
    const g = fixture(join(tmp.dir, 'chain-forged'));
    g.publish({ 'trusted_root.json': trustedRoot });
    g.repo.rotateKeys(['root']);
    g.repo.rotateKeys(['root']);
    const forged = g.update();
    forged.metadata.set('2.root.json', v2);
    commitCache(paths, forged, { force: true });
    const bad = readCache(paths, shipped);
    assert.equal(bad.state, 'invalid');
    assert.match(bad.state === 'invalid' ? bad.reason : '', /root\.json v3 is signed by 0 of the 1 root keys it needs \(of root v2: a root rotation it did not sign\)/);
  });
});

describe('concurrent commits', () => {
  it('a reader whose metadata is replaced twice before it reads the targets (which are garbage-collected) reads again and gets the newest', () => {
    const f = fixture(join(tmp.dir, 'race'));
    const updates = [0, 1, 2].map((i) => f.publish({ 'trusted_root.json': Buffer.from(`{"r":${i}}`) }));
    const paths = cachePaths('https://race', join(tmp.dir, 'race-cache'));
    commitCache(paths, updates[0]!);
    let raced = 0;
    const racing: typeof readTarget = (p, name, ref) => {
      if (raced++ === 0) {
        commitCache(paths, updates[1]!);
        commitCache(paths, updates[2]!); // collects the first commit's target
        assert.equal(readTarget(p, name, ref), undefined);
      }
      return readTarget(p, name, ref);
    };
    const c = readCache(paths, undefined, racing);
    assert.equal(c.state, 'ok', c.state === 'invalid' ? c.reason : '');
    assert.equal(c.state === 'ok' && c.trustedRoot.toString(), '{"r":2}');
    // A cache that stays wrong is still reported invalid (the retry is only for a changed file).
    const gone = readCache(paths, undefined, () => undefined);
    assert.equal(gone.state, 'invalid');
  });

  it('two processes committing at once never leave a mixed cache (every read verifies; the newest wins)', async () => {
    const f = fixture(join(tmp.dir, 'fc'));
    const updates = Array.from({ length: 16 }, (_, i) => f.publish({ 'trusted_root.json': Buffer.from(`{"v":${i}}`) }));
    const dumpDir = join(tmp.dir, 'updates');
    mkdirSync(dumpDir);
    updates.forEach((u, i) => {
      writeFileSync(join(dumpDir, `${i}.json`), JSON.stringify({ metadata: Object.fromEntries([...u.metadata].map(([k, v]) => [k, v.toString('base64')])), targets: Object.fromEntries([...u.targets].map(([k, v]) => [k, v.toString('base64')])) }));
    });
    const cacheDir = join(tmp.dir, 'concurrent');
    const script = `
      import { readFileSync } from 'node:fs';
      import { cachePaths, commitCache } from ${JSON.stringify(join(ROOT, 'src/trust/cache.ts'))};
      const [dir, cache, parity] = process.argv.slice(1);
      const paths = cachePaths('https://c', cache);
      for (let round = 0; round < 3; round++) for (let i = Number(parity); i < 16; i += 2) {
        const u = JSON.parse(readFileSync(dir + '/' + i + '.json', 'utf8'));
        const m = (o) => new Map(Object.entries(o).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
        commitCache(paths, { metadata: m(u.metadata), targets: m(u.targets) });
      }`;
    const child = (parity: number) =>
      new Promise<number>((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dumpDir, cacheDir, String(parity)], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
        c.on('close', (code) => resolve(code ?? -1));
      });
    const paths = cachePaths('https://c', cacheDir);
    const states = new Set<string>();
    let done = false;
    const reader = (async () => {
      while (!done) {
        const c = readCache(paths);
        states.add(c.state === 'invalid' ? `invalid: ${c.reason}` : c.state);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const codes = await Promise.all([child(0), child(1)]);
    done = true;
    await reader;
    assert.deepEqual(codes, [0, 0]);
    states.delete('missing');
    assert.deepEqual([...states], ['ok']);
    const c = readCache(paths);
    assert.equal(c.state === 'ok' && c.trustedRoot.toString(), '{"v":15}');
  });
});
