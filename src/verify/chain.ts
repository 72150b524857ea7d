/**
 * The certificate chain step: the leaf chains to a trusted Fulcio CA, every certificate on the
 * path and the CA's trusted-root window are valid at each trusted time, the path's name and
 * policy constraints hold (name-constraints.ts), and the leaf is a code-signing certificate.
 * Bundles that ship a root certificate are refused.
 */
import { VerificationError } from '../errors.js';
import { remember } from '../lib/remember.js';
import { type Certificate, OID } from '../lib/x509.js';
import { type Authority, type TrustMaterial, within } from '../trust/trusted-root.js';
import { checkPathConstraints } from './name-constraints.js';
import type { ErrorCode } from '../errors.js';

function fail(code: ErrorCode, message: string): never {
  throw new VerificationError('chain', code, message);
}

/** A verified path: the leaf, then the trusted CA's certificates up to its root. */
export interface VerifiedChain {
  authority: Authority;
  path: Certificate[];
}

/**
 * CA paths already checked (the CA certificates' constraints, critical extensions and
 * signatures), by their certificates' fingerprints: a function of those bytes alone, the same
 * for every bundle and every trusted root that lists that path. Times are checked on every call.
 */
const checkedPaths = new Map<string, boolean>();
const CHECKED_PATHS_MAX = 1024;

/** Finds the authority's path from the leaf: the certificate that issued it and up to the root. */
function pathFrom(leaf: Certificate, ca: Authority): Certificate[] | undefined {
  // ca.certs is leaf-most first, root last; the leaf's issuer is one of them, usually the first.
  for (let i = 0; i < ca.certs.length; i++) {
    // Name chaining and the signature check; Certificate.isIssuedBy remembers the answer.
    if (!leaf.isIssuedBy(ca.certs[i]!)) continue;
    const rest = ca.certs.slice(i);
    const key = rest.map((c) => c.fingerprint).join(':');
    const ok = remember(checkedPaths, CHECKED_PATHS_MAX, key, () => {
      const ok = rest.every((c, j) => {
        const parent = rest[j + 1];
        const ku = c.keyUsage;
        const pathLen = c.basicConstraints?.pathLen;
        // j = the number of CA certificates below c on this path. The trust anchor (the last
        // certificate) is an input of path validation, not a step of it: its self-signature is
        // not checked (RFC 5280 6.1; likewise OpenSSL, Go's crypto/x509 and the other clients).
        return c.isCA && (ku === undefined || ku.keyCertSign) && (pathLen === undefined || pathLen >= j) && (parent === undefined || c.isIssuedBy(parent));
      });
      if (ok) for (const c of rest) checkCriticalExtensions(c, 'CA certificate');
      return ok;
    });
    if (ok) return [leaf, ...rest];
  }
  return undefined;
}

/** Extensions a certificate may mark critical; any other critical extension is refused (RFC 5280 4.2). */
const KNOWN_CRITICAL = new Set([
  OID.keyUsage,
  OID.basicConstraints,
  OID.subjectAltName,
  OID.extKeyUsage,
  '2.5.29.30', // nameConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.36', // policyConstraints
  '2.5.29.54', // inhibitAnyPolicy
]);

/** The OID of the first critical extension of `cert` this verifier does not process, if any. */
export function unknownCriticalExtension(cert: Certificate): string | undefined {
  return cert.extensions.find((e) => e.critical && !KNOWN_CRITICAL.has(e.oid))?.oid;
}

function checkCriticalExtensions(cert: Certificate, what: string): void {
  const unknown = unknownCriticalExtension(cert);
  if (unknown) fail('CERT_UNKNOWN_CRITICAL_EXTENSION', `the ${what} has an unsupported critical extension ${unknown}`);
}

/** Checks the bundle-provided chain does not carry a (self-signed) root certificate. */
export function refuseShippedRoot(chain: Certificate[]): void {
  if (chain.some((c) => c.issuerRaw.equals(c.subjectRaw) && c.isSelfSigned)) {
    fail('CHAIN_HAS_ROOT', 'the bundle includes a root certificate; a bundle must not ship its trust anchor');
  }
}

/** Checks the leaf is a Sigstore code-signing certificate. */
export function checkLeafUsage(leaf: Certificate): void {
  if (leaf.isCA) fail('LEAF_IS_CA', 'the signing certificate is a CA certificate');
  checkCriticalExtensions(leaf, 'signing certificate');
  const ku = leaf.keyUsage;
  if (!ku?.digitalSignature) fail('LEAF_KEY_USAGE', 'the signing certificate lacks the digitalSignature key usage');
  if (!leaf.extKeyUsage.includes(OID.codeSigning)) fail('LEAF_EXT_KEY_USAGE', 'the signing certificate lacks the codeSigning extended key usage');
}

/**
 * Verifies the leaf against the trusted CAs at every trusted time. Each time must fall inside the
 * leaf's validity, each path certificate's validity and the CA's validFor window.
 */
export function verifyChain(leaf: Certificate, trust: TrustMaterial, times: Date[]): VerifiedChain {
  checkLeafUsage(leaf);
  for (const t of times) {
    if (!leaf.validAt(t)) {
      fail(
        'CERT_NOT_VALID_AT_TIME',
        `the signing certificate (valid ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}) was not valid at the trusted time ${t.toISOString()}`,
      );
    }
  }
  let sawPath = false;
  for (const ca of trust.certificateAuthorities) {
    const path = pathFrom(leaf, ca);
    if (!path) continue;
    sawPath = true;
    const okAtAllTimes = times.every((t) => within(ca.validFor, t) && path.every((c) => c.validAt(t)));
    if (okAtAllTimes) {
      // Name and policy constraints: enforced over this leaf, or the path refused as unsupported.
      checkPathConstraints(path);
      return { authority: ca, path };
    }
  }
  if (sawPath) fail('CHAIN_NOT_VALID_AT_TIME', 'the signing certificate chains to a trusted CA that was not valid at the trusted time');
  return fail('CHAIN_UNTRUSTED', 'the signing certificate does not chain to a trusted Fulcio CA');
}
