/**
 * `sign --json` and `attest --json` as processes against the local Sigstore instance: JSON Lines
 * that follow schemas/output.v1.schema.json (type `signing`, the same signer fields as `verify
 * --json`), nothing else on stdout, and `| head -1` ends quietly with exit code 0. The instance
 * runs in this process: the CLI runs as a child, asynchronously.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasStackTrace, SIGSTORE } from '../helpers/cli.js';
import { schemaLines } from '../helpers/json-schema.js';
import { startTestInstance, type TestInstance } from '../sign/helpers.js';

const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
const lines = schemaLines;

/** Runs `bash -c script`; the CLI is `$SIGSTORE` there. */
function bash(script: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn('bash', ['-c', script], { env: { ...process.env, SIGSTORE: `${quote(process.execPath)} ${quote(SIGSTORE)}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('sign --json and attest --json', () => {
  let t: TestInstance;
  const files = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const f = join(t.dir, `${prefix}${i}.txt`);
      writeFileSync(f, `${prefix} ${i} ${Math.random()}\n`);
      return f;
    });
  before(async () => {
    t = await startTestInstance();
  });
  after(async () => {
    await t?.stop();
  });

  it('sign --json: one signing object per input, the signer fields as verify --json has them', async () => {
    const inputs = files('s', 2);
    const token = await t.inst.token();
    const r = await bash(`eval "$SIGSTORE" --trust-config ${quote(t.trustConfigPath)} sign --json --identity-token ${quote(token)} ${inputs.map(quote).join(' ')}`);
    assert.equal(r.code, 0, r.err);
    const out = lines(r.out);
    assert.deepEqual(
      out.map((o) => [o.type, o.input, o.bundle]),
      inputs.map((f) => ['signing', f, `${f}.sigstore.json`]),
    );
    const verify = await bash(
      `eval "$SIGSTORE" --trust-config ${quote(t.trustConfigPath)} verify identity --json --cert-identity ${quote(t.inst.identity)} --cert-oidc-issuer ${quote(t.inst.issuer)} ${quote(inputs[0]!)}`,
    );
    assert.equal(verify.code, 0, verify.err);
    const verified = lines(verify.out)[0]!;
    for (const k of ['identity', 'oidcIssuer', 'fulcioExtensions', 'certificate']) assert.deepEqual(out[0]!.signer[k], verified.signer[k], k);
    assert.equal(out[0]!.signer.oidcIssuer, t.inst.issuer);
  });

  it('attest --json: a signing object with the DSSE payload type', async () => {
    const [subject] = files('a', 1);
    const predicate = join(t.dir, 'predicate.json');
    writeFileSync(predicate, '{"k": "v"}');
    const token = await t.inst.token();
    const r = await bash(
      `eval "$SIGSTORE" --trust-config ${quote(t.trustConfigPath)} attest --json --identity-token ${quote(token)} --predicate ${quote(predicate)} --predicate-type https://example.com/p ${quote(subject!)}`,
    );
    assert.equal(r.code, 0, r.err);
    const [o, ...more] = lines(r.out);
    assert.deepEqual([o!.type, o!.input, o!.bundle, o!.payloadType, more.length], ['signing', subject, `${subject}.sigstore.json`, 'application/vnd.in-toto+json', 0]);
  });

  it('sign --json | head -1: the first line, then a quiet end with exit code 0', async () => {
    const inputs = files('p', 40);
    const token = await t.inst.token();
    const r = await bash(`set -o pipefail; eval "$SIGSTORE" --trust-config ${quote(t.trustConfigPath)} sign --json --identity-token ${quote(token)} ${inputs.map(quote).join(' ')} | head -1`);
    assert.equal(r.code, 0, r.err.slice(-500));
    assert.equal(lines(r.out).length, 1);
    assert.ok(!/EPIPE|unexpected/i.test(r.err) && !hasStackTrace(r.err), r.err.slice(-500));
  });
});
