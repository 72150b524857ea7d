/**
 * The signer's self-check of what it just signed: the policy that accepts only the session's own
 * certificate, and the artifact a signed statement is checked against.
 */
import type { Statement } from '../bundle/intoto.js';
import { PolicyError, UsageError } from '../errors.js';
import type { VerificationPolicy } from '../verify/policy.js';
import type { Artifact, CertificateSigner } from '../verify/types.js';

/**
 * Accepts only the session's own certificate: our key, certified for our identity (the
 * self-check of what was just signed, here and for PEP 740 attestations).
 */
export class OwnCertificate implements VerificationPolicy {
  constructor(private readonly raw: Buffer) {}
  check(signer: CertificateSigner): void {
    if (!signer.certificate.raw.equals(this.raw)) throw new PolicyError('WRONG_CERTIFICATE', 'the bundle is not signed with the certificate of this signing session');
  }
  describe(): string {
    return 'the signing session certificate';
  }
}

/** A digest artifact for one of the statement's subjects (what the self-verification checks). */
export function subjectArtifact(st: Statement): Artifact {
  for (const alg of ['sha256', 'sha384', 'sha512'] as const) {
    for (const s of st.subject) {
      const hex = s.digest[alg];
      const len = { sha256: 64, sha384: 96, sha512: 128 }[alg];
      if (typeof hex === 'string' && hex.length === len && /^[0-9a-fA-F]+$/.test(hex)) {
        return { digest: { algorithm: alg, value: Buffer.from(hex, 'hex') } };
      }
    }
  }
  throw new UsageError('STATEMENT_INVALID', 'the statement has no subject with a sha256, sha384 or sha512 digest, so the signed attestation could not be verified');
}
