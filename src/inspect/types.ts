/**
 * The shapes of an inspection (what `inspectDocument` returns): plain, JSON-ready data. Nothing
 * in them has been verified.
 */
import type { JsonObject } from '../lib/json.js';

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
