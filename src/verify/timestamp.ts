/**
 * Verification step `timestamp`: RFC 3161 signed timestamps from trusted timestamp authorities.
 *
 * For each token: parse it strictly (src/lib/cms.ts), check its message imprint is the hash of
 * the bundle's signature bytes, check the CMS signed attributes (content type id-ct-TSTInfo, a
 * message digest equal to the hash of the encapsulated TSTInfo, and the ESS signing-certificate
 * (v1 or v2) attribute, required, naming the signer by hash and, when given, issuer and serial),
 * then find a trusted TSA whose certificate signed it: an embedded signer certificate must chain
 * to the TSA's chain in the trusted root; a token without embedded certificates must be signed by
 * the TSA's leaf. The chain honours pathLen, name and policy constraints (name-constraints.ts)
 * and has no unknown critical extension; the signer has the profile of RFC 3161 2.3 (the
 * timeStamping extended key usage, critical and its only purpose; not a CA). The token's
 * genTime must fall inside every chain certificate's validity and inside the TSA's validity
 * window in the trusted root (both ends inclusive). Certificates expired now but valid at
 * genTime are fine.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { VerificationError } from '../errors.js';
import { type AlgorithmIdentifier, type Attribute, CMS_OID, parseAlgorithmIdentifier, type SignerIdentifier, type TimeStampToken, parseTimeStampToken } from '../lib/cms.js';
import { type Der, Tag } from '../lib/der.js';
import { type HashAlgorithm, hashFromOid, verifyMessage, verifySignature } from '../lib/signature.js';
import { type Certificate, OID } from '../lib/x509.js';
import { type Authority, type TrustMaterial, within } from '../trust/trusted-root.js';
import { unknownCriticalExtension } from './chain.js';
import { checkPathConstraints } from './name-constraints.js';
import type { VerifiedTimestamp } from './types.js';
import type { ErrorCode } from '../errors.js';

/** More tokens than this are refused outright (each costs signature checks per TSA). */
export const MAX_TIMESTAMPS = 32;

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const SHA1 = '1.3.14.3.2.26';

function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new VerificationError('timestamp', code, message, cause === undefined ? undefined : { cause });
}

/** The ESS signing-certificate attribute's first ESSCertID: the signer's hash and, optionally, issuer and serial. */
interface EssCertId {
  hash: 'sha1' | HashAlgorithm;
  certHash: Buffer;
  issuerSerial: { issuers: Buffer[]; serial: bigint } | undefined;
}

/** What the per-TSA checks need, extracted once per token. */
interface Token {
  label: string;
  parsed: TimeStampToken;
  genTime: Date;
  digestHash: HashAlgorithm;
  essCertId: EssCertId;
}

/** A failed attempt against one TSA: the further it got (`rank`), the more telling its reason. */
interface Attempt {
  rank: number;
  code: ErrorCode;
  message: string;
}

/**
 * Verifies RFC 3161 timestamp tokens over a bundle's signature bytes against the trusted
 * timestamp authorities. Returns one verified time per token, in order; throws a
 * {@link VerificationError} (step `timestamp`) naming the first token that does not verify and
 * why.
 *
 * @param tokens DER time-stamp tokens: TimeStampResp (as bundles carry them) or bare
 *   TimeStampToken ContentInfo.
 * @param signature the signed bytes: `messageSignature.signature`, or the DSSE envelope's
 *   signature.
 */
export function verifyTimestamps(tokens: Buffer[], signature: Buffer, trust: TrustMaterial): VerifiedTimestamp[] {
  if (tokens.length > MAX_TIMESTAMPS) {
    fail('TIMESTAMP_TOO_MANY', `the bundle has ${tokens.length} RFC 3161 timestamps (at most ${MAX_TIMESTAMPS} are accepted)`);
  }
  for (let i = 0; i < tokens.length; i++) {
    for (let j = i + 1; j < tokens.length; j++) {
      if (tokens[i]!.equals(tokens[j]!)) fail('TIMESTAMP_DUPLICATE', `RFC 3161 timestamps #${i + 1} and #${j + 1} are identical`);
    }
  }
  return tokens.map((t, i) => verifyToken(t, tokens.length > 1 ? `RFC 3161 timestamp #${i + 1}` : 'RFC 3161 timestamp', signature, trust));
}

function verifyToken(der: Buffer, label: string, signature: Buffer, trust: TrustMaterial): VerifiedTimestamp {
  const token = checkToken(der, label, signature);
  if (trust.timestampAuthorities.length === 0) {
    fail('TIMESTAMP_UNTRUSTED_TSA', `${label}: the trusted root ${trust.source} has no timestamp authorities`);
  }
  let best: Attempt | undefined;
  for (const tsa of trust.timestampAuthorities) {
    let attempt: Attempt | undefined;
    try {
      attempt = tryAuthority(token, tsa);
    } catch (e) {
      // An unreadable certificate field or key (embedded or trusted) fails this TSA only.
      attempt = { rank: 0, code: 'TIMESTAMP_MALFORMED', message: `cannot check it against ${tsa.uri || 'a trusted TSA'}: ${(e as Error).message}` };
    }
    if (attempt === undefined) return { time: token.genTime, source: 'tsa', authority: tsa.uri };
    if (best === undefined || attempt.rank > best.rank) best = attempt;
  }
  return fail(best!.code, `${label}: ${best!.message}`);
}

/** Parses a token and runs the checks that do not depend on a TSA. */
function checkToken(der: Buffer, label: string, signature: Buffer): Token {
  let parsed: TimeStampToken;
  try {
    parsed = parseTimeStampToken(der);
  } catch (e) {
    return fail('TIMESTAMP_MALFORMED', `${label} is malformed: ${(e as Error).message}`, e);
  }
  const { signedData: sd, tstInfo } = parsed;
  if (sd.version !== 3) fail('TIMESTAMP_MALFORMED', `${label} is malformed: SignedData version is ${sd.version} (must be 3)`);
  if (sd.signerInfos.length !== 1) {
    fail('TIMESTAMP_MALFORMED', `${label} is malformed: it must have exactly one SignerInfo (has ${sd.signerInfos.length})`);
  }
  const si = sd.signerInfos[0]!;

  const imprintHash = digestAlgorithm(tstInfo.messageImprint.hashAlgorithm);
  if (!imprintHash) {
    fail('TIMESTAMP_UNSUPPORTED_ALGORITHM', `${label}: unsupported message imprint hash algorithm ${tstInfo.messageImprint.hashAlgorithm.oid}`);
  }
  if (!createHash(imprintHash!).update(signature).digest().equals(tstInfo.messageImprint.hashedMessage)) {
    fail('TIMESTAMP_IMPRINT_MISMATCH', `${label}: its message imprint is not the ${imprintHash} hash of the bundle's signature`);
  }

  const digestHash = digestAlgorithm(si.digestAlgorithm);
  if (!digestHash) fail('TIMESTAMP_UNSUPPORTED_ALGORITHM', `${label}: unsupported SignerInfo digest algorithm ${si.digestAlgorithm.oid}`);
  if (!sd.digestAlgorithms.some((a) => a.oid === si.digestAlgorithm.oid)) {
    fail('TIMESTAMP_MALFORMED', `${label} is malformed: its SignerInfo digest algorithm is not among the SignedData digest algorithms`);
  }
  if (!si.signedAttrsDer) fail('TIMESTAMP_MALFORMED', `${label} is malformed: its SignerInfo has no signed attributes`);
  const single = (oid: string, what: string): Der => {
    const values = si.signedAttrs.find((a) => a.oid === oid)?.values ?? [];
    if (values.length !== 1) fail('TIMESTAMP_MALFORMED', `${label} is malformed: it needs exactly one ${what} signed attribute value`);
    return values[0]!;
  };

  let ctOid: string;
  try {
    ctOid = single(CMS_OID.contentType, 'content-type').oid();
  } catch (e) {
    if (e instanceof VerificationError) throw e;
    return fail('TIMESTAMP_MALFORMED', `${label} is malformed: bad content-type attribute (${(e as Error).message})`, e);
  }
  if (ctOid !== CMS_OID.tstInfo) fail('TIMESTAMP_CONTENT_TYPE_MISMATCH', `${label}: its signed content type is ${ctOid}, not id-ct-TSTInfo`);

  const md = single(CMS_OID.messageDigest, 'message-digest');
  if (md.tag !== Tag.OCTET_STRING) fail('TIMESTAMP_MALFORMED', `${label} is malformed: its message-digest attribute is not an OCTET STRING`);
  if (!createHash(digestHash!).update(sd.eContent!).digest().equals(md.value)) {
    fail('TIMESTAMP_MESSAGE_DIGEST_MISMATCH', `${label}: the signed message digest is not the ${digestHash} hash of its TSTInfo`);
  }

  let essCertId: EssCertId | undefined;
  try {
    essCertId = parseEssCertId(si.signedAttrs);
  } catch (e) {
    return fail('TIMESTAMP_MALFORMED', `${label} is malformed: bad ESS signing-certificate attribute (${(e as Error).message})`, e);
  }
  // RFC 3161 2.4.1 / RFC 5816: the signer certificate is bound by an ESS signing-certificate(-v2) attribute.
  if (!essCertId) fail('TIMESTAMP_NO_SIGNING_CERTIFICATE', `${label} has no ESS signing-certificate attribute naming its signer (RFC 3161, RFC 5816)`);
  return { label, parsed, genTime: tstInfo.genTime, digestHash: digestHash!, essCertId };
}

/** A SHA-2 digest AlgorithmIdentifier, with absent or NULL parameters (RFC 5754). */
function digestAlgorithm(alg: AlgorithmIdentifier): HashAlgorithm | undefined {
  if (alg.params && (alg.params.tag !== Tag.NULL || alg.params.value.length !== 0)) return undefined;
  return hashFromOid(alg.oid);
}

/** SigningCertificate (RFC 2634) or SigningCertificateV2 (RFC 5035): the first ESSCertID's hash. */
function parseEssCertId(attrs: Attribute[]): EssCertId | undefined {
  const v2 = attrs.find((a) => a.oid === CMS_OID.signingCertificateV2);
  const v1 = attrs.find((a) => a.oid === CMS_OID.signingCertificate);
  const a = v2 ?? v1;
  if (!a) return undefined;
  if (a.values.length !== 1) throw new Error('it must have exactly one value');
  const first = a.values[0]!.expect(Tag.SEQUENCE, 'SigningCertificate').child(0).expect(Tag.SEQUENCE, 'certs').child(0);
  first.expect(Tag.SEQUENCE, 'ESSCertID');
  let hash: EssCertId['hash'] = v2 ? 'sha256' : 'sha1';
  let i = 0;
  if (v2 && first.child(0).tag === Tag.SEQUENCE) {
    const oid = parseAlgorithmIdentifier(first.child(i++), 'ESSCertIDv2.hashAlgorithm').oid;
    const h = oid === SHA1 ? 'sha1' : hashFromOid(oid);
    if (!h) throw new Error(`unsupported hash algorithm ${oid}`);
    hash = h;
  }
  const certHash = first.child(i++).expect(Tag.OCTET_STRING, 'certHash').value;
  let issuerSerial: EssCertId['issuerSerial'];
  const is = first.children[i++];
  if (is) {
    // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }
    is.expect(Tag.SEQUENCE, 'IssuerSerial');
    if (is.children.length !== 2) throw new Error('IssuerSerial needs an issuer and a serial number');
    const issuers = is.child(0).expect(Tag.SEQUENCE, 'GeneralNames').children.filter((g) => g.tag === 0xa4).map((g) => g.inner().raw);
    issuerSerial = { issuers, serial: is.child(1).bigint() };
  }
  if (first.children.length > i) throw new Error('ESSCertID has extra fields');
  return { hash, certHash, issuerSerial };
}

function matchesSid(cert: Certificate, sid: SignerIdentifier): boolean {
  if (sid.kind === 'issuerAndSerialNumber') return cert.issuerRaw.equals(sid.issuer) && cert.serial === sid.serial;
  return cert.subjectKeyId?.equals(sid.keyId) === true;
}

function describeSid(sid: SignerIdentifier): string {
  return sid.kind === 'issuerAndSerialNumber' ? `serial number ${sid.serial.toString(16)}` : `key ID ${sid.keyId.toString('hex')}`;
}

/** Whether `cert` may issue certificates. */
function canIssue(cert: Certificate): boolean {
  return cert.isCA && cert.keyUsage?.keyCertSign !== false;
}

/**
 * The certification path from an embedded signer certificate through the TSA's trusted chain:
 * the trusted chain from the signer on when the signer is one of its certificates, else the
 * signer followed by the trusted chain from its issuer on.
 */
function pathThrough(signer: Certificate, tsa: Authority): Certificate[] | undefined {
  const at = tsa.certs.findIndex((c) => c.raw.equals(signer.raw));
  if (at >= 0) return tsa.certs.slice(at);
  for (let j = 0; j < tsa.certs.length; j++) {
    const c = tsa.certs[j]!;
    if (canIssue(c) && signer.isIssuedBy(c)) return [signer, ...tsa.certs.slice(j)];
  }
  return undefined;
}

/** Checks the CMS signature over the signed attributes with the signer's key. */
function cmsSignatureValid(token: Token, key: KeyObject): boolean {
  const si = token.parsed.signedData.signerInfos[0]!;
  const { oid, params } = si.signatureAlgorithm;
  const keyType = key.asymmetricKeyType;
  const data = si.signedAttrsDer!;
  // Some TSAs name the key algorithm instead of a signature algorithm: the hash is the digest algorithm.
  if (oid === RSA_ENCRYPTION) return keyType === 'rsa' && verifyMessage(key, data, si.signature, token.digestHash);
  if (oid === EC_PUBLIC_KEY) return keyType === 'ec' && verifyMessage(key, data, si.signature, token.digestHash);
  if (oid.startsWith('1.2.840.10045.4.') && keyType !== 'ec') return false;
  if (oid.startsWith('1.2.840.113549.1.1.') && keyType !== 'rsa' && keyType !== 'rsa-pss') return false;
  return verifySignature(key, data, si.signature, oid, params);
}

const iso = (d: Date): string => d.toISOString();

/**
 * The TSA signer profile (RFC 3161 2.3): the extended key usage extension present, critical, and
 * timeStamping its only purpose; not a CA certificate.
 */
function signerProfileProblem(signer: Certificate): { code: ErrorCode; message: string } | undefined {
  const ext = signer.extension(OID.extKeyUsage);
  let eku: string[];
  try {
    eku = signer.extKeyUsage;
  } catch {
    eku = [];
  }
  if (!ext || !eku.includes(OID.timeStamping)) return { code: 'TIMESTAMP_EKU_INVALID', message: 'lacks the timeStamping extended key usage' };
  if (eku.length !== 1) return { code: 'TIMESTAMP_EKU_INVALID', message: `has other extended key usages besides timeStamping (${eku.join(', ')})` };
  if (!ext.critical) return { code: 'TIMESTAMP_EKU_INVALID', message: 'has a non-critical extended key usage extension (RFC 3161 requires it critical)' };
  let isCA: boolean;
  try {
    isCA = signer.isCA;
  } catch {
    isCA = true;
  }
  if (isCA) return { code: 'TIMESTAMP_SIGNER_IS_CA', message: 'is a CA certificate' };
  return undefined;
}

/** Verifies a checked token against one TSA; undefined on success. */
function tryAuthority(token: Token, tsa: Authority): Attempt | undefined {
  const sd = token.parsed.signedData;
  const sid = sd.signerInfos[0]!.sid;
  const name = tsa.uri ? `timestamp authority ${tsa.uri}` : 'the trusted timestamp authority';

  // 1. The signer certificate and its path to the TSA's trusted chain.
  let path: Certificate[] | undefined;
  if (sd.certificates.length > 0) {
    // Embedded certificates: the signer must be one of them, and chain to the TSA's trusted chain.
    const embedded = sd.certificates.find((c) => matchesSid(c, sid));
    if (!embedded) {
      return { rank: 0, code: 'TIMESTAMP_SIGNER_NOT_FOUND', message: `its signer (${describeSid(sid)}) is not among its embedded certificates` };
    }
    path = pathThrough(embedded, tsa);
    if (!path) return { rank: 0, code: 'TIMESTAMP_UNTRUSTED_TSA', message: 'its embedded signer certificate does not chain to any trusted timestamp authority' };
  } else {
    // No embedded certificates: the signer must be the TSA's leaf in the trusted root.
    if (!matchesSid(tsa.certs[0]!, sid)) {
      return { rank: 0, code: 'TIMESTAMP_UNTRUSTED_TSA', message: `its signer (${describeSid(sid)}) is not the certificate of any trusted timestamp authority` };
    }
    path = tsa.certs;
  }
  for (let k = 0; k + 1 < path.length; k++) {
    const issuer = path[k + 1]!;
    if (!canIssue(issuer) || !path[k]!.isIssuedBy(issuer)) {
      return { rank: 1, code: 'TIMESTAMP_CHAIN_INVALID', message: `certificate #${k + 1} of the chain of ${name} is not issued by the next one` };
    }
    // pathLenConstraint: at most that many CA certificates below the issuer (here k of them).
    const pathLen = issuer.basicConstraints?.pathLen;
    if (pathLen !== undefined && pathLen < k) {
      return { rank: 1, code: 'TIMESTAMP_PATH_LENGTH_EXCEEDED', message: `certificate #${k + 2} of the chain of ${name} allows ${pathLen} CA certificates below it, the chain has ${k}` };
    }
  }
  try {
    checkPathConstraints(path);
  } catch (e) {
    // It throws only VerificationErrors; anything else still refuses this TSA (fail closed).
    const code = e instanceof VerificationError ? e.code : 'TIMESTAMP_CHAIN_INVALID';
    return { rank: 1, code, message: `the chain of ${name}: ${(e as Error).message}` };
  }
  for (const [k, c] of path.entries()) {
    const unknown = unknownCriticalExtension(c);
    if (unknown) {
      return { rank: 1, code: 'TIMESTAMP_UNKNOWN_CRITICAL_EXTENSION', message: `certificate #${k + 1} of the chain of ${name} has an unsupported critical extension ${unknown}` };
    }
  }
  const signer = path[0]!;

  // 2. The CMS signature and the signer's binding and purpose.
  if (!cmsSignatureValid(token, signer.publicKey)) {
    return { rank: 2, code: 'TIMESTAMP_SIGNATURE_INVALID', message: `its signature does not verify with the certificate of ${name}` };
  }
  const ess = token.essCertId;
  const essSerial = ess.issuerSerial;
  if (
    !createHash(ess.hash).update(signer.raw).digest().equals(ess.certHash) ||
    (essSerial && (essSerial.serial !== signer.serial || !essSerial.issuers.some((i) => i.equals(signer.issuerRaw))))
  ) {
    return { rank: 3, code: 'TIMESTAMP_SIGNER_MISMATCH', message: `its signing-certificate attribute does not name the certificate of ${name}` };
  }
  const profile = signerProfileProblem(signer);
  if (profile) return { rank: 3, code: profile.code, message: `the signing certificate of ${name} ${profile.message}` };

  // 3. Time: genTime inside every chain certificate's validity and the TSA's trusted window.
  for (let k = 0; k < path.length; k++) {
    const c = path[k]!;
    if (!c.validAt(token.genTime)) {
      const which = k === 0 ? 'signing certificate' : `chain certificate #${k + 1}`;
      return {
        rank: 4,
        code: 'TIMESTAMP_CERT_NOT_VALID',
        message: `its time ${iso(token.genTime)} is outside the validity of the ${which} of ${name} (${iso(c.notBefore)} to ${iso(c.notAfter)})`,
      };
    }
  }
  if (!within(tsa.validFor, token.genTime)) {
    const end = tsa.validFor.end ? iso(tsa.validFor.end) : 'open-ended';
    return {
      rank: 5,
      code: 'TIMESTAMP_OUTSIDE_TSA_VALIDITY',
      message: `its time ${iso(token.genTime)} is outside the trusted root's validity window for ${name} (${iso(tsa.validFor.start)} to ${end})`,
    };
  }
  return undefined;
}
