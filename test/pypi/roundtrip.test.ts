/**
 * PEP 740 attestations signed against the local Sigstore instance round-trip: sign -> verify as an
 * attestation -> convert to a bundle -> verify with our verifier and with sigstore-js -> convert
 * back, byte for byte. Through the library and through `sigstore attestation sign|verify|convert`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier as JsVerifier } from '@sigstore/verify';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { attestationStatement, parseAttestation, SLSA_PROVENANCE_V1, serializeAttestation } from '../../src/pypi/attestation.js';
import { attestationToBundle, bundleToAttestation } from '../../src/pypi/convert.js';
import { Distribution } from '../../src/pypi/distribution.js';
import { distributionStatement, signAttestation, signAttestations } from '../../src/pypi/sign.js';
import { verifyAttestation } from '../../src/pypi/verify.js';
import { Signer } from '../../src/sign/signer.js';
import { parseClientTrustConfig } from '../../src/trust/client-config.js';
import { parseTrustedRoot, type TrustMaterial } from '../../src/trust/trusted-root.js';
import { Identity } from '../../src/verify/policy.js';
import { Verifier } from '../../src/verify/verifier.js';
import { cli, PUBLISH, tempDir } from './helpers.js';

const WORKFLOW = 'https://github.com/octo-org/octo-pkg/.github/workflows/release.yml@refs/tags/v1.0.0';
const SLSA_PREDICATE = {
  buildDefinition: {
    buildType: 'https://actions.github.io/buildtypes/workflow/v1',
    externalParameters: { workflow: { ref: 'refs/tags/v1.0.0', repository: 'https://github.com/octo-org/octo-pkg', path: '.github/workflows/release.yml' } },
  },
  runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
};

describe('PEP 740 attestations against the local instance', () => {
  const dir = tempDir('sigstore-ts-pypi-rt-');
  let inst: SigstoreInstance;
  let trustConfigPath: string;
  let trust: TrustMaterial;
  let policy: Identity;
  const sdist = join(dir, 'octo_pkg-1.0.0.tar.gz');
  const wheel = join(dir, 'octo_pkg-1.0.0-py3-none-any.whl');

  before(async () => {
    inst = await startInstance({ dataDir: join(dir, 'instance'), port: 0, identity: WORKFLOW });
    trustConfigPath = join(dir, 'trust_config.json');
    writeFileSync(trustConfigPath, JSON.stringify(inst.trustConfig));
    trust = parseTrustedRoot(inst.trustedRoot, 'local instance');
    policy = new Identity({ identity: WORKFLOW, issuer: inst.issuer });
    writeFileSync(sdist, randomBytes(4096));
    writeFileSync(wheel, randomBytes(8192));
  });
  after(async () => {
    await inst?.stop();
  });

  const signer = (rekorVersion: 1 | 2 = 1) =>
    new Signer({ trustConfig: parseClientTrustConfig(inst.trustConfig, 'local instance'), tokenProvider: () => inst.token(), rekorVersion });

  /** sigstore-js's verifier over the instance's trusted root. */
  const jsVerify = (bundleJson: unknown) => {
    const v = new JsVerifier(toTrustMaterial(TrustedRoot.fromJSON(inst.trustedRoot)));
    return v.verify(toSignedEntity(bundleFromJSON(bundleJson as SerializedBundle)), { subjectAlternativeName: WORKFLOW, extensions: { issuer: inst.issuer } });
  };

  it('sign -> verify -> bundle -> our verifier and sigstore-js -> attestation, losslessly (library)', async () => {
    const dists = [await Distribution.fromFile(sdist), await Distribution.fromFile(wheel)];
    const attestations = await signAttestations(signer(), dists);
    assert.equal(attestations.length, 2);
    for (const [i, a] of attestations.entries()) {
      const d = dists[i]!;
      const st = attestationStatement(a);
      assert.deepEqual(st, { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: d.name, digest: { sha256: d.digest } }], predicateType: PUBLISH, predicate: {} });
      assert.equal(a.verificationMaterial.transparencyEntries.length, 1);
      assert.deepEqual(a.verificationMaterial.transparencyEntries[0]!.kindVersion, { kind: 'dsse', version: '0.0.1' });

      const r = await verifyAttestation(new Verifier(trust), a, d, policy);
      assert.equal(r.predicateType, PUBLISH);
      assert.ok(r.result.signer.kind === 'certificate' && r.result.signer.identity === WORKFLOW);
      assert.equal(r.result.signer.kind === 'certificate' && r.result.signer.extensions.sourceRepositoryURI, 'https://github.com/octo-org/octo-pkg');

      const bundle = attestationToBundle(a);
      const text = JSON.stringify(bundle.json);
      await new Verifier(trust).verify(text, { digest: { algorithm: 'sha256', value: Buffer.from(d.digest, 'hex') } }, policy);
      const js = jsVerify(JSON.parse(text));
      assert.equal(js.identity?.subjectAlternativeName, WORKFLOW);

      assert.equal(serializeAttestation(bundleToAttestation(text)), serializeAttestation(a));
      assert.equal(serializeAttestation(parseAttestation(serializeAttestation(a))), serializeAttestation(a));
    }
    // One certificate for the whole run.
    assert.ok(attestations[0]!.verificationMaterial.certificate.equals(attestations[1]!.verificationMaterial.certificate));
    // And each attestation is for its own distribution only.
    await assert.rejects(verifyAttestation(new Verifier(trust), attestations[0]!, dists[1]!, policy), { code: 'SUBJECT_MISMATCH' });
    await assert.rejects(verifyAttestation(new Verifier(trust), attestations[0]!, dists[0]!, new Identity({ identity: 'mallory@example.com', issuer: inst.issuer })), { step: 'policy' });
  });

  it('signs SLSA provenance attestations, and refuses a bad predicate before signing', async () => {
    const d = await Distribution.fromFile(wheel);
    const a = await signAttestation(signer(), d, { predicateType: SLSA_PROVENANCE_V1, predicate: SLSA_PREDICATE });
    const r = await verifyAttestation(new Verifier(trust), a, d, policy);
    assert.equal(r.predicateType, SLSA_PROVENANCE_V1);
    assert.deepEqual(r.predicate, SLSA_PREDICATE);
    jsVerify(attestationToBundle(a).json);
    await assert.rejects(distributionStatement(d, { predicateType: SLSA_PROVENANCE_V1 }), { code: 'PREDICATE_INVALID' });
    await assert.rejects(distributionStatement(d, { predicateType: SLSA_PROVENANCE_V1, predicate: { runDetails: {} } }), { code: 'PREDICATE_INVALID' });
    await assert.rejects(distributionStatement(d, { predicateType: 'https://example.com/other/v1' }), { code: 'PREDICATE_TYPE_UNKNOWN' });
    await assert.rejects(distributionStatement(d, { predicate: { x: 1 } }), { code: 'PREDICATE_INVALID' });
  });

  it('signs with Rekor v2: the attestation carries its RFC 3161 timestamps, verifies and round-trips (library and CLI)', async () => {
    const d = await Distribution.fromFile(sdist);
    const a = await signAttestation(signer(2), d);
    assert.deepEqual(a.verificationMaterial.transparencyEntries[0]!.kindVersion, { kind: 'hashedrekord', version: '0.0.2' });
    assert.equal(a.verificationMaterial.timestamps?.length, 1);
    const r = await verifyAttestation(new Verifier(trust), a, d, policy);
    assert.deepEqual(r.result.timestamps.map((t) => t.source), ['tsa']);
    const text = serializeAttestation(a);
    assert.match(text, /"transparency_entries":\[.*\],"timestamps":\["/);
    assert.equal(serializeAttestation(bundleToAttestation(JSON.stringify(attestationToBundle(a).json))), text);

    const out = join(dir, 'v2');
    mkdirSync(out);
    const c = await cli(['--trust-config', trustConfigPath, 'attestation', 'sign', '--rekor-version', '2', '--output-directory', out, '--identity-token', await inst.token(), wheel]);
    assert.equal(c.code, 0, c.stderr);
    const written = parseAttestation(readFileSync(join(out, 'octo_pkg-1.0.0-py3-none-any.whl.publish.attestation')));
    assert.equal(written.verificationMaterial.timestamps?.length, 1);
    await verifyAttestation(new Verifier(trust), written, await Distribution.fromFile(wheel), policy);
    const v = await cli(['--trust-config', trustConfigPath, 'attestation', 'verify', '--identity', WORKFLOW, '--attestation', join(out, 'octo_pkg-1.0.0-py3-none-any.whl.publish.attestation'), wheel]);
    assert.equal(v.code, 0, v.stderr);
  });

  describe('through the CLI', () => {
    const token = () => inst.token();
    const G = () => ['--trust-config', trustConfigPath];

    it('attestation sign writes DIST.publish.attestation, never over an existing file without --overwrite', async () => {
      const r = await cli([...G(), 'attestation', 'sign', '--identity-token', await token(), sdist, wheel]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Signed .*octo_pkg-1\.0\.0\.tar\.gz: log index \d+; wrote .*octo_pkg-1\.0\.0\.tar\.gz\.publish\.attestation/);
      for (const f of [sdist, wheel]) {
        const a = parseAttestation(readFileSync(`${f}.publish.attestation`));
        await verifyAttestation(new Verifier(trust), a, await Distribution.fromFile(f), policy);
      }
      const before = statSync(`${sdist}.publish.attestation`).mtimeMs;
      const again = await cli([...G(), 'attestation', 'sign', '--identity-token', await token(), sdist]);
      assert.equal(again.code, 1, 'exit 1, as pypi-attestations');
      assert.match(again.stderr, /Refusing to overwrite outputs without --overwrite: .*publish\.attestation$/m);
      assert.equal(statSync(`${sdist}.publish.attestation`).mtimeMs, before);
      const over = await cli([...G(), 'attestation', 'sign', '--overwrite', '--identity-token', await token(), sdist]);
      assert.equal(over.code, 0, over.stderr);
    });

    it('attestation sign --predicate-type slsa writes DIST.slsa.attestation; usage errors exit 2 before signing', async () => {
      const pred = join(dir, 'provenance.json');
      writeFileSync(pred, JSON.stringify(SLSA_PREDICATE));
      const outDir = tempDir();
      const r = await cli([...G(), 'attestation', 'sign', '--predicate-type', 'slsa', '--predicate', pred, '--output-directory', outDir, '--identity-token', await token(), wheel]);
      assert.equal(r.code, 0, r.stderr);
      const a = parseAttestation(readFileSync(join(outDir, 'octo_pkg-1.0.0-py3-none-any.whl.slsa.attestation')));
      assert.equal(attestationStatement(a).predicateType, SLSA_PROVENANCE_V1);
      for (const [args, message] of [
        [['attestation', 'sign', '--predicate-type', 'slsa', '--identity-token', 'x', wheel], /needs --predicate FILE/],
        [['attestation', 'sign', '--predicate', pred, '--identity-token', 'x', wheel], /--predicate only goes with --predicate-type slsa/],
        [['attestation', 'sign', '--predicate-type', 'https://example.com/p', '--identity-token', 'x', wheel], /--predicate-type must be publish or slsa/],
        [['attestation', 'sign', '--identity-token', 'x', wheel, wheel], /given more than once/],
        [['attestation', 'sign', '--bundle', 'x.json', wheel], /unrecognized option '--bundle'/],
        [['attestation', 'sign'], /at least one DIST/],
      ] as [string[], RegExp][]) {
        const u = await cli([...G(), ...args]);
        assert.equal(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
        assert.match(u.stderr, message);
      }
      // A name that is no distribution's is a failure (1), as pypi-attestations exits for it.
      const notDist = await cli([...G(), 'attestation', 'sign', '--identity-token', 'x', join(dir, 'README.md')]);
      assert.equal(notDist.code, 1, notDist.stderr);
      assert.match(notDist.stderr, /not a valid Python distribution file name/);
      // A missing DIST is a failure (1), as pypi-attestations exits for missing inputs; still before signing.
      const missing = await cli([...G(), 'attestation', 'sign', '--identity-token', 'x', join(dir, 'missing-1.0.tar.gz')]);
      assert.equal(missing.code, 1, missing.stderr);
      assert.match(missing.stderr, /distribution \S+ does not exist/);
    });

    it('attestation verify and convert: round trip through a bundle, verified by `sigstore verify` too', async () => {
      const att = `${sdist}.publish.attestation`;
      const ok = await cli([...G(), 'attestation', 'verify', '--identity', WORKFLOW, '--issuer', inst.issuer, sdist, wheel]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /^OK: .*octo_pkg-1\.0\.0\.tar\.gz \(.*publish\.attestation\)$/m);
      assert.match(ok.stderr, /^OK: .*octo_pkg-1\.0\.0-py3-none-any\.whl \(.*publish\.attestation\)$/m);

      const bundlePath = join(dir, 'octo_pkg-1.0.0.tar.gz.sigstore.json');
      const c1 = await cli(['attestation', 'convert', '--output-file', bundlePath, att]);
      assert.equal(c1.code, 0, c1.stderr);
      const v = await cli([...G(), 'verify', 'identity', '--cert-identity', WORKFLOW, '--cert-oidc-issuer', inst.issuer, '--bundle', bundlePath, sdist]);
      assert.equal(v.code, 0, v.stderr);
      jsVerify(JSON.parse(readFileSync(bundlePath, 'utf8')));

      const back = join(dir, 'back.attestation');
      const c2 = await cli(['attestation', 'convert', '--to', 'attestation', '-o', back, bundlePath]);
      assert.equal(c2.code, 0, c2.stderr);
      assert.equal(readFileSync(back, 'utf8'), readFileSync(att, 'utf8'));

      const again = await cli(['attestation', 'convert', '-o', back, bundlePath]);
      assert.equal(again.code, 1, 'exit 1, as pypi-attestations');
      assert.match(again.stderr, /Refusing to overwrite/);
      const wrongWay = await cli(['attestation', 'convert', '--to', 'bundle', '-o', join(dir, 'x.json'), bundlePath]);
      assert.equal(wrongWay.code, 2);
      assert.match(wrongWay.stderr, /is a Sigstore bundle: it converts to an attestation, not a bundle/);

      const viaFlag = await cli([...G(), 'attestation', 'verify', '--identity', WORKFLOW, '--attestation', back, sdist]);
      assert.equal(viaFlag.code, 0, viaFlag.stderr);
      const rootFile = join(dir, 'trusted_root.json');
      writeFileSync(rootFile, JSON.stringify(inst.trustedRoot));
      const viaRoot = await cli(['attestation', 'verify', '--trusted-root', rootFile, '--identity', WORKFLOW, '--issuer', inst.issuer, sdist]);
      assert.equal(viaRoot.code, 0, viaRoot.stderr);
      const production = await cli(['attestation', 'verify', '--identity', WORKFLOW, sdist]);
      assert.equal(production.code, 1, 'not trusted by the public-good root');
      assert.match(production.stderr, /FAIL: .*\[(tlog|chain)\]/);
      const both = await cli([...G(), 'attestation', 'verify', '--trusted-root', rootFile, '--identity', WORKFLOW, sdist]);
      assert.equal(both.code, 2);
      const wrongDist = await cli([...G(), 'attestation', 'verify', '--identity', WORKFLOW, '--attestation', back, wheel]);
      assert.equal(wrongDist.code, 1);
      assert.match(wrongDist.stderr, /^FAIL: .*\[signature\]: the artifact digest sha256:[0-9a-f]{64} is not a subject of the statement$/m);
    });
  });
});
