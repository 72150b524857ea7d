/**
 * The signer of SLSA provenance: a trusted slsa-github-generator reusable workflow, pinned to a
 * release tag, run for the expected source repository. Checked on the verified leaf
 * certificate, as the verifier's policy step (slsa-verifier's VerifyCertficateSourceRepository,
 * VerifyBuilderIdentity and verifyTrustedBuilderRef for GitHub Actions builders).
 */
import { PolicyError, UsageError } from '../errors.js';
import type { VerificationPolicy } from '../verify/policy.js';
import type { CertificateSigner } from '../verify/types.js';
import { isReleaseVersion } from './semver.js';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
const GITHUB = 'https://github.com/';

/**
 * The builders whose provenance `verify slsa` accepts: slsa-github-generator's generic
 * generator (the reusable workflow, without its ref).
 */
export const TRUSTED_SLSA_BUILDERS: readonly string[] = Object.freeze([`${GITHUB}slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml`]);

/** The builder a certificate names: the workflow (`https://github.com/...yml`) and its ref. */
export interface SigningBuilder {
  name: string;
  ref: string;
  /** `name@ref`: what the provenance's builder.id must be. */
  id: string;
}

/**
 * A `--builder-id`: the workflow URI with an optional `@VERSION` (`v2.1.0` or `refs/tags/v2.1.0`).
 * Throws UsageError for an empty version.
 */
export function parseBuilderId(id: string): { name: string; version: string | undefined } {
  const parts = id.split('@');
  if (parts.length > 2 || parts[0] === '' || parts[1] === '') throw new UsageError('USAGE', `invalid builder ID ${JSON.stringify(id)} (expected URI or URI@VERSION)`);
  return { name: parts[0]!, version: parts[1] };
}

/** Normalizes `github.com/org/repo` (or `https://`, `git+https://` forms) to `https://github.com/org/repo`. */
export function normalizeSourceUri(source: string): string {
  const bare = source.replace(/^git\+/, '').replace(/^https:\/\//, '');
  if (!/^github\.com\/[^/@\s]+\/[^/@\s]+$/.test(bare)) {
    throw new UsageError('USAGE', `invalid source URI ${JSON.stringify(source)} (expected github.com/OWNER/REPO)`);
  }
  return `https://${bare}`;
}

/** The certificate's source repository: extension 1.12, else 1.5 (`owner/repo`) on github.com. */
export function certificateSource(signer: CertificateSigner): string | undefined {
  const e = signer.extensions;
  if (e.sourceRepositoryURI !== undefined) return e.sourceRepositoryURI;
  return e.githubWorkflowRepository !== undefined ? `${GITHUB}${e.githubWorkflowRepository}` : undefined;
}

/** Reads the signing workflow out of the certificate's URI SAN (`https://github.com/...yml@ref`). */
export function signingBuilder(signer: CertificateSigner): SigningBuilder {
  const uri = signer.certificate.subjectAltNames.find((s) => s.type === 'uri')?.value;
  if (uri === undefined || !uri.startsWith(GITHUB)) {
    throw new PolicyError('SLSA_BUILDER_UNTRUSTED', `the signer ${JSON.stringify(signer.identity)} is not a GitHub Actions workflow`);
  }
  const at = uri.indexOf('@');
  if (at < 0) throw new PolicyError('SLSA_BUILDER_UNTRUSTED', `the signing workflow ${JSON.stringify(uri)} names no ref`);
  return { name: uri.slice(0, at), ref: uri.slice(at + 1), id: uri };
}

/**
 * The verification policy of SLSA provenance: issued by GitHub Actions to a trusted builder at a
 * release tag (`refs/tags/vX.Y.Z`), the builder the caller asked for (if any), run for the
 * expected source repository.
 */
export class SlsaBuilderPolicy implements VerificationPolicy {
  private readonly expectedName: string | undefined;
  private readonly expectedVersion: string | undefined;

  constructor(
    private readonly source: string,
    builderId?: string,
  ) {
    if (builderId !== undefined) {
      const { name, version } = parseBuilderId(builderId);
      this.expectedName = name;
      this.expectedVersion = version;
    }
  }

  check(signer: CertificateSigner): void {
    if (signer.issuer !== GITHUB_ACTIONS_ISSUER) {
      throw new PolicyError('SLSA_BUILDER_UNTRUSTED', `the certificate was issued for ${JSON.stringify(signer.issuer ?? '(no issuer)')}, not GitHub Actions (${GITHUB_ACTIONS_ISSUER})`);
    }
    const b = signingBuilder(signer);
    if (!TRUSTED_SLSA_BUILDERS.includes(b.name)) {
      throw new PolicyError('SLSA_BUILDER_UNTRUSTED', `untrusted builder: the provenance was signed by ${b.name}, which is not a trusted SLSA builder (${TRUSTED_SLSA_BUILDERS.join(', ')})`);
    }
    if (this.expectedName !== undefined) {
      const v = this.expectedVersion;
      if (this.expectedName !== b.name || (v !== undefined && v !== b.ref && `refs/tags/${v}` !== b.ref)) {
        throw new PolicyError('SLSA_BUILDER_UNTRUSTED', `untrusted builder: the provenance was built by ${b.id}, not the builder asked for (${this.expectedName}${v ? `@${v}` : ''})`);
      }
    }
    const tag = b.ref.startsWith('refs/tags/') ? b.ref.slice('refs/tags/'.length) : undefined;
    if (tag === undefined || !isReleaseVersion(tag)) {
      throw new PolicyError('SLSA_BUILDER_REF_INVALID', `the builder ${b.name} ran at ${b.ref}, not a release tag refs/tags/vX.Y.Z`);
    }
    const certSource = certificateSource(signer);
    if (certSource !== this.source) {
      throw new PolicyError('SLSA_SOURCE_MISMATCH', `wrong source: the certificate says the build ran for ${certSource ?? '(no repository)'}, not ${this.source}`);
    }
  }

  describe(): string {
    return `a trusted SLSA builder at a release tag, building ${this.source}`;
  }
}
