/**
 * Long runs of the signing commands and the attestation commands on a terminal. Many inputs:
 * `sign` and `attest` show [done/total] signing, rate and the input signed last, erased before
 * the result lines (verify's and attestation verify's are in progress.test.ts). Hashing a large
 * input (64 MiB or more) shows the bytes done on a terminal, for
 * `sign`, `verify`, `attest` and the `attestation` commands: one status line on stderr, redrawn
 * in place and erased before the result line; nothing of it when piped or with -q. The input is
 * a sparse file of 65 MiB in the test's temporary directory; the terminal is a real
 * pseudo-terminal (util-linux `script`), skipped with the reason where it is missing. Signing
 * uses the local Sigstore instance, which runs in this process: the CLI runs as a child,
 * asynchronously.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SIGSTORE } from '../helpers/cli.js';
import { startTestInstance, type TestInstance } from '../sign/helpers.js';

const SCRIPT = '/usr/bin/script';
const skip = existsSync(SCRIPT) ? false : `${SCRIPT} (util-linux) is missing`;
const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
/** A status line of the bytes-done progress. */
const STATUS = /\r\x1b\[Khashing [^\r\n]*: [\d.]+ MiB of 65\.0 MiB \(\d+%\)/;

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

/** The CLI under a pseudo-terminal: `out` is everything the terminal showed. */
const onTerminal = (args: string[]) => run(SCRIPT, ['-qec', [process.execPath, SIGSTORE, ...args].map(quote).join(' '), '/dev/null'], { TERM: 'xterm' });
/** The CLI with stdout and stderr piped. */
const piped = (args: string[]) => run(process.execPath, [SIGSTORE, ...args]);

/** The status line was shown, and erased before anything else was written after it. */
function assertShownAndErased(out: string, result: RegExp): void {
  assert.match(out, STATUS, out.slice(0, 300));
  const last = out.lastIndexOf('\r\x1b[Khashing ');
  const rest = out.slice(last + 1);
  const erase = rest.indexOf('\r\x1b[K');
  assert.ok(erase > 0 && !/[\r\n]/.test(rest.slice(0, erase)), 'the last status line is erased before any other output');
  assert.match(out.slice(last + 1 + erase + '\r\x1b[K'.length), result);
}

describe('progress of long runs on a terminal', { skip }, () => {
  let t: TestInstance;
  let tc: string;
  let big: string;
  let dist: string;
  let verify: string[];
  before(async () => {
    t = await startTestInstance();
    tc = t.trustConfigPath;
    const sparse = (name: string) => {
      const f = join(t.dir, name);
      const fd = openSync(f, 'w');
      ftruncateSync(fd, 65 * 1024 * 1024);
      closeSync(fd);
      return f;
    };
    big = sparse('big.bin');
    dist = sparse('big_pkg-1.0.tar.gz');
    verify = ['--trust-config', tc, 'verify', 'identity', '--cert-identity', t.inst.identity, '--cert-oidc-issuer', t.inst.issuer];
  });
  after(async () => {
    await t?.stop();
  });

  it('sign, then verify: on a terminal the bytes done, erased before the result; -q and pipes show none', async () => {
    const signed = await onTerminal(['--trust-config', tc, 'sign', '--identity-token', await t.inst.token(), big]);
    assert.equal(signed.code, 0, signed.out);
    assertShownAndErased(signed.out, /Sigstore bundle written to/);

    const ok = await onTerminal([...verify, big]);
    assert.equal(ok.code, 0, ok.out);
    assertShownAndErased(ok.out, /^OK: \S*big\.bin/);

    const quiet = await onTerminal([...verify, '-q', big]);
    assert.equal(quiet.code, 0, quiet.out);
    assert.doesNotMatch(quiet.out, /hashing|\x1b/);

    const pipe = await piped([...verify, '--json', big]);
    assert.equal(pipe.code, 0, pipe.err);
    assert.doesNotMatch(pipe.err + pipe.out, /hashing|\x1b|\r/);
    assert.equal(JSON.parse(pipe.out).verified, true);
  });

  it('attest: the subject is hashed with the bytes done on a terminal, none when piped', async () => {
    const predicate = join(t.dir, 'predicate.json');
    writeFileSync(predicate, '{}');
    const args = async (out: string) => ['--trust-config', tc, 'attest', '--identity-token', await t.inst.token(), '--predicate', predicate, '--predicate-type', 'https://example.com/p', '--bundle', join(t.dir, out), big];
    const r = await onTerminal(await args('att1.json'));
    assert.equal(r.code, 0, r.out);
    assertShownAndErased(r.out, /Sigstore bundle written to/);
    const pipe = await piped(await args('att2.json'));
    assert.equal(pipe.code, 0, pipe.err);
    assert.doesNotMatch(pipe.err + pipe.out, /hashing|\x1b/);
  });

  it('attestation sign and verify: the distribution is hashed with the bytes done on a terminal', async () => {
    const signed = await onTerminal(['--trust-config', tc, 'attestation', 'sign', '--identity-token', await t.inst.token(), dist]);
    assert.equal(signed.code, 0, signed.out);
    assertShownAndErased(signed.out, /Signed \S*big_pkg-1\.0\.tar\.gz/);
    const verified = await onTerminal(['--trust-config', tc, 'attestation', 'verify', '--identity', t.inst.identity, dist]);
    assert.equal(verified.code, 0, verified.out);
    assertShownAndErased(verified.out, /^OK: \S*big_pkg-1\.0\.tar\.gz/);
    const pipe = await piped(['--trust-config', tc, 'attestation', 'verify', '--identity', t.inst.identity, dist]);
    assert.equal(pipe.code, 0, pipe.err);
    assert.doesNotMatch(pipe.err, /hashing|\x1b/);
  });
  it('sign, attest and attestation sign of many inputs: [done/total] signing on a terminal, erased before the results; none piped or with -q', async () => {
    const inputs = [1, 2, 3].map((i) => {
      const f = join(t.dir, `many${i}.txt`);
      writeFileSync(f, `many ${i} ${Math.random()}\n`);
      return f;
    });
    const sign = async (...extra: string[]) => ['--trust-config', tc, 'sign', '--overwrite', '--identity-token', await t.inst.token(), ...extra, ...inputs];
    const r = await onTerminal(await sign());
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /\r\x1b\[K\[[1-3]\/3\] signing [\d.]+\/s .*many\d\.txt/);
    const last = r.out.lastIndexOf('signing ');
    const erased = r.out.indexOf('\r\x1b[K', last);
    assert.ok(erased > 0 && erased < r.out.indexOf('Sigstore bundle written to', last), 'erased before the results');
    assert.doesNotMatch((await onTerminal(await sign('-q'))).out, /\x1b\[K/);
    const pipe = await piped(await sign());
    assert.equal(pipe.code, 0, pipe.err);
    assert.doesNotMatch(pipe.err + pipe.out, /\x1b|\r/);

    const predicate = join(t.dir, 'predicate-many.json');
    writeFileSync(predicate, '{}');
    const attest = await onTerminal(['--trust-config', tc, 'attest', '--overwrite', '--identity-token', await t.inst.token(), '--predicate', predicate, '--predicate-type', 'https://example.com/p', ...inputs]);
    assert.equal(attest.code, 0, attest.out);
    assert.match(attest.out, /\r\x1b\[K\[[1-3]\/3\] signing [\d.]+\/s .*many\d\.txt/);

    const dists = ['many_a-1.0.tar.gz', 'many_b-1.0.tar.gz'].map((n) => {
      const f = join(t.dir, n);
      writeFileSync(f, `${n} ${Math.random()}`);
      return f;
    });
    const pypi = await onTerminal(['--trust-config', tc, 'attestation', 'sign', '--identity-token', await t.inst.token(), ...dists]);
    assert.equal(pypi.code, 0, pypi.out);
    assert.match(pypi.out, /\r\x1b\[K\[[12]\/2\] signing [\d.]+\/s .*many_[ab]-1\.0\.tar\.gz/);
    assert.match(pypi.out, /\r\x1b\[KSigned /, 'erased before the results');
  });
});
