/**
 * Names for what an inspection shows: Fulcio and X.509 extension names, distinguished names,
 * hash algorithm OIDs, serial numbers and key descriptions.
 */
import { Der } from '../lib/der.js';
import { type Certificate, OID } from '../lib/x509.js';

/** Fulcio extension names (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
export const FULCIO_NAMES: Record<number, string> = {
  1: 'Issuer (deprecated)',
  2: 'GitHub Workflow Trigger (deprecated)',
  3: 'GitHub Workflow SHA (deprecated)',
  4: 'GitHub Workflow Name (deprecated)',
  5: 'GitHub Workflow Repository (deprecated)',
  6: 'GitHub Workflow Ref (deprecated)',
  8: 'Issuer',
  9: 'Build Signer URI',
  10: 'Build Signer Digest',
  11: 'Runner Environment',
  12: 'Source Repository URI',
  13: 'Source Repository Digest',
  14: 'Source Repository Ref',
  15: 'Source Repository Identifier',
  16: 'Source Repository Owner URI',
  17: 'Source Repository Owner Identifier',
  18: 'Build Config URI',
  19: 'Build Config Digest',
  20: 'Build Trigger',
  21: 'Run Invocation URI',
  22: 'Source Repository Visibility At Signing',
};

export const X509_NAMES: Record<string, string> = {
  [OID.subjectKeyIdentifier]: 'Subject Key Identifier',
  [OID.keyUsage]: 'Key Usage',
  [OID.subjectAltName]: 'Subject Alternative Name',
  [OID.basicConstraints]: 'Basic Constraints',
  [OID.authorityKeyIdentifier]: 'Authority Key Identifier',
  [OID.extKeyUsage]: 'Extended Key Usage',
  [OID.sctList]: 'Signed Certificate Timestamps',
  [OID.ctPoison]: 'CT Precertificate Poison',
};

const DN_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export const HASH_NAMES: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
};

export const FULCIO_ARC = '1.3.6.1.4.1.57264.1.';

/** A distinguished name as `O=sigstore.dev, CN=sigstore-intermediate` (in encoded order). */
export function renderDN(raw: Buffer): string {
  try {
    const parts: string[] = [];
    for (const rdn of Der.parse(raw).children) {
      for (const atv of rdn.children) {
        const oid = atv.child(0).oid();
        parts.push(`${DN_NAMES[oid] ?? oid}=${atv.child(1).string()}`);
      }
    }
    return parts.join(', ') || '(empty)';
  } catch {
    return '(malformed name)';
  }
}

/** A serial number as hex with whole bytes (as `openssl` shows it, without colons). */
export function hexSerial(n: bigint): string {
  const h = n.toString(16);
  return h.length % 2 ? `0${h}` : h;
}

export function describeKey(cert: Certificate): string {
  try {
    const k = cert.publicKey;
    const d = k.asymmetricKeyDetails;
    if (k.asymmetricKeyType === 'ec') return `ECDSA ${d?.namedCurve ?? ''}`.trim();
    if (k.asymmetricKeyType === 'rsa' || k.asymmetricKeyType === 'rsa-pss') return `RSA ${d?.modulusLength ?? ''}`.trim();
    return k.asymmetricKeyType ?? 'unknown';
  } catch {
    return 'unreadable';
  }
}

/** The certificate fields every command shows the same way. */
export function certificateSummary(cert: Certificate): { serial: string; issuer: string; subject: string; notBefore: string; notAfter: string; sha256: string } {
  return {
    serial: hexSerial(cert.serial),
    issuer: renderDN(cert.issuerRaw),
    subject: renderDN(cert.subjectRaw),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    sha256: cert.fingerprint,
  };
}
