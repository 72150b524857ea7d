/**
 * A Google Cloud Trusted Publisher matches the certificate's one identity (the Fulcio SAN the
 * result reports), never any other SAN of the certificate.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { GOOGLE_ISSUER, publisherPolicy } from '../../src/pypi/publisher.js';
import type { CertificateSigner } from '../../src/verify/types.js';

const SA = 'publisher@project.iam.gserviceaccount.com';
const signer = (identity: string, sans: string[], issuer = GOOGLE_ISSUER) =>
  ({ kind: 'certificate', identity, issuer, extensions: { issuer }, certificate: { subjectAltNames: sans.map((value) => ({ type: 'email', value })) } }) as unknown as CertificateSigner;

it('the service account must be the identity, not a second SAN', () => {
  const policy = publisherPolicy({ kind: 'Google', email: SA });
  policy.check(signer(SA, [SA]));
  assert.throws(() => policy.check(signer('other@project.iam.gserviceaccount.com', ['other@project.iam.gserviceaccount.com', SA])), { code: 'POLICY_IDENTITY_MISMATCH' });
  assert.throws(() => policy.check(signer(SA, [SA], 'https://token.actions.githubusercontent.com')), { code: 'POLICY_PUBLISHER_ISSUER' });
});
