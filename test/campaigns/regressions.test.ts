/**
 * Replays the fuzz campaign's saved findings (test/fixtures/fuzz-findings): each must now be
 * refused with one of sigstore-ts's own errors.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { parseTrustedRoot, TrustError, UsageError, Verifier } from '../../src/index.js';
import { genuineBundles } from './tamper.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'fuzz-findings');

it('a trusted root with an undecodable CA key: a TrustError naming the certificate when the key is used, never a raw OpenSSL error', () => {
  // The key is shaped like a key (checked when parsed) but is not a point OpenSSL accepts.
  const trust = parseTrustedRoot(readFileSync(join(dir, 'trusted-root-626.txt'), 'utf8'));
  assert.throws(
    () => trust.certificateAuthorities[1]!.certs[1]!.publicKey,
    (e: Error) => e instanceof TrustError && e.code === 'TRUSTED_ROOT_INVALID' && /certificateAuthorities\[1\]\.certChain\.certificates\[1\] is not a valid certificate/.test(e.message),
  );
});

it('a PEM key with trailing bytes is refused', async () => {
  const g = (await genuineBundles({ instance: false })).find((x) => 'key' in x.policy)!;
  for (const f of ['pem-key-354.txt', 'pem-key-1629.txt']) {
    await assert.rejects(new Verifier(g.trust).verify(g.bundle, { path: g.artifactPath }, { key: readFileSync(join(dir, f), 'utf8') }), UsageError);
  }
});
