/**
 * Verification step `sct`: signed certificate timestamps embedded in the leaf certificate
 * (RFC 6962 section 3.3). Each SCT v1 is checked against the CT log with its log ID in the
 * trusted root: the log's signature over the precertificate entry (the leaf's TBSCertificate
 * without the SCT list extension, bound to the issuer's key hash) and the SCT's timestamp
 * inside the log key's validity window. At least one SCT must verify.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { VerificationError } from '../errors.js';
import { Der, encode, Tag } from '../lib/der.js';
import { verifyMessageCached } from '../lib/signature.js';
import { remember } from '../lib/remember.js';
import { TlsReader, tlsUint, tlsVector } from '../lib/tls.js';
import { type Certificate, OID } from '../lib/x509.js';
import { type TrustMaterial, type ValidFor, within } from '../trust/trusted-root.js';
import type { ErrorCode } from '../errors.js';

/** A parsed SignedCertificateTimestamp (RFC 6962 section 3.2). */
export interface SignedCertificateTimestamp {
  version: number;
  logId: Buffer;
  /** Milliseconds since the Unix epoch. */
  timestamp: bigint;
  extensions: Buffer;
  /** TLS HashAlgorithm code (4 = SHA-256, 5 = SHA-384, 6 = SHA-512, 8 = intrinsic). */
  hashAlgorithm: number;
  /** TLS SignatureAlgorithm code (1 = RSA, 3 = ECDSA, 7 = Ed25519). */
  signatureAlgorithm: number;
  signature: Buffer;
}

const SCT_V1 = 0;
const SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP = 0;
const ENTRY_TYPE_PRECERT = 1;

/** RFC 6962 section 2.1.4: SCTs are signed with SHA-256 (TLS HashAlgorithm 4), ECDSA or RSA. */
const TLS_HASH_SHA256 = 4;
const TLS_SIGNATURES: Record<number, string> = { 1: 'rsa', 3: 'ec' };

/** How far ahead of the verification time an SCT's timestamp may be (clock skew). */
export const SCT_MAX_CLOCK_SKEW_MS = 60_000;

function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new VerificationError('sct', code, message, cause === undefined ? undefined : { cause });
}

/**
 * Parses the SCT list extension value (the extnValue contents: an OCTET STRING wrapping a TLS
 * SignedCertificateTimestampList). SCTs of versions other than v1 are returned with only
 * `version` meaningful, since their layout is unknown.
 */
export function parseSCTList(extnValue: Buffer): SignedCertificateTimestamp[] {
  const list = Der.parse(extnValue).expect(Tag.OCTET_STRING, 'SignedCertificateTimestampList').value;
  const outer = new TlsReader(list, 'SignedCertificateTimestampList');
  const body = new TlsReader(outer.vec16('sct_list'), 'SignedCertificateTimestampList');
  outer.end();
  const out: SignedCertificateTimestamp[] = [];
  while (body.remaining > 0) {
    const raw = body.vec16('SerializedSCT');
    if (raw.length === 0) throw new Error('SignedCertificateTimestampList: empty SerializedSCT');
    const r = new TlsReader(raw, `SCT #${out.length + 1}`);
    const version = r.u8('version');
    if (version !== SCT_V1) {
      out.push({ version, logId: Buffer.alloc(0), timestamp: 0n, extensions: Buffer.alloc(0), hashAlgorithm: 0, signatureAlgorithm: 0, signature: Buffer.alloc(0) });
      continue;
    }
    const sct: SignedCertificateTimestamp = {
      version,
      logId: r.bytes(32, 'log id'),
      timestamp: r.u64('timestamp'),
      extensions: r.vec16('extensions'),
      hashAlgorithm: r.u8('hash algorithm'),
      signatureAlgorithm: r.u8('signature algorithm'),
      signature: r.vec16('signature'),
    };
    r.end();
    out.push(sct);
  }
  if (out.length === 0) throw new Error('SignedCertificateTimestampList is empty');
  return out;
}

/**
 * The precertificate TBSCertificate an embedded SCT signs: the leaf's TBSCertificate with the SCT
 * list extension removed, in DER (RFC 6962 section 3.2). The certificate's parse already holds
 * every piece: the fields before the extensions (its last field, see src/lib/x509.ts) are kept
 * as they are, and the extensions are encoded again without the SCT list (none left: no [3]).
 */
export function precertificateTBS(leaf: Certificate): Buffer {
  const tbs = leaf.tbs;
  const last = tbs.children[tbs.children.length - 1];
  if (last?.tag !== 0xa3) return encode(Tag.SEQUENCE, tbs.value);
  const fields = tbs.value.subarray(0, tbs.value.length - last.raw.length);
  const kept = leaf.extensions.filter((e) => e.oid !== OID.sctList).map((e) => e.raw);
  return encode(Tag.SEQUENCE, kept.length === 0 ? [fields] : [fields, encode(0xa3, encode(Tag.SEQUENCE, kept))]);
}

/** The `digitally-signed` struct of a precertificate SCT (RFC 6962 section 3.2). */
function signedData(sct: SignedCertificateTimestamp, issuerKeyHash: Buffer, tbs: Buffer): Buffer {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(sct.timestamp);
  return Buffer.concat([
    tlsUint(sct.version, 1),
    tlsUint(SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP, 1),
    ts,
    tlsUint(ENTRY_TYPE_PRECERT, 2),
    issuerKeyHash,
    tlsVector(tbs, 3),
    tlsVector(sct.extensions, 2),
  ]);
}

/** Checks the SCT's signature with the log key; a reason on failure. */
function checkSignature(sct: SignedCertificateTimestamp, key: KeyObject, data: Buffer): string | undefined {
  const sigKind = TLS_SIGNATURES[sct.signatureAlgorithm];
  if (sigKind === undefined) return `unsupported signature algorithm ${sct.signatureAlgorithm}`;
  const keyType = key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : key.asymmetricKeyType;
  if (keyType !== sigKind) return `its signature algorithm (${sigKind}) does not match the log key (${key.asymmetricKeyType})`;
  return verifyMessageCached(key, data, sct.signature, 'sha256') ? undefined : 'its signature does not verify with the log key';
}

function orFail<T>(f: () => T, what: string): T {
  try {
    return f();
  } catch (e) {
    return fail('SCT_MALFORMED', `${what}: ${(e as Error).message}`, e);
  }
}

const iso = (d: Date): string => d.toISOString();

/** The largest time a JavaScript Date can hold, in milliseconds. */
const MAX_DATE_MS = 8_640_000_000_000_000n;

function describeWindow(v: ValidFor): string {
  return `${iso(v.start)} to ${v.end ? iso(v.end) : 'open-ended'}`;
}

/**
 * The SCTs of a (leaf, issuer) pair and the bytes each signs, by both certificates' fingerprints:
 * a function of those bytes alone (bundles signed in one session share their certificate). What
 * depends on the trust material (which logs, their keys and windows) is checked on every call;
 * the signature checks are remembered by key, message and signature (verifyMessageCached).
 */
const preparedScts = new Map<string, { scts: SignedCertificateTimestamp[]; signed: (Buffer | undefined)[] }>();
const PREPARED_SCTS_MAX = 1024;

/**
 * Verifies the SCTs embedded in `leaf` (issued by `issuer`) against the CT logs of the trusted
 * root. Succeeds when at least one SCT v1 from a trusted log verifies (SHA-256, ECDSA or RSA),
 * with its timestamp inside that log key's validity window and not after `now` (plus
 * {@link SCT_MAX_CLOCK_SKEW_MS}); throws a {@link VerificationError} (step `sct`) otherwise,
 * including when the leaf has no SCT extension.
 */
export function verifySCTs(leaf: Certificate, issuer: Certificate, trust: TrustMaterial, now: Date = new Date()): void {
  const latest = BigInt(now.getTime()) + BigInt(SCT_MAX_CLOCK_SKEW_MS);
  const { scts, signed } = remember(preparedScts, PREPARED_SCTS_MAX, `${leaf.fingerprint}>${issuer.fingerprint}`, () => {
    const ext = leaf.extension(OID.sctList);
    if (!ext) fail('SCT_MISSING', 'the signing certificate has no embedded SCT (signed certificate timestamp) list');
    const scts = orFail(() => parseSCTList(ext!.value), "the signing certificate's SCT list is malformed");
    const tbs = orFail(() => precertificateTBS(leaf), 'cannot rebuild the precertificate of the signing certificate');
    const issuerKeyHash = createHash('sha256').update(issuer.spki).digest();
    return { scts, signed: scts.map((sct) => (sct.version === SCT_V1 ? signedData(sct, issuerKeyHash, tbs) : undefined)) };
  });

  // When none verifies, report the failure that got furthest: unknown log < bad signature < time.
  const reasons: string[] = [];
  let rank = -1;
  let code: ErrorCode = 'SCT_UNTRUSTED_LOG';
  const note = (r: number, c: ErrorCode, reason: string): void => {
    reasons.push(reason);
    if (r > rank) [rank, code] = [r, c];
  };
  for (const [i, sct] of scts.entries()) {
    const label = scts.length > 1 ? `SCT #${i + 1}` : 'the SCT';
    if (sct.version !== SCT_V1) {
      note(0, 'SCT_UNSUPPORTED_VERSION', `${label} has unsupported version ${sct.version}`);
      continue;
    }
    const logs = trust.ctlogs.filter((l) => l.logId.equals(sct.logId));
    if (logs.length === 0) {
      note(0, 'SCT_UNTRUSTED_LOG', `${label} is from a CT log not in the trusted root (log ID ${sct.logId.toString('hex')})`);
      continue;
    }
    if (sct.hashAlgorithm !== TLS_HASH_SHA256) {
      note(1, 'SCT_UNSUPPORTED_ALGORITHM', `${label} is signed with TLS hash algorithm ${sct.hashAlgorithm}, not SHA-256 (4) as RFC 6962 requires`);
      continue;
    }
    const data = signed[i]!;
    for (const log of logs) {
      const name = log.baseUrl || `log ${sct.logId.toString('hex')}`;
      const bad = checkSignature(sct, log.key, data);
      if (bad) {
        note(1, 'SCT_SIGNATURE_INVALID', `${label} from ${name}: ${bad}`);
        continue;
      }
      const time = sct.timestamp <= MAX_DATE_MS ? new Date(Number(sct.timestamp)) : undefined;
      if (!time || !within(log.validFor, time)) {
        const when = time ? iso(time) : `${sct.timestamp} ms`;
        note(2, 'SCT_OUTSIDE_LOG_VALIDITY', `${label} from ${name}: its time ${when} is outside the log key's validity window (${describeWindow(log.validFor)})`);
        continue;
      }
      if (sct.timestamp > latest) {
        note(3, 'SCT_TIME_IN_FUTURE', `${label} from ${name}: its time ${time ? iso(time) : `${sct.timestamp} ms`} is after the verification time ${iso(now)}`);
        continue;
      }
      return;
    }
  }
  fail(code, `no embedded SCT verifies: ${reasons.join('; ')}`);
}
