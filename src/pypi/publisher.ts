/**
 * PyPI Trusted Publishers (GitHub Actions, GitLab CI/CD, Google Cloud) as they appear in PyPI
 * provenance objects, and the verification policy each stands for, with the rules of the
 * `pypi-attestations` reference implementation: a Trusted Publisher names a repository and a
 * workflow (not a ref), so the certificate's Build Config URI is checked against the publisher
 * with the certificate's own source ref or digest as the suffix.
 */
import { PolicyError } from '../errors.js';
import { type Fail, obj, optStr, str } from '../lib/json.js';
import type { VerificationPolicy } from '../verify/policy.js';
import type { CertificateSigner } from '../verify/types.js';
import type { ErrorCode } from '../errors.js';

/**
 * The OIDC issuer of GitHub Actions.
 *
 * @example
 * ```ts
 * import { GITHUB_ACTIONS_ISSUER } from 'sigstore-ts/pypi';
 * console.log(GITHUB_ACTIONS_ISSUER); // https://token.actions.githubusercontent.com
 * ```
 */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
/**
 * The OIDC issuer of GitLab.com CI/CD.
 *
 * @example
 * ```ts
 * import { GITLAB_ISSUER } from 'sigstore-ts/pypi';
 * console.log(GITLAB_ISSUER); // https://gitlab.com
 * ```
 */
export const GITLAB_ISSUER = 'https://gitlab.com';
/**
 * The OIDC issuer of Google Cloud service accounts.
 *
 * @example
 * ```ts
 * import { GOOGLE_ISSUER } from 'sigstore-ts/pypi';
 * console.log(GOOGLE_ISSUER); // https://accounts.google.com
 * ```
 */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

/**
 * A GitHub Actions Trusted Publisher.
 *
 * @example
 * ```ts
 * const p: GitHubPublisher = { kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'release.yml' };
 * ```
 */
export interface GitHubPublisher {
  kind: 'GitHub';
  /** The repository slug, `owner/name`. */
  repository: string;
  /** The workflow's file name under `.github/workflows/`, e.g. `release.yml`. */
  workflow: string;
  /** The GitHub Actions environment, when the publisher has one. */
  environment?: string | null;
}

/**
 * A GitLab CI/CD Trusted Publisher.
 *
 * @example
 * ```ts
 * const p: GitLabPublisher = { kind: 'GitLab', repository: 'group/subgroup/project', workflow_filepath: '.gitlab-ci.yml' };
 * ```
 */
export interface GitLabPublisher {
  kind: 'GitLab';
  /** The project path, `namespace/project` (namespaces may be nested). */
  repository: string;
  /** The path of the CI/CD configuration file, usually `.gitlab-ci.yml`. */
  workflow_filepath: string;
  environment?: string | null;
}

/**
 * A Google Cloud Trusted Publisher: a service account.
 *
 * @example
 * ```ts
 * const p: GooglePublisher = { kind: 'Google', email: 'publisher@project.iam.gserviceaccount.com' };
 * ```
 */
export interface GooglePublisher {
  kind: 'Google';
  /** The service account's email address. */
  email: string;
}

/**
 * Any Trusted Publisher, told apart by `kind`.
 *
 * @example
 * ```ts
 * function describe(p: Publisher): string {
 *   return p.kind === 'Google' ? p.email : p.repository;
 * }
 * ```
 */
export type Publisher = GitHubPublisher | GitLabPublisher | GooglePublisher;

/** Reads a publisher from untrusted JSON; unknown fields are ignored. */
export function publisherFromJson(v: unknown, path: string, fail: Fail): Publisher {
  const o = obj(v, path, fail);
  const kind = o.kind;
  const env = () => optStr(o.environment, `${path}.environment`, fail) ?? null;
  switch (kind) {
    case 'GitHub':
      return { kind, repository: str(o.repository, `${path}.repository`, fail), workflow: str(o.workflow, `${path}.workflow`, fail), environment: env() };
    case 'GitLab':
      return {
        kind,
        repository: str(o.repository, `${path}.repository`, fail),
        workflow_filepath: str(o.workflow_filepath, `${path}.workflow_filepath`, fail),
        environment: env(),
      };
    case 'Google':
      return { kind, email: str(o.email, `${path}.email`, fail) };
    default:
      return fail(`${path}.kind must be one of GitHub, GitLab, Google (is ${JSON.stringify(kind ?? null)})`);
  }
}

/** A publisher as JSON, in PyPI's field order. */
export function publisherToJson(p: Publisher): Record<string, unknown> {
  switch (p.kind) {
    case 'GitHub':
      return { environment: p.environment ?? null, kind: p.kind, repository: p.repository, workflow: p.workflow };
    case 'GitLab':
      return { environment: p.environment ?? null, kind: p.kind, repository: p.repository, workflow_filepath: p.workflow_filepath };
    case 'Google':
      return { email: p.email, kind: p.kind };
  }
}

function deny(code: ErrorCode, message: string): never {
  throw new PolicyError(code, message);
}

/**
 * A Trusted Publisher on a CI forge (GitHub or GitLab): the certificate must come from the forge's
 * OIDC issuer, from the publisher's repository, and its Build Config URI must be the
 * publisher's workflow at the certificate's own source ref or commit.
 */
class ForgePublisherPolicy implements VerificationPolicy {
  constructor(
    private readonly host: string,
    private readonly issuer: string,
    private readonly repository: string,
    /** The workflow path as it appears in the Build Config URI, after the repository URL. */
    private readonly workflowPath: string,
    private readonly label: string,
  ) {}

  check(signer: CertificateSigner): void {
    const x = signer.extensions;
    if (x.issuer !== this.issuer) {
      deny('POLICY_PUBLISHER_ISSUER', `certificate OIDC issuer ${JSON.stringify(x.issuer ?? '(none)')} is not ${this.issuer} (the Trusted Publisher's)`);
    }
    const repoUrl = `https://${this.host}/${this.repository}`;
    if (x.sourceRepositoryURI !== repoUrl) {
      deny(
        'POLICY_PUBLISHER_REPOSITORY',
        `certificate source repository ${JSON.stringify(x.sourceRepositoryURI ?? '(none)')} is not the Trusted Publisher's ${JSON.stringify(repoUrl)}`,
      );
    }
    const suffixes = [x.sourceRepositoryDigest, x.sourceRepositoryRef].filter((s): s is string => s !== undefined);
    if (suffixes.length === 0) {
      deny('POLICY_PUBLISHER_REF', 'certificate must contain either Source Repository Digest or Source Repository Ref');
    }
    const expected = suffixes.map((s) => `${repoUrl}/${this.workflowPath}@${s}`);
    if (x.buildConfigURI === undefined || !expected.includes(x.buildConfigURI)) {
      deny(
        'POLICY_PUBLISHER_WORKFLOW',
        `certificate's Build Config URI ${JSON.stringify(x.buildConfigURI ?? '(none)')} does not match the Trusted Publisher (${this.label}); expected ${expected.map((e) => JSON.stringify(e)).join(' or ')}`,
      );
    }
  }

  describe(): string {
    return `Trusted Publisher ${this.label}`;
  }
}

/**
 * A Google service account: the certificate's one identity (the Fulcio SAN the result reports,
 * never any other SAN) and the Google issuer.
 */
class GooglePublisherPolicy implements VerificationPolicy {
  constructor(private readonly email: string) {}

  check(signer: CertificateSigner): void {
    if (signer.identity !== this.email) {
      deny('POLICY_IDENTITY_MISMATCH', `certificate identity ${JSON.stringify(signer.identity || '(none)')} is not the Trusted Publisher's service account ${JSON.stringify(this.email)}`);
    }
    if (signer.extensions.issuer !== GOOGLE_ISSUER) {
      deny('POLICY_PUBLISHER_ISSUER', `certificate OIDC issuer ${JSON.stringify(signer.extensions.issuer ?? '(none)')} is not ${GOOGLE_ISSUER} (the Trusted Publisher's)`);
    }
  }

  describe(): string {
    return `Trusted Publisher Google service account ${this.email}`;
  }
}

/**
 * The verification policy a Trusted Publisher stands for:
 * - GitHub: issuer GitHub Actions, Source Repository URI `https://github.com/OWNER/REPO`, and
 *   Build Config URI `https://github.com/OWNER/REPO/.github/workflows/WORKFLOW@X` where X is the
 *   certificate's Source Repository Digest or Ref;
 * - GitLab: issuer `https://gitlab.com`, Source Repository URI `https://gitlab.com/PATH`, and
 *   Build Config URI `https://gitlab.com/PATH//CI_CONFIG_PATH@X`;
 * - Google: the service account email as the identity, issuer `https://accounts.google.com`.
 *
 * @example
 * ```ts
 * import { loadTrustMaterial, Verifier } from 'sigstore-ts';
 * import { publisherPolicy } from 'sigstore-ts/pypi';
 * const policy = publisherPolicy({ kind: 'GitHub', repository: 'org/repo', workflow: 'release.yml' });
 * const result = await new Verifier(await loadTrustMaterial()).verify(bundle, artifact, policy);
 * ```
 */
export function publisherPolicy(p: Publisher): VerificationPolicy {
  switch (p.kind) {
    case 'GitHub':
      return new ForgePublisherPolicy('github.com', GITHUB_ACTIONS_ISSUER, p.repository, `.github/workflows/${p.workflow}`, `${p.workflow} @ ${p.repository}`);
    case 'GitLab':
      return new ForgePublisherPolicy('gitlab.com', GITLAB_ISSUER, p.repository, `/${p.workflow_filepath}`, `${p.workflow_filepath} @ ${p.repository}`);
    case 'Google':
      return new GooglePublisherPolicy(p.email);
  }
}

/**
 * A one-line description of a publisher, e.g. `GitHub trailofbits/pypi-attestations (workflow release.yml)`.
 *
 * @example
 * ```ts
 * import { describePublisher } from 'sigstore-ts/pypi';
 * describePublisher({ kind: 'Google', email: 'sa@p.iam.gserviceaccount.com' }); // 'Google service account sa@p.iam.gserviceaccount.com'
 * ```
 */
export function describePublisher(p: Publisher): string {
  switch (p.kind) {
    case 'GitHub':
      return `GitHub ${p.repository} (workflow ${p.workflow}${p.environment ? `, environment ${p.environment}` : ''})`;
    case 'GitLab':
      return `GitLab ${p.repository} (CI config ${p.workflow_filepath}${p.environment ? `, environment ${p.environment}` : ''})`;
    case 'Google':
      return `Google service account ${p.email}`;
  }
}
