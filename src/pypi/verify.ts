/**
 * Verification of PEP 740 attestations against Python distributions, and of PyPI provenance
 * objects against the Trusted Publisher a user expects. The Sigstore checks are the verifier's;
 * on top, with the rules of `pypi-attestations`: the statement has exactly one subject, whose
 * name is a valid distribution file name equal (once normalised) to the distribution's, whose
 * sha256 digest is the distribution's, and whose predicate type PyPI knows.
 */
import { BundleError, PolicyError, UsageError, VerificationError } from '../errors.js';
import type { VerificationPolicy } from '../verify/policy.js';
import type { InTotoStatement, VerificationResult } from '../verify/types.js';
import type { Verifier } from '../verify/verifier.js';
import { ATTESTATION_TYPES, type Attestation } from './attestation.js';
import { attestationToBundle } from './convert.js';
import { type Distribution, parseDistributionFilename } from './distribution.js';
import type { Provenance } from './provenance.js';
import { describePublisher, type Publisher, publisherPolicy } from './publisher.js';
import type { ErrorCode } from '../errors.js';

/**
 * The result of verifying an attestation: the predicate it vouches for, and everything the
 * verifier established (signer, log entries, trusted times).
 *
 * @example
 * ```ts
 * const r: AttestationVerificationResult = await verifyAttestation(verifier, attestation, dist, policy);
 * console.log(r.predicateType, r.result.signer);
 * ```
 */
export interface AttestationVerificationResult {
  /** The verified statement's predicate type (one PyPI knows). */
  predicateType: string;
  /** The verified predicate (`null` for PyPI publish attestations). */
  predicate: unknown;
  statement: InTotoStatement;
  distribution: Distribution;
  result: VerificationResult;
}

function isPublisher(p: VerificationPolicy | Publisher): p is Publisher {
  return typeof (p as VerificationPolicy).check !== 'function' && typeof (p as Publisher).kind === 'string';
}

function subjectFail(code: ErrorCode, message: string): never {
  throw new VerificationError('signature', code, message);
}

/**
 * Verifies a PEP 740 attestation for a distribution: every Sigstore check (signature, log entry,
 * certificate chain, SCT, trusted time), the identity `policy` (a verification policy, or a
 * Trusted Publisher), then the statement: exactly one subject, naming this distribution (file
 * names compared normalised) with its sha256 digest, and a predicate type PyPI knows. Rejects
 * with {@link VerificationError} naming the failed step.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { Identity, Verifier, loadTrustMaterial } from 'sigstore-ts';
 * import { Distribution, parseAttestation, verifyAttestation } from 'sigstore-ts/pypi';
 * const dist = await Distribution.fromFile('pypi_attestations-0.0.19.tar.gz');
 * const attestation = parseAttestation(readFileSync('pypi_attestations-0.0.19.tar.gz.publish.attestation'));
 * const { predicateType } = await verifyAttestation(new Verifier(await loadTrustMaterial()), attestation, dist,
 *   new Identity({
 *     identity: 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19',
 *     issuer: 'https://token.actions.githubusercontent.com',
 *   }));
 * ```
 */
export async function verifyAttestation(
  verifier: Verifier,
  attestation: Attestation,
  dist: Distribution,
  policy: VerificationPolicy | Publisher,
): Promise<AttestationVerificationResult> {
  const pol = isPublisher(policy) ? publisherPolicy(policy) : policy;
  const bundle = attestationToBundle(attestation);
  const result = await verifier.verify(bundle, { digest: { algorithm: 'sha256', value: Buffer.from(dist.digest, 'hex') } }, pol);
  return checkAttestationStatement(result, dist);
}

/**
 * The checks of {@link verifyAttestation} that follow the Sigstore verification: the verified
 * statement is in-toto v1, has exactly one subject, naming this distribution (file names compared
 * normalised) with its sha256 digest, and a predicate type PyPI knows. For callers that verify
 * the bundles themselves (in a batch, through `verifyMany`). Throws {@link VerificationError}.
 *
 * @example
 * ```ts
 * const outcomes = await verifyMany(trust, [{ bundle: attestationToBundle(a).json, artifact }], publisherPolicy(publisher));
 * if (outcomes[0].ok) checkAttestationStatement(outcomes[0].result, dist);
 * ```
 */
export function checkAttestationStatement(result: VerificationResult, dist: Distribution): AttestationVerificationResult {
  const statement = result.statement;
  if (!statement) return subjectFail('STATEMENT_MALFORMED', 'the attestation has no in-toto statement');
  if (statement._type !== 'https://in-toto.io/Statement/v1') {
    subjectFail('STATEMENT_MALFORMED', `a PEP 740 attestation holds an in-toto v1 statement, not ${JSON.stringify(statement._type)}`);
  }
  if (statement.subject.length !== 1) {
    subjectFail('SUBJECT_COUNT', `the statement must have exactly one subject (it has ${statement.subject.length})`);
  }
  const subject = statement.subject[0]!;
  if (typeof subject.name !== 'string' || subject.name === '') subjectFail('SUBJECT_NAME_MISSING', 'invalid subject: missing name');
  let subjectName: string;
  try {
    subjectName = parseDistributionFilename(subject.name).normalized;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return subjectFail('SUBJECT_NAME_INVALID', `invalid subject: ${e.message}`);
  }
  if (subjectName !== dist.filename.normalized) {
    subjectFail('SUBJECT_NAME_MISMATCH', `subject does not match distribution name: ${subject.name} != ${dist.name}`);
  }
  if (subject.digest.sha256 !== dist.digest) {
    subjectFail('SUBJECT_DIGEST_MISMATCH', `subject does not match distribution digest (subject sha256 ${subject.digest.sha256 ?? '(none)'}, ${dist.name} sha256 ${dist.digest})`);
  }
  if (!ATTESTATION_TYPES.includes(statement.predicateType)) {
    throw new PolicyError('PREDICATE_TYPE_UNKNOWN', `unknown attestation type: ${statement.predicateType}`);
  }
  return { predicateType: statement.predicateType, predicate: statement.predicate ?? null, statement, distribution: dist, result };
}

/**
 * What a user expects of a provenance's Trusted Publisher: the repository (an
 * `https://github.com/OWNER/REPO` or `https://gitlab.com/NAMESPACE/PROJECT` URL), or the
 * Google Cloud service account email. At least one is required.
 *
 * @example
 * ```ts
 * const expected: ProvenanceExpectation = { repository: 'https://github.com/trailofbits/pypi-attestations' };
 * ```
 */
export interface ProvenanceExpectation {
  repository?: string;
  serviceAccount?: string;
}

/**
 * Reads a repository URL, `https://github.com/OWNER/REPO` or `https://gitlab.com/NAMESPACE/PROJECT`
 * (a trailing slash is tolerated), into its host and path. Throws {@link UsageError} otherwise.
 *
 * @example
 * ```ts
 * import { parseRepositoryUrl } from 'sigstore-ts/pypi';
 * parseRepositoryUrl('https://gitlab.com/group/sub/project'); // { host: 'gitlab.com', path: 'group/sub/project' }
 * ```
 */
export function parseRepositoryUrl(repository: string): { host: 'github.com' | 'gitlab.com'; path: string } {
  const bad = (): never => {
    throw new UsageError(
      'REPOSITORY_URL_INVALID',
      `unsupported or invalid repository URL ${JSON.stringify(repository)}: expected https://github.com/OWNER/REPO or https://gitlab.com/NAMESPACE/PROJECT`,
    );
  };
  let url: URL;
  try {
    url = new URL(repository);
  } catch {
    return bad();
  }
  if (url.protocol !== 'https:' || url.search || url.hash || url.username || url.password || url.port) bad();
  if (url.host !== 'github.com' && url.host !== 'gitlab.com') bad();
  const path = url.pathname.replace(/^\//, '').replace(/\/$/, '');
  const parts = path.split('/');
  if (parts.length < 2 || parts.some((x) => x === '') || (url.host === 'github.com' && parts.length !== 2)) bad();
  return { host: url.host as 'github.com' | 'gitlab.com', path };
}

function mismatch(m: string): never {
  throw new PolicyError('POLICY_PUBLISHER_MISMATCH', m);
}

/**
 * Checks that a Trusted Publisher is the one the user expects: for a repository URL, the
 * forge (github.com or gitlab.com) and the repository path; for a service account, its email.
 * Throws {@link PolicyError} (code `POLICY_PUBLISHER_MISMATCH`), or {@link UsageError} for a bad URL.
 *
 * @example
 * ```ts
 * import { checkPublisher } from 'sigstore-ts/pypi';
 * checkPublisher({ kind: 'GitHub', repository: 'org/repo', workflow: 'release.yml' }, { repository: 'https://github.com/org/repo' });
 * ```
 */
export function checkPublisher(publisher: Publisher, expected: ProvenanceExpectation): void {
  if (expected.repository === undefined && expected.serviceAccount === undefined) {
    throw new UsageError('USAGE', 'give the expected Trusted Publisher: a repository URL or a service account email');
  }
  if (expected.repository !== undefined) {
    const { host, path } = parseRepositoryUrl(expected.repository);
    if (publisher.kind === 'Google') mismatch(`provenance was signed by a Google Cloud service account (${publisher.email}), but a ${host} repository was expected`);
    const actual = publisher.kind === 'GitHub' ? 'github.com' : 'gitlab.com';
    if (actual !== host) mismatch(`provenance was signed by a ${actual} repository, but expected a ${host} repository`);
    if (publisher.repository !== path) mismatch(`provenance was signed by repository "${publisher.repository}", expected "${path}"`);
  }
  if (expected.serviceAccount !== undefined) {
    if (publisher.kind !== 'Google') mismatch(`provenance was signed by a ${publisher.kind} Trusted Publisher (${describePublisher(publisher)}), but a Google Cloud service account was expected`);
    if (publisher.email !== expected.serviceAccount) mismatch(`provenance was signed by service account "${publisher.email}", expected "${expected.serviceAccount}"`);
  }
}

/**
 * The result of verifying a provenance object: each attestation bundle's publisher and the
 * verified attestations.
 *
 * @example
 * ```ts
 * const r: ProvenanceVerificationResult = await verifyProvenance(verifier, provenance, dist, expected);
 * for (const b of r.bundles) console.log(b.publisher.kind, b.attestations.map((a) => a.predicateType));
 * ```
 */
export interface ProvenanceVerificationResult {
  bundles: { publisher: Publisher; attestations: AttestationVerificationResult[] }[];
}

/**
 * Verifies a PyPI provenance object for a distribution: every attestation bundle's Trusted
 * Publisher must be the one expected (its kind and claims, as the Trusted Publisher policy describes it), and every attestation must
 * verify for the distribution under that publisher's policy (see {@link publisherPolicy}).
 * A provenance without any attestation is refused.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { Verifier, loadTrustMaterial } from 'sigstore-ts';
 * import { Distribution, parseProvenance, verifyProvenance } from 'sigstore-ts/pypi';
 * const dist = await Distribution.fromFile('pypi_attestations-0.0.19.tar.gz');
 * const provenance = parseProvenance(readFileSync('pypi_attestations-0.0.19.tar.gz.provenance'));
 * await verifyProvenance(new Verifier(await loadTrustMaterial()), provenance, dist,
 *   { repository: 'https://github.com/trailofbits/pypi-attestations' });
 * ```
 */
export async function verifyProvenance(
  verifier: Verifier,
  provenance: Provenance,
  dist: Distribution,
  expected: ProvenanceExpectation,
): Promise<ProvenanceVerificationResult> {
  if (!provenance.attestationBundles.some((b) => b.attestations.length > 0)) {
    throw new BundleError('PROVENANCE_EMPTY', 'the provenance has no attestations');
  }
  const bundles: ProvenanceVerificationResult['bundles'] = [];
  for (const b of provenance.attestationBundles) {
    checkPublisher(b.publisher, expected);
    const policy = publisherPolicy(b.publisher);
    const attestations: AttestationVerificationResult[] = [];
    for (const a of b.attestations) attestations.push(await verifyAttestation(verifier, a, dist, policy));
    bundles.push({ publisher: b.publisher, attestations });
  }
  return { bundles };
}
