/**
 * Checks on verified slsa-github-generator provenance (slsa-verifier's VerifyProvenance for
 * GitHub Actions builders): the builder ID is the signing workflow, the source is the expected
 * repository, the certificate and the provenance describe the same build (repository, ref,
 * commit, trigger), and the branch, tag or version the caller asked for.
 */
import { PolicyError } from '../errors.js';
import type { CertificateSigner } from '../verify/types.js';
import { certificateSource, type SigningBuilder } from './builder.js';
import type { GeneratorProvenance } from './provenance.js';
import { parseSemver, type SemVer, versionMismatch } from './semver.js';

/** The builder ID in the provenance must be the workflow that signed it, ref included. */
export function checkBuilderId(prov: GeneratorProvenance, builder: SigningBuilder): void {
  if (prov.builderId !== builder.id) {
    throw new PolicyError('SLSA_BUILDER_ID_MISMATCH', `the provenance's builder.id ${prov.builderId} is not the workflow that signed it (${builder.id})`);
  }
}

/** The provenance's source must be the expected repository (`https://github.com/org/repo`). */
export function checkSource(prov: GeneratorProvenance, expected: string): void {
  if (prov.source !== `git+${expected}`) {
    throw new PolicyError('SLSA_SOURCE_MISMATCH', `wrong source: the provenance says the build was from ${prov.sourceUri}, not ${expected}`);
  }
}

/** The certificate (what GitHub's token said) and the provenance (what the generator wrote) must agree. */
export function checkCertificateAgrees(prov: GeneratorProvenance, signer: CertificateSigner): void {
  const e = signer.extensions;
  const pairs: [string, string | undefined, string | undefined][] = [
    ['source repository', certificateSource(signer), prov.source.replace(/^git\+/, '')],
    ['git ref', e.sourceRepositoryRef ?? e.githubWorkflowRef, prov.ref],
    ['commit', e.sourceRepositoryDigest ?? e.githubWorkflowSha, prov.commit],
    ['trigger', e.buildTrigger ?? e.githubWorkflowTrigger, prov.eventName],
  ];
  for (const [what, cert, p] of pairs) {
    if (cert === undefined) throw new PolicyError('SLSA_CERTIFICATE_MISMATCH', `the certificate does not name the build's ${what}`);
    if (p !== undefined && cert !== p) {
      throw new PolicyError('SLSA_CERTIFICATE_MISMATCH', `the certificate and the provenance disagree on the ${what}: ${cert} (certificate) and ${p} (provenance)`);
    }
  }
}

/** The tag name of a tag build; refuses a branch build (SLSA_REF_INVALID). */
function tagOf(prov: GeneratorProvenance, asked: string): string {
  if (!prov.ref.startsWith('refs/tags/')) {
    throw new PolicyError('SLSA_REF_INVALID', `wrong tag: ${asked} was asked for, but the build ran on ${prov.ref}, not a tag`);
  }
  return prov.ref.slice('refs/tags/'.length);
}

/** `--source-branch`: the branch built, or for a tag build the branch the tag was pushed from. */
export function checkBranch(prov: GeneratorProvenance, branch: string): void {
  const ref = prov.ref.startsWith('refs/heads/') ? prov.ref : prov.tagBaseRef;
  if (ref === undefined || !ref.startsWith('refs/heads/')) {
    throw new PolicyError('SLSA_REF_INVALID', `wrong branch: branch ${branch} was asked for, but the build ran on ${prov.ref}, which names no branch`);
  }
  const actual = ref.slice('refs/heads/'.length);
  if (actual !== branch) throw new PolicyError('SLSA_BRANCH_MISMATCH', `wrong branch: the build ran on branch ${actual}, not ${branch}`);
}

/** `--source-tag`: exactly this tag. */
export function checkTag(prov: GeneratorProvenance, tag: string): void {
  const actual = tagOf(prov, `tag ${tag}`);
  if (actual !== tag) throw new PolicyError('SLSA_TAG_MISMATCH', `wrong tag: the build ran on tag ${actual}, not ${tag}`);
}

/** `--source-versioned-tag`: a tag whose semantic version matches as far as `expected` goes. */
export function checkVersionedTag(prov: GeneratorProvenance, expected: SemVer, written: string): void {
  const actual = tagOf(prov, `version ${written}`);
  const v = parseSemver(actual);
  if (v === undefined) throw new PolicyError('SLSA_VERSION_MISMATCH', `version mismatch: the build's tag ${actual} is not a semantic version (asked for ${written})`);
  const part = versionMismatch(expected, v);
  if (part !== undefined) throw new PolicyError('SLSA_VERSION_MISMATCH', `version mismatch: the build's tag ${actual} does not match ${written} (${part} version differs)`);
}
