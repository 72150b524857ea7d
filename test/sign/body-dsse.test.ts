/**
 * The body step for DSSE bundles logged to Rekor v2 as a hashedrekord 0.0.2 (the PAE's digest
 * and the envelope's signature), and for intoto 0.0.2 entries: crafted bodies that bind another
 * digest, signature or key are refused at step `body` with a stable code.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { pae } from '../../src/bundle/dsse.js';
import type { BundleContent, TlogEntry } from '../../src/bundle/parse.js';
import { VerificationError } from '../../src/errors.js';
import { verifyTlogBody } from '../../src/verify/body.js';

const payloadType = 'application/vnd.in-toto+json';
const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
const sig = Buffer.from('30440220'.padEnd(140, 'a'), 'hex');
const cert = Buffer.from('3082 fake certificate der');
const content: BundleContent = { kind: 'dsseEnvelope', envelope: { payloadType, payload, signatures: [{ sig, keyid: '' }] } };
const signer = { certificate: cert };

function entry(kind: string, version: string, body: unknown): TlogEntry {
  return {
    logIndex: 0n,
    logId: Buffer.alloc(32),
    kind,
    version,
    integratedTime: 0n,
    signedEntryTimestamp: undefined,
    inclusionProof: undefined,
    canonicalizedBody: Buffer.from(JSON.stringify(body)),
  };
}

function hashedV2(digest: Buffer, algorithm = 'SHA2_256', signature = sig, verifier = cert) {
  return entry('hashedrekord', '0.0.2', {
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: { algorithm, digest: digest.toString('base64') },
        signature: { content: signature.toString('base64'), verifier: { x509Certificate: { rawBytes: verifier.toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } },
      },
    },
  });
}

function refusedAt(f: () => void, code: string): void {
  assert.throws(f, (e: unknown) => e instanceof VerificationError && e.step === 'body' && e.code === code);
}

describe('body step: DSSE in a Rekor v2 hashedrekord 0.0.2 entry', () => {
  const paeDigest = createHash('sha256').update(pae(payloadType, payload)).digest();

  it('accepts the hashedrekord over the SHA-256 (or SHA-384) of the PAE with the envelope signature', () => {
    verifyTlogBody(hashedV2(paeDigest), content, signer);
    verifyTlogBody(hashedV2(createHash('sha384').update(pae(payloadType, payload)).digest(), 'SHA2_384'), content, signer);
  });

  it('refuses a digest that is not the PAE digest (payload digest, other PAE, wrong algorithm)', () => {
    refusedAt(() => verifyTlogBody(hashedV2(createHash('sha256').update(payload).digest()), content, signer), 'BODY_PAYLOAD_MISMATCH');
    refusedAt(() => verifyTlogBody(hashedV2(createHash('sha256').update(pae('text/plain', payload)).digest()), content, signer), 'BODY_PAYLOAD_MISMATCH');
    refusedAt(() => verifyTlogBody(hashedV2(paeDigest, 'SHA2_384'), content, signer), 'BODY_PAYLOAD_MISMATCH');
    refusedAt(() => verifyTlogBody(hashedV2(paeDigest, 'MD5'), content, signer), 'BODY_PAYLOAD_MISMATCH');
  });

  it('refuses another signature or another certificate', () => {
    refusedAt(() => verifyTlogBody(hashedV2(paeDigest, 'SHA2_256', Buffer.from('other')), content, signer), 'BODY_SIGNATURE_MISMATCH');
    refusedAt(() => verifyTlogBody(hashedV2(paeDigest, 'SHA2_256', sig, Buffer.from('other cert')), content, signer), 'BODY_KEY_MISMATCH');
  });
});

describe('body step: intoto 0.0.2 (sigstore-js legacy attest)', () => {
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.toString('base64')}\n-----END CERTIFICATE-----\n`;
  const intoto = (o: { payloadHash?: Buffer; sig?: Buffer; pem?: string; signatures?: number } = {}) =>
    entry('intoto', '0.0.2', {
      apiVersion: '0.0.2',
      kind: 'intoto',
      spec: {
        content: {
          envelope: {
            payloadType,
            signatures: Array.from({ length: o.signatures ?? 1 }, () => ({
              sig: Buffer.from((o.sig ?? sig).toString('base64')).toString('base64'),
              publicKey: Buffer.from(o.pem ?? pem).toString('base64'),
            })),
          },
          payloadHash: { algorithm: 'sha256', value: (o.payloadHash ?? createHash('sha256').update(payload).digest()).toString('hex') },
        },
      },
    });
  it('accepts the entry that records this envelope', () => verifyTlogBody(intoto(), content, signer));
  it('refuses another payload, signature, key or signature count', () => {
    refusedAt(() => verifyTlogBody(intoto({ payloadHash: Buffer.alloc(32) }), content, signer), 'BODY_PAYLOAD_MISMATCH');
    refusedAt(() => verifyTlogBody(intoto({ sig: Buffer.from('other') }), content, signer), 'BODY_SIGNATURE_MISMATCH');
    refusedAt(() => verifyTlogBody(intoto({ pem: pem.replace(cert.toString('base64'), 'b3RoZXI=') }), content, signer), 'BODY_KEY_MISMATCH');
    refusedAt(() => verifyTlogBody(intoto({ signatures: 2 }), content, signer), 'BODY_SIGNATURE_MISMATCH');
  });
});
