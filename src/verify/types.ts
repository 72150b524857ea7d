/**
 * Types shared by the verification steps and the public verifier API.
 */
import type { ParsedBundle, TlogEntry } from '../bundle/parse.js';
import type { HashAlgorithm } from '../lib/signature.js';
import type { Certificate } from '../lib/x509.js';

/**
 * What was signed: a file (streamed, never read whole), bytes in memory, or a digest.
 *
 * @example
 * ```ts
 * const a: Artifact = { path: 'dist/pkg-1.0.tar.gz' };
 * const b: Artifact = { digest: { algorithm: 'sha256', value: Buffer.from('ab'.repeat(32), 'hex') } };
 * ```
 */
export type Artifact =
  | { path: string }
  | { data: Uint8Array }
  | { digest: { algorithm: HashAlgorithm; value: Buffer } };

/**
 * A time the verifier trusts, and what vouches for it.
 *
 * @example
 * ```ts
 * for (const t of result.timestamps) console.log(t.time.toISOString(), t.source, t.authority);
 * ```
 */
export interface VerifiedTimestamp {
  time: Date;
  /** `tsa`: an RFC 3161 token from a trusted TSA; `tlog`: a log's integrated time backed by a SET. */
  source: 'tsa' | 'tlog';
  /** The TSA URI or log base URL. */
  authority: string;
}

/**
 * The Fulcio certificate extensions (OIDs 1.3.6.1.4.1.57264.1.1-1.22), by name.
 *
 * @example
 * ```ts
 * if (result.signer.kind === 'certificate') console.log(result.signer.extensions.sourceRepositoryURI);
 * ```
 */
export interface FulcioExtensions {
  issuer?: string;
  githubWorkflowTrigger?: string;
  githubWorkflowSha?: string;
  githubWorkflowName?: string;
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
  buildSignerURI?: string;
  buildSignerDigest?: string;
  runnerEnvironment?: string;
  sourceRepositoryURI?: string;
  sourceRepositoryDigest?: string;
  sourceRepositoryRef?: string;
  sourceRepositoryIdentifier?: string;
  sourceRepositoryOwnerURI?: string;
  sourceRepositoryOwnerIdentifier?: string;
  buildConfigURI?: string;
  buildConfigDigest?: string;
  buildTrigger?: string;
  runInvocationURI?: string;
  sourceRepositoryVisibilityAtSigning?: string;
}

/**
 * Who signed, as the verified leaf certificate says.
 *
 * @example
 * ```ts
 * if (result.signer.kind === 'certificate') console.log(result.signer.identity, result.signer.issuer);
 * ```
 */
export interface CertificateSigner {
  kind: 'certificate';
  /** The identity: the SAN email, URI or Fulcio username (OtherName). */
  identity: string;
  /** The OIDC issuer (extension 1.8, else 1.1). */
  issuer: string | undefined;
  extensions: FulcioExtensions;
  certificate: Certificate;
}

/**
 * A managed key signer (bundle with a public key hint), verified with the caller's key.
 *
 * @example
 * ```ts
 * if (result.signer.kind === 'key') console.log('signed by key sha256:' + result.signer.keyId);
 * ```
 */
export interface KeySigner {
  kind: 'key';
  /** SHA-256 of the verifying key's SubjectPublicKeyInfo, hex. */
  keyId: string;
  /** The bundle's key hint, as given: unauthenticated, for display only. */
  hint: string;
}

/**
 * An in-toto statement (DSSE bundles).
 *
 * @example
 * ```ts
 * if (result.statement) console.log(result.statement.predicateType, result.statement.subject.length);
 * ```
 */
export interface InTotoStatement {
  _type: string;
  subject: { name?: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate?: unknown;
}

/**
 * The result of a successful verification: what was verified, by whom, and when.
 *
 * @example
 * ```ts
 * const result = await verifier.verify(bundle, { path: 'a.txt' }, policy);
 * if (result.signer.kind === 'certificate') console.log(result.signer.identity);
 * ```
 */
export interface VerificationResult {
  signer: CertificateSigner | KeySigner;
  /** The trusted times the signature was checked at. */
  timestamps: VerifiedTimestamp[];
  /** The transparency log entries that were verified. */
  tlogEntries: TlogEntry[];
  /** For DSSE bundles: the verified in-toto statement. */
  statement: InTotoStatement | undefined;
  /** For DSSE bundles: the payload type. */
  payloadType: string | undefined;
  bundle: ParsedBundle;
}

/**
 * What {@link Verifier.verifyDsseWithoutArtifactUnsafe} returns: a verification result for a
 * DSSE bundle that binds no artifact, with the envelope's payload type and payload bytes for the
 * caller to check. `statement` is always undefined: the payload is not read.
 *
 * @example
 * ```ts
 * const r = await verifier.verifyDsseWithoutArtifactUnsafe(bundle, policy);
 * if (r.payloadType === 'application/vnd.in-toto+json') console.log(JSON.parse(r.payload.toString('utf8')));
 * ```
 */
export interface UnsafeDsseVerificationResult extends VerificationResult {
  /** The DSSE envelope's payload type, as signed. */
  payloadType: string;
  /** The DSSE envelope's payload bytes, as signed (a copy). */
  payload: Buffer;
}
