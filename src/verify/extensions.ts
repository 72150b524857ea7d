/**
 * Fulcio's certificate extensions (OIDs 1.3.6.1.4.1.57264.1.1-1.22) and the signer identity
 * read from a leaf certificate.
 */
import { isUtf8 } from 'node:buffer';
import { VerificationError } from '../errors.js';
import { Der, Tag } from '../lib/der.js';
import { digits, isPrintableAscii } from '../lib/shapes.js';
import { type Certificate, OID } from '../lib/x509.js';
import type { CertificateSigner, FulcioExtensions } from './types.js';
import { freezeCertificate } from '../lib/freeze.js';
import type { ErrorCode } from '../errors.js';

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

function refuse(code: ErrorCode, message: string): never {
  throw new VerificationError('chain', code, message);
}

/**
 * Strict UTF-8 (no replacement characters for malformed bytes: overlong forms, surrogates and
 * code points past U+10FFFF are refused, as a fatal TextDecoder does), or undefined. A BOM is kept.
 */
function strictUtf8(b: Buffer): string | undefined {
  return isUtf8(b) ? b.toString('utf8') : undefined;
}

/** A Fulcio extension's value: 1.1-1.6 raw UTF-8 bytes, 1.8 onwards a DER UTF8String. */
function extensionValue(oid: string, n: number, value: Buffer): string {
  let bytes = value;
  if (n > 6) {
    let el: Der;
    try {
      el = Der.parse(value);
    } catch (e) {
      return refuse('CERT_EXTENSION_MALFORMED', `the signing certificate's extension ${oid} is not DER (${(e as Error).message})`);
    }
    if (el.tag !== Tag.UTF8_STRING) {
      refuse('CERT_EXTENSION_MALFORMED', `the signing certificate's extension ${oid} is not a UTF8String (tag 0x${el.tag.toString(16)})`);
    }
    bytes = el.value;
  }
  const text = strictUtf8(bytes);
  if (text === undefined) refuse('CERT_EXTENSION_MALFORMED', `the signing certificate's extension ${oid} is not valid UTF-8`);
  return text;
}

/**
 * Reads every Fulcio extension present in the certificate. The OIDC issuer is 1.8 (a DER
 * UTF8String), else the legacy 1.1 (raw bytes); a certificate whose 1.1 and 1.8 differ is refused.
 */
export function fulcioExtensions(cert: Certificate): FulcioExtensions {
  const out: FulcioExtensions = {};
  let legacyIssuer: string | undefined;
  for (const ext of cert.extensions) {
    if (!ext.oid.startsWith(ARC)) continue;
    const rest = ext.oid.slice(ARC.length);
    // 1-99 without a leading zero (`/^[1-9]\d?$/`)
    if (rest.length < 1 || rest.length > 2 || rest[0] === '0' || !digits(rest)) continue;
    const n = Number(rest);
    const name = FULCIO_EXTENSIONS[n];
    if (!name) continue;
    const v = extensionValue(ext.oid, n, ext.value);
    if (n === 1) legacyIssuer = v;
    else out[name] = v;
  }
  if (out.issuer === undefined) {
    if (legacyIssuer !== undefined) out.issuer = legacyIssuer;
  } else if (legacyIssuer !== undefined && legacyIssuer !== out.issuer) {
    refuse(
      'CERT_ISSUER_CONFLICT',
      `the signing certificate names two OIDC issuers: ${JSON.stringify(legacyIssuer)} (1.3.6.1.4.1.57264.1.1) and ${JSON.stringify(out.issuer)} (1.3.6.1.4.1.57264.1.8)`,
    );
  }
  return out;
}

/**
 * The identity-bearing SANs of a certificate, in order: rfc822Name and URI (IA5Strings of
 * printable ASCII), and otherName of Fulcio's username type (1.3.6.1.4.1.57264.1.7) holding a
 * UTF8String. Other otherNames, DNS names and IP addresses carry no Sigstore identity. A SAN of
 * an identity kind that is malformed is refused.
 */
export function identitySANs(cert: Certificate): string[] {
  const ext = cert.extension(OID.subjectAltName);
  if (!ext) return [];
  const out: string[] = [];
  let names: Der[];
  try {
    names = Der.parse(ext.value).expect(Tag.SEQUENCE, 'SubjectAltName').children;
  } catch (e) {
    return refuse('CERT_SAN_MALFORMED', `the signing certificate's subject alternative name is malformed (${(e as Error).message})`);
  }
  for (const gn of names) {
    if (gn.tag === 0x81 || gn.tag === 0x86) {
      if (!isPrintableAscii(gn.value)) {
        refuse('CERT_SAN_MALFORMED', `the signing certificate's ${gn.tag === 0x81 ? 'email' : 'URI'} SAN is not a non-empty printable ASCII string`);
      }
      out.push(gn.value.toString('latin1'));
    } else if (gn.tag === 0xa0) {
      let oid: string;
      let value: Der;
      try {
        if (gn.children.length !== 2) throw new Error('otherName needs a type and a value');
        oid = gn.child(0).oid();
        const wrapper = gn.child(1);
        if (wrapper.tag !== 0xa0) throw new Error('otherName value is not [0] EXPLICIT');
        value = wrapper.inner();
      } catch (e) {
        return refuse('CERT_SAN_MALFORMED', `the signing certificate's otherName SAN is malformed (${(e as Error).message})`);
      }
      if (oid !== OID.fulcioOtherName) continue;
      const text = value.tag === Tag.UTF8_STRING ? strictUtf8(value.value) : undefined;
      if (!text) refuse('CERT_SAN_MALFORMED', "the signing certificate's Fulcio username SAN is not a non-empty UTF8String");
      out.push(text);
    }
  }
  return out;
}

/**
 * The signer identity: the certificate's identity-bearing SAN (see {@link identitySANs}). Fulcio
 * certifies exactly one; of several, the first. Identity policies match this one, and only it.
 */
export function certificateIdentity(cert: Certificate): string | undefined {
  return identitySANs(cert)[0];
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
