/**
 * bin/sigstore's V8 code cache: kept in the user's cache directory under the SHA-256 of the
 * program, so a changed program (even one of the same length, which V8's own check lets through)
 * never runs old bytecode; a cache directory that others can write to is never used.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const CONF_IDENTITY = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';

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

  it("a cache written by a run that verified nothing is replaced by one that verified something, which is then kept", () => {
    const v8 = join(cache, 'sigstore-ts', 'v8');
    const names = () => cached().map((f) => f.replace(/^[0-9a-f]{64}/, 'KEY'));
    assert.deepEqual(names(), ['KEY.part.bin']);
    const conf = join(ROOT, 'test/fixtures/conformance');
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'sigstore'), ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache, SIGSTORE_NO_CODE_CACHE: '' } });
      assert.equal(r.status, 0, r.stderr);
    };
    const partWritten = statSync(join(v8, cached()[0]!)).mtimeMs;
    run(['verify', '--help']);
    assert.deepEqual(names(), ['KEY.part.bin'], 'a run that verified nothing does not rewrite a partial cache');
    assert.equal(statSync(join(v8, cached()[0]!)).mtimeMs, partWritten);
    const verify = [
      ...['-q', 'verify', 'identity', '--bundle', join(conf, 'happy-path-v0.3/bundle.sigstore.json'), '--cert-identity', CONF_IDENTITY],
      ...['--cert-oidc-issuer', 'https://token.actions.githubusercontent.com', '--trusted-root', join(ROOT, 'trust/production/trusted_root.json'), join(conf, 'a.txt')],
    ];
    run(verify);
    const files = cached();
    assert.deepEqual(names(), ['KEY.bin']);
    const written = statSync(join(v8, files[0]!)).mtimeMs;
    run(verify);
    version();
    assert.deepEqual(cached(), files, 'a full cache is used by every run and not rewritten');
    assert.equal(statSync(join(v8, files[0]!)).mtimeMs, written);
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

  it("writing a cache removes other programs' caches not written for 30 days, and only those", () => {
    const v8 = join(cache, 'sigstore-ts', 'v8');
    const old = join(v8, `${'a'.repeat(64)}.bin`);
    const young = join(v8, `${'b'.repeat(64)}.part.bin`);
    const other = join(v8, 'notes.txt');
    for (const f of [old, young, other]) writeFileSync(f, 'x');
    const fortyDays = (Date.now() - 40 * 24 * 3600 * 1000) / 1000;
    utimesSync(old, fortyDays, fortyDays);
    utimesSync(other, fortyDays, fortyDays);
    writeFileSync(program, readFileSync(program, 'utf8').replace(/VERSION="(\d)/, 'VERSION="8'));
    version();
    assert.ok(!existsSync(old), 'an old cache of another program is removed');
    assert.ok(existsSync(young), 'a recent cache of another program is kept');
    assert.ok(existsSync(other), 'a file that is not a cache is never removed');
    for (const f of [young, other]) rmSync(f);
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
