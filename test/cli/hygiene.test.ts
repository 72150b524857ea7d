/**
 * CLI input hygiene for every command but verify (test/cli/verify.test.ts has its own): sign,
 * attest, attestation verify/convert/inspect, inspect, plumbing, instance token and
 * get-identity-token get non-existent, unreadable, directory, empty, special-file (FIFO), huge
 * (3 GB, sparse) and duplicate inputs, conflicting flags and unknown flags. Each must exit 1 or 2
 * with a one-line message, never a stack trace, never hang. No network: nothing here gets that
 * far (an identity token that is not a JWT stops signing before any request).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hasStackTrace, runCliTimed, type TimedCliResult } from '../helpers/cli.js';
import { CONFORMANCE_DIR } from '../helpers/conformance.js';

const h = mkdtempSync(join(tmpdir(), 'sigstore-ts-hygiene-'));
after(() => rmSync(h, { recursive: true, force: true }));
const f = join(h, 'f.txt');
writeFileSync(f, 'hi\n');
const empty = join(h, 'empty');
writeFileSync(empty, '');
const dir = join(h, 'dir');
mkdirSync(dir);
const fifo = join(h, 'fifo');
execFileSync('mkfifo', [fifo]);
const huge = join(h, 'huge');
execFileSync('truncate', ['-s', '3G', huge]);
const pred = join(h, 'pred.json');
writeFileSync(pred, '{"a":1}');
const nope = join(h, 'nope');
// Unreadable: mode 0 (root reads it anyway), and /proc/self/mem (a read fails with EIO).
const noperm = join(h, 'noperm.json');
writeFileSync(noperm, '{}');
chmodSync(noperm, 0);
const unreadable = process.getuid?.() === 0 ? '/proc/self/mem' : noperm;
const whl = join(import.meta.dirname, '..', 'fixtures', 'pypi', 'rfc8785-0.1.2-py3-none-any.whl');
const attestation = `${whl}.publish.attestation`;
const bundle = join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json');
const T = ['--identity-token', 'not-a-jwt'];
const PT = ['--predicate-type', 'https://example.com/p/v1'];

function cli(args: string[], timeoutMs = 20_000): Promise<TimedCliResult> {
  return runCliTimed(args, { cwd: h, timeoutMs, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: h, SIGSTORE_TRUST_CACHE: join(h, 'trust-cache'), SIGSTORE_OFFLINE: '1' } });
}

/** [what, args, exit code, message] */
type Case = [string, string[], 1 | 2, RegExp];

const CASES: Record<string, Case[]> = {
  sign: [
    ['non-existent input', ['sign', ...T, nope], 2, /input .*nope does not exist/],
    ['directory input', ['sign', ...T, dir], 2, /is a directory/],
    ['duplicate inputs', ['sign', ...T, f, f], 2, /given more than once/],
    ['empty input (signable: stops at the token)', ['sign', ...T, empty], 1, /not a JWT/],
    ['huge input (stops at the token, nothing read)', ['sign', ...T, huge], 1, /not a JWT/],
    ['special file input', ['sign', ...T, fifo], 2, /input .*fifo is not a regular file/],
    ['a device as input', ['sign', ...T, '/dev/null'], 2, /not a regular file/],
    ['unreadable trust config', ['--trust-config', unreadable, 'sign', ...T, f], 2, /cannot read|trust config/],
    ['a directory as trust config', ['--trust-config', dir, 'sign', ...T, f], 2, /trust config|directory/],
    ['--bundle with two inputs', ['sign', ...T, '--bundle', join(h, 'o.json'), f, empty], 2, /only be used with a single input/],
    ['conflicting instances', ['--staging', '--trust-config', pred, 'sign', ...T, f], 2, /cannot be used together/],
    ['output into a missing directory', ['sign', ...T, '--bundle', join(nope, 'o.json'), f], 2, /does not exist/],
    ['unknown flag', ['sign', ...T, '--frobnicate', f], 2, /unrecognized option '--frobnicate'/],
  ],
  attest: [
    ['non-existent predicate', ['attest', ...T, '--predicate', nope, ...PT, f], 2, /cannot read predicate .*no such file/],
    ['directory predicate', ['attest', ...T, '--predicate', dir, ...PT, f], 2, /cannot read predicate .*directory/],
    ['empty predicate', ['attest', ...T, '--predicate', empty, ...PT, f], 2, /not valid JSON/],
    ['special file predicate', ['attest', ...T, '--predicate', fifo, ...PT, f], 2, /not a regular file/],
    ['huge predicate', ['attest', ...T, '--predicate', huge, ...PT, f], 2, /larger than 32 MiB/],
    ['unreadable predicate', ['attest', ...T, '--predicate', unreadable, ...PT, f], 2, /cannot read predicate/],
    ['special file statement', ['attest', ...T, '--statement', fifo], 2, /not a regular file/],
    ['huge statement', ['attest', ...T, '--statement', huge], 2, /larger than 32 MiB/],
    ['non-existent subject', ['attest', ...T, '--predicate', pred, ...PT, nope], 2, /does not exist/],
    ['special file subject', ['attest', ...T, '--predicate', pred, ...PT, fifo], 2, /not a regular file/],
    ['duplicate subjects', ['attest', ...T, '--predicate', pred, ...PT, f, f], 2, /given more than once/],
    ['conflicting flags', ['attest', ...T, '--statement', pred, '--predicate', pred, ...PT, f], 2, /cannot be combined/],
    ['unknown flag', ['attest', ...T, '--frobnicate', '--predicate', pred, ...PT, f], 2, /unrecognized option '--frobnicate'/],
  ],
  'attestation verify': [
    ['non-existent distribution', ['attestation', 'verify', '--identity', 'x', join(h, 'a-1.0.tar.gz')], 1, /does not exist/],
    ['not a distribution name', ['attestation', 'verify', '--identity', 'x', f], 1, /not a valid Python distribution file name/],
    ['directory attestation', ['attestation', 'verify', '--identity', 'x', '--attestation', dir, whl], 1, /directory/],
    ['special file attestation', ['attestation', 'verify', '--identity', 'x', '--attestation', fifo, whl], 1, /not a regular file/],
    ['huge attestation', ['attestation', 'verify', '--identity', 'x', '--attestation', huge, whl], 2, /larger than 32 MiB/],
    ['unreadable attestation', ['attestation', 'verify', '--identity', 'x', '--attestation', unreadable, whl], 2, /cannot read attestation/],
    ['empty attestation', ['attestation', 'verify', '--identity', 'x', '--offline', '--attestation', empty, whl], 1, /FAIL: .*not valid JSON/],
    ['duplicate distributions', ['attestation', 'verify', '--identity', 'x', whl, whl], 2, /more than once/],
    ['--attestation with two distributions', ['attestation', 'verify', '--identity', 'x', '--attestation', attestation, whl, join(h, 'b-1.0.tar.gz')], 2, /single|one/],
    ['unknown flag', ['attestation', 'verify', '--identity', 'x', '--frobnicate', whl], 2, /unrecognized option '--frobnicate'/],
  ],
  'attestation convert': [
    ['non-existent input', ['attestation', 'convert', '-o', '-', nope], 1, /does not exist/],
    ['directory input', ['attestation', 'convert', '-o', '-', dir], 1, /is a directory/],
    ['special file input', ['attestation', 'convert', '-o', '-', fifo], 1, /not a regular file/],
    ['huge input', ['attestation', 'convert', '-o', '-', huge], 2, /larger than 32 MiB/],
    ['unreadable input', ['attestation', 'convert', '-o', '-', unreadable], 2, /cannot read input/],
    ['empty input', ['attestation', 'convert', '-o', '-', empty], 1, /not JSON/],
    ['no output', ['attestation', 'convert', attestation], 2, /output/],
    ['conflicting direction', ['attestation', 'convert', '--to', 'attestation', '-o', '-', attestation], 2, /converts to a bundle|not an attestation/],
    ['unknown flag', ['attestation', 'convert', '-o', '-', '--frobnicate', attestation], 2, /unrecognized option '--frobnicate'/],
  ],
  'attestation inspect': [
    // Exit 1 for a missing input, as pypi-attestations' inspect (and attestation convert).
    ['non-existent input', ['attestation', 'inspect', nope], 1, /does not exist/],
    ['directory input', ['attestation', 'inspect', dir], 1, /is a directory/],
    ['special file input', ['attestation', 'inspect', fifo], 1, /not a regular file/],
    ['huge input', ['attestation', 'inspect', huge], 2, /larger than 32 MiB/],
    ['unreadable input', ['attestation', 'inspect', unreadable], 2, /cannot read/],
    ['empty input', ['attestation', 'inspect', empty], 1, /FAIL: .*not JSON/],
    ['duplicate inputs', ['attestation', 'inspect', attestation, attestation], 2, /given more than once/],
    ['unknown flag', ['attestation', 'inspect', '--frobnicate', attestation], 2, /unrecognized option '--frobnicate'/],
  ],
  inspect: [
    ['non-existent input', ['inspect', nope], 2, /no such file/],
    ['directory input', ['inspect', dir], 2, /is a directory/],
    ['special file input', ['inspect', fifo], 2, /not a regular file/],
    ['huge input', ['inspect', huge], 2, /larger than 32 MiB/],
    ['unreadable input', ['inspect', unreadable], 2, /cannot read/],
    ['empty input', ['inspect', empty], 1, /FAIL: .*not JSON/],
    ['duplicate inputs', ['inspect', bundle, bundle], 2, /given more than once/],
    ['no input', ['inspect'], 2, /at least one FILE/],
    ['unknown flag', ['inspect', '--frobnicate', bundle], 2, /unrecognized option '--frobnicate'/],
  ],
  plumbing: [
    ['unknown command', ['plumbing', 'frobnicate'], 2, /unknown plumbing command/],
    ['fix-bundle: non-existent bundle', ['plumbing', 'fix-bundle', '--bundle', nope], 2, /no such file/],
    ['fix-bundle: directory bundle', ['plumbing', 'fix-bundle', '--bundle', dir], 2, /directory/],
    ['fix-bundle: special file bundle', ['plumbing', 'fix-bundle', '--bundle', fifo], 2, /not a regular file/],
    ['fix-bundle: huge bundle', ['plumbing', 'fix-bundle', '--bundle', huge], 2, /larger than 32 MiB/],
    ['fix-bundle: unreadable bundle', ['plumbing', 'fix-bundle', '--bundle', unreadable], 2, /cannot read bundle/],
    ['fix-bundle: empty bundle', ['plumbing', 'fix-bundle', '--bundle', empty], 1, /not valid JSON/],
    ['fix-bundle: no bundle', ['plumbing', 'fix-bundle'], 2, /required: --bundle/],
    ['trust-root: conflicting instances', ['--staging', '--instance', 'https://tuf.example.com', 'plumbing', 'trust-root'], 2, /cannot be used together/],
    ['trust-root: unknown flag', ['plumbing', 'trust-root', '--frobnicate'], 2, /unrecognized option '--frobnicate'/],
  ],
  'instance token': [
    ['non-existent data directory', ['instance', 'token', '--data-dir', nope], 1, /no instance in/],
    ['a file as data directory', ['instance', 'token', '--data-dir', f], 1, /no instance in/],
    ['an empty data directory', ['instance', 'token', '--data-dir', dir], 1, /no instance in/],
    ['no data directory', ['instance', 'token'], 2, /--data-dir is required/],
    ['a bad --ttl', ['instance', 'token', '--data-dir', dir, '--ttl', '0'], 2, /--ttl must be/],
    ['an unknown instance command', ['instance', 'frobnicate'], 2, /unknown instance command/],
    ['unknown flag', ['instance', 'token', '--data-dir', dir, '--frobnicate'], 2, /unrecognized option '--frobnicate'/],
  ],
  'get-identity-token': [
    ['an empty token', ['get-identity-token', '--identity-token', ''], 2, /--identity-token is empty/],
    ['a token that is not a JWT', ['get-identity-token', '--identity-token', 'garbage'], 1, /not a JWT/],
    ['conflicting instances', ['get-identity-token', '--staging', '--instance', 'https://tuf.example.com'], 2, /cannot be used together/],
    ['conflicting instances (global flags)', ['--staging', '--trust-config', pred, 'get-identity-token'], 2, /cannot be used together/],
    ['a positional argument', ['get-identity-token', 'extra'], 2, /unexpected|argument/],
    ['unknown flag', ['get-identity-token', '--frobnicate'], 2, /unrecognized option '--frobnicate'/],
  ],
};

for (const [command, cases] of Object.entries(CASES)) {
  describe(`sigstore ${command}: input hygiene`, { concurrency: 2 }, () => {
    for (const [what, args, code, message] of cases) {
      it(`${what}: exit ${code}, one line, no stack trace`, async () => {
        const r = await cli(args);
        assert.ok(!r.timedOut, `no hang: ${args.join(' ')}`);
        assert.equal(r.code, code, r.stderr);
        assert.match(r.stderr, message);
        assert.ok(!hasStackTrace(r.stderr), r.stderr);
        const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('warning:') && !l.startsWith('note:'));
        assert.equal(lines.length, 1, `one line: ${r.stderr}`);
      });
    }
  });
}

it('-v shows a stack trace for an unexpected error; without it there is none', async () => {
  const args = ['plumbing', 'fix-bundle', '--bundle', empty];
  const quiet = await cli(args);
  assert.ok(!hasStackTrace(quiet.stderr), quiet.stderr);
  const verbose = await cli(['-v', ...args]);
  assert.equal(verbose.code, 1);
  assert.ok(hasStackTrace(verbose.stderr), `stack with -v: ${verbose.stderr}`);
});
