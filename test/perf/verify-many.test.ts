/**
 * verifyMany gives, for every item and in order, what Verifier.verify gives (results, failures
 * with the same class, step and code, policy failures), on this thread, on worker processes
 * and on worker threads. No timings. It runs the built library (dist/index.js, as shipped, with
 * its worker file beside it): worker threads do not inherit the TypeScript loader of the tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type * as Lib from '../../src/index.js';

const lib = (await import(pathToFileURL('dist/index.js').href)) as typeof Lib;
const { Identity, PolicyError, VerificationError, VerifierPool, parseTrustedRoot, verifyMany } = lib;

const C = 'test/fixtures/conformance';
const ID = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const trust = parseTrustedRoot(readFileSync('trust/production/trusted_root.json', 'utf8'), 'production');
const policy = new Identity({ identity: ID, issuer: 'https://token.actions.githubusercontent.com' });
const good = readFileSync(`${C}/happy-path-v0.3/bundle.sigstore.json`, 'utf8');
const items = [
  { bundle: good, artifact: { path: `${C}/a.txt` } },
  { bundle: good, artifact: { data: Buffer.from('not the artifact') } },
  { bundle: readFileSync(`${C}/happy-path-intoto-in-dsse-v3/bundle.sigstore.json`, 'utf8'), artifact: { path: `${C}/a.txt` } },
  { bundle: '{"not": "a bundle"}', artifact: { path: `${C}/a.txt` } },
  { bundle: good, artifact: { path: `${C}/a.txt` } },
];

for (const options of [{ threads: 1 }, { threads: 2 }, { threads: 2, mode: 'threads' as const }, { threads: 3, mode: 'processes' as const }]) {
  test(`verifyMany ${JSON.stringify(options)}: outcomes in order, as Verifier gives them`, async () => {
    const out = await verifyMany(trust, items, policy, options);
    assert.equal(out.length, items.length);
    const [a, b, c, d, e] = out;
    assert.ok(a?.ok && a.result.signer.kind === 'certificate' && a.result.signer.identity === ID);
    assert.ok(a?.ok && a.result.timestamps.length === 1 && a.result.timestamps[0]!.time instanceof Date);
    assert.ok(b && !b.ok && b.error instanceof VerificationError && b.error.step === 'signature');
    assert.ok(c?.ok && c.result.statement?.predicateType !== undefined);
    assert.ok(d && !d.ok && d.error instanceof VerificationError && d.error.step === 'bundle');
    assert.ok(e?.ok);
    const other = await verifyMany(trust, items.slice(0, 1), new Identity({ identity: 'someone@example.com', issuer: 'https://token.actions.githubusercontent.com' }), options);
    assert.ok(!other[0]!.ok && other[0]!.error instanceof PolicyError);
  });
}

test('a VerifierPool stays up across calls, takes a policy per call, and refuses work once closed', async () => {
  for (const options of [{ workers: 1, callingThread: false }, { workers: 1 }, { workers: 0, callingThread: true }]) {
    const pool = await VerifierPool.start(trust, options);
    try {
      const [a, b] = await Promise.all([
        pool.verify(good, { path: `${C}/a.txt` }, policy),
        pool.verify(good, { path: `${C}/a.txt` }, new Identity({ identity: 'someone@example.com', issuer: 'https://token.actions.githubusercontent.com' })),
      ]);
      assert.ok(a.ok && a.result.signer.kind === 'certificate' && a.result.signer.identity === ID, JSON.stringify(options));
      // The parsed bundle and its log entries are there when asked for.
      assert.ok(a.ok && a.result.bundle.tlogEntries.length === 1 && a.result.tlogEntries.length === 1 && a.result.payloadType === undefined);
      assert.ok(b && !b.ok && b.error instanceof PolicyError);
      const again = await pool.verifyMany(items, policy);
      assert.deepEqual(
        again.map((o) => o.ok),
        [true, false, true, false, true],
      );
      const dsse = again[2]!;
      assert.ok(dsse.ok && dsse.result.payloadType === 'application/vnd.in-toto+json');
    } finally {
      await pool.close();
    }
    await assert.rejects(pool.verify(good, { path: `${C}/a.txt` }, policy), /verifier pool is closed/);
  }
  await assert.rejects(VerifierPool.start(trust, { workers: 0, callingThread: false }), /at least one worker, or the calling thread/);
});

test('managed keys: a KeyObject, PEM text or DER, on workers and the calling thread alike', async () => {
  const { createPublicKey, generateKeyPairSync } = await import('node:crypto');
  const dir = `${C}/managed-key-happy-path`;
  const pem = readFileSync(`${dir}/key.pub`, 'utf8');
  const wrongPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const bundle = readFileSync(`${dir}/bundle.sigstore.json`, 'utf8');
  const keyItems = Array.from({ length: 40 }, () => ({ bundle, artifact: { path: `${C}/a.txt` } }));
  for (const key of [pem, createPublicKey(pem), createPublicKey(pem).export({ format: 'der', type: 'spki' })]) {
    const out = await verifyMany(trust, keyItems, { key }, { threads: 2 });
    assert.ok(out.every((o) => o.ok && o.result.signer.kind === 'key'), JSON.stringify(out.find((o) => !o.ok)));
    const wrong = await verifyMany(trust, keyItems.slice(0, 4), { key: wrongPem }, { threads: 2 });
    assert.ok(wrong.every((o) => !o.ok && o.error instanceof VerificationError && o.error.step === 'signature'), JSON.stringify(wrong.map((o) => !o.ok && o.error.message)));
  }
});

test('a worker that dies fails only the bundles it held; the calling thread carries on with the rest', async () => {
  const { execFileSync } = await import('node:child_process');
  const many = Array.from({ length: 300 }, () => ({ bundle: good, artifact: { path: `${C}/a.txt` } }));
  // This process's node children (earlier tests' verifyMany workers may still be waiting for a next call).
  const children = (): string[] => {
    try {
      return execFileSync('pgrep', ['-P', String(process.pid), '-x', 'node'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const before = new Set(children());
  const pool = await VerifierPool.start(trust, { workers: 1, mode: 'processes' });
  try {
    const run = pool.verifyMany(many, policy);
    const ours = children().filter((p) => !before.has(p));
    assert.equal(ours.length, 1, 'the pool started one worker process');
    process.kill(Number(ours[0]), 'SIGKILL');
    const out = await run;
    const failed = out.filter((o) => !o.ok);
    assert.ok(failed.length > 0 && failed.length <= 32, `the chunks the worker held fail, and only those (${failed.length})`);
    assert.ok(failed.every((o) => !o.ok && /a verification worker exited \(SIGKILL\)/.test(o.error.message)));
    assert.equal(out.filter((o) => o.ok).length, many.length - failed.length);
    const after = await pool.verify(good, { path: `${C}/a.txt` }, policy);
    assert.ok(after.ok, 'the pool still verifies on the calling thread');
  } finally {
    await pool.close();
  }
});
