/**
 * Fulcio's certificate extensions (OIDs 1.3.6.1.4.1.57264.1.1-1.22) and the signer identity
 * read from a leaf certificate.
 */
import { Der } from '../lib/der.js';
import { type Certificate, OID } from '../lib/x509.js';
import type { CertificateSigner, FulcioExtensions } from './types.js';
import { freezeCertificate } from '../lib/freeze.js';

const ARC = '1.3.6.1.4.1.57264.1.';

/** Extension number -> field name; 1.1-1.6 hold raw strings, 1.8 onwards DER UTF8Strings. */
export const FULCIO_EXTENSIONS: Record<number, keyof FulcioExtensions> = {
  1: 'issuer',
  2: 'githubWorkflowTrigger',
  3: 'githubWorkflowSha',
  4: 'githubWorkflowName',
  5: 'githubWorkflowRepository',
  6: 'githubWorkflowRef',
  8: 'issuer',
  9: 'buildSignerURI',
  10: 'buildSignerDigest',
  11: 'runnerEnvironment',
  12: 'sourceRepositoryURI',
  13: 'sourceRepositoryDigest',
  14: 'sourceRepositoryRef',
  15: 'sourceRepositoryIdentifier',
  16: 'sourceRepositoryOwnerURI',
  17: 'sourceRepositoryOwnerIdentifier',
  18: 'buildConfigURI',
  19: 'buildConfigDigest',
  20: 'buildTrigger',
  21: 'runInvocationURI',
  22: 'sourceRepositoryVisibilityAtSigning',
};

/** The OID of a Fulcio extension field, e.g. `fulcioOid('sourceRepositoryURI')` = `...57264.1.12`. */
export function fulcioOid(name: keyof FulcioExtensions): string {
  if (name === 'issuer') return `${ARC}8`;
  const n = Object.entries(FULCIO_EXTENSIONS).find(([, v]) => v === name)![0];
  return ARC + n;
}

/** Reads every Fulcio extension present in the certificate. 1.8 wins over the legacy 1.1. */
export function fulcioExtensions(cert: Certificate): FulcioExtensions {
  const out: FulcioExtensions = {};
  let legacyIssuer: string | undefined;
  for (const ext of cert.extensions) {
    if (!ext.oid.startsWith(ARC)) continue;
    const n = Number(ext.oid.slice(ARC.length));
    const name = FULCIO_EXTENSIONS[n];
    if (!name) continue;
    if (n <= 6) {
      const v = ext.value.toString('utf8');
      if (n === 1) legacyIssuer = v;
      else out[name] = v;
    } else {
      out[name] = Der.parse(ext.value).string();
    }
  }
  if (out.issuer === undefined && legacyIssuer !== undefined) out.issuer = legacyIssuer;
  return out;
}

/** The signer identity: the first SAN that is an email, URI or Fulcio username (OtherName). */
export function certificateIdentity(cert: Certificate): string | undefined {
  for (const san of cert.subjectAltNames) {
    if (san.type === 'email' || san.type === 'uri') return san.value;
    if (san.type === 'otherName' && san.oid === OID.fulcioOtherName) return san.value;
  }
  return undefined;
}

const signers = new WeakMap<Certificate, CertificateSigner>();

/**
 * The signer a verified leaf certificate names: identity, OIDC issuer and Fulcio extensions.
 * Read once per certificate (bundles of one signing session share it) and frozen, since results
 * share it; the certificate is frozen too.
 */
export function certificateSigner(cert: Certificate): CertificateSigner {
  freezeCertificate(cert); // the key of the cache below, and shared by every result: frozen
  let signer = signers.get(cert);
  if (!signer) {
    const extensions = Object.freeze(fulcioExtensions(cert));
    signer = Object.freeze({ kind: 'certificate', identity: certificateIdentity(cert) ?? '', issuer: extensions.issuer, extensions, certificate: cert });
    signers.set(cert, signer);
  }
  return signer;
}
