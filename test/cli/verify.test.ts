/**
 * `sigstore verify` as a user runs it: output, exit codes, and input hygiene (bad inputs get a
 * one-line message and exit 1 or 2, never a stack trace).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';
import { hasStackTrace, runCli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/tmp.js';

const ID = ['--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER];
const HAPPY = join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json');
const A_TXT = join(CONFORMANCE_DIR, 'a.txt');

describe('sigstore verify identity', () => {
  const dir = scratchDir('sigstore-ts-cli-');
  copyFileSync(A_TXT, join(dir, 'a.txt'));
  copyFileSync(HAPPY, join(dir, 'a.txt.sigstore.json'));

  it('verifies with the default bundle name and prints OK with what was verified', () => {
    const r = runCli(['verify', 'identity', '--offline', ...ID, join(dir, 'a.txt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^OK: .*a\.txt$/m);
    assert.match(r.stderr, /signer: {2}https:\/\/github\.com\/sigstore-conformance/);
  });

  it('verifies a sha256 digest with --bundle, and --json prints the structured result', () => {
    const digest = `sha256:${execFileSync('sha256sum', [A_TXT], { encoding: 'utf8' }).split(' ')[0]}`;
    const r = runCli(['verify', 'identity', '--offline', ...ID, '--json', '--bundle', HAPPY, digest]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)) as { verified: boolean; signer: { identity: string }; tlogEntries: unknown[] }[];
    assert.equal(out.length, 1);
    assert.equal(out[0]!.verified, true);
    assert.equal(out[0]!.signer.identity, DEFAULT_IDENTITY);
    assert.equal(out[0]!.tlogEntries.length, 1);
  });

  it('any of several identities; an anchored regexp', () => {
    assert.equal(runCli(['verify', 'identity', '--offline', '--any-cert-identity', 'x@y', '--any-cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT]).code, 0);
    assert.equal(runCli(['verify', 'identity', '--offline', '--cert-identity-regexp', 'https://github\\.com/sigstore-conformance/.*', '--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT]).code, 0);
    const partial = runCli(['verify', 'identity', '--offline', '--cert-identity-regexp', 'sigstore-conformance', '--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT]);
    assert.equal(partial.code, 1, 'regexps are fully anchored');
  });

  it('a wrong identity fails with FAIL, the step and the reason, exit 1', () => {
    const r = runCli(['verify', 'identity', '--offline', '--cert-identity', 'someone@example.com', '--cert-oidc-issuer', DEFAULT_ISSUER, '--bundle', HAPPY, A_TXT]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^FAIL: .*a\.txt \[policy\]: certificate identity .* does not match "someone@example\.com"$/m);
  });

  it('verify github checks the workflow claims', () => {
    const ok = runCli(['verify', 'github', '--offline', '--repository', 'sigstore-conformance/extremely-dangerous-public-oidc-beacon', '--bundle', HAPPY, A_TXT]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = runCli(['verify', 'github', '--offline', '--repository', 'someone/else', '--bundle', HAPPY, A_TXT]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /githubWorkflowRepository/);
    assert.equal(runCli(['verify', 'github', '--bundle', HAPPY, A_TXT]).code, 2, 'needs --cert-identity or --repository');
  });

  it('several inputs: one failure makes the exit status 1, every input is reported', () => {
    writeFileSync(join(dir, 'other.txt'), 'other');
    copyFileSync(HAPPY, join(dir, 'other.txt.sigstore.json'));
    const r = runCli(['verify', 'identity', '--offline', ...ID, join(dir, 'a.txt'), join(dir, 'other.txt')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^OK: .*a\.txt$/m);
    assert.match(r.stderr, /^FAIL: .*other\.txt \[signature\]/m);
  });

  describe('input hygiene', () => {
    const h = scratchDir('sigstore-ts-hygiene-');
    writeFileSync(join(h, 'f'), 'hi');
    writeFileSync(join(h, 'empty'), '');
    writeFileSync(join(h, 'bad.json'), '{');
    mkdirSync(join(h, 'dir'));
    execFileSync('mkfifo', [join(h, 'fifo')]);
    writeFileSync(join(h, 'noperm.sigstore.json'), '{}');
    chmodSync(join(h, 'noperm.sigstore.json'), 0);
    const cases: [string, string[], number, RegExp][] = [
      ['non-existent input', ['nonexistent'], 2, /input nonexistent does not exist/],
      ['directory input', [join(h, 'dir')], 2, /is a directory/],
      ['special file input', ['--bundle', HAPPY, join(h, 'fifo')], 2, /not a regular file/],
      ['input without a bundle', [join(h, 'empty')], 2, /no bundle found/],
      ['empty input', ['--bundle', HAPPY, join(h, 'empty')], 1, /FAIL: .*\[signature\]/],
      ['duplicate inputs', [join(h, 'f'), join(h, 'f')], 2, /given more than once/],
      ['malformed bundle', ['--bundle', join(h, 'bad.json'), join(h, 'f')], 1, /\[bundle\]: invalid bundle: the bundle is not valid JSON/],
      ['bundle is a directory', ['--bundle', join(h, 'dir'), join(h, 'f')], 1, /cannot read bundle .*: is a directory/],
      ['bundle is a device', ['--bundle', '/dev/zero', join(h, 'f')], 1, /not a regular file/],
      ['bundle path through a file', ['--bundle', join(h, 'f', 'x.sigstore.json'), join(h, 'f')], 1, /cannot read bundle .*: a component of its path is not a directory$/m],
      ['unknown flag', ['--frobnicate', join(h, 'f')], 2, /unrecognized option '--frobnicate'/],
      ['conflicting flags', ['--staging', '--trusted-root', HAPPY, join(h, 'f')], 2, /cannot be used together/],
      ['--bundle with two inputs', ['--bundle', HAPPY, A_TXT, join(h, 'f')], 2, /--bundle can only be used with a single input/],
      ['digest without --bundle', [`sha256:${'ab'.repeat(32)}`], 2, /needs --bundle/],
      ['malformed trusted root', ['--trusted-root', join(h, 'bad.json'), '--bundle', HAPPY, A_TXT], 1, /trusted root .*not valid JSON/],
      ['missing trusted root', ['--trusted-root', join(h, 'nope.json'), '--bundle', HAPPY, A_TXT], 2, /cannot read trusted root/],
    ];
    for (const [name, args, code, message] of cases) {
      it(`${name}: exit ${code}, one line, no stack trace`, () => {
        const r = runCli(['verify', 'identity', '--offline', ...ID, ...args], { timeoutMs: 10_000 });
        assert.equal(r.code, code, r.stderr);
        assert.match(r.stderr, message);
        assert.ok(!hasStackTrace(r.stderr), r.stderr);
        const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('warning:'));
        assert.equal(lines.length, 1, `one line: ${r.stderr}`);
      });
    }
    it('-v shows a stack trace for an unexpected error but never otherwise', () => {
      const r = runCli(['verify', 'identity', '--offline', ...ID, '-v', '--bundle', join(h, 'bad.json'), join(h, 'f')]);
      assert.equal(r.code, 1);
      assert.ok(hasStackTrace(r.stderr), 'stack with -v');
    });
  });

  it('unknown command and mode are usage errors', () => {
    assert.equal(runCli(['frobnicate']).code, 2);
    assert.equal(runCli(['verify', 'nope']).code, 2);
    assert.equal(runCli([]).code, 2);
    assert.equal(runCli(['--help']).code, 0);
    assert.equal(runCli(['verify', 'identity', '--help']).code, 0);
  });
});
