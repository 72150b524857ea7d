/**
 * SLSA provenance verification for slsa-github-generator's generic generator (v2.1.0 and later,
 * whose `NAME.intoto.jsonl` is a Sigstore bundle), with slsa-verifier's `verify-artifact`
 * checks: the bundle verifies (DSSE, the artifact's sha256 a subject); its signer is a trusted
 * builder at a release tag, run for the expected source; the provenance's builder ID, source and
 * ref agree with the certificate and with what the caller asked for (branch, tag or version).
 */
import { type ParsedBundle, parseBundle } from '../bundle/parse.js';
import { BundleError, UsageError } from '../errors.js';
import { isObject, type JsonObject } from '../lib/json.js';
import type { TrustMaterial } from '../trust/trusted-root.js';
import type { Artifact, CertificateSigner, InTotoStatement, VerificationResult } from '../verify/types.js';
import { type BundleInput, Verifier } from '../verify/verifier.js';
import { normalizeSourceUri, SlsaBuilderPolicy, signingBuilder } from './builder.js';
import { checkBranch, checkBuilderId, checkCertificateAgrees, checkSource, checkTag, checkVersionedTag } from './checks.js';
import { readGeneratorProvenance } from './provenance.js';
import { parseSemver } from './semver.js';
import { parseStrictJson } from '../lib/strict-json.js';

/**
 * What SLSA provenance must say, as slsa-verifier's `verify-artifact` flags: the source
 * repository, at most one of branch, tag and versioned tag, and optionally the builder.
 *
 * @example
 * ```ts
 * const expected: SlsaExpectation = { sourceUri: 'github.com/org/repo', sourceVersionedTag: 'v1.2' };
 * ```
 */
export interface SlsaExpectation {
  /** The source repository: `github.com/OWNER/REPO` (also with `https://` or `git+https://`). */
  sourceUri: string;
  /** The branch the build ran on (for a tag build: the branch the tag was pushed from). */
  sourceBranch?: string;
  /** Exactly this tag (`v1.2.3`). */
  sourceTag?: string;
  /** A tag whose semantic version matches as far as this goes: `v1`, `v1.2` or `v1.2.3`. */
  sourceVersionedTag?: string;
  /** The builder: its workflow URI, optionally with `@vX.Y.Z` or `@refs/tags/vX.Y.Z`. */
  builderId?: string;
}

/**
 * Options for {@link verifySlsaProvenance}.
 *
 * @example
 * ```ts
 * const options: SlsaVerifyOptions = { trust: await loadTrustMaterial({ offline: true }) };
 * ```
 */
export interface SlsaVerifyOptions {
  /** The trusted root the bundle is verified against (public-good production for real provenance). */
  trust: TrustMaterial;
  /** The current time, for "not in the future" checks (certificates are checked at the log's signed time). */
  now?: Date;
}

/**
 * The result of {@link verifySlsaProvenance}.
 *
 * @example
 * ```ts
 * const show = (r: SlsaVerificationResult) => console.log(`built by ${r.builderId} from ${r.sourceUri}`);
 * ```
 */
export interface SlsaVerificationResult {
  /** The builder, `https://github.com/...yml@refs/tags/vX.Y.Z` (the provenance's builder.id). */
  builderId: string;
  /** The source and ref built, `git+https://github.com/org/repo@refs/tags/v1.2.3`. */
  sourceUri: string;
  /** The git ref built. */
  ref: string;
  /** The commit built, when the provenance names it. */
  commit: string | undefined;
  /** The verified in-toto statement (its predicate is the provenance). */
  statement: InTotoStatement;
  /** The underlying Sigstore verification. */
  verification: VerificationResult;
}

/**
 * Reads a provenance file's contents as a Sigstore bundle. A bare DSSE envelope (what
 * slsa-github-generator wrote before v2.1.0) is refused with BundleError SLSA_LEGACY_PROVENANCE:
 * its log entry can only be found by an online Rekor search, which this verifier does not do.
 *
 * @example
 * ```ts
 * const bundle = parseProvenanceBundle(readFileSync('app-linux-amd64.intoto.jsonl'));
 * ```
 */
export function parseProvenanceBundle(input: string | Buffer | JsonObject): ParsedBundle {
  let json: unknown = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    const text = (Buffer.isBuffer(input) ? input.toString('utf8') : input).trim();
    try {
      json = parseStrictJson(text);
    } catch {
      // A JSON Lines file of several envelopes, or not JSON: the first line says which.
      try {
        json = parseStrictJson(text.split('\n', 1)[0]!);
      } catch {
        throw new BundleError('BUNDLE_INVALID', 'invalid bundle: the provenance is not JSON');
      }
    }
  }
  if (isObject(json) && json.mediaType === undefined && 'payloadType' in json && 'signatures' in json) {
    throw new BundleError(
      'SLSA_LEGACY_PROVENANCE',
      'the provenance is a bare DSSE envelope (slsa-github-generator before v2.1.0): its transparency log entry can only be found by an online Rekor search, which sigstore-ts does not do; use provenance from generator v2.1.0 or later (a Sigstore bundle)',
    );
  }
  return parseBundle(input);
}

function isParsedBundle(b: BundleInput): b is ParsedBundle {
  return typeof b === 'object' && !Buffer.isBuffer(b) && 'material' in b && 'content' in b && 'version' in b;
}

function signerOf(v: VerificationResult): CertificateSigner {
  if (v.signer.kind !== 'certificate') throw new BundleError('SLSA_PROVENANCE_INVALID', 'the provenance is signed with a managed key, not by a builder certificate');
  return v.signer;
}

/**
 * Verifies slsa-github-generator provenance for one artifact. Rejects with a
 * {@link VerificationError} naming the refusal: `SUBJECT_MISMATCH` (the artifact is not a subject),
 * `SLSA_BUILDER_UNTRUSTED`, `SLSA_BUILDER_REF_INVALID`, `SLSA_SOURCE_MISMATCH`,
 * `SLSA_BRANCH_MISMATCH`, `SLSA_TAG_MISMATCH`, `SLSA_VERSION_MISMATCH`, `SLSA_REF_INVALID` (no
 * branch or tag to compare), `SLSA_BUILDER_ID_MISMATCH`, `SLSA_CERTIFICATE_MISMATCH`,
 * `SLSA_PROVENANCE_INVALID`, `SLSA_LEGACY_PROVENANCE`, or any Sigstore verification code.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { loadTrustMaterial, verifySlsaProvenance } from 'sigstore-ts';
 * const result = await verifySlsaProvenance(
 *   readFileSync('app-linux-amd64.intoto.jsonl'),
 *   { path: 'app-linux-amd64' },
 *   { sourceUri: 'github.com/org/repo', sourceTag: 'v1.2.3' },
 *   { trust: await loadTrustMaterial({ offline: true }) },
 * );
 * console.log(result.builderId, result.sourceUri);
 * ```
 */
export async function verifySlsaProvenance(provenance: BundleInput, artifact: Artifact, expected: SlsaExpectation, options: SlsaVerifyOptions): Promise<SlsaVerificationResult> {
  const source = normalizeSourceUri(expected.sourceUri);
  const refs = [expected.sourceBranch, expected.sourceTag, expected.sourceVersionedTag].filter((x) => x !== undefined);
  if (refs.length > 1) throw new UsageError('USAGE', 'give at most one of the source branch, tag and versioned tag');
  const version = expected.sourceVersionedTag === undefined ? undefined : parseSemver(expected.sourceVersionedTag);
  if (expected.sourceVersionedTag !== undefined && version === undefined) {
    throw new UsageError('USAGE', `invalid versioned tag ${JSON.stringify(expected.sourceVersionedTag)} (expected vMAJOR, vMAJOR.MINOR or vMAJOR.MINOR.PATCH)`);
  }
  const policy = new SlsaBuilderPolicy(source, expected.builderId);
  const bundle = isParsedBundle(provenance) ? provenance : parseProvenanceBundle(provenance);
  const verification = await new Verifier(options.trust, { now: options.now }).verify(bundle, artifact, policy);
  const signer = signerOf(verification);
  const statement = verification.statement;
  if (!statement) throw new BundleError('SLSA_PROVENANCE_INVALID', 'the provenance bundle signs a message, not an in-toto statement');
  const prov = readGeneratorProvenance(statement);
  checkBuilderId(prov, signingBuilder(signer));
  checkSource(prov, source);
  checkCertificateAgrees(prov, signer);
  if (expected.sourceBranch !== undefined) checkBranch(prov, expected.sourceBranch);
  if (expected.sourceTag !== undefined) checkTag(prov, expected.sourceTag);
  if (version !== undefined) checkVersionedTag(prov, version, expected.sourceVersionedTag!);
  return { builderId: prov.builderId, sourceUri: prov.sourceUri, ref: prov.ref, commit: prov.commit, statement, verification };
}
