/**
 * The TUF cache layout and its reader: locations (XDG, --trust-cache, SIGSTORE_TRUST_CACHE),
 * consistency checks of cached targets against their metadata, atomic commits and clean-up.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cachePaths, commitCache, instanceKey, readCache, signedInfo, targetPath, targetRefs, writeAtomic } from '../../src/trust/cache.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('sigstore-cache-');
after(() => tmp.cleanup());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const meta = (type: string, version: number, expires: Date, extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ signatures: [], signed: { _type: type, version, expires: expires.toISOString(), spec_version: '1.0.31', ...extra } }));

function targetsJson(version: number, files: Record<string, Buffer>): Buffer {
  const targets = Object.fromEntries(Object.entries(files).map(([n, d]) => [n, { length: d.length, hashes: { sha256: sha(d) } }]));
  return meta('targets', version, new Date(Date.now() + 86400_000), { targets });
}

function update(version: number, files: Record<string, Buffer>, expires = new Date(Date.now() + 3600_000)) {
  return {
    metadata: new Map([
      ['root.json', meta('root', 1, new Date(Date.now() + 365 * 86400_000))],
      ['targets.json', targetsJson(version, files)],
      ['snapshot.json', meta('snapshot', version, expires)],
      ['timestamp.json', meta('timestamp', version, expires)],
    ]),
    targets: new Map(Object.entries(files)),
  };
}

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
    assert.deepEqual(cachePaths('https://a', undefined, env), { url: 'https://a', metadataDir: '/env/https%3A%2F%2Fa', targetsDir: '/env/https%3A%2F%2Fa/targets' });
    assert.equal(cachePaths('https://a', '/flag', env).metadataDir, '/flag/https%3A%2F%2Fa');
  });

  it('keeps directory names short for very long URLs', () => {
    const long = `https://example.com/${'x'.repeat(400)}`;
    assert.ok(instanceKey(long).length < 200);
    assert.notEqual(instanceKey(long), instanceKey(`${long}y`));
  });
});

describe('reading and committing', () => {
  const trustedRoot = Buffer.from('{"mediaType":"x"}');
  const signingConfig = Buffer.from('{"mediaType":"y"}');

  it('reports a missing cache, then a complete one after a commit', () => {
    const paths = cachePaths('https://a', join(tmp.dir, 'c1'));
    assert.equal(readCache(paths).state, 'missing');
    commitCache(paths, update(3, { 'trusted_root.json': trustedRoot, 'signing_config.v0.2.json': signingConfig }));
    const c = readCache(paths);
    assert.equal(c.state, 'ok');
    if (c.state !== 'ok') return;
    assert.deepEqual(c.trustedRoot, trustedRoot);
    assert.deepEqual(c.signingConfig, signingConfig);
    assert.equal(c.timestampVersion, 3);
    assert.equal(c.rootVersion, 1);
    assert.ok(existsSync(targetPath(paths, 'trusted_root.json', sha(trustedRoot))));
  });

  it('treats a target that does not match targets.json as not cached', () => {
    const paths = cachePaths('https://b', join(tmp.dir, 'c2'));
    commitCache(paths, update(1, { 'trusted_root.json': trustedRoot }));
    writeFileSync(targetPath(paths, 'trusted_root.json', sha(trustedRoot)), '{"mediaType":"tampered"}');
    const c = readCache(paths);
    assert.equal(c.state, 'incomplete');
    assert.match(c.state === 'incomplete' ? c.reason : '', /trusted_root\.json/);
  });

  it('treats unreadable timestamp metadata as incomplete', () => {
    const paths = cachePaths('https://c', join(tmp.dir, 'c3'));
    commitCache(paths, update(1, { 'trusted_root.json': trustedRoot }));
    writeFileSync(join(paths.metadataDir, 'timestamp.json'), '{not json');
    assert.equal(readCache(paths).state, 'incomplete');
  });

  it('keeps the targets of the current and the previous version only', () => {
    const paths = cachePaths('https://d', join(tmp.dir, 'c4'));
    const v = (n: number) => Buffer.from(`{"v":${n}}`);
    for (let i = 1; i <= 4; i++) commitCache(paths, update(i, { 'trusted_root.json': v(i) }));
    const files = readdirSync(paths.targetsDir).sort();
    assert.deepEqual(files, [`${sha(v(3))}.trusted_root.json`, `${sha(v(4))}.trusted_root.json`].sort());
    const c = readCache(paths);
    assert.equal(c.state === 'ok' && c.trustedRoot.toString(), '{"v":4}');
  });

  it('fails to commit into an unwritable place without touching what is there', () => {
    const blocker = join(tmp.dir, 'blocker');
    writeFileSync(blocker, 'a file, not a directory');
    const paths = cachePaths('https://e', blocker);
    assert.throws(() => commitCache(paths, update(1, { 'trusted_root.json': trustedRoot })), /ENOTDIR|EEXIST/);
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

  it('reads metadata versions, expiries and target references loosely', () => {
    assert.equal(signedInfo(Buffer.from('[]')), undefined);
    assert.equal(signedInfo(Buffer.from('{"signed":{"version":"1","expires":"2030-01-01T00:00:00Z"}}')), undefined);
    assert.equal(signedInfo(meta('timestamp', 7, new Date('2030-01-01T00:00:00Z')))?.version, 7);
    const refs = targetRefs(targetsJson(1, { a: Buffer.from('x') }));
    assert.deepEqual([...refs.keys()], ['a']);
    assert.equal(targetRefs(Buffer.from('{"signed":{"targets":{"b":{"length":1,"hashes":{"sha256":"nothex"}}}}}')).size, 0);
  });
});
