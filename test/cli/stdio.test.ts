/**
 * Standard output and error written straight to their descriptors (src/lib/stdio.ts): whole
 * and in order through a pipe that fills up, handed to the stream when the descriptor would
 * block, and dropped without an error when the reader has gone or the descriptor is closed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasStackTrace, ROOT, SIGSTORE } from '../helpers/cli.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';

const STDIO = join(ROOT, 'src', 'lib', 'stdio.ts');
const VERIFY = [
  SIGSTORE,
  'verify',
  'identity',
  '--bundle',
  join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json'),
  '--cert-identity',
  DEFAULT_IDENTITY,
  '--cert-oidc-issuer',
  DEFAULT_ISSUER,
  '--trusted-root',
  join(ROOT, 'trust', 'production', 'trusted_root.json'),
  '--json',
  join(CONFORMANCE_DIR, 'a.txt'),
];

/** Runs `script` (with writeStdout/writeStderr in scope) and reads its stdout only after `delayMs`, so the pipe fills up first. */
function runSlowReader(script: string, delayMs: number): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { outputWritten, writeStdout, writeStderr } from ${JSON.stringify(STDIO)};\n${script}`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), delayMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

describe('standard output and error', () => {
  const chunks = 40;
  const chunk = (i: number) => `${String(i).padStart(4, '0')}${'x'.repeat(64 * 1024 - 5)}\n`;
  const expected = Array.from({ length: chunks }, (_, i) => chunk(i)).join('');

  it('writes everything, in order, through a pipe that is full (the writer blocks)', async () => {
    const r = await runSlowReader(`for (let i = 0; i < ${chunks}; i++) writeStdout((${chunk.toString()})(i));`, 300);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), expected);
  });

  it('hands a descriptor that would block to the stream, and keeps the order', async () => {
    // A non-blocking stdout: writeSync meets EAGAIN once the pipe is full. outputWritten() then
    // says so (the single-file CLI exits naturally instead of with process.exit, which would cut
    // the stream's pending writes).
    const r = await runSlowReader(
      `process.stdout._handle.setBlocking(false);\nconst before = outputWritten();\nfor (let i = 0; i < ${chunks}; i++) writeStdout((${chunk.toString()})(i));\nwriteStderr('done ' + before + ' ' + outputWritten() + '\\n');`,
      300,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), expected);
    assert.equal(r.stderr, 'done true false\n');
  });

  it('drops output when the reader has gone: the exit code still tells the result, no error', () => {
    // `true` exits at once, so the JSON meets a closed pipe (EPIPE).
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" ${VERIFY.map((a) => `'${a}'`).join(' ')} | true`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^OK: /);
    assert.ok(!/error/i.test(r.stderr) && !hasStackTrace(r.stderr), r.stderr);
  });

  it('exits with the result when stdout and stderr are closed (Node opens them on /dev/null)', () => {
    const args = VERIFY.map((a) => (a === DEFAULT_IDENTITY ? 'someone@example.com' : a));
    const r = spawnSync('bash', ['-c', `"${process.execPath}" ${args.map((a) => `'${a}'`).join(' ')} >&- 2>&-`], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    const ok = spawnSync('bash', ['-c', `"${process.execPath}" ${VERIFY.map((a) => `'${a}'`).join(' ')} >&- 2>&-`], { encoding: 'utf8' });
    assert.equal(ok.status, 0);
  });
});
