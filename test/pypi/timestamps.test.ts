/**
 * PEP 740 attestations with RFC 3161 timestamps (`verification_material.timestamps`, the form
 * pypi-attestations 0.0.28+ accepts and Rekor v2 needs): pypi-attestations' own test assets parse,
 * verify (offline, embedded trust roots) and convert both ways without losing anything; tampered
 * timestamps are refused at the timestamp step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundleToText } from '../../src/bundle/serialize.js';
import { VerificationError } from '../../src/errors.js';
import { parseAttestation, serializeAttestation } from '../../src/pypi/attestation.js';
import { attestationToBundle, bundleToAttestation } from '../../src/pypi/convert.js';
import { Distribution } from '../../src/pypi/distribution.js';
import { verifyAttestation } from '../../src/pypi/verify.js';
import { Identity } from '../../src/verify/policy.js';
import { fixture, production, readFixture, staging } from './helpers.js';

const DIST = 'pypi_attestations-0.0.19.tar.gz';
const IDENTITY = new Identity({ identity: 'jku@goto.fi', issuer: 'https://github.com/login/oauth' });
const CASES = [
  { file: `${DIST}.publish.attestation.with_timestamp`, verifier: production, kind: 'dsse', version: '0.0.1', sources: ['tlog', 'tsa'] },
  { file: `${DIST}.publish.attestation.with_rekor2_timestamp`, verifier: staging, kind: 'dsse', version: '0.0.2', sources: ['tsa'] },
];

describe('PEP 740 attestations with RFC 3161 timestamps (pypi-attestations test assets)', () => {
  for (const c of CASES) {
    it(`${c.file}: parses, verifies and round-trips byte for byte`, async () => {
      const text = readFixture(c.file).toString('utf8');
      const a = parseAttestation(text);
      assert.equal(a.verificationMaterial.timestamps?.length, 1);
      assert.equal(serializeAttestation(a), text, 'attestation -> JSON is lossless');

      const bundle = attestationToBundle(a);
      assert.equal(bundle.timestamps.length, 1);
      assert.equal(bundle.tlogEntries[0]!.kind, c.kind);
      assert.equal(bundle.tlogEntries[0]!.version, c.version);
      // attestation -> bundle -> attestation, also through the bundle's JSON text.
      assert.equal(serializeAttestation(bundleToAttestation(bundle)), text);
      assert.equal(serializeAttestation(bundleToAttestation(bundleToText(bundle.json as never))), text);

      const dist = await Distribution.fromFile(fixture(DIST));
      const r = await verifyAttestation(c.verifier(), a, dist, IDENTITY);
      assert.equal(r.predicateType, 'https://docs.pypi.org/attestations/publish/v1');
      assert.deepEqual([...new Set(r.result.timestamps.map((t) => t.source))].sort(), c.sources);
    });

    it(`${c.file}: a tampered timestamp is refused at the timestamp step`, async () => {
      const a = parseAttestation(readFixture(c.file));
      const ts = Buffer.from(a.verificationMaterial.timestamps![0]!);
      ts[ts.length - 10]! ^= 1;
      a.verificationMaterial.timestamps = [ts];
      const dist = await Distribution.fromFile(fixture(DIST));
      await assert.rejects(verifyAttestation(c.verifier(), a, dist, IDENTITY), (e: unknown) => e instanceof VerificationError && e.step === 'timestamp');
    });
  }

  it('refuses a malformed timestamps field', () => {
    const o = JSON.parse(readFixture(CASES[0]!.file).toString('utf8'));
    o.verification_material.timestamps = 'x';
    assert.throws(() => parseAttestation(o), { code: 'ATTESTATION_INVALID', message: /verification_material\.timestamps must be an array/ });
    o.verification_material.timestamps = ['not base64!'];
    assert.throws(() => parseAttestation(o), { code: 'ATTESTATION_INVALID', message: /verification_material\.timestamps\[0\]/ });
  });
});
