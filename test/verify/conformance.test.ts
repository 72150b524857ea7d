/**
 * The 70 sigstore-conformance bundle-verify cases, each in file and digest form (140 runs):
 * in-process through the library API, and through bin/sigstore-conformance with the upstream
 * runner's exact argument lists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Identity, loadTrustMaterial, Verifier } from '../../src/index.js';
import { CONFORMANCE_DIR, conformanceCases } from '../helpers/conformance.js';

const cases = conformanceCases();

describe('conformance cases (library API)', () => {
  it('has all 70 cases', () => {
    assert.equal(cases.length, 70);
  });
  for (const c of cases) {
    for (const variant of ['file', 'digest'] as const) {
      it(`${c.name} [${variant}] ${c.shouldFail ? 'fails' : 'verifies'}`, async () => {
        let error: unknown;
        try {
          const trust = await loadTrustMaterial({ trustedRoot: c.trustedRootPath, offline: true }); // the embedded root, offline, when the case has none
          const verifier = new Verifier(trust);
          const artifact =
            variant === 'file'
              ? { path: c.artifactPath }
              : { digest: { algorithm: 'sha256' as const, value: c.artifactDigest } };
          const policy = c.keyPath ? { key: readFileSync(c.keyPath, 'utf8') } : new Identity({ identity: c.identity, issuer: c.issuer });
          await verifier.verify(readFileSync(c.bundlePath), artifact, policy);
        } catch (e) {
          error = e;
        }
        if (c.shouldFail) assert.ok(error, 'expected verification to fail');
        else assert.equal(error, undefined, `expected success, got: ${(error as Error)?.message}`);
      });
    }
  }
});

describe('conformance runner (bin/sigstore-conformance)', () => {
  it('passes 140 of 140', { timeout: 120_000 }, () => {
    const r = spawnSync(
      process.execPath,
      [join(CONFORMANCE_DIR, '..', 'run-verify.mjs'), '--entrypoint', 'bin/sigstore-conformance', '--assets', CONFORMANCE_DIR, '--jobs', '2'],
      { encoding: 'utf8' },
    );
    const last = r.stdout.trim().split('\n').at(-1);
    assert.equal(last, '140 passed, 0 failed', r.stdout.slice(-3000) + r.stderr.slice(-2000));
  });
});
