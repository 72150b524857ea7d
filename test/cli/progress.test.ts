/**
 * Long runs: on a terminal, multi-input `verify` shows a status line (done/total, rate, current
 * input) on stderr, erased before each OK/FAIL line; piped or with -q, none of it. Every
 * multi-input run ends with a summary line. The terminal is a real pseudo-terminal (util-linux
 * `script`); skipped, with the reason, where it is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, runCli, SIGSTORE } from '../helpers/cli.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';

const SCRIPT = '/usr/bin/script';
const ID = ['verify', 'identity', '--offline', '--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER];
const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;

describe('verify progress and summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-progress-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const inputs = [1, 2, 3].map((i) => {
    const f = join(dir, `f${i}.txt`);
    copyFileSync(join(CONFORMANCE_DIR, 'a.txt'), f);
    copyFileSync(join(CONFORMANCE_DIR, i === 3 ? 'happy-path-v0.2' : 'happy-path-v0.3', 'bundle.sigstore.json'), `${f}.sigstore.json`);
    return f;
  });
  copyFileSync(join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json'), join(dir, 'other.txt.sigstore.json'));
  spawnSync('sh', ['-c', `echo other > ${quote(join(dir, 'other.txt'))}`]);
  const all = [...inputs, join(dir, 'other.txt')];

  /** Runs the CLI under a pseudo-terminal; the terminal's whole output (stdout and stderr). */
  const onTerminal = (args: string[]) => {
    const cmd = [process.execPath, SIGSTORE, ...args].map(quote).join(' ');
    const r = spawnSync(SCRIPT, ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } });
    return { code: r.status, out: r.stdout };
  };

  it('on a terminal: a status line redrawn in place, erased before each result line', { skip: existsSync(SCRIPT) ? false : `${SCRIPT} (util-linux) is missing` }, () => {
    const r = onTerminal([...ID, ...all]);
    assert.equal(r.code, 1);
    assert.match(r.out, /\r\x1b\[K\[0\/4\] verifying /);
    assert.match(r.out, /\r\x1b\[K\[\d\/4\] verifying [\d.]+\/s .*f\d\.txt/);
    assert.match(r.out, /\r\x1b\[KOK: .*f1\.txt/);
    assert.match(r.out, /\r\x1b\[KFAIL: .*other\.txt/);
    assert.match(r.out, /3 verified, 1 failed/);
  });

  it('with -q on a terminal: no status line', { skip: existsSync(SCRIPT) ? false : `${SCRIPT} (util-linux) is missing` }, () => {
    const r = onTerminal([...ID, '-q', ...all]);
    assert.doesNotMatch(r.out, /\x1b\[K/);
    assert.match(r.out, /3 verified, 1 failed/);
  });

  it('piped: no escape sequences, the summary line at the end', () => {
    const r = runCli([...ID, ...all]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /\x1b|\r/);
    assert.match(r.stderr, /\n3 verified, 1 failed\n$/);
  });

  it('one input: no summary line', () => {
    const r = runCli([...ID, inputs[0]!]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /verified, \d+ failed/);
  });
  it('attestation verify: the same status line on a terminal, none piped, the summary at the end', { skip: existsSync(SCRIPT) ? false : `${SCRIPT} (util-linux) is missing` }, () => {
    const dist = 'pypi_attestations-0.0.19.tar.gz';
    const identity = 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19';
    const dists = [1, 2].map((i) => {
      const d = join(dir, `dist${i}`);
      mkdirSync(d);
      for (const suffix of ['', '.publish.attestation', '.slsa.attestation']) copyFileSync(join(ROOT, 'test', 'fixtures', 'pypi', `${dist}${suffix}`), join(d, `${dist}${suffix}`));
      return join(d, dist);
    });
    const args = ['attestation', 'verify', '--offline', '--identity', identity, ...dists];
    const r = onTerminal(args);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /\r\x1b\[K\[0\/4\] verifying .*\.publish\.attestation\)/);
    assert.match(r.out, /\r\x1b\[KOK: .*dist1\/pypi_attestations-0\.0\.19\.tar\.gz \(/);
    assert.match(r.out, /4 verified, 0 failed/);
    assert.doesNotMatch(onTerminal([...args.slice(0, 2), '-q', ...args.slice(2)]).out, /\x1b\[K/);
    const piped = runCli(args);
    assert.equal(piped.code, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /\x1b|\r/);
    assert.match(piped.stderr, /\n4 verified, 0 failed\n$/);
  });
});
