/**
 * Nothing is logged that cannot be delivered: every signing run that cannot succeed (a key type
 * the log or the format cannot carry, Rekor v2 without a TSA, outputs that cannot be written) is
 * refused with one line before any request, counted at a loopback proxy in front of every
 * signing service of the local instance. And stale temporary files of killed runs are removed by
 * the next run.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planOutputs, removeStaleTemporaries } from '../../src/cli/output.js';
import { runMain } from '../helpers/in-process.js';
import { onlyRekor, startTestInstance, type TestInstance, viaProxy } from './helpers.js';
import { type FaultProxy, startFaultProxy } from './proxy.js';

const PYPI = join(import.meta.dirname, '..', 'fixtures', 'pypi');
let t: TestInstance;
let p: FaultProxy;
let dir: string;
let trustConfig: string;
let noTsa: string;
let n = 0;

before(async () => {
  t = await startTestInstance();
  p = await startFaultProxy(t.inst.url);
  dir = join(t.dir, 'cannot');
  mkdirSync(dir);
  trustConfig = viaProxy(t, p.url, () => {}, 'cannot.json').path;
  noTsa = viaProxy(t, p.url, onlyRekor(2, false), 'cannot-no-tsa.json').path;
});
after(async () => {
  await p?.close();
  await t?.stop();
});

function input(name = `in-${++n}.txt`): string {
  const f = join(dir, name);
  writeFileSync(f, `content ${n} ${Math.random()}\n`);
  return f;
}

const cli = (args: string[]) => runMain(args);

/** Runs a command that must be refused before any request, with one line. */
async function refused(args: string[], re: RegExp, config = trustConfig): Promise<string> {
  p.log.length = 0;
  const cmd = args[0] === 'attestation' ? 2 : 1;
  const r = await cli(['--trust-config', config, ...args.slice(0, cmd), '--identity-token', await t.inst.token(), ...args.slice(cmd)]);
  assert.notEqual(r.code, 0, r.err);
  assert.match(r.err, re);
  assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  assert.deepEqual(p.log, [], `no request was made: ${args.join(' ')}`);
  return r.err;
}

describe('signing runs that cannot succeed make no request at all', () => {
  it('Ed25519 with hashedrekord (sign), and with Rekor v2 (attest): says why and what to use', async () => {
    await refused(['sign', '--key-type', 'ed25519', input()], /Ed25519 keys cannot sign artifacts .*use p256 or p384, or attest/);
    const predicate = join(dir, 'predicate.json');
    writeFileSync(predicate, '{}');
    const a = ['attest', '--predicate', predicate, '--predicate-type', 'https://example.com/p/v1'];
    await refused([...a, '--key-type', 'ed25519', '--rekor-version', '2', input()], /Ed25519 keys cannot sign for Rekor v2 .*use p256 or p384, or --rekor-version 1/);
    await refused([...a, '--key-type', 'ed25519', input()], /Ed25519 keys cannot sign for Rekor v2/);
  });

  it('Rekor v2 without a timestamp authority in the signing config', async () => {
    await refused(['sign', input()], /Rekor v2 entries carry no integrated time.*names no usable timestamp authority \(use a signing config with a TSA, or --rekor-version 1\)/, noTsa);
  });

  it('a PEP 740 attestation with a key type PyPI cannot verify', async () => {
    const d = join(dir, 'pypi_attestations-0.0.19.tar.gz');
    execFileSync('cp', [join(PYPI, 'pypi_attestations-0.0.19.tar.gz'), d]);
    for (const k of ['p384', 'ed25519']) {
      await refused(['attestation', 'sign', '--key-type', k, d], /PyPI verifies attestations signed with ECDSA P-256 and SHA-256 only.*use p256/);
    }
    assert.equal(existsSync(`${d}.publish.attestation`), false);
  });

  it('outputs that cannot be written: a dangling link, a link, a missing directory', async () => {
    const a = input();
    symlinkSync(join(dir, 'nowhere'), `${a}.sigstore.json`);
    await refused(['sign', a], /Refusing to overwrite outputs without --overwrite: .*\.sigstore\.json \(a link\)/);
    const b = input();
    symlinkSync(a, `${b}.sigstore.json`);
    await refused(['sign', b], /\(a link\)/);
    await refused(['sign', '--output-directory', join(a, 'missing'), input()], /cannot create the output directory .*ENOTDIR/);
  });

  const mounted = (() => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
    try {
      execFileSync('mount', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it('a read-only or full output directory (tmpfs mounts; root only)', { skip: !mounted && 'needs root and mount' }, async () => {
    const ro = join(dir, 'ro');
    const full = join(dir, 'full');
    mkdirSync(ro);
    mkdirSync(full);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro]);
    } catch {
      return; // mounting not allowed here (a container without CAP_SYS_ADMIN)
    }
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
      try {
        writeFileSync(join(full, 'filler'), Buffer.alloc(60 * 1024));
      } catch {
        // full already
      }
      await refused(['sign', '--output-directory', ro, input()], /cannot write the outputs to .*ro: the file system is read-only; nothing was signed/);
      await refused(['sign', '--output-directory', full, input(), input()], /cannot write the outputs to .*full: (no space left|only \d+ bytes are free)/);
    } finally {
      execFileSync('umount', [ro]);
      if (existsSync(join(full, 'filler'))) execFileSync('umount', [full]);
    }
  });

  it('an unwritable output directory (permissions; not root)', { skip: process.getuid?.() === 0 && 'root bypasses permissions' }, async () => {
    const ro = join(dir, 'noperm');
    mkdirSync(ro, { mode: 0o555 });
    await refused(['sign', '--output-directory', ro, input()], /permission denied; nothing was signed/);
  });

  it('attest --key-type p384 warns that sigstore-python and sigstore-js cannot verify P-384 DSSE', async () => {
    const predicate = join(dir, 'predicate2.json');
    writeFileSync(predicate, '{}');
    const f = input();
    const r = await cli(['--trust-config', trustConfig, 'attest', '--identity-token', await t.inst.token(), '--rekor-version', '1', '--key-type', 'p384', '--predicate', predicate, '--predicate-type', 'https://example.com/p/v1', f]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning: sigstore-python and sigstore-js cannot verify DSSE attestations signed with P-384 keys/);
    assert.ok(existsSync(`${f}.sigstore.json`));
  });
});

describe('stale temporary files of killed runs', () => {
  it('are removed by the next run: dead process, or older than an hour; live and recent ones stay', async () => {
    const d = join(dir, 'stale');
    mkdirSync(d);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      // A pid that is not running: a child that has exited.
      const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      await new Promise((r) => gone.on('exit', r));
      const dead = `.a.txt.sigstore.json.${gone.pid}.0123456789ab.tmp`;
      const live = `.b.txt.sigstore.json.${child.pid}.0123456789ab.tmp`;
      const old = `.c.txt.sigstore.json.${child.pid}.abcdef012345.tmp`;
      const notOurs = '.d.txt.sigstore.json.tmp';
      for (const f of [dead, live, old, notOurs]) writeFileSync(join(d, f), 'partial');
      const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
      utimesSync(join(d, old), twoHoursAgo, twoHoursAgo);
      planOutputs([join(d, 'e.txt.sigstore.json')]);
      assert.deepEqual(readdirSync(d).sort(), [live, notOurs].sort());
      assert.equal(removeStaleTemporaries(d), 0);
    } finally {
      child.kill();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
