/**
 * Inspection: what a Sigstore bundle, a PEP 740 attestation or a PyPI provenance object
 * contains (statement, predicate type, subjects, signer identity and certificate extensions, log
 * entries, timestamps), as a plain JSON-ready model. Inspecting verifies NOTHING: every value is
 * what the document claims. Each part is read on its own, so one malformed part is reported
 * without hiding the rest.
 */
import { type ParsedBundle, parseBundle } from '../bundle/parse.js';
import { BundleError } from '../errors.js';
import { parseTimeStampToken } from '../lib/cms.js';
import { Der, Tag } from '../lib/der.js';
import { isObject, type JsonObject } from '../lib/json.js';
import { type Certificate, OID } from '../lib/x509.js';
import { type Attestation, parseAttestation } from '../pypi/attestation.js';
import { attestationToBundle } from '../pypi/convert.js';
import { parseProvenance } from '../pypi/provenance.js';
import { describePublisher } from '../pypi/publisher.js';
import { FULCIO_EXTENSIONS } from '../verify/extensions.js';
import type { BundleInput } from '../verify/verifier.js';

/**
 * The sentence every inspection carries: inspecting is not verifying.
 *
 * @example
 * ```ts
 * import { NOT_VERIFIED_NOTICE } from 'sigstore-ts';
 * console.error(NOT_VERIFIED_NOTICE);
 * ```
 */
export const NOT_VERIFIED_NOTICE =
  'Inspecting is not verifying: nothing below has been checked. The signature, certificate, log entries and timestamps are shown as the file claims them, and may be forged.';

/** A statement subject. */
export interface InspectedSubject {
  name: string | null;
  /** Digests by algorithm, as listed (hex). */
  digest: Record<string, string>;
}

/** The in-toto statement of a DSSE bundle, unverified. */
export interface InspectedStatement {
  type: string | null;
  predicateType: string | null;
  subjects: InspectedSubject[];
  predicate: unknown;
}

/** What the bundle signs. */
export type InspectedContent =
  | {
      kind: 'dsseEnvelope';
      payloadType: string;
      payloadSize: number;
      signatures: number;
      /** The parsed statement, or null when the payload is not an in-toto statement. */
      statement: InspectedStatement | null;
      /** Why the payload could not be read as a statement. */
      statementError?: string;
    }
  | { kind: 'messageSignature'; digest: { algorithm: string; value: string } | null; signatureSize: number };

/** A certificate extension with its Fulcio name, when it has one. */
export interface InspectedExtension {
  oid: string;
  /** Fulcio's name for it (e.g. `Source Repository URI`), or the usual X.509 name. */
  name: string;
  /** Field name in {@link FulcioExtensions}, for Fulcio extensions. */
  field?: string;
  critical: boolean;
  /** The decoded value for Fulcio extensions; otherwise undefined. */
  value?: string;
}

/** The signing certificate, undecided whether it is trustworthy. */
export interface InspectedCertificate {
  /** Subject alternative names (the identity `--cert-identity` matches). */
  subjectAltNames: { type: string; value: string }[];
  /** The OIDC issuer (Fulcio extension 1.8, else 1.1). */
  oidcIssuer: string | null;
  serial: string;
  issuer: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  publicKey: string;
  extensions: InspectedExtension[];
  /** Further certificates the bundle ships (v0.1/v0.2 chains), by subject. */
  chain: string[];
}

/** The signer: a certificate, or a managed key named by a hint. */
export type InspectedSigner = ({ kind: 'certificate' } & InspectedCertificate) | { kind: 'publicKey'; hint: string };

/** One transparency log entry. */
export interface InspectedTlogEntry {
  logIndex: string;
  /** Log ID, base64 (as in bundles and trusted roots). */
  logId: string;
  kind: string;
  version: string;
  /** Integrated time (RFC 3339), or null when the entry has none (Rekor v2). */
  integratedTime: string | null;
  inclusionPromise: boolean;
  inclusionProof: { logIndex: string; treeSize: string; rootHash: string; hashes: number; checkpointOrigin: string | null } | null;
  /** What the canonicalized body says it records: its kind and the hashes it names. */
  body: { apiVersion: string | null; kind: string | null; hashes: Record<string, string> } | null;
}

/** One RFC 3161 timestamp. */
export type InspectedTimestamp =
  | { genTime: string; serial: string; policy: string; hashAlgorithm: string; authority: string | null }
  | { error: string };

/**
 * What one bundle (or attestation) claims, JSON-ready.
 *
 * @example
 * ```ts
 * import { inspectBundle } from 'sigstore-ts';
 * const i: BundleInspection = inspectBundle(readFileSync('a.txt.sigstore.json'));
 * console.log(i.signer.kind === 'certificate' ? i.signer.subjectAltNames : i.signer.hint);
 * ```
 */
export interface BundleInspection {
  format: 'bundle' | 'attestation';
  /** Always false: inspection verifies nothing. */
  verified: false;
  notice: string;
  /** The bundle media type (for an attestation: of the bundle it converts to). */
  mediaType: string;
  bundleVersion: string;
  /** For attestations: the attestation format version (1). */
  attestationVersion?: number;
  content: InspectedContent;
  signer: InspectedSigner;
  tlogEntries: InspectedTlogEntry[];
  timestamps: InspectedTimestamp[];
}

/**
 * What a PyPI provenance object claims: each publisher and its attestations.
 *
 * @example
 * ```ts
 * const p: ProvenanceInspection = inspectDocument(readFileSync('pkg-1.0.tar.gz.provenance')) as ProvenanceInspection;
 * for (const b of p.attestationBundles) console.log(b.publisher);
 * ```
 */
export interface ProvenanceInspection {
  format: 'provenance';
  verified: false;
  notice: string;
  version: number;
  attestationBundles: { publisher: string; publisherJson: JsonObject; attestations: BundleInspection[] }[];
}

/**
 * Any inspection.
 *
 * @example
 * ```ts
 * const i: Inspection = inspectDocument(text);
 * if (i.format === 'provenance') console.log(i.attestationBundles.length);
 * ```
 */
export type Inspection = BundleInspection | ProvenanceInspection;

/** Fulcio extension names (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
const FULCIO_NAMES: Record<number, string> = {
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

const X509_NAMES: Record<string, string> = {
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

const HASH_NAMES: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
};

const FULCIO_ARC = '1.3.6.1.4.1.57264.1.';

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
function hexSerial(n: bigint): string {
  const h = n.toString(16);
  return h.length % 2 ? `0${h}` : h;
}

function describeKey(cert: Certificate): string {
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

function inspectExtension(ext: Certificate['extensions'][number]): InspectedExtension {
  if (ext.oid.startsWith(FULCIO_ARC)) {
    const n = Number(ext.oid.slice(FULCIO_ARC.length));
    const name = FULCIO_NAMES[n];
    if (name) {
      let value: string;
      try {
        value = n <= 6 ? ext.value.toString('utf8') : Der.parse(ext.value).expect(Tag.UTF8_STRING, name).string();
      } catch {
        value = `(malformed: ${ext.value.toString('hex')})`;
      }
      return { oid: ext.oid, name, field: FULCIO_EXTENSIONS[n], critical: ext.critical, value };
    }
  }
  return { oid: ext.oid, name: X509_NAMES[ext.oid] ?? 'unknown extension', critical: ext.critical };
}

function inspectCertificate(cert: Certificate, chain: Certificate[]): InspectedCertificate {
  const extensions = cert.extensions.map(inspectExtension);
  let sans: { type: string; value: string }[];
  try {
    sans = cert.subjectAltNames.map((s) => ({ type: s.type, value: s.value }));
  } catch {
    sans = [{ type: 'malformed', value: '(the SubjectAltName extension cannot be read)' }];
  }
  const issuerV2 = extensions.find((e) => e.oid === `${FULCIO_ARC}8`)?.value;
  const issuerV1 = extensions.find((e) => e.oid === `${FULCIO_ARC}1`)?.value;
  return {
    subjectAltNames: sans,
    oidcIssuer: issuerV2 ?? issuerV1 ?? null,
    serial: hexSerial(cert.serial),
    issuer: renderDN(cert.issuerRaw),
    subject: renderDN(cert.subjectRaw),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    sha256: cert.fingerprint,
    publicKey: describeKey(cert),
    extensions,
    chain: chain.map((c) => renderDN(c.subjectRaw)),
  };
}

function inspectStatement(payload: Buffer): { statement: InspectedStatement | null; statementError?: string } {
  let st: unknown;
  try {
    st = JSON.parse(payload.toString('utf8'));
  } catch {
    return { statement: null, statementError: 'the payload is not JSON' };
  }
  if (!isObject(st)) return { statement: null, statementError: 'the payload is not a JSON object' };
  const subjects = Array.isArray(st.subject)
    ? st.subject.map((s): InspectedSubject => {
        const o = isObject(s) ? s : {};
        const digest: Record<string, string> = {};
        if (isObject(o.digest)) for (const [k, v] of Object.entries(o.digest)) digest[k] = String(v);
        return { name: typeof o.name === 'string' ? o.name : null, digest };
      })
    : [];
  return {
    statement: {
      type: typeof st._type === 'string' ? st._type : null,
      predicateType: typeof st.predicateType === 'string' ? st.predicateType : null,
      subjects,
      predicate: st.predicate === undefined ? null : st.predicate,
    },
  };
}

function bodySummary(body: Buffer): InspectedTlogEntry['body'] {
  let b: unknown;
  try {
    b = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(b)) return null;
  const hashes: Record<string, string> = {};
  const walk = (v: unknown, path: string, depth: number): void => {
    if (!isObject(v) || depth > 6) return;
    if (typeof v.algorithm === 'string' && typeof v.value === 'string' && /^[0-9a-fA-F]+$/.test(v.value)) {
      hashes[path] = `${v.algorithm.toLowerCase()}:${v.value}`;
      return;
    }
    // Rekor v2 (protobuf JSON): { algorithm: "SHA2_256", digest: base64 }.
    if (typeof v.algorithm === 'string' && typeof v.digest === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(v.digest)) {
      const alg = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' }[v.algorithm] ?? v.algorithm.toLowerCase();
      hashes[path] = `${alg}:${Buffer.from(v.digest, 'base64').toString('hex')}`;
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(b.spec, '', 0);
  return { apiVersion: typeof b.apiVersion === 'string' ? b.apiVersion : null, kind: typeof b.kind === 'string' ? b.kind : null, hashes };
}

function inspectTimestamp(der: Buffer): InspectedTimestamp {
  try {
    const t = parseTimeStampToken(der);
    let authority: string | null = null;
    const tsa = t.tstInfo.tsa;
    if (tsa?.tag === 0xa4) authority = renderDN(tsa.inner().raw);
    else if (tsa) authority = tsa.value.toString('utf8');
    else if (t.signedData.certificates[0]) authority = renderDN(t.signedData.certificates[0].subjectRaw);
    return {
      genTime: t.tstInfo.genTime.toISOString(),
      serial: hexSerial(t.tstInfo.serialNumber),
      policy: t.tstInfo.policy,
      hashAlgorithm: HASH_NAMES[t.tstInfo.messageImprint.hashAlgorithm.oid] ?? t.tstInfo.messageImprint.hashAlgorithm.oid,
      authority,
    };
  } catch (e) {
    return { error: `unreadable RFC 3161 timestamp (${(e as Error).message})` };
  }
}

function checkpointOrigin(note: string | undefined): string | null {
  if (!note) return null;
  return note.split('\n')[0] ?? null;
}

function fromParsed(bundle: ParsedBundle, format: 'bundle' | 'attestation'): BundleInspection {
  let content: InspectedContent;
  if (bundle.content.kind === 'dsseEnvelope') {
    const env = bundle.content.envelope;
    content = {
      kind: 'dsseEnvelope',
      payloadType: env.payloadType,
      payloadSize: env.payload.length,
      signatures: env.signatures.length,
      ...inspectStatement(env.payload),
    };
  } else {
    const ms = bundle.content;
    content = {
      kind: 'messageSignature',
      digest: ms.digest ? { algorithm: ms.digest.algorithm, value: ms.digest.value.toString('hex') } : null,
      signatureSize: ms.signature.length,
    };
  }
  const mat = bundle.material;
  const signer: InspectedSigner =
    mat.kind === 'certificate' ? { kind: 'certificate', ...inspectCertificate(mat.certificate, mat.chain) } : { kind: 'publicKey', hint: mat.hint };
  return {
    format,
    verified: false,
    notice: NOT_VERIFIED_NOTICE,
    mediaType: bundle.mediaType,
    bundleVersion: bundle.version,
    content,
    signer,
    tlogEntries: bundle.tlogEntries.map((e) => ({
      logIndex: e.logIndex.toString(),
      logId: e.logId.toString('base64'),
      kind: e.kind,
      version: e.version,
      integratedTime: e.integratedTime > 0n ? new Date(Number(e.integratedTime) * 1000).toISOString() : null,
      inclusionPromise: e.signedEntryTimestamp !== undefined,
      inclusionProof: e.inclusionProof
        ? {
            logIndex: e.inclusionProof.logIndex.toString(),
            treeSize: e.inclusionProof.treeSize.toString(),
            rootHash: e.inclusionProof.rootHash.toString('hex'),
            hashes: e.inclusionProof.hashes.length,
            checkpointOrigin: checkpointOrigin(e.inclusionProof.checkpoint),
          }
        : null,
      body: bodySummary(e.canonicalizedBody),
    })),
    timestamps: bundle.timestamps.map(inspectTimestamp),
  };
}

function isParsed(b: BundleInput): b is ParsedBundle {
  return typeof b === 'object' && !Buffer.isBuffer(b) && 'material' in b && 'content' in b && 'version' in b;
}

/**
 * Inspects a Sigstore bundle (JSON text, bytes, object or parsed bundle). The bundle must be
 * structurally valid (else {@link BundleError}); nothing is verified.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { inspectBundle, renderInspection } from 'sigstore-ts';
 * process.stdout.write(renderInspection(inspectBundle(readFileSync('a.txt.sigstore.json'))));
 * ```
 */
export function inspectBundle(input: BundleInput): BundleInspection {
  return fromParsed(isParsed(input) ? input : parseBundle(input), 'bundle');
}

/**
 * Inspects a PEP 740 attestation (through the bundle it converts to). Nothing is verified.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { inspectAttestation, parseAttestation } from 'sigstore-ts';
 * const i = inspectAttestation(parseAttestation(readFileSync('pkg-1.0.tar.gz.publish.attestation')));
 * console.log(i.content.kind === 'dsseEnvelope' ? i.content.statement?.predicateType : undefined);
 * ```
 */
export function inspectAttestation(a: Attestation): BundleInspection {
  return { ...fromParsed(attestationToBundle(a), 'attestation'), attestationVersion: a.version };
}

/**
 * Inspects a document, telling a Sigstore bundle (`mediaType`), a PEP 740 attestation
 * (`verification_material` and `envelope`) and a PyPI provenance object (`attestation_bundles`)
 * apart by their fields. Throws {@link BundleError} for anything else.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { inspectDocument, renderInspection } from 'sigstore-ts';
 * process.stdout.write(renderInspection(inspectDocument(readFileSync('pkg-1.0.tar.gz.publish.attestation'))));
 * ```
 */
export function inspectDocument(input: string | Buffer | JsonObject): Inspection {
  let json: unknown = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      json = JSON.parse(input.toString('utf8'));
    } catch (e) {
      throw new BundleError('DOCUMENT_INVALID', `not a bundle, attestation or provenance: the file is not JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(json)) throw new BundleError('DOCUMENT_INVALID', 'not a bundle, attestation or provenance: the file is not a JSON object');
  if ('mediaType' in json) return inspectBundle(json);
  if ('attestation_bundles' in json) {
    const p = parseProvenance(json);
    const raw = json.attestation_bundles as JsonObject[];
    return {
      format: 'provenance',
      verified: false,
      notice: NOT_VERIFIED_NOTICE,
      version: p.version,
      attestationBundles: p.attestationBundles.map((b, i) => ({
        publisher: describePublisher(b.publisher),
        publisherJson: raw[i]!.publisher as JsonObject,
        attestations: b.attestations.map(inspectAttestation),
      })),
    };
  }
  if ('verification_material' in json || 'envelope' in json) return inspectAttestation(parseAttestation(json));
  throw new BundleError(
    'DOCUMENT_INVALID',
    'not a bundle, attestation or provenance: expected a Sigstore bundle (mediaType), a PEP 740 attestation (verification_material, envelope) or a PyPI provenance (attestation_bundles)',
  );
}
