/**
 * bin/sigstore's V8 code cache: kept in the user's cache directory under the SHA-256 of the
 * program, so a changed program (even one of the same length, which V8's own check lets through)
 * never runs old bytecode; a cache directory that others can write to is never used.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.js';

describe('bin/sigstore code cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-v8-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist'));
  copyFileSync(join(ROOT, 'bin', 'sigstore'), join(dir, 'bin', 'sigstore'));
  const program = join(dir, 'dist', 'sigstore.cjs');
  copyFileSync(join(ROOT, 'dist', 'sigstore.cjs'), program);
  const cache = join(dir, 'cache');
  const version = () => {
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'sigstore'), '--version'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache, SIGSTORE_NO_CODE_CACHE: '' } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const cached = () => readdirSync(join(cache, 'sigstore-ts', 'v8')).filter((f) => f.endsWith('.bin'));

  it('the first run writes a cache named by the program hash; the next run uses it', () => {
    const v = version();
    assert.match(v, /^sigstore-ts \d/);
    assert.equal(cached().length, 1);
    assert.equal(version(), v);
    assert.equal(cached().length, 1, 'an accepted cache is not rewritten under another name');
  });

  it('a changed program of the same length never runs the old bytecode', () => {
    const before = readFileSync(program, 'utf8');
    const m = before.match(/VERSION="(\d+\.\d+\.\d+)"/);
    assert.ok(m, 'the built program names its version');
    const changed = before.replace(`VERSION="${m[1]}"`, `VERSION="${m[1]!.replace(/\d/g, '7')}"`);
    assert.equal(changed.length, before.length);
    writeFileSync(program, changed);
    assert.equal(version(), `sigstore-ts ${m[1]!.replace(/\d/g, '7')}`);
    assert.equal(cached().length, 2, 'the changed program gets its own cache');
  });

  it('a cache directory that others can write to is neither read nor written', () => {
    const v8 = join(cache, 'sigstore-ts', 'v8');
    const planted = cached();
    // Plant garbage under every name: if it were read, V8 would reject it and a new file would be written.
    for (const f of planted) writeFileSync(join(v8, f), 'not bytecode');
    chmodSync(v8, 0o777);
    try {
      version();
      for (const f of planted) assert.equal(readFileSync(join(v8, f), 'utf8'), 'not bytecode');
      assert.deepEqual(cached().sort(), planted.sort());
    } finally {
      chmodSync(v8, 0o700);
    }
  });
});
