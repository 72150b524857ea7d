/**
 * The verifier's own refusals (src/verify/verifier.ts), each with a conformance bundle changed
 * to reach it: no policy, a key policy for a certificate bundle, no log entry, no trusted time.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError, } from '../../src/errors.js';
import { Identity, loadTrustMaterial, Verifier } from '../../src/index.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';
import { refusedAt as refused } from '../helpers/verify.js';

const policy = new Identity({ identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER });
const bundleText = (name: string) => readFileSync(join(CONFORMANCE_DIR, name, 'bundle.sigstore.json'), 'utf8');
const artifact = { path: join(CONFORMANCE_DIR, 'a.txt') };

describe('verifier refusals', () => {
  it('no policy at all', async () => {
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    await assert.rejects(verifier.verify(bundleText('happy-path-v0.3'), artifact, undefined as never), (e: unknown) => e instanceof UsageError && e.code === 'NO_POLICY');
  });

  it('a key policy for a certificate bundle', async () => {
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    await refused(verifier.verify(bundleText('happy-path-v0.3'), artifact, { key: readFileSync(join(CONFORMANCE_DIR, 'managed-key-happy-path', 'key.pub'), 'utf8') }), 'key', 'KEY_NOT_EXPECTED');
  });

  it('a bundle without a log entry', async () => {
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    const json = JSON.parse(bundleText('happy-path-v0.3'));
    json.verificationMaterial.tlogEntries = [];
    await refused(verifier.verify(JSON.stringify(json), artifact, policy), 'tlog', 'TLOG_MISSING');
  });

  it('a Rekor v2 bundle without a timestamp has no trusted time', async () => {
    const dir = join(CONFORMANCE_DIR, 'rekor2-no-timestamp_fail');
    const verifier = new Verifier(await loadTrustMaterial({ trustedRoot: join(dir, 'trusted_root.json') }));
    await refused(verifier.verify(bundleText('rekor2-no-timestamp_fail'), artifact, policy), 'time', 'NO_TRUSTED_TIME');
  });
});
