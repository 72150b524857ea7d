/**
 * `inspect`: what bundles, PEP 740 attestations and PyPI provenance files contain, in text and
 * JSON, compared exactly with the stored snapshots (test/fixtures/pypi/snapshots). Set
 * UPDATE_SNAPSHOTS=1 to rewrite them after an intended change, and review the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { BundleError } from '../../src/errors.js';
import { inspectAttestation, inspectBundle, inspectDocument, NOT_VERIFIED_NOTICE } from '../../src/inspect/model.js';
import { renderInspection } from '../../src/inspect/render.js';
import { parseAttestation } from '../../src/pypi/attestation.js';
import { cli, fixture, PYPI, readFixture, ROOT } from './helpers.js';

const SNAPSHOTS = join(PYPI, 'snapshots');
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';
const conformance = (name: string): string => join(ROOT, 'test', 'fixtures', 'conformance', name, 'bundle.sigstore.json');

/** [snapshot name, file]. */
const DOCUMENTS: [string, string][] = [
  ['pypi_attestations-0.0.19.tar.gz.publish.attestation', fixture('pypi_attestations-0.0.19.tar.gz.publish.attestation')],
  ['pypi_attestations-0.0.19.tar.gz.slsa.attestation', fixture('pypi_attestations-0.0.19.tar.gz.slsa.attestation')],
  ['pypi_attestations-0.0.19.tar.gz.provenance', fixture('pypi_attestations-0.0.19.tar.gz.provenance')],
  ['gitlab_oidc_project-0.0.3.tar.gz.publish.attestation', fixture('gitlab_oidc_project-0.0.3.tar.gz.publish.attestation')],
  ['rfc8785-0.1.2-py3-none-any.whl.publish.attestation', fixture('rfc8785-0.1.2-py3-none-any.whl.publish.attestation')],
  ['pypi_attestation_models-0.0.4a2.tar.gz.sigstore', fixture('pypi_attestation_models-0.0.4a2.tar.gz.sigstore')],
  ['conformance-happy-path-v0.1', conformance('happy-path-v0.1')],
  ['conformance-managed-key-happy-path', conformance('managed-key-happy-path')],
  ['conformance-rekor2-dsse-happy-path', conformance('rekor2-dsse-happy-path')],
];

function snapshot(file: string, actual: string): void {
  const path = join(SNAPSHOTS, file);
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE) assert.fail(`no snapshot ${path}: run with UPDATE_SNAPSHOTS=1 to create it`);
    mkdirSync(SNAPSHOTS, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.equal(actual, readFileSync(path, 'utf8'), `output differs from ${path} (UPDATE_SNAPSHOTS=1 rewrites it)`);
}

describe('inspect snapshots', () => {
  for (const [name, file] of DOCUMENTS) {
    it(`${name}: text`, () => {
      snapshot(`${name}.txt`, renderInspection(inspectDocument(readFileSync(file)), basename(file)));
    });
    it(`${name}: JSON`, () => {
      snapshot(`${name}.json`, `${JSON.stringify(inspectDocument(readFileSync(file)), null, 2)}\n`);
    });
  }
});

describe('inspect', () => {
  it('says plainly, first, that inspecting is not verifying', () => {
    const text = renderInspection(inspectDocument(readFixture('rfc8785-0.1.2-py3-none-any.whl.publish.attestation')), 'x.attestation');
    const lines = text.split('\n');
    assert.equal(lines[0], 'x.attestation');
    assert.match(lines[1]!, /^NOT VERIFIED\. Inspecting is not verifying: nothing below has been checked\./);
    const json = inspectDocument(readFixture('rfc8785-0.1.2-py3-none-any.whl.publish.attestation'));
    assert.equal(json.verified, false);
    assert.equal(json.notice, NOT_VERIFIED_NOTICE);
  });

  it('shows what an attestation claims: statement, predicate type, subjects, signer, extensions, log entry, times', () => {
    const i = inspectAttestation(parseAttestation(readFixture('pypi_attestations-0.0.19.tar.gz.publish.attestation')));
    assert.equal(i.format, 'attestation');
    assert.equal(i.attestationVersion, 1);
    assert.ok(i.content.kind === 'dsseEnvelope' && i.content.statement);
    assert.equal(i.content.statement.predicateType, 'https://docs.pypi.org/attestations/publish/v1');
    assert.deepEqual(i.content.statement.subjects, [
      { name: 'pypi_attestations-0.0.19.tar.gz', digest: { sha256: '9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3' } },
    ]);
    assert.ok(i.signer.kind === 'certificate');
    assert.deepEqual(i.signer.subjectAltNames, [{ type: 'uri', value: 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19' }]);
    assert.equal(i.signer.oidcIssuer, 'https://token.actions.githubusercontent.com');
    // The reference tool's certificate claims (Fulcio 1.8-1.22), by OID.
    const claims = Object.fromEntries(i.signer.extensions.filter((e) => e.value !== undefined && Number(e.oid.split('.').at(-1)) >= 8).map((e) => [e.oid, e.value]));
    assert.deepEqual(claims, {
      '1.3.6.1.4.1.57264.1.8': 'https://token.actions.githubusercontent.com',
      '1.3.6.1.4.1.57264.1.9': 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19',
      '1.3.6.1.4.1.57264.1.10': '08802efe1f8e5fec4ad842d6b8ce97656092ee72',
      '1.3.6.1.4.1.57264.1.11': 'github-hosted',
      '1.3.6.1.4.1.57264.1.12': 'https://github.com/trailofbits/pypi-attestations',
      '1.3.6.1.4.1.57264.1.13': '08802efe1f8e5fec4ad842d6b8ce97656092ee72',
      '1.3.6.1.4.1.57264.1.14': 'refs/tags/v0.0.19',
      '1.3.6.1.4.1.57264.1.15': '772247423',
      '1.3.6.1.4.1.57264.1.16': 'https://github.com/trailofbits',
      '1.3.6.1.4.1.57264.1.17': '2314423',
      '1.3.6.1.4.1.57264.1.18': 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19',
      '1.3.6.1.4.1.57264.1.19': '08802efe1f8e5fec4ad842d6b8ce97656092ee72',
      '1.3.6.1.4.1.57264.1.20': 'release',
      '1.3.6.1.4.1.57264.1.21': 'https://github.com/trailofbits/pypi-attestations/actions/runs/12169989787/attempts/1',
      '1.3.6.1.4.1.57264.1.22': 'public',
    });
    assert.equal(i.signer.extensions.find((e) => e.field === 'sourceRepositoryURI')?.name, 'Source Repository URI');
    assert.equal(i.tlogEntries.length, 1);
    assert.deepEqual(
      { logIndex: i.tlogEntries[0]!.logIndex, integratedTime: i.tlogEntries[0]!.integratedTime, kind: i.tlogEntries[0]!.kind },
      { logIndex: '153454663', integratedTime: '2024-12-04T23:14:01.000Z', kind: 'dsse' },
    );
    assert.deepEqual(i.timestamps, []);
  });

  it('shows the same content for an attestation and the bundle it came from', () => {
    const fromBundle = inspectBundle(readFixture('rfc8785-0.1.2-py3-none-any.whl.sigstore'));
    const fromAttestation = inspectAttestation(parseAttestation(readFixture('rfc8785-0.1.2-py3-none-any.whl.attestation')));
    assert.deepEqual({ ...fromAttestation, format: 'bundle', attestationVersion: undefined }, { ...fromBundle, attestationVersion: undefined });
  });

  it('reports a payload that is not a statement without hiding the rest', () => {
    const a = parseAttestation(readFixture('rfc8785-0.1.2-py3-none-any.whl.attestation'));
    a.envelope.statement = Buffer.from('not json');
    const i = inspectAttestation(a);
    assert.ok(i.content.kind === 'dsseEnvelope');
    assert.equal(i.content.statement, null);
    assert.equal(i.content.statementError, 'the payload is not JSON');
    assert.match(renderInspection(i), /statement {8}unreadable: the payload is not JSON/);
    assert.ok(i.signer.kind === 'certificate');
  });

  it('refuses what is neither a bundle, an attestation nor a provenance', () => {
    assert.throws(() => inspectDocument('{"hello":1}'), (e: unknown) => e instanceof BundleError && e.code === 'DOCUMENT_INVALID');
    assert.throws(() => inspectDocument('nope'), /not JSON/);
    assert.throws(() => inspectDocument('{"mediaType":"x"}'), { code: 'BUNDLE_INVALID' });
    assert.throws(() => inspectDocument('{"version":1,"envelope":{}}'), { code: 'ATTESTATION_INVALID' });
  });
});

describe('sigstore inspect / sigstore attestation inspect', () => {
  const att = fixture('pypi_attestations-0.0.19.tar.gz.publish.attestation');
  it('prints the text snapshot, for both commands', async () => {
    const expected = readFileSync(join(SNAPSHOTS, 'pypi_attestations-0.0.19.tar.gz.publish.attestation.txt'), 'utf8');
    for (const cmd of [['inspect'], ['attestation', 'inspect']]) {
      const r = await cli([...cmd, att]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, expected);
    }
  });

  it('prints JSON with --json, and the not-verified notice on stderr', async () => {
    const r = await cli(['attestation', 'inspect', '--json', att, fixture('pypi_attestations-0.0.19.tar.gz.provenance')]);
    assert.equal(r.code, 0, r.stderr);
    // JSON Lines, one object per file, in the shape of schemas/output.v1.schema.json (test/cli/json-output.test.ts).
    // biome-ignore lint/suspicious/noExplicitAny: the JSON output, read freely
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)) as Record<string, any>[];
    assert.equal(out.length, 2);
    const snap = JSON.parse(readFileSync(join(SNAPSHOTS, 'pypi_attestations-0.0.19.tar.gz.publish.attestation.json'), 'utf8'));
    assert.equal(out[0]!.input, att);
    assert.equal(out[0]!.format, snap.format);
    assert.deepEqual(out[0]!.content, snap.content);
    assert.deepEqual(out[0]!.signer.subjectAltNames, snap.signer.subjectAltNames);
    assert.equal(out[0]!.signer.oidcIssuer, snap.signer.oidcIssuer);
    assert.equal(out[0]!.signer.certificate.issuer, snap.signer.issuer);
    assert.equal(out[1]!.format, 'provenance');
    assert.match(r.stderr, /Inspecting is not verifying/);
  });

  it('separates several files with a blank line', async () => {
    const a = fixture('rfc8785-0.1.2-py3-none-any.whl.publish.attestation');
    const b = fixture('rfc8785-0.1.2-py3-none-any.whl.sigstore');
    const r = await cli(['inspect', a, b]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${renderInspection(inspectDocument(readFileSync(a)), basename(a))}\n${renderInspection(inspectDocument(readFileSync(b)), basename(b))}`);
  });

  it('fails (1) for an invalid document, and is a usage error (2) for a missing file or none', async () => {
    const bad = await cli(['inspect', fixture('rfc8785-0.1.2-py3-none-any.whl')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^FAIL: .*rfc8785-0\.1\.2-py3-none-any\.whl: not a bundle, attestation or provenance: the file is not JSON/m);
    const missing = await cli(['inspect', 'nope.sigstore.json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read nope\.sigstore\.json: no such file/);
    const none = await cli(['attestation', 'inspect']);
    assert.equal(none.code, 2);
  });

  it('has help texts saying that inspecting is not verifying', async () => {
    for (const cmd of [['inspect', '--help'], ['attestation', 'inspect', '-h']]) {
      const r = await cli(cmd);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^usage: sigstore (attestation )?inspect/);
      assert.match(r.stdout, /Inspecting is NOT verifying/);
    }
  });
});
