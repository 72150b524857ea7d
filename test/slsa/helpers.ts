/**
 * Crafted slsa-github-generator provenance, signed by the local Sigstore instance as if by a
 * GitHub Actions reusable workflow: the instance's OIDC provider signs its tokens under GitHub
 * Actions' issuer name (Fulcio accepts what that provider verifies), with the claims GitHub puts
 * in a reusable workflow's token (the caller's repository, ref, commit and event; the called
 * workflow as job_workflow_ref).
 */
import { createHash } from 'node:crypto';
import type { BundleJson } from '../../src/bundle/serialize.js';
import { GITHUB_ACTIONS_ISSUER } from '../../src/slsa/builder.js';
import { signer, startTestInstance, type TestInstance } from '../sign/helpers.js';

export const GENERATOR = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml';
export const GENERATOR_AT = `${GENERATOR}@refs/tags/v2.1.0`;

/** A local instance whose tokens (and so certificates) carry GitHub Actions' issuer. */
export async function startGithubInstance(): Promise<TestInstance> {
  const t = await startTestInstance();
  Object.defineProperty(t.inst.oidc, 'issuer', { value: GITHUB_ACTIONS_ISSUER });
  return t;
}

/** The GitHub Actions claims of a job in `repository` at `ref` calling the workflow `identity`. */
export function githubClaims(repository: string, ref: string, event = 'push', workflow = '.github/workflows/release.yml'): Record<string, unknown> {
  const sha = createHash('sha1').update(`${repository}@${ref}`).digest('hex');
  const owner = repository.split('/')[0]!;
  return {
    sub: `repo:${repository}:ref:${ref}`,
    repository,
    repository_owner: owner,
    repository_id: '123456789',
    repository_owner_id: '987654321',
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    sha,
    event_name: event,
    workflow_ref: `${repository}/${workflow}@${ref}`,
    workflow_sha: sha,
    workflow: 'release',
  };
}

export interface Build {
  /** The workflow that signs (certificate SAN), default the generator at v2.1.0. */
  signer?: string;
  repository?: string;
  ref?: string;
  event?: string;
  /** For a tag build: the branch it was pushed from (null: none). */
  baseRef?: string | null;
  /** Edits the provenance predicate before signing. */
  edit?: (predicate: Record<string, unknown>, statement: Record<string, unknown>) => void;
}

/** The generator's provenance for `sha256` built as `b` says, signed by the instance. */
export async function signProvenance(t: TestInstance, sha256: string, b: Build = {}): Promise<BundleJson> {
  const repository = b.repository ?? 'octo-org/app';
  const ref = b.ref ?? 'refs/tags/v1.2.3';
  const event = b.event ?? 'push';
  const claims = githubClaims(repository, ref, event);
  const uri = `git+https://github.com/${repository}@${ref}`;
  const predicate: Record<string, unknown> = {
    builder: { id: GENERATOR_AT },
    buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
    invocation: {
      configSource: { uri, digest: { sha1: claims.sha }, entryPoint: '.github/workflows/release.yml' },
      parameters: {},
      environment: {
        github_event_name: event,
        github_ref: ref,
        github_event_payload: ref.startsWith('refs/tags/') ? { ref, base_ref: b.baseRef === undefined ? 'refs/heads/main' : b.baseRef } : { ref },
      },
    },
    metadata: { buildInvocationID: '1-1', completeness: { parameters: true, environment: false, materials: false }, reproducible: false },
    materials: [{ uri, digest: { sha1: claims.sha } }],
  };
  const statement: Record<string, unknown> = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'app-linux-amd64', digest: { sha256 } }],
    predicateType: 'https://slsa.dev/provenance/v0.2',
    predicate,
  };
  b.edit?.(predicate, statement);
  const s = signer(t, { tokenProvider: () => t.inst.token({ identity: b.signer ?? GENERATOR_AT, claims }) });
  return s.attest(Buffer.from(JSON.stringify(statement)));
}
