/**
 * `--rekor-version 2` (or SIGSTORE_REKOR_VERSION=2) with the public-good instances signs with
 * their opt-in Rekor v2 signing configs (trust/<instance>/signing_config_rekor_v2.v0.2.json);
 * production's default config stays Rekor v1. Rekor v2 uploads wait at least 20 s.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { selectSigningServices } from '../../src/sign/preflight.js';
import { REKOR_V2_MIN_TIMEOUT_MS } from '../../src/sign/rekor-v2.js';
import { rekorV2SigningConfig } from '../../src/sign/rekor-v2-config.js';
import { EMBEDDED } from '../../src/trust/embedded.js';
import { parseSigningConfig } from '../../src/trust/signing-config.js';

const ROOT = join(import.meta.dirname, '..', '..');
const AT = new Date('2026-08-25T00:00:00Z');

describe('the opt-in Rekor v2 signing configs', () => {
  it('are the trust/ files, byte for byte', () => {
    for (const which of ['production', 'staging'] as const) {
      const file = JSON.parse(readFileSync(join(ROOT, 'trust', which, 'signing_config_rekor_v2.v0.2.json'), 'utf8'));
      assert.deepEqual(rekorV2SigningConfig(which), file);
    }
  });

  it('production: Rekor v2 (log2025-1) with a TSA when asked; the default config stays Rekor v1', () => {
    const v2 = selectSigningServices(parseSigningConfig(rekorV2SigningConfig('production')), { rekorVersion: 2 });
    assert.deepEqual(
      v2.rekor.map((r) => [r.url, r.majorApiVersion]),
      [['https://log2025-1.rekor.sigstore.dev', 2]],
    );
    assert.deepEqual(v2.tsa.map((t) => t.url), ['https://timestamp.sigstore.dev/api/v1/timestamp']);
    const dflt = selectSigningServices(parseSigningConfig(EMBEDDED.production.signingConfig), {});
    assert.deepEqual(dflt.rekor.map((r) => [r.url, r.majorApiVersion]), [['https://rekor.sigstore.dev', 1]]);
    assert.throws(() => selectSigningServices(parseSigningConfig(EMBEDDED.production.signingConfig), { rekorVersion: 2 }), /no usable Rekor v2 log/);
  });

  it('staging: a Rekor v2 log valid at the time', () => {
    const sc = parseSigningConfig(rekorV2SigningConfig('staging'));
    const v2 = sc.rekorTlogUrls.filter((r) => r.majorApiVersion === 2 && r.validFor.start <= AT && (!r.validFor.end || r.validFor.end > AT));
    assert.ok(v2.length >= 1);
    assert.ok(sc.tsaUrls.length >= 1);
  });

  it('Rekor v2 uploads time out after at least 20 s', () => {
    assert.ok(REKOR_V2_MIN_TIMEOUT_MS >= 20_000);
  });
});
