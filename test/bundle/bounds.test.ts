/**
 * Bundle lists and numbers are bounded at parse time, before anything is verified: each
 * refusal asserts its code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_CHAIN_CERTIFICATES, MAX_TIMESTAMPS, MAX_TLOG_ENTRIES, parseBundle } from '../../src/bundle/parse.js';
import { BundleError } from '../../src/errors.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'conformance');
const v01 = JSON.parse(readFileSync(join(dir, 'happy-path-v0.1', 'bundle.sigstore.json'), 'utf8'));
const v03 = JSON.parse(readFileSync(join(dir, 'rekor2-timestamp-with-embedded-cert', 'bundle.sigstore.json'), 'utf8'));

const refuses = (b: unknown, code: string, match?: RegExp) =>
  assert.throws(() => parseBundle(JSON.stringify(b)), (e) => e instanceof BundleError && e.code === code && (!match || match.test(e.message)), code);
// biome-ignore lint/suspicious/noExplicitAny: editing arbitrary positions of a bundle
const edit = (b: unknown, f: (x: any) => void) => {
  const c = structuredClone(b);
  f(c);
  return c;
};

test('the genuine bundles parse', () => {
  parseBundle(JSON.stringify(v01));
  parseBundle(JSON.stringify(v03));
});

test('certificate chains, log entries, timestamps and proof hashes are bounded', () => {
  refuses(
    edit(v01, (b) => {
      const c = b.verificationMaterial.x509CertificateChain.certificates;
      while (c.length <= MAX_CHAIN_CERTIFICATES) c.push(c[0]);
    }),
    'BUNDLE_TOO_MANY_ITEMS',
  );
  refuses(
    edit(v01, (b) => {
      const e = b.verificationMaterial.tlogEntries;
      while (e.length <= MAX_TLOG_ENTRIES) e.push(e[0]);
    }),
    'BUNDLE_TOO_MANY_ITEMS',
  );
  refuses(
    edit(v03, (b) => {
      const t = b.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
      while (t.length <= MAX_TIMESTAMPS) t.push(t[0]);
    }),
    'BUNDLE_TOO_MANY_ITEMS',
  );
  refuses(
    edit(v03, (b) => {
      b.verificationMaterial.tlogEntries[0].inclusionProof.hashes = Array(65).fill('AAAA');
    }),
    'BUNDLE_TOO_MANY_ITEMS',
  );
});

test('an integrated time no Date can hold is refused; exact 64-bit indices are kept', () => {
  refuses(edit(v01, (b) => (b.verificationMaterial.tlogEntries[0].integratedTime = '253402300800')), 'BUNDLE_INVALID', /after year 9999/);
  const big = parseBundle(JSON.stringify(v01).replace(/"logIndex":"(\d+)"/, '"logIndex":18446744073709551615'));
  assert.equal(big.tlogEntries[0]!.logIndex, 18446744073709551615n);
  refuses(edit(v01, (b) => (b.verificationMaterial.tlogEntries[0].logIndex = '9'.repeat(1000))), 'BUNDLE_INVALID', /out of range/);
});
