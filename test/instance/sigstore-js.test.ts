/**
 * Real peer software agrees the instance is faithful: sigstore-js (sigstore, @sigstore/sign,
 * @sigstore/verify) signs a file and a DSSE attestation against the local instance, with a token
 * from the instance's OIDC provider, and verifies the bundles against the instance's trusted
 * root: bootstrapped over the instance's TUF repository (Rekor v1 + SET + TSA), and from the
 * trusted root and signing config directly (Rekor v2 + TSA, services picked from the signing
 * config by sigstore-js itself). Every bundle sigstore-js signs is verified by ours too: sign
 * (Rekor v1, v2), attest (Rekor v1 dsse 0.0.1; intoto 0.0.2 with legacy compatibility). Its
 * attest to Rekor v2 (a dsseRequestV002) is refused, as rekor-tiles refuses it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON, bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import * as sigstore from 'sigstore';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { Certificate } from '../../src/lib/x509.js';
import { parseTrustedRoot } from '../../src/trust/trusted-root.js';
import { Identity } from '../../src/verify/policy.js';
import { Verifier as OurVerifier } from '../../src/verify/verifier.js';
import { tempDir } from './helpers.js';

const EMAIL = 'alice@example.com';
const WORKFLOW = 'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main';

describe('sigstore-js against the local instance', () => {
  const tmp = tempDir();
  let inst: SigstoreInstance;

  /** A token from the instance's OIDC provider, over HTTP (the token endpoint). */
  async function token(identity?: string): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sigstore' });
    if (identity) form.set('identity', identity);
    const res = await fetch(`${inst.issuer}/token`, { method: 'POST', body: form });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { id_token: string; token_type: string };
    assert.equal(body.token_type, 'Bearer');
    return body.id_token;
  }

  /** Our verifier, with the instance's trusted root and its identity. */
  async function verifiedByOurs(bundle: unknown, subject: string | Buffer): Promise<void> {
    const v = new OurVerifier(parseTrustedRoot(inst.trustedRoot));
    const artifact = typeof subject === 'string' ? { digest: { algorithm: 'sha256' as const, value: Buffer.from(subject, 'hex') } } : { data: subject };
    await v.verify(bundle as never, artifact, new Identity({ identity: EMAIL, issuer: inst.issuer }));
  }

  /** sigstore-js attests an in-toto statement whose one subject has this SHA-256, against the instance. */
  async function attestStatement(sha256: string, options: { legacyCompatibility?: boolean } = {}) {
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'artifact.tgz', digest: { sha256 } }],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: {},
      }),
    );
    return sigstore.attest(statement, 'application/vnd.in-toto+json', { fulcioURL: inst.url, rekorURL: inst.url, tsaServerURL: inst.url, identityToken: await token(), ...options });
  }

  const tufOptions = () => ({ tufMirrorURL: inst.tufUrl, tufRootPath: inst.files.tufRoot, tufCachePath: join(tmp.dir, 'tuf-cache') });

  before(async () => {
    inst = await startInstance({ dataDir: join(tmp.dir, 'instance'), port: 0, identity: EMAIL });
  });
  after(async () => {
    await inst?.stop();
    tmp.cleanup();
  });

  it('signs a file (Fulcio, Rekor v1, TSA) and verifies it, with trust bootstrapped over TUF', async () => {
    const data = Buffer.from('a file signed against the local instance\n');
    const bundle = await sigstore.sign(data, { fulcioURL: inst.url, rekorURL: inst.url, tsaServerURL: inst.url, identityToken: await token() });
    const entry = bundle.verificationMaterial.tlogEntries[0]!;
    assert.equal(entry.kindVersion?.kind, 'hashedrekord');
    assert.equal(entry.kindVersion?.version, '0.0.1');
    assert.ok(entry.inclusionPromise?.signedEntryTimestamp, 'Rekor v1 gives a SET');
    assert.ok(entry.inclusionProof?.checkpoint.envelope, 'and an inclusion proof with a checkpoint');
    assert.equal(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length, 1);

    const signer = await sigstore.verify(bundle, data, { ...tufOptions(), certificateIdentityEmail: EMAIL, certificateIssuer: inst.issuer });
    assert.equal(signer.identity?.subjectAlternativeName, EMAIL);
    assert.equal(signer.identity?.extensions?.issuer, inst.issuer);
    await verifiedByOurs(bundle, data);

    await assert.rejects(sigstore.verify(bundle, Buffer.from('another file'), tufOptions()), /signature|verif/i);
    await assert.rejects(sigstore.verify(bundle, data, { ...tufOptions(), certificateIdentityEmail: 'mallory@example.com' }), /identity|subject|policy|SAN|match/i);
  });

  it('attests a DSSE in-toto statement (Rekor v1 dsse 0.0.1) and verifies it', async () => {
    const bundle = await attestStatement('a'.repeat(64));
    assert.equal(bundle.verificationMaterial.tlogEntries[0]?.kindVersion?.kind, 'dsse');
    const signer = await sigstore.verify(bundle, { ...tufOptions(), certificateIdentityEmail: EMAIL, certificateIssuer: inst.issuer });
    assert.equal(signer.identity?.subjectAlternativeName, EMAIL);
    await verifiedByOurs(bundle, 'a'.repeat(64));
  });

  it('attests with legacy compatibility (Rekor v1 intoto 0.0.2), and both sigstore-js and ours verify it', async () => {
    const bundle = await attestStatement('b'.repeat(64), { legacyCompatibility: true });
    assert.deepEqual(bundle.verificationMaterial.tlogEntries[0]?.kindVersion, { kind: 'intoto', version: '0.0.2' });
    const body = JSON.parse(Buffer.from(bundle.verificationMaterial.tlogEntries[0]!.canonicalizedBody, 'base64').toString('utf8'));
    assert.equal(body.spec.content.envelope.payload, undefined, 'the payload stays out of the body, as Rekor');
    const signer = await sigstore.verify(bundle, { ...tufOptions(), certificateIdentityEmail: EMAIL, certificateIssuer: inst.issuer });
    assert.equal(signer.identity?.subjectAlternativeName, EMAIL);
    await verifiedByOurs(bundle, 'b'.repeat(64));
    // The same statement with another signature is refused by our verifier's body step.
    const tampered = structuredClone(bundle) as { dsseEnvelope: { signatures: { sig: string }[] } };
    const sig = Buffer.from(tampered.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[sig.length - 1]! ^= 1;
    tampered.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    await assert.rejects(verifiedByOurs(tampered, 'b'.repeat(64)), (e: { step?: string }) => ['signature', 'body'].includes(e.step ?? ''));
  });

  it('signs a file and an attestation with the services sigstore-js picks from the signing config (Rekor v2, TSA) and verifies them', async () => {
    const signingConfig = SigningConfig.fromJSON(inst.signingConfig);
    const trustMaterial = toTrustMaterial(TrustedRoot.fromJSON(inst.trustedRoot));
    const verifier = new Verifier(trustMaterial);
    const identityProvider = { getToken: () => token() };
    const policy = { subjectAlternativeName: EMAIL, extensions: { issuer: inst.issuer } };

    const data = Buffer.from('signed through Rekor v2\n');
    const messageBuilder = bundleBuilderFromSigningConfig({ signingConfig, identityProvider, bundleType: 'messageSignature' });
    const b1 = bundleToJSON(await messageBuilder.create({ data })) as SerializedBundle;
    const e1 = b1.verificationMaterial.tlogEntries[0]!;
    assert.deepEqual(e1.kindVersion, { kind: 'hashedrekord', version: '0.0.2' }, 'sigstore-js chose Rekor v2');
    assert.equal(e1.inclusionPromise, undefined, 'Rekor v2 gives no SET');
    assert.equal(b1.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length, 1);
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(b1), data), policy);
    assert.equal(signer.identity?.subjectAlternativeName, EMAIL);
    await verifiedByOurs(b1, data);
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(b1), Buffer.from('tampered')), policy));

    // sigstore-js still sends DSSE to Rekor v2 as a dsseRequestV002, which rekor-tiles (and so
    // the instance) refuses since it dropped DSSE entries: it cannot attest with Rekor v2.
    const dsseBuilder = bundleBuilderFromSigningConfig({ signingConfig, identityProvider, bundleType: 'dsseEnvelope' });
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [], predicateType: 'x', predicate: {} }));
    await assert.rejects(dsseBuilder.create({ data: statement, type: 'application/vnd.in-toto+json' }), /400|dsseRequestV002|hashedrekord/);

    // The v2 entry checkpoints verify only with the v2 log of this trusted root.
    const other = structuredClone(inst.trustedRoot) as { tlogs: { publicKey: { keyDetails: string; rawBytes: string } }[] };
    const v1Key = other.tlogs.find((t) => t.publicKey.keyDetails !== 'PKIX_ED25519')!.publicKey.rawBytes;
    for (const t of other.tlogs) if (t.publicKey.keyDetails === 'PKIX_ED25519') t.publicKey = { ...t.publicKey, rawBytes: v1Key, keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
    const wrong = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(other)));
    assert.throws(() => wrong.verify(toSignedEntity(bundleFromJSON(b1), data), policy));
  });

  it('issues GitHub workflow identities with the Sigstore extensions mapped from the claims', async () => {
    const data = Buffer.from('built by a workflow\n');
    const bundle = await sigstore.sign(data, {
      fulcioURL: inst.url,
      rekorURL: inst.url,
      tsaServerURL: inst.url,
      identityToken: await token(WORKFLOW),
    });
    const signer = await sigstore.verify(bundle, data, {
      ...tufOptions(),
      certificateIdentityURI: WORKFLOW,
      certificateIssuer: inst.issuer,
      // 1.3.6.1.4.1.57264.1.5 (repository) holds the raw string.
      certificateOIDs: { '1.3.6.1.4.1.57264.1.5': 'octo-org/octo-repo' },
    });
    assert.equal(signer.identity?.subjectAlternativeName, WORKFLOW);

    const raw = bundle.verificationMaterial.x509CertificateChain?.certificates[0]?.rawBytes ?? bundle.verificationMaterial.certificate?.rawBytes;
    const cert = new Certificate(Buffer.from(raw!, 'base64'));
    const utf8 = (n: number) => {
      const v = cert.extension(`1.3.6.1.4.1.57264.1.${n}`)?.value;
      assert.ok(v, `extension 1.${n} present`);
      assert.equal(v[0], 0x0c, `extension 1.${n} is a DER UTF8String`);
      return v.subarray(2).toString('utf8');
    };
    assert.equal(cert.extension('1.3.6.1.4.1.57264.1.1')?.value.toString('utf8'), inst.issuer, '1.1 is the raw issuer');
    assert.equal(utf8(8), inst.issuer);
    assert.equal(utf8(9), WORKFLOW, 'Build Signer URI');
    assert.equal(utf8(12), 'https://github.com/octo-org/octo-repo', 'Source Repository URI');
    assert.equal(utf8(14), 'refs/heads/main');
    assert.equal(utf8(16), 'https://github.com/octo-org');
    assert.equal(utf8(18), WORKFLOW, 'Build Config URI');
    assert.equal(utf8(20), 'push');
    assert.match(utf8(21), /^https:\/\/github\.com\/octo-org\/octo-repo\/actions\/runs\/\d+\/attempts\/1$/);
    assert.equal(utf8(22), 'public');
    for (const n of [10, 11, 13, 15, 17, 19]) assert.ok(utf8(n).length > 0);
    assert.deepEqual(cert.subjectAltNames, [{ type: 'uri', value: WORKFLOW }]);
    assert.equal(cert.extension('2.5.29.17')?.critical, true, 'SAN is critical (empty subject)');
    assert.equal(cert.extension('2.5.29.15')?.critical, true, 'KeyUsage is critical');
    assert.deepEqual(cert.extKeyUsage, ['1.3.6.1.5.5.7.3.3']);
    const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
    assert.equal(lifetime, 10 * 60 * 1000, 'leaf validity 10 minutes');
  });
});
