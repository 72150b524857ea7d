/**
 * PEP 740 attestation objects and PyPI provenance: strict parsing, serialisation in the reference
 * tool's shape, and lossless conversion to and from Sigstore bundles with its rules.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { BundleError } from '../../src/errors.js';
import {
  ATTESTATION_TYPES,
  attestationStatement,
  attestationToJson,
  PYPI_PUBLISH_V1,
  parseAttestation,
  SLSA_PROVENANCE_V1,
  serializeAttestation,
} from '../../src/pypi/attestation.js';
import { attestationToBundle, bundleToAttestation } from '../../src/pypi/convert.js';
import { parseProvenance, serializeProvenance } from '../../src/pypi/provenance.js';
import { ASSETS, readFixture, ROOT } from './helpers.js';

type Json = Record<string, unknown>;

const ATTESTATIONS = [...new Set(ASSETS.map((a) => a.attestation)), 'spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.publish.attestation'];
const conformance = (name: string): string => readFileSync(join(ROOT, 'test', 'fixtures', 'conformance', name, 'bundle.sigstore.json'), 'utf8');
const rawJson = (name: string): Json => JSON.parse(readFixture(name).toString('utf8')) as Json;

function refuses(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BundleError, `a BundleError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

describe('PEP 740 attestation objects', () => {
  for (const name of ATTESTATIONS) {
    it(`reads and writes ${name} without loss`, () => {
      const raw = rawJson(name);
      const a = parseAttestation(readFixture(name));
      assert.equal(a.version, 1);
      assert.equal(a.verificationMaterial.transparencyEntries.length, 1);
      assert.deepEqual(attestationToJson(a), raw);
      const text = serializeAttestation(a);
      assert.deepEqual(JSON.parse(text), raw);
      // Compact, in the reference tool's field order.
      assert.ok(text.startsWith('{"version":1,"verification_material":{"certificate":"'), text.slice(0, 60));
      assert.ok(!text.includes('\n'));
      assert.equal(serializeAttestation(parseAttestation(text)), text);
      const st = attestationStatement(a);
      assert.equal(st._type, 'https://in-toto.io/Statement/v1');
      assert.ok(ATTESTATION_TYPES.includes(st.predicateType));
    });
  }

  it('knows the PyPI predicate types', () => {
    assert.equal(PYPI_PUBLISH_V1, 'https://docs.pypi.org/attestations/publish/v1');
    assert.equal(SLSA_PROVENANCE_V1, 'https://slsa.dev/provenance/v1');
  });

  const base = (): Json => structuredClone(rawJson('rfc8785-0.1.2-py3-none-any.whl.publish.attestation'));
  const mutations: [string, (j: Json) => void, RegExp][] = [
    ['version 2', (j) => (j.version = 2), /version must be 1 \(is 2\)/],
    ['version "1"', (j) => (j.version = '1'), /version must be 1/],
    ['no version', (j) => delete j.version, /version must be 1 \(is null\)/],
    ['no verification_material', (j) => delete j.verification_material, /verification_material must be an object/],
    ['no certificate', (j) => delete (j.verification_material as Json).certificate, /certificate is missing or not a base64 string/],
    ['certificate not base64', (j) => ((j.verification_material as Json).certificate = 'not base64!'), /certificate is not valid base64/],
    ['no transparency entries', (j) => delete (j.verification_material as Json).transparency_entries, /transparency_entries must be an array/],
    ['empty transparency entries', (j) => ((j.verification_material as Json).transparency_entries = []), /must have at least one entry/],
    ['a non-object entry', (j) => ((j.verification_material as Json).transparency_entries = ['x']), /transparency_entries\[0\] must be an object/],
    ['no envelope', (j) => delete j.envelope, /envelope must be an object/],
    ['no statement', (j) => delete (j.envelope as Json).statement, /envelope.statement is missing/],
    ['empty signature', (j) => ((j.envelope as Json).signature = ''), /envelope.signature is empty/],
  ];
  for (const [what, mutate, message] of mutations) {
    it(`refuses an attestation with ${what}`, () => {
      const j = base();
      mutate(j);
      refuses(() => parseAttestation(JSON.stringify(j)), 'ATTESTATION_INVALID', message);
      refuses(() => parseAttestation(j), 'ATTESTATION_INVALID', message);
    });
  }

  it('refuses what is not JSON or not an object', () => {
    refuses(() => parseAttestation('{'), 'ATTESTATION_INVALID', /not valid JSON/);
    refuses(() => parseAttestation('[]'), 'ATTESTATION_INVALID', /must be an object/);
  });

  it('reads the statement without trusting it, and refuses a payload that is not one', () => {
    const a = parseAttestation(readFixture('pypi_attestations-0.0.19.tar.gz.slsa.attestation'));
    assert.equal(attestationStatement(a).predicateType, SLSA_PROVENANCE_V1);
    refuses(() => attestationStatement({ ...a, envelope: { ...a.envelope, statement: Buffer.from('nope') } }), 'ATTESTATION_INVALID', /not valid JSON/);
    refuses(() => attestationStatement({ ...a, envelope: { ...a.envelope, statement: Buffer.from('{"subject":1}') } }), 'ATTESTATION_INVALID', /not an in-toto statement/);
  });
});

describe('attestation <-> bundle conversion', () => {
  for (const name of ATTESTATIONS) {
    it(`${name} -> bundle -> attestation is lossless`, () => {
      const a = parseAttestation(readFixture(name));
      const bundle = attestationToBundle(a);
      assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.equal(bundle.content.kind, 'dsseEnvelope');
      assert.equal(bundle.material.kind, 'certificate');
      const json = bundle.json as unknown as Json;
      assert.deepEqual(Object.keys(json), ['mediaType', 'verificationMaterial', 'dsseEnvelope']);
      assert.deepEqual(json.dsseEnvelope, {
        payload: a.envelope.statement.toString('base64'),
        payloadType: 'application/vnd.in-toto+json',
        signatures: [{ sig: a.envelope.signature.toString('base64') }],
      });
      assert.deepEqual((json.verificationMaterial as Json).tlogEntries, a.verificationMaterial.transparencyEntries);
      // The bundle JSON reads back as the same bundle, and converts back byte for byte.
      const again = bundleToAttestation(JSON.stringify(json));
      assert.equal(serializeAttestation(again), serializeAttestation(a));
      assert.equal(serializeAttestation(bundleToAttestation(bundle)), serializeAttestation(a));
      assert.deepEqual(attestationToJson(again), rawJson(name));
    });
  }

  for (const n of ['pypi_attestation_models-0.0.4a2.tar.gz', 'rfc8785-0.1.2-py3-none-any.whl']) {
    it(`${n}.sigstore converts to exactly ${n}.attestation (as the reference tool converted it)`, () => {
      const fromBundle = bundleToAttestation(readFixture(`${n}.sigstore`));
      assert.deepEqual(attestationToJson(fromBundle), rawJson(`${n}.attestation`));
      // And back: the same bundle content (media type, certificate, entries, envelope).
      const back = attestationToBundle(fromBundle).json as unknown as Json;
      const orig = JSON.parse(readFixture(`${n}.sigstore`).toString('utf8')) as Json;
      assert.deepEqual(back.dsseEnvelope, orig.dsseEnvelope);
      assert.deepEqual((back.verificationMaterial as Json).certificate, (orig.verificationMaterial as Json).certificate);
      assert.deepEqual((back.verificationMaterial as Json).tlogEntries, (orig.verificationMaterial as Json).tlogEntries);
    });
  }

  it('converts an x509CertificateChain bundle with its leaf certificate', () => {
    const b = JSON.parse(readFixture('rfc8785-0.1.2-py3-none-any.whl.sigstore').toString('utf8')) as Json;
    const vm = b.verificationMaterial as Json;
    vm.x509CertificateChain = { certificates: [vm.certificate] };
    delete vm.certificate;
    b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
    assert.deepEqual(attestationToJson(bundleToAttestation(b)), rawJson('rfc8785-0.1.2-py3-none-any.whl.attestation'));
  });

  it('refuses an attestation whose certificate is not X.509', () => {
    const a = parseAttestation(readFixture('rfc8785-0.1.2-py3-none-any.whl.attestation'));
    a.verificationMaterial.certificate = Buffer.from('foo');
    refuses(() => attestationToBundle(a), 'ATTESTATION_CONVERSION', /certificate is not a valid X\.509 certificate/);
  });

  it('refuses an attestation whose transparency entry is not one', () => {
    const a = parseAttestation(readFixture('rfc8785-0.1.2-py3-none-any.whl.attestation'));
    a.verificationMaterial.transparencyEntries[0] = {};
    refuses(() => attestationToBundle(a), 'ATTESTATION_CONVERSION', /invalid transparency log entry \(transparency_entries\[0\]\./);
    const b = parseAttestation(readFixture('rfc8785-0.1.2-py3-none-any.whl.attestation'));
    delete (b.verificationMaterial.transparencyEntries[0] as Json).inclusionProof;
    refuses(() => attestationToBundle(b), 'ATTESTATION_CONVERSION', /transparency_entries\[0\] has no inclusionProof/);
  });

  it('refuses a bundle with a message signature', () => {
    refuses(() => bundleToAttestation(conformance('happy-path-v0.3')), 'ATTESTATION_CONVERSION', /needs a DSSE envelope/);
  });

  it('refuses a managed-key bundle', () => {
    const b = JSON.parse(readFixture('rfc8785-0.1.2-py3-none-any.whl.sigstore').toString('utf8')) as Json;
    const vm = b.verificationMaterial as Json;
    delete vm.certificate;
    vm.publicKey = { hint: 'my-key' };
    refuses(() => bundleToAttestation(b), 'ATTESTATION_CONVERSION', /signed with a managed key, not a certificate/);
  });

  it('refuses a bundle whose DSSE payload is not an in-toto statement', () => {
    const b = JSON.parse(readFixture('rfc8785-0.1.2-py3-none-any.whl.sigstore').toString('utf8')) as Json;
    (b.dsseEnvelope as Json).payloadType = 'application/json';
    refuses(() => bundleToAttestation(b), 'ATTESTATION_CONVERSION', /payload type is "application\/json"/);
  });

  it('refuses a bundle with a signature count other than one (at parsing)', () => {
    const b = JSON.parse(readFixture('rfc8785-0.1.2-py3-none-any.whl.sigstore').toString('utf8')) as Json;
    const env = b.dsseEnvelope as { signatures: unknown[] };
    env.signatures = [];
    assert.throws(() => bundleToAttestation(b), /exactly one signature/);
    env.signatures = [{ sig: 'AAAA' }, { sig: 'AAAA' }];
    assert.throws(() => bundleToAttestation(b), /exactly one signature/);
  });

  it('carries RFC 3161 timestamps over (the Rekor v2 form), losslessly both ways', () => {
    const text = conformance('rekor2-dsse-happy-path');
    const bundle = parseBundle(text);
    assert.ok(bundle.timestamps.length > 0);
    const a = bundleToAttestation(text);
    assert.deepEqual(a.verificationMaterial.timestamps, bundle.timestamps);
    assert.deepEqual(attestationToBundle(a).timestamps, bundle.timestamps);
  });

  it('drops RFC 3161 timestamps only when asked and the log entries date the signature', () => {
    const b = JSON.parse(readFixture('rfc8785-0.1.2-py3-none-any.whl.sigstore').toString('utf8')) as Json;
    const tsBundle = JSON.parse(conformance('rekor2-dsse-happy-path')) as Json;
    (b.verificationMaterial as Json).timestampVerificationData = (tsBundle.verificationMaterial as Json).timestampVerificationData;
    assert.deepEqual(attestationToJson(bundleToAttestation(b, { dropTimestamps: true })), rawJson('rfc8785-0.1.2-py3-none-any.whl.attestation'));
    assert.equal(bundleToAttestation(b).verificationMaterial.timestamps?.length, 1);
    refuses(
      () => bundleToAttestation(conformance('rekor2-dsse-happy-path'), { dropTimestamps: true }),
      'ATTESTATION_CONVERSION',
      /without its RFC 3161 timestamps: its log entries have no signed integrated time/,
    );
  });

  it('refuses an invalid bundle with the bundle error', () => {
    assert.throws(() => bundleToAttestation('{"mediaType":"nope"}'), { code: 'BUNDLE_INVALID' });
  });
});

describe('PyPI provenance objects', () => {
  it('reads the real provenance: one GitHub publisher and its attestation', () => {
    const raw = rawJson('pypi_attestations-0.0.19.tar.gz.provenance');
    const p = parseProvenance(readFixture('pypi_attestations-0.0.19.tar.gz.provenance'));
    assert.equal(p.version, 1);
    assert.equal(p.attestationBundles.length, 1);
    assert.deepEqual(p.attestationBundles[0]!.publisher, { kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'release.yml', environment: null });
    assert.equal(p.attestationBundles[0]!.attestations.length, 1);
    assert.deepEqual(JSON.parse(serializeProvenance(p)), raw);
    assert.equal(serializeProvenance(p), readFixture('pypi_attestations-0.0.19.tar.gz.provenance').toString('utf8').trimEnd());
  });

  it('reads GitLab and Google publishers, ignoring unknown fields', () => {
    const a = rawJson('rfc8785-0.1.2-py3-none-any.whl.attestation');
    const p = parseProvenance({
      version: 1,
      attestation_bundles: [
        { publisher: { kind: 'GitLab', repository: 'foo/bar/baz', workflow_filepath: 'dir/release.yml', environment: 'publish', claims: {} }, attestations: [a] },
        { publisher: { kind: 'Google', email: 'sa@example.iam.gserviceaccount.com' }, attestations: [] },
      ],
    });
    assert.deepEqual(p.attestationBundles[0]!.publisher, { kind: 'GitLab', repository: 'foo/bar/baz', workflow_filepath: 'dir/release.yml', environment: 'publish' });
    assert.deepEqual(p.attestationBundles[1]!.publisher, { kind: 'Google', email: 'sa@example.iam.gserviceaccount.com' });
  });

  const good = (): Json => structuredClone(rawJson('pypi_attestations-0.0.19.tar.gz.provenance'));
  const bundle0 = (j: Json): Json => (j.attestation_bundles as Json[])[0]!;
  const mutations: [string, (j: Json) => void, RegExp][] = [
    ['version 2', (j) => (j.version = 2), /version must be 1 \(is 2\)/],
    ['no attestation_bundles', (j) => delete j.attestation_bundles, /attestation_bundles must be an array/],
    ['no publisher', (j) => delete bundle0(j).publisher, /attestation_bundles\[0\]\.publisher must be an object/],
    ['an unknown publisher kind', (j) => ((bundle0(j).publisher as Json).kind = 'Forgejo'), /publisher\.kind must be one of GitHub, GitLab, Google \(is "Forgejo"\)/],
    ['a GitHub publisher without workflow', (j) => delete (bundle0(j).publisher as Json).workflow, /publisher\.workflow is missing/],
    ['no attestations', (j) => delete bundle0(j).attestations, /attestations must be an array/],
    ['a bad attestation', (j) => ((bundle0(j).attestations as Json[])[0]!.version = 3), /attestation_bundles\[0\]\.attestations\[0\]\.version must be 1/],
  ];
  for (const [what, mutate, message] of mutations) {
    it(`refuses a provenance with ${what}`, () => {
      const j = good();
      mutate(j);
      refuses(() => parseProvenance(JSON.stringify(j)), 'PROVENANCE_INVALID', message);
    });
  }
});
