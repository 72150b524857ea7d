/**
 * Verifier.verifyDsseWithoutArtifactUnsafe: every check but the artifact binding, for DSSE
 * bundles whose payload is not an in-toto statement (signed here with a managed key and logged
 * on the local instance's Rekor v1) or whose artifact the caller does not have (a conformance
 * bundle).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pae } from '../../src/bundle/dsse.js';
import { Identity, loadTrustMaterial, parseTrustedRoot, unsafeAcceptAnyIdentity, Verifier } from '../../src/index.js';
import { createEntryV1 } from '../../src/sign/rekor-v1.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';
import { startTestInstance, type TestInstance } from '../sign/helpers.js';
import { refusedAt as refused } from '../helpers/verify.js';

describe('verifyDsseWithoutArtifactUnsafe: a DSSE bundle whose artifact is not at hand', () => {
  const bundle = readFileSync(join(CONFORMANCE_DIR, 'happy-path-intoto-in-dsse-v3', 'bundle.sigstore.json'));
  const policy = new Identity({ identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER });

  it('verifies everything but the artifact and returns the payload type and bytes', async () => {
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    const r = await verifier.verifyDsseWithoutArtifactUnsafe(bundle, policy);
    assert.equal(r.payloadType, 'application/vnd.in-toto+json');
    assert.equal(r.statement, undefined, 'the payload is not read');
    assert.equal(JSON.parse(r.payload.toString('utf8'))._type, 'https://in-toto.io/Statement/v1');
    assert.equal(r.signer.kind, 'certificate');
    assert.ok(r.timestamps.length > 0);
  });

  it('the policy still applies', async () => {
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    await refused(verifier.verifyDsseWithoutArtifactUnsafe(bundle, new Identity({ identity: 'someone@else.example', issuer: DEFAULT_ISSUER })), 'policy', 'POLICY_IDENTITY_MISMATCH');
  });

  it('a changed payload does not verify', async () => {
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    const json = JSON.parse(bundle.toString('utf8'));
    const payload = Buffer.from(json.dsseEnvelope.payload, 'base64');
    payload[payload.length - 2]! ^= 1;
    json.dsseEnvelope.payload = payload.toString('base64');
    await refused(verifier.verifyDsseWithoutArtifactUnsafe(JSON.stringify(json), policy), 'signature', 'DSSE_SIGNATURE_INVALID');
  });

  it('a message-signature bundle is refused: it signs an artifact', async () => {
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    const msg = readFileSync(join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json'));
    await refused(verifier.verifyDsseWithoutArtifactUnsafe(msg, policy), 'signature', 'DSSE_REQUIRED');
  });
});

describe('verifyDsseWithoutArtifactUnsafe: a payload that is not an in-toto statement', () => {
  let t: TestInstance;
  before(async () => {
    t = await startTestInstance();
  });
  after(async () => {
    await t.stop();
  });

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const payloadType = 'application/vnd.example.claim+json';
  const payload = Buffer.from('{"claim":"not an in-toto statement"}');

  async function logged(type: string, body: Buffer): Promise<string> {
    const sig = nodeSign('sha256', pae(type, body), privateKey);
    const envelope = { payload: body.toString('base64'), payloadType: type, signatures: [{ sig: sig.toString('base64'), keyid: '' }] };
    const entry = await createEntryV1(t.inst.url, {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: { proposedContent: { envelope: JSON.stringify(envelope), verifiers: [Buffer.from(publicPem).toString('base64')] } },
    });
    return JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'example key' }, tlogEntries: [entry] },
      dsseEnvelope: envelope,
    });
  }

  it('verifies and hands the payload back, as signed', async () => {
    const verifier = new Verifier(parseTrustedRoot(JSON.stringify(t.inst.trustedRoot), 'local instance'));
    const bundle = await logged(payloadType, payload);
    const r = await verifier.verifyDsseWithoutArtifactUnsafe(bundle, { key: publicPem });
    assert.equal(r.payloadType, payloadType);
    assert.ok(r.payload.equals(payload));
    assert.equal(r.signer.kind, 'key');
    // The artifact-bound verify refuses it: the payload is not an in-toto statement.
    await refused(verifier.verify(bundle, { data: Buffer.from('x') }, { key: publicPem }), 'signature', 'DSSE_PAYLOAD_TYPE');
  });

  it('another key, or a certificate policy for a key-signed bundle, is refused', async () => {
    const verifier = new Verifier(parseTrustedRoot(JSON.stringify(t.inst.trustedRoot), 'local instance'));
    const bundle = await logged(payloadType, payload);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }) as string;
    await refused(verifier.verifyDsseWithoutArtifactUnsafe(bundle, { key: other }), 'signature', 'DSSE_SIGNATURE_INVALID');
    await refused(verifier.verifyDsseWithoutArtifactUnsafe(bundle, unsafeAcceptAnyIdentity()), 'key', 'KEY_REQUIRED');
  });
});
