/**
 * The embedded trust material (trust/) is what the public-good TUF repositories signed: each
 * `targets.json` is signed by a threshold of the targets keys of the `root.json` beside it, and
 * every embedded file has the length and SHA-256 that `targets.json` gives for it. A tampered
 * copy fails at that step. The staging copy is the 2026-06-12 material.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TrustError } from '../../src/errors.js';
import { EMBEDDED } from '../../src/trust/embedded.js';
import { parseSigningConfig } from '../../src/trust/signing-config.js';
import { parseTrustedRoot } from '../../src/trust/trusted-root.js';
import { checkThreshold, readRole, targetsOf, verifyRoot } from '../../src/trust/tuf-metadata.js';
import { ROOT } from './helpers.js';

const FILES = ['trusted_root.json', 'signing_config.v0.2.json', 'signing_config_rekor_v2.v0.2.json'] as const;
const KEY: Record<(typeof FILES)[number], 'trustedRoot' | 'signingConfig' | 'rekorV2SigningConfig'> = {
  'trusted_root.json': 'trustedRoot',
  'signing_config.v0.2.json': 'signingConfig',
  'signing_config_rekor_v2.v0.2.json': 'rekorV2SigningConfig',
};

const fail = (m: string): never => {
  throw new TrustError('TRUSTED_ROOT_INVALID', m);
};

function signedTargets(dir: string, targetsBytes = readFileSync(join(dir, 'targets.json'))) {
  const root = verifyRoot(readFileSync(join(dir, 'root.json')), fail);
  const t = readRole(targetsBytes, 'targets', fail);
  checkThreshold(t.info, t.signatures, root.signed, 'targets', fail);
  return targetsOf(t.info);
}

for (const kind of ['production', 'staging'] as const) {
  describe(`embedded ${kind} material`, () => {
    const dir = join(ROOT, 'trust', kind);

    it('targets.json is signed by a threshold of the targets keys of the embedded TUF root', () => {
      assert.ok(signedTargets(dir).size >= 4);
    });

    for (const f of FILES) {
      it(`${f} has the length and SHA-256 the signed targets.json gives, and is what the package embeds`, () => {
        const ref = signedTargets(dir).get(f);
        assert.ok(ref, `${f} is a signed target`);
        const data = readFileSync(join(dir, f));
        assert.equal(data.length, ref.length);
        assert.equal(createHash('sha256').update(data).digest('hex'), ref.sha256);
        assert.deepEqual(EMBEDDED[kind][KEY[f]], JSON.parse(data.toString('utf8')));
      });
    }

    it('the embedded TUF root is the one beside targets.json', () => {
      assert.deepEqual(EMBEDDED[kind].tufRoot, JSON.parse(readFileSync(join(dir, 'root.json'), 'utf8')));
    });

    it('a targets.json with a changed hash, or signed by too few keys, is refused', () => {
      const doc = JSON.parse(readFileSync(join(dir, 'targets.json'), 'utf8')) as { signed: { targets: Record<string, { hashes: { sha256: string } }> }; signatures: unknown[] };
      const changed = structuredClone(doc);
      changed.signed.targets['trusted_root.json']!.hashes.sha256 = '0'.repeat(64);
      assert.throws(() => signedTargets(dir, Buffer.from(JSON.stringify(changed))), /targets\.json v\d+ is signed by 0 of the \d+ targets keys it needs/);
      const few = { ...doc, signatures: doc.signatures.slice(0, 0) };
      assert.throws(() => signedTargets(dir, Buffer.from(JSON.stringify(few))), /signed by 0 of the/);
    });
  });
}

describe('the staging material of 2026-06-12', () => {
  const trust = parseTrustedRoot(EMBEDDED.staging.trustedRoot, 'embedded staging');
  it('knows the Rekor v2 log log2026-1.us-east4, the new CT log, a second Fulcio CA and a second TSA', () => {
    assert.ok(trust.tlogs.some((t) => t.baseUrl === 'https://log2026-1.us-east4.rekor.sigstage.dev'));
    assert.ok(trust.ctlogs.some((t) => t.baseUrl === 'https://log2026-1.us-east4.ctfe.sigstage.dev'));
    assert.equal(trust.certificateAuthorities.length, 2);
    assert.equal(trust.timestampAuthorities.length, 2);
  });
  it('signs Rekor v2 entries to global.rekor.sigstage.dev, a URL no trusted log has as its baseUrl', () => {
    const sc = parseSigningConfig(EMBEDDED.staging.signingConfig, 'embedded staging');
    const v2 = sc.rekorTlogUrls.filter((s) => s.majorApiVersion === 2);
    assert.deepEqual(
      v2.map((s) => s.url),
      ['https://global.rekor.sigstage.dev'],
    );
    assert.ok(!trust.tlogs.some((t) => t.baseUrl === 'https://global.rekor.sigstage.dev'));
  });
  it('the opt-in Rekor v2 signing configs list a Rekor v2 log for both instances', () => {
    for (const kind of ['production', 'staging'] as const) {
      const sc = parseSigningConfig(EMBEDDED[kind].rekorV2SigningConfig, `embedded ${kind}`);
      assert.ok(sc.rekorTlogUrls.some((s) => s.majorApiVersion === 2), kind);
    }
  });
});
