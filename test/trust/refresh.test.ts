/**
 * Refresh decisions and messages that need no Sigstore instance: tuf-js refusals named after the
 * attack they stop, a signer with nothing cached trying the network and falling back to the
 * embedded signing config, one failed attempt per process, a pin that is not a TUF root.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NetworkError, TrustError } from '../../src/errors.js';
import { EMBEDDED } from '../../src/trust/embedded.js';
import { loadSigningConfigJson, loadTrust, resetTrustMemory, trustInstance } from '../../src/trust/load.js';
import { describeTufError } from '../../src/trust/tuf.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('sigstore-refresh-');
after(() => tmp.cleanup());

function named(name: string, message: string): Error {
  const C = { [name]: class extends Error {} }[name]!;
  return new C(message);
}

describe('refusals are named after the attack they stop', () => {
  const repo = 'https://tuf.example';
  const cases: [Error, string, RegExp][] = [
    [named('UnsignedMetadataError', 'root was signed by 0/1 keys'), 'TUF_THRESHOLD', /threshold of trusted keys \(arbitrary metadata attack\): root was signed by 0\/1 keys/],
    [named('ExpiredMetadataError', 'Final timestamp.json is expired'), 'TUF_EXPIRED', /freeze attack/],
    [named('LengthOrHashMismatchError', 'Expected hash a but got b'), 'TUF_HASH_MISMATCH', /mix-and-match or tampering\): Expected hash a but got b/],
    [named('BadVersionError', 'Expected version 3, got 2'), 'TUF_ROLLBACK', /rollback or mix-and-match attack/],
    // tuf-js wraps snapshot and targets errors into plain messages
    [named('RuntimeError', 'Unable to load snapshot metadata error Error: Expected hash x but got y'), 'TUF_HASH_MISMATCH', /Unable to load snapshot metadata: Expected hash x/],
    [named('RuntimeError', 'Unable to load targets error Error: Version 3 of targets does not match snapshot version 4'), 'TUF_ROLLBACK', /does not match snapshot version 4/],
    [named('DownloadLengthMismatchError', 'Max length reached'), 'TUF_TOO_LARGE', /endless data/],
    [new Error('something else'), 'TUF_UPDATE_FAILED', /invalid metadata: something else/],
  ];
  for (const [err, code, re] of cases) {
    it(`${err.constructor.name}: ${err.message}`, () => {
      const e = describeTufError(err, repo);
      assert.ok(e instanceof TrustError);
      assert.equal(e.code, code);
      assert.match(e.message, /^TUF update from https:\/\/tuf\.example refused: /);
      assert.match(e.message, re);
    });
  }
  it('passes sigstore errors through', () => {
    const n = new NetworkError('X', 'down');
    assert.equal(describeTufError(n, repo), n);
  });
});

describe('automatic refreshes', () => {
  it('a signer with nothing cached tries the network once, then uses the embedded signing config with a warning', async () => {
    resetTrustMemory();
    const saved = { ...process.env };
    process.env.HTTPS_PROXY = 'http://127.0.0.1:9'; // nothing listens: connection refused
    try {
      const warnings: string[] = [];
      const cacheDir = join(tmp.dir, 'sign');
      const t0 = Date.now();
      const sc = await loadSigningConfigJson({ staging: true, cacheDir, onWarning: (m) => warnings.push(m) });
      assert.deepEqual(sc, EMBEDDED.staging.signingConfig);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /cannot refresh the trust material of staging \(.*\); using embedded staging trust material/);
      assert.ok(Date.now() - t0 < 6000, 'within the refresh budget');
      // The same process does not try again (and does not warn twice).
      const again = await loadTrust({ staging: true, cacheDir, purpose: 'sign', onWarning: (m) => warnings.push(m) });
      assert.equal(again.origin.kind, 'embedded');
      assert.equal(warnings.length, 1);
      // Verification never tries the network with nothing cached.
      const v = await loadTrust({ staging: true, cacheDir: join(tmp.dir, 'verify'), onWarning: () => {} });
      assert.equal(v.origin.kind, 'embedded');
    } finally {
      process.env = saved;
    }
  });

  it('refuses a pin that is not TUF root metadata before any request', async () => {
    await assert.rejects(trustInstance('{"signed":{}}', 'http://127.0.0.1:9/tuf', { cacheDir: join(tmp.dir, 'pin') }), /not TUF root metadata/);
  });
});
